// resproxy-harness: runs scenarios on the ns-3 backend and judges them (issue #5, item 4).
//
//   resproxy-harness run PATH… [--seed N | --seeds A..B] [--out DIR] [-j N] [--long] [--trace]
//                    [--quiet]
//   resproxy-harness list [DIR]
//   resproxy-harness report DIR [--out FILE] [--summary FILE]
//
// PATH is a scenario file or a directory of them (*.yaml, in name order; `long: true` ones only
// with --long). One scenario and one seed run in this process; anything more runs as child
// processes (fork/exec of this binary, at most -j at a time, default 2), each writing its output
// to DIR/<scenario>/seed-<N>/harness.log. Each run writes results.json, junit.xml, summary.md and
// run.json to DIR/<scenario>/seed-<N>/ (DIR defaults to ./results).
//
// Exit status: 0 every expectation held; 1 one failed (each named with file:line, the
// expectation and the actual value); 2 bad command line or scenario file.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

#include "harness/report/report.h"

namespace fs = std::filesystem;
using namespace resproxy::harness;

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct RunArgs {
  std::vector<std::string> paths;
  std::vector<std::uint32_t> seeds;  // empty: each scenario's own seed
  std::string out = "results";
  int jobs = 2;
  bool long_runs = false;
  bool trace = false;
  bool quiet = false;
};

void usage(std::ostream& os) {
  os << "usage: resproxy-harness run PATH... [--seed N | --seeds A..B] [--out DIR] [-j N] [--long] "
        "[--trace] [--quiet]\n"
        "       resproxy-harness list [DIR]\n"
        "       resproxy-harness report DIR [--out FILE] [--summary FILE]\n";
}

bool parse_uint(const std::string& text, std::uint64_t& value) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  value = std::stoull(text);
  return true;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

std::vector<std::string> scenario_files(const std::string& path) {
  if (!fs::is_directory(path)) return {path};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A progress bar on a terminal, a line per 10 % otherwise.
class Progress {
 public:
  Progress(std::string label, double total, bool quiet)
      : label_(std::move(label)), total_(total), quiet_(quiet), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(double sim_s) {
    if (quiet_ || total_ <= 0) return;
    const double fraction = std::min(1.0, sim_s / total_);
    if (tty_) {
      const int width = 30;
      const int filled = static_cast<int>(fraction * width);
      std::fprintf(stderr, "\r%s [%s%s] %3d%% %.0f/%.0f s simulated", label_.c_str(),
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), ' ').c_str(),
                   static_cast<int>(fraction * 100), sim_s, total_);
      if (fraction >= 1.0) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    } else {
      const int decile = static_cast<int>(fraction * 10);
      if (decile > last_decile_) {
        last_decile_ = decile;
        std::fprintf(stderr, "%s: %d%% (%.0f/%.0f s simulated)\n", label_.c_str(), decile * 10, sim_s, total_);
      }
    }
  }

 private:
  std::string label_;
  double total_;
  bool quiet_;
  bool tty_;
  int last_decile_ = 0;
};

