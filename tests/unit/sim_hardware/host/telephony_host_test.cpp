// The telephony host (sim_hardware/host/telephony_host.h): an E1 card (span 1) and an FXO card of
// two lines (span 2) plugged into the emulated exchange, driven as one object through ToCard /
// FromCard as the gateway's runtime will, on a hand clock that jumps from deadline to deadline.
#include "sim_hardware/host/telephony_host.h"

#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace resproxy::telephony {
namespace {

using namespace std::chrono_literals;
using exchange::CallOutcome;
using exchange::NumberRange;
using exchange::SubscriberKind;
using exchange::SubscriberProfile;
using gateway::Alarm;
using gateway::CallAlerting;
using gateway::CallAnswered;
using gateway::CallDisconnected;
using gateway::CallProceeding;
using gateway::CallReleased;
using gateway::CardCommand;
using gateway::CardEvent;
using gateway::FromCard;
using gateway::IncomingCall;
using gateway::LineCallId;
using gateway::SpanId;
using gateway::SpanState;

constexpr SpanId kE1 = 1;
constexpr SpanId kFxo = 2;

SubscriberProfile answers_after(exchange::DurationRange after) {
  return {.kind = SubscriberKind::Answers, .answer_after = after, .hold_time = std::nullopt};
}
SubscriberProfile behaves(SubscriberKind kind) {
  return {.kind = kind,
          .answer_after = exchange::DurationRange::fixed(3s),
          .hold_time = std::nullopt};
}
NumberRange one(std::string number, SubscriberProfile profile) {
  return {.first = number, .last = number, .profile = profile, .emergency = false};
}

// The office: E1 "e1-1" (DDI 01632 961000-961099) on span 1; lines "fxo-1" (01632 961200) and
// "fxo-2" (01632 961201) on the two lines of the FXO card of span 2. The PSTN: the demo's fiction
// block, answering after 3 s here, with a busy, an unallocated and a slow, random subscriber.
TelephonyHostConfig office() {
  TelephonyHostConfig c;
  c.exchange.plan = exchange::NumberingPlan({
      {.first = "01632960000", .last = "01632960999",
       .profile = answers_after(exchange::DurationRange::fixed(3s)), .emergency = false},
      one("01632960100", behaves(SubscriberKind::Busy)),
      one("01632960300", behaves(SubscriberKind::Unallocated)),
      one("01632960400", answers_after({1s, 9s})),
  });
  c.exchange.spans.push_back({.name = "e1-1", .ddi_first = "01632961000",
                              .ddi_last = "01632961099", .ddi_digits = 0, .span = {}});
  c.exchange.lines.push_back({.name = "fxo-1", .directory_number = "01632961200", .line = {}});
  c.exchange.lines.push_back({.name = "fxo-2", .directory_number = "01632961201", .line = {}});
  E1CardSlot e1;
  e1.card.span = kE1;
  e1.card.name = "e1-1";
  e1.exchange_port = "e1-1";
  c.e1.push_back(e1);
  FxoCardSlot fxo;
  fxo.card.span = kFxo;
  fxo.card.name = "fxo-1";
  fxo.card.lines = 2;
  fxo.exchange_ports = {"fxo-1", "fxo-2"};
  c.fxo.push_back(std::move(fxo));
  return c;
}

gateway::PartyNumber national(std::string digits) {
  return {.digits = std::move(digits), .type = gateway::NumberType::National, .restricted = false,
          .available = true};
}

struct Logged {
  TimePoint t;
  FromCard from;
};

// The runtime and the gateway around one host, on a hand clock.
class HostBench {
 public:
  explicit HostBench(TelephonyHostConfig config = office(), std::uint64_t seed = 1) : rng(seed) {
    auto created = TelephonyHost::create(std::move(config), rng, trace);
    RESPROXY_CHECK(created.has_value());
    host = std::move(created).value();
    host->start(now);
    collect();
  }

