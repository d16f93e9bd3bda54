#include "sim_hardware/host/telephony_host.h"

#include <algorithm>
#include <set>
#include <utility>
#include <variant>

namespace resproxy::telephony {

namespace {

using gateway::SpanId;

HostConfigError error(HostConfigErrorKind kind, std::string subject) {
  return HostConfigError{.kind = kind, .subject = std::move(subject)};
}

std::string_view command_name(const gateway::CardCommand& command) {
  return std::visit(
      [](const auto& c) -> std::string_view {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, gateway::PlaceCall>) return "place_call";
        if constexpr (std::is_same_v<T, gateway::SendDigits>) return "send_digits";
        if constexpr (std::is_same_v<T, gateway::AcceptCall>) return "accept_call";
        if constexpr (std::is_same_v<T, gateway::AlertCall>) return "alert_call";
        if constexpr (std::is_same_v<T, gateway::ProgressCall>) return "progress_call";
        if constexpr (std::is_same_v<T, gateway::AnswerCall>) return "answer_call";
        if constexpr (std::is_same_v<T, gateway::ClearCall>) return "clear_call";
        if constexpr (std::is_same_v<T, gateway::SendDtmf>) return "send_dtmf";
        if constexpr (std::is_same_v<T, gateway::MediaBridge>) return "media_bridge";
        return "command";
      },
      command);
}

gateway::LineCallId call_of(const gateway::CardCommand& command) {
  return std::visit([](const auto& c) { return c.call; }, command);
}

}  // namespace

std::string_view to_string(HostConfigErrorKind kind) {
  switch (kind) {
    case HostConfigErrorKind::SpanZero: return "span id 0";
    case HostConfigErrorKind::DuplicateSpan: return "duplicate span id";
    case HostConfigErrorKind::DuplicatePortName: return "duplicate exchange port name";
    case HostConfigErrorKind::UnknownPort: return "unknown exchange port";
    case HostConfigErrorKind::NotAnE1Port: return "not an E1 port";
    case HostConfigErrorKind::NotALinePort: return "not an analogue line port";
    case HostConfigErrorKind::PortTakenTwice: return "exchange port taken twice";
    case HostConfigErrorKind::LineCountMismatch: return "one exchange port per line needed";
  }
  return "invalid";
}

std::string to_string(const HostConfigError& e) {
  return std::string(to_string(e.kind)) + ": " + e.subject;
}

// ---- Construction ---------------------------------------------------------------------------

