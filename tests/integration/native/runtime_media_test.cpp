// NativeRuntime's media relay data path (runtime_media.cpp) on real loopback sockets: a relay
// node opens ports with OpenMediaPort, hears every datagram that reaches one as on_media_packet
// and names where the same bytes go. Plain sockets play the phones; the receiving one reads the
// TOS / traffic-class byte each datagram arrived with (the DSCP marking).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/integration/native/media_runtime_fixture.h"

namespace resproxy::native {
namespace {

using namespace media_fixture;
using namespace std::chrono_literals;
using testing::run_for;
using testing::run_until;

// Two ports of `relay` and a callee: the node sends what arrives on A out of B to the callee.
struct AThroughBToCallee {
  AThroughBToCallee(Relay& relay, const std::string& ip)
      : a{ip, free_udp_port(ip)},
        b{ip, free_udp_port(ip)},
        callee(relay.io, ip),
        callee_address(address_of(callee.socket)) {
    relay.node.route = [this](const RelayNode::Packet& p) -> std::optional<MediaSend> {
      if (p.local == a) return MediaSend{.from = b, .to = callee_address};
      return std::nullopt;
    };
  }
  const Address a;
  const Address b;
  MarkedReceiver callee;
  const Address callee_address;
};

// A datagram on port A comes out of port B toward where the node said, bytes unchanged, marked
// EF, and the node heard which port it came to and from whom.
void forwards_from_the_named_port(const std::string& ip) {
  Relay relay(ip);
  AThroughBToCallee pair(relay, ip);
  const Address& a = pair.a;
  const Address& b = pair.b;
  MarkedReceiver& callee = pair.callee;
  ASSERT_NE(a, b);
  ASSERT_TRUE(relay.open({a, b}));
  ASSERT_EQ(relay.runtime->stats().media_ports_open, 2u);
  ASSERT_TRUE(relay.node.failures.empty());

  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address(ip), 0));
  const std::string payload("\x80\x00\x01\x02rtp\0payload", 16);  // binary, a NUL inside
  caller.send_to(asio::buffer(payload), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] {
    callee.poll();
    return !callee.received.empty();
  }));

  const auto& got = callee.received.front();
  EXPECT_EQ(got.bytes, payload);
  EXPECT_EQ(got.from, endpoint_of(b));
  EXPECT_EQ(got.tos, kEf);
  ASSERT_EQ(relay.node.packets.size(), 1u);
  EXPECT_EQ(relay.node.packets[0].local, a);
  EXPECT_EQ(relay.node.packets[0].source, address_of(caller));
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_packets_in, 1u);
  EXPECT_EQ(stats.media_packets_out, 1u);
  EXPECT_EQ(stats.media_send_dropped, 0u);
}

TEST(NativeRuntimeMedia, ForwardsFromThePortTheNodeNamesMarkedEfOverIpv4) {
  forwards_from_the_named_port("127.0.0.1");
}

TEST(NativeRuntimeMedia, ForwardsFromThePortTheNodeNamesMarkedEfOverIpv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  forwards_from_the_named_port("::1");
}

TEST(NativeRuntimeMedia, MarksTheDscpTheOpenMediaPortAsksFor) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet&) -> std::optional<MediaSend> {
    return MediaSend{.from = a, .to = callee_address};
  };
  relay.emit({OpenMediaPort{.local = a, .dscp = 34}});  // AF41: video
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.runtime->stats().media_ports_open == 1; }));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  caller.send_to(asio::buffer(std::string("video")), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] {
    callee.poll();
    return !callee.received.empty();
  }));
  EXPECT_EQ(callee.received.front().tos, 34 << 2);
}

TEST(NativeRuntimeMedia, DropsWhatTheNodeAnswersWithNothing) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "drop") return std::nullopt;
    return MediaSend{.from = a, .to = callee_address};
  };
  ASSERT_TRUE(relay.open({a}));

  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  caller.send_to(asio::buffer(std::string("drop")), endpoint_of(a));
  caller.send_to(asio::buffer(std::string("keep")), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] {
    callee.poll();
    return !callee.received.empty();
  }));
  run_for(relay.io, 100ms);  // anything else on its way arrives meanwhile
  callee.poll();
  ASSERT_EQ(callee.received.size(), 1u);
  EXPECT_EQ(callee.received[0].bytes, "keep");
  EXPECT_EQ(relay.node.packets.size(), 2u);  // the dropped one was the node's to judge
  EXPECT_EQ(relay.runtime->stats().media_packets_in, 2u);
  EXPECT_EQ(relay.runtime->stats().media_packets_out, 1u);
}

