// NativeRuntime on real loopback sockets: each test hosts TestNodes in runtimes bound to port 0
// on one io_context, and talks to them with plain Asio sockets or with another runtime.
#include "proxy/native/runtime.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>

#include <net/if.h>

#include <algorithm>

#include "proxy/native/os_rng.h"
#include "proxy/native/store.h"
#include "proxy/native/trace_sink.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::run_for;
using testing::run_until;
using testing::TestNode;
using namespace std::chrono_literals;

constexpr StreamId outbound(std::uint64_t n) { return StreamId{kOutboundStreamBit | n}; }

bool ipv6_loopback_available() {
  asio::io_context io;
  udp::socket s(io);
  boost::system::error_code ec;
  s.open(udp::v6(), ec);
  if (!ec) s.bind(udp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

// A plain UDP peer: sends, and collects what comes back.
struct UdpPeer {
  UdpPeer(asio::io_context& io, const std::string& ip)
      : socket(io, udp::endpoint(asio::ip::make_address(ip), 0)) {
    receive();
  }
  void send_to(const Address& to, const std::string& bytes) {
    socket.send_to(asio::buffer(bytes), udp::endpoint(asio::ip::make_address(to.ip), to.port));
  }
  void receive() {
    socket.async_receive_from(asio::buffer(buffer), sender,
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec) return;
                                received.emplace_back(buffer.data(), n);
                                senders.push_back(sender);
                                receive();
                              });
  }
  Address address() const {
    return Address{socket.local_endpoint().address().to_string(), socket.local_endpoint().port()};
  }

  udp::socket socket;
  std::array<char, 65536> buffer{};
  udp::endpoint sender;
  std::vector<std::string> received;
  std::vector<udp::endpoint> senders;
};

struct Fixture {
  explicit Fixture(std::string ip = "127.0.0.1") : config{.ip = std::move(ip)} {}

  std::unique_ptr<NativeRuntime> runtime_for(TestNode& node) {
    auto runtime = std::make_unique<NativeRuntime>(io, node, config);
    runtime->start();
    return runtime;
  }

  asio::io_context io;
  ListenConfig config;
};

void udp_echo_round_trip(const std::string& ip) {
  Fixture f(ip);
  TestNode node;
  node.echo_datagrams = true;
  auto runtime = f.runtime_for(node);
  const Address server = runtime->local_address();
  ASSERT_EQ(server.ip, ip);
  ASSERT_NE(server.port, 0);

  UdpPeer peer(f.io, ip);
  peer.send_to(server, "OPTIONS one");
  ASSERT_TRUE(run_until(f.io, [&] { return !peer.received.empty(); }));

  EXPECT_EQ(peer.received.front(), "OPTIONS one");
  // Symmetric signalling: the answer leaves from the port the request was sent to.
  EXPECT_EQ(peer.senders.front().port(), server.port);
  ASSERT_EQ(node.datagrams.size(), 1u);
  const Path& path = node.datagrams.front().path;
  EXPECT_EQ(path.transport, Transport::Udp);
  EXPECT_EQ(path.local, server);
  EXPECT_EQ(path.remote, peer.address());
  EXPECT_EQ(path.stream.value, 0u);
  const auto stats = runtime->stats();
  EXPECT_EQ(stats.datagrams_in, 1u);
  EXPECT_EQ(stats.datagrams_out, 1u);
  EXPECT_EQ(stats.bytes_in, 11u);
  EXPECT_EQ(stats.bytes_out, 11u);
  EXPECT_FALSE(node.time_went_backwards);
}

TEST(NativeRuntime, EchoesDatagramsOverIpv4) { udp_echo_round_trip("127.0.0.1"); }

TEST(NativeRuntime, EchoesDatagramsOverIpv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  udp_echo_round_trip("::1");
}

