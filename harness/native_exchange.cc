// The exchange on the native runtime: two NativeRuntimes on one io_context, real UDP sockets on
// loopback, loss injected in each runtime's send path from a seeded Rng.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>

#include "harness/exchange.h"
#include "proxy/native/runtime.h"
#include "model/options_responder.h"

namespace resproxy::harness {

namespace {

// Collects the trace lines of both nodes in emission order.
class LinesSink final : public TraceSink {
 public:
  LinesSink(std::vector<std::string>& lines, std::string node) : lines_(lines), node_(std::move(node)) {}
  void emit(const TraceEvent& event) override { lines_.push_back(to_json_line(event, node_)); }

 private:
  std::vector<std::string>& lines_;
  std::string node_;
};

}  // namespace

ExchangeResult run_native_exchange(const ExchangeConfig& config) {
  ExchangeResult result;
  result.runtime = "native";
  boost::asio::io_context io;

  SeededRng server_rng(config.seed * 2 + 1);
  SeededRng client_rng(config.seed * 2 + 2);
  SeededRng loss_rng(config.seed ^ 0x5eedULL);
  LinesSink server_trace(result.trace, "responder");
  LinesSink client_trace(result.trace, "prober");

  const transaction::SipNodeConfig node_config{.transport = {.local = {config.loopback_ip, 0}},
                                               .timers = config.timers};
  model::OptionsResponder responder(node_config, server_rng, server_trace);
  native::NativeRuntime server(io, responder, {.ip = config.loopback_ip, .port = 0, .tcp = false});
  server.start();
  responder.transport().set_local(server.local_address());

  const Address target = server.local_address();
  const std::string host = target.is_ipv6() ? "[" + target.ip + "]" : target.ip;
  // Field by field: g++ 12 at -O2 warns (maybe-uninitialized) on a designated initializer here.
  model::ProbeSchedule schedule;
  schedule.target.transport = Transport::Udp;
  schedule.target.remote = target;
  schedule.request_uri = "sip:ping@" + host + ":" + std::to_string(target.port);
  schedule.first_at = server.now() + 20ms;  // both runtimes read the same steady clock
  schedule.interval = config.interval;
  schedule.count = config.probes;
  model::OptionsProber prober(node_config, schedule, client_rng, client_trace);
  native::NativeRuntime client(io, prober, {.ip = config.loopback_ip, .port = 0, .tcp = false});

  auto lose = [&loss_rng, &config](const SendDatagram&) {
    return static_cast<double>(loss_rng.uniform(1'000'000)) < config.loss * 1'000'000;
  };
  server.set_datagram_filter(lose);
  client.set_datagram_filter(lose);
  client.start();
  prober.transport().set_local(client.local_address());

  // Bounded: every probe is sent by first_at + count*interval and has an outcome by Timer F.
  const auto limit = std::chrono::steady_clock::now() + config.probes * config.interval +
                     config.timers.timer_f() + std::chrono::seconds(5);
  while (!prober.is_done() && std::chrono::steady_clock::now() < limit) {
    io.run_for(std::chrono::milliseconds(20));
  }
  client.stop();
  server.stop();
  io.run_for(std::chrono::milliseconds(10));

  result.probes = prober.results();
  result.answered = prober.answered();
  result.failed = prober.failed();
  result.client_retransmissions = prober.transactions().counters().retransmissions_sent;
  result.server_retransmissions = responder.transactions().counters().retransmissions_sent;
  result.requests_answered = responder.counters().options_answered;
  result.datagrams_lost = server.stats().datagrams_dropped + client.stats().datagrams_dropped;
  if (!result.probes.empty()) {
    TimePoint last = result.probes.front().sent_at;
    for (const auto& p : result.probes) last = std::max(last, p.answered_at.value_or(p.sent_at));
    result.elapsed = last - result.probes.front().sent_at;
  }
  result.trace_hash = hash_lines(result.trace);
  return result;
}

}  // namespace resproxy::harness
