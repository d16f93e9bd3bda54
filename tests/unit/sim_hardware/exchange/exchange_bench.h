#pragma once
// ExchangeBench: the emulated exchange wired back to back with the office's REAL cards — one
// PriCard on the exchange's E1 port "e1-1" (Q.931 octets both ways) and one FxoCard whose lines
// 1 and 2 are the exchange's analogue ports "fxo-1" and "fxo-2" (line signals both ways) — on a
// hand clock. Tests play the gateway with CardCommands and read CardEvents, as the gateway will;
// the exchange's OfficeAlarm events go to the PRI card's on_alarm (the link). Never sleeps: it
// jumps from deadline to deadline.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "sim_hardware/exchange/exchange.h"
#include "sim_hardware/fxo/fxo_card.h"
#include "sim_hardware/pri/pri_card.h"

namespace resproxy::exchange::testing {

using namespace std::chrono_literals;

inline constexpr gateway::SpanId kPriSpan = 1;
inline constexpr gateway::SpanId kFxoSpan = 2;

inline SubscriberProfile answers_after(Duration d, std::optional<DurationRange> hold = {}) {
  return {.kind = SubscriberKind::Answers, .answer_after = DurationRange::fixed(d),
          .hold_time = hold};
}
inline SubscriberProfile behaves(SubscriberKind kind) {
  return {.kind = kind, .answer_after = DurationRange::fixed(3s), .hold_time = std::nullopt};
}
inline NumberRange range(std::string first, std::string last, SubscriberProfile profile,
                         bool emergency = false) {
  return {.first = std::move(first), .last = std::move(last), .profile = profile,
          .emergency = emergency};
}
inline NumberRange one(std::string number, SubscriberProfile profile) {
  return range(number, number, profile);
}

// The test office: DDI 01632 961000–961099 on the E1, lines 01632 961200 and 961201; the
// fiction block 01632 960xxx answers after 3 s, with some numbers singled out.
inline ExchangeConfig office_config() {
  ExchangeConfig c;
  c.plan = NumberingPlan({
      range("01632960000", "01632960999", answers_after(3s)),
      one("01632960100", behaves(SubscriberKind::Busy)),
      one("01632960200", behaves(SubscriberKind::NoAnswer)),
      one("01632960300", behaves(SubscriberKind::Unallocated)),
      one("01632960400", {.kind = SubscriberKind::Answers,
                          .answer_after = {1s, 9s},
                          .hold_time = DurationRange{10s, 60s}}),
      one("01632960500", answers_after(2s, DurationRange::fixed(30s))),
      range("999", "999", answers_after(1s), /*emergency=*/true),
      range("112", "112", answers_after(1s), /*emergency=*/true),
  });
  c.spans.push_back({.name = "e1-1",
                     .ddi_first = "01632961000",
                     .ddi_last = "01632961099",
                     .ddi_digits = 0,
                     .span = {}});
  c.lines.push_back({.name = "fxo-1", .directory_number = "01632961200", .line = {}});
  c.lines.push_back({.name = "fxo-2", .directory_number = "01632961201", .line = {}});
  return c;
}

inline pri::PriCardConfig pri_config() {
  pri::PriCardConfig c;
  c.span = kPriSpan;
  c.name = "e1-1";
  return c;
}
inline fxo::FxoCardConfig fxo_config() {
  fxo::FxoCardConfig c;
  c.span = kFxoSpan;
  c.name = "fxo-1";
  c.lines = 2;
  return c;
}

inline gateway::PartyNumber national(std::string digits, bool restricted = false) {
  return {.digits = std::move(digits), .type = gateway::NumberType::National,
          .restricted = restricted, .available = true};
}

struct LoggedEvent {
  TimePoint t;
  gateway::CardEvent event;
};

class ExchangeBench {
 public:
  explicit ExchangeBench(ExchangeConfig config = office_config(), std::uint64_t seed = 1)
      : rng(seed),
        exchange(std::move(config), rng, trace),
        pri(pri_config()),
        fxo(fxo_config(), fxo_trace) {
    e1 = exchange.port_id("e1-1").value();
    lines = {exchange.port_id("fxo-1").value(), exchange.port_id("fxo-2").value()};
    fxo.start(now);
    exchange.start(now);
    pump();
  }