// Trust is by the interface a datagram arrived on (security/interfaces.h): the runtime tells
// the node the host's interfaces at start, and each datagram's interface (IP_PKTINFO).
TEST(NativeRuntime, ReportsTheHostsInterfacesAndTheInterfaceEachDatagramArrivedOn) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(runtime->local_address(), "OPTIONS where");
  ASSERT_TRUE(run_until(f.io, [&] { return node.datagrams.size() == 1; }));
  ASSERT_EQ(node.interface_updates.size(), 1u);  // at start; unchanged since
  const auto& interfaces = node.interface_updates.front();
  const auto lo = std::find_if(interfaces.begin(), interfaces.end(),
                               [](const NetInterface& i) { return i.loopback; });
  ASSERT_NE(lo, interfaces.end());
  EXPECT_EQ(lo->index, if_nametoindex(lo->name.c_str()));
  EXPECT_NE(std::find(lo->networks.begin(), lo->networks.end(), "127.0.0.1/8"), lo->networks.end());
  EXPECT_EQ(node.datagrams.front().path.interface, lo->index);
}

// Overload is measured by how long datagrams waited in the kernel (SO_TIMESTAMPNS): datagrams
// that arrive while the io thread is busy elsewhere are reported with their wait.
TEST(NativeRuntime, ReportsHowLongDatagramsWaitedInTheKernel) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  ASSERT_TRUE(testing::await_kernel_receive_timestamps());
  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(runtime->local_address(), "OPTIONS prompt");
  ASSERT_TRUE(run_until(f.io, [&] { return node.datagrams.size() == 1; }));
  ASSERT_EQ(node.receive_delays.size(), 1u);
  EXPECT_LT(node.receive_delays[0], std::chrono::milliseconds(200));
  // The io thread is away (a slow input, a slow disk): the next ones wait.
  peer.send_to(runtime->local_address(), "OPTIONS late 1");
  peer.send_to(runtime->local_address(), "OPTIONS late 2");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(run_until(f.io, [&] { return node.datagrams.size() == 3; }));
  ASSERT_GE(node.receive_delays.size(), 2u);
  EXPECT_GE(node.receive_delays[1], std::chrono::milliseconds(250));
  EXPECT_LT(node.receive_delays[1], std::chrono::seconds(5));
}

TEST(NativeRuntime, ListensOnUdpAndTcpOnTheSamePort) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  const Address server = runtime->local_address();

  UdpPeer udp_peer(f.io, "127.0.0.1");
  udp_peer.send_to(server, "over udp");
  tcp::socket tcp_peer(f.io);
  tcp_peer.connect(tcp::endpoint(asio::ip::make_address(server.ip), server.port));
  asio::write(tcp_peer, asio::buffer(std::string("over tcp")));

  ASSERT_TRUE(run_until(f.io, [&] {
    return node.datagrams.size() == 1 && node.stream_bytes[1] == "over tcp";
  }));
  EXPECT_EQ(node.datagrams.front().bytes, "over udp");
  ASSERT_EQ(node.opened.size(), 1u);
  EXPECT_EQ(node.opened.front().transport, Transport::Tcp);
  EXPECT_EQ(node.opened.front().local, server);
  EXPECT_EQ(node.opened.front().remote.port, tcp_peer.local_endpoint().port());
}

TEST(NativeRuntime, ListensOnTheAnyAddress) {
  Fixture f("0.0.0.0");
  TestNode node;
  node.echo_datagrams = true;
  auto runtime = f.runtime_for(node);
  const Address server{"127.0.0.1", runtime->local_address().port};
  EXPECT_EQ(runtime->local_address().ip, "0.0.0.0");

  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(server, "to any");
  tcp::socket tcp_peer(f.io);
  tcp_peer.connect(tcp::endpoint(asio::ip::make_address(server.ip), server.port));
  ASSERT_TRUE(run_until(f.io, [&] { return !peer.received.empty() && node.opened.size() == 1; }));
  EXPECT_EQ(peer.received.front(), "to any");
  EXPECT_EQ(node.opened.front().local, server);  // an accepted stream knows its real address
}

TEST(NativeRuntime, ListensOnUdpOrTcpAlone) {
  Fixture f;
  TestNode udp_node;
  f.config.tcp = false;
  auto udp_only = f.runtime_for(udp_node);
  TestNode tcp_node;
  f.config.tcp = true;
  f.config.udp = false;
  auto tcp_only = f.runtime_for(tcp_node);

  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(udp_only->local_address(), "udp");
  tcp::socket tcp_peer(f.io);
  tcp_peer.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_only->local_address().port));
  ASSERT_TRUE(run_until(f.io, [&] { return udp_node.datagrams.size() == 1 && tcp_node.opened.size() == 1; }));
}

