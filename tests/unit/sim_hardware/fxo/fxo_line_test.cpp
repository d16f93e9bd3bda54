// The FXO line itself, card and exchange line end back to back on the hand clock: glare, a dead
// line and its span alarm, clearing and the guard time, and what the card tells the gateway
// about its span.
#include <gtest/gtest.h>

#include "line_bench.h"

namespace resproxy::fxo::testing {
namespace {

using gateway::CallReleased;
using gateway::IncomingCall;
using gateway::SpanState;

TEST(FxoLine, SpanInfoListsTheLinesAsChannels) {
  RecordingTraceSink trace;
  FxoCard card(uk_card(4), trace);
  const auto info = card.span_info();
  EXPECT_EQ(info.span, 1);
  EXPECT_EQ(info.kind, gateway::SpanKind::Fxo);
  EXPECT_EQ(info.name, "fxo-1");
  EXPECT_EQ(info.channels, (std::vector<std::uint16_t>{1, 2, 3, 4}));
  EXPECT_FALSE(info.overlap_receiving);
}

// Glare, the loop-start way: a PlaceCall on a line the exchange is ringing (ringing voltage on,
// or SIN 227 signalling under way) would answer that call, not get dial tone. Incoming wins: the
// PlaceCall fails at once with 44 and the line is never seized; the incoming call goes on.
TEST(FxoLine, PlaceCallOnARingingLineFailsWith44AndTheIncomingCallGoesOn) {
  struct Case {
    std::string_view name;
    std::optional<CallerIdMessage> caller_id;
    Duration place_after;
  };
  for (const Case& c : {Case{"ringing voltage on, not yet a ring", std::nullopt, 50ms},
                        Case{"SIN 227 reversal seen", uk_caller(), 150ms},
                        Case{"between the bursts", std::nullopt, 2s}}) {
    SCOPED_TRACE(c.name);
    LineBench b;
    ASSERT_EQ(b.fxs().present_call(b.now, c.caller_id), PresentResult::Presenting);
    b.pump();
    b.advance(c.place_after);
    const TimePoint t1 = b.now;
    b.command(place(1, "01632960999"));
    b.advance(3s);
    const auto released = b.first_event<CallReleased>();
    ASSERT_TRUE(released);
    EXPECT_EQ(released->first, t1);
    EXPECT_EQ(released->second.call, 1u);
    EXPECT_EQ(released->second.cause, card_cause(44));
    EXPECT_FALSE(b.to_exchange_at(LoopState{true}));
    EXPECT_TRUE(b.first_event<IncomingCall>());
    EXPECT_EQ(b.card.counters().glare, 1u);
  }
}

// The signals crossed: the exchange began presenting a call at the very instant we seized. The
// exchange takes our loop for an answer (ring trip) and connects its caller, so we hear speech
// where dial tone should be: incoming wins — PlaceCall fails with 44 and the connected call is
// presented to the gateway (answered on the line already).
TEST(FxoLine, CrossedSeizureIsAnsweredByRingTripAndIncomingWins) {
  LineBench b;
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.card.on_command(b.now, place(1, "01632960999"));  // before the reversal has reached us
  b.pump();
  b.advance(2s);
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, t0);
  EXPECT_EQ(released->second.call, 1u);
  EXPECT_EQ(released->second.cause, card_cause(44));
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, t0);
  EXPECT_EQ(incoming->second.call % 2, 0u);
  EXPECT_EQ(incoming->second.channel, (gateway::ChannelId{1, 1}));
  EXPECT_EQ(b.reports_of<LineAnswered>().size(), 1u);
  EXPECT_TRUE(b.reports_of<LineSeized>().empty());
  EXPECT_EQ(b.fxs().state(), FxsState::ConnectedIn);
  EXPECT_TRUE(b.trace.contains("fxo.glare"));
  // It is a call like any other: cleared by the gateway, released after the guard.
  const TimePoint t1 = b.now;
  b.command(clear(incoming->second.call));
  b.advance(2s);
  const auto all = b.events_of<CallReleased>();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].first, t1 + 1s);
  EXPECT_EQ(all[1].second.call, incoming->second.call);
}

// The other order: our seizure reached the exchange first. The line is busy to the exchange's
// caller (outgoing wins there) and our call proceeds.
TEST(FxoLine, ASeizureBeforeThePresentationMakesTheLineBusy) {
  LineBench b;
  b.command(place(1, "01632960999"));
  EXPECT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Busy);
  b.pump();
  b.advance(10s);
  EXPECT_FALSE(b.first_event<IncomingCall>());
  EXPECT_EQ(b.reports_of<DigitsDialled>().size(), 1u);
}

