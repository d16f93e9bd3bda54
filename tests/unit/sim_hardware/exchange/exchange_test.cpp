// The emulated exchange (sim_hardware/exchange/exchange.h) against the office's real cards: a
// PriCard on its E1 and an FxoCard on its two analogue lines, driven through CardCommands and
// read through CardEvents as the gateway will (exchange_bench.h), on a hand clock.
#include "sim_hardware/exchange/exchange.h"

#include <gtest/gtest.h>

#include "tests/unit/sim_hardware/exchange/exchange_bench.h"

namespace resproxy::exchange {
namespace {

using namespace std::chrono_literals;
using gateway::Alarm;
using gateway::CallAlerting;
using gateway::CallAnswered;
using gateway::CallDisconnected;
using gateway::CallProceeding;
using gateway::CallReleased;
using gateway::IncomingCall;
using gateway::SpanState;
using testing::ExchangeBench;
using testing::kFxoSpan;
using testing::kPriSpan;
using testing::office_config;

// When the exchange routed its `n`-th call (trace "exchange.call_routed").
std::optional<TimePoint> routed_at(const ExchangeBench& b, CallId call) {
  for (const auto& e : b.trace.events) {
    if (e.name == "exchange.call_routed" && e.field("call") == std::to_string(call)) return e.t;
  }
  return std::nullopt;
}

// ---- The office calls out over the E1 -------------------------------------------------------

TEST(ExchangeE1Outgoing, SubscriberAnswersAfterThreeSecondsAndTheOfficeClears) {
  ExchangeBench b;
  const TimePoint t0 = b.now;
  b.place_pri(1, "01632960123", 5);
  ASSERT_TRUE(b.first<CallProceeding>(1));
  const auto alerting = b.first<CallAlerting>(1);
  ASSERT_TRUE(alerting);
  EXPECT_TRUE(alerting->second.inband);  // ringback on the B-channel
  b.advance(10s);
  const auto answered = b.first<CallAnswered>(1);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->first, t0 + 3s);
  b.clear(1);
  const auto released = b.first<CallReleased>(1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 16);

  ASSERT_EQ(b.exchange.records().size(), 1u);
  const CallRecord& r = b.last_record();
  EXPECT_EQ(r.direction, CallDirection::FromOffice);
  EXPECT_EQ(r.calling, "01632961000");
  EXPECT_EQ(r.called, "01632960123");
  EXPECT_EQ(r.port, "e1-1");
  EXPECT_EQ(r.channel, 5);
  EXPECT_EQ(r.start, t0);
  EXPECT_EQ(r.answer, t0 + 3s);
  EXPECT_EQ(r.end, b.now);
  EXPECT_EQ(r.cause, 16);
  EXPECT_EQ(r.cleared_by, ClearedBy::Office);
  EXPECT_EQ(r.outcome, CallOutcome::Answered);
  EXPECT_EQ(b.exchange.trunk_calls(), 0u);
  EXPECT_EQ(b.exchange.span(b.e1).call_count(), 0u);
}

TEST(ExchangeE1Outgoing, BusyUnallocatedAndUnknownNumbersGiveTheirCausesWithATone) {
  struct Case {
    const char* name;
    const char* number;
    std::uint8_t cause;
    CallOutcome outcome;
  };
  for (const Case& c : {Case{"busy", "01632960100", 17, CallOutcome::Busy},
                        Case{"unallocated", "01632960300", 1, CallOutcome::Refused},
                        Case{"not in the plan", "01632970000", 1, CallOutcome::Refused},
                        Case{"not digits", "0163296*123", 1, CallOutcome::Refused}}) {
    SCOPED_TRACE(c.name);
    ExchangeBench b;
    b.place_pri(1, c.number);
    ASSERT_TRUE(b.first<CallProceeding>(1));
    const auto disconnected = b.first<CallDisconnected>(1);
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->second.cause.value, c.cause);
    EXPECT_TRUE(disconnected->second.inband);  // busy tone / announcement on the channel
    const auto released = b.first<CallReleased>(1);  // the gateway cleared it
    ASSERT_TRUE(released);
    EXPECT_EQ(released->second.cause.value, c.cause);
    const CallRecord& r = b.last_record();
    EXPECT_EQ(r.cause, c.cause);
    EXPECT_EQ(r.outcome, c.outcome);
    EXPECT_FALSE(r.answer);
    EXPECT_EQ(r.end, b.now);
    EXPECT_EQ(b.exchange.trunk_calls(), 0u);  // a refused call holds no circuit
  }
}

