#include "sim_hardware/fxo/fxs_line.h"

#include <algorithm>

namespace resproxy::fxo {

std::string_view to_string(FxsState state) {
  switch (state) {
    case FxsState::Idle: return "idle";
    case FxsState::Presenting: return "presenting";
    case FxsState::ConnectedIn: return "connected_in";
    case FxsState::DialTone: return "dial_tone";
    case FxsState::Collecting: return "collecting";
    case FxsState::Routing: return "routing";
    case FxsState::ConnectedOut: return "connected_out";
    case FxsState::FarCleared: return "far_cleared";
    case FxsState::Down: return "down";
  }
  return "unknown";
}

FxsLine::FxsLine(FxsConfig config)
    : config_(std::move(config)),
      dtmf_out_(
          timers_, [this](TimePoint, const LineSignal& s) { emit(s); }, [](TimePoint) {}) {}

void FxsLine::start(TimePoint now) {
  timers_.fire_due(now);
  if (battery_) return;
  battery_ = true;
  state_ = FxsState::Idle;
  emit(BatteryState{true});
}

void FxsLine::set_tone(Tone tone) {
  if (tone == tone_) return;
  tone_ = tone;
  emit(LineTone{tone});
}
void FxsLine::set_polarity(bool reversed) {
  if (reversed == reversed_) return;
  reversed_ = reversed;
  emit(LinePolarity{reversed});
}
void FxsLine::set_ringing(bool on) {
  if (on == ringing_) return;
  ringing_ = on;
  emit(RingingVoltage{on});
}

bool FxsLine::off_hook_state() const {
  switch (state_) {
    case FxsState::ConnectedIn:
    case FxsState::DialTone:
    case FxsState::Collecting:
    case FxsState::Routing:
    case FxsState::ConnectedOut:
    case FxsState::FarCleared:
      return true;
    default:
      return false;
  }
}

// --- Presentation ---

PresentResult FxsLine::present_call(TimePoint now, const std::optional<CallerIdMessage>& caller_id) {
  timers_.fire_due(now);
  if (!battery_) return PresentResult::LineDown;
  if (state_ != FxsState::Idle || loop_closed_) return PresentResult::Busy;  // outgoing won
  std::optional<std::vector<std::uint8_t>> data;
  if (caller_id && config_.caller_id) {
    auto encoded = encode_caller_id(*caller_id, *config_.caller_id);
    if (!encoded) return PresentResult::InvalidCallerId;
    data = std::move(encoded).value();
  }
  state_ = FxsState::Presenting;
  first_cycle_ = true;
  if (!data) {
    start_cadence(now);
    return PresentResult::Presenting;
  }
  const FskFraming framing = config_.framing.value_or(
      *config_.caller_id == CallerIdStandard::Sin227 ? sin227_framing() : bellcore_framing());
  const Duration burst = fsk_burst_duration(data->size(), framing);
  if (*config_.caller_id == CallerIdStandard::Bellcore) {
    pending_data_ = std::move(data);  // sent in the first long silent interval
    start_cadence(now);
    return PresentResult::Presenting;
  }
  // SIN 227 idle state: reversal, Tone Alert Signal, FSK, then ringing in normal polarity.
  set_polarity(true);
  const auto octets = std::move(*data);
  sequence_timer_ = timers_.schedule(now + config_.reversal_to_alert, [this, octets, burst](TimePoint t1) {
    set_tone(Tone::ToneAlert);
    sequence_timer_ = timers_.schedule(t1 + config_.alert_duration, [this, octets, burst](TimePoint t2) {
      set_tone(Tone::Silence);
      sequence_timer_ = timers_.schedule(t2 + config_.alert_to_data, [this, octets, burst](TimePoint t3) {
        set_tone(Tone::Fsk);
        sequence_timer_ = timers_.schedule(t3 + burst, [this, octets](TimePoint t4) {
          emit(CallerIdData{octets});
          set_tone(Tone::Silence);
          sequence_timer_ = timers_.schedule(t4 + config_.data_to_ringing, [this](TimePoint t5) {
            set_polarity(false);
            start_cadence(t5);
          });
        });
      });
    });
  });
  return PresentResult::Presenting;
}

void FxsLine::start_cadence(TimePoint now) {
  cadence_index_ = 0;
  set_ringing(true);
  sequence_timer_ = timers_.schedule(now + config_.cadence.pattern.at(0),
                                     [this](TimePoint t) { cadence_step(t); });
}

void FxsLine::cadence_step(TimePoint now) {
  const auto& pattern = config_.cadence.pattern;
  cadence_index_ = (cadence_index_ + 1) % pattern.size();
  const bool on = cadence_index_ % 2 == 0;
  set_ringing(on);
  TimePoint next = now + pattern[cadence_index_];
  if (on) {
    first_cycle_ = false;
  } else if (cadence_index_ == pattern.size() - 1 && first_cycle_ && pending_data_) {
    // GR-30: the data >= 500 ms after the first ring, ending >= 200 ms before the next one.
    const auto octets = std::move(*pending_data_);
    pending_data_.reset();
    const Duration burst = fsk_burst_duration(octets.size(), config_.framing.value_or(bellcore_framing()));
    const TimePoint data_start = now + config_.ring_to_data;
    next = std::max(next, data_start + burst + config_.data_to_next_ring);
    data_timer_ = timers_.schedule(data_start, [this, octets, burst](TimePoint t1) {
      set_tone(Tone::Fsk);
      data_timer_ = timers_.schedule(t1 + burst, [this, octets](TimePoint) {
        emit(CallerIdData{octets});
        set_tone(Tone::Silence);
      });
    });
  }
  sequence_timer_ = timers_.schedule(next, [this](TimePoint t) { cadence_step(t); });
}

void FxsLine::stop_presenting() {
  timers_.cancel(sequence_timer_);
  timers_.cancel(data_timer_);
  pending_data_.reset();
  set_ringing(false);
  set_polarity(false);
  if (tone_ == Tone::ToneAlert || tone_ == Tone::Fsk) set_tone(Tone::Silence);
}

void FxsLine::caller_abandoned(TimePoint now) {
  timers_.fire_due(now);
  if (state_ != FxsState::Presenting) return;
  stop_presenting();
  state_ = FxsState::Idle;
}

// --- The exchange, during calls ---

void FxsLine::play_tone(TimePoint now, Tone tone) {
  timers_.fire_due(now);
  if (off_hook_state()) set_tone(tone);
}

void FxsLine::far_party_answered(TimePoint now) {
  timers_.fire_due(now);
  if (state_ != FxsState::Routing) return;
  state_ = FxsState::ConnectedOut;
  if (config_.answer_reversal) set_polarity(true);
  set_tone(Tone::Speech);
}

void FxsLine::far_party_cleared(TimePoint now) {
  timers_.fire_due(now);
  if (state_ == FxsState::Presenting) {
    caller_abandoned(now);
    return;
  }
  if (!off_hook_state() || state_ == FxsState::FarCleared) return;
  state_ = FxsState::FarCleared;
  timers_.cancel(dial_tone_timer_);
  timers_.cancel(digit_timer_);
  dtmf_out_.cancel(now);
  set_polarity(false);
  if (!config_.clear_by_loop_interruption) {
    set_tone(config_.tone_after_clear);
    return;
  }
  set_tone(Tone::Silence);
  emit(BatteryState{false});
  osi_timer_ = timers_.schedule(now + config_.open_switch_interval, [this](TimePoint) {
    osi_timer_ = TimerId{};
    emit(BatteryState{true});
    set_tone(config_.tone_after_clear);
  });
}

void FxsLine::send_dtmf(TimePoint now, char digit) {
  timers_.fire_due(now);
  if (state_ == FxsState::ConnectedIn || state_ == FxsState::ConnectedOut) {
    dtmf_out_.enqueue(now, digit, config_.dtmf_on, config_.dtmf_off);
  }
}

void FxsLine::set_battery(TimePoint now, bool present) {
  timers_.fire_due(now);
  if (present == battery_) return;
  battery_ = present;
  if (!present) {
    const bool had_call = state_ != FxsState::Idle && state_ != FxsState::Down;
    stop_presenting();
    timers_.cancel(dial_tone_timer_);
    timers_.cancel(digit_timer_);
    timers_.cancel(osi_timer_);
    timers_.cancel(clear_timer_);
    dtmf_out_.cancel(now);
    dtmf_in_.reset();
    set_tone(Tone::Silence);
    emit(BatteryState{false});
    state_ = FxsState::Down;
    if (had_call) reports_.push_back(LineCleared{});
    return;
  }
  emit(BatteryState{true});
  state_ = FxsState::Idle;
  if (loop_closed_) on_loop(now, true);  // off hook when the line comes back: a new seizure
}

// --- The office ---

void FxsLine::on_line_signal(TimePoint now, const LineSignal& signal) {
  timers_.fire_due(now);
  if (const auto* loop = std::get_if<LoopState>(&signal)) {
    on_loop(now, loop->closed);
  } else if (const auto* load = std::get_if<CallerIdLoad>(&signal)) {
    load_applied_ = load->applied;  // only helps the FSK through; nothing to decide here
  } else if (const auto* dtmf = std::get_if<DtmfTone>(&signal)) {
    if (dtmf->on) {
      if (!dtmf_in_) {
        dtmf_in_ = dtmf->digit;
        dtmf_in_since_ = now;
      }
    } else if (dtmf_in_ && *dtmf_in_ == dtmf->digit) {
      dtmf_in_.reset();
      // ITU-T Q.24: a receiver must accept a tone of 40 ms; shorter is not a digit here.
      if (now - dtmf_in_since_ >= config_.dtmf_min_on) on_digit(now, dtmf->digit);
    }
  }
  // Other kinds travel towards the office only; one arriving here is ignored.
}

void FxsLine::on_loop(TimePoint now, bool closed) {
  loop_closed_ = closed;
  if (!battery_) return;  // no feed: nothing to detect
  if (!closed) {
    if (off_hook_state() && !clear_timer_.is_set()) {
      clear_timer_ = timers_.schedule(now + config_.clear_recognition, [this](TimePoint t) {
        clear_timer_ = TimerId{};
        cleared(t);
      });
    }
    return;
  }
  if (clear_timer_.is_set()) {  // a break shorter than a clear (a hook flash): ignored
    timers_.cancel(clear_timer_);
    return;
  }
  if (state_ == FxsState::Presenting) {  // ring trip: the presented call is answered
    stop_presenting();
    state_ = FxsState::ConnectedIn;
    set_tone(Tone::Speech);
    reports_.push_back(LineAnswered{});
    return;
  }
  if (state_ != FxsState::Idle) return;
  state_ = FxsState::DialTone;
  digits_.clear();
  reports_.push_back(LineSeized{});
  if (config_.gives_dial_tone) {
    dial_tone_timer_ = timers_.schedule(now + config_.dial_tone_delay, [this](TimePoint) {
      dial_tone_timer_ = TimerId{};
      set_tone(Tone::DialTone);
    });
  }
  digit_timer_ = timers_.schedule(now + config_.first_digit_timeout, [this](TimePoint) {
    digit_timer_ = TimerId{};
    timers_.cancel(dial_tone_timer_);
    state_ = FxsState::FarCleared;  // permanent loop: NU tone until the line hangs up
    set_tone(Tone::NumberUnobtainable);
  });
}

void FxsLine::on_digit(TimePoint now, char digit) {
  switch (state_) {
    case FxsState::DialTone:
      timers_.cancel(dial_tone_timer_);
      set_tone(Tone::Silence);  // dial tone stops at the first digit
      state_ = FxsState::Collecting;
      [[fallthrough]];
    case FxsState::Collecting:
      digits_.push_back(digit);
      timers_.cancel(digit_timer_);
      if (const std::size_t want = complete_length(); want != 0 && digits_.size() >= want) {
        number_complete();
        return;
      }
      digit_timer_ = timers_.schedule(now + config_.inter_digit_timeout, [this](TimePoint) {
        digit_timer_ = TimerId{};
        number_complete();
      });
      return;
    case FxsState::ConnectedIn:
    case FxsState::ConnectedOut:
      reports_.push_back(DtmfFromLine{digit});
      return;
    default:
      return;
  }
}

std::size_t FxsLine::complete_length() const {
  std::size_t best_prefix = 0;
  std::size_t length = config_.digits_complete_at;
  for (const auto& rule : config_.number_lengths) {
    if (rule.prefix.size() < best_prefix || !digits_.starts_with(rule.prefix)) continue;
    if (rule.prefix.size() == best_prefix && best_prefix != 0) continue;  // the first one listed
    best_prefix = rule.prefix.size();
    length = rule.length;
  }
  return length;
}

void FxsLine::number_complete() {
  timers_.cancel(digit_timer_);
  state_ = FxsState::Routing;
  reports_.push_back(DigitsDialled{digits_});
}

void FxsLine::cleared(TimePoint now) {
  timers_.cancel(dial_tone_timer_);
  timers_.cancel(digit_timer_);
  if (osi_timer_.is_set()) {
    timers_.cancel(osi_timer_);
    emit(BatteryState{true});
  }
  dtmf_out_.cancel(now);
  dtmf_in_.reset();
  set_tone(Tone::Silence);
  set_polarity(false);
  state_ = FxsState::Idle;
  reports_.push_back(LineCleared{});
}

void FxsLine::on_deadline(TimePoint now) { timers_.fire_due(now); }

std::optional<LineSignal> FxsLine::next_line_signal() {
  if (out_.empty()) return std::nullopt;
  // Swapped out rather than moved: g++ 12 warns -Wmaybe-uninitialized on moving this variant's
  // vector alternative (a false positive of the kind tests/CMakeLists.txt describes).
  std::optional<LineSignal> s(std::in_place);
  std::swap(*s, out_.front());
  out_.pop_front();
  return s;
}

std::optional<FxsReport> FxsLine::next_report() {
  if (reports_.empty()) return std::nullopt;
  FxsReport r = std::move(reports_.front());
  reports_.pop_front();
  return r;
}

}  // namespace resproxy::fxo