TEST(NativeRuntime, NumbersAcceptedStreamsFromOne) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), runtime->local_address().port);
  tcp::socket first(f.io);
  first.connect(server);
  ASSERT_TRUE(run_until(f.io, [&] { return node.opened.size() == 1; }));
  tcp::socket second(f.io);
  second.connect(server);
  ASSERT_TRUE(run_until(f.io, [&] { return node.opened.size() == 2; }));

  EXPECT_EQ(node.opened[0].stream.value, 1u);
  EXPECT_EQ(node.opened[1].stream.value, 2u);
  EXPECT_EQ(runtime->stats().streams_accepted, 2u);
}

// Runtime A opens a stream to runtime B, which echoes; A's writes are queued before the
// connection is up.
void tcp_echo_between_runtimes(const std::string& ip) {
  Fixture f(ip);
  TestNode client;
  TestNode server;
  server.echo_streams = true;
  auto a = f.runtime_for(client);
  auto b = f.runtime_for(server);
  const StreamId id = outbound(7);

  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = id, .local = a->local_address(), .remote = b->local_address()});
    client.emit(WriteStream{.stream = id, .bytes = "REGISTER "});
    client.emit(WriteStream{.stream = id, .bytes = "sip:example.com"});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return client.stream_bytes[id.value] == "REGISTER sip:example.com"; }));

  ASSERT_EQ(client.opened.size(), 1u);
  const Path& out = client.opened.front();
  EXPECT_EQ(out.transport, Transport::Tcp);
  EXPECT_EQ(out.stream, id);
  EXPECT_EQ(out.remote, b->local_address());
  EXPECT_EQ(out.local.ip, ip);  // leaves from the listening address
  ASSERT_EQ(server.opened.size(), 1u);
  const Path& in = server.opened.front();
  EXPECT_EQ(in.stream.value, 1u);  // the runtime's own numbering, no kOutboundStreamBit
  EXPECT_EQ(in.local, b->local_address());
  EXPECT_EQ(in.remote, out.local);
  EXPECT_EQ(server.stream_bytes[1], "REGISTER sip:example.com");
  EXPECT_EQ(a->stats().streams_opened, 1u);
  EXPECT_EQ(b->stats().streams_accepted, 1u);
  EXPECT_EQ(a->stats().bytes_out, 24u);
  EXPECT_EQ(a->stats().bytes_in, 24u);
  EXPECT_TRUE(client.closed.empty());
  EXPECT_TRUE(server.closed.empty());
}

TEST(NativeRuntime, EchoesStreamsBetweenTwoRuntimesOverIpv4) { tcp_echo_between_runtimes("127.0.0.1"); }

TEST(NativeRuntime, EchoesStreamsBetweenTwoRuntimesOverIpv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  tcp_echo_between_runtimes("::1");
}

TEST(NativeRuntime, KeepsTheOrderOfManyWrites) {
  Fixture f;
  TestNode client;
  TestNode server;
  auto a = f.runtime_for(client);
  auto b = f.runtime_for(server);
  const StreamId id = outbound(1);
  std::string want;
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = id, .local = a->local_address(), .remote = b->local_address()});
    for (int i = 0; i < 2000; ++i) {
      std::string chunk = "message " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 97), 'x') + "\n";
      want += chunk;
      client.emit(WriteStream{.stream = id, .bytes = std::move(chunk)});
    }
  });
  ASSERT_TRUE(run_until(f.io, [&] { return server.stream_bytes[1].size() >= want.size(); }));
  EXPECT_EQ(server.stream_bytes[1], want);
}