  // --- The gateway ---
  void command(SpanId span, CardCommand c) {
    host->on_command(now, gateway::ToCard{.span = span, .command = std::move(c)});
    collect();
  }
  void place(SpanId span, LineCallId call, std::string called, std::uint16_t channel = 1) {
    command(span, gateway::PlaceCall{.call = call,
                                     .channel = {.span = span, .channel = channel},
                                     .called = national(std::move(called)),
                                     .calling = national("01632961000"),
                                     .sending_complete = true});
  }
  void clear(SpanId span, LineCallId call, std::uint8_t cause = gateway::cause::kNormalClearing) {
    command(span, gateway::ClearCall{.call = call, .cause = cause});
  }

  // --- The PSTN ---
  exchange::CallId originate(std::string calling, std::string called) {
    const auto id = host->originate(now, exchange::PstnCall{.calling = national(std::move(calling)),
                                                            .called = std::move(called),
                                                            .patience = std::nullopt,
                                                            .hold_time = std::nullopt});
    collect();
    return id;
  }

  // --- Time: jump from deadline to deadline, never sleep ---
  void advance(Duration d) {
    const TimePoint until = now + d;
    while (const auto next = host->next_deadline()) {
      if (*next > until) break;
      now = std::max(now, *next);
      host->on_deadline(now);
      collect();
    }
    now = until;
  }

  // --- Looking things up ---
  // The events of call (span, call), in order.
  std::vector<CardEvent> of(SpanId span, LineCallId call) const {
    std::vector<CardEvent> out;
    for (const auto& e : log) {
      if (e.from.span != span) continue;
      const bool mine = std::visit(
          [&](const auto& x) {
            if constexpr (requires { x.call; }) {
              return x.call == call;
            } else {
              return false;
            }
          },
          e.from.event);
      if (mine) out.push_back(e.from.event);
    }
    return out;
  }
  template <typename E>
  std::optional<std::pair<TimePoint, E>> first(SpanId span, LineCallId call) const {
    for (const auto& e : log) {
      const auto* x = std::get_if<E>(&e.from.event);
      if (e.from.span == span && x && x->call == call) return std::make_pair(e.t, *x);
    }
    return std::nullopt;
  }
  template <typename E>
  std::vector<std::pair<SpanId, E>> all_of() const {
    std::vector<std::pair<SpanId, E>> out;
    for (const auto& e : log) {
      if (const auto* x = std::get_if<E>(&e.from.event)) out.emplace_back(e.from.span, *x);
    }
    return out;
  }

  TimePoint now = from_ns(1'000'000'000);
  SeededRng rng;
  RecordingTraceSink trace;
  std::unique_ptr<TelephonyHost> host;
  std::vector<Logged> log;  // every FromCard, in the order the host gave them
  // The gateway's reaction to an event; by default it clears a call the far end disconnected,
  // as the gateway's B2BUA will.
  std::function<void(const FromCard&)> gateway = [this](const FromCard& f) {
    if (const auto* d = std::get_if<CallDisconnected>(&f.event)) {
      clear(f.span, d->call, d->cause.value);
    }
  };

  // Takes the host's events, logs them and lets the gateway react (its commands' events too).
  void collect() {
    if (collecting_) return;  // a reaction's command: its events are taken by the loop below
    collecting_ = true;
    while (host->has_events()) {
      for (FromCard& f : host->take_events()) {
        log.push_back({now, f});
        if (gateway) gateway(f);
      }
    }
    collecting_ = false;
  }

 private:
  bool collecting_ = false;
};

template <typename E>
bool is(const CardEvent& e) {
  return std::holds_alternative<E>(e);
}

// ---- Start-up -------------------------------------------------------------------------------

TEST(TelephonyHost, StartListsTheSpansAndReportsEachSpansStateInConfigurationOrder) {
  HostBench b;
  const auto spans = b.host->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span, kE1);
  EXPECT_EQ(spans[0].kind, gateway::SpanKind::E1Pri);
  EXPECT_EQ(spans[0].channels.size(), 30u);
  EXPECT_EQ(spans[1].span, kFxo);
  EXPECT_EQ(spans[1].kind, gateway::SpanKind::Fxo);
  EXPECT_EQ(spans[1].channels, (std::vector<std::uint16_t>{1, 2}));

