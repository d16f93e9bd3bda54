// DTMF generator and detector (dtmf_tone.h).
#include "proxy/media/dtmf_tone.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace resproxy::media {
namespace {

constexpr double kSampleRate = 8000;
// The keypad (Q.23): rows are the low group, columns the high group.
constexpr std::array<std::array<char, 4>, 4> kKeypad = {
    {{'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}}};

double frequency_of(std::size_t index) {
  return index < 4 ? kDtmfRowHz[index] : kDtmfColumnHz[index - 4];
}

double from_db(double db) { return std::pow(10.0, db / 10.0); }

}  // namespace

std::optional<DtmfFrequencies> dtmf_frequencies(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      if (kKeypad[r][c] == digit) return DtmfFrequencies{kDtmfRowHz[r], kDtmfColumnHz[c]};
    }
  }
  return std::nullopt;
}

double dtmf_peak_of(double dbm0) { return kDtmfZeroDbm0Peak * std::pow(10.0, dbm0 / 20.0); }

// --- DtmfGenerator ---

DtmfGenerator::DtmfGenerator(const DtmfGeneratorConfig& config)
    : config_(config),
      low_peak_(dtmf_peak_of(config.low_dbm0)),
      high_peak_(dtmf_peak_of(config.high_dbm0)) {}

bool DtmfGenerator::start(char digit) {
  const auto f = dtmf_frequencies(digit);
  if (!f) {
    stop();
    return false;
  }
  low_step_ = f->low_hz * config_.frequency_factor / kSampleRate;
  high_step_ = f->high_hz * config_.frequency_factor / kSampleRate;
  low_phase_ = 0;
  high_phase_ = 0;
  playing_ = true;
  return true;
}

void DtmfGenerator::stop() { playing_ = false; }

void DtmfGenerator::fill(std::span<std::int16_t> out) {
  if (!playing_) {
    std::fill(out.begin(), out.end(), std::int16_t{0});
    return;
  }
  constexpr double kTwoPi = 2 * std::numbers::pi;
  for (auto& sample : out) {
    const double v =
        low_peak_ * std::sin(kTwoPi * low_phase_) + high_peak_ * std::sin(kTwoPi * high_phase_);
    sample = static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
    // Phases kept in [0, 1): the sum of steps never loses precision over a long digit.
    low_phase_ += low_step_;
    low_phase_ -= std::floor(low_phase_);
    high_phase_ += high_step_;
    high_phase_ -= std::floor(high_phase_);
  }
}

// --- DtmfDetector ---

DtmfDetector::DtmfDetector(const DtmfDetectorConfig& config) : config_(config) {
  for (std::size_t k = 0; k < 8; ++k) {
    const double w = 2 * std::numbers::pi * frequency_of(k) / kSampleRate;
    coefficient_[k] = 2 * std::cos(w);
    end_cos_[k] = std::cos(w * (kHalf - 1));
    end_sin_[k] = std::sin(w * (kHalf - 1));
    half_cos_[k] = std::cos(w * kHalf);
    half_sin_[k] = std::sin(w * kHalf);
  }
  const double peak = dtmf_peak_of(config_.min_level_dbm0);
  min_power_ = peak * peak / 2;
  normal_twist_ = from_db(config_.normal_twist_db);
  reverse_twist_ = from_db(config_.reverse_twist_db);
  dominance_ = from_db(config_.dominance_db);
}

void DtmfDetector::process(std::span<const std::int16_t> samples) {
  for (const std::int16_t sample : samples) {
    const double x = sample;
    for (std::size_t k = 0; k < 8; ++k) {  // Goertzel: s[n] = x[n] + 2cos(w) s[n-1] - s[n-2]
      const double s = x + coefficient_[k] * s1_[k] - s2_[k];
      s2_[k] = s1_[k];
      s1_[k] = s;
    }
    energy_ += x * x;
    ++position_;
    if (++filled_ == kHalf) end_half();
  }
}

void DtmfDetector::end_half() {
  Half half;
  for (std::size_t k = 0; k < 8; ++k) {
    // y = s[M-1] - e^{-jw} s[M-2] = sum x[n] e^{jw(M-1-n)}; times e^{-jw(M-1)}: the DFT at w
    // referenced to the half's first sample.
    const double w_cos = coefficient_[k] / 2;
    const double w_sin = std::sqrt(std::max(0.0, 1 - w_cos * w_cos));  // w in (0, pi)
    const double y_re = s1_[k] - w_cos * s2_[k];
    const double y_im = w_sin * s2_[k];
    half.re[k] = y_re * end_cos_[k] + y_im * end_sin_[k];
    half.im[k] = y_im * end_cos_[k] - y_re * end_sin_[k];
  }
  half.energy = energy_;
  s1_.fill(0);
  s2_.fill(0);
  energy_ = 0;
  filled_ = 0;
  if (previous_) on_window(decide(*previous_, half), position_ - kWindow);
  previous_ = half;
}

std::optional<DtmfDetector::Shown> DtmfDetector::decide(const Half& first,
                                                        const Half& second) const {
  std::array<double, 8> power{};
  std::array<double, 8> offset_hz{};
  constexpr double kN = kWindow;
  for (std::size_t k = 0; k < 8; ++k) {
    // The second half referenced to the window's start: times e^{-jw M}.
    const double b_re = second.re[k] * half_cos_[k] + second.im[k] * half_sin_[k];
    const double b_im = second.im[k] * half_cos_[k] - second.re[k] * half_sin_[k];
    const double re = first.re[k] + b_re;
    const double im = first.im[k] + b_im;
    power[k] = 2 * (re * re + im * im) / (kN * kN);  // a sine of peak A gives A^2 / 2
    // A tone at w + d turns by d per sample: the second half leads the first by d * M.
    const double angle = std::atan2(b_im * first.re[k] - b_re * first.im[k],
                                    b_re * first.re[k] + b_im * first.im[k]);
    offset_hz[k] = angle * kSampleRate / (2 * std::numbers::pi * kHalf);
  }
  const auto row =
      static_cast<std::size_t>(std::max_element(power.begin(), power.begin() + 4) - power.begin());
  const auto col =
      static_cast<std::size_t>(std::max_element(power.begin() + 4, power.end()) - power.begin());
  const double low = power[row];
  const double high = power[col];
  if (low < min_power_ || high < min_power_) return std::nullopt;
  if (low > high * normal_twist_ || high > low * reverse_twist_) return std::nullopt;
  for (std::size_t k = 0; k < 8; ++k) {
    if (k == row || k == col) continue;
    if (power[k] * dominance_ > (k < 4 ? low : high)) return std::nullopt;
  }
  const double window_power = (first.energy + second.energy) / kN;
  if (low + high < config_.min_tone_share * window_power) return std::nullopt;
  if (std::abs(offset_hz[row]) > config_.frequency_tolerance * frequency_of(row) ||
      std::abs(offset_hz[col]) > config_.frequency_tolerance * frequency_of(col)) {
    return std::nullopt;
  }
  return Shown{
      .digit = kKeypad[row][col - 4], .low_offset = offset_hz[row], .high_offset = offset_hz[col]};
}

void DtmfDetector::on_window(std::optional<Shown> window, std::uint64_t window_start) {
  const std::optional<char> shown = window ? std::optional<char>(window->digit) : std::nullopt;
  last_window_ = shown;
  const auto holds_still = [&] {
    const auto f = dtmf_frequencies(window->digit);
    return std::abs(window->low_offset - candidate_first_.low_offset) <=
               config_.max_drift * f->low_hz &&
           std::abs(window->high_offset - candidate_first_.high_offset) <=
               config_.max_drift * f->high_hz;
  };
  if (shown && shown == candidate_ && (candidate_reported_ || holds_still())) {
    ++candidate_count_;
  } else {
    candidate_ = shown;
    candidate_count_ = shown ? 1 : 0;
    candidate_start_ = window_start;
    candidate_reported_ = false;
    if (window) candidate_first_ = *window;
  }
  if (active_) {
    if (shown == active_) {
      absent_ = 0;
      active_end_ = window_start + kWindow;
    } else {
      ++absent_;
    }
    // Ends after a pause, or at once when another digit has lasted long enough (no pause).
    const bool other_began = candidate_ != active_ && is_candidate_due();
    if (absent_ >= config_.off_windows || other_began) {
      push({.kind = DtmfToneEvent::Kind::Ended,
            .digit = *active_,
            .start = active_start_,
            .end = active_end_});
      active_.reset();
    }
  }
  if (!active_ && is_candidate_due()) {
    active_ = candidate_;
    active_start_ = candidate_start_;
    active_end_ = window_start + kWindow;
    absent_ = 0;
    push({.kind = DtmfToneEvent::Kind::Began, .digit = *active_, .start = active_start_, .end = 0});
    candidate_reported_ = true;  // a run begins one digit; the same digit again needs a new run
  }
}

void DtmfDetector::push(const DtmfToneEvent& event) {
  if (events_.size() >= kMaxEvents) events_.pop_front();
  events_.push_back(event);
}

std::optional<DtmfToneEvent> DtmfDetector::next_event() {
  if (events_.empty()) return std::nullopt;
  const DtmfToneEvent e = events_.front();
  events_.pop_front();
  return e;
}

}  // namespace resproxy::media