// Write-queue budgets (issue #10 point 5): a peer that does not read loses its connection
// rather than the process its memory — per stream, and for all streams together.
TEST(NativeRuntime, AStreamOverItsWriteBudgetIsResetAndSoIsOneOverTheGlobalBudget) {
  Fixture f;
  f.config.max_queued_bytes_per_stream = 64 * 1024;
  f.config.max_queued_bytes_total = 100 * 1024;
  TestNode client;
  TestNode server;
  auto a = f.runtime_for(client);
  auto b = f.runtime_for(server);
  // One pump queues everything before a byte can be written: 65 KiB toward one stream.
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = outbound(1), .local = a->local_address(), .remote = b->local_address()});
    for (int i = 0; i < 65; ++i) client.emit(WriteStream{.stream = outbound(1), .bytes = std::string(1024, 'a')});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !client.closed.empty(); }));
  EXPECT_EQ(client.closed.front().stream, outbound(1));
  EXPECT_EQ(client.closed.front().reason, StreamCloseReason::Reset);
  EXPECT_EQ(a->stats().write_budget_exceeded, 1u);
  // Two streams of 60 KiB each: within their own budget, over the total: the second is reset,
  // the first is delivered whole.
  a->inject([&](Node&, TimePoint) {
    for (std::uint64_t s : {2, 3}) {
      client.emit(OpenStream{.stream = outbound(s), .local = a->local_address(), .remote = b->local_address()});
      for (int i = 0; i < 60; ++i) client.emit(WriteStream{.stream = outbound(s), .bytes = std::string(1024, 'b')});
    }
  });
  ASSERT_TRUE(run_until(f.io, [&] { return client.closed.size() >= 2; }));
  EXPECT_EQ(client.closed[1].stream, outbound(3));
  EXPECT_EQ(a->stats().write_budget_exceeded, 2u);
  ASSERT_TRUE(run_until(f.io, [&] {
    std::size_t longest = 0;
    for (const auto& [id, bytes] : server.stream_bytes) longest = std::max(longest, bytes.size());
    return longest >= 60u * 1024;
  }));
  // Once written, the budget is free again: a new stream gets its full share.
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = outbound(4), .local = a->local_address(), .remote = b->local_address()});
    for (int i = 0; i < 60; ++i) client.emit(WriteStream{.stream = outbound(4), .bytes = std::string(1024, 'c')});
  });
  run_for(f.io, 200ms);
  EXPECT_EQ(a->stats().write_budget_exceeded, 2u);
}

TEST(NativeRuntime, ReportsConnectFailureToAClosedPort) {
  Fixture f;
  TestNode client;
  auto a = f.runtime_for(client);
  std::uint16_t closed_port = 0;
  {
    tcp::acceptor probe(f.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }  // nobody listens there any more
  const StreamId id = outbound(3);
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = id, .local = a->local_address(),
                           .remote = Address{"127.0.0.1", closed_port}});
    client.emit(WriteStream{.stream = id, .bytes = "never sent"});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !client.closed.empty(); }));

  EXPECT_EQ(client.closed.front().stream, id);
  EXPECT_EQ(client.closed.front().reason, StreamCloseReason::ConnectFailed);
  EXPECT_TRUE(client.opened.empty());
  EXPECT_EQ(a->stats().connect_failures, 1u);
  EXPECT_EQ(a->stats().streams_opened, 0u);
}

TEST(NativeRuntime, ReportsConnectFailureForAnUnparsableAddress) {
  Fixture f;
  TestNode client;
  auto a = f.runtime_for(client);
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = outbound(4), .local = {}, .remote = Address{"itsp.example", 5060}});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !client.closed.empty(); }));
  EXPECT_EQ(client.closed.front().reason, StreamCloseReason::ConnectFailed);
}

TEST(NativeRuntime, ReportsPeerCloseAfterTheLastBytes) {
  Fixture f;
  TestNode client;
  TestNode server;
  server.echo_streams = true;
  server.close_after_echo = true;  // answer, then close: the answer must still arrive
  auto a = f.runtime_for(client);
  auto b = f.runtime_for(server);
  const StreamId id = outbound(9);
  a->inject([&](Node&, TimePoint) {
    client.emit(OpenStream{.stream = id, .local = a->local_address(), .remote = b->local_address()});
    client.emit(WriteStream{.stream = id, .bytes = "BYE"});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !client.closed.empty() && !server.closed.empty(); }));

  EXPECT_EQ(client.stream_bytes[id.value], "BYE");
  EXPECT_EQ(client.closed.front().stream, id);
  EXPECT_EQ(client.closed.front().reason, StreamCloseReason::PeerClosed);
  EXPECT_EQ(server.closed.front().stream.value, 1u);
  EXPECT_EQ(server.closed.front().reason, StreamCloseReason::LocalClose);
}

