#pragma once
// The golden files' comparison (tests/golden/README.md), shared by the tests that own one.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace resproxy::testing {

// RESPROXY_UPDATE_GOLDEN=1: writes `actual` to `path` and returns true (the caller skips).
inline bool rewrite_golden(const std::string& path, const std::string& actual) {
  const char* update = std::getenv("RESPROXY_UPDATE_GOLDEN");
  if (update == nullptr || *update != '1') return false;
  std::ofstream(path) << actual;
  return true;
}

// Where `actual` first differs from the file at `path`, compared line by line; "" if they match.
inline std::string golden_difference(const std::string& path, const std::string& actual) {
  std::ifstream in(path);
  if (!in) return "missing " + path + " (RESPROXY_UPDATE_GOLDEN=1 creates it)";
  std::stringstream expected;
  expected << in.rdbuf();
  std::istringstream want(expected.str()), got(actual);
  std::string w, g;
  for (int line = 1;; ++line) {
    const bool more_want = static_cast<bool>(std::getline(want, w));
    const bool more_got = static_cast<bool>(std::getline(got, g));
    if (!more_want && !more_got) return {};
    if (more_want != more_got) return "the length differs at line " + std::to_string(line) + " of " + path;
    if (w != g) {
      return "first difference at line " + std::to_string(line) + " of " + path + "\n  want: " + w +
             "\n  got:  " + g;
    }
  }
}

}  // namespace resproxy::testing
