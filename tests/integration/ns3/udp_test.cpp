// UDP over the ns-3 runtime: ping/echo across a routed three-node topology.
#include <gtest/gtest.h>

#include <memory>

#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>

#include "model/lossy_link.h"
#include "model/ns3_rng.h"
#include "model/sip_node_application.h"
#include "model/trace_collector.h"
#include "model/simulation.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

TEST(Ns3Udp, PingEchoAcrossRouterWithSymmetricPaths) {
  Simulation sim(/*seed=*/1, /*run=*/1);
  TraceCollector& trace = sim.trace();
  Ns3Rng& rng = sim.rng(/*stream=*/1);

  ns3::NodeContainer nodes;  // 0: phone, 1: router, 2: server
  nodes.Create(3);
  install_internet(nodes, 1000);
  LossyLink left(nodes.Get(0), nodes.Get(1), {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(5)},
                 "10.1.1.0");
  LossyLink right(nodes.Get(1), nodes.Get(2), {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(5), .rng_stream = 2},
                  "10.1.2.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  const resproxy::Address phone = left.address_a(5060);
  const resproxy::Address server = right.address_b(5060);
  auto ping_owned = std::make_unique<PingNode>(
      PingConfig{.local = phone, .peer = server, .first_send = to_core(ns3::Seconds(1)), .count = 20},
      rng, trace.sink_for("phone"));
  auto echo_owned = std::make_unique<EchoNode>(trace.sink_for("server"));
  PingNode& ping = *ping_owned;
  EchoNode& echo = *echo_owned;
  auto phone_app = install_sip_node(nodes.Get(0), std::move(ping_owned), ns3::Seconds(1), ns3::Seconds(10));
  auto server_app = install_sip_node(nodes.Get(2), std::move(echo_owned), ns3::Seconds(0.5), ns3::Seconds(10));

  sim.run_until(ns3::Seconds(11));

  EXPECT_EQ(ping.sent(), 20);
  EXPECT_EQ(ping.answered().size(), 20u);
  EXPECT_EQ(ping.bad_pongs(), 0);
  // Pings leave every 100 ms on the dot from the start of the application.
  ASSERT_EQ(ping.send_times().size(), 20u);
  for (std::size_t i = 0; i < ping.send_times().size(); ++i) {
    EXPECT_EQ(ping.send_times()[i], to_core(ns3::Seconds(1)) + i * 100ms) << i;
  }
  // Symmetric signalling: the server sees the phone's listening address:port as the source,
  // on its own listening address; the phone sees the server's listening address:port.
  ASSERT_EQ(echo.datagram_paths().size(), 20u);
  for (const auto& path : echo.datagram_paths()) {
    EXPECT_EQ(path.transport, resproxy::Transport::Udp);
    EXPECT_EQ(path.remote, phone);
    EXPECT_EQ(path.local, server);
    EXPECT_EQ(path.stream.value, 0u);
  }
  for (const auto& path : ping.pong_paths()) {
    EXPECT_EQ(path.remote, server);
    EXPECT_EQ(path.local, phone);
  }
  EXPECT_EQ(phone_app->GetCounters().datagrams_out, 20u);
  EXPECT_EQ(phone_app->GetCounters().datagrams_in, 20u);
  EXPECT_EQ(server_app->GetCounters().datagrams_in, 20u);
  EXPECT_EQ(server_app->GetCounters().datagrams_out, 20u);
  EXPECT_EQ(phone_app->GetCounters().datagram_send_failures, 0u);
  EXPECT_EQ(trace.lines_with_event("ping.pong_received").size(), 20u);
  EXPECT_EQ(left.dropped() + right.dropped(), 0u);
  // One trace for the whole simulation, in simulation order; the phone speaks first.
  EXPECT_NE(trace.lines().front().find("\"node\":\"phone\""), std::string::npos);
}

TEST(Ns3Udp, ListensOnEveryIpv4AddressOfTheNode) {
  Simulation sim(1, 1);
  TraceCollector& trace = sim.trace();
  ns3::NodeContainer nodes;
  nodes.Create(3);
  install_internet(nodes, 1000);
  LossyLink left(nodes.Get(0), nodes.Get(1), {}, "10.1.1.0");
  LossyLink right(nodes.Get(1), nodes.Get(2), {.rng_stream = 2}, "10.1.2.0");
  auto app = install_sip_node(nodes.Get(1), std::make_unique<EchoNode>(trace.sink_for("router")),
                          ns3::Seconds(0), ns3::Seconds(1), 5070);
  sim.run_until(ns3::Seconds(0.5));
  const std::vector<resproxy::Address> want{
      {"127.0.0.1", 5070}, left.address_b(5070), right.address_a(5070)};
  EXPECT_EQ(app->GetListeningAddresses(), want);
}

TEST(Ns3Udp, AddressConversionsRoundTripAndRejectNonIpv4) {
  EXPECT_EQ(to_resproxy(ns3::Ipv4Address("10.1.2.3"), 5060), (resproxy::Address{"10.1.2.3", 5060}));
  auto inet = to_ns3(resproxy::Address{"192.168.0.254", 15060});
  ASSERT_TRUE(inet.has_value());
  EXPECT_EQ(inet->GetIpv4(), ns3::Ipv4Address("192.168.0.254"));
  EXPECT_EQ(inet->GetPort(), 15060);
  EXPECT_EQ(to_resproxy(ns3::Address(*inet)), (resproxy::Address{"192.168.0.254", 15060}));
  EXPECT_FALSE(to_ns3(resproxy::Address{"::1", 5060}).has_value());
  EXPECT_FALSE(parse_ipv4("10.1.2").has_value());
  EXPECT_FALSE(parse_ipv4("10.1.2.256").has_value());
  EXPECT_FALSE(parse_ipv4("10.1.2.3 ").has_value());
  EXPECT_FALSE(parse_ipv4("").has_value());
}

}  // namespace
}  // namespace resproxy::model::test_nodes