TEST(ExchangeE1Outgoing, WithoutInBandTonesARefusalIsReleaseCompleteAtOnce) {
  ExchangeConfig config = office_config();
  config.in_band_tones = false;
  ExchangeBench b(config);
  b.place_pri(1, "01632960100");
  EXPECT_FALSE(b.first<CallProceeding>(1));
  EXPECT_FALSE(b.first<CallDisconnected>(1));
  const auto released = b.first<CallReleased>(1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 17);
  EXPECT_EQ(b.last_record().outcome, CallOutcome::Busy);
}

TEST(ExchangeE1Outgoing, NoAnswerIsClearedWith19ByTheExchangesTimer) {
  ExchangeBench b;
  const TimePoint t0 = b.now;
  b.place_pri(1, "01632960200");
  ASSERT_TRUE(b.first<CallAlerting>(1));
  b.advance(119s);
  EXPECT_FALSE(b.first<CallDisconnected>(1));
  b.advance(2s);
  const auto disconnected = b.first<CallDisconnected>(1);
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->first, t0 + 2min);
  EXPECT_EQ(disconnected->second.cause.value, 19);
  ASSERT_TRUE(b.first<CallReleased>(1));
  const CallRecord& r = b.last_record();
  EXPECT_EQ(r.cause, 19);
  EXPECT_EQ(r.outcome, CallOutcome::NoAnswer);
  EXPECT_EQ(r.end, t0 + 2min);
  ASSERT_TRUE(b.resolved(r.id));
  EXPECT_EQ(b.resolved(r.id)->outcome, CallOutcome::NoAnswer);
}

TEST(ExchangeE1Outgoing, TheSubscriberHangsUpAfterTheHoldTimeWith16) {
  ExchangeBench b;
  b.place_pri(1, "01632960500");  // answers after 2 s, hangs up 30 s later
  const TimePoint t0 = b.now;
  b.advance(1min);
  const auto disconnected = b.first<CallDisconnected>(1);
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->first, t0 + 32s);
  EXPECT_EQ(disconnected->second.cause.value, 16);
  const CallRecord& r = b.last_record();
  EXPECT_EQ(r.answer, t0 + 2s);
  EXPECT_EQ(r.end, t0 + 32s);
  EXPECT_EQ(r.cause, 16);
  EXPECT_EQ(r.cleared_by, ClearedBy::Pstn);  // the subscriber, not the office
  EXPECT_EQ(r.outcome, CallOutcome::Answered);
}

// ---- Capacity, congestion, emergency -----------------------------------------------------------

// The exchange does not reserve circuits for emergency calls: the office's gateway must keep one
// free (docs/gateway.md "The emulated exchange"). Beyond the capacity every call gets 34, on the
// E1 as RELEASE COMPLETE, on a line as congestion tone.
TEST(ExchangeCapacity, BeyondTheTrunkCapacityCallsAreRefusedWith34Even999) {
  ExchangeConfig config = office_config();
  config.trunk_capacity = 2;
  ExchangeBench b(config);
  b.place_pri(1, "01632960123", 1);
  b.place_pri(3, "01632960124", 2);
  ASSERT_TRUE(b.first<CallAlerting>(1));
  ASSERT_TRUE(b.first<CallAlerting>(3));
  EXPECT_EQ(b.exchange.trunk_calls(), 2u);

  b.place_pri(5, "01632960125", 3);
  EXPECT_FALSE(b.first<CallProceeding>(5));
  ASSERT_TRUE(b.first<CallReleased>(5));
  EXPECT_EQ(b.first<CallReleased>(5)->second.cause.value, 34);
  EXPECT_EQ(b.last_record().outcome, CallOutcome::Refused);
  EXPECT_EQ(b.last_record().cause, 34);

  b.place_pri(7, "999", 3);
  ASSERT_TRUE(b.first<CallReleased>(7));
  EXPECT_EQ(b.first<CallReleased>(7)->second.cause.value, 34);

  b.place_fxo(101, "01632960126");
  b.advance(6s);
  const auto fxo = b.first<CallDisconnected>(101);
  ASSERT_TRUE(fxo);
  EXPECT_EQ(fxo->second.cause.value, 34);  // congestion tone, as the card reads it
  EXPECT_EQ(b.last_record().cause, 34);
  EXPECT_EQ(b.last_record().port, "fxo-1");

  const CallId pstn = b.originate("01632960555", "01632961001");
  EXPECT_EQ(b.resolved(pstn)->outcome, CallOutcome::Refused);
  EXPECT_EQ(b.resolved(pstn)->cause, 34);
  EXPECT_TRUE(b.all_of<IncomingCall>().empty());

  b.clear(1);  // one place frees
  EXPECT_EQ(b.exchange.trunk_calls(), 1u);
  b.place_pri(9, "01632960127", 3);
  EXPECT_TRUE(b.first<CallAlerting>(9));
}

