// TCP over the ns-3 runtime: OpenStream/WriteStream/CloseStream, accept, echo, close reasons.
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

struct TcpRun {
  std::optional<resproxy::Path> client_opened;
  std::optional<resproxy::StreamCloseReason> client_closed;
  std::optional<resproxy::TimePoint> client_closed_at;
  std::size_t echoed = 0;
  bool echo_matches = false;
  std::vector<resproxy::Path> server_opened;
  std::map<std::uint64_t, resproxy::StreamCloseReason> server_closed;
  std::uint64_t server_bytes = 0;
  SipNodeCounters client_counters;
  SipNodeCounters server_counters;
  std::uint64_t link_drops = 0;
  resproxy::Address client_address;
  resproxy::Address server_address;
};

// Client at 10.1.1.1 streams `bytes` to the echo server at 10.1.1.2:5060 and back.
TcpRun run_tcp_echo(std::size_t bytes, std::uint16_t server_port, double loss,
                    ns3::Time horizon = ns3::Seconds(30)) {
  Simulation sim(1, 1);
  TraceCollector& trace = sim.trace();
  Ns3Rng& rng = sim.rng(1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, 1000);
  LossyLink link(nodes.Get(0), nodes.Get(1),
                 {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(10), .loss = loss, .rng_stream = 100},
                 "10.1.1.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  TcpRun run;
  run.client_address = link.address_a(5060);
  run.server_address = link.address_b(5060);
  auto client_owned = std::make_unique<StreamClientNode>(
      StreamClientConfig{.local = run.client_address,
                         .remote = link.address_b(server_port),
                         .start = to_core(ns3::Seconds(1)),
                         .total_bytes = bytes},
      rng, trace.sink_for("client"));
  auto server_owned = std::make_unique<EchoNode>(trace.sink_for("server"));
  StreamClientNode& client = *client_owned;
  EchoNode& server = *server_owned;
  auto client_app = install_sip_node(nodes.Get(0), std::move(client_owned), ns3::Seconds(1), horizon);
  auto server_app = install_sip_node(nodes.Get(1), std::move(server_owned), ns3::Seconds(0.5), horizon);
  sim.run_until(horizon);

  run.client_opened = client.opened_path();
  run.client_closed = client.close_reason();
  run.client_closed_at = client.closed_at();
  run.echoed = client.echoed();
  run.echo_matches = client.echo_matches();
  run.server_opened = server.opened();
  run.server_closed = server.closed();
  run.server_bytes = server.stream_bytes();
  run.client_counters = client_app->GetCounters();
  run.server_counters = server_app->GetCounters();
  run.link_drops = link.dropped();
  return run;
}

TEST(Ns3Tcp, EchoesMoreThanTheSendBufferAndClosesCleanly) {
  // 300 kB: more than ns-3's default 128 KiB TCP send buffer, so the runtime must queue the
  // single WriteStream and feed it in as GetTxAvailable() allows.
  constexpr std::size_t kBytes = 300 * 1000;
  const TcpRun run = run_tcp_echo(kBytes, 5060, 0.0);

  ASSERT_TRUE(run.client_opened.has_value());
  EXPECT_EQ(run.client_opened->transport, resproxy::Transport::Tcp);
  EXPECT_EQ(run.client_opened->stream, StreamClientNode::kStream);
  EXPECT_EQ(run.client_opened->local.ip, run.client_address.ip);
  EXPECT_NE(run.client_opened->local.port, 0);
  EXPECT_EQ(run.client_opened->remote, run.server_address);

  EXPECT_EQ(run.echoed, kBytes);
  EXPECT_TRUE(run.echo_matches);
  EXPECT_EQ(run.server_bytes, kBytes);
  ASSERT_EQ(run.server_opened.size(), 1u);
  EXPECT_EQ(run.server_opened[0].stream.value, 1u);  // accepted streams count from 1
  EXPECT_EQ(run.server_opened[0].local, run.server_address);
  EXPECT_EQ(run.server_opened[0].remote, run.client_opened->local);

  // The client closed on completion (LocalClose); the server saw the FIN (PeerClosed).
  EXPECT_EQ(run.client_closed, resproxy::StreamCloseReason::LocalClose);
  ASSERT_EQ(run.server_closed.size(), 1u);
  EXPECT_EQ(run.server_closed.at(1), resproxy::StreamCloseReason::PeerClosed);

  EXPECT_EQ(run.client_counters.streams_connected, 1u);
  EXPECT_EQ(run.client_counters.stream_bytes_out, kBytes);
  EXPECT_EQ(run.client_counters.stream_bytes_in, kBytes);
  EXPECT_EQ(run.server_counters.streams_accepted, 1u);
  EXPECT_EQ(run.server_counters.streams_closed, 1u);
  EXPECT_EQ(run.client_counters.effects_dropped, 0u);
  EXPECT_EQ(run.server_counters.effects_dropped, 0u);
}

TEST(Ns3Tcp, SurvivesALossyLinkThroughRetransmission) {
  constexpr std::size_t kBytes = 50 * 1000;
  const TcpRun run = run_tcp_echo(kBytes, 5060, 0.02);
  EXPECT_GT(run.link_drops, 0u);
  EXPECT_EQ(run.echoed, kBytes);
  EXPECT_TRUE(run.echo_matches);
  EXPECT_EQ(run.client_closed, resproxy::StreamCloseReason::LocalClose);
}

TEST(Ns3Tcp, ConnectToAPortWithoutListenerReportsConnectFailed) {
  // ns-3 3.37 answers the SYN with a RST that carries no timestamp option, and a SYN_SENT socket
  // with timestamps on (the default) discards it. So a refused connect fails only once the SYN
  // retries (TcpSocket::ConnCount = 6, RTO from 3 s doubling) are exhausted.
  const TcpRun run = run_tcp_echo(1000, 5999, 0.0, ns3::Seconds(1000));
  EXPECT_FALSE(run.client_opened.has_value());
  EXPECT_EQ(run.client_closed, resproxy::StreamCloseReason::ConnectFailed);
  EXPECT_EQ(run.client_closed_at, to_core(ns3::Seconds(190)));  // SYNs at 1, 4, 10, … 94 s
  EXPECT_EQ(run.client_counters.streams_connect_failed, 1u);
  EXPECT_EQ(run.client_counters.stream_bytes_out, 0u);
  EXPECT_TRUE(run.server_opened.empty());
}

TEST(Ns3Tcp, UnusableAddressFailsTheConnectAtOnceAndDropsQueuedWrites) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;
  nodes.Create(1);
  install_internet(nodes, 1000);
  auto owned = std::make_unique<StreamClientNode>(
      StreamClientConfig{.local = {"127.0.0.1", 5060},
                         .remote = {"::1", 5060},  // IPv6: not supported by the ns-3 runtime yet
                         .start = to_core(ns3::Seconds(1)),
                         .total_bytes = 100},
      sim.rng(1), sim.trace().sink_for("client"));
  StreamClientNode& client = *owned;
  auto app = install_sip_node(nodes.Get(0), std::move(owned), ns3::Seconds(1), ns3::Seconds(5));
  sim.run_until(ns3::Seconds(10));
  EXPECT_EQ(client.close_reason(), resproxy::StreamCloseReason::ConnectFailed);
  EXPECT_EQ(client.closed_at(), to_core(ns3::Seconds(1)));
  EXPECT_EQ(app->GetCounters().streams_connect_failed, 1u);
  EXPECT_EQ(app->GetCounters().effects_dropped, 1u);  // the WriteStream queued behind the open
}

