// FxoCard, incoming calls: ring validation and counting, caller ID (SIN 227 before the first
// ring, Bellcore between the first and second), presenting the call, answering it.
#include <algorithm>

#include "sim_hardware/fxo/fxo_card.h"
#include "sim_hardware/fxo/fxo_card_line.h"

namespace resproxy::fxo {

using gateway::Cause;
namespace cause = gateway::cause;

void FxoCard::on_ringing(TimePoint now, Line& line, bool on) {
  if (line.state != State::Idle && line.state != State::CallerId && line.state != State::Ringing) {
    return;  // our guard time after a call: the next burst will be seen
  }
  if (on) {
    line.ring_on_since = now;
    timers_.cancel(line.ring_stop);
    line.ring_validate = timers_.schedule(now + config_.timings.min_ring_burst,
                                          [this, l = &line](TimePoint t) {
                                            l->ring_validate = TimerId{};
                                            ring_validated(t, *l);
                                          });
    return;
  }
  TimePoint stop_at = now + ring_off_timeout_;
  if (line.ring_validate.is_set()) {
    // Shorter than a ring burst can be (a bell tinkle from a line test or a reversal): not a ring.
    timers_.cancel(line.ring_validate);
    ++counters_.rings_rejected;
    trace(now, line, "fxo.ring_rejected", "ms",
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - line.ring_on_since).count()));
    if (line.state != State::Ringing) return;
    stop_at = std::max(now, line.last_ring_end + ring_off_timeout_);
  } else {
    line.last_ring_end = now;
  }
  if (line.state == State::Ringing) {
    line.ring_stop = timers_.schedule(stop_at, [this, l = &line](TimePoint t) {
      l->ring_stop = TimerId{};
      ringing_stopped(t, *l);
    });
  }
}

void FxoCard::ring_validated(TimePoint now, Line& line) {
  if (line.state == State::Ringing) {
    // Bursts closer than the cadence's cycle gap are one ring (the UK double ring).
    if (line.ring_on_since - line.last_ring_end >= config_.profile.cadence.cycle_gap()) ++line.cycles;
  } else {
    // The first ring. SIN 227 signalling still waiting for its data will not get it now.
    timers_.cancel(line.caller_id_timer);
    timers_.cancel(line.load_timer);
    if (line.load) set_load(line, false);
    line.phase = CallerIdPhase::None;
    line.state = State::Ringing;
    line.cycles = 1;
  }
  maybe_present(now, line);
}

void FxoCard::ringing_stopped(TimePoint now, Line& line) {
  if (line.state != State::Ringing) return;
  if (!line.presented) {  // rung, but never long enough to be presented: nothing to release
    reset_call(line);
    return;
  }
  // No ring for longer than the cadence's silence allows: the caller gave up (or the exchange's
  // no-answer timer ended the call). ISDN would send DISCONNECT with 16 (normal clearing); the
  // gateway then CANCELs its INVITE (cause_map.h: 16 gives no response).
  trace(now, line, "fxo.caller_gave_up");
  release(line, line.first_cause.value_or(exchange_cause(cause::kNormalClearing)));
}

void FxoCard::maybe_present(TimePoint now, Line& line) {
  if (line.state != State::Ringing || line.presented) return;
  const bool caller_id_came = line.caller_id.has_value() || line.caller_id_failed;
  if (!caller_id_came && line.cycles < rings_without_caller_id_) return;
  last_call_ += 2;
  line.call = last_call_;
  line.incoming = true;
  line.presented = true;
  trace(now, line, "fxo.incoming_call", "rings", std::to_string(line.cycles));
  present(line);
}

// called stays empty: an FXO line carries no DDI; the gateway applies the line's destination.
void FxoCard::present(Line& line) {
  gateway::IncomingCall call;
  call.call = line.call;
  call.channel = gateway::ChannelId{config_.span, line.number};
  call.calling = calling_number(line);
  call.complete = true;
  event(std::move(call));
}

gateway::PartyNumber FxoCard::calling_number(const Line& line) const {
  gateway::PartyNumber n;
  n.available = false;
  if (!line.caller_id) return n;
  if (line.caller_id->number) {
    n.digits = *line.caller_id->number;
    n.available = true;  // the type of number is not in the message: Unknown
  } else if (line.caller_id->number_absent == AbsenceReason::Private) {
    n.restricted = true;  // 'P': withheld
  }
  return n;
}