// A forward the runtime cannot do (a socket the node does not have, the other address family)
// is dropped and counted; the port goes on working.
TEST(NativeRuntimeMedia, CountsForwardsItCannotSend) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "unknown socket") {
      return MediaSend{.from = {"127.0.0.1", 1}, .to = callee_address};
    }
    if (p.bytes == "to ipv6") return MediaSend{.from = a, .to = {"::1", 4000}};
    if (p.bytes == "bad address") return MediaSend{.from = a, .to = {"nowhere", 4000}};
    return MediaSend{.from = a, .to = callee_address};
  };
  ASSERT_TRUE(relay.open({a}));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (const char* bytes : {"unknown socket", "to ipv6", "bad address", "fine"}) {
    caller.send_to(asio::buffer(std::string(bytes)), endpoint_of(a));
  }
  ASSERT_TRUE(run_until(relay.io, [&] {
    callee.poll();
    return !callee.received.empty();
  }));
  EXPECT_EQ(callee.received[0].bytes, "fine");
  EXPECT_EQ(relay.runtime->stats().media_send_dropped, 3u);
  EXPECT_EQ(relay.runtime->stats().media_packets_out, 1u);
}

TEST(NativeRuntimeMedia, APortInUseOrABadAddressIsAnsweredMediaPortFailed) {
  Relay relay;
  udp::socket holder(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const Address taken = address_of(holder);
  const Address bad{"not-an-address", 40000};
  ASSERT_TRUE(relay.open({taken, bad}));
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.node.failures.size() == 2; }));
  EXPECT_EQ(relay.node.failures[0].local, taken);
  EXPECT_FALSE(relay.node.failures[0].error.empty());
  EXPECT_EQ(relay.node.failures[1].local, bad);
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_ports_open, 0u);
  EXPECT_EQ(stats.media_port_failures, 2u);
}

TEST(NativeRuntimeMedia, OpeningAnOpenPortAgainChangesNothing) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({a}));
  relay.emit({OpenMediaPort{.local = a}});
  run_for(relay.io, 100ms);
  EXPECT_TRUE(relay.node.failures.empty());
  EXPECT_EQ(relay.runtime->stats().media_ports_open, 1u);
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  caller.send_to(asio::buffer(std::string("still here")), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.node.packets.size() == 1; }));
}

TEST(NativeRuntimeMedia, AClosedPortDeliversNothingMoreAndIsReleased) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({a}));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  caller.send_to(asio::buffer(std::string("before")), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.node.packets.size() == 1; }));

  relay.emit({CloseMediaPort{.local = a}});
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.runtime->stats().media_ports_open == 0; }));
  caller.send_to(asio::buffer(std::string("after")), endpoint_of(a));
  run_for(relay.io, 200ms);
  EXPECT_EQ(relay.node.packets.size(), 1u);
  EXPECT_EQ(relay.runtime->stats().media_packets_in, 1u);
  // The socket is gone, not merely ignored: another can bind the port.
  udp::socket next(relay.io);
  next.open(udp::v4());
  boost::system::error_code ec;
  next.bind(endpoint_of(a), ec);
  EXPECT_FALSE(ec) << ec.message();
}

// The epoll sets of this process that watch descriptor `fd` (their fdinfo's "tfd:" lines).
int epoll_sets_watching(int fd) {
  int sets = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec).string() != "anon_inode:[eventpoll]") continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
    for (std::string line; std::getline(info, line);) {
      int watched = -1;
      if (std::sscanf(line.c_str(), "tfd: %d", &watched) == 1 && watched == fd) ++sets;
    }
  }
  return sets;
}

// This process's descriptor bound to 127.0.0.1:`port` (UDP); -1 if none.
int descriptor_bound_to(std::uint16_t port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    sockaddr_in name{};
    socklen_t size = sizeof name;
    int type = 0;
    socklen_t type_size = sizeof type;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&name), &size) != 0) continue;
    if (name.sin_family != AF_INET || ntohs(name.sin_port) != port) continue;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_size) == 0 && type == SOCK_DGRAM) return fd;
  }
  return -1;
}