TEST(NativeRuntime, ReportsResetByPeer) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  tcp::socket peer(f.io);
  peer.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), runtime->local_address().port));
  ASSERT_TRUE(run_until(f.io, [&] { return node.opened.size() == 1; }));
  peer.set_option(asio::socket_base::linger(true, 0));  // close() sends RST
  peer.close();
  ASSERT_TRUE(run_until(f.io, [&] { return !node.closed.empty(); }));
  EXPECT_EQ(node.closed.front().stream.value, 1u);
  EXPECT_EQ(node.closed.front().reason, StreamCloseReason::Reset);
}

TEST(NativeRuntime, WritesToAClosedStreamAreDroppedAndCounted) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  runtime->inject([&](Node&, TimePoint) {
    node.emit(WriteStream{.stream = StreamId{42}, .bytes = "nobody"});
    node.emit(CloseStream{.stream = StreamId{42}});
  });
  run_for(f.io, 20ms);
  EXPECT_EQ(runtime->stats().stream_writes_dropped, 1u);
  EXPECT_TRUE(node.closed.empty());
}

// A store that counts its transactions (the runtime's group commit is what is tested).
struct CountingStore final : KeyValueStore {
  bool apply(const StoreWrite& write) override {
    applied.push_back(write.records.size());
    return true;
  }
  std::vector<StoreRecord> load_all() override { return {}; }
  std::vector<std::size_t> applied;  // records per transaction
};

void write_at_once(NativeRuntime& runtime, TestNode& node, std::uint64_t id) {
  runtime.inject([&node, id](Node&, TimePoint) {
    node.emit(StoreWrite{id, {StoreRecord{"k" + std::to_string(id), "v"}}});
  });
}

TEST(NativeRuntime, GroupCommitsTheWritesOfOneInterval) {
  Fixture f;
  f.config.store_commit_interval = 300ms;
  TestNode node;
  CountingStore store;
  auto runtime = f.runtime_for(node);
  runtime->set_store(&store);
  // After a quiet interval a write is committed at once, in its own pump.
  write_at_once(*runtime, node, 1);
  ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == 1; }, 2s));
  // The next two come within the interval: they wait for it and share one transaction.
  write_at_once(*runtime, node, 2);
  write_at_once(*runtime, node, 3);
  ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == 3; }, 3s));
  ASSERT_EQ(store.applied, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(node.stores_done[1].id, 2u);
  EXPECT_EQ(node.stores_done[2].id, 3u);
  EXPECT_EQ(node.stores_done[1].at, node.stores_done[2].at);
  EXPECT_GE(node.stores_done[1].at - node.stores_done[0].at, 250ms);
  for (const auto& done : node.stores_done) EXPECT_EQ(done.outcome, StoreOutcome::Ok);
}

TEST(NativeRuntime, CommitsEveryPumpWithoutAnInterval) {
  Fixture f;
  f.config.store_commit_interval = 0ms;
  TestNode node;
  CountingStore store;
  auto runtime = f.runtime_for(node);
  runtime->set_store(&store);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    write_at_once(*runtime, node, id);
    ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == id; }, 2s));
  }
  EXPECT_EQ(store.applied, (std::vector<std::size_t>{1, 1, 1}));
}

// A store whose apply() waits while the test holds it closed (a disk that stalls), on the
// runtime's store thread.
struct StallingStore final : KeyValueStore {
  bool apply(const StoreWrite& write) override {
    std::unique_lock lock(mutex);
    ++entered;
    cv.wait(lock, [this] { return !closed; });
    applied.push_back(write.records.size());
    return ok;
  }
  std::vector<StoreRecord> load_all() override { return {}; }
  void open() {
    {
      std::lock_guard lock(mutex);
      closed = false;
    }
    cv.notify_all();
  }
  int entered_count() {
    std::lock_guard lock(mutex);
    return entered;
  }
  std::mutex mutex;
  std::condition_variable cv;
  bool closed = true;
  bool ok = true;
  int entered = 0;
  std::vector<std::size_t> applied;
};

// Opens the store however the test ends, before the runtime joins its store thread.
struct OpenAtEnd {
  StallingStore& store;
  ~OpenAtEnd() { store.open(); }
};

