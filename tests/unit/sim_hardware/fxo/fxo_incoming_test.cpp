// Incoming calls on an FXO line, card and exchange line end back to back on the hand clock:
// ring validation and counting, caller ID before the first ring (SIN 227) and between the first
// and second (Bellcore GR-30), answer, the caller giving up, and the far end's clear.
#include <gtest/gtest.h>

#include "line_bench.h"

namespace resproxy::fxo::testing {
namespace {

using gateway::CallDisconnected;
using gateway::CallReleased;
using gateway::IncomingCall;

// The exchange rings in the configured cadence (UK double ring: 0.4 on, 0.2 off, 0.4 on, 2.0 off).
TEST(FxoIncoming, ExchangeRingsTheUkDoubleRingCadence) {
  LineBench b;
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
  b.pump();
  b.advance(7s);
  std::vector<std::pair<Duration, bool>> got;
  for (const auto& s : b.to_office[1]) {
    if (const auto* r = std::get_if<RingingVoltage>(&s.signal)) got.emplace_back(s.t - t0, r->on);
  }
  const std::vector<std::pair<Duration, bool>> want = {
      {0ms, true}, {400ms, false}, {600ms, true}, {1000ms, false}, {3000ms, true}, {3400ms, false},
      {3600ms, true}, {4000ms, false}, {6000ms, true}, {6400ms, false}, {6600ms, true}, {7000ms, false}};
  EXPECT_EQ(got, want);
}

// SIN 227 idle-state signalling: line reversal, >= 100 ms, Tone Alert Signal 88-110 ms, the
// terminal's loads 15-25 ms after it, FSK >= 45 ms after it, loads off 50-150 ms after the data,
// ringing >= 200 ms after the data. The call is presented at the first ring (once validated),
// with the number the data carried.
TEST(FxoIncoming, Sin227CallerIdComesBeforeTheFirstRing) {
  LineBench b;
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(5s);

  const auto reversal = b.to_office_at(LinePolarity{true});
  const auto alert_on = b.to_office_at(LineTone{Tone::ToneAlert});
  ASSERT_TRUE(reversal && alert_on);
  const auto alert_off = b.to_office_at(LineTone{Tone::Silence}, *alert_on);
  const auto load_on = b.to_exchange_at(CallerIdLoad{true});
  const auto fsk_on = b.to_office_at(LineTone{Tone::Fsk});
  const auto octets = encode_caller_id(uk_caller(), CallerIdStandard::Sin227).value();
  const auto data = b.to_office_at(CallerIdData{octets});
  const auto load_off = b.to_exchange_at(CallerIdLoad{false});
  const auto ring = b.to_office_at(RingingVoltage{true});
  ASSERT_TRUE(alert_off && load_on && fsk_on && data && load_off && ring);

  EXPECT_EQ(*reversal, t0);
  EXPECT_GE(*alert_on - *reversal, 100ms);
  EXPECT_GE(*alert_off - *alert_on, 88ms);
  EXPECT_LE(*alert_off - *alert_on, 110ms);
  EXPECT_GE(*load_on - *alert_off, 15ms);
  EXPECT_LE(*load_on - *alert_off, 25ms);
  EXPECT_GE(*fsk_on - *alert_off, 45ms);
  EXPECT_EQ(*data - *fsk_on, fsk_burst_duration(octets.size(), sin227_framing()));
  EXPECT_GE(*load_off - *data, 50ms);
  EXPECT_LE(*load_off - *data, 150ms);
  EXPECT_GE(*ring - *data, 200ms);
  EXPECT_EQ(b.to_office_at(LinePolarity{false}), ring);  // ringing in normal polarity

  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, *ring + 125ms);  // the first ring, once it is a ring
  const IncomingCall& call = incoming->second;
  EXPECT_EQ(call.call % 2, 0u);  // the card numbers the calls it presents evenly
  EXPECT_EQ(call.channel, (gateway::ChannelId{1, 1}));
  EXPECT_TRUE(call.called.digits.empty());  // no DDI on an FXO line
  EXPECT_EQ(call.calling.digits, "01632960123");
  EXPECT_TRUE(call.calling.available);
  EXPECT_FALSE(call.calling.restricted);
  EXPECT_TRUE(call.complete);
}

// Reason for absence: 'P' (withheld) -> restricted, no number; 'O' (out of area) -> unavailable.
TEST(FxoIncoming, ReasonForAbsenceGivesTheNumbersFlags) {
  struct Case {
    std::string_view name;
    AbsenceReason reason;
    bool restricted;
  };
  for (const Case& c : {Case{"withheld P", AbsenceReason::Private, true},
                        Case{"out of area O", AbsenceReason::Unavailable, false}}) {
    SCOPED_TRACE(c.name);
    LineBench b;
    CallerIdMessage m;
    m.date_time = CallerIdDateTime{3, 15, 14, 30};
    m.number_absent = c.reason;
    ASSERT_EQ(b.fxs().present_call(b.now, m), PresentResult::Presenting);
    b.pump();
    b.advance(3s);
    const auto incoming = b.first_event<IncomingCall>();
    ASSERT_TRUE(incoming);
    EXPECT_TRUE(incoming->second.calling.digits.empty());
    EXPECT_FALSE(incoming->second.calling.available);
    EXPECT_EQ(incoming->second.calling.restricted, c.restricted);
  }
}

// GR-30: the data >= 500 ms after the first ring and >= 200 ms before the second; the call is
// presented as soon as it has been decoded, between the two rings.
TEST(FxoIncoming, BellcoreCallerIdComesBetweenTheFirstAndSecondRing) {
  LineBench b(us_card(), {us_exchange()});
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, us_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(8s);
  const auto octets = encode_caller_id(us_caller(), CallerIdStandard::Bellcore).value();
  const auto first_off = b.to_office_at(RingingVoltage{false});
  const auto fsk_on = b.to_office_at(LineTone{Tone::Fsk});
  const auto data = b.to_office_at(CallerIdData{octets});
  const auto second_on = b.to_office_at(RingingVoltage{true}, t0 + 1ms);
  ASSERT_TRUE(first_off && fsk_on && data && second_on);
  EXPECT_EQ(*first_off, t0 + 2s);
  EXPECT_GE(*fsk_on - *first_off, 500ms);
  EXPECT_EQ(*data - *fsk_on, fsk_burst_duration(octets.size(), bellcore_framing()));
  EXPECT_GE(*second_on - *data, 200ms);
  EXPECT_EQ(*second_on, t0 + 6s);  // the message fits: the cadence is kept
  EXPECT_TRUE(b.to_office_at(LinePolarity{true}) == std::nullopt);  // no reversal in GR-30

  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, *data);
  EXPECT_EQ(incoming->second.calling.digits, "2025550123");
  EXPECT_EQ(b.events_of<IncomingCall>().size(), 1u);
}

