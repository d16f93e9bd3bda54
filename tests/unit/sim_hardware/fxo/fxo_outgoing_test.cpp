// Outgoing calls on an FXO line, card and exchange line end back to back on the hand clock:
// seizure and the wait for dial tone, DTMF dialling with its timing, answer supervision with and
// without polarity reversal, and the busy / NU / congestion outcomes with their causes.
#include <gtest/gtest.h>

#include "line_bench.h"

namespace resproxy::fxo::testing {
namespace {

using gateway::CallAlerting;
using gateway::CallAnswered;
using gateway::CallDisconnected;
using gateway::CallProceeding;
using gateway::CallReleased;

// The exchange's side of an outgoing call, scripted: when the number is complete it plays
// `tone`; with `answer_after`, the called party answers that long later.
void script_exchange(LineBench& b, Tone tone, std::optional<Duration> answer_after = std::nullopt) {
  b.exchange = [&b, tone, answer_after](std::uint16_t line, const FxsReport& r) {
    if (!std::holds_alternative<DigitsDialled>(r)) return;
    b.fxs(line).play_tone(b.now, tone);
    if (answer_after) b.after(*answer_after, [&b, line] { b.fxs(line).far_party_answered(b.now); });
  };
}

// Seizure, dial tone (the exchange's after 300 ms, recognised after 200 ms), then DTMF at
// 100 ms on / 100 ms off (our choice; ITU-T Q.24 receivers must take 40 ms). The exchange takes
// the number after its 4 s inter-digit timeout; the card says CallProceeding once the last
// digit's pause is over.
TEST(FxoOutgoing, WaitsForDialToneThenDialsDtmfWithRealTiming) {
  LineBench b;
  b.advance(1s);
  const TimePoint t0 = b.now;
  b.command(place(1, "01632960999"));
  b.advance(10s);
  EXPECT_EQ(b.to_exchange_at(LoopState{true}), t0);
  ASSERT_EQ(b.reports_of<LineSeized>().size(), 1u);
  EXPECT_EQ(b.to_office_at(LineTone{Tone::DialTone}), t0 + 300ms);

  std::vector<std::pair<Duration, DtmfTone>> dialled;
  for (const auto& s : b.to_exchange[1]) {
    if (const auto* d = std::get_if<DtmfTone>(&s.signal)) dialled.emplace_back(s.t - t0, *d);
  }
  const std::string digits = "01632960999";
  ASSERT_EQ(dialled.size(), 2 * digits.size());
  for (std::size_t k = 0; k < digits.size(); ++k) {
    SCOPED_TRACE(k);
    const Duration on_at = 500ms + static_cast<int>(k) * 200ms;
    EXPECT_EQ(dialled[2 * k], std::make_pair(on_at, DtmfTone{digits[k], true}));
    EXPECT_EQ(dialled[2 * k + 1], std::make_pair(on_at + 100ms, DtmfTone{digits[k], false}));
  }
  // The exchange drops dial tone at the first digit (accepted when its tone ends).
  EXPECT_EQ(b.to_office_at(LineTone{Tone::Silence}, t0 + 300ms), t0 + 600ms);
  const auto proceeding = b.first_event<CallProceeding>();
  ASSERT_TRUE(proceeding);
  EXPECT_EQ(proceeding->first, t0 + 2700ms);
  const auto number = b.reports_of<DigitsDialled>();
  ASSERT_EQ(number.size(), 1u);
  EXPECT_EQ(number[0].second.digits, digits);
  EXPECT_EQ(number[0].first, t0 + 2600ms + 4s);
  EXPECT_FALSE(b.first_event<CallAnswered>());
}

// No dial tone within 3 s (our choice): the line cannot take the call now — cause 34, which the
// gateway treats as "try another line or route" (503 towards SIP). The release waits for the
// guard time like any other.
TEST(FxoOutgoing, NoDialToneReleasesWithCause34AfterTheTimeout) {
  FxsConfig exchange = uk_exchange();
  exchange.gives_dial_tone = false;
  LineBench b(uk_card(), {exchange});
  b.advance(1s);
  const TimePoint t0 = b.now;
  b.command(place(1, "01632960999"));
  b.advance(10s);
  EXPECT_EQ(b.to_exchange_at(LoopState{false}), t0 + 3s);
  EXPECT_TRUE(b.to_exchange_since(t0, 1).size() == 2u);  // seize, release: not one digit
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, t0 + 4s);
  EXPECT_EQ(released->second.call, 1u);
  EXPECT_EQ(released->second.cause, card_cause(34));
  EXPECT_EQ(b.card.counters().dial_tone_timeouts, 1u);
  EXPECT_EQ(b.reports_of<LineCleared>().size(), 1u);
}

// Answer supervision by polarity reversal: ringback (recognised after 1.5 s) alerts in band,
// the reversal answers at once; the polarity returning to normal is the far party's clear.
TEST(FxoOutgoing, TheReversalAnswersAndItsEndClears) {
  LineBench b;
  script_exchange(b, Tone::Ringback, 5s);
  b.advance(1s);
  const TimePoint t0 = b.now;
  b.command(place(1, "01632960999"));
  b.advance(15s);
  const TimePoint number_at = t0 + 6600ms;
  const auto alerting = b.first_event<CallAlerting>();
  ASSERT_TRUE(alerting);
  EXPECT_EQ(alerting->first, number_at + 1500ms);
  EXPECT_TRUE(alerting->second.inband);
  const auto answered = b.first_event<CallAnswered>();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->first, number_at + 5s);
  EXPECT_EQ(b.to_office_at(LinePolarity{true}), answered->first);