TEST(ExchangeCongestion, EveryNewCallIsRefusedWith42UntilItEndsButEmergencyPasses) {
  ExchangeBench b;
  b.place_pri(1, "01632960123", 1);  // in progress before the fault: goes on
  b.exchange.start_congestion(b.now, b.now + 30s);
  b.place_pri(3, "01632960124", 2);
  ASSERT_TRUE(b.first<CallReleased>(3));
  EXPECT_EQ(b.first<CallReleased>(3)->second.cause.value, 42);
  EXPECT_EQ(b.last_record().cause, 42);

  const CallId pstn = b.originate("01632960555", "01632961001");
  EXPECT_EQ(b.resolved(pstn)->cause, 42);

  const TimePoint t999 = b.now;
  b.place_pri(5, "999", 3);
  b.advance(5s);
  ASSERT_TRUE(b.first<CallAnswered>(5));
  EXPECT_EQ(b.first<CallAnswered>(5)->first, t999 + 1s);
  EXPECT_TRUE(b.first<CallAnswered>(1));

  b.place_fxo(101, "01632960124");
  b.advance(6s);
  ASSERT_TRUE(b.first<CallDisconnected>(101));
  EXPECT_EQ(b.last_record().cause, 42);  // the card hears congestion tone (34 to it)

  b.advance(30s);
  EXPECT_FALSE(b.exchange.is_congested(b.now));
  b.place_pri(7, "01632960125", 4);
  EXPECT_TRUE(b.first<CallAlerting>(7));
}

// ---- The PSTN calls the office ------------------------------------------------------------------

TEST(ExchangeIncoming, ASubscriberCallingADdiNumberArrivesOnTheE1WithItsNumbers) {
  ExchangeBench b;
  b.gateway = [&](const gateway::CardEvent& e) {
    if (const auto* in = std::get_if<IncomingCall>(&e)) {
      b.command(gateway::AnswerCall{.call = in->call});
    } else if (const auto* d = std::get_if<CallDisconnected>(&e)) {
      b.clear(d->call, d->cause.value);
    }
  };
  const TimePoint t0 = b.now;
  const CallId id = b.originate("01632960555", "01632961042", /*restricted=*/false,
                                DurationRange::fixed(20s));
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].channel.span, kPriSpan);
  EXPECT_EQ(incoming[0].channel.channel, 31);  // the network hunts from the top
  EXPECT_EQ(incoming[0].called.digits, "01632961042");
  EXPECT_EQ(incoming[0].calling.digits, "01632960555");
  EXPECT_EQ(incoming[0].calling.type, gateway::NumberType::National);
  EXPECT_FALSE(incoming[0].calling.restricted);
  ASSERT_TRUE(b.resolved(id));
  EXPECT_EQ(b.resolved(id)->outcome, CallOutcome::Answered);

  b.advance(30s);  // the subscriber hangs up after 20 s
  const auto disconnected = b.first<CallDisconnected>(incoming[0].call);
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->second.cause.value, 16);
  EXPECT_TRUE(b.first<CallReleased>(incoming[0].call));
  const CallRecord& r = *b.exchange.record(id);
  EXPECT_EQ(r.direction, CallDirection::ToOffice);
  EXPECT_EQ(r.calling, "01632960555");
  EXPECT_EQ(r.called, "01632961042");
  EXPECT_EQ(r.port, "e1-1");
  EXPECT_EQ(r.channel, 31);
  EXPECT_EQ(r.answer, t0);
  EXPECT_EQ(r.end, t0 + 20s);
  EXPECT_EQ(r.cause, 16);
}

TEST(ExchangeIncoming, WithheldNumbersAndShortDdiDigitsAreAsConfigured) {
  ExchangeConfig config = office_config();
  config.spans[0].ddi_digits = 4;
  ExchangeBench b(config);
  b.originate("01632960555", "01632961042", /*restricted=*/true);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].called.digits, "1042");
  EXPECT_EQ(incoming[0].called.type, gateway::NumberType::Unknown);
  EXPECT_TRUE(incoming[0].calling.restricted);
  EXPECT_EQ(b.last_record().called, "01632961042");  // the record keeps what was dialled
}