// Without caller ID the card waits for the configured number of rings (Bellcore: 2, since its
// data would come after the first).
TEST(FxoIncoming, WithoutCallerIdBellcoreLinesPresentAtTheSecondRing) {
  FxsConfig exchange = us_exchange();
  exchange.caller_id.reset();
  LineBench b(us_card(), {exchange});
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, us_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(8s);
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, t0 + 6s + 125ms);
  EXPECT_FALSE(incoming->second.calling.available);
}

// One UK double ring is one ring: bursts 0.2 s apart (less than the cycle gap, 1.1 s) are counted
// once, so a line set to present after 2 rings does so at the second double ring (3.0 s).
TEST(FxoIncoming, AUkDoubleRingCountsAsOneRing) {
  FxoCardConfig card = uk_card();
  card.profile.rings_without_caller_id = 2;
  FxsConfig exchange = uk_exchange();
  exchange.caller_id.reset();
  LineBench b(card, {exchange});
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
  b.pump();
  b.advance(5s);
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, t0 + 3s + 125ms);
}

// Cadence validation: a burst shorter than min_ring_burst (125 ms, our choice: shorter than any
// real ring, longer than a bell tinkle) is not a ring.
TEST(FxoIncoming, ABurstShorterThanTheMinimumIsNotARing) {
  struct Case {
    std::string_view name;
    Duration burst;
    bool presented;
  };
  for (const Case& c : {Case{"100 ms tinkle", 100ms, false}, Case{"124 ms", 124ms, false},
                        Case{"125 ms", 125ms, true}}) {
    SCOPED_TRACE(c.name);
    FxsConfig exchange = uk_exchange();
    exchange.caller_id.reset();
    exchange.cadence = RingCadence{{c.burst, 2s}};
    LineBench b(uk_card(), {exchange});
    ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
    b.pump();
    b.advance(10s);
    EXPECT_EQ(b.first_event<IncomingCall>().has_value(), c.presented);
    if (!c.presented) {
      EXPECT_GE(b.card.counters().rings_rejected, 4u);
      EXPECT_TRUE(b.trace.contains("fxo.ring_rejected"));
    }
  }
}

