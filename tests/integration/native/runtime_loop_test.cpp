// NativeRuntime::run(): the io thread waits on the media ports itself (resproxy-media runs so),
// on either data path (ListenConfig::media_io): the epoll set (runtime_media.cpp) or io_uring
// (runtime_uring.cpp). Every test runs on both. Everything io.run() serves must still be served —
// media forwarded from ports opened before and during the loop, the runtime's UDP socket, the
// Node's deadline, input injected from another thread — and the loop ends when the runtime or the
// io_context stops. The relay's promises hold on both paths: a busy port does not starve the
// others, a packet older than the age bound is discarded, a port closed in the middle of a
// wake-up delivers nothing more and can be bound again at once. The loop runs on a thread of its
// own; the test thread only sends, reads its own sockets and injects, and looks at the node
// after the loop has ended (or from an input on the loop's thread).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "tests/integration/native/media_runtime_fixture.h"

namespace resproxy::native {
namespace {

using namespace media_fixture;
using namespace std::chrono_literals;

// Polls `receiver` until it has `count` datagrams or 5 s have passed.
bool receive(MarkedReceiver& receiver, std::size_t count) {
  for (int i = 0; i < 500 && receiver.received.size() < count; ++i) {
    receiver.poll();
    if (receiver.received.size() < count) std::this_thread::sleep_for(10ms);
  }
  return receiver.received.size() >= count;
}

// The loop on its own thread; stop() asks the runtime and the io_context to stop (as
// resproxy-media's SIGTERM handler does) and waits for run() to return.
class Loop {
 public:
  explicit Loop(Relay& relay) : relay_(relay), done_(std::async(std::launch::async, [&relay] {
    relay.runtime->run();
  })) {}
  ~Loop() { stop(); }

  // Runs `input` as a Node input on the loop's thread and waits for it.
  void on_loop(std::function<void(Node&, TimePoint)> input) {
    std::promise<void> ran;
    auto finished = ran.get_future();
    relay_.runtime->inject([&](Node& node, TimePoint now) {
      input(node, now);
      ran.set_value();
    });
    ASSERT_EQ(finished.wait_for(5s), std::future_status::ready) << "the loop never ran the input";
  }

  // The data path run() took, as the runtime's gauge says on the loop's thread.
  bool on_io_uring() {
    bool uring = false;
    on_loop([&](Node&, TimePoint) { uring = relay_.runtime->stats().media_io_uring == 1; });
    return uring;
  }

  // True if run() returned within 5 s.
  bool stop(bool stop_io = true) {
    if (!done_.valid()) return true;
    relay_.runtime->inject([this, stop_io](Node&, TimePoint) {
      relay_.runtime->stop();
      if (stop_io) relay_.io.stop();
    });
    if (done_.wait_for(5s) != std::future_status::ready) return false;
    done_.get();
    return true;
  }

 private:
  Relay& relay_;
  std::future<void> done_;
};

using MediaIo = ListenConfig::MediaIo;

class NativeRuntimeLoop : public ::testing::TestWithParam<MediaIo> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == MediaIo::IoUring && !NativeRuntime::media_io_uring_usable(why)) {
      GTEST_SKIP() << "io_uring refused here: " << why;
    }
  }
  // A relay whose run() takes this test's data path; the fixture's, so it outlives the test's
  // Loop.
  Relay& start_relay(std::chrono::milliseconds max_age = 0ms) {
    relay_ = std::make_unique<Relay>("127.0.0.1", max_age, GetParam());
    return *relay_;
  }
  // The loop runs on the data path asked for: the test would pass on the other one too.
  void expect_data_path(Loop& loop) { EXPECT_EQ(loop.on_io_uring(), GetParam() == MediaIo::IoUring); }

 private:
  std::unique_ptr<Relay> relay_;
};

