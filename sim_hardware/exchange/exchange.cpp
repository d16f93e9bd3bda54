#include "sim_hardware/exchange/exchange.h"

#include <algorithm>
#include <string>
#include <utility>

namespace resproxy::exchange {

namespace cause = gateway::cause;
using gateway::Alarm;

std::string_view to_string(CallDirection direction) {
  switch (direction) {
    case CallDirection::FromOffice: return "from_office";
    case CallDirection::ToOffice: return "to_office";
  }
  return "unknown";
}

std::string_view to_string(CallOutcome outcome) {
  switch (outcome) {
    case CallOutcome::Pending: return "pending";
    case CallOutcome::Answered: return "answered";
    case CallOutcome::Busy: return "busy";
    case CallOutcome::NoAnswer: return "no_answer";
    case CallOutcome::Refused: return "refused";
    case CallOutcome::Abandoned: return "abandoned";
  }
  return "unknown";
}

std::string_view to_string(ClearedBy side) {
  switch (side) {
    case ClearedBy::Nobody: return "-";
    case ClearedBy::Office: return "office";
    case ClearedBy::Pstn: return "pstn";
  }
  return "unknown";
}

struct Exchange::Port {
  std::string name;
  std::optional<SpanPortConfig> span_config;  // set: an E1
  std::optional<LinePortConfig> line_config;  // set: an analogue line
  std::unique_ptr<pri::NetworkSpan> span;
  std::unique_ptr<fxo::FxsLine> line;
  std::optional<CallId> line_call;  // the line's call (a line carries one at a time)
};

struct Exchange::Call {
  CallId id = 0;
  CallDirection direction = CallDirection::FromOffice;
  PortId port = 0;
  pri::ExchangeCallId span_call = 0;
  bool holds_trunk = false;
  bool answered = false;
  std::optional<DurationRange> hold_time;  // ToOffice: the PSTN caller's
  TimerId answer_timer;
  TimerId no_answer_timer;
  TimerId hold_timer;
  TimerId patience_timer;
};

// What the exchange does with a number dialled by the office.
struct Exchange::Decision {
  std::optional<std::uint8_t> refusal;  // set: refuse with this cause
  std::optional<Subscriber> subscriber;  // otherwise: ring this subscriber
};

namespace {

// Outcome of a call that ended unanswered with `cause`.
CallOutcome unanswered_outcome(std::uint8_t value) {
  switch (value) {
    case cause::kUserBusy: return CallOutcome::Busy;
    case cause::kNoUserResponding:
    case cause::kNoAnswer: return CallOutcome::NoAnswer;
    default: return CallOutcome::Refused;
  }
}

// What the exchange's end of a span sees for the alarm the office sees (set_span_alarm).
Alarm exchange_side(Alarm office_sees) {
  switch (office_sees) {
    case Alarm::Los: return Alarm::Los;  // the cable: both ends
    case Alarm::Ais: return Alarm::Rai;  // the office, hearing AIS, answers with RAI
    case Alarm::Rai: return Alarm::Los;  // the office sees RAI because we lost its signal
    case Alarm::None:
    case Alarm::LineDead: return Alarm::None;
  }
  return Alarm::None;
}

gateway::PartyNumber national(std::string digits) {
  return {.digits = std::move(digits), .type = gateway::NumberType::National};
}

}  // namespace

Exchange::Exchange(ExchangeConfig config, Rng& rng, TraceSink& trace)
    : config_(std::move(config)), rng_(rng), trace_(trace) {
  for (const SpanPortConfig& s : config_.spans) {
    auto p = std::make_unique<Port>();
    p->name = s.name;
    p->span_config = s;
    p->span = std::make_unique<pri::NetworkSpan>(s.span);
    ports_.push_back(std::move(p));
  }
  for (const LinePortConfig& l : config_.lines) {
    auto p = std::make_unique<Port>();
    p->name = l.name;
    p->line_config = l;
    fxo::FxsConfig line = l.line;
    if (line.number_lengths.empty()) line.number_lengths = config_.number_lengths;
    p->line = std::make_unique<fxo::FxsLine>(std::move(line));
    ports_.push_back(std::move(p));
  }
}

Exchange::~Exchange() = default;

void Exchange::start(TimePoint now) {
  for (auto& p : ports_) {
    if (p->line) p->line->start(now);
  }
  process(now);
}

// ---- Ports and calls ----------------------------------------------------------------------

std::optional<PortId> Exchange::port_id(std::string_view name) const {
  for (PortId i = 0; i < ports_.size(); ++i) {
    if (ports_[i]->name == name) return i;
  }
  return std::nullopt;
}
const std::string& Exchange::port_name(PortId port) const { return ports_.at(port)->name; }
bool Exchange::is_span(PortId port) const { return ports_.at(port)->span != nullptr; }
const pri::NetworkSpan& Exchange::span(PortId port) const { return *ports_.at(port)->span; }
const fxo::FxsLine& Exchange::line(PortId port) const { return *ports_.at(port)->line; }
Exchange::Port& Exchange::port(PortId id) { return *ports_.at(id); }

Exchange::Call* Exchange::find(CallId id) {
  const auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

const CallRecord* Exchange::record(CallId call) const {
  if (call == 0 || call > records_.size()) return nullptr;
  return &records_[call - 1];
}

Exchange::Call& Exchange::new_call(TimePoint now, CallDirection direction, PortId port_id,
                                   std::string calling, std::string called) {
  const CallId id = next_id_++;
  records_.push_back(CallRecord{.id = id,
                                .direction = direction,
                                .calling = std::move(calling),
                                .called = std::move(called),
                                .port = port_id < ports_.size() ? ports_[port_id]->name : "",
                                .start = now,
                                .answer = std::nullopt,
                                .end = std::nullopt,
                                .cause = std::nullopt,
                                .outcome = CallOutcome::Pending});
  Call& call = calls_[id];
  call.id = id;
  call.direction = direction;
  call.port = port_id;
  trace(now, "exchange.call_started", call);
  return call;
}

void Exchange::trace(TimePoint now, std::string name, const Call& call) {
  if (!trace_.wants(name)) return;
  const CallRecord& r = records_[call.id - 1];
  TraceEvent e{.t = now, .name = std::move(name), .fields = {}};
  e.with("call", std::to_string(call.id))
      .with("dir", std::string(to_string(r.direction)))
      .with("port", r.port)
      .with("calling", r.calling)
      .with("called", r.called);
  if (r.cause) e.with("cause", std::to_string(*r.cause));
  if (r.outcome != CallOutcome::Pending) e.with("outcome", std::string(to_string(r.outcome)));
  trace_.emit(e);
}

void Exchange::take_trunk(Call& call) {
  if (call.holds_trunk) return;
  call.holds_trunk = true;
  ++trunk_calls_;
}

void Exchange::set_cause(Call& call, std::uint8_t value, ClearedBy by) {
  CallRecord& r = records_[call.id - 1];
  if (r.cause) return;  // the first cause of the clearing, and whose it was
  r.cause = value;
  r.cleared_by = by;
}

void Exchange::resolve(Call& call, CallOutcome outcome) {
  CallRecord& r = records_[call.id - 1];
  if (r.outcome != CallOutcome::Pending) return;
  r.outcome = outcome;
  events_.push_back(CallResolved{.call = call.id, .outcome = outcome, .cause = r.cause});
}

void Exchange::finish(TimePoint now, CallId id, std::uint8_t value, ClearedBy by) {
  Call* call = find(id);
  if (!call) return;
  set_cause(*call, value, by);
  CallRecord& r = records_[id - 1];
  r.end = now;
  if (!call->answered) resolve(*call, unanswered_outcome(*r.cause));
  timers_.cancel(call->answer_timer);
  timers_.cancel(call->no_answer_timer);
  timers_.cancel(call->hold_timer);
  timers_.cancel(call->patience_timer);
  if (call->holds_trunk) --trunk_calls_;
  if (call->port < ports_.size()) {
    Port& p = port(call->port);
    if (p.line_call == id) p.line_call.reset();
    if (p.span) by_span_call_.erase({call->port, call->span_call});
  }
  trace(now, "exchange.call_ended", *call);
  calls_.erase(id);
}

// ---- Routing ------------------------------------------------------------------------------

std::optional<std::uint8_t> Exchange::admit(TimePoint now, bool emergency) const {
  if (is_congested(now) && !emergency) return cause::kSwitchingCongestion;
  if (config_.trunk_capacity && trunk_calls_ >= *config_.trunk_capacity) {
    return cause::kNoCircuitAvailable;
  }
  return std::nullopt;
}

// The order of the checks: congestion (the switch cannot even analyse the number), then the
// number (unallocated needs no circuit), then a circuit (34), then the subscriber's line (17).
Exchange::Decision Exchange::decide(TimePoint now, std::string_view called) const {
  const auto refuse = [](std::uint8_t value) {
    return Decision{.refusal = value, .subscriber = std::nullopt};
  };
  const std::optional<Subscriber> subscriber = config_.plan.find(called);
  const bool emergency = subscriber && subscriber->emergency;
  if (is_congested(now) && !emergency) return refuse(cause::kSwitchingCongestion);
  if (!subscriber || subscriber->profile.kind == SubscriberKind::Unallocated) {
    return refuse(cause::kUnallocatedNumber);
  }
  if (const auto refusal = admit(now, emergency)) return refuse(*refusal);
  if (subscriber->profile.kind == SubscriberKind::Busy) return refuse(cause::kUserBusy);
  return {.refusal = std::nullopt, .subscriber = subscriber};
}

void Exchange::route_pri_setup(TimePoint now, PortId port_id, const pri::IncomingSetup& setup) {
  Port& p = port(port_id);
  Call& call = new_call(now, CallDirection::FromOffice, port_id, setup.calling.digits,
                        setup.called.digits);
  call.span_call = setup.call;
  records_[call.id - 1].channel = setup.channel;
  by_span_call_[{port_id, setup.call}] = call.id;
  const Decision d = decide(now, setup.called.digits);
  if (d.refusal) set_cause(call, *d.refusal, ClearedBy::Pstn);
  trace(now, "exchange.call_routed", call);
  if (d.refusal) {
    set_cause(call, *d.refusal, ClearedBy::Pstn);
    resolve(call, unanswered_outcome(*d.refusal));
    const bool tone = config_.in_band_tones && (*d.refusal == cause::kUserBusy ||
                                                *d.refusal == cause::kUnallocatedNumber);
    if (tone) (void)p.span->proceed(now, setup.call);
    (void)p.span->clear(now, setup.call, *d.refusal, /*announcement=*/tone);
    return;  // CallEnded ends the record
  }
  take_trunk(call);
  (void)p.span->proceed(now, setup.call);
  (void)p.span->alert(now, setup.call, /*inband=*/true);  // ringback on the B-channel
  ring_subscriber(now, call, *d.subscriber);
}

void Exchange::route_line_digits(TimePoint now, PortId port_id, const std::string& digits) {
  Port& p = port(port_id);
  if (!p.line_call) return;
  Call& call = *find(*p.line_call);
  records_[call.id - 1].called = digits;
  const Decision d = decide(now, digits);
  if (d.refusal) set_cause(call, *d.refusal, ClearedBy::Pstn);
  trace(now, "exchange.call_routed", call);
  if (d.refusal) {
    set_cause(call, *d.refusal, ClearedBy::Pstn);
    resolve(call, unanswered_outcome(*d.refusal));
    fxo::Tone tone = fxo::Tone::Congestion;
    if (*d.refusal == cause::kUserBusy) tone = fxo::Tone::Busy;
    if (*d.refusal == cause::kUnallocatedNumber) tone = fxo::Tone::NumberUnobtainable;
    p.line->play_tone(now, tone);
    return;  // the record ends when the line hangs up
  }
  take_trunk(call);
  p.line->play_tone(now, fxo::Tone::Ringback);
  ring_subscriber(now, call, *d.subscriber);
}

void Exchange::ring_subscriber(TimePoint now, Call& call, const Subscriber& subscriber) {
  const CallId id = call.id;
  call.hold_time = subscriber.profile.hold_time;
  if (subscriber.profile.kind == SubscriberKind::Answers) {
    const Duration delay = subscriber.profile.answer_after.draw(rng_);
    if (delay < config_.no_answer_timeout) {
      call.answer_timer = timers_.schedule(
          now + delay, [this, id](TimePoint t) { subscriber_answers(t, id); });
    }
  }
  call.no_answer_timer = timers_.schedule(now + config_.no_answer_timeout,
                                          [this, id](TimePoint t) { no_answer(t, id); });
}

void Exchange::subscriber_answers(TimePoint now, CallId id) {
  Call* call = find(id);
  if (!call) return;
  call->answer_timer = {};
  timers_.cancel(call->no_answer_timer);
  Port& p = port(call->port);
  if (p.span) {
    if (!p.span->answer(now, call->span_call)) return;
  } else {
    p.line->far_party_answered(now);
  }
  call->answered = true;
  records_[id - 1].answer = now;
  resolve(*call, CallOutcome::Answered);
  trace(now, "exchange.call_answered", *call);
  if (call->hold_time) {
    call->hold_timer = timers_.schedule(now + call->hold_time->draw(rng_), [this, id](TimePoint t) {
      far_party_clears(t, id, cause::kNormalClearing);
    });
  }
}

void Exchange::no_answer(TimePoint now, CallId id) {
  Call* call = find(id);
  if (!call) return;
  call->no_answer_timer = {};
  timers_.cancel(call->answer_timer);
  far_party_clears(now, id, cause::kNoAnswer);
}

// The PSTN party (or the exchange for it) clears a call: DISCONNECT on a PRI; on a line, the
// clear signal (loop interruption, then the clearing tone) — the record ends when the office
// hangs up (or, on a PRI, when the span's clearing completes).
void Exchange::far_party_clears(TimePoint now, CallId id, std::uint8_t value) {
  Call* call = find(id);
  if (!call) return;
  call->hold_timer = {};
  set_cause(*call, value, ClearedBy::Pstn);
  if (!call->answered) resolve(*call, unanswered_outcome(value));
  Port& p = port(call->port);
  if (p.span) {
    (void)p.span->clear(now, call->span_call, value);
  } else {
    p.line->far_party_cleared(now);
  }
}

// ---- Calls to the office --------------------------------------------------------------------

CallId Exchange::originate(TimePoint now, const PstnCall& request) {
  std::optional<PortId> target;
  for (PortId i = 0; i < ports_.size() && !target; ++i) {
    const Port& p = *ports_[i];
    if (p.span_config && !p.span_config->ddi_first.empty() &&
        in_range(request.called, p.span_config->ddi_first, p.span_config->ddi_last)) {
      target = i;
    } else if (p.line_config && !p.line_config->directory_number.empty() &&
               request.called == p.line_config->directory_number) {
      target = i;
    }
  }
  Call& call = new_call(now, CallDirection::ToOffice, target.value_or(ports_.size()),
                        request.calling.digits, request.called);
  const CallId id = call.id;
  call.hold_time = request.hold_time;
  const auto refuse = [&](std::uint8_t value) {
    finish(now, id, value, ClearedBy::Pstn);
    return id;
  };
  if (!target) return refuse(cause::kUnallocatedNumber);
  if (const auto refusal = admit(now, /*emergency=*/false)) return refuse(*refusal);

  Port& p = port(*target);
  if (p.span) {
    gateway::PartyNumber called = national(request.called);
    const std::size_t keep = p.span_config->ddi_digits;
    if (keep != 0 && keep < called.digits.size()) {
      called.digits = called.digits.substr(called.digits.size() - keep);
      called.type = gateway::NumberType::Unknown;
    }
    gateway::PartyNumber calling = request.calling;
    if (calling.available && calling.type == gateway::NumberType::Unknown) {
      calling.type = gateway::NumberType::National;
    }
    auto presented = p.span->present_call(now, calling, called);
    if (!presented) return refuse(presented.error().value);
    call.span_call = *presented;
    by_span_call_[{*target, *presented}] = id;
    records_[id - 1].channel = p.span->channel_of(*presented).value_or(0);
  } else {
    std::optional<fxo::CallerIdMessage> caller_id(std::in_place);
    if (!request.calling.available || request.calling.digits.empty()) {
      caller_id->number_absent = fxo::AbsenceReason::Unavailable;
    } else if (request.calling.restricted) {
      caller_id->number_absent = fxo::AbsenceReason::Private;
    } else {
      caller_id->number = request.calling.digits;
    }
    fxo::PresentResult r = p.line->present_call(now, caller_id);
    if (r == fxo::PresentResult::InvalidCallerId) r = p.line->present_call(now, std::nullopt);
    switch (r) {
      case fxo::PresentResult::Presenting: break;
      case fxo::PresentResult::Busy: return refuse(cause::kUserBusy);
      case fxo::PresentResult::LineDown:
      case fxo::PresentResult::InvalidCallerId: return refuse(cause::kNetworkOutOfOrder);
    }
    p.line_call = id;
  }
  take_trunk(call);
  call.patience_timer =
      timers_.schedule(now + request.patience.value_or(config_.patience),
                       [this, id](TimePoint t) { caller_gives_up(t, id); });
  process(now);
  return id;
}

void Exchange::office_answered(TimePoint now, CallId id) {
  Call* call = find(id);
  if (!call || call->answered) return;
  timers_.cancel(call->patience_timer);
  call->answered = true;
  records_[id - 1].answer = now;
  resolve(*call, CallOutcome::Answered);
  trace(now, "exchange.call_answered", *call);
  if (call->hold_time) {
    call->hold_timer = timers_.schedule(now + call->hold_time->draw(rng_), [this, id](TimePoint t) {
      far_party_clears(t, id, cause::kNormalClearing);
    });
  }
}

void Exchange::caller_gives_up(TimePoint now, CallId id) {
  Call* call = find(id);
  if (!call || call->answered) return;
  call->patience_timer = {};
  set_cause(*call, cause::kNormalClearing, ClearedBy::Pstn);
  resolve(*call, CallOutcome::Abandoned);
  Port& p = port(call->port);
  if (p.span) {
    (void)p.span->clear(now, call->span_call, cause::kNormalClearing);
  } else {
    p.line->caller_abandoned(now);  // the line stops ringing; nothing more will come
    finish(now, id, cause::kNormalClearing, ClearedBy::Pstn);
  }
}

// ---- Events from the spans and lines --------------------------------------------------------

void Exchange::process(TimePoint now) {
  bool moved = true;
  while (moved) {
    moved = false;
    for (PortId i = 0; i < ports_.size(); ++i) {
      Port& p = *ports_[i];
      if (p.span) {
        for (const pri::NetworkSpanEvent& e : p.span->take_events()) {
          moved = true;
          on_span_event(now, i, e);
        }
      } else {
        while (const auto r = p.line->next_report()) {
          moved = true;
          on_line_report(now, i, *r);
        }
      }
    }
  }
}

void Exchange::on_span_event(TimePoint now, PortId port_id, const pri::NetworkSpanEvent& event) {
  if (const auto* setup = std::get_if<pri::IncomingSetup>(&event)) {
    return route_pri_setup(now, port_id, *setup);
  }
  const pri::ExchangeCallId span_call = std::visit(
      [](const auto& e) -> pri::ExchangeCallId {
        if constexpr (requires { e.call; }) {
          return e.call;
        } else {
          return 0;
        }
      },
      event);
  const auto it = by_span_call_.find({port_id, span_call});
  if (it == by_span_call_.end()) return;  // SpanRestarted, or a call already finished
  const CallId id = it->second;
  Call* call = find(id);
  if (!call) return;
  if (std::holds_alternative<pri::OfficeAnswered>(event)) {
    office_answered(now, id);
  } else if (const auto* d = std::get_if<pri::OfficeDisconnected>(&event)) {
    // The office cleared: a call it made and gives up on before answer is abandoned.
    set_cause(*call, d->cause.value, ClearedBy::Office);
    if (!call->answered && call->direction == CallDirection::FromOffice) {
      resolve(*call, CallOutcome::Abandoned);
    }
  } else if (const auto* ended = std::get_if<pri::CallEnded>(&event)) {
    if (!call->answered && call->direction == CallDirection::FromOffice &&
        records_[id - 1].outcome == CallOutcome::Pending &&
        ended->cause.value == cause::kNormalClearing) {
      resolve(*call, CallOutcome::Abandoned);
    }
    // A cause nobody set yet: the office ended it (a refusal by RELEASE COMPLETE, its clearing).
    finish(now, id, ended->cause.value, ClearedBy::Office);
  }
  // OfficeProceeding, OfficeAlerting, OfficeProgress: the PSTN caller hears ringback; nothing
  // to decide.
}

void Exchange::on_line_report(TimePoint now, PortId port_id, const fxo::FxsReport& report) {
  Port& p = port(port_id);
  if (std::holds_alternative<fxo::LineSeized>(report)) {
    if (p.line_call) return;  // cannot happen: the line reports a seizure only when idle
    Call& call = new_call(now, CallDirection::FromOffice, port_id,
                          p.line_config->directory_number, "");
    p.line_call = call.id;
  } else if (const auto* dialled = std::get_if<fxo::DigitsDialled>(&report)) {
    route_line_digits(now, port_id, dialled->digits);
  } else if (std::holds_alternative<fxo::LineAnswered>(report)) {
    if (p.line_call) office_answered(now, *p.line_call);
  } else if (std::holds_alternative<fxo::LineCleared>(report)) {
    if (!p.line_call) return;
    const CallId id = *p.line_call;
    Call* call = find(id);
    if (call && !call->answered && call->direction == CallDirection::FromOffice) {
      resolve(*call, CallOutcome::Abandoned);  // hung up before an answer (or a refusal)
    }
    finish(now, id, cause::kNormalClearing, ClearedBy::Office);
  }
  // DtmfFromLine: in-band towards the far party; nobody listens.
}

// ---- Faults ---------------------------------------------------------------------------------

void Exchange::start_congestion(TimePoint now, TimePoint until) {
  congested_until_ = until;
  if (trace_.wants("exchange.congestion_started")) {
    trace_.emit(TraceEvent{.t = now, .name = "exchange.congestion_started", .fields = {}}.with(
        "until_ns", std::to_string(to_ns(until))));
  }
}

void Exchange::end_congestion(TimePoint now) {
  congested_until_ = now;
  if (trace_.wants("exchange.congestion_ended")) {
    trace_.emit(TraceEvent{.t = now, .name = "exchange.congestion_ended", .fields = {}});
  }
}

void Exchange::set_span_alarm(TimePoint now, PortId port_id, Alarm office_sees) {
  if (port_id >= ports_.size() || !ports_[port_id]->span) return;  // not an E1 port
  Port& p = port(port_id);
  if (office_sees == Alarm::LineDead) return;  // not an E1 alarm
  // Our end first: its calls end (38) and are recorded before the office hears of it.
  p.span->on_alarm(now, exchange_side(office_sees));
  process(now);
  events_.push_back(OfficeAlarm{.port = port_id, .alarm = office_sees});
  if (trace_.wants("exchange.alarm_set")) {
    trace_.emit(TraceEvent{.t = now, .name = "exchange.alarm_set", .fields = {}}
                    .with("port", p.name)
                    .with("office_sees", std::to_string(static_cast<int>(office_sees))));
  }
}

void Exchange::set_line_battery(TimePoint now, PortId port_id, bool present) {
  if (port_id >= ports_.size() || !ports_[port_id]->line) return;  // not a line port
  Port& p = port(port_id);
  if (!present && p.line_call) {
    if (Call* call = find(*p.line_call)) set_cause(*call, cause::kNetworkOutOfOrder, ClearedBy::Pstn);
  }
  p.line->set_battery(now, present);
  if (!present && p.line_call) {
    // A call still presenting (the line does not report it): over now.
    finish(now, *p.line_call, cause::kNetworkOutOfOrder, ClearedBy::Pstn);
  }
  process(now);
}

// ---- The office's side ----------------------------------------------------------------------

void Exchange::on_frame(TimePoint now, PortId port_id, std::span<const std::uint8_t> octets) {
  if (port_id >= ports_.size() || !ports_[port_id]->span) return;
  ports_[port_id]->span->on_frame(now, octets);
  process(now);
}

void Exchange::on_line_signal(TimePoint now, PortId port_id, const fxo::LineSignal& signal) {
  if (port_id >= ports_.size() || !ports_[port_id]->line) return;
  ports_[port_id]->line->on_line_signal(now, signal);
  process(now);
}

void Exchange::on_deadline(TimePoint now) {
  timers_.fire_due(now);
  for (auto& p : ports_) {
    if (p->span) {
      if (const auto d = p->span->next_deadline(); d && *d <= now) p->span->on_deadline(now);
    } else if (const auto d = p->line->next_deadline(); d && *d <= now) {
      p->line->on_deadline(now);
    }
  }
  process(now);
}

std::optional<TimePoint> Exchange::next_deadline() const {
  std::optional<TimePoint> earliest = timers_.next_deadline();
  const auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!earliest || *t < *earliest)) earliest = t;
  };
  for (const auto& p : ports_) consider(p->span ? p->span->next_deadline() : p->line->next_deadline());
  return earliest;
}

std::vector<PortFrame> Exchange::take_frames() {
  std::vector<PortFrame> out;
  for (PortId i = 0; i < ports_.size(); ++i) {
    if (!ports_[i]->span) continue;
    for (pri::Frame& f : ports_[i]->span->take_frames()) {
      out.push_back(PortFrame{.port = i, .frame = std::move(f)});
    }
  }
  return out;
}

std::optional<PortLineSignal> Exchange::next_line_signal() {
  for (PortId i = 0; i < ports_.size(); ++i) {
    if (!ports_[i]->line) continue;
    if (auto s = ports_[i]->line->next_line_signal()) {
      std::optional<PortLineSignal> out(std::in_place);
      out->port = i;
      std::swap(out->signal, *s);  // g++ 12: see FxsLine::next_line_signal
      return out;
    }
  }
  return std::nullopt;
}

std::vector<ExchangeEvent> Exchange::take_events() { return std::exchange(events_, {}); }

}  // namespace resproxy::exchange
