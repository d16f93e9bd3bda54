#pragma once
// LineBench: an FxoCard wired back to back with FxsLines (one per card line) on a hand clock.
// Every signal crossing a line, every card event and every FXS report is logged with the time
// it happened; tests script the exchange (and the gateway) with callbacks and timed actions, and
// jump from deadline to deadline — never sleeping.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "proxy/base/trace.h"
#include "sim_hardware/fxo/fxo_card.h"
#include "sim_hardware/fxo/fxs_line.h"

namespace resproxy::fxo::testing {

using namespace std::chrono_literals;

struct LoggedSignal {
  TimePoint t;
  LineSignal signal;
};
struct LoggedEvent {
  TimePoint t;
  gateway::CardEvent event;
};
struct LoggedReport {
  TimePoint t;
  std::uint16_t line;
  FxsReport report;
};

// The UK line of the brief: SIN 227 caller ID, double ring, reversal on answer.
inline FxoCardConfig uk_card(std::uint16_t lines = 1) {
  FxoCardConfig c;
  c.lines = lines;
  return c;
}
inline FxsConfig uk_exchange() { return FxsConfig{}; }
// North America: Bellcore caller ID between the first and second ring, 2 s on / 4 s off.
inline FxoCardConfig us_card() {
  FxoCardConfig c;
  c.profile.cadence = us_ring_cadence();
  c.profile.caller_id = CallerIdStandard::Bellcore;
  return c;
}
inline FxsConfig us_exchange() {
  FxsConfig c;
  c.cadence = us_ring_cadence();
  c.caller_id = CallerIdStandard::Bellcore;
  return c;
}

class LineBench {
 public:
  explicit LineBench(FxoCardConfig card_config = uk_card(),
                     std::vector<FxsConfig> exchange = {uk_exchange()})
      : card(std::move(card_config), trace) {
    for (auto& c : exchange) lines.push_back(std::make_unique<FxsLine>(std::move(c)));
    to_exchange.resize(lines.size() + 1);
    to_office.resize(lines.size() + 1);
    card.start(now);
    for (auto& l : lines) l->start(now);
    pump();
  }

  FxsLine& fxs(std::uint16_t line = 1) { return *lines.at(line - 1); }

  void command(const gateway::CardCommand& c) {
    card.on_command(now, c);
    pump();
  }
  // Runs `action` at `at` (after the timers due then), in scheduling order.
  void at(TimePoint when, std::function<void()> action) {
    actions.emplace(std::make_pair(when, ++action_seq), std::move(action));
  }
  void after(Duration d, std::function<void()> action) { at(now + d, std::move(action)); }

  // Delivers every pending signal, event and report until nothing moves.
  void pump() {
    bool moved = true;
    while (moved) {
      moved = false;
      while (auto s = card.next_line_signal()) {
        moved = true;
        to_exchange.at(s->line).push_back({now, s->signal});
        lines.at(s->line - 1)->on_line_signal(now, s->signal);
      }
      for (std::uint16_t i = 0; i < lines.size(); ++i) {
        while (auto s = lines[i]->next_line_signal()) {
          moved = true;
          LineSignal signal = *s;
          if (line_noise) line_noise(signal);
          to_office.at(i + 1).push_back({now, signal});
          card.on_line_signal(now, i + 1, signal);
        }
      }
      while (auto e = card.next_event()) {
        moved = true;
        events.push_back({now, *e});
        if (gateway) gateway(*e);
      }
      for (std::uint16_t i = 0; i < lines.size(); ++i) {
        while (auto r = lines[i]->next_report()) {
          moved = true;
          reports.push_back({now, static_cast<std::uint16_t>(i + 1), *r});
          if (exchange) exchange(static_cast<std::uint16_t>(i + 1), *r);
        }
      }
    }
  }

  std::optional<TimePoint> next_deadline() const {
    std::optional<TimePoint> next = card.next_deadline();
    auto take = [&](std::optional<TimePoint> d) {
      if (d && (!next || *d < *next)) next = d;
    };
    for (const auto& l : lines) take(l->next_deadline());
    if (!actions.empty()) take(actions.begin()->first.first);
    return next;
  }