// A port's descriptor is in the media set only. In asio's reactor too (every socket asio
// opens is registered there), each datagram woke both sets, and the io thread's turns for
// asio polled every port that had received since its last turn: a cost per packet the
// relay's own set exists to avoid.
TEST(NativeRuntimeMedia, APortIsWatchedByTheMediaSetAloneNotAlsoByAsiosReactor) {
  Relay relay;
  AThroughBToCallee pair(relay, "127.0.0.1");
  const Address& a = pair.a;
  const Address& b = pair.b;
  MarkedReceiver& callee = pair.callee;
  ASSERT_TRUE(relay.open({a, b}));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  caller.send_to(asio::buffer(std::string("rtp")), endpoint_of(a));
  ASSERT_TRUE(run_until(relay.io, [&] {
    callee.poll();
    return !callee.received.empty();
  }));
  EXPECT_EQ(callee.received.front().from, endpoint_of(b));  // both ports work

  for (const Address& port : {a, b}) {
    const int fd = descriptor_bound_to(port.port);
    ASSERT_GE(fd, 0) << port.to_string();
    EXPECT_EQ(epoll_sets_watching(fd), 1) << port.to_string();
  }
  // The control: the runtime's SIP socket is asio's, and is found in asio's reactor set (this
  // test turns the io_context itself, not run(), so it is in no other) — a port registered
  // there would have been seen.
  const int sip = descriptor_bound_to(relay.runtime->local_address().port);
  ASSERT_GE(sip, 0);
  EXPECT_EQ(epoll_sets_watching(sip), 1);
}

// A port remembers the port its datagrams leave from (MediaPort::out) and where they go, so
// that neither is looked up per packet. That memory follows the node: a new port named, the
// old one closed (its datagrams dropped, never sent from a freed socket), a port opened again
// at the same address (a new socket), and a destination the new port's family cannot reach
// although the old port sent there.
TEST(NativeRuntimeMedia, ThePortADatagramLeavesFromFollowsTheNodeThroughRetargetsAndCloses) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address b{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address c{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address c6{"::1", free_udp_port("::1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  Address leave_from = b;
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.local == a) return MediaSend{.from = leave_from, .to = callee_address};
    return std::nullopt;
  };
  ASSERT_TRUE(relay.open({a, b, c, c6}));
  ASSERT_TRUE(relay.node.failures.empty());
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto send = [&](const std::string& bytes) {
    const auto in = relay.runtime->stats().media_packets_in;
    caller.send_to(asio::buffer(bytes), endpoint_of(a));
    EXPECT_TRUE(run_until(relay.io, [&] { return relay.runtime->stats().media_packets_in > in; }));
    run_for(relay.io, 50ms);  // its forward, if any, arrives meanwhile
    callee.poll();
  };

  send("from b");
  leave_from = c;
  send("from c");
  leave_from = c6;
  send("from c6: v4 destination");  // dropped: an IPv6 port cannot reach it
  leave_from = b;
  send("from b again");
  relay.emit({CloseMediaPort{.local = b}});
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.runtime->stats().media_ports_open == 3; }));
  send("b closed");  // dropped: the node names a port the runtime no longer has
  // The old socket's descriptor is taken, so the new b gets another: a port that still held the
  // old one would send into a closed descriptor.
  udp::socket placeholder(relay.io, udp::v4());
  ASSERT_TRUE(relay.open({b}));
  send("from the new b");

  ASSERT_EQ(callee.received.size(), 4u);
  EXPECT_EQ(callee.received[0].bytes, "from b");
  EXPECT_EQ(callee.received[0].from, endpoint_of(b));
  EXPECT_EQ(callee.received[1].bytes, "from c");
  EXPECT_EQ(callee.received[1].from, endpoint_of(c));
  EXPECT_EQ(callee.received[2].bytes, "from b again");
  EXPECT_EQ(callee.received[2].from, endpoint_of(b));
  EXPECT_EQ(callee.received[3].bytes, "from the new b");
  EXPECT_EQ(callee.received[3].from, endpoint_of(b));
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_packets_in, 6u);
  EXPECT_EQ(stats.media_packets_out, 4u);
  EXPECT_EQ(stats.media_send_dropped, 2u);
}

// The node closes the port from one of the inputs of a batch: the datagrams queued behind it
// on that port are not delivered, although they were already read from the socket; the
// forwards it asked for before closing still leave, from that port, as if sent at once.
TEST(NativeRuntimeMedia, APortClosedInTheMiddleOfABatchDeliversNoneOfTheRest) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "close") relay.node.emit(CloseMediaPort{.local = p.local});
    return MediaSend{.from = a, .to = callee_address};  // from the port it closes
  };
  ASSERT_TRUE(relay.open({a}));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (const char* bytes : {"one", "close", "three", "four"}) {
    caller.send_to(asio::buffer(std::string(bytes)), endpoint_of(a));
  }
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.runtime->stats().media_ports_open == 0; }));
  run_for(relay.io, 100ms);
  callee.poll();
  ASSERT_EQ(relay.node.packets.size(), 2u);
  EXPECT_EQ(relay.node.packets[0].bytes, "one");
  EXPECT_EQ(relay.node.packets[1].bytes, "close");
  ASSERT_EQ(callee.received.size(), 2u);
  EXPECT_EQ(callee.received[0].bytes, "one");
  EXPECT_EQ(callee.received[1].bytes, "close");
  EXPECT_EQ(callee.received[1].from, endpoint_of(a));
  EXPECT_EQ(relay.runtime->stats().media_send_dropped, 0u);
}

