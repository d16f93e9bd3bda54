#pragma once
// The one-core demonstration (issue: foundation, item 6): an OptionsProber sends OPTIONS through
// client non-INVITE transactions to an OptionsResponder over a link that loses datagrams, once on
// the native runtime (real UDP sockets on loopback, loss injected in the send path) and once on
// the ns-3 runtime (a point-to-point link with a seeded error model). Same core classes, same
// configuration, two runtimes.
#include <cstdint>
#include <string>
#include <vector>

#include "model/options_prober.h"
#include "proxy/transaction/timer_config.h"

namespace resproxy::harness {

using namespace std::chrono_literals;

struct ExchangeConfig {
  std::uint64_t seed = 1;
  double loss = 0.2;  // probability that one datagram is lost, each direction
  int probes = 20;
  Duration interval = 250ms;
  transaction::TimerConfig timers{.t1 = 100ms, .t2 = 800ms, .t4 = 1s};
  std::string loopback_ip = "127.0.0.1";  // native only: 127.0.0.1 or ::1
};

struct ExchangeResult {
  std::string runtime;  // "native" or "ns-3"
  std::vector<model::ProbeResult> probes;
  int answered = 0;
  int failed = 0;
  std::uint64_t client_retransmissions = 0;  // Timer E
  std::uint64_t server_retransmissions = 0;  // final responses re-sent on a retransmitted request
  std::uint64_t requests_answered = 0;       // OPTIONS the responder's TU saw (once per probe)
  std::uint64_t datagrams_lost = 0;
  Duration elapsed{};                        // core time from the first probe to the last outcome
  std::vector<std::string> trace;            // JSON lines, both nodes, in order of emission
  std::string trace_hash;                    // FNV-1a 64 of the trace, 16 hex digits
};

ExchangeResult run_native_exchange(const ExchangeConfig& config);
ExchangeResult run_ns3_exchange(const ExchangeConfig& config);

// FNV-1a 64 over the lines (each followed by '\n'), as 16 lowercase hex digits.
std::string hash_lines(const std::vector<std::string>& lines);
// A human summary: one line per probe and the totals.
std::string format_result(const ExchangeResult& result);

}  // namespace resproxy::harness