// Caller-ID data damaged on the line fails its checksum: counted, traced, and the call is still
// presented — without a number — as soon as the data would have been (GR-30, between the rings).
TEST(FxoIncoming, DamagedCallerIdPresentsTheCallWithoutANumber) {
  LineBench b(us_card(), {us_exchange()});
  b.line_noise = [](LineSignal& s) {
    if (auto* d = std::get_if<CallerIdData>(&s)) d->octets.at(5) ^= 0x10;
  };
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, us_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(8s);
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_LT(incoming->first, t0 + 6s);
  EXPECT_FALSE(incoming->second.calling.available);
  EXPECT_EQ(b.card.counters().caller_id_errors, 1u);
  const auto* e = b.trace.find("fxo.caller_id_invalid");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->field("error"), "checksum_mismatch");
}

// SIN 227 data the exchange sends without ringing (it may) is forgotten once no ring follows
// within the ring timeout: it does not stick to the next call.
TEST(FxoIncoming, Sin227DataWithoutRingingIsForgotten) {
  LineBench b;
  ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(1s);  // the data is in (0.933 s), the ring not yet (1.183 s)
  b.fxs().caller_abandoned(b.now);
  b.pump();
  b.advance(5s);
  EXPECT_FALSE(b.first_event<IncomingCall>());
  EXPECT_FALSE(b.to_office_at(RingingVoltage{true}));
  EXPECT_EQ(b.to_exchange_at(CallerIdLoad{false}).value() - b.to_exchange_at(CallerIdLoad{true}).value(),
            933'333'334ns + 100ms - 320ms);
  // The next call, without caller ID, is presented without the old number.
  ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
  b.pump();
  b.advance(1s);
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_FALSE(incoming->second.calling.available);
}

// SIN 227 signalling broken off before its data: the card gives it up on its own timers —
// reversal without an alert within 1 s, alert without FSK within 500 ms, FSK without data within
// 3 s (our choices, docs/gateway.md) — removes its load, and the line is free again (a PlaceCall
// then is no glare).
TEST(FxoIncoming, Sin227SignallingBrokenOffIsGivenUpOnTheCardsTimers) {
  struct Case {
    std::string_view name;
    Duration abandon_at;  // the exchange stops presenting
    Duration over_at;     // the card gives up
    bool load;            // the card had put its loads on
  };
  for (const Case& c : {Case{"before the alert", 100ms, 1s, false},
                        Case{"after the alert", 350ms, 300ms + 500ms, true},
                        Case{"during the FSK", 600ms, 400ms + 3s, true}}) {
    SCOPED_TRACE(c.name);
    LineBench b;
    ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
    b.pump();
    b.after(c.abandon_at, [&b] { b.fxs().caller_abandoned(b.now); });
    b.advance(c.over_at - 1ms);
    b.command(place(1, "01632960999"));  // still signalling: glare
    ASSERT_EQ(b.events_of<CallReleased>().size(), 1u);
    EXPECT_EQ(b.events_of<CallReleased>()[0].second.cause, card_cause(44));
    b.advance(1ms);
    EXPECT_TRUE(b.trace.contains("fxo.caller_id_incomplete"));
    EXPECT_EQ(b.to_exchange_at(CallerIdLoad{true}).has_value(), c.load);
    if (c.load) {
      EXPECT_EQ(b.to_exchange_at(CallerIdLoad{false}), TimePoint{} + c.over_at);
    }
    b.command(place(3, "01632960999"));
    EXPECT_EQ(b.to_exchange_at(LoopState{true}), b.now);
    EXPECT_FALSE(b.first_event<IncomingCall>());
  }
}