  const auto states = b.all_of<SpanState>();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[0].first, kE1);
  EXPECT_EQ(states[0].second.alarm, Alarm::None);
  EXPECT_EQ(states[1].first, kFxo);
  EXPECT_EQ(states[1].second.alarm, Alarm::None);
  b.advance(1min);  // the exchange's battery reached the FXO card: no line goes dead
  EXPECT_EQ(b.all_of<SpanState>().size(), 2u);
  EXPECT_EQ(b.host->fxo_card(kFxo)->alarm(), Alarm::None);
}

// ---- The office calls out over the E1 -------------------------------------------------------

TEST(TelephonyHostE1, ACallToASubscriberWhoAnswersProceedsAlertsAnswersAndClearsWith16) {
  HostBench b;
  const TimePoint t0 = b.now;
  b.place(kE1, 1, "01632960123", 5);
  b.advance(10s);
  const auto events = b.of(kE1, 1);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(is<CallProceeding>(events[0]));
  EXPECT_TRUE(is<CallAlerting>(events[1]));
  EXPECT_TRUE(is<CallAnswered>(events[2]));
  EXPECT_EQ(b.first<CallAnswered>(kE1, 1)->first, t0 + 3s);

  b.clear(kE1, 1);
  const auto released = b.first<CallReleased>(kE1, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 16);
  EXPECT_EQ(b.of(kE1, 1).size(), 4u);

  ASSERT_EQ(b.host->records().size(), 1u);
  const exchange::CallRecord& r = b.host->records().back();
  EXPECT_EQ(r.outcome, CallOutcome::Answered);
  EXPECT_EQ(r.called, "01632960123");
  EXPECT_EQ(r.port, "e1-1");
  EXPECT_EQ(r.channel, 5);
  EXPECT_EQ(r.answer, t0 + 3s);
  EXPECT_EQ(r.cause, 16);
  EXPECT_EQ(b.host->e1_card(kE1)->call_count(), 0u);
}

TEST(TelephonyHostE1, BusyAndUnallocatedNumbersDisconnectWithTheirCauses) {
  struct Case {
    const char* name;
    const char* number;
    std::uint8_t cause;
    CallOutcome outcome;
  };
  for (const Case& c : {Case{"busy", "01632960100", 17, CallOutcome::Busy},
                        Case{"unallocated", "01632960300", 1, CallOutcome::Refused},
                        Case{"not in the plan", "01632970000", 1, CallOutcome::Refused}}) {
    SCOPED_TRACE(c.name);
    HostBench b;
    b.place(kE1, 1, c.number);
    const auto disconnected = b.first<CallDisconnected>(kE1, 1);
    ASSERT_TRUE(disconnected);
    EXPECT_EQ(disconnected->second.cause.value, c.cause);
    const auto released = b.first<CallReleased>(kE1, 1);  // the gateway cleared it
    ASSERT_TRUE(released);
    EXPECT_EQ(released->second.cause.value, c.cause);
    EXPECT_EQ(b.host->records().back().outcome, c.outcome);
    EXPECT_EQ(b.host->records().back().cause, c.cause);
  }
}

TEST(TelephonyHostE1, DuringCongestionACallIsReleasedWith42) {
  HostBench b;
  b.host->start_congestion(b.now, b.now + 30s);
  b.place(kE1, 1, "01632960123");
  const auto released = b.first<CallReleased>(kE1, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 42);
  EXPECT_EQ(b.host->records().back().cause, 42);

  b.advance(10s);
  b.host->on_exchange(b.now, [&](exchange::Exchange& x) { x.end_congestion(b.now); });
  EXPECT_FALSE(b.host->exchange().is_congested(b.now));
  b.place(kE1, 3, "01632960123");
  EXPECT_TRUE(b.first<CallAlerting>(kE1, 3));
}