INSTANTIATE_TEST_SUITE_P(DataPath, NativeRuntimeLoop, ::testing::Values(MediaIo::Epoll, MediaIo::IoUring),
                         [](const ::testing::TestParamInfo<MediaIo>& info) {
                           return std::string(info.param == MediaIo::IoUring ? "IoUring" : "Epoll");
                         });

TEST_P(NativeRuntimeLoop, ForwardsMediaFromPortsOpenedBeforeAndDuringTheLoop) {
  Relay& relay = start_relay();
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address b{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address c{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.local == a) return MediaSend{.from = b, .to = callee_address};
    if (p.local == c) return MediaSend{.from = c, .to = callee_address};
    return std::nullopt;
  };
  // Opened under io.run_one (Asio then waits on the set), before the loop takes the set over.
  ASSERT_TRUE(relay.open({a, b}));
  Loop loop(relay);
  expect_data_path(loop);
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (int i = 0; i < 20; ++i) caller.send_to(asio::buffer("a" + std::to_string(i)), endpoint_of(a));
  ASSERT_TRUE(receive(callee, 20)) << callee.received.size() << " of 20 forwarded";

  // A port opened while the loop runs joins the same set.
  loop.on_loop([&](Node&, TimePoint) { relay.node.emit(OpenMediaPort{.local = c}); });
  loop.on_loop([](Node&, TimePoint) {});  // after the pump that bound it
  caller.send_to(asio::buffer(std::string("c0")), endpoint_of(c));
  ASSERT_TRUE(receive(callee, 21));
  ASSERT_TRUE(loop.stop());

  for (int i = 0; i < 20; ++i) EXPECT_EQ(callee.received[static_cast<std::size_t>(i)].bytes, "a" + std::to_string(i));
  EXPECT_EQ(callee.received[0].from, endpoint_of(b));
  EXPECT_EQ(callee.received[0].tos, kEf);
  EXPECT_EQ(callee.received[20].bytes, "c0");
  EXPECT_EQ(callee.received[20].from, endpoint_of(c));
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_packets_in, 21u);
  EXPECT_EQ(stats.media_packets_out, 21u);
}

// Ports are edge-triggered: a queue longer than one wake-up's bound (4 batches of 32) is not
// reported again by the kernel when no new datagram comes. The backlog must still read it to
// the end — without it the loop would stop at 128 here and wait forever.
TEST_P(NativeRuntimeLoop, AQueueLongerThanOneWakeUpsBoundIsReadToTheEndWithoutNewArrivals) {
  Relay& relay = start_relay();
  const Address port{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({port}));
  constexpr std::size_t kQueued = 300;  // fits a 425 KB receive buffer (twice the default rmem_max)
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (std::size_t i = 0; i < kQueued; ++i) caller.send_to(asio::buffer("q" + std::to_string(i)), endpoint_of(port));
  Loop loop(relay);
  std::size_t seen = 0;
  for (int i = 0; i < 200 && seen < kQueued; ++i) {
    loop.on_loop([&](Node&, TimePoint) { seen = relay.node.packets.size(); });
    if (seen < kQueued) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(loop.stop());
  EXPECT_EQ(relay.node.packets.size(), kQueued);
  EXPECT_EQ(relay.runtime->stats().media_packets_in, kQueued);
  EXPECT_EQ(relay.node.packets.back().bytes, "q" + std::to_string(kQueued - 1));
}

TEST_P(NativeRuntimeLoop, ServesTheRuntimesUdpSocketBesideTheMedia) {
  Relay& relay = start_relay();
  Loop loop(relay);
  MarkedReceiver phone(relay.io, "127.0.0.1");
  for (int i = 0; i < 5; ++i) {
    phone.socket.send_to(asio::buffer("OPTIONS " + std::to_string(i)),
                         endpoint_of(relay.runtime->local_address()));
  }
  ASSERT_TRUE(receive(phone, 5));
  ASSERT_TRUE(loop.stop());
  EXPECT_EQ(phone.received[4].bytes, "OPTIONS 4");
  EXPECT_EQ(phone.received[4].tos, kCs3);
}

TEST_P(NativeRuntimeLoop, FiresTheNodesDeadline) {
  Relay& relay = start_relay();
  Loop loop(relay);
  std::optional<TimePoint> due;
  loop.on_loop([&](Node&, TimePoint now) {
    due = now + 50ms;
    relay.node.deadline = due;
  });
  std::atomic<int> fired{0};
  std::optional<TimePoint> seen_at;
  for (int i = 0; i < 100 && fired == 0; ++i) {
    std::this_thread::sleep_for(20ms);
    loop.on_loop([&](Node&, TimePoint now) {
      fired = relay.node.deadlines_fired;
      if (fired != 0 && !seen_at) seen_at = now;
    });
  }
  ASSERT_TRUE(loop.stop());
  EXPECT_EQ(relay.node.deadlines_fired, 1);
  ASSERT_TRUE(seen_at && due);
  EXPECT_GE(*seen_at, *due) << "never early";
}

TEST_P(NativeRuntimeLoop, EndsWhenTheRuntimeStopsWithoutTheIoContext) {
  Relay& relay = start_relay();
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({a}));
  Loop loop(relay);
  // stop() alone closes every socket and timer of the runtime: nothing is left for the io_context
  // to wait on, so run() returns as io.run() would.
  ASSERT_TRUE(loop.stop(/*stop_io=*/false));
  EXPECT_EQ(relay.runtime->stats().media_ports_open, 0u);
}