// SIN 227: the terminal looks for >= 20 ms of the Tone Alert Signal. A shorter one is not an
// alert: no loads, the data that follows is not expected and not taken, and the call is presented
// at its first ring without a number.
TEST(FxoIncoming, AToneAlertShorterThan20msIsNotOne) {
  FxsConfig exchange = uk_exchange();
  exchange.alert_duration = 15ms;
  LineBench b(uk_card(), {exchange});
  ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(3s);
  EXPECT_TRUE(b.trace.contains("fxo.alert_rejected"));
  EXPECT_FALSE(b.to_exchange_at(CallerIdLoad{true}));
  const auto incoming = b.first_event<IncomingCall>();
  ASSERT_TRUE(incoming);
  EXPECT_EQ(incoming->first, b.to_office_at(RingingVoltage{true}).value() + 125ms);
  EXPECT_FALSE(incoming->second.calling.available);
}

// GR-30 needs the data to end >= 200 ms before the next ring: where a long message would not fit
// the cadence's silence, our exchange delays that ring rather than cut the data.
TEST(FxoIncoming, BellcoreDataThatWouldNotFitDelaysTheNextRing) {
  FxsConfig exchange = us_exchange();
  exchange.cadence = RingCadence{{2s, 1s}};
  FxoCardConfig card = us_card();
  card.profile.cadence = exchange.cadence;
  LineBench b(card, {exchange});
  CallerIdMessage m = us_caller();
  m.name = "DOE JOHN";
  ASSERT_EQ(b.fxs().present_call(b.now, m), PresentResult::Presenting);
  b.pump();
  b.advance(6s);
  const auto octets = encode_caller_id(m, CallerIdStandard::Bellcore).value();
  const auto data = b.to_office_at(CallerIdData{octets});
  ASSERT_TRUE(data);
  EXPECT_EQ(*data, TimePoint{} + 2s + 600ms + fsk_burst_duration(octets.size(), bellcore_framing()));
  EXPECT_EQ(b.to_office_at(RingingVoltage{true}, TimePoint{} + 1ms), *data + 200ms);
  ASSERT_TRUE(b.first_event<IncomingCall>());
  EXPECT_EQ(b.first_event<IncomingCall>()->first, *data);
}

// AnswerCall closes the loop; the exchange trips the ringing at once and connects the caller.
TEST(FxoIncoming, AnswerClosesTheLoopAndTheExchangeTripsTheRinging) {
  LineBench b;
  std::optional<TimePoint> answered_at;
  b.gateway = [&](const gateway::CardEvent& e) {
    if (const auto* in = std::get_if<IncomingCall>(&e)) {
      const auto call = in->call;
      b.after(100ms, [&, call] {
        answered_at = b.now;
        b.command(gateway::AnswerCall{call});
      });
    }
  };
  ASSERT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(3s);
  ASSERT_TRUE(answered_at);
  EXPECT_EQ(b.to_exchange_at(LoopState{true}), answered_at);
  const auto answered = b.reports_of<LineAnswered>();
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].first, *answered_at);
  EXPECT_EQ(b.to_office_at(RingingVoltage{false}, *answered_at - 1ns), answered_at);  // mid-burst
  EXPECT_EQ(b.fxs().state(), FxsState::ConnectedIn);
  EXPECT_TRUE(b.reports_of<LineSeized>().empty());  // an answer, not a new call
}