// One scenario, one seed, in this process.
int run_one(const Scenario& scenario, std::uint32_t seed, const RunArgs& args) {
  const std::string label = scenario.name + " seed " + std::to_string(seed);
  Progress progress(label, scenario.duration_s, args.quiet);
  RunOptions options;
  options.progress = [&progress](double sim_s) { progress.update(sim_s); };
  options.keep_trace = args.trace;
  const auto started = std::chrono::steady_clock::now();
  RunData run = run_scenario(scenario, seed, options);
  const Metrics metrics = compute_metrics(scenario, run);
  const std::vector<Verdict> verdicts = judge(scenario, metrics);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const fs::path dir = fs::path(args.out) / scenario.name / ("seed-" + std::to_string(seed));
  fs::create_directories(dir);
  bool written = write_file(dir / "results.json", results_json(scenario, run, metrics, verdicts));
  written &= write_file(dir / "junit.xml", junit_xml(scenario, run, verdicts, wall_s));
  written &= write_file(dir / "summary.md", summary_md(scenario, run, metrics, verdicts));
  std::ostringstream run_json;
  run_json << "{\"wall_s\": " << wall_s << ", \"sim_per_wall\": " << scenario.duration_s / std::max(wall_s, 1e-9)
           << ", \"peak_rss_mb\": " << peak_rss_mb() << "}\n";
  written &= write_file(dir / "run.json", run_json.str());
  if (args.trace) {
    std::string lines;
    for (const auto& line : run.trace) lines += line + "\n";
    written &= write_file(dir / "trace.jsonl", lines);
  }
  if (!written) {
    std::cerr << "resproxy-harness: cannot write the results in " << dir << "\n";
    return kExitUsage;
  }

  std::size_t failed = 0;
  for (const auto& v : verdicts) {
    if (!v.passed) {
      ++failed;
      std::cerr << v.message << "\n";
    } else if (!args.quiet) {
      std::cout << v.message << "\n";
    }
  }
  std::printf("%s %s: %zu/%zu expectations held; %zu calls, wall %.2f s, %.0fx real time, peak RSS %.1f MB; %s\n",
              failed == 0 ? "PASS" : "FAIL", label.c_str(), verdicts.size() - failed, verdicts.size(),
              run.calls.size(), wall_s, scenario.duration_s / std::max(wall_s, 1e-9), peak_rss_mb(),
              dir.string().c_str());
  std::fflush(stdout);
  return failed == 0 ? 0 : kExitFailed;
}

struct Job {
  std::string file;
  std::string name;
  std::uint32_t seed = 1;
};