// What the node answers with nothing is dropped; a forward the runtime cannot do (a socket the
// node does not have, the other address family, no address) is dropped and counted; the port
// goes on working.
TEST_P(NativeRuntimeLoop, DropsWhatTheNodeRefusesAndCountsForwardsItCannotSend) {
  Relay& relay = start_relay();
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "drop") return std::nullopt;
    if (p.bytes == "unknown socket") return MediaSend{.from = {"127.0.0.1", 1}, .to = callee_address};
    if (p.bytes == "to ipv6") return MediaSend{.from = a, .to = {"::1", 4000}};
    if (p.bytes == "bad address") return MediaSend{.from = a, .to = {"nowhere", 4000}};
    return MediaSend{.from = a, .to = callee_address};
  };
  ASSERT_TRUE(relay.open({a}));
  Loop loop(relay);
  expect_data_path(loop);
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (const char* bytes : {"drop", "unknown socket", "to ipv6", "bad address", "fine"}) {
    caller.send_to(asio::buffer(std::string(bytes)), endpoint_of(a));
  }
  ASSERT_TRUE(receive(callee, 1));
  std::this_thread::sleep_for(100ms);  // anything else on its way arrives meanwhile
  ASSERT_TRUE(loop.stop());
  callee.poll();
  ASSERT_EQ(callee.received.size(), 1u);
  EXPECT_EQ(callee.received[0].bytes, "fine");
  EXPECT_EQ(relay.node.packets.size(), 5u);
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_packets_in, 5u);
  EXPECT_EQ(stats.media_packets_out, 1u);
  EXPECT_EQ(stats.media_send_dropped, 3u);
}