// No battery for 2 s (our choice: longer than any clear signal) is a dead line; the span's alarm
// is LineDead while all its lines are dead, and clears the moment the battery returns.
TEST(FxoLine, ADeadLineRaisesTheSpanAlarmAndClearsIt) {
  LineBench b;
  b.advance(1s);
  const TimePoint t1 = b.now;
  b.fxs().set_battery(b.now, false);
  b.pump();
  b.advance(5s);
  auto states = b.events_of<SpanState>();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].first, t1 + 2s);
  EXPECT_EQ(states[0].second.alarm, gateway::Alarm::LineDead);
  EXPECT_EQ(b.card.alarm(), gateway::Alarm::LineDead);
  EXPECT_TRUE(b.trace.contains("card.alarm_raised"));
  // A dead line is refused at once with 38 (network out of order), never seized.
  b.command(place(1, "01632960999"));
  const auto refused = b.first_event<CallReleased>();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->first, b.now);
  EXPECT_EQ(refused->second.cause, card_cause(38));
  EXPECT_FALSE(b.to_exchange_at(LoopState{true}));

  const TimePoint t2 = b.now;
  b.fxs().set_battery(b.now, true);
  b.pump();
  states = b.events_of<SpanState>();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[1].first, t2);
  EXPECT_EQ(states[1].second.alarm, gateway::Alarm::None);
  b.command(place(3, "01632960999"));
  b.advance(1s);
  EXPECT_EQ(b.to_exchange_at(LoopState{true}), t2);
}

TEST(FxoLine, TheSpanAlarmNeedsEveryLineDead) {
  LineBench b(uk_card(2), {uk_exchange(), uk_exchange()});
  b.fxs(1).set_battery(b.now, false);
  b.pump();
  b.advance(5s);
  EXPECT_TRUE(b.events_of<SpanState>().empty());  // line 2 still carries calls
  b.fxs(2).set_battery(b.now, false);
  b.pump();
  b.advance(5s);
  ASSERT_EQ(b.events_of<SpanState>().size(), 1u);
  b.fxs(1).set_battery(b.now, true);
  b.pump();
  ASSERT_EQ(b.events_of<SpanState>().size(), 2u);
  EXPECT_EQ(b.events_of<SpanState>()[1].second.alarm, gateway::Alarm::None);
}

// A card whose line never shows battery after power-up raises the alarm after line_dead_after.
TEST(FxoLine, ALineThatNeverShowsBatteryIsDead) {
  RecordingTraceSink trace;
  FxoCard card(uk_card(), trace);
  card.start(TimePoint{});
  ASSERT_EQ(card.next_deadline(), TimePoint{} + 2s);
  card.on_deadline(TimePoint{} + 2s);
  const auto e = card.next_event();
  ASSERT_TRUE(e);
  const auto* state = std::get_if<SpanState>(&*e);
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->alarm, gateway::Alarm::LineDead);
}

// A line that dies while we wait for dial tone: the call is given up with 38 when the line is
// declared dead, before the dial-tone timeout.
TEST(FxoLine, ALineDyingDuringSeizureReleasesWith38) {
  FxsConfig exchange = uk_exchange();
  exchange.gives_dial_tone = false;
  LineBench b(uk_card(), {exchange});
  b.command(place(1, "01632960999"));
  b.advance(500ms);
  b.fxs().set_battery(b.now, false);
  b.pump();
  b.advance(5s);
  EXPECT_EQ(b.to_exchange_at(LoopState{false}), TimePoint{} + 2500ms);
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, TimePoint{} + 3500ms);
  EXPECT_EQ(released->second.cause, card_cause(38));
  EXPECT_EQ(b.card.counters().dial_tone_timeouts, 0u);
}

// ClearCall: on hook at once; the channel is free (CallReleased) only after the 1 s guard —
// longer than the exchange's 500 ms clear recognition, so that the next seizure is a new call and
// never a hook flash. A PlaceCall during the guard finds the channel busy (44).
TEST(FxoLine, ClearCallReleasesAfterTheGuardAndTheNextSeizureIsANewCall) {
  LineBench b;
  b.exchange = [&b](std::uint16_t, const FxsReport& r) {
    if (std::holds_alternative<DigitsDialled>(r)) b.fxs().far_party_answered(b.now);
  };
  b.command(place(1, "01632960999"));
  b.advance(10s);
  ASSERT_TRUE(b.first_event<gateway::CallAnswered>());
  const TimePoint t1 = b.now;
  b.command(clear(1));
  b.advance(600ms);
  b.command(place(3, "01632960999"));
  b.advance(400ms);
  b.command(place(5, "01632960999"));
  b.advance(1s);

  EXPECT_EQ(b.to_exchange_at(LoopState{false}), t1);
  const auto cleared = b.reports_of<LineCleared>();
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].first, t1 + 500ms);
  const auto released = b.events_of<CallReleased>();
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].first, t1 + 600ms);  // the PlaceCall during the guard
  EXPECT_EQ(released[0].second.call, 3u);
  EXPECT_EQ(released[0].second.cause, card_cause(44));
  EXPECT_EQ(released[1].first, t1 + 1s);
  EXPECT_EQ(released[1].second.call, 1u);
  EXPECT_EQ(released[1].second.cause, card_cause(16));
  // Call 5 seizes after the release: the exchange saw a clear, then a new seizure.
  EXPECT_EQ(b.to_exchange_at(LoopState{true}, t1), t1 + 1s);
  const auto seized = b.reports_of<LineSeized>();
  ASSERT_EQ(seized.size(), 2u);
  EXPECT_EQ(seized[1].first, t1 + 1s);
  EXPECT_GT(seized[1].first, cleared[0].first);
}

}  // namespace
}  // namespace resproxy::fxo::testing