  // --- The gateway ---
  void command(const gateway::CardCommand& c) {
    if (span_of(c) == kFxoSpan) {
      fxo.on_command(now, c);
    } else {
      pri.on_command(now, c);
    }
    pump();
  }
  void place_pri(gateway::LineCallId id, std::string called, std::uint16_t channel = 1) {
    call_span[id] = kPriSpan;
    command(gateway::PlaceCall{.call = id,
                               .channel = {.span = kPriSpan, .channel = channel},
                               .called = national(std::move(called)),
                               .calling = national("01632961000"),
                               .sending_complete = true});
  }
  void place_fxo(gateway::LineCallId id, std::string called, std::uint16_t line = 1) {
    call_span[id] = kFxoSpan;
    command(gateway::PlaceCall{.call = id,
                               .channel = {.span = kFxoSpan, .channel = line},
                               .called = national(std::move(called)),
                               .calling = national(""),
                               .sending_complete = true});
  }
  void clear(gateway::LineCallId id, std::uint8_t cause = gateway::cause::kNormalClearing) {
    command(gateway::ClearCall{.call = id, .cause = cause});
  }

  // --- The PSTN ---
  CallId originate(std::string calling, std::string called, bool restricted = false,
                   std::optional<DurationRange> hold = {}, std::optional<Duration> patience = {}) {
    const CallId id = exchange.originate(now, PstnCall{.calling = national(std::move(calling), restricted),
                                                       .called = std::move(called),
                                                       .patience = patience,
                                                       .hold_time = hold});
    pump();
    return id;
  }

  // Delivers frames, line signals, alarms and events until nothing moves.
  void pump() {
    bool moved = true;
    while (moved) {
      moved = false;
      for (exchange::PortFrame& f : exchange.take_frames()) {
        moved = true;
        if (f.port == e1) pri.on_frame(now, f.frame);
      }
      for (pri::Frame& f : pri.take_frames()) {
        moved = true;
        exchange.on_frame(now, e1, f);
      }
      while (auto s = exchange.next_line_signal()) {
        moved = true;
        for (std::uint16_t i = 0; i < lines.size(); ++i) {
          if (lines[i] == s->port) fxo.on_line_signal(now, static_cast<std::uint16_t>(i + 1), s->signal);
        }
      }
      while (auto s = fxo.next_line_signal()) {
        moved = true;
        exchange.on_line_signal(now, lines.at(s->line - 1), s->signal);
      }
      for (ExchangeEvent& e : exchange.take_events()) {
        moved = true;
        if (const auto* alarm = std::get_if<OfficeAlarm>(&e); alarm && alarm->port == e1) {
          pri.on_alarm(now, alarm->alarm);  // the link
        }
        exchange_events.push_back(std::move(e));
      }
      for (gateway::CardEvent& e : pri.take_events()) {
        moved = true;
        deliver(std::move(e));
      }
      while (auto e = fxo.next_event()) {
        moved = true;
        deliver(std::move(*e));
      }
    }
  }

  void at(TimePoint when, std::function<void()> action) {
    actions.emplace(std::make_pair(when, ++action_seq), std::move(action));
  }
  void after(Duration d, std::function<void()> action) { at(now + d, std::move(action)); }

  std::optional<TimePoint> next_deadline() const {
    std::optional<TimePoint> next = exchange.next_deadline();
    const auto take = [&](std::optional<TimePoint> d) {
      if (d && (!next || *d < *next)) next = d;
    };
    take(pri.next_deadline());
    take(fxo.next_deadline());
    if (!actions.empty()) take(actions.begin()->first.first);
    return next;
  }

