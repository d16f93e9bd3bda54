// FxoCard, outgoing calls: seizure, dial tone, DTMF dialling, answer supervision, and glare by
// ring trip.
#include "sim_hardware/fxo/fxo_card.h"
#include "sim_hardware/fxo/fxo_card_line.h"

namespace resproxy::fxo {

namespace cause = gateway::cause;

void FxoCard::seize(TimePoint now, Line& line, const gateway::PlaceCall& command) {
  reset_call(line);
  line.call = command.call;
  line.incoming = false;
  line.to_dial = command.called.digits;
  line.dial_complete = command.sending_complete;
  emit(line, LoopState{true});
  line.state = State::Seizing;
  trace(now, line, "fxo.seized");
  line.seize_timer = timers_.schedule(now + config_.timings.dial_tone_timeout, [this, l = &line](TimePoint t) {
    l->seize_timer = TimerId{};
    // No dial tone: the exchange has no register free, or the line circuit is faulty. To the
    // gateway this line cannot carry the call now, like a PRI with no free channel: 34, and it
    // hunts on to another line or route (503 towards SIP).
    ++counters_.dial_tone_timeouts;
    trace(t, *l, "fxo.no_dial_tone");
    go_on_hook(t, *l, card_cause(cause::kNoCircuitAvailable));
  });
}

void FxoCard::start_dialling(TimePoint now, Line& line) {
  if (line.state != State::Seizing) return;
  timers_.cancel(line.seize_timer);
  line.state = State::Dialling;
  const std::string digits = std::move(line.to_dial);
  line.to_dial.clear();
  dial_more(now, line, digits);
  if (!line.dtmf.busy()) dtmf_idle(now, line);
}

void FxoCard::dial_more(TimePoint now, Line& line, const std::string& digits) {
  for (char digit : digits) {
    line.dtmf.enqueue(now, digit, config_.timings.dtmf_on, config_.timings.dtmf_off);
  }
}

void FxoCard::dtmf_idle(TimePoint now, Line& line) {
  if (line.state == State::Dialling && line.dial_complete) dialling_done(now, line);
}

void FxoCard::on_send_digits(TimePoint now, const gateway::SendDigits& command) {
  Line* line = line_for_call(command.call);
  if (line == nullptr) return;
  if (line->state == State::Seizing) {
    line->to_dial += command.digits;
    line->dial_complete = command.complete;
  } else if (line->state == State::Dialling) {
    line->dial_complete = command.complete;
    dial_more(now, *line, command.digits);
    if (!line->dtmf.busy()) dtmf_idle(now, *line);
  }
}

void FxoCard::dialling_done(TimePoint now, Line& line) {
  line.state = State::AwaitingAnswer;
  trace(now, line, "fxo.dialled");
  event(gateway::CallProceeding{line.call});
  switch (config_.profile.answer) {
    case AnswerSupervision::PolarityReversal:
      if (line.reversal_seen) {
        answered(now, line);
        return;
      }
      break;
    case AnswerSupervision::AfterDialling:
      // No supervision: the call counts as answered now. The SIP caller is connected (and billed,
      // where billing starts at 200 OK) while the far end may still ring; SIP's no-answer timers
      // stop. Busy or NU tone later is then a clear (16 / 31), not 17 / 1.
      answered(now, line);
      return;
    case AnswerSupervision::AfterDelay:
      line.answer_timer = timers_.schedule(now + config_.timings.answer_delay, [this, l = &line](TimePoint t) {
        l->answer_timer = TimerId{};
        if (l->state == State::AwaitingAnswer) answered(t, *l);
      });
      break;
  }
  if (line.tone == Tone::Speech) event(gateway::CallProgress{line.call, true});
  arm_tone_timer(now, line);
}

void FxoCard::answered(TimePoint now, Line& line) {
  timers_.cancel(line.answer_timer);
  line.state = State::Connected;
  trace(now, line, "fxo.answered");
  event(gateway::CallAnswered{line.call});
  arm_tone_timer(now, line);
}

void FxoCard::on_polarity_off_hook(TimePoint now, Line& line, bool reversed) {
  if (line.incoming || config_.profile.answer != AnswerSupervision::PolarityReversal) return;
  switch (line.state) {
    case State::Dialling:
      line.reversal_seen = reversed;  // answered once the last digit is out
      return;
    case State::AwaitingAnswer:
      if (reversed) answered(now, line);
      return;
    case State::Connected:
      // The reversal is held for the call; normal polarity again: the called party cleared.
      if (!reversed) disconnect(now, line, exchange_cause(cause::kNormalClearing), false);
      return;
    default:
      return;
  }
}

// We seized a line the exchange had just begun to present a call on (the signals crossed): the
// exchange took our loop for an answer (ring trip) and connected its caller. Incoming wins: the
// PlaceCall fails with 44 and the connected call is presented to the gateway.
void FxoCard::glare_by_ring_trip(TimePoint now, Line& line) {
  ++counters_.glare;
  trace(now, line, "fxo.glare", "by", "ring_trip");
  event(gateway::CallReleased{line.call, card_cause(cause::kRequestedChannelNotAvailable)});
  reset_call(line);
  last_call_ += 2;
  line.call = last_call_;
  line.incoming = true;
  line.presented = true;
  line.state = State::Connected;
  present(line);
  arm_tone_timer(now, line);
}

void FxoCard::on_send_dtmf(TimePoint now, const gateway::SendDtmf& command) {
  Line* line = line_for_call(command.call);
  if (line == nullptr || line->state != State::Connected) return;
  line->dtmf.enqueue(now, command.digit, std::chrono::milliseconds(command.duration_ms),
                     config_.timings.dtmf_off);
}

}  // namespace resproxy::fxo