std::optional<HostConfigError> TelephonyHost::validate(const TelephonyHostConfig& config) {
  std::set<std::string> span_ports;
  std::set<std::string> line_ports;
  for (const auto& s : config.exchange.spans) {
    if (!span_ports.insert(s.name).second) {
      return error(HostConfigErrorKind::DuplicatePortName, s.name);
    }
  }
  for (const auto& l : config.exchange.lines) {
    if (span_ports.contains(l.name) || !line_ports.insert(l.name).second) {
      return error(HostConfigErrorKind::DuplicatePortName, l.name);
    }
  }
  std::set<SpanId> spans;
  std::set<std::string> taken;
  const auto check_span = [&](SpanId span) -> std::optional<HostConfigError> {
    if (span == 0) return error(HostConfigErrorKind::SpanZero, "0");
    if (!spans.insert(span).second) {
      return error(HostConfigErrorKind::DuplicateSpan, std::to_string(span));
    }
    return std::nullopt;
  };
  const auto check_port = [&](const std::string& port, bool e1) -> std::optional<HostConfigError> {
    const bool is_span = span_ports.contains(port);
    const bool is_line = line_ports.contains(port);
    if (!is_span && !is_line) return error(HostConfigErrorKind::UnknownPort, port);
    if (e1 && !is_span) return error(HostConfigErrorKind::NotAnE1Port, port);
    if (!e1 && !is_line) return error(HostConfigErrorKind::NotALinePort, port);
    if (!taken.insert(port).second) return error(HostConfigErrorKind::PortTakenTwice, port);
    return std::nullopt;
  };
  for (const auto& slot : config.e1) {
    if (auto e = check_span(slot.card.span)) return e;
    if (auto e = check_port(slot.exchange_port, /*e1=*/true)) return e;
  }
  for (const auto& slot : config.fxo) {
    if (auto e = check_span(slot.card.span)) return e;
    if (slot.card.lines == 0 || slot.exchange_ports.size() != slot.card.lines) {
      return error(HostConfigErrorKind::LineCountMismatch, std::to_string(slot.card.span));
    }
    for (const auto& port : slot.exchange_ports) {
      if (auto e = check_port(port, /*e1=*/false)) return e;
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<TelephonyHost>, HostConfigError> TelephonyHost::create(
    TelephonyHostConfig config, Rng& rng, TraceSink& trace) {
  if (auto e = validate(config)) return unexpected(std::move(*e));
  return std::unique_ptr<TelephonyHost>(new TelephonyHost(std::move(config), rng, trace));
}

TelephonyHost::TelephonyHost(TelephonyHostConfig config, Rng& rng, TraceSink& trace)
    : trace_(trace), exchange_(std::move(config.exchange), rng, trace) {
  owners_.resize(exchange_.port_count());
  // guaranteed: validate() found every port, of the right kind, taken once.
  for (auto& slot : config.e1) {
    const exchange::PortId port = exchange_.port_id(slot.exchange_port).value();
    owners_[port] = PortOwner{.e1 = true, .slot = e1_.size(), .line = 0};
    spans_[slot.card.span] = SpanRef{.e1 = true, .slot = e1_.size()};
    const SpanId span = slot.card.span;
    e1_.push_back(E1Slot{.span = span,
                         .port = port,
                         .card = std::make_unique<pri::PriCard>(std::move(slot.card))});
  }
  for (auto& slot : config.fxo) {
    FxoSlot s;
    s.span = slot.card.span;
    for (std::size_t i = 0; i < slot.exchange_ports.size(); ++i) {
      const exchange::PortId port = exchange_.port_id(slot.exchange_ports[i]).value();
      owners_[port] = PortOwner{
          .e1 = false, .slot = fxo_.size(), .line = static_cast<std::uint16_t>(i + 1)};
      s.ports.push_back(port);
    }
    spans_[s.span] = SpanRef{.e1 = false, .slot = fxo_.size()};
    s.card = std::make_unique<fxo::FxoCard>(std::move(slot.card), trace_);
    fxo_.push_back(std::move(s));
  }
}

TelephonyHost::~TelephonyHost() = default;

void TelephonyHost::start(TimePoint now) {
  if (started_) return;
  started_ = true;
  now_ = now;
  // The cards first, then the exchange, as a rack powers up: an FXO card starts its line_dead
  // timers and the battery the exchange then puts on its lines cancels them (same instant).
  for (auto& slot : fxo_) slot.card->start(now);
  exchange_.start(now);
  shuttle(now);
  const auto report = [this](gateway::SpanId span, gateway::Alarm alarm) {
    events_.push_back(gateway::FromCard{
        .span = span, .event = gateway::SpanState{.span = span, .alarm = alarm}});
  };
  for (const auto& slot : e1_) report(slot.span, slot.card->alarm());
  for (const auto& slot : fxo_) report(slot.span, slot.card->alarm());
  run_due(now);
}

std::vector<gateway::SpanInfo> TelephonyHost::spans() const {
  std::vector<gateway::SpanInfo> out;
  out.reserve(e1_.size() + fxo_.size());
  for (const auto& slot : e1_) out.push_back(slot.card->span_info());
  for (const auto& slot : fxo_) out.push_back(slot.card->span_info());
  return out;
}

// ---- Inputs -----------------------------------------------------------------------------------

void TelephonyHost::begin_input(TimePoint now) {
  if (!started_) start(now);
  run_due(now);
  now_ = std::max(now_, now);
}

void TelephonyHost::end_input(TimePoint now) {
  shuttle(now);
  run_due(now);
}

void TelephonyHost::on_command(TimePoint now, const gateway::ToCard& command) {
  begin_input(now);
  if (const auto ref = find_span(command.span)) {
    if (ref->e1) {
      e1_[ref->slot].card->on_command(now, command.command);
    } else {
      fxo_[ref->slot].card->on_command(now, command.command);
    }
  } else {
    ++counters_.commands_unrouted;
    const gateway::LineCallId call = call_of(command.command);
    emit_if_wanted(trace_, now, "telephony.command_unrouted", [&](TraceEvent& e) {
      e.with("span", std::to_string(command.span))
          .with("command", std::string(command_name(command.command)))
          .with("call", std::to_string(call));
    });
    // card.h: every call the gateway placed ends with exactly one CallReleased. Any other
    // command names a call that cannot exist on a span without a card: nothing to answer.
    if (std::holds_alternative<gateway::PlaceCall>(command.command)) {
      events_.push_back(gateway::FromCard{
          .span = command.span,
          .event = gateway::CallReleased{
              .call = call,
              .cause = {.value = kNoSuchChannelCause,
                        .location = gateway::CauseLocation::PrivateLocal}}});
    }
  }
  end_input(now);
}

void TelephonyHost::on_deadline(TimePoint now) {
  begin_input(now);
  end_input(now);
}

std::optional<TimePoint> TelephonyHost::next_deadline() const {
  std::optional<TimePoint> next = exchange_.next_deadline();
  const auto take = [&](std::optional<TimePoint> d) {
    if (d && (!next || *d < *next)) next = d;
  };
  for (const auto& slot : e1_) take(slot.card->next_deadline());
  for (const auto& slot : fxo_) take(slot.card->next_deadline());
  return next;
}

exchange::CallId TelephonyHost::originate(TimePoint now, const exchange::PstnCall& call) {
  return on_exchange(now, [&](exchange::Exchange& x) { return x.originate(now, call); });
}

void TelephonyHost::start_congestion(TimePoint now, TimePoint until) {
  on_exchange(now, [&](exchange::Exchange& x) { x.start_congestion(now, until); });
}

void TelephonyHost::end_congestion(TimePoint now) {
  on_exchange(now, [&](exchange::Exchange& x) { x.end_congestion(now); });
}

bool TelephonyHost::set_span_alarm(TimePoint now, SpanId span, gateway::Alarm office_sees) {
  const auto ref = find_span(span);
  if (!ref || !ref->e1) return false;
  const exchange::PortId port = e1_[ref->slot].port;
  on_exchange(now, [&](exchange::Exchange& x) { x.set_span_alarm(now, port, office_sees); });
  return true;
}

bool TelephonyHost::set_line_battery(TimePoint now, SpanId span, std::uint16_t line,
                                     bool present) {
  const auto port = port_of(gateway::ChannelId{.span = span, .channel = line});
  const auto ref = find_span(span);
  if (!port || !ref || ref->e1) return false;
  on_exchange(now, [&](exchange::Exchange& x) { x.set_line_battery(now, *port, present); });
  return true;
}

// ---- Outputs and inspection ---------------------------------------------------------------------

std::vector<gateway::FromCard> TelephonyHost::take_events() { return std::exchange(events_, {}); }

const pri::PriCard* TelephonyHost::e1_card(SpanId span) const {
  const auto ref = find_span(span);
  return ref && ref->e1 ? e1_[ref->slot].card.get() : nullptr;
}

const fxo::FxoCard* TelephonyHost::fxo_card(SpanId span) const {
  const auto ref = find_span(span);
  return ref && !ref->e1 ? fxo_[ref->slot].card.get() : nullptr;
}

std::optional<exchange::PortId> TelephonyHost::port_of(gateway::ChannelId channel) const {
  const auto ref = find_span(channel.span);
  if (!ref) return std::nullopt;
  if (ref->e1) return e1_[ref->slot].port;
  const auto& ports = fxo_[ref->slot].ports;
  if (channel.channel == 0 || channel.channel > ports.size()) return std::nullopt;
  return ports[channel.channel - 1];
}

std::optional<TelephonyHost::SpanRef> TelephonyHost::find_span(SpanId span) const {
  const auto it = spans_.find(span);
  if (it == spans_.end()) return std::nullopt;
  return it->second;
}

// ---- Time and the links -------------------------------------------------------------------------

void TelephonyHost::run_due(TimePoint now) {
  for (std::size_t step = 0; step < kMaxTimerSteps; ++step) {
    const auto next = next_deadline();
    if (!next || *next > now) return;
    // Each step at its own deadline (never before the last input: `now` never goes back).
    const TimePoint t = std::max(*next, now_);
    now_ = t;
    if (const auto d = exchange_.next_deadline(); d && *d <= t) exchange_.on_deadline(t);
    for (auto& slot : e1_) {
      if (const auto d = slot.card->next_deadline(); d && *d <= t) slot.card->on_deadline(t);
    }
    for (auto& slot : fxo_) {
      if (const auto d = slot.card->next_deadline(); d && *d <= t) slot.card->on_deadline(t);
    }
    shuttle(t);
  }
  ++counters_.timer_limit_reached;
  emit_if_wanted(trace_, now, "telephony.timer_limit_reached", [&](TraceEvent& e) {
    e.with("steps", std::to_string(kMaxTimerSteps));
  });
}

void TelephonyHost::shuttle(TimePoint now) {
  for (std::size_t round = 0; round < kMaxShuttleRounds; ++round) {
    // Both directions every round, so neither side's queue starves the other's.
    const bool down = exchange_to_cards(now);
    const bool up = cards_to_exchange(now);
    if (!down && !up) return;
  }
  ++counters_.shuttle_limit_reached;
  emit_if_wanted(trace_, now, "telephony.shuttle_limit_reached", [&](TraceEvent& e) {
    e.with("rounds", std::to_string(kMaxShuttleRounds));
  });
}

bool TelephonyHost::exchange_to_cards(TimePoint now) {
  bool moved = false;
  for (const exchange::PortFrame& f : exchange_.take_frames()) {
    moved = true;
    const auto& owner = owners_.at(f.port);
    if (owner && owner->e1) {
      e1_[owner->slot].card->on_frame(now, f.frame);
    } else {
      unrouted(now, f.port, "frame");
    }
  }
  while (auto s = exchange_.next_line_signal()) {
    moved = true;
    const auto& owner = owners_.at(s->port);
    if (owner && !owner->e1) {
      fxo_[owner->slot].card->on_line_signal(now, owner->line, s->signal);
    } else {
      unrouted(now, s->port, "line_signal");
    }
  }
  for (const exchange::ExchangeEvent& e : exchange_.take_events()) {
    // CallResolved: the exchange's records say the same (records(), Exchange::record).
    const auto* alarm = std::get_if<exchange::OfficeAlarm>(&e);
    if (!alarm) continue;
    moved = true;
    const auto& owner = owners_.at(alarm->port);
    if (owner && owner->e1) {
      e1_[owner->slot].card->on_alarm(now, alarm->alarm);  // the link
    } else {
      unrouted(now, alarm->port, "alarm");
    }
  }
  return moved;
}

bool TelephonyHost::cards_to_exchange(TimePoint now) {
  bool moved = false;
  for (auto& slot : e1_) {
    for (const pri::Frame& f : slot.card->take_frames()) {
      moved = true;
      exchange_.on_frame(now, slot.port, f);
    }
    for (gateway::CardEvent& e : slot.card->take_events()) {
      events_.push_back(gateway::FromCard{.span = slot.span, .event = std::move(e)});
    }
  }
  for (auto& slot : fxo_) {
    while (auto s = slot.card->next_line_signal()) {
      moved = true;
      if (s->line == 0 || s->line > slot.ports.size()) {
        unrouted(now, exchange_.port_count(), "line_signal");  // the card's own bug
        continue;
      }
      exchange_.on_line_signal(now, slot.ports[s->line - 1], s->signal);
    }
    while (auto e = slot.card->next_event()) {
      events_.push_back(gateway::FromCard{.span = slot.span, .event = std::move(*e)});
    }
  }
  return moved;
}

void TelephonyHost::unrouted(TimePoint now, exchange::PortId port, std::string_view what) {
  ++counters_.signals_unrouted;
  emit_if_wanted(trace_, now, "telephony.signal_unrouted", [&](TraceEvent& e) {
    e.with("port", port < exchange_.port_count() ? exchange_.port_name(port) : std::string("?"))
        .with("what", std::string(what));
  });
}

}  // namespace resproxy::telephony
