// SipNodeApplication hosting a TelephonyHost (sim_hardware/host): ToCard effects reach the cards
// at the simulated now, the host's deadlines run on their own simulator event, and the cards'
// events reach the core as completions of their own — never inside an effect drain.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include <ns3/node-container.h>
#include <ns3/simulator.h>

#include "model/lossy_link.h"
#include "model/simulation.h"
#include "model/sip_node_application.h"
#include "model/trace_collector.h"
#include "sim_hardware/host/telephony_host.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

// Places calls on command (Inject) and records the card events it hears, checking that none
// arrives while the runtime is still draining its effects.
class CardCallerNode final : public TestNodeBase {
 public:
  using TestNodeBase::TestNodeBase;
  std::optional<resproxy::Effect> next_effect() override {
    draining_ = !effects_.empty();
    return TestNodeBase::next_effect();
  }
  void on_completion(resproxy::TimePoint now, const resproxy::Completion& completion) override {
    if (draining_) ++inside_drain;
    if (const auto* event = std::get_if<gateway::FromCard>(&completion)) heard.push_back({now, *event});
  }
  void place(gateway::LineCallId call, const std::string& number) {
    effects_.emplace_back(gateway::ToCard{
        .span = 1,
        .command = gateway::PlaceCall{.call = call, .channel = {.span = 1, .channel = 1},
                                      .called = {.digits = number, .type = gateway::NumberType::National},
                                      .calling = {.digits = "2001"}}});
  }
  template <typename Event>
  std::optional<resproxy::TimePoint> first(gateway::LineCallId call = 0) const {
    for (const auto& [t, e] : heard) {
      if (const auto* x = std::get_if<Event>(&e.event)) {
        if constexpr (requires { x->call; }) {
          if (call != 0 && x->call != call) continue;
        }
        return t;
      }
    }
    return std::nullopt;
  }

  std::vector<std::pair<resproxy::TimePoint, gateway::FromCard>> heard;
  int inside_drain = 0;

 private:
  bool draining_ = false;
};

telephony::TelephonyHostConfig one_e1() {
  telephony::TelephonyHostConfig c;
  c.exchange.plan = exchange::NumberingPlan({{.first = "01632960000", .last = "01632960000",
                                              .profile = {.kind = exchange::SubscriberKind::Answers,
                                                          .answer_after = exchange::DurationRange::fixed(3s),
                                                          .hold_time = std::nullopt},
                                              .emergency = false}});
  c.exchange.spans.push_back({.name = "e1-1", .ddi_first = "", .ddi_last = "", .ddi_digits = 0, .span = {}});
  telephony::E1CardSlot slot;
  slot.card.span = 1;
  slot.card.name = "e1-1";
  slot.exchange_port = "e1-1";
  c.e1.push_back(slot);
  return c;
}

struct CallRun {
  std::vector<std::pair<resproxy::TimePoint, gateway::FromCard>> heard;
  int inside_drain = 0;
  std::optional<resproxy::TimePoint> span_state, answered, released;
};

CallRun run_call(bool with_host) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;
  nodes.Create(1);
  install_internet(nodes, 1000);
  resproxy::Rng& rng = sim.rng(7);
  auto owned = std::make_unique<CardCallerNode>(sim.trace().sink_for("gw"));
  CardCallerNode& node = *owned;
  auto app = install_sip_node(nodes.Get(0), std::move(owned), ns3::Seconds(0.5), ns3::Seconds(30));
  if (with_host) {
    auto host = telephony::TelephonyHost::create(one_e1(), rng, sim.trace().sink_for("pstn"));
    EXPECT_TRUE(host.has_value());
    app->SetTelephonyHost(std::move(host).value());
  }
  ns3::Simulator::Schedule(ns3::Seconds(2), [app] {
    app->Inject([](resproxy::Node& core, resproxy::TimePoint) {
      dynamic_cast<CardCallerNode&>(core).place(1, "01632960000");
    });
  });
  sim.run_until(ns3::Seconds(30));
  CallRun out;
  out.heard = node.heard;
  out.inside_drain = node.inside_drain;
  out.span_state = node.first<gateway::SpanState>();
  out.answered = node.first<gateway::CallAnswered>(1);
  out.released = node.first<gateway::CallReleased>(1);
  return out;
}

TEST(Ns3Telephony, HostedCardsPlaceTheCallAndAnswerAtTheExchangesTime) {
  const CallRun run = run_call(true);
  const resproxy::TimePoint t0{};
  ASSERT_TRUE(run.span_state.has_value()) << "the card reports its span when the application starts";
  EXPECT_EQ(*run.span_state, t0 + 500ms);
  ASSERT_TRUE(run.answered.has_value());
  EXPECT_EQ(*run.answered, t0 + 5s) << "placed at 2 s, the subscriber answers after 3 s (a host deadline)";
  EXPECT_FALSE(run.released.has_value());
  EXPECT_EQ(run.inside_drain, 0);
}

TEST(Ns3Telephony, WithoutAHostAPlacedCallIsReleasedWith38) {
  const CallRun run = run_call(false);
  ASSERT_TRUE(run.released.has_value());
  EXPECT_EQ(*run.released, resproxy::TimePoint{} + 2s);
  const auto& released = std::get<gateway::CallReleased>(run.heard.back().second.event);
  EXPECT_EQ(released.cause.value, gateway::cause::kNetworkOutOfOrder);
  EXPECT_EQ(run.inside_drain, 0);
}

TEST(Ns3Telephony, TheSameRunHearsTheSameEventsAtTheSameTimes) {
  const CallRun a = run_call(true);
  const CallRun b = run_call(true);
  ASSERT_EQ(a.heard.size(), b.heard.size());
  for (std::size_t i = 0; i < a.heard.size(); ++i) {
    EXPECT_EQ(a.heard[i].first, b.heard[i].first);
    EXPECT_EQ(a.heard[i].second.event.index(), b.heard[i].second.event.index());
  }
}

}  // namespace
}  // namespace resproxy::model::test_nodes