  const TimePoint t1 = b.now;
  b.fxs().far_party_cleared(b.now);
  b.pump();
  b.advance(1s);
  const auto disconnected = b.first_event<CallDisconnected>();
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->first, t1);  // the reversal ends with the clear, before the 90 ms
  EXPECT_EQ(disconnected->second.cause, exchange_cause(16));
}

// Without reversal, AfterDialling: the call is "answered" when the last digit is out. The SIP
// caller is connected while the far end still rings, and a busy line shows as an answered call
// cleared by its busy tone (16 after 4 s), not as 17: the price of no supervision.
TEST(FxoOutgoing, WithoutReversalAfterDiallingAnswersAtOnce) {
  FxoCardConfig card = uk_card();
  card.profile.answer = AnswerSupervision::AfterDialling;
  FxsConfig exchange = uk_exchange();
  exchange.answer_reversal = false;
  LineBench b(card, {exchange});
  script_exchange(b, Tone::Busy);
  b.advance(1s);
  const TimePoint t0 = b.now;
  b.command(place(1, "01632960999"));
  b.advance(15s);
  const auto answered = b.first_event<CallAnswered>();
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->first, t0 + 2700ms);
  EXPECT_EQ(b.first_event<CallProceeding>()->first, t0 + 2700ms);
  const auto disconnected = b.first_event<CallDisconnected>();
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->first, t0 + 6600ms + 4s);
  EXPECT_EQ(disconnected->second.cause, exchange_cause(16));
}

// Without reversal, AfterDelay (8 s): answered 8 s after dialling unless a busy / NU /
// congestion tone was recognised first — then the cause is kept as with reversal.
TEST(FxoOutgoing, WithoutReversalAfterDelayAnswersLateUnlessATone) {
  struct Case {
    std::string_view name;
    Tone tone;
    bool answered;
  };
  for (const Case& c : {Case{"ringback", Tone::Ringback, true}, Case{"busy", Tone::Busy, false}}) {
    SCOPED_TRACE(c.name);
    FxoCardConfig card = uk_card();
    card.profile.answer = AnswerSupervision::AfterDelay;
    FxsConfig exchange = uk_exchange();
    exchange.answer_reversal = false;
    LineBench b(card, {exchange});
    script_exchange(b, c.tone);
    b.advance(1s);
    const TimePoint t0 = b.now;
    b.command(place(1, "01632960999"));
    b.advance(20s);
    const auto answered = b.first_event<CallAnswered>();
    EXPECT_EQ(answered.has_value(), c.answered);
    if (c.answered) {
      EXPECT_EQ(answered->first, t0 + 2700ms + 8s);
      EXPECT_FALSE(b.first_event<CallDisconnected>());
    } else {
      const auto disconnected = b.first_event<CallDisconnected>();
      ASSERT_TRUE(disconnected);
      EXPECT_EQ(disconnected->first, t0 + 6600ms + 1500ms);
      EXPECT_EQ(disconnected->second.cause, exchange_cause(17));
    }
  }
}