// The node closes a port from the second of four datagrams queued on it, and binds the same
// port again in the same input (a call ended, its port handed to the next one at once). The
// forward it asked for before the close leaves; the two datagrams behind it — already read
// from the socket into io_uring's buffers, or still in the closed socket — reach no one; the
// port is bound again at once (io_uring keeps a socket open while a request of its own holds
// it: the receive is cancelled before the close), and what comes to it afterwards is relayed.
TEST_P(NativeRuntimeLoop, APortClosedInTheMiddleOfAWakeUpDeliversNoneOfTheRestAndBindsAgainAtOnce) {
  Relay& relay = start_relay();
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.bytes == "close") {
      relay.node.emit(CloseMediaPort{.local = p.local});
      relay.node.emit(OpenMediaPort{.local = p.local});
    }
    return MediaSend{.from = a, .to = callee_address};  // from the port it closes
  };
  ASSERT_TRUE(relay.open({a}));
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (const char* bytes : {"one", "close", "three", "four"}) {  // queued: one wake-up takes them all
    caller.send_to(asio::buffer(std::string(bytes)), endpoint_of(a));
  }
  Loop loop(relay);
  expect_data_path(loop);
  ASSERT_TRUE(receive(callee, 2));
  caller.send_to(asio::buffer(std::string("five")), endpoint_of(a));
  ASSERT_TRUE(receive(callee, 3));
  std::size_t open = 0;
  loop.on_loop([&](Node&, TimePoint) { open = relay.runtime->stats().media_ports_open; });
  ASSERT_TRUE(loop.stop());
  EXPECT_EQ(open, 1u);
  ASSERT_EQ(relay.node.packets.size(), 3u);
  EXPECT_EQ(relay.node.packets[0].bytes, "one");
  EXPECT_EQ(relay.node.packets[1].bytes, "close");
  EXPECT_EQ(relay.node.packets[2].bytes, "five");
  ASSERT_EQ(callee.received.size(), 3u);
  EXPECT_EQ(callee.received[1].bytes, "close");
  EXPECT_EQ(callee.received[1].from, endpoint_of(a));
  EXPECT_EQ(callee.received[2].bytes, "five");
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_port_failures, 0u) << "the port could not be bound again";
  EXPECT_EQ(stats.media_send_dropped, 0u);
}

