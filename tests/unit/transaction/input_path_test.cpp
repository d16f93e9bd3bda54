// SipNode's one input path: whatever kind of input arrives at `now`, the timers due at `now` run
// first, then the input is acted on — the same order in every runtime — and `now` may not go
// backwards.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::transaction::testing {
namespace {

using namespace std::chrono_literals;

const Address kLocal{"192.0.2.1", 5060};
const Address kPeer{"192.0.2.9", 5062};

// Records, in order, the timers it fired and the inputs its hooks heard of.
class OrderNode final : public SipNode {
 public:
  OrderNode(Rng& rng, TraceSink& trace)
      : SipNode(SipNodeConfig{.transport = {.local = kLocal}, .timers = {}}, rng, trace) {}

  void handle_completion(TimePoint, const Completion&) override { order.emplace_back("completion"); }
  void handle_command(TimePoint, const AdminCommand& c) override {
    order.emplace_back("command");
    reply(c.id, admin::Unsupported{});
  }
  void handle_receive_delay(TimePoint, Duration) override { order.emplace_back("receive_delay"); }
  void handle_interfaces(TimePoint, const std::vector<NetInterface>&) override {
    order.emplace_back("interfaces");
  }
  void handle_wall_clock(TimePoint, Duration) override { order.emplace_back("wall_clock"); }

  void schedule_at(TimePoint at) {
    timers().schedule(at, [this](TimePoint) { order.emplace_back("timer"); });
  }
  std::vector<std::string> order;
};

struct Input {
  std::string name;
  std::function<void(Node&, TimePoint)> feed;
  std::string hook;  // what the subclass hears; empty: nothing (the transport layer takes it)
};

std::vector<Input> every_input() {
  const Path udp{Transport::Udp, kLocal, kPeer, StreamId{}};
  const Path tcp{Transport::Tcp, kLocal, kPeer, StreamId{7}};
  return {
      {"datagram", [udp](Node& n, TimePoint t) { n.on_datagram(t, udp, "\r\n\r\n"); }, ""},
      {"stream_opened", [tcp](Node& n, TimePoint t) { n.on_stream_opened(t, tcp); }, ""},
      {"stream_data", [](Node& n, TimePoint t) { n.on_stream_data(t, StreamId{7}, "\r\n"); }, ""},
      {"stream_closed",
       [](Node& n, TimePoint t) { n.on_stream_closed(t, StreamId{7}, StreamCloseReason::PeerClosed); }, ""},
      {"deadline", [](Node& n, TimePoint t) { n.on_deadline(t); }, ""},
      {"completion", [](Node& n, TimePoint t) { n.on_completion(t, StoreDone{1, StoreOutcome::Ok}); },
       "completion"},
      {"command", [](Node& n, TimePoint t) { n.on_command(t, AdminCommand{1, admin::ShowCounters{}}); },
       "command"},
      {"receive_delay", [](Node& n, TimePoint t) { n.on_receive_delay(t, 1ms); }, "receive_delay"},
      {"interfaces", [](Node& n, TimePoint t) { n.on_interfaces(t, {}); }, "interfaces"},
      {"wall_clock", [](Node& n, TimePoint t) { n.on_wall_clock(t, 1700000000s); }, "wall_clock"},
  };
}

TEST(InputPath, EveryKindOfInputRunsTheTimersDueAtItsTimeFirst) {
  for (const auto& input : every_input()) {
    SCOPED_TRACE(input.name);
    SeededRng rng(1);
    NullTraceSink trace;
    OrderNode node(rng, trace);
    const TimePoint t{10s};
    node.schedule_at(t);         // due exactly at the input's time
    node.schedule_at(t + 1ms);   // not yet due
    input.feed(node, t);
    std::vector<std::string> expected{"timer"};
    if (!input.hook.empty()) expected.push_back(input.hook);
    EXPECT_EQ(node.order, expected);
    EXPECT_EQ(node.next_deadline(), t + 1ms);
  }
}

TEST(InputPath, EveryNodeAnswersACommandOnceEvenWithoutManagement) {
  SeededRng rng(1);
  NullTraceSink trace;
  class Plain final : public SipNode {
   public:
    using SipNode::SipNode;
  } node(SipNodeConfig{.transport = {.local = kLocal}, .timers = {}}, rng, trace);
  node.on_command(TimePoint{1s}, AdminCommand{42, admin::ShowRegistrations{}});
  auto effect = node.next_effect();
  ASSERT_TRUE(effect.has_value());
  const auto* reply = std::get_if<CommandReply>(&*effect);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->id, 42u);
  EXPECT_TRUE(std::holds_alternative<admin::Unsupported>(reply->result));
  EXPECT_FALSE(node.next_effect().has_value());
}

TEST(InputPathDeathTest, TimeGoingBackwardsIsARuntimeBugAndStops) {
  SeededRng rng(1);
  NullTraceSink trace;
  OrderNode node(rng, trace);
  node.on_deadline(TimePoint{10s});
  node.on_deadline(TimePoint{10s});  // the same instant twice is fine
  EXPECT_DEATH(node.on_completion(TimePoint{9s}, StoreDone{1, StoreOutcome::Ok}), "now >= last_input_");
}

}  // namespace
}  // namespace resproxy::transaction::testing