  void advance_to(TimePoint until) {
    while (const auto next = next_deadline()) {
      if (*next > until) break;
      now = std::max(now, *next);
      if (const auto d = exchange.next_deadline(); d && *d <= now) exchange.on_deadline(now);
      if (const auto d = pri.next_deadline(); d && *d <= now) pri.on_deadline(now);
      if (const auto d = fxo.next_deadline(); d && *d <= now) fxo.on_deadline(now);
      pump();
      while (!actions.empty() && actions.begin()->first.first <= now) {
        auto node = actions.extract(actions.begin());
        node.mapped()();
        pump();
      }
    }
    now = std::max(now, until);
  }
  void advance(Duration d) { advance_to(now + d); }

  // --- Looking things up ---
  template <typename E>
  std::vector<std::pair<TimePoint, E>> events_of(gateway::LineCallId call) const {
    std::vector<std::pair<TimePoint, E>> out;
    for (const auto& e : events) {
      const auto* x = std::get_if<E>(&e.event);
      if (!x) continue;
      if constexpr (requires { x->call; }) {
        if (x->call != call) continue;
      }
      out.emplace_back(e.t, *x);
    }
    return out;
  }
  template <typename E>
  std::optional<std::pair<TimePoint, E>> first(gateway::LineCallId call) const {
    auto all = events_of<E>(call);
    if (all.empty()) return std::nullopt;
    return all.front();
  }
  template <typename E>
  std::vector<E> all_of() const {
    std::vector<E> out;
    for (const auto& e : events) {
      if (const auto* x = std::get_if<E>(&e.event)) out.push_back(*x);
    }
    return out;
  }
  std::optional<CallResolved> resolved(CallId call) const {
    for (const auto& e : exchange_events) {
      if (const auto* r = std::get_if<CallResolved>(&e); r && r->call == call) return *r;
    }
    return std::nullopt;
  }
  const CallRecord& last_record() const { return exchange.records().back(); }

  TimePoint now = from_ns(1'000'000'000);
  SeededRng rng;
  RecordingTraceSink trace;
  RecordingTraceSink fxo_trace;
  Exchange exchange;
  pri::PriCard pri;
  fxo::FxoCard fxo;
  PortId e1 = 0;
  std::vector<PortId> lines;  // index: FXO card line - 1
  std::vector<LoggedEvent> events;  // both cards' CardEvents, in order
  std::vector<ExchangeEvent> exchange_events;
  // The gateway's reaction to a card event; by default it clears a call the far end
  // disconnected (after listening to nothing), as the gateway's B2BUA will.
  std::function<void(const gateway::CardEvent&)> gateway = [this](const gateway::CardEvent& e) {
    if (const auto* d = std::get_if<gateway::CallDisconnected>(&e)) clear(d->call, d->cause.value);
  };

 private:
  gateway::SpanId span_of(const gateway::CardCommand& c) const {
    return std::visit(
        [this](const auto& x) -> gateway::SpanId {
          if constexpr (requires { x.channel.span; }) {
            return x.channel.span;
          } else {
            const auto it = call_span.find(x.call);
            return it == call_span.end() ? kPriSpan : it->second;
          }
        },
        c);
  }
  void deliver(gateway::CardEvent e) {
    if (const auto* in = std::get_if<gateway::IncomingCall>(&e)) call_span[in->call] = in->channel.span;
    events.push_back({now, e});
    if (gateway) gateway(e);
  }

  std::map<std::pair<TimePoint, std::uint64_t>, std::function<void()>> actions;
  std::uint64_t action_seq = 0;
  // Which card a call is on (both cards number their incoming calls 2, 4, ...: a test keeps
  // incoming calls on one card at a time).
  std::map<gateway::LineCallId, gateway::SpanId> call_span;
};

}  // namespace resproxy::exchange::testing
