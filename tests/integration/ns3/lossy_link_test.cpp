// The deterministic fault model: random loss from explicit streams, scripted outages, and the
// determinism proof (same seed → byte-identical trace, other seed → other trace, in one process).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>

#include "model/lossy_link.h"
#include "model/ns3_rng.h"
#include "model/simulation.h"
#include "model/sip_node_application.h"
#include "model/trace_collector.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

struct PingScenario {
  std::uint32_t seed = 1;
  double loss = 0.0;
  std::optional<std::pair<ns3::Time, ns3::Time>> outage;
  int count = 100;  // one ping every 100 ms from t = 1 s
};

struct PingRun {
  std::vector<std::string> trace;
  std::string hash;
  int sent = 0;
  std::vector<resproxy::TimePoint> send_times;
  std::set<int> answered;
  std::uint64_t link_drops = 0;
  std::uint64_t outage_drops = 0;
  std::uint64_t echo_datagrams_in = 0;
};

// phone 10.1.1.1 <-> 10.1.1.2 server over one 10 Mbps / 5 ms link with loss and/or an outage.
PingRun run_ping(const PingScenario& scenario) {
  Simulation sim(scenario.seed, /*run=*/1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, /*first_stream=*/1000);
  LossyLink link(nodes.Get(0), nodes.Get(1),
                 {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(5), .loss = scenario.loss,
                  .rng_stream = 100},
                 "10.1.1.0");
  if (scenario.outage) link.schedule_outage(scenario.outage->first, scenario.outage->second);
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  auto ping_owned = std::make_unique<PingNode>(
      PingConfig{.local = link.address_a(5060), .peer = link.address_b(5060),
                 .first_send = to_core(ns3::Seconds(1)), .count = scenario.count},
      sim.rng(1), sim.trace().sink_for("phone"));
  PingNode& ping = *ping_owned;
  install_sip_node(nodes.Get(0), std::move(ping_owned), ns3::Seconds(1), ns3::Seconds(30));
  auto server = install_sip_node(nodes.Get(1),
                                 std::make_unique<EchoNode>(sim.trace().sink_for("server")),
                                 ns3::Seconds(0.5), ns3::Seconds(30));
  sim.run_until(ns3::Seconds(31));

  PingRun run;
  run.trace = sim.trace().lines();
  run.hash = sim.trace().hash_hex();
  run.sent = ping.sent();
  run.send_times = ping.send_times();
  run.answered = ping.answered();
  run.link_drops = link.dropped();
  run.outage_drops = link.errors_at_a()->GetDroppedInOutage() + link.errors_at_b()->GetDroppedInOutage();
  run.echo_datagrams_in = server->GetCounters().datagrams_in;
  return run;
}

TEST(Ns3LossyLink, RandomLossDropsSomeButNotAll) {
  const PingRun run = run_ping({.seed = 1, .loss = 0.1, .outage = std::nullopt, .count = 200});
  EXPECT_EQ(run.sent, 200);
  EXPECT_GT(run.link_drops, 0u);
  // Two independent 10% chances per round trip: about 38 of 200 lost; far from 0 and 200.
  EXPECT_GT(run.answered.size(), 120u);
  EXPECT_LT(run.answered.size(), 195u);
  EXPECT_LT(run.echo_datagrams_in, 200u);
  EXPECT_GE(run.echo_datagrams_in, run.answered.size());
}

TEST(Ns3LossyLink, NoLossAndNoOutageDropsNothing) {
  const PingRun run = run_ping({.seed = 1, .loss = 0.0, .outage = std::nullopt, .count = 50});
  EXPECT_EQ(run.link_drops, 0u);
  EXPECT_EQ(run.answered.size(), 50u);
}

TEST(Ns3LossyLink, ScheduledOutageDropsExactlyThePingsThatArriveDuringIt) {
  // Outage [5 s, 8 s): the pings sent at 5.0 … 7.9 s (seq 40 … 69) arrive inside it.
  const PingRun run = run_ping({.seed = 1, .loss = 0.0, .outage = {{ns3::Seconds(5), ns3::Seconds(8)}}, .count = 100});
  ASSERT_EQ(run.sent, 100);
  std::set<int> want;
  for (int seq = 0; seq < 100; ++seq) {
    if (seq < 40 || seq >= 70) want.insert(seq);
  }
  EXPECT_EQ(run.answered, want);
  EXPECT_EQ(run.outage_drops, run.link_drops);
  EXPECT_GE(run.outage_drops, 30u);
}

TEST(Ns3LossyLink, SameSeedGivesByteIdenticalTraceAndOtherSeedDoesNot) {
  const PingScenario scenario{.seed = 7, .loss = 0.2, .outage = {{ns3::Seconds(3), ns3::Seconds(4)}},
                              .count = 60};
  const PingRun first = run_ping(scenario);
  const PingRun second = run_ping(scenario);  // same process: ns-3 stream counters have moved on
  PingScenario other = scenario;
  other.seed = 8;
  const PingRun third = run_ping(other);
  const PingRun fourth = run_ping(scenario);  // and back

  RecordProperty("trace_hash_seed7", first.hash);
  RecordProperty("trace_hash_seed8", third.hash);
  ASSERT_GT(first.trace.size(), 60u);
  EXPECT_EQ(first.trace, second.trace);
  EXPECT_EQ(first.hash, second.hash);
  EXPECT_EQ(first.trace, fourth.trace);
  EXPECT_NE(first.hash, third.hash);
  // Different tokens (Ns3Rng) and different drops (LossyErrorModel) under the other seed.
  EXPECT_NE(first.answered, third.answered);
  EXPECT_NE(first.trace.front(), third.trace.front());
  // The timing skeleton does not depend on the seed.
  EXPECT_EQ(first.send_times, third.send_times);
}

TEST(Ns3LossyLink, Ns3RngFollowsSeedAndStream) {
  auto draw = [](std::uint32_t seed, std::int64_t stream) {
    Simulation sim(seed, 1);
    return sim.rng(stream).token(16);
  };
  EXPECT_EQ(draw(1, 1), draw(1, 1));
  EXPECT_NE(draw(1, 1), draw(2, 1));
  EXPECT_NE(draw(1, 1), draw(1, 2));
}

}  // namespace
}  // namespace resproxy::model::test_nodes