// The caller gives up before the answer: no ring comes for 1.5 x the longest silence (UK: 3 s
// after the last burst) and the call is released with 16, as ISDN's DISCONNECT would say.
TEST(FxoIncoming, TheCallerGivingUpReleasesWithCause16AfterTheRingTimeout) {
  FxsConfig exchange = uk_exchange();
  exchange.caller_id.reset();
  LineBench b(uk_card(), {exchange});
  b.advance(1s);
  const TimePoint t0 = b.now;
  ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
  b.pump();
  b.advance(1500ms);  // the double ring's second burst ended at 1.0 s
  b.fxs().caller_abandoned(b.now);
  b.pump();
  b.advance(10s);
  const auto incoming = b.first_event<IncomingCall>();
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(incoming && released);
  EXPECT_EQ(released->first, t0 + 1s + 3s);
  EXPECT_EQ(released->second.call, incoming->second.call);
  EXPECT_EQ(released->second.cause, exchange_cause(16));
  EXPECT_TRUE(b.trace.contains("fxo.caller_gave_up"));
}

// The gateway refusing an unanswered call cannot stop the ringing on a loop-start line: the
// channel stays busy until the caller gives up, then the release carries the gateway's cause.
TEST(FxoIncoming, ClearingAnUnansweredCallWaitsForTheRingingToStop) {
  FxsConfig exchange = uk_exchange();
  exchange.caller_id.reset();
  LineBench b(uk_card(), {exchange});
  ASSERT_EQ(b.fxs().present_call(b.now, std::nullopt), PresentResult::Presenting);
  b.pump();
  b.advance(200ms);
  const auto call = b.first_event<IncomingCall>().value().second.call;
  b.command(clear(call, 21));
  b.command(gateway::AnswerCall{call});  // too late: ignored
  b.advance(3s);
  EXPECT_FALSE(b.first_event<CallReleased>());
  EXPECT_FALSE(b.to_exchange_at(LoopState{true}));
  b.fxs().caller_abandoned(b.now);  // at 3.2 s, during the third burst (3.0-3.4 s)
  b.pump();
  b.advance(10s);
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, TimePoint{} + 3200ms + 3s);  // the burst was cut at 3.2 s
  EXPECT_EQ(released->second.cause, card_cause(21));
}

// Answers a presented call (SIN 227 line) and returns its id.
gateway::LineCallId answer_incoming(LineBench& b) {
  EXPECT_EQ(b.fxs().present_call(b.now, uk_caller()), PresentResult::Presenting);
  b.pump();
  b.advance(1500ms);
  const auto incoming = b.first_event<IncomingCall>();
  EXPECT_TRUE(incoming);
  const auto call = incoming->second.call;
  b.command(gateway::AnswerCall{call});
  b.advance(1s);
  EXPECT_EQ(b.fxs().state(), FxsState::ConnectedIn);
  return call;
}

// The far party clears: the exchange interrupts the loop current (300 ms here); >= 90 ms of it is
// the clear (our choice), cause 16. ClearCall opens the loop, the exchange sees the line hang up
// after its 500 ms, and the call is released after the 1 s guard with the first cause.
TEST(FxoIncoming, FarEndClearByLoopCurrentInterruption) {
  LineBench b;
  const auto call = answer_incoming(b);
  const TimePoint t1 = b.now;
  b.fxs().far_party_cleared(b.now);
  b.pump();
  b.advance(1s);
  EXPECT_EQ(b.to_office_at(BatteryState{false}, t1), t1);
  const auto disconnected = b.first_event<CallDisconnected>();
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->first, t1 + 90ms);
  EXPECT_EQ(disconnected->second.call, call);
  EXPECT_EQ(disconnected->second.cause, exchange_cause(16));
  EXPECT_FALSE(disconnected->second.inband);

  const TimePoint t2 = b.now;
  b.command(clear(call));
  b.advance(2s);
  EXPECT_EQ(b.to_exchange_at(LoopState{false}, t2), t2);
  const auto cleared = b.reports_of<LineCleared>();
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].first, t2 + 500ms);
  const auto released = b.first_event<CallReleased>();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->first, t2 + 1s);
  EXPECT_EQ(released->second.cause, exchange_cause(16));
  EXPECT_EQ(b.fxs().state(), FxsState::Idle);
}