TEST(NativeRuntime, WritesDuringACommitShareTheNextOneAndBeyondTheBoundFailAtOnce) {
  Fixture f;
  f.config.store_commit_interval = 0ms;
  f.config.store_queue_max = 3;
  TestNode node;
  StallingStore store;
  auto runtime = f.runtime_for(node);
  runtime->set_store(&store);
  OpenAtEnd open_at_end{store};
  write_at_once(*runtime, node, 1);
  ASSERT_TRUE(run_until(f.io, [&] { return store.entered_count() == 1; }, 2s));
  // The io thread is free: more writes come while the commit of 1 hangs.
  write_at_once(*runtime, node, 2);
  write_at_once(*runtime, node, 3);
  ASSERT_TRUE(run_until(f.io, [&] { return runtime->stats().store_queue_depth == 3; }, 2s));
  write_at_once(*runtime, node, 4);  // beyond store_queue_max: refused at once
  ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == 1; }, 2s));
  EXPECT_EQ(node.stores_done[0].id, 4u);
  EXPECT_EQ(node.stores_done[0].outcome, StoreOutcome::Failed);
  EXPECT_EQ(runtime->stats().store_queue_full, 1u);
  EXPECT_EQ(runtime->stats().store_failures, 1u);

  store.open();
  ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == 4; }, 2s));
  EXPECT_EQ(store.applied, (std::vector<std::size_t>{1, 2}));  // 2 and 3: one transaction
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(node.stores_done[i].id, i);  // in the order they were written
    EXPECT_EQ(node.stores_done[i].outcome, StoreOutcome::Ok);
  }
  EXPECT_EQ(runtime->stats().store_queue_depth, 0u);
  EXPECT_EQ(runtime->stats().store_failures, 1u);
}

TEST(NativeRuntime, AFailedCommitFailsEveryWriteInIt) {
  Fixture f;
  f.config.store_commit_interval = 0ms;
  TestNode node;
  StallingStore store;
  store.ok = false;
  store.open();
  auto runtime = f.runtime_for(node);
  runtime->set_store(&store);
  runtime->inject([&node](Node&, TimePoint) {
    node.emit(StoreWrite{1, {StoreRecord{"a", "v"}}});
    node.emit(StoreWrite{2, {StoreRecord{"b", "v"}}});
  });
  ASSERT_TRUE(run_until(f.io, [&] { return node.stores_done.size() == 2; }, 2s));
  for (const auto& done : node.stores_done) EXPECT_EQ(done.outcome, StoreOutcome::Failed);
  EXPECT_EQ(runtime->stats().store_failures, 2u);
}

TEST(NativeRuntime, StopAppliesTheWritesHandedToTheStoreThread) {
  Fixture f;
  f.config.store_commit_interval = 0ms;
  TestNode node;
  StallingStore store;
  auto runtime = f.runtime_for(node);
  runtime->set_store(&store);
  OpenAtEnd open_at_end{store};
  write_at_once(*runtime, node, 1);
  ASSERT_TRUE(run_until(f.io, [&] { return store.entered_count() == 1; }, 2s));
  store.open();
  runtime->stop();  // joins the store thread: the commit is done when it returns
  EXPECT_EQ(store.applied, (std::vector<std::size_t>{1}));
  run_for(f.io, 20ms);
  EXPECT_TRUE(node.stores_done.empty());  // stopped: the Node hears nothing more
}

TEST(NativeRuntime, FiresTheDeadline) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  TimePoint due{};
  runtime->inject([&](Node&, TimePoint now) {
    due = now + 20ms;
    node.set_deadline(due);
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !node.deadlines_fired.empty(); }, 2s));
  EXPECT_GE(node.deadlines_fired.front(), due);
  EXPECT_FALSE(node.deadline_called_early);
  EXPECT_EQ(node.deadlines_fired.size(), 1u);
}

TEST(NativeRuntime, FollowsADeadlineThatMovesEarlier) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  TimePoint due{};
  runtime->inject([&](Node&, TimePoint now) { node.set_deadline(now + 10s); });
  runtime->inject([&](Node&, TimePoint now) {
    due = now + 15ms;
    node.set_deadline(due);
  });
  ASSERT_TRUE(run_until(f.io, [&] { return !node.deadlines_fired.empty(); }, 2s));
  EXPECT_EQ(node.last_deadline_asked, due);
  EXPECT_FALSE(node.deadline_called_early);
}