// Fairness: thousands of datagrams already queued on one port when the loop starts do not hold
// up a datagram on another port, nor SIP.
TEST_P(NativeRuntimeLoop, ABusyPortDoesNotStarveTheOtherPortsNorSip) {
  Relay& relay = start_relay();
  const Address busy{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address quiet{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_NE(busy, quiet);
  ASSERT_TRUE(relay.open({busy, quiet}));
  constexpr int kFlood = 2000;
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  for (int i = 0; i < kFlood; ++i) caller.send_to(asio::buffer("flood " + std::to_string(i)), endpoint_of(busy));
  caller.send_to(asio::buffer(std::string("quiet")), endpoint_of(quiet));
  caller.send_to(asio::buffer(std::string("OPTIONS")), endpoint_of(relay.runtime->local_address()));
  const std::string busy_tag = "media " + std::to_string(busy.port);
  const std::string quiet_tag = "media " + std::to_string(quiet.port);
  Loop loop(relay);
  expect_data_path(loop);
  // Until the flood stopped growing (at most ~10 s).
  std::size_t last = 0;
  for (int round = 0; round < 100; ++round) {
    std::this_thread::sleep_for(100ms);
    std::size_t now = 0;
    loop.on_loop([&](Node&, TimePoint) {
      now = static_cast<std::size_t>(std::count(relay.node.log.begin(), relay.node.log.end(), busy_tag));
    });
    if (now == last && now > 0) break;
    last = now;
  }
  ASSERT_TRUE(loop.stop());
  const auto& log = relay.node.log;
  const auto busy_handled = static_cast<std::size_t>(std::count(log.begin(), log.end(), busy_tag));
  const auto quiet_at = std::find(log.begin(), log.end(), quiet_tag);
  const auto sip_at = std::find(log.begin(), log.end(), "sip");
  ASSERT_NE(quiet_at, log.end());
  ASSERT_NE(sip_at, log.end());
  if (busy_handled < 500) {
    GTEST_SKIP() << "the kernel kept only " << busy_handled
                 << " of the flood (net.core.rmem_max?): too few to tell a bounded drain";
  }
  const auto busy_before = [&](std::vector<std::string>::const_iterator at) {
    return static_cast<std::size_t>(std::count(log.begin(), at, busy_tag));
  };
  EXPECT_LT(busy_before(quiet_at), busy_handled / 2) << "of " << busy_handled;
  EXPECT_LT(busy_before(sip_at), busy_handled / 2) << "of " << busy_handled;
  EXPECT_EQ(relay.runtime->stats().media_packets_in, busy_handled + 1);
}

// Overload without a cliff (ListenConfig::media_max_age): datagrams that waited in the socket
// longer than the bound while the loop was busy (here: its thread blocked for 600 ms) are read
// and discarded, not forwarded late; those that arrive after are forwarded at once. With the
// bound off, the same backlog goes out more than half a second late.
void stale_backlog(Relay& relay, bool on_io_uring, std::size_t want_forwarded, std::size_t want_stale) {
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address b{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (p.local == a) return MediaSend{.from = b, .to = callee_address};
    return std::nullopt;
  };
  Loop loop(relay);  // after what the node's route names: stopped before they go
  EXPECT_EQ(loop.on_io_uring(), on_io_uring);
  loop.on_loop([&](Node&, TimePoint) {
    relay.node.emit(OpenMediaPort{.local = a});
    relay.node.emit(OpenMediaPort{.local = b});
  });
  loop.on_loop([](Node&, TimePoint) {});  // after the pump that bound them
  ASSERT_TRUE(testing::await_kernel_receive_timestamps());
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  relay.runtime->inject([](Node&, TimePoint) { std::this_thread::sleep_for(600ms); });
  std::this_thread::sleep_for(20ms);  // the loop's thread is inside the sleep by now
  for (int i = 0; i < 40; ++i) caller.send_to(asio::buffer("old" + std::to_string(i)), endpoint_of(a));
  std::this_thread::sleep_for(700ms);
  for (int i = 0; i < 10; ++i) caller.send_to(asio::buffer("new" + std::to_string(i)), endpoint_of(a));
  ASSERT_TRUE(receive(callee, want_forwarded));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(loop.stop());
  callee.poll();
  std::size_t fresh = 0;
  for (const auto& r : callee.received) fresh += r.bytes.starts_with("new") ? 1 : 0;
  EXPECT_EQ(fresh, 10u) << "the packets after the overload are forwarded";
  EXPECT_EQ(callee.received.size(), want_forwarded);
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_stale_dropped, want_stale);
  EXPECT_EQ(stats.media_packets_in + stats.media_stale_dropped, 50u) << "every datagram was read";
}

TEST_P(NativeRuntimeLoop, PacketsThatWaitedLongerThanTheBoundAreDiscardedNotForwardedLate) {
  stale_backlog(start_relay(50ms), GetParam() == MediaIo::IoUring, 10, 40);
}

TEST_P(NativeRuntimeLoop, WithoutTheBoundTheBacklogGoesOutLate) {
  stale_backlog(start_relay(0ms), GetParam() == MediaIo::IoUring, 50, 0);
}

// A wait in the middle of a wake-up (here the node, busy for 200 ms with the first datagram it
// is handed) counts in the age of what is handled after it: the other datagram, 30 ms old when
// the wake-up began, is 230 ms old when its turn comes, and is discarded. Which of the two comes
// first is the kernel's choice (io_uring posts the completions of two sockets in either order),
// so the node sleeps on whichever it sees first.
TEST_P(NativeRuntimeLoop, AWaitInsideAWakeUpCountsInTheAgeOfWhatIsHandledAfterIt) {
  Relay& relay = start_relay(50ms);
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  const Address b{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  bool first = true;
  relay.node.route = [&](const RelayNode::Packet& p) -> std::optional<MediaSend> {
    if (first) std::this_thread::sleep_for(200ms);
    first = false;
    return MediaSend{.from = p.local, .to = callee_address};
  };
  ASSERT_TRUE(relay.open({a, b}));
  ASSERT_TRUE(testing::await_kernel_receive_timestamps());
  Loop loop(relay);
  expect_data_path(loop);
  udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  // Both arrive while the loop's thread is away: one wake-up hands out both.
  relay.runtime->inject([](Node&, TimePoint) { std::this_thread::sleep_for(30ms); });
  std::this_thread::sleep_for(10ms);
  caller.send_to(asio::buffer(std::string("to a")), endpoint_of(a));
  caller.send_to(asio::buffer(std::string("to b")), endpoint_of(b));
  ASSERT_TRUE(receive(callee, 1));
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(loop.stop());
  callee.poll();
  ASSERT_EQ(callee.received.size(), 1u) << "the one behind the wait went out late";
  ASSERT_EQ(relay.node.packets.size(), 1u);
  EXPECT_EQ(callee.received[0].bytes, relay.node.packets[0].bytes);
  const auto stats = relay.runtime->stats();
  EXPECT_EQ(stats.media_stale_dropped, 1u);
  EXPECT_EQ(stats.media_packets_in, 1u);
}

// stop() from inside the loop closes every port, and each can be bound again at once: no
// request of the ring holds a socket open after its port is closed.
TEST_P(NativeRuntimeLoop, StopClosesEveryPortAndReleasesItsAddress) {
  Relay& relay = start_relay();
  std::vector<Address> ports;
  for (int i = 0; i < 8; ++i) ports.push_back(Address{"127.0.0.1", free_udp_port("127.0.0.1")});
  ASSERT_TRUE(relay.open(ports));
  Loop loop(relay);
  expect_data_path(loop);
  ASSERT_TRUE(loop.stop(/*stop_io=*/false));
  EXPECT_EQ(relay.runtime->stats().media_ports_open, 0u);
  for (const auto& port : ports) {
    udp::socket next(relay.io);
    next.open(udp::v4());
    boost::system::error_code ec;
    next.bind(endpoint_of(port), ec);
    EXPECT_FALSE(ec) << port.to_string() << ": " << ec.message();
  }
}

// Where the kernel refuses io_uring — here a seccomp filter that answers io_uring_setup with
// EPERM, as Docker's default profile does — the probe says why and `auto` relays on epoll: the
// media still flows. In a child process (a death test): a seccomp filter cannot be taken back.
void deny_io_uring_setup() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{.len = static_cast<unsigned short>(std::size(filter)), .filter = filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "seccomp: %s\n", std::strerror(errno));
    std::_Exit(3);
  }
}