// A dip of loop current shorter than 90 ms is a transient, not a clear.
TEST(FxoIncoming, ALoopCurrentDipShorterThan90msIsNotAClear) {
  struct Case {
    std::string_view name;
    Duration open;
    bool clear;
  };
  for (const Case& c : {Case{"80 ms", 80ms, false}, Case{"100 ms", 100ms, true}}) {
    SCOPED_TRACE(c.name);
    FxsConfig exchange = uk_exchange();
    exchange.open_switch_interval = c.open;
    exchange.tone_after_clear = Tone::Speech;  // nothing else on the line says "cleared"
    LineBench b(uk_card(), {exchange});
    answer_incoming(b);
    const TimePoint t1 = b.now;
    b.fxs().far_party_cleared(b.now);
    b.pump();
    b.advance(10s);
    const auto disconnected = b.first_event<CallDisconnected>();
    EXPECT_EQ(disconnected.has_value(), c.clear);
    if (disconnected) {
      EXPECT_EQ(disconnected->first, t1 + 90ms);
    }
  }
}

// Where the exchange gives no loop interruption, its tone after the far party's clear, lasting
// clear_tone_recognition (4 s), is the clear: busy -> 16 (what follows a normal clear),
// congestion or NU -> 31 (the call ended, the reason unknown).
TEST(FxoIncoming, FarEndClearByTheToneThatFollowsIt) {
  struct Case {
    std::string_view name;
    Tone tone;
    std::uint8_t cause;
  };
  for (const Case& c : {Case{"busy", Tone::Busy, 16}, Case{"congestion", Tone::Congestion, 31},
                        Case{"number unobtainable", Tone::NumberUnobtainable, 31}}) {
    SCOPED_TRACE(c.name);
    FxsConfig exchange = uk_exchange();
    exchange.clear_by_loop_interruption = false;
    exchange.tone_after_clear = c.tone;
    LineBench b(uk_card(), {exchange});
    answer_incoming(b);
    const TimePoint t1 = b.now;
    b.fxs().far_party_cleared(b.now);
    b.pump();
    b.advance(10s);
    const auto disconnected = b.first_event<CallDisconnected>();
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->first, t1 + 4s);
    EXPECT_EQ(disconnected->second.cause, exchange_cause(c.cause));
  }
}

// DTMF both ways in a connected call: SendDtmf goes out as a tone burst of its duration; the far
// party's digits come back as DtmfReceived once their tone has lasted 40 ms (ITU-T Q.24).
TEST(FxoIncoming, DtmfBothWaysInAConnectedCall) {
  LineBench b;
  const auto call = answer_incoming(b);
  const TimePoint t1 = b.now;
  b.command(gateway::SendDtmf{call, '5', 120});
  b.advance(1s);
  EXPECT_EQ(b.to_exchange_at(DtmfTone{'5', true}, t1), t1);
  EXPECT_EQ(b.to_exchange_at(DtmfTone{'5', false}, t1), t1 + 120ms);
  const auto from_line = b.reports_of<DtmfFromLine>();
  ASSERT_EQ(from_line.size(), 1u);
  EXPECT_EQ(from_line[0].second.digit, '5');
  const TimePoint t2 = b.now;
  b.fxs().send_dtmf(b.now, '7');
  b.pump();
  b.advance(1s);
  const auto received = b.first_event<gateway::DtmfReceived>();
  ASSERT_TRUE(received);
  EXPECT_EQ(received->first, t2 + 100ms);
  EXPECT_EQ(received->second.call, call);
  EXPECT_EQ(received->second.digit, '7');
}

}  // namespace
}  // namespace resproxy::fxo::testing
