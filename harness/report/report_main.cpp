// resproxy-report DIR [--out FILE] [--summary FILE]: the report command on its own, without
// ns-3 (resproxy-harness report runs the same function).
#include <string>
#include <vector>

#include "harness/report/report.h"

int main(int argc, char** argv) {
  // run_report expects argv[0] to be the subcommand, as resproxy-harness passes it.
  std::vector<char*> args(argv, argv + argc);
  std::string name = "report";
  if (!args.empty()) args[0] = name.data();
  return resproxy::report::run_report(static_cast<int>(args.size()), args.data());
}