TEST(TelephonyHostE1, LosMidCallReleasesItWith38AndTheSpanStateFollowsTheFault) {
  HostBench b;
  b.place(kE1, 1, "01632960123");
  b.advance(4s);
  ASSERT_TRUE(b.first<CallAnswered>(kE1, 1));

  ASSERT_TRUE(b.host->set_span_alarm(b.now, kE1, Alarm::Los));
  b.collect();
  const auto released = b.first<CallReleased>(kE1, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 38);
  auto states = b.all_of<SpanState>();
  EXPECT_EQ(states.back().first, kE1);
  EXPECT_EQ(states.back().second.alarm, Alarm::Los);
  EXPECT_EQ(b.host->e1_card(kE1)->alarm(), Alarm::Los);
  EXPECT_EQ(b.host->records().back().cause, 38);

  b.place(kE1, 3, "01632960123");  // refused by the card at once: its D-channel is down
  ASSERT_TRUE(b.first<CallReleased>(kE1, 3));
  EXPECT_EQ(b.first<CallReleased>(kE1, 3)->second.cause.value, 38);

  b.advance(1min);
  ASSERT_TRUE(b.host->set_span_alarm(b.now, kE1, Alarm::None));
  b.collect();
  states = b.all_of<SpanState>();
  EXPECT_EQ(states.back().second.alarm, Alarm::None);
  EXPECT_FALSE(b.all_of<gateway::ChannelsRestarted>().empty());  // the card's RESTART, answered
  b.place(kE1, 5, "01632960123");
  b.advance(4s);
  EXPECT_TRUE(b.first<CallAnswered>(kE1, 5));

  EXPECT_FALSE(b.host->set_span_alarm(b.now, kFxo, Alarm::Los));  // not an E1
  EXPECT_FALSE(b.host->set_span_alarm(b.now, 9, Alarm::Los));
}

// ---- The PSTN calls the office over the E1 ----------------------------------------------------

TEST(TelephonyHostE1, ASubscriberCallingADdiNumberArrivesOnTheE1AndAnswerCallAnswersIt) {
  HostBench b;
  const exchange::CallId id = b.originate("01632960555", "01632961042");
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].first, kE1);
  EXPECT_EQ(incoming[0].second.channel.span, kE1);
  EXPECT_EQ(incoming[0].second.called.digits, "01632961042");
  EXPECT_EQ(incoming[0].second.calling.digits, "01632960555");
  EXPECT_EQ(b.host->exchange().record(id)->outcome, CallOutcome::Pending);

  const TimePoint answered = b.now + 2s;
  b.advance(2s);
  b.command(kE1, gateway::AnswerCall{.call = incoming[0].second.call});
  const exchange::CallRecord& r = *b.host->exchange().record(id);
  EXPECT_EQ(r.outcome, CallOutcome::Answered);
  EXPECT_EQ(r.answer, answered);  // CONNECT reached the exchange at the same instant
  EXPECT_EQ(r.direction, exchange::CallDirection::ToOffice);
}

// ---- Analogue lines -------------------------------------------------------------------------

// When the exchange routed a call (trace "exchange.call_routed").
std::optional<TimePoint> routed_at(const HostBench& b, exchange::CallId call) {
  for (const auto& e : b.trace.events) {
    if (e.name == "exchange.call_routed" && e.field("call") == std::to_string(call)) return e.t;
  }
  return std::nullopt;
}