TEST(ExchangeIncoming, ASubscriberCallingALinesNumberRingsThatFxoLineWithCallerId) {
  ExchangeBench b;
  const CallId id = b.originate("01632960555", "01632961201");
  b.advance(3s);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].channel.span, kFxoSpan);
  EXPECT_EQ(incoming[0].channel.channel, 2);
  EXPECT_EQ(incoming[0].calling.digits, "01632960555");
  EXPECT_FALSE(incoming[0].calling.restricted);
  EXPECT_TRUE(incoming[0].called.digits.empty());  // no DDI on a line
  EXPECT_FALSE(b.resolved(id));                    // still ringing

  const TimePoint answered_at = b.now;
  b.command(gateway::AnswerCall{.call = incoming[0].call});
  ASSERT_TRUE(b.resolved(id));
  EXPECT_EQ(b.resolved(id)->outcome, CallOutcome::Answered);
  b.advance(10s);
  b.clear(incoming[0].call);
  b.advance(5s);
  EXPECT_TRUE(b.first<CallReleased>(incoming[0].call));
  const CallRecord& r = *b.exchange.record(id);
  EXPECT_EQ(r.port, "fxo-2");
  EXPECT_EQ(r.channel, 0);
  EXPECT_EQ(r.answer, answered_at);
  EXPECT_EQ(r.end, answered_at + 10s + 500ms);  // the exchange's clear recognition
  EXPECT_EQ(r.cause, 16);
  EXPECT_EQ(b.exchange.line(b.lines[1]).state(), fxo::FxsState::Idle);
}

TEST(ExchangeIncoming, AWithheldCallerReachesTheLineAsRestricted) {
  ExchangeBench b;
  b.originate("01632960555", "01632961200", /*restricted=*/true);
  b.advance(3s);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].channel.channel, 1);
  EXPECT_TRUE(incoming[0].calling.restricted);
}

TEST(ExchangeIncoming, TheCallerGivesUpWhenNobodyAnswersAndTheCallIsAbandoned) {
  ExchangeBench b;
  b.gateway = [&](const gateway::CardEvent& e) {
    if (const auto* in = std::get_if<IncomingCall>(&e)) {
      b.command(gateway::AlertCall{.call = in->call, .inband = false});
    } else if (const auto* d = std::get_if<CallDisconnected>(&e)) {
      b.clear(d->call, d->cause.value);
    }
  };
  const TimePoint t0 = b.now;
  const CallId id = b.originate("01632960555", "01632961042", false, std::nullopt, 15s);
  b.advance(20s);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  ASSERT_TRUE(b.first<CallReleased>(incoming[0].call));
  const CallRecord& r = *b.exchange.record(id);
  EXPECT_EQ(r.outcome, CallOutcome::Abandoned);
  EXPECT_EQ(r.cause, 16);
  EXPECT_EQ(r.end, t0 + 15s);
}

TEST(ExchangeIncoming, AnUnknownNumberOrABusyLineIsRefused) {
  ExchangeBench b;
  const CallId unknown = b.originate("01632960555", "01632969999");
  EXPECT_EQ(b.resolved(unknown)->cause, 1);
  EXPECT_EQ(b.exchange.record(unknown)->end, b.now);

  b.place_fxo(101, "01632960123", 2);  // line 2 off hook
  const CallId busy = b.originate("01632960555", "01632961201");
  EXPECT_EQ(b.resolved(busy)->outcome, CallOutcome::Busy);
  EXPECT_EQ(b.resolved(busy)->cause, 17);
}

// ---- Alarms and outages ---------------------------------------------------------------------