// Runs jobs as child processes of this binary, at most args.jobs at a time.
int run_parallel(const std::vector<Job>& jobs, const RunArgs& args) {
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, done = 0, failed = 0;
  int worst = 0;
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const auto log_of = [&](const Job& job) {
    return fs::path(args.out) / job.name / ("seed-" + std::to_string(job.seed)) / "harness.log";
  };
  while (done < jobs.size()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < std::max(1, args.jobs)) {
      const Job& job = jobs[next];
      const fs::path log = log_of(job);
      fs::create_directories(log.parent_path());
      std::vector<std::string> argv = {self, "run", job.file, "--seed", std::to_string(job.seed),
                                       "--out", args.out, "--quiet"};
      if (args.trace) argv.push_back("--trace");
      std::fflush(stdout);  // or the child's freopen would flush our buffer once more
      std::fflush(stderr);
      const pid_t pid = fork();
      if (pid < 0) {
        std::perror("resproxy-harness: fork");
        return kExitUsage;
      }
      if (pid == 0) {
        FILE* f = std::freopen(log.c_str(), "w", stdout);
        if (f == nullptr || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(kExitUsage);
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        execv(self.c_str(), cargv.data());
        _exit(127);
      }
      running[pid] = next++;
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const Job& job = jobs[it->second];
    running.erase(it);
    ++done;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    worst = std::max(worst, code);
    std::ifstream log(log_of(job));
    std::string line, verdict;
    std::vector<std::string> problems;
    while (std::getline(log, line)) {
      if (line.starts_with("PASS ") || line.starts_with("FAIL ")) verdict = line;
      else if (line.find("expectation failed") != std::string::npos || line.find("error") != std::string::npos ||
               line.find(".yaml:") != std::string::npos)
        problems.push_back(line);
    }
    if (code != 0) ++failed;
    std::printf("[%zu/%zu] %s\n", done, jobs.size(),
                !verdict.empty() ? verdict.c_str()
                                 : (std::string("FAIL ") + job.name + " seed " + std::to_string(job.seed) +
                                    ": exit " + std::to_string(code) + " (see " + log_of(job).string() + ")")
                                       .c_str());
    for (const auto& p : problems) std::printf("    %s\n", p.c_str());
    std::fflush(stdout);
  }
  std::printf("%zu run(s), %zu failed\n", jobs.size(), failed);
  return worst == 0 ? 0 : (worst == kExitUsage ? kExitUsage : kExitFailed);
}

int cmd_run(int argc, char** argv) {
  RunArgs args;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "resproxy-harness: " << a << " needs a value\n";
        std::exit(kExitUsage);
      }
      return argv[++i];
    };
    std::uint64_t n = 0;
    if (a == "--seed") {
      const std::string v = value();
      if (!parse_uint(v, n) || n == 0 || n > 0xffffffffULL) {
        std::cerr << "resproxy-harness: --seed: \"" << v << "\" is not a seed (1..4294967295)\n";
        return kExitUsage;
      }
      args.seeds = {static_cast<std::uint32_t>(n)};
    } else if (a == "--seeds") {
      const std::string v = value();
      const auto dots = v.find("..");
      std::uint64_t lo = 0, hi = 0;
      if (dots == std::string::npos || !parse_uint(v.substr(0, dots), lo) ||
          !parse_uint(v.substr(dots + 2), hi) || lo == 0 || hi < lo || hi > 0xffffffffULL || hi - lo > 10000) {
        std::cerr << "resproxy-harness: --seeds: \"" << v << "\" is not a range A..B (1 <= A <= B)\n";
        return kExitUsage;
      }
      args.seeds.clear();
      for (std::uint64_t s = lo; s <= hi; ++s) args.seeds.push_back(static_cast<std::uint32_t>(s));
    } else if (a == "--out") {
      args.out = value();
    } else if (a == "-j" || a == "--jobs") {
      const std::string v = value();
      if (!parse_uint(v, n) || n == 0 || n > 64) {
        std::cerr << "resproxy-harness: -j: \"" << v << "\" is not 1..64\n";
        return kExitUsage;
      }
      args.jobs = static_cast<int>(n);
    } else if (a == "--long") {
      args.long_runs = true;
    } else if (a == "--trace") {
      args.trace = true;
    } else if (a == "--quiet") {
      args.quiet = true;
    } else if (a.starts_with("-")) {
      std::cerr << "resproxy-harness: unknown option " << a << "\n";
      usage(std::cerr);
      return kExitUsage;
    } else {
      args.paths.push_back(a);
    }
  }
  if (args.paths.empty()) {
    usage(std::cerr);
    return kExitUsage;
  }
  std::vector<Job> jobs;
  std::vector<Scenario> scenarios;
  for (const auto& path : args.paths) {
    if (!fs::exists(path)) {
      std::cerr << path << ": no such file or directory\n";
      return kExitUsage;
    }
    const bool from_directory = fs::is_directory(path);
    for (const auto& file : scenario_files(path)) {
      Scenario scenario;
      try {
        scenario = load_scenario(file);
      } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return kExitUsage;
      }
      if (from_directory && scenario.long_run && !args.long_runs) {
        std::printf("skip %s (long: true; run it with --long or by name)\n", file.c_str());
        continue;
      }
      const std::vector<std::uint32_t> seeds = args.seeds.empty() ? std::vector<std::uint32_t>{scenario.seed} : args.seeds;
      for (auto seed : seeds) jobs.push_back({file, scenario.name, seed});
      scenarios.push_back(std::move(scenario));
    }
  }
  if (jobs.empty()) {
    std::cerr << "resproxy-harness: no scenario to run\n";
    return kExitUsage;
  }
  if (jobs.size() == 1) {
    try {
      return run_one(scenarios.front(), jobs.front().seed, args);
    } catch (const std::exception& e) {
      std::cerr << "resproxy-harness: " << e.what() << "\n";
      return kExitUsage;
    }
  }
  return run_parallel(jobs, args);
}

int cmd_list(int argc, char** argv) {
  const std::string dir = argc > 2 ? argv[2] : "scenarios";
  int status = 0;
  for (const auto& file : scenario_files(dir)) {
    try {
      const Scenario s = load_scenario(file);
      std::printf("%-34s %6.0f s %6zu phones %2zu faults %2zu expectations%s  %s\n", s.name.c_str(),
                  s.duration_s, s.phones, s.faults.size(), s.expectations.size(),
                  s.long_run ? " long" : "     ", s.title.c_str());
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      status = kExitUsage;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "run") return cmd_run(argc, argv);
  if (command == "list") return cmd_list(argc, argv);
  if (command == "report") return resproxy::report::run_report(argc - 1, argv + 1);
  if (command == "-h" || command == "--help" || command == "help") {
    usage(std::cout);
    return 0;
  }
  std::cerr << "resproxy-harness: unknown command \"" << command << "\"\n";
  usage(std::cerr);
  return kExitUsage;
}