TEST(TelephonyHostFxo, AnOutgoingCallIsDialledByDtmfAndAnsweredByPolarityReversal) {
  HostBench b;
  const TimePoint t0 = b.now;
  b.place(kFxo, 1, "01632960123", 1);
  b.advance(10s);
  const auto events = b.of(kFxo, 1);
  ASSERT_GE(events.size(), 2u);
  EXPECT_TRUE(is<CallAlerting>(events[events.size() - 2]));  // ringback, recognised
  EXPECT_TRUE(is<CallAnswered>(events.back()));               // the reversal
  const exchange::CallRecord& r = b.host->records().back();
  EXPECT_EQ(r.called, "01632960123");  // what the exchange collected from the DTMF digits
  EXPECT_EQ(r.port, "fxo-1");
  EXPECT_EQ(r.outcome, CallOutcome::Answered);
  const auto routed = routed_at(b, r.id);
  ASSERT_TRUE(routed);
  // Dial tone after 0.3 s, recognised 0.2 s later, 11 digits of 100 ms on and 100 ms off.
  EXPECT_EQ(*routed, t0 + 500ms + 11 * 200ms - 100ms);
  EXPECT_EQ(b.first<CallAnswered>(kFxo, 1)->first, *routed + 3s);

  b.clear(kFxo, 1);
  b.advance(3s);
  ASSERT_TRUE(b.first<CallReleased>(kFxo, 1));
  EXPECT_EQ(b.host->records().back().cause, 16);
}

TEST(TelephonyHostFxo, RingingWithSin227CallerIdIsPresentedWithTheCallingNumber) {
  HostBench b;
  const exchange::CallId id = b.originate("01632960555", "01632961201");
  b.advance(3s);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].first, kFxo);
  EXPECT_EQ(incoming[0].second.channel.channel, 2);  // fxo-2 is the card's line 2
  EXPECT_EQ(incoming[0].second.calling.digits, "01632960555");
  EXPECT_TRUE(incoming[0].second.called.digits.empty());

  b.command(kFxo, gateway::AnswerCall{.call = incoming[0].second.call});
  EXPECT_EQ(b.host->exchange().record(id)->outcome, CallOutcome::Answered);
  EXPECT_EQ(b.host->exchange().record(id)->port, "fxo-2");
}

TEST(TelephonyHostFxo, APlaceCallOnADeadLineFailsWith38) {
  HostBench b;
  ASSERT_TRUE(b.host->set_line_battery(b.now, kFxo, 1, false));
  b.advance(3s);
  b.place(kFxo, 1, "01632960123", 1);
  const auto released = b.first<CallReleased>(kFxo, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 38);
  EXPECT_EQ(b.host->fxo_card(kFxo)->alarm(), Alarm::None);  // line 2 still lives

  ASSERT_TRUE(b.host->set_line_battery(b.now, kFxo, 2, false));
  b.advance(3s);
  const auto states = b.all_of<SpanState>();
  EXPECT_EQ(states.back().first, kFxo);
  EXPECT_EQ(states.back().second.alarm, Alarm::LineDead);  // every line dead

  ASSERT_TRUE(b.host->set_line_battery(b.now, kFxo, 1, true));
  b.advance(1s);
  b.place(kFxo, 3, "01632960123", 1);
  b.advance(10s);
  EXPECT_TRUE(b.first<CallAnswered>(kFxo, 3));

  EXPECT_FALSE(b.host->set_line_battery(b.now, kFxo, 3, false));  // no line 3
  EXPECT_FALSE(b.host->set_line_battery(b.now, kE1, 1, false));   // not a line
}

// ---- Spans tell calls apart -----------------------------------------------------------------