// Fairness: thousands of datagrams already queued on one port do not hold up a datagram on
// another port, nor SIP. An unbounded drain of the busy port would hand the node every one of
// its datagrams first.
TEST(NativeRuntimeMedia, ABusyPortDoesNotStarveTheOtherPortsNorSip) {
  Relay relay;
  const Address busy{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address quiet{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_NE(busy, quiet);
  ASSERT_TRUE(relay.open({busy, quiet}));
  ASSERT_EQ(relay.runtime->stats().media_ports_open, 2u);

  // Queued while the io thread is not running: the runtime sees them all ready at once, the
  // busy port first.
  constexpr int kFlood = 2000;
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (int i = 0; i < kFlood; ++i) {
    caller.send_to(asio::buffer("flood " + std::to_string(i)), endpoint_of(busy));
  }
  caller.send_to(asio::buffer(std::string("quiet")), endpoint_of(quiet));
  caller.send_to(asio::buffer(std::string("OPTIONS")), endpoint_of(relay.runtime->local_address()));

  const std::string busy_tag = "media " + std::to_string(busy.port);
  const std::string quiet_tag = "media " + std::to_string(quiet.port);
  const auto count_busy = [&] {
    return static_cast<std::size_t>(
        std::count(relay.node.log.begin(), relay.node.log.end(), busy_tag));
  };
  // Until everything queued was handled: the quiet datagram, SIP, and the flood stopped growing.
  std::size_t last = 0;
  for (int round = 0; round < 100; ++round) {  // at most ~10 s
    run_for(relay.io, 100ms);
    const std::size_t now = count_busy();
    if (now == last && now > 0) break;
    last = now;
  }
  const std::size_t busy_handled = count_busy();
  const auto quiet_at = std::find(relay.node.log.begin(), relay.node.log.end(), quiet_tag);
  const auto sip_at = std::find(relay.node.log.begin(), relay.node.log.end(), "sip");
  ASSERT_NE(quiet_at, relay.node.log.end());
  ASSERT_NE(sip_at, relay.node.log.end());
  if (busy_handled < 500) {
    GTEST_SKIP() << "the kernel kept only " << busy_handled
                 << " of the flood (net.core.rmem_max?): too few to tell a bounded drain";
  }
  // How many of the flood's came before each: a bound of batches per wake-up, not all of them.
  const auto busy_before = [&](std::vector<std::string>::iterator at) {
    return static_cast<std::size_t>(std::count(relay.node.log.begin(), at, busy_tag));
  };
  EXPECT_LT(busy_before(quiet_at), busy_handled / 2) << "of " << busy_handled;
  EXPECT_LT(busy_before(sip_at), busy_handled / 2) << "of " << busy_handled;
  EXPECT_EQ(relay.runtime->stats().media_packets_in, busy_handled + 1);
}

// The same under io.run() (resproxy's built-in relay): the backlog is read in handlers of its
// own, so a queue longer than one wake-up's bound is read to the end with nothing new arriving.
TEST(NativeRuntimeMedia, AQueueLongerThanOneWakeUpsBoundIsReadToTheEndWithoutNewArrivals) {
  Relay relay;
  const Address port{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({port}));
  constexpr std::size_t kQueued = 300;
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (std::size_t i = 0; i < kQueued; ++i) caller.send_to(asio::buffer("q" + std::to_string(i)), endpoint_of(port));
  ASSERT_TRUE(run_until(relay.io, [&] { return relay.node.packets.size() >= kQueued; }))
      << relay.node.packets.size() << " of " << kQueued;
  EXPECT_EQ(relay.runtime->stats().media_packets_in, kQueued);
}

// SIP's own sockets are marked CS3 (RFC 4594 signalling).
TEST(NativeRuntimeMedia, SipDatagramsAreMarkedCs3) {
  Relay relay;
  MarkedReceiver phone(relay.io, "127.0.0.1");
  phone.socket.send_to(asio::buffer(std::string("OPTIONS")),
                       endpoint_of(relay.runtime->local_address()));
  ASSERT_TRUE(run_until(relay.io, [&] {
    phone.poll();
    return !phone.received.empty();
  }));
  EXPECT_EQ(phone.received.front().bytes, "OPTIONS");
  EXPECT_EQ(phone.received.front().tos, kCs3);
}

TEST(NativeRuntimeMedia, StopClosesEveryPort) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({a}));
  relay.runtime->stop();
  EXPECT_EQ(relay.runtime->stats().media_ports_open, 0u);
  udp::socket next(relay.io);
  next.open(udp::v4());
  boost::system::error_code ec;
  next.bind(endpoint_of(a), ec);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace resproxy::native

namespace resproxy::native {
namespace {

// Overload without a cliff (ListenConfig::media_max_age): datagrams that waited in the socket
// longer than the bound while the relay was busy (here: its thread blocked for 600 ms) are read
// and discarded, not forwarded late; those that arrive after are forwarded at once. With the
// bound off, the same backlog goes out more than half a second late.
void stale_backlog(std::chrono::milliseconds max_age, std::size_t want_forwarded, std::size_t want_stale) {
  Relay relay("127.0.0.1", max_age);
  AThroughBToCallee pair(relay, "127.0.0.1");
  const Address& a = pair.a;
  MarkedReceiver& callee = pair.callee;
  ASSERT_TRUE(relay.open({a, pair.b}));
  ASSERT_TRUE(testing::await_kernel_receive_timestamps());
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  // The relay's thread is busy (a stand-in for overload) while 40 packets queue on port A.
  relay.runtime->inject([](Node&, TimePoint) { std::this_thread::sleep_for(600ms); });
  std::thread sender([&] {
    std::this_thread::sleep_for(20ms);  // the io thread is inside the sleep by now
    for (int i = 0; i < 40; ++i) caller.send_to(asio::buffer(std::string("old") + std::to_string(i)), endpoint_of(a));
  });
  relay.io.run_for(700ms);
  sender.join();
  relay.io.restart();
  for (int i = 0; i < 10; ++i) caller.send_to(asio::buffer(std::string("new") + std::to_string(i)), endpoint_of(a));
  run_for(relay.io, 200ms);
  callee.poll();
  std::size_t fresh = 0;
  for (const auto& r : callee.received) fresh += r.bytes.starts_with("new") ? 1 : 0;
  EXPECT_EQ(fresh, 10u) << "the packets after the overload are forwarded";
  EXPECT_EQ(callee.received.size(), want_forwarded);
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_stale_dropped, want_stale);
  EXPECT_EQ(stats.media_packets_in + stats.media_stale_dropped, 50u) << "every datagram was read";
}

TEST(NativeRuntimeMedia, PacketsThatWaitedLongerThanTheBoundAreDiscardedNotForwardedLate) {
  stale_backlog(50ms, 10, 40);
}

TEST(NativeRuntimeMedia, WithoutTheBoundTheBacklogGoesOutLate) {
  stale_backlog(0ms, 50, 0);
}

// The age bound's clock is read for each batch, not once per wake-up: a wait in the middle of a
// wake-up (here the node, busy for 200 ms with port A's datagram; in production the thread
// preempted or a CPU limit) counts in the age of what is read after it. Port B's datagram had
// waited 30 ms when the wake-up began, 230 ms when it was read: discarded. Judged by a clock
// read when the wake-up began, it would go out 230 ms late.
TEST(NativeRuntimeMedia, AWaitInsideAWakeUpCountsInTheAgeOfWhatIsReadAfterIt) {
  Relay relay("127.0.0.1", 50ms);
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address b{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "busy") std::this_thread::sleep_for(200ms);
    return MediaSend{.from = p.local, .to = callee_address};
  };
  ASSERT_TRUE(relay.open({a, b}));
  ASSERT_TRUE(testing::await_kernel_receive_timestamps());
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  // Both arrive while the io thread is away, A's first: one wake-up reports both, A first
  // (epoll hands ready ports out in the order they became ready).
  relay.runtime->inject([](Node&, TimePoint) { std::this_thread::sleep_for(30ms); });
  std::thread sender([&] {
    std::this_thread::sleep_for(10ms);  // the io thread is inside the sleep by now
    caller.send_to(asio::buffer(std::string("busy")), endpoint_of(a));
    caller.send_to(asio::buffer(std::string("behind it")), endpoint_of(b));
  });
  run_for(relay.io, 500ms);
  sender.join();
  callee.poll();
  ASSERT_EQ(callee.received.size(), 1u);
  EXPECT_EQ(callee.received[0].bytes, "busy");
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_stale_dropped, 1u);
  EXPECT_EQ(stats.media_packets_in, 1u);
}

}  // namespace
}  // namespace resproxy::native