// ns-3 has no TLS: a TLS stream is answered Unsupported at once, the way this runtime answers
// every capability it lacks, and nothing is sent.
TEST(Ns3Tcp, ATlsStreamIsAnsweredUnsupported) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;
  nodes.Create(1);
  install_internet(nodes, 1000);
  auto owned = std::make_unique<StreamClientNode>(
      StreamClientConfig{.local = {"10.1.1.1", 5061},
                         .remote = {"10.1.1.2", 5061},
                         .start = to_core(ns3::Seconds(1)),
                         .total_bytes = 100,
                         .transport = resproxy::Transport::Tls},
      sim.rng(1), sim.trace().sink_for("client"));
  StreamClientNode& client = *owned;
  auto app = install_sip_node(nodes.Get(0), std::move(owned), ns3::Seconds(1), ns3::Seconds(5));
  sim.run_until(ns3::Seconds(10));
  EXPECT_EQ(client.close_reason(), resproxy::StreamCloseReason::Unsupported);
  EXPECT_EQ(client.closed_at(), to_core(ns3::Seconds(1)));
  EXPECT_EQ(app->GetCounters().streams_unsupported, 1u);
  EXPECT_EQ(app->GetCounters().stream_bytes_out, 0u);
  EXPECT_EQ(app->GetCounters().effects_dropped, 1u);  // the WriteStream queued behind the open
}

}  // namespace
}  // namespace resproxy::model::test_nodes
