// FxoCard: commands, outputs, the line's levels, clearing, alarms. Ringing and caller ID are in
// fxo_card_incoming.cpp, seizure, dialling and supervision in fxo_card_outgoing.cpp.
#include "sim_hardware/fxo/fxo_card.h"

#include <algorithm>

#include "sim_hardware/fxo/fxo_card_line.h"

namespace resproxy::fxo {

using gateway::Cause;
using gateway::CauseLocation;
namespace cause = gateway::cause;

std::string_view to_string(AnswerSupervision supervision) {
  switch (supervision) {
    case AnswerSupervision::PolarityReversal: return "polarity_reversal";
    case AnswerSupervision::AfterDialling: return "after_dialling";
    case AnswerSupervision::AfterDelay: return "after_delay";
  }
  return "unknown";
}

FxoCard::FxoCard(FxoCardConfig config, TraceSink& trace)
    : config_(std::move(config)), trace_(trace) {
  for (std::uint16_t n = 1; n <= config_.lines; ++n) {
    lines_.push_back(std::make_unique<Line>(*this, n));
  }
  ring_off_timeout_ = config_.timings.ring_off_timeout != Duration{}
                          ? config_.timings.ring_off_timeout
                          : config_.profile.cadence.longest_off() * 3 / 2;
  if (config_.profile.rings_without_caller_id != 0) {
    rings_without_caller_id_ = config_.profile.rings_without_caller_id;
  } else {
    rings_without_caller_id_ = config_.profile.caller_id == CallerIdStandard::Bellcore ? 2 : 1;
  }
}

FxoCard::~FxoCard() = default;

gateway::SpanInfo FxoCard::span_info() const {
  gateway::SpanInfo info;
  info.span = config_.span;
  info.kind = gateway::SpanKind::Fxo;
  info.name = config_.name;
  for (const auto& line : lines_) info.channels.push_back(line->number);
  info.overlap_receiving = false;  // an FXO line has no DDI digits at all
  return info;
}

void FxoCard::start(TimePoint now) {
  timers_.fire_due(now);
  for (auto& line : lines_) {
    if (line->battery || line->dead_timer.is_set()) continue;
    Line* l = line.get();
    line->dead_timer = timers_.schedule(now + config_.timings.line_dead_after,
                                        [this, l](TimePoint t) { line_dead(t, *l); });
  }
}

// Causes the card decides itself carry location "private network serving the local user"; causes
// it reads from the exchange's signals (tones, loop interruption, ringing) "public network serving
// the local user" — never "user", which would turn 17 into 600 (cause_map.h).
Cause FxoCard::card_cause(std::uint8_t value) const { return Cause{value, CauseLocation::PrivateLocal}; }
Cause FxoCard::exchange_cause(std::uint8_t value) const { return Cause{value, CauseLocation::PublicLocal}; }

void FxoCard::trace(TimePoint now, const Line& line, std::string name, std::string key,
                    std::string value) {
  if (!trace_.wants(name)) return;
  TraceEvent e{now, std::move(name), {}};
  e.with("span", std::to_string(config_.span)).with("line", std::to_string(line.number));
  if (line.call != 0) e.with("call", std::to_string(line.call));
  if (!key.empty()) e.with(std::move(key), std::move(value));
  trace_.emit(e);
}

// --- Inputs ---

void FxoCard::on_command(TimePoint now, const gateway::CardCommand& command) {
  timers_.fire_due(now);
  if (const auto* c = std::get_if<gateway::PlaceCall>(&command)) {
    on_place_call(now, *c);
  } else if (const auto* c = std::get_if<gateway::SendDigits>(&command)) {
    on_send_digits(now, *c);
  } else if (const auto* c = std::get_if<gateway::AnswerCall>(&command)) {
    on_answer_call(now, *c);
  } else if (const auto* c = std::get_if<gateway::ClearCall>(&command)) {
    on_clear_call(now, *c);
  } else if (const auto* c = std::get_if<gateway::SendDtmf>(&command)) {
    on_send_dtmf(now, *c);
  }
  // AcceptCall, AlertCall, ProgressCall: a loop-start line has no way to say these — the exchange
  // keeps ringing until we answer. MediaBridge: audio is the runtime's (card.h).
}

void FxoCard::on_line_signal(TimePoint now, std::uint16_t number, const LineSignal& signal) {
  timers_.fire_due(now);
  if (number == 0 || number > lines_.size()) return;  // not one of our lines: nothing to act on
  Line& line = *lines_[number - 1];
  if (const auto* s = std::get_if<BatteryState>(&signal)) {
    on_battery(now, line, s->present);
  } else if (const auto* s = std::get_if<RingingVoltage>(&signal)) {
    line.ringing = s->on;
    if (!line.loop_closed) on_ringing(now, line, s->on);  // off hook the ring has been tripped
  } else if (const auto* s = std::get_if<LinePolarity>(&signal)) {
    if (s->reversed == line.reversed) return;
    line.reversed = s->reversed;
    if (line.loop_closed) {
      on_polarity_off_hook(now, line, s->reversed);
    } else {
      on_polarity_on_hook(now, line, s->reversed);
    }
  } else if (const auto* s = std::get_if<LineTone>(&signal)) {
    on_tone(now, line, s->tone);
  } else if (const auto* s = std::get_if<CallerIdData>(&signal)) {
    if (!line.loop_closed) on_caller_id_data(now, line, *s);
  } else if (const auto* s = std::get_if<DtmfTone>(&signal)) {
    on_dtmf(now, line, *s);
  }
  // LoopState and CallerIdLoad travel towards the exchange only.
}

void FxoCard::on_deadline(TimePoint now) { timers_.fire_due(now); }

// --- Outputs ---

std::optional<gateway::CardEvent> FxoCard::next_event() {
  if (events_.empty()) return std::nullopt;
  gateway::CardEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::optional<FxoLineSignal> FxoCard::next_line_signal() {
  if (signals_.empty()) return std::nullopt;
  // Swapped out rather than moved: g++ 12 warns -Wmaybe-uninitialized on moving this variant's
  // vector alternative (a false positive of the kind tests/CMakeLists.txt describes).
  std::optional<FxoLineSignal> s(std::in_place);
  std::swap(*s, signals_.front());
  signals_.pop_front();
  return s;
}

void FxoCard::emit(Line& line, const LineSignal& signal) {
  if (const auto* loop = std::get_if<LoopState>(&signal)) line.loop_closed = loop->closed;
  if (const auto* load = std::get_if<CallerIdLoad>(&signal)) line.load = load->applied;
  signals_.push_back(FxoLineSignal{line.number, signal});
}

FxoCard::Line* FxoCard::line_for_call(gateway::LineCallId call) {
  if (call == 0) return nullptr;
  for (auto& line : lines_) {
    if (line->call == call) return line.get();
  }
  return nullptr;
}

// --- Commands that are not about one direction ---

void FxoCard::on_place_call(TimePoint now, const gateway::PlaceCall& command) {
  const auto& ch = command.channel;
  if (ch.span != config_.span || ch.channel == 0 || ch.channel > lines_.size()) {
    event(gateway::CallReleased{command.call, card_cause(82)});  // Q.850 82: no such channel
    return;
  }
  Line& line = *lines_[ch.channel - 1];
  if (line.state == State::CallerId || line.state == State::Ringing ||
      (line.state == State::Idle && line.ringing)) {
    // Glare: the exchange is ringing this line in. On a loop-start line our seizure would answer
    // that call (ring trip), not get dial tone: incoming wins, the gateway hunts on.
    ++counters_.glare;
    trace(now, line, "fxo.glare", "lost_call", std::to_string(command.call));
    event(gateway::CallReleased{command.call, card_cause(cause::kRequestedChannelNotAvailable)});
    return;
  }
  if (line.state != State::Idle) {  // the channel is still busy (a call, or its guard time)
    event(gateway::CallReleased{command.call, card_cause(cause::kRequestedChannelNotAvailable)});
    return;
  }
  if (!line.battery) {  // a dead line: no use seizing it
    event(gateway::CallReleased{command.call, card_cause(cause::kNetworkOutOfOrder)});
    return;
  }
  seize(now, line, command);
}

void FxoCard::on_clear_call(TimePoint now, const gateway::ClearCall& command) {
  Line* line = line_for_call(command.call);
  if (line == nullptr) return;  // already released: its CallReleased is on its way or gone
  const Cause cause = card_cause(command.cause);
  switch (line->state) {
    case State::Ringing:
      // Unanswered: a loop-start line cannot refuse a call (only answering and hanging up, which
      // would charge the caller). The line stays busy until the caller gives up.
      if (!line->rejected) {
        line->rejected = true;
        if (!line->first_cause) line->first_cause = cause;
      }
      return;
    case State::Seizing:
    case State::Dialling:
    case State::AwaitingAnswer:
    case State::Connected:
    case State::Disconnected:
      go_on_hook(now, *line, cause);
      return;
    default:
      return;
  }
}

// --- The line's levels ---

void FxoCard::on_battery(TimePoint now, Line& line, bool present) {
  if (present == line.battery) return;
  line.battery = present;
  if (!present) {
    if (!line.dead_timer.is_set() && !line.dead) {
      line.dead_timer = timers_.schedule(now + config_.timings.line_dead_after,
                                         [this, l = &line](TimePoint t) { line_dead(t, *l); });
    }
    if (line.loop_closed && (line.state == State::Dialling || line.state == State::AwaitingAnswer ||
                             line.state == State::Connected)) {
      line.interruption_timer =
          timers_.schedule(now + config_.timings.loop_interruption_min,
                           [this, l = &line](TimePoint t) { loop_interrupted(t, *l); });
    }
    return;
  }
  timers_.cancel(line.dead_timer);
  timers_.cancel(line.interruption_timer);  // shorter than a clear: a transient
  if (line.dead) {
    line.dead = false;
    trace(now, line, "fxo.line_alive");
    update_alarm(now);
  }
}

void FxoCard::loop_interrupted(TimePoint now, Line& line) {
  line.interruption_timer = TimerId{};
  // Loop current gone long enough to be the exchange's clear. Answered: the far party cleared
  // (16). Not yet answered: the exchange gave up the attempt, reason unknown (31: 16 would make
  // the gateway wait for a BYE that cannot come, cause_map.h).
  const bool answered = line.state == State::Connected;
  trace(now, line, "fxo.loop_interrupted");
  disconnect(now, line, exchange_cause(answered ? cause::kNormalClearing : cause::kNormalUnspecified),
             false);
}

void FxoCard::line_dead(TimePoint now, Line& line) {
  line.dead_timer = TimerId{};
  if (line.battery || line.dead) return;
  line.dead = true;
  trace(now, line, "fxo.line_dead");
  if (line.state == State::Seizing) go_on_hook(now, line, card_cause(cause::kNetworkOutOfOrder));
  update_alarm(now);
}

void FxoCard::update_alarm(TimePoint now) {
  const bool all_dead =
      std::all_of(lines_.begin(), lines_.end(), [](const auto& l) { return l->dead; });
  const auto want = all_dead ? gateway::Alarm::LineDead : gateway::Alarm::None;
  if (want == alarm_) return;
  alarm_ = want;
  event(gateway::SpanState{config_.span, want});
  const std::string name = want == gateway::Alarm::None ? "card.alarm_cleared" : "card.alarm_raised";
  if (trace_.wants(name)) {
    TraceEvent e{now, name, {}};
    e.with("span", std::to_string(config_.span)).with("alarm", "line_dead");
    trace_.emit(e);
  }
}

void FxoCard::on_tone(TimePoint now, Line& line, Tone tone) {
  if (tone == line.tone) return;
  const Tone previous = line.tone;
  line.tone = tone;
  line.tone_since = now;
  if (!line.loop_closed) {
    on_tone_on_hook(now, line, previous, tone);
    return;
  }
  switch (line.state) {
    case State::Seizing:
      timers_.cancel(line.dial_tone_timer);
      if (tone == Tone::DialTone) {
        line.dial_tone_timer =
            timers_.schedule(now + config_.timings.dial_tone_recognition,
                             [this, l = &line](TimePoint t) {
                               l->dial_tone_timer = TimerId{};
                               start_dialling(t, *l);
                             });
      } else if (tone == Tone::Speech) {
        glare_by_ring_trip(now, line);
      }
      return;
    case State::AwaitingAnswer:
      if (tone == Tone::Speech) event(gateway::CallProgress{line.call, true});  // an announcement
      arm_tone_timer(now, line);
      return;
    case State::Connected:
      arm_tone_timer(now, line);
      return;
    default:
      return;  // dialling: dial tone going away is no news
  }
}

// Call-progress tones count once they have lasted their recognition time (a real detector must
// see a few cadence cycles; after answer, longer, so that speech or music is never taken for one).
void FxoCard::arm_tone_timer(TimePoint now, Line& line) {
  timers_.cancel(line.tone_timer);
  const Tone tone = line.tone;
  const bool clearing_tone =
      tone == Tone::Busy || tone == Tone::Congestion || tone == Tone::NumberUnobtainable;
  Duration recognition{};
  if (line.state == State::AwaitingAnswer && (clearing_tone || (tone == Tone::Ringback && !line.alerted))) {
    recognition = config_.timings.progress_tone_recognition;
  } else if (line.state == State::Connected && clearing_tone) {
    recognition = config_.timings.clear_tone_recognition;
  } else {
    return;
  }
  const TimePoint at = std::max(now, line.tone_since + recognition);
  line.tone_timer = timers_.schedule(at, [this, l = &line, tone](TimePoint t) {
    l->tone_timer = TimerId{};
    if (l->state == State::AwaitingAnswer) {
      switch (tone) {
        case Tone::Ringback:
          l->alerted = true;
          event(gateway::CallAlerting{l->call, true});
          return;
        case Tone::Busy:
          disconnect(t, *l, exchange_cause(cause::kUserBusy), true);
          return;
        case Tone::NumberUnobtainable:
          disconnect(t, *l, exchange_cause(cause::kUnallocatedNumber), true);
          return;
        default:  // congestion
          disconnect(t, *l, exchange_cause(cause::kNoCircuitAvailable), true);
          return;
      }
    }
    // Answered: the exchange's tone after the far party hung up. Busy is what it plays after a
    // normal clear (16); congestion or NU says the call ended without saying why (31).
    disconnect(t, *l,
               exchange_cause(tone == Tone::Busy ? cause::kNormalClearing : cause::kNormalUnspecified),
               false);
  });
}

void FxoCard::on_dtmf(TimePoint now, Line& line, const DtmfTone& tone) {
  if (line.state != State::Connected) return;
  if (tone.on) {
    if (!line.dtmf_in) {
      line.dtmf_in = tone.digit;
      line.dtmf_in_since = now;
    }
    return;
  }
  if (!line.dtmf_in || *line.dtmf_in != tone.digit) return;
  line.dtmf_in.reset();
  if (now - line.dtmf_in_since >= config_.timings.dtmf_min_on) {
    event(gateway::DtmfReceived{line.call, tone.digit});
  }
}

// --- Clearing ---

void FxoCard::disconnect(TimePoint now, Line& line, Cause cause, bool inband) {
  if (line.state == State::Disconnected || line.state == State::Releasing || line.call == 0) return;
  timers_.cancel(line.tone_timer);
  timers_.cancel(line.answer_timer);
  timers_.cancel(line.interruption_timer);
  timers_.cancel(line.seize_timer);
  timers_.cancel(line.dial_tone_timer);
  line.dtmf.cancel(now);
  line.state = State::Disconnected;
  if (!line.first_cause) line.first_cause = cause;
  trace(now, line, "fxo.far_end_cleared", "cause", std::to_string(cause.value));
  event(gateway::CallDisconnected{line.call, cause, inband});
}

void FxoCard::go_on_hook(TimePoint now, Line& line, Cause cause) {
  if (!line.first_cause) line.first_cause = cause;
  timers_.cancel(line.tone_timer);
  timers_.cancel(line.answer_timer);
  timers_.cancel(line.interruption_timer);
  timers_.cancel(line.seize_timer);
  timers_.cancel(line.dial_tone_timer);
  line.dtmf.cancel(now);
  line.dtmf_in.reset();
  if (line.loop_closed) emit(line, LoopState{false});
  if (line.load) set_load(line, false);
  line.state = State::Releasing;
  // The exchange must see the loop open for longer than its clear recognition before we may
  // seize again, or it would take the break for a hook flash: only then is the channel free.
  line.guard_timer = timers_.schedule(now + config_.timings.release_guard, [this, l = &line](TimePoint) {
    l->guard_timer = TimerId{};
    release(*l, l->first_cause.value_or(card_cause(cause::kNormalClearing)));
  });
}

void FxoCard::release(Line& line, Cause cause) {
  event(gateway::CallReleased{line.call, cause});
  reset_call(line);
}

void FxoCard::reset_call(Line& line) {
  for (TimerId* t : {&line.ring_validate, &line.ring_stop, &line.caller_id_timer, &line.load_timer,
                     &line.seize_timer, &line.dial_tone_timer, &line.tone_timer, &line.answer_timer,
                     &line.interruption_timer, &line.guard_timer}) {
    timers_.cancel(*t);
  }
  line.state = State::Idle;
  line.call = 0;
  line.incoming = false;
  line.presented = false;
  line.rejected = false;
  line.alerted = false;
  line.first_cause.reset();
  line.cycles = 0;
  line.phase = CallerIdPhase::None;
  line.caller_id.reset();
  line.caller_id_failed = false;
  line.to_dial.clear();
  line.dial_complete = true;
  line.reversal_seen = false;
  line.dtmf_in.reset();
}

}  // namespace resproxy::fxo