[[noreturn]] void relay_where_io_uring_is_refused() {
  deny_io_uring_setup();
  std::string why;
  if (NativeRuntime::media_io_uring_usable(why)) {
    std::fprintf(stderr, "io_uring usable despite the filter\n");
    std::_Exit(1);
  }
  std::fprintf(stderr, "io_uring refused: %s\n", why.c_str());
  Relay relay("127.0.0.1", 0ms, ListenConfig::MediaIo::Auto);
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  MarkedReceiver callee(relay.io, "127.0.0.1");
  const Address callee_address = address_of(callee.socket);
  relay.node.route = [&](const RelayNode::Packet&) -> std::optional<MediaSend> {
    return MediaSend{.from = a, .to = callee_address};
  };
  if (!relay.open({a})) std::_Exit(4);
  bool uring = true;
  bool relayed = false;
  {
    Loop loop(relay);
    uring = loop.on_io_uring();
    udp::socket caller(relay.io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    caller.send_to(asio::buffer(std::string("rtp")), endpoint_of(a));
    relayed = receive(callee, 1) && callee.received[0].bytes == "rtp";
    if (!loop.stop()) std::_Exit(5);
  }
  std::fprintf(stderr, "data path: %s, relayed: %s\n", uring ? "io_uring" : "epoll", relayed ? "yes" : "no");
  std::_Exit(!uring && relayed ? 0 : 6);
}

TEST(NativeRuntimeLoopFallback, WhereIoUringIsRefusedAutoRelaysOnEpoll) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(relay_where_io_uring_is_refused(), ::testing::ExitedWithCode(0),
              "io_uring refused: io_uring_setup: Operation not permitted(.|\n)*data path: epoll, relayed: yes");
}

}  // namespace
}  // namespace resproxy::native