  void advance_to(TimePoint until) {
    while (auto next = next_deadline()) {
      if (*next > until) break;
      now = std::max(now, *next);
      if (auto d = card.next_deadline(); d && *d <= now) card.on_deadline(now);
      for (auto& l : lines) {
        if (auto d = l->next_deadline(); d && *d <= now) l->on_deadline(now);
      }
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

  // --- Looking things up in the logs ---

  template <typename E>
  std::vector<std::pair<TimePoint, E>> events_of() const {
    std::vector<std::pair<TimePoint, E>> out;
    for (const auto& e : events) {
      if (const auto* x = std::get_if<E>(&e.event)) out.emplace_back(e.t, *x);
    }
    return out;
  }
  template <typename E>
  std::optional<std::pair<TimePoint, E>> first_event() const {
    auto all = events_of<E>();
    if (all.empty()) return std::nullopt;
    return all.front();
  }
  template <typename R>
  std::vector<std::pair<TimePoint, R>> reports_of(std::uint16_t line = 1) const {
    std::vector<std::pair<TimePoint, R>> out;
    for (const auto& r : reports) {
      if (r.line != line) continue;
      if (const auto* x = std::get_if<R>(&r.report)) out.emplace_back(r.t, *x);
    }
    return out;
  }
  // When `signal` first crossed the line at or after `from`.
  std::optional<TimePoint> to_office_at(const LineSignal& signal, TimePoint from = {},
                                        std::uint16_t line = 1) const {
    return find(to_office.at(line), signal, from);
  }
  std::optional<TimePoint> to_exchange_at(const LineSignal& signal, TimePoint from = {},
                                          std::uint16_t line = 1) const {
    return find(to_exchange.at(line), signal, from);
  }
  std::vector<LoggedSignal> to_exchange_since(TimePoint from, std::uint16_t line = 1) const {
    std::vector<LoggedSignal> out;
    for (const auto& s : to_exchange.at(line)) {
      if (s.t >= from) out.push_back(s);
    }
    return out;
  }

  TimePoint now{};
  RecordingTraceSink trace;
  FxoCard card;
  std::vector<std::unique_ptr<FxsLine>> lines;
  std::vector<std::vector<LoggedSignal>> to_exchange;  // index: line number
  std::vector<std::vector<LoggedSignal>> to_office;
  std::vector<LoggedEvent> events;
  std::vector<LoggedReport> reports;
  // The test's scripts: the gateway reacting to card events, the exchange to FXS reports.
  std::function<void(const gateway::CardEvent&)> gateway;
  std::function<void(std::uint16_t line, const FxsReport&)> exchange;
  // Noise on the line towards the office: may change a signal in transit.
  std::function<void(LineSignal&)> line_noise;

 private:
  static std::optional<TimePoint> find(const std::vector<LoggedSignal>& log, const LineSignal& signal,
                                       TimePoint from) {
    for (const auto& s : log) {
      if (s.t >= from && s.signal == signal) return s.t;
    }
    return std::nullopt;
  }

  std::map<std::pair<TimePoint, std::uint64_t>, std::function<void()>> actions;
  std::uint64_t action_seq = 0;
};

}  // namespace resproxy::fxo::testing

namespace resproxy::fxo::testing {

inline CallerIdMessage uk_caller() {
  CallerIdMessage m;
  m.date_time = CallerIdDateTime{3, 15, 14, 30};
  m.number = "01632960123";  // Ofcom's drama range
  return m;
}
inline CallerIdMessage us_caller() {
  CallerIdMessage m;
  m.date_time = CallerIdDateTime{3, 15, 14, 30};
  m.number = "2025550123";  // NANP's fictional 555-01xx
  return m;
}

inline gateway::PlaceCall place(gateway::LineCallId call, std::string digits, bool complete = true,
                                std::uint16_t line = 1) {
  gateway::PlaceCall p;
  p.call = call;
  p.channel = gateway::ChannelId{1, line};
  p.called.digits = std::move(digits);
  p.sending_complete = complete;
  return p;
}
inline gateway::ClearCall clear(gateway::LineCallId call, std::uint8_t cause = 16) {
  return gateway::ClearCall{call, cause};
}
inline gateway::Cause exchange_cause(std::uint8_t v) {
  return gateway::Cause{v, gateway::CauseLocation::PublicLocal};
}
inline gateway::Cause card_cause(std::uint8_t v) {
  return gateway::Cause{v, gateway::CauseLocation::PrivateLocal};
}

}  // namespace resproxy::fxo::testing
