#include "harness/exchange.h"

#include <cstdio>

namespace resproxy::harness {

std::string hash_lines(const std::vector<std::string>& lines) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  for (const auto& line : lines) {
    for (const char c : line) mix(static_cast<unsigned char>(c));
    mix('\n');
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

std::string format_result(const ExchangeResult& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "== %s runtime ==\n", r.runtime.c_str());
  out += line;
  out += "probe  sent_at_ms  outcome             rtt_ms\n";
  const TimePoint origin = r.probes.empty() ? TimePoint{} : r.probes.front().sent_at;
  for (const auto& p : r.probes) {
    const double sent_ms = std::chrono::duration<double, std::milli>(p.sent_at - origin).count();
    std::string outcome;
    double rtt_ms = 0;
    if (p.status != 0) {
      outcome = std::to_string(p.status);
      rtt_ms = std::chrono::duration<double, std::milli>(*p.answered_at - p.sent_at).count();
    } else if (p.error) {
      outcome = std::string(transaction::to_string(*p.error));
    } else {
      outcome = "pending";
    }
    std::snprintf(line, sizeof line, "%5d  %10.1f  %-18s  %6.1f\n", p.sequence, sent_ms,
                  outcome.c_str(), rtt_ms);
    out += line;
  }
  std::snprintf(line, sizeof line,
                "answered %d/%zu, failed %d; client retransmissions %llu, server "
                "retransmissions %llu, datagrams lost %llu; OPTIONS seen by the responder %llu\n"
                "trace: %zu events, hash %s\n",
                r.answered, r.probes.size(), r.failed,
                static_cast<unsigned long long>(r.client_retransmissions),
                static_cast<unsigned long long>(r.server_retransmissions),
                static_cast<unsigned long long>(r.datagrams_lost),
                static_cast<unsigned long long>(r.requests_answered), r.trace.size(),
                r.trace_hash.c_str());
  out += line;
  return out;
}

}  // namespace resproxy::harness