TEST(ExchangeAlarms, LosEndsTheSpansCallsRefusesNewOnesAndRecoveryWorks) {
  ExchangeBench b;
  b.place_pri(1, "01632960123", 1);
  b.advance(4s);
  ASSERT_TRUE(b.first<CallAnswered>(1));

  b.exchange.set_span_alarm(b.now, b.e1, Alarm::Los);
  b.pump();
  EXPECT_EQ(b.exchange.span(b.e1).alarm(), Alarm::Los);
  EXPECT_EQ(b.pri.alarm(), Alarm::Los);
  const auto states = b.all_of<SpanState>();
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back().alarm, Alarm::Los);
  ASSERT_TRUE(b.first<CallReleased>(1));
  EXPECT_EQ(b.first<CallReleased>(1)->second.cause.value, 38);
  EXPECT_EQ(b.exchange.record(1)->cause, 38);
  EXPECT_EQ(b.exchange.record(1)->end, b.now);
  EXPECT_EQ(b.exchange.trunk_calls(), 0u);

  const CallId pstn = b.originate("01632960555", "01632961042");
  EXPECT_EQ(b.resolved(pstn)->outcome, CallOutcome::Refused);
  EXPECT_EQ(b.resolved(pstn)->cause, 38);
  b.place_pri(3, "01632960123", 2);
  ASSERT_TRUE(b.first<CallReleased>(3));
  EXPECT_EQ(b.first<CallReleased>(3)->second.cause.value, 38);  // the card, locally

  b.advance(1min);
  b.exchange.set_span_alarm(b.now, b.e1, Alarm::None);
  b.pump();
  EXPECT_EQ(b.pri.alarm(), Alarm::None);
  EXPECT_FALSE(b.all_of<gateway::ChannelsRestarted>().empty());  // the card's RESTART, answered
  b.place_pri(5, "01632960123", 1);
  b.advance(4s);
  EXPECT_TRUE(b.first<CallAnswered>(5));
  b.originate("01632960555", "01632961042");
  EXPECT_EQ(b.all_of<IncomingCall>().size(), 1u);
}

TEST(ExchangeAlarms, AisReachesTheOfficeAsAisWhileTheExchangeSeesRai) {
  ExchangeBench b;
  b.exchange.set_span_alarm(b.now, b.e1, Alarm::Ais);
  b.pump();
  EXPECT_EQ(b.pri.alarm(), Alarm::Ais);
  EXPECT_EQ(b.exchange.span(b.e1).alarm(), Alarm::Rai);
}

TEST(ExchangeAlarms, ADeadLineEndsItsCallAndRefusesCallsUntilRepaired) {
  ExchangeBench b;
  b.gateway = [&](const gateway::CardEvent& e) {
    if (const auto* in = std::get_if<IncomingCall>(&e)) {
      b.command(gateway::AnswerCall{.call = in->call});
    } else if (const auto* d = std::get_if<CallDisconnected>(&e)) {
      b.clear(d->call, d->cause.value);
    }
  };
  const CallId first = b.originate("01632960555", "01632961201");
  b.advance(3s);
  ASSERT_EQ(b.resolved(first)->outcome, CallOutcome::Answered);

  b.exchange.set_line_battery(b.now, b.lines[1], false);
  b.pump();
  EXPECT_EQ(b.exchange.record(first)->cause, 38);
  EXPECT_EQ(b.exchange.record(first)->end, b.now);
  b.advance(5s);
  EXPECT_TRUE(b.first<CallReleased>(b.all_of<IncomingCall>()[0].call));

  const CallId refused = b.originate("01632960555", "01632961201");
  EXPECT_EQ(b.resolved(refused)->cause, 38);
  b.place_fxo(101, "01632960123", 2);
  ASSERT_TRUE(b.first<CallReleased>(101));
  EXPECT_EQ(b.first<CallReleased>(101)->second.cause.value, 38);  // no battery: the card refuses

  b.exchange.set_line_battery(b.now, b.lines[1], true);
  b.advance(1s);
  b.originate("01632960555", "01632961201");
  b.advance(3s);
  EXPECT_EQ(b.all_of<IncomingCall>().size(), 2u);
}

// ---- The office calls out on an analogue line -------------------------------------------------

TEST(ExchangeFxoOutgoing, DigitsDialledOneByOneReachASubscriberWhoAnswers) {
  ExchangeBench b;
  const TimePoint t0 = b.now;
  b.place_fxo(101, "01632960123");
  b.advance(10s);
  ASSERT_TRUE(b.first<CallAlerting>(101));  // ringback, recognised by the card
  const auto answered = b.first<CallAnswered>(101);
  ASSERT_TRUE(answered);
  const CallRecord& r = b.last_record();
  const auto routed = routed_at(b, r.id);
  ASSERT_TRUE(routed);
  // Complete on its 11th digit (the number length for "0"), not after an inter-digit timeout:
  // dial tone 0.3 s, recognised 0.2 s later, 11 digits of 100 ms on, 100 ms off.
  EXPECT_EQ(*routed, t0 + 500ms + 11 * 200ms - 100ms);
  EXPECT_EQ(answered->first, *routed + 3s);
  EXPECT_EQ(r.direction, CallDirection::FromOffice);
  EXPECT_EQ(r.calling, "01632961200");
  EXPECT_EQ(r.called, "01632960123");
  EXPECT_EQ(r.port, "fxo-1");
  EXPECT_EQ(r.start, t0);
  EXPECT_EQ(r.answer, answered->first);
  EXPECT_EQ(r.outcome, CallOutcome::Answered);

  const TimePoint cleared = b.now;
  b.clear(101);
  b.advance(3s);
  EXPECT_TRUE(b.first<CallReleased>(101));
  EXPECT_EQ(b.last_record().end, cleared + 500ms);
  EXPECT_EQ(b.last_record().cause, 16);
  EXPECT_EQ(b.exchange.trunk_calls(), 0u);
}