TEST(NativeRuntime, ForgetsADeadlineTheNodeCleared) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  runtime->inject([&](Node&, TimePoint now) { node.set_deadline(now + 20ms); });
  runtime->inject([&](Node&, TimePoint) { node.set_deadline(std::nullopt); });
  run_for(f.io, 80ms);
  EXPECT_TRUE(node.deadlines_fired.empty());
}

TEST(NativeRuntime, DropsDatagramsTheFilterSelects) {
  Fixture f;
  TestNode node;
  node.echo_datagrams = true;
  auto runtime = f.runtime_for(node);
  runtime->set_datagram_filter([](const SendDatagram& d) { return d.bytes.starts_with("lost"); });
  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(runtime->local_address(), "lost 1");
  peer.send_to(runtime->local_address(), "kept 2");
  ASSERT_TRUE(run_until(f.io, [&] { return node.datagrams.size() == 2 && !peer.received.empty(); }));
  run_for(f.io, 30ms);  // a dropped datagram must not turn up late

  EXPECT_EQ(peer.received, std::vector<std::string>{"kept 2"});
  EXPECT_EQ(runtime->stats().datagrams_dropped, 1u);
  EXPECT_EQ(runtime->stats().datagrams_out, 1u);
}

TEST(NativeRuntime, CountsDatagramsItCannotSend) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  runtime->inject([&](Node&, TimePoint) {
    node.emit(SendDatagram{.local = runtime->local_address(), .remote = Address{"not-an-ip", 5060},
                           .bytes = "x"});
    node.emit(SendDatagram{.local = runtime->local_address(), .remote = Address{"::1", 5060},
                           .bytes = "wrong family"});
  });
  run_for(f.io, 20ms);
  EXPECT_EQ(runtime->stats().datagram_errors, 2u);
  EXPECT_EQ(runtime->stats().datagrams_out, 0u);
}

TEST(NativeRuntime, DropsOversizeDatagrams) {
  Fixture f;
  f.config.max_datagram = 100;
  TestNode node;
  auto runtime = f.runtime_for(node);
  UdpPeer peer(f.io, "127.0.0.1");
  peer.send_to(runtime->local_address(), std::string(101, 'a'));
  peer.send_to(runtime->local_address(), std::string(100, 'b'));
  ASSERT_TRUE(run_until(f.io, [&] { return !node.datagrams.empty(); }));
  EXPECT_EQ(node.datagrams.front().bytes, std::string(100, 'b'));
  EXPECT_EQ(runtime->stats().datagram_errors, 1u);
}

TEST(NativeRuntime, StartNamesTheAddressItCannotBind) {
  Fixture f;
  TestNode first_node;
  auto first = f.runtime_for(first_node);
  const std::uint16_t port = first->local_address().port;

  TestNode second_node;
  NativeRuntime second(f.io, second_node, ListenConfig{.ip = "127.0.0.1", .port = port});
  try {
    second.start();
    FAIL() << "bound a port that is in use";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << e.what();
  }
  NativeRuntime bad(f.io, second_node, ListenConfig{.ip = "not an address"});
  EXPECT_THROW(bad.start(), std::runtime_error);
}

TEST(NativeRuntime, StopClosesStreamsAndDeliversNothingMore) {
  Fixture f;
  TestNode node;
  auto runtime = f.runtime_for(node);
  const Address server = runtime->local_address();
  tcp::socket peer(f.io);
  peer.connect(tcp::endpoint(asio::ip::make_address(server.ip), server.port));
  ASSERT_TRUE(run_until(f.io, [&] { return node.opened.size() == 1; }));
  runtime->inject([&](Node&, TimePoint now) { node.set_deadline(now + 10ms); });
  run_for(f.io, 1ms);

  runtime->stop();
  ASSERT_EQ(node.closed.size(), 1u);
  EXPECT_EQ(node.closed.front().reason, StreamCloseReason::LocalClose);
  const std::size_t inputs = node.inputs;
  UdpPeer udp_peer(f.io, "127.0.0.1");
  udp_peer.send_to(server, "after stop");
  run_for(f.io, 40ms);
  EXPECT_EQ(node.inputs, inputs);
  EXPECT_TRUE(node.deadlines_fired.empty());
  runtime->stop();  // idempotent
}