TEST(TelephonyHost, TwoCardsPresentingTheSameCallIdAreToldApartBySpan) {
  HostBench b;
  b.gateway = nullptr;
  const exchange::CallId to_e1 = b.originate("01632960555", "01632961042");
  const exchange::CallId to_line = b.originate("01632960556", "01632961200");
  b.advance(3s);
  const auto incoming = b.all_of<IncomingCall>();
  ASSERT_EQ(incoming.size(), 2u);
  EXPECT_EQ(incoming[0].first, kE1);
  EXPECT_EQ(incoming[1].first, kFxo);
  EXPECT_EQ(incoming[0].second.call, incoming[1].second.call);  // both cards number from 2
  const LineCallId call = incoming[0].second.call;

  b.command(kFxo, gateway::AnswerCall{.call = call});
  EXPECT_EQ(b.host->exchange().record(to_line)->outcome, CallOutcome::Answered);
  EXPECT_EQ(b.host->exchange().record(to_e1)->outcome, CallOutcome::Pending);

  b.clear(kE1, call);
  ASSERT_TRUE(b.first<CallReleased>(kE1, call));
  EXPECT_FALSE(b.first<CallReleased>(kFxo, call));
  EXPECT_EQ(b.host->exchange().record(to_e1)->cause, 16);
  EXPECT_FALSE(b.host->exchange().record(to_line)->end);
}

// ---- Commands nobody serves, configurations that cannot be ------------------------------------

TEST(TelephonyHost, APlaceCallForASpanWithoutACardIsReleasedWith82AndOtherCommandsIgnored) {
  HostBench b;
  const std::size_t before = b.log.size();
  b.place(9, 1, "01632960123");
  ASSERT_EQ(b.log.size(), before + 1);
  EXPECT_EQ(b.log.back().from.span, 9);
  const auto released = b.first<CallReleased>(9, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, TelephonyHost::kNoSuchChannelCause);
  EXPECT_EQ(released->second.cause.location, gateway::CauseLocation::PrivateLocal);

  b.clear(9, 1);
  EXPECT_EQ(b.log.size(), before + 1);
  EXPECT_EQ(b.host->counters().commands_unrouted, 2u);
  EXPECT_TRUE(b.trace.contains("telephony.command_unrouted"));
  EXPECT_TRUE(b.host->records().empty());
}

TEST(TelephonyHost, APlaceCallWhoseChannelNamesAnotherSpanIsRefusedByTheCard) {
  HostBench b;
  b.command(kE1, gateway::PlaceCall{.call = 1,
                                    .channel = {.span = kFxo, .channel = 1},
                                    .called = national("01632960123"),
                                    .calling = national("01632961000"),
                                    .sending_complete = true});
  const auto released = b.first<CallReleased>(kE1, 1);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->second.cause.value, 82);
  EXPECT_TRUE(b.host->records().empty());
}

