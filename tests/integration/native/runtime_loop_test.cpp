// NativeRuntime::run(): the io thread waits on the media ports' epoll set itself (resproxy-media
// runs so). Everything io.run() serves must still be served — media forwarded from ports opened
// before and during the loop, the runtime's UDP socket, the Node's deadline, input injected from
// another thread — and the loop ends when the runtime or the io_context stops. The loop runs on
// a thread of its own; the test thread only sends, reads its own sockets and injects, and looks
// at the node after the loop has ended.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

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

TEST(NativeRuntimeLoop, ForwardsMediaFromPortsOpenedBeforeAndDuringTheLoop) {
  Relay relay;
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
TEST(NativeRuntimeLoop, AQueueLongerThanOneWakeUpsBoundIsReadToTheEndWithoutNewArrivals) {
  Relay relay;
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

TEST(NativeRuntimeLoop, ServesTheRuntimesUdpSocketBesideTheMedia) {
  Relay relay;
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

TEST(NativeRuntimeLoop, FiresTheNodesDeadline) {
  Relay relay;
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

TEST(NativeRuntimeLoop, EndsWhenTheRuntimeStopsWithoutTheIoContext) {
  Relay relay;
  const Address a{"127.0.0.1", free_udp_port("127.0.0.1")};
  ASSERT_TRUE(relay.open({a}));
  Loop loop(relay);
  // stop() alone closes every socket and timer of the runtime: nothing is left for the io_context
  // to wait on, so run() returns as io.run() would.
  ASSERT_TRUE(loop.stop(/*stop_io=*/false));
  EXPECT_EQ(relay.runtime->stats().media_ports_open, 0u);
}

}  // namespace
}  // namespace resproxy::native