// The exchange's verdict by tone, recognised after 1.5 s: busy 17, NU 1, congestion 34 — in
// band (the gateway may let the SIP caller hear it). The release after ClearCall keeps the cause.
TEST(FxoOutgoing, BusyNuAndCongestionToneGiveTheirCauses) {
  struct Case {
    std::string_view name;
    Tone tone;
    std::uint8_t cause;
  };
  for (const Case& c : {Case{"busy", Tone::Busy, 17}, Case{"number unobtainable", Tone::NumberUnobtainable, 1},
                        Case{"congestion", Tone::Congestion, 34}}) {
    SCOPED_TRACE(c.name);
    LineBench b;
    script_exchange(b, c.tone);
    b.gateway = [&b](const gateway::CardEvent& e) {
      if (const auto* d = std::get_if<CallDisconnected>(&e)) b.command(clear(d->call));
    };
    b.advance(1s);
    const TimePoint t0 = b.now;
    b.command(place(1, "01632960999"));
    b.advance(15s);
    const auto disconnected = b.first_event<CallDisconnected>();
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->first, t0 + 6600ms + 1500ms);
    EXPECT_EQ(disconnected->second.cause, exchange_cause(c.cause));
    EXPECT_TRUE(disconnected->second.inband);
    const auto released = b.first_event<CallReleased>();
    ASSERT_TRUE(released);
    EXPECT_EQ(released->first, disconnected->first + 1s);
    EXPECT_EQ(released->second.call, 1u);
    EXPECT_EQ(released->second.cause, exchange_cause(c.cause));
    EXPECT_FALSE(b.first_event<CallAnswered>());
  }
}

// A DTMF tone shorter than the exchange's receiver accepts (40 ms, ITU-T Q.24) dials nothing:
// the exchange never gets a digit and gives NU tone after its first-digit timeout.
TEST(FxoOutgoing, DtmfShorterThanTheReceiversMinimumDialsNothing) {
  struct Case {
    std::string_view name;
    Duration on;
    bool dialled;
  };
  for (const Case& c : {Case{"30 ms", 30ms, false}, Case{"40 ms", 40ms, true}}) {
    SCOPED_TRACE(c.name);
    FxoCardConfig card = uk_card();
    card.timings.dtmf_on = c.on;
    LineBench b(card, {uk_exchange()});
    b.command(place(1, "01632960999"));
    b.advance(15s);
    EXPECT_EQ(b.reports_of<DigitsDialled>().size(), c.dialled ? 1u : 0u);
    if (!c.dialled) {
      const auto disconnected = b.first_event<CallDisconnected>();
      ASSERT_TRUE(disconnected);
      EXPECT_EQ(disconnected->first, TimePoint{} + 10s + 1500ms);
      EXPECT_EQ(disconnected->second.cause, exchange_cause(1));
    }
  }
}

// Overlap sending: digits that come later (SendDigits) are dialled when they come; the dialling
// is done only with the complete flag.
TEST(FxoOutgoing, OverlapSendingDialsLaterDigits) {
  LineBench b;
  b.command(place(1, "0163", false));
  b.advance(2s);
  EXPECT_FALSE(b.first_event<CallProceeding>());
  b.command(gateway::SendDigits{1, "2960999", true});
  b.advance(10s);
  const auto proceeding = b.first_event<CallProceeding>();
  ASSERT_TRUE(proceeding);
  EXPECT_EQ(proceeding->first, TimePoint{} + 2s + 6 * 200ms + 200ms);
  const auto number = b.reports_of<DigitsDialled>();
  ASSERT_EQ(number.size(), 1u);
  EXPECT_EQ(number[0].second.digits, "01632960999");
}

}  // namespace
}  // namespace resproxy::fxo::testing