TEST(ExchangeFxoOutgoing, BusyAndUnobtainableNumbersGiveTheirTones) {
  struct Case {
    const char* number;
    std::uint8_t exchange_cause;  // in the record
    std::uint8_t card_cause;      // what the card reads from the tone
    fxo::Tone tone;
  };
  for (const Case& c : {Case{"01632960100", 17, 17, fxo::Tone::Busy},
                        Case{"01632960300", 1, 1, fxo::Tone::NumberUnobtainable}}) {
    SCOPED_TRACE(c.number);
    ExchangeBench b;
    b.place_fxo(101, c.number);
    b.advance(4s);
    EXPECT_EQ(b.exchange.line(b.lines[0]).tone(), c.tone);
    b.advance(4s);
    const auto disconnected = b.first<CallDisconnected>(101);
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->second.cause.value, c.card_cause);
    b.advance(3s);
    EXPECT_TRUE(b.first<CallReleased>(101));
    EXPECT_EQ(b.last_record().cause, c.exchange_cause);
    EXPECT_TRUE(b.last_record().end);
    EXPECT_FALSE(b.last_record().answer);
  }
}

TEST(ExchangeFxoOutgoing, NineNineNineIsCompleteAtThreeDigitsAndAnswers) {
  ExchangeBench b;
  b.place_fxo(101, "999");
  b.advance(5s);
  ASSERT_TRUE(b.first<CallAnswered>(101));
  const auto routed = routed_at(b, b.last_record().id);
  ASSERT_TRUE(routed);
  EXPECT_EQ(b.first<CallAnswered>(101)->first, *routed + 1s);
  EXPECT_EQ(b.last_record().called, "999");
}

TEST(ExchangeFxoOutgoing, WithoutAKnownLengthTheNumberEndsAtTheInterDigitTimeout) {
  ExchangeConfig config = office_config();
  config.number_lengths.clear();
  ExchangeBench b(config);
  const TimePoint t0 = b.now;
  b.place_fxo(101, "01632960123");
  b.advance(12s);
  const auto routed = routed_at(b, b.last_record().id);
  ASSERT_TRUE(routed);
  EXPECT_EQ(*routed, t0 + 500ms + 11 * 200ms - 100ms + 4s);
  EXPECT_TRUE(b.first<CallAnswered>(101));
}

// ---- Determinism --------------------------------------------------------------------------

std::vector<CallRecord> random_day(std::uint64_t seed) {
  ExchangeBench b(office_config(), seed);
  b.gateway = [&](const gateway::CardEvent& e) {
    if (const auto* in = std::get_if<IncomingCall>(&e)) {
      b.command(gateway::AnswerCall{.call = in->call});
    } else if (const auto* d = std::get_if<CallDisconnected>(&e)) {
      b.clear(d->call, d->cause.value);
    }
  };
  // 01632960400 answers after 1-9 s and hangs up after 10-60 s.
  b.place_pri(1, "01632960400", 1);
  b.after(2s, [&] { b.place_pri(3, "01632960400", 2); });
  b.after(3s, [&] { b.place_fxo(101, "01632960400"); });
  b.after(4s, [&] { b.place_pri(5, "01632960400", 3); });
  b.after(5s, [&] {
    b.originate("01632960777", "01632961050", false, DurationRange{5s, 50s});
  });
  b.advance(3min);
  return b.exchange.records();
}

TEST(ExchangeDeterminism, TheSameSeedGivesTheSameRecords) {
  const auto a = random_day(7);
  const auto again = random_day(7);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a, again);
  for (const CallRecord& r : a) {
    SCOPED_TRACE(r.id);
    EXPECT_EQ(r.outcome, CallOutcome::Answered);
    EXPECT_TRUE(r.end);
  }
  EXPECT_NE(a, random_day(8));  // the draws do matter
}

}  // namespace
}  // namespace resproxy::exchange