// SIN 227: an idle line's polarity reversal announces caller-ID data before the first ring.
void FxoCard::on_polarity_on_hook(TimePoint now, Line& line, bool reversed) {
  if (!reversed || line.state != State::Idle ||
      config_.profile.caller_id != CallerIdStandard::Sin227) {
    return;  // back to normal: SIN 227 restores it before ringing; the timer decides
  }
  line.state = State::CallerId;
  line.phase = CallerIdPhase::AwaitAlert;
  line.caller_id_timer = timers_.schedule(now + config_.timings.alert_wait,
                                          [this, l = &line](TimePoint t) { caller_id_over(t, *l); });
}

void FxoCard::on_tone_on_hook(TimePoint now, Line& line, Tone previous, Tone tone) {
  if (line.state != State::CallerId) return;
  if (line.phase == CallerIdPhase::AwaitAlert) {
    if (tone == Tone::ToneAlert) {
      line.alert_since = now;
      return;
    }
    if (previous != Tone::ToneAlert) return;
    if (now - line.alert_since < config_.timings.alert_min) {
      trace(now, line, "fxo.alert_rejected");
      return;
    }
    // SIN 227: the terminal puts its DC and AC loads on 15-25 ms after the alert ends; the data
    // comes >= 45 ms after it.
    line.phase = CallerIdPhase::AwaitData;
    line.load_timer = timers_.schedule(now + config_.timings.load_apply, [this, l = &line](TimePoint) {
      l->load_timer = TimerId{};
      set_load(*l, true);
    });
    timers_.cancel(line.caller_id_timer);
    line.caller_id_timer = timers_.schedule(now + config_.timings.data_wait,
                                            [this, l = &line](TimePoint t) { caller_id_over(t, *l); });
    return;
  }
  if (line.phase == CallerIdPhase::AwaitData && tone == Tone::Fsk) {
    timers_.cancel(line.caller_id_timer);
    line.caller_id_timer = timers_.schedule(now + config_.timings.data_max,
                                            [this, l = &line](TimePoint t) { caller_id_over(t, *l); });
  }
}

void FxoCard::on_caller_id_data(TimePoint now, Line& line, const CallerIdData& data) {
  const auto standard = config_.profile.caller_id;
  const bool expected =
      (standard == CallerIdStandard::Sin227 && line.state == State::CallerId &&
       line.phase == CallerIdPhase::AwaitData) ||
      (standard == CallerIdStandard::Bellcore && line.state == State::Ringing && !line.presented &&
       !line.caller_id && !line.caller_id_failed);
  if (!expected) {
    trace(now, line, "fxo.caller_id_unexpected");
    return;
  }
  // from the wire: untrusted
  auto decoded = decode_caller_id(data.octets, *standard);
  if (decoded) {
    line.caller_id = std::move(decoded).value();
  } else {
    ++counters_.caller_id_errors;
    line.caller_id_failed = true;  // the call is presented without a number
    trace(now, line, "fxo.caller_id_invalid", "error", std::string(to_string(decoded.error().kind)));
  }
  if (*standard == CallerIdStandard::Bellcore) {
    maybe_present(now, line);
    return;
  }
  // SIN 227: loads off 50-150 ms after the data; ringing follows >= 200 ms after it.
  line.phase = CallerIdPhase::Received;
  timers_.cancel(line.load_timer);
  line.load_timer = timers_.schedule(now + config_.timings.load_remove, [this, l = &line](TimePoint) {
    l->load_timer = TimerId{};
    set_load(*l, false);
  });
  timers_.cancel(line.caller_id_timer);
  line.caller_id_timer = timers_.schedule(now + ring_off_timeout_,
                                          [this, l = &line](TimePoint t) { caller_id_over(t, *l); });
}

// SIN 227 signalling that did not end in ringing (data without ringing is allowed, or it broke
// off): forget it.
void FxoCard::caller_id_over(TimePoint now, Line& line) {
  line.caller_id_timer = TimerId{};
  if (line.state != State::CallerId) return;
  if (line.phase != CallerIdPhase::Received) trace(now, line, "fxo.caller_id_incomplete");
  timers_.cancel(line.load_timer);
  if (line.load) set_load(line, false);
  reset_call(line);
}

void FxoCard::set_load(Line& line, bool applied) {
  if (line.load != applied) emit(line, CallerIdLoad{applied});
}

void FxoCard::on_answer_call(TimePoint now, const gateway::AnswerCall& command) {
  Line* line = line_for_call(command.call);
  if (line == nullptr || line->state != State::Ringing || line->rejected) return;
  timers_.cancel(line->ring_validate);
  timers_.cancel(line->ring_stop);
  timers_.cancel(line->caller_id_timer);
  timers_.cancel(line->load_timer);
  if (line->load) set_load(*line, false);
  emit(*line, LoopState{true});  // the exchange trips the ringing and connects the caller
  line->state = State::Connected;
  trace(now, *line, "fxo.answered");
  arm_tone_timer(now, *line);
}

}  // namespace resproxy::fxo
