// The exchange on the ns-3 runtime: two nodes on a point-to-point link whose receive side loses
// datagrams with the configured probability, drawn from explicit ns-3 RNG streams; the core
// Rngs draw from their own explicit streams. Same seed, same trace, byte for byte.
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>

#include <memory>

#include "harness/exchange.h"
#include "model/lossy_link.h"
#include "model/simulation.h"
#include "model/options_responder.h"

namespace resproxy::harness {

namespace {
// Explicit ns-3 stream numbers (ns-3 notes §6: never rely on automatic numbering).
constexpr std::int64_t kResponderRngStream = 1;
constexpr std::int64_t kProberRngStream = 2;
constexpr std::int64_t kLinkRngStream = 10;      // and 11
constexpr std::int64_t kInternetRngStream = 1000;
}  // namespace

ExchangeResult run_ns3_exchange(const ExchangeConfig& config) {
  ExchangeResult result;
  result.runtime = "ns-3";
  // ns-3's seed is the scenario's; the run number stays 1 so a seed alone names a run.
  model::Simulation sim(static_cast<std::uint32_t>(config.seed == 0 ? 1 : config.seed), 1);

  ns3::NodeContainer nodes;  // 0: prober, 1: responder
  nodes.Create(2);
  model::install_internet(nodes, kInternetRngStream);
  model::LossyLink link(nodes.Get(0), nodes.Get(1),
                        {.data_rate = "10Mbps",
                         .delay = ns3::MilliSeconds(5),
                         .loss = config.loss,
                         .rng_stream = kLinkRngStream},
                        "10.1.1.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  const Address responder_address = link.address_b(5060);
  const Address prober_address = link.address_a(5060);
  const auto start = std::chrono::seconds(1);
  const Duration run_for = start + config.probes * config.interval +
                           config.timers.timer_f() + std::chrono::seconds(2);

  auto responder_owned = std::make_unique<model::OptionsResponder>(
      transaction::SipNodeConfig{.transport = {.local = responder_address},
                                 .timers = config.timers},
      sim.rng(kResponderRngStream), sim.trace().sink_for("responder"));
  auto& responder = *responder_owned;
  // Field by field: g++ 12 at -O2 warns (maybe-uninitialized) on a designated initializer here.
  model::ProbeSchedule schedule;
  schedule.target.transport = Transport::Udp;
  schedule.target.remote = responder_address;
  schedule.request_uri = "sip:ping@" + responder_address.to_string();
  schedule.first_at = TimePoint{start};
  schedule.interval = config.interval;
  schedule.count = config.probes;
  auto prober_owned = std::make_unique<model::OptionsProber>(
      transaction::SipNodeConfig{.transport = {.local = prober_address}, .timers = config.timers},
      schedule, sim.rng(kProberRngStream), sim.trace().sink_for("prober"));
  auto& prober = *prober_owned;
  const ns3::Time stop = ns3::NanoSeconds(run_for.count());
  model::install_sip_node(nodes.Get(1), std::move(responder_owned), ns3::Seconds(0), stop);
  model::install_sip_node(nodes.Get(0), std::move(prober_owned), ns3::Seconds(0), stop);

  sim.run_until(stop);

  result.probes = prober.results();
  result.answered = prober.answered();
  result.failed = prober.failed();
  result.client_retransmissions = prober.transactions().counters().retransmissions_sent;
  result.server_retransmissions = responder.transactions().counters().retransmissions_sent;
  result.requests_answered = responder.counters().options_answered;
  result.datagrams_lost = link.dropped();
  if (!result.probes.empty()) {
    TimePoint last = result.probes.front().sent_at;
    for (const auto& p : result.probes) last = std::max(last, p.answered_at.value_or(p.sent_at));
    result.elapsed = last - result.probes.front().sent_at;
  }
  result.trace = sim.trace().lines();
  result.trace_hash = hash_lines(result.trace);
  return result;
}

}  // namespace resproxy::harness
