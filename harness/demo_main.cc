// resproxy-demo: the same core (OptionsProber, OptionsResponder, the transaction and transport
// layers) over a lossy link, natively on loopback and inside ns-3. See README "Quick start".
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness/exchange.h"

namespace {

void usage() {
  std::puts(
      "usage: resproxy-demo [options]\n"
      "  --runtime native|ns3|both   which runtime(s) to run (default both)\n"
      "  --seed N                    seed of the loss pattern and the core Rngs (default 1)\n"
      "  --loss P                    datagram loss probability per direction (default 0.2)\n"
      "  --probes N                  OPTIONS probes to send (default 20)\n"
      "  --interval-ms N             time between probes (default 250)\n"
      "  --t1-ms N                   RFC 3261 T1; T2 = 8*T1, T4 = 10*T1 (default 100)\n"
      "  --ipv6                      native run on ::1 instead of 127.0.0.1\n"
      "  --trace FILE                write the event traces (JSON lines) to FILE");
}

long long number(std::string_view flag, const char* value) {
  char* end = nullptr;
  const long long n = std::strtoll(value, &end, 10);
  if (end == value || *end != '\0' || n < 0) {
    throw std::invalid_argument(std::string(flag) + ": not a non-negative integer: " + value);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace resproxy;
  harness::ExchangeConfig config;
  std::string runtime = "both";
  std::string trace_file;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      auto value = [&]() -> const char* {
        if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": missing value");
        return argv[++i];
      };
      if (arg == "--help" || arg == "-h") {
        usage();
        return 0;
      } else if (arg == "--runtime") {
        runtime = value();
        if (runtime != "native" && runtime != "ns3" && runtime != "both") {
          throw std::invalid_argument("--runtime: allowed values are native, ns3, both");
        }
      } else if (arg == "--seed") {
        config.seed = static_cast<std::uint64_t>(number(arg, value()));
      } else if (arg == "--loss") {
        const char* v = value();
        char* end = nullptr;
        config.loss = std::strtod(v, &end);
        if (end == v || *end != '\0' || config.loss < 0 || config.loss > 0.9) {
          throw std::invalid_argument("--loss: a probability between 0 and 0.9");
        }
      } else if (arg == "--probes") {
        config.probes = static_cast<int>(number(arg, value()));
      } else if (arg == "--interval-ms") {
        config.interval = std::chrono::milliseconds(number(arg, value()));
      } else if (arg == "--t1-ms") {
        const auto t1 = std::chrono::milliseconds(number(arg, value()));
        if (t1.count() == 0) throw std::invalid_argument("--t1-ms: must be positive");
        config.timers = {.t1 = t1, .t2 = 8 * t1, .t4 = 10 * t1};
      } else if (arg == "--ipv6") {
        config.loopback_ip = "::1";
      } else if (arg == "--trace") {
        trace_file = value();
      } else {
        throw std::invalid_argument("unknown option " + std::string(arg) + " (see --help)");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "resproxy-demo: %s\n", e.what());
    return 2;
  }

  std::printf(
      "resproxy-demo: %d OPTIONS probes, one every %lld ms, %.0f%% datagram loss each way, "
      "T1 %lld ms, seed %llu\n\n",
      config.probes, static_cast<long long>(config.interval / std::chrono::milliseconds(1)),
      config.loss * 100, static_cast<long long>(config.timers.t1 / std::chrono::milliseconds(1)),
      static_cast<unsigned long long>(config.seed));
  std::ofstream trace;
  if (!trace_file.empty()) {
    trace.open(trace_file);
    if (!trace) {
      std::fprintf(stderr, "resproxy-demo: cannot write %s\n", trace_file.c_str());
      return 2;
    }
  }
  bool ok = true;
  try {
    if (runtime != "ns3") {
      const auto native = harness::run_native_exchange(config);
      std::fputs(harness::format_result(native).c_str(), stdout);
      std::puts("");
      for (const auto& line : native.trace) trace << line << '\n';
      ok = ok && native.answered + native.failed == config.probes;
    }
    if (runtime != "native") {
      const auto first = harness::run_ns3_exchange(config);
      const auto second = harness::run_ns3_exchange(config);
      std::fputs(harness::format_result(first).c_str(), stdout);
      std::printf("ns-3 rerun with the same seed: trace hash %s (%s)\n", second.trace_hash.c_str(),
                  second.trace == first.trace ? "byte-identical" : "DIFFERENT: determinism broken");
      for (const auto& line : first.trace) trace << line << '\n';
      ok = ok && second.trace == first.trace && first.answered + first.failed == config.probes;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "resproxy-demo: %s\n", e.what());
    return 1;
  }
  return ok ? 0 : 1;
}