TEST(TelephonyHostConfig, InvalidConfigurationsAreRefusedWithWhatIsWrong) {
  struct Case {
    const char* name;
    std::function<void(TelephonyHostConfig&)> spoil;
    HostConfigError want;
  };
  const std::vector<Case> cases = {
      {"span 0", [](auto& c) { c.e1[0].card.span = 0; },
       {HostConfigErrorKind::SpanZero, "0"}},
      {"duplicate span", [](auto& c) { c.fxo[0].card.span = kE1; },
       {HostConfigErrorKind::DuplicateSpan, "1"}},
      {"unknown port", [](auto& c) { c.e1[0].exchange_port = "e1-9"; },
       {HostConfigErrorKind::UnknownPort, "e1-9"}},
      {"E1 card on a line", [](auto& c) { c.e1[0].exchange_port = "fxo-1"; },
       {HostConfigErrorKind::NotAnE1Port, "fxo-1"}},
      {"line on an E1", [](auto& c) { c.fxo[0].exchange_ports[1] = "e1-1"; },
       {HostConfigErrorKind::NotALinePort, "e1-1"}},
      {"port twice", [](auto& c) { c.fxo[0].exchange_ports[1] = "fxo-1"; },
       {HostConfigErrorKind::PortTakenTwice, "fxo-1"}},
      {"too few ports", [](auto& c) { c.fxo[0].exchange_ports.pop_back(); },
       {HostConfigErrorKind::LineCountMismatch, "2"}},
      {"duplicate port name",
       [](auto& c) { c.exchange.lines[1].name = "e1-1"; },
       {HostConfigErrorKind::DuplicatePortName, "e1-1"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TelephonyHostConfig config = office();
    c.spoil(config);
    SeededRng rng(1);
    NullTraceSink trace;
    const auto created = TelephonyHost::create(std::move(config), rng, trace);
    ASSERT_FALSE(created.has_value());
    EXPECT_EQ(created.error(), c.want);
    EXPECT_FALSE(to_string(created.error()).empty());
  }
  EXPECT_FALSE(TelephonyHost::validate(office()));
}

TEST(TelephonyHostConfig, AnExchangePortWithoutACardIsACableToNowhere) {
  TelephonyHostConfig config = office();
  config.fxo[0].card.lines = 1;
  config.fxo[0].exchange_ports = {"fxo-1"};  // fxo-2 hangs free
  HostBench b(std::move(config));
  b.originate("01632960555", "01632961201");
  b.advance(3s);
  EXPECT_TRUE(b.all_of<IncomingCall>().empty());
  EXPECT_GT(b.host->counters().signals_unrouted, 0u);
  EXPECT_TRUE(b.trace.contains("telephony.signal_unrouted"));
}

// ---- Time and determinism ---------------------------------------------------------------------

// A day of calls with random answer delays (01632960400: 1-9 s); every event rendered with its
// span and the time the runtime took it.
std::vector<std::string> day(std::uint64_t seed, Duration poll = Duration::zero()) {
  HostBench b(office(), seed);
  b.gateway = [&](const FromCard& f) {
    if (const auto* in = std::get_if<IncomingCall>(&f.event)) {
      b.command(f.span, gateway::AnswerCall{.call = in->call});
    } else if (const auto* d = std::get_if<CallDisconnected>(&f.event)) {
      b.clear(f.span, d->call, d->cause.value);
    }
  };
  const auto advance = [&](Duration d) {
    if (poll == Duration::zero()) return b.advance(d);
    // A lazy runtime: wakes every `poll`, whatever the deadline says.
    const TimePoint until = b.now + d;
    while (b.now < until) {
      b.now = std::min(b.now + poll, until);
      b.host->on_deadline(b.now);
      b.collect();
    }
  };
  b.place(kE1, 1, "01632960400", 1);
  advance(2s);
  b.place(kE1, 3, "01632960400", 2);
  advance(1s);
  b.place(kFxo, 5, "01632960400", 1);
  advance(1s);
  b.originate("01632960777", "01632961050");
  advance(20s);
  b.clear(kE1, 1);
  b.clear(kFxo, 5);
  advance(5s);
  std::vector<std::string> out;
  if (poll == Duration::zero()) {
    for (const auto& e : b.log) {
      std::ostringstream s;
      s << to_ns(e.t) << " span " << e.from.span << " event " << e.from.event.index() << " call "
        << std::visit([](const auto& x) -> std::uint64_t {
             if constexpr (requires { x.call; }) {
               return x.call;
             } else {
               return 0;
             }
           }, e.from.event);
      out.push_back(s.str());
    }
  }
  for (const auto& r : b.host->records()) {
    std::ostringstream s;
    s << "record " << r.id << " " << r.port << " " << to_ns(r.start) << " "
      << (r.answer ? to_ns(*r.answer) : -1) << " " << (r.end ? to_ns(*r.end) : -1) << " "
      << static_cast<int>(r.outcome);
    out.push_back(s.str());
  }
  return out;
}

TEST(TelephonyHostDeterminism, TwoHostsGivenTheSameInputsGiveTheSameEvents) {
  const auto a = day(7);
  const auto again = day(7);
  ASSERT_GT(a.size(), 10u);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, day(8));  // the exchange's draws do matter
}

TEST(TelephonyHostDeterminism, ALateRuntimeStillPlaysEveryTimerAtItsOwnTime) {
  // Records only (the lazy runtime's log has its own wake-up times): the same to the nanosecond.
  std::vector<std::string> records;
  for (const auto& line : day(7)) {
    if (line.starts_with("record")) records.push_back(line);
  }
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(day(7, 7s), records);
}

}  // namespace
}  // namespace resproxy::telephony