TEST(NativeRuntime, CanBeDestroyedWithOperationsPending) {
  Fixture f;
  TestNode client;
  TestNode server;
  auto a = f.runtime_for(client);
  auto b = f.runtime_for(server);
  a->inject([&](Node&, TimePoint now) {
    client.emit(OpenStream{.stream = outbound(1), .local = a->local_address(), .remote = b->local_address()});
    client.emit(WriteStream{.stream = outbound(1), .bytes = std::string(1 << 20, 'z')});
    client.set_deadline(now + 5ms);
  });
  run_for(f.io, 2ms);
  a.reset();
  b.reset();
  run_for(f.io, 20ms);  // the late completions find the runtimes stopped
  SUCCEED();
}

TEST(JsonLinesTraceSink, WritesOneJsonObjectPerLine) {
  std::ostringstream out;
  JsonLinesTraceSink sink(out, "proxy-a");
  sink.emit(TraceEvent{.t = from_ns(1500), .name = "transport.stream_closed", .fields = {}}
                .with("stream", "3")
                .with("reason", "peer \"closed\""));
  sink.emit(TraceEvent{.t = from_ns(2000), .name = "txn.retransmitted", .fields = {}});
  EXPECT_EQ(out.str(),
            "{\"t_ns\":1500,\"node\":\"proxy-a\",\"ev\":\"transport.stream_closed\","
            "\"stream\":\"3\",\"reason\":\"peer \\\"closed\\\"\"}\n"
            "{\"t_ns\":2000,\"node\":\"proxy-a\",\"ev\":\"txn.retransmitted\"}\n");
  EXPECT_EQ(sink.lines_written(), 2u);
}

TEST(OsSeededRng, DiffersBetweenCallsAndReproducesFromItsSeed) {
  const std::uint64_t seed = os_random_seed();
  SeededRng a{seed};
  SeededRng b{seed};
  EXPECT_EQ(a.next_u64(), b.next_u64());
  auto x = os_seeded_rng();
  auto y = os_seeded_rng();
  // Two independent 64-bit OS seeds collide with probability 2^-64.
  EXPECT_NE(x.next_u64(), y.next_u64());
}

TEST(CryptoRng, DrawsAreUnpredictableAcrossInstancesAndBalanced) {
  CryptoRng a;
  CryptoRng b;
  // Independent instances (no shared seed): 100 draws each, no value in common.
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(a.next_u64());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(seen.contains(b.next_u64()));
  // Past several refills: every bit position is set in about half of 4,096 draws (a stuck or
  // zeroed block would show; 4 standard deviations is ±128).
  std::array<int, 64> ones{};
  for (int i = 0; i < 4096; ++i) {
    const std::uint64_t v = a.next_u64();
    for (int bit = 0; bit < 64; ++bit) ones[bit] += static_cast<int>((v >> bit) & 1U);
  }
  for (int bit = 0; bit < 64; ++bit) {
    EXPECT_GT(ones[bit], 2048 - 128) << "bit " << bit;
    EXPECT_LT(ones[bit], 2048 + 128) << "bit " << bit;
  }
  // The Rng helpers work on it like on any Rng.
  EXPECT_EQ(a.token(16).size(), 16u);
  EXPECT_LT(a.uniform(10), 10u);
}

TEST(NativeRuntime, TellsTheNodeTheWallClockAtStartAndOnlyWhenItSteps) {
  Fixture f;
  TestNode node;
  f.config.wall_clock_poll = 20ms;
  auto runtime = f.runtime_for(node);
  ASSERT_TRUE(run_until(f.io, [&] { return !node.wall_clocks.empty(); }));
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  EXPECT_LT(std::chrono::abs(wall - node.wall_clocks.front()), 2s);
  run_for(f.io, 200ms);  // ten more looks: no step, nothing more told
  EXPECT_EQ(node.wall_clocks.size(), 1u);
}

}  // namespace
}  // namespace resproxy::native
