#include "proxy/media/plc.h"

#include <algorithm>

namespace resproxy::media {
namespace {

std::int16_t clamp16(std::int64_t v) {
  return static_cast<std::int16_t>(std::clamp<std::int64_t>(v, -32768, 32767));
}

}  // namespace

std::size_t Plc::find_pitch(std::span<const std::int16_t> signal) {
  if (signal.size() < kCorrelation + kMaxPitch) return kMaxPitch;
  const std::size_t start = signal.size() - kCorrelation;
  std::size_t best = kMaxPitch;
  double best_score = 0.0;
  for (std::size_t lag = kMinPitch; lag <= kMaxPitch; ++lag) {
    std::int64_t correlation = 0;
    std::int64_t energy = 0;
    for (std::size_t i = 0; i < kCorrelation; ++i) {
      const std::int64_t a = signal[start + i];
      const std::int64_t b = signal[start + i - lag];
      correlation += a * b;
      energy += b * b;
    }
    if (correlation <= 0 || energy == 0) continue;
    // correlation / sqrt(energy), compared squared; strictly greater keeps the shortest lag on a
    // tie, so a period's multiples never win over the period itself.
    const double c = static_cast<double>(correlation);
    const double score = c * c / static_cast<double>(energy);
    if (score > best_score) {
      best_score = score;
      best = lag;
    }
  }
  return best;
}

void Plc::append_and_emit(std::span<const std::int16_t> samples, std::span<std::int16_t> out) {
  const std::size_t n = samples.size();  // <= kChunk
  std::copy(history_.begin() + static_cast<std::ptrdiff_t>(n), history_.end(), history_.begin());
  std::copy(samples.begin(), samples.end(), history_.end() - static_cast<std::ptrdiff_t>(n));
  // The oldest of the samples not yet played come out: kDelay behind the newest.
  const std::size_t first = kHistory - kDelay - n;
  std::copy_n(history_.begin() + static_cast<std::ptrdiff_t>(first), n, out.begin());
}

void Plc::start_loss() {
  period_ = find_pitch(history_);
  const std::size_t quarter = period_ / 4;  // <= kDelay: only unplayed samples are rewritten
  const std::size_t end = kHistory;
  // Blend the last quarter period into the samples one period earlier: the history now ends
  // where the period before it ended, so repeating that period continues it without a step.
  for (std::size_t i = 0; i < quarter; ++i) {
    const std::size_t at = end - quarter + i;
    const std::int64_t w = static_cast<std::int64_t>(i + 1);  // weight of the earlier period
    const std::int64_t q = static_cast<std::int64_t>(quarter + 1);
    history_[at] = clamp16(((q - w) * history_[at] + w * history_[at - period_]) / q);
  }
  std::copy(history_.end() - static_cast<std::ptrdiff_t>(period_), history_.end(),
            period_samples_.begin());
  phase_ = 0;
}

std::int16_t Plc::next_synthetic() {
  const std::int64_t s = period_samples_[phase_];
  phase_ = phase_ + 1 == period_ ? 0 : phase_ + 1;
  const std::size_t t = erased_++;
  if (t < kHoldSamples) return static_cast<std::int16_t>(s);
  if (t >= kHoldSamples + kFadeSamples) return 0;
  // linear fade: full level at 10 ms, 0 at 60 ms (20 % of full level per 10 ms)
  return clamp16(s * static_cast<std::int64_t>(kHoldSamples + kFadeSamples - t) /
                 static_cast<std::int64_t>(kFadeSamples));
}

void Plc::conceal_chunk(std::span<std::int16_t> out) {
  if (erased_ == 0) start_loss();
  std::array<std::int16_t, kChunk> synthetic{};
  for (std::size_t i = 0; i < out.size(); ++i) synthetic[i] = next_synthetic();
  append_and_emit(std::span<const std::int16_t>(synthetic.data(), out.size()), out);
}

void Plc::good_chunk(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
  if (erased_ == 0) {
    append_and_emit(in, out);
    return;
  }
  // Cross-fade from the continued concealment into the real signal: 4 ms after up to 10 ms of
  // loss, 4 ms more per further 10 ms, at most 10 ms (G.711 Appendix I).
  const std::size_t lost_tens = (erased_ + kHoldSamples - 1) / kHoldSamples;
  const std::size_t length = std::min({32 + 32 * (lost_tens - 1), std::size_t{80}, in.size()});
  std::array<std::int16_t, kChunk> blended{};
  std::copy(in.begin(), in.end(), blended.begin());
  const auto l = static_cast<std::int64_t>(length + 1);
  for (std::size_t i = 0; i < length; ++i) {
    const std::int64_t w = static_cast<std::int64_t>(i + 1);  // weight of the real signal
    blended[i] = clamp16(((l - w) * next_synthetic() + w * in[i]) / l);
  }
  erased_ = 0;
  append_and_emit(std::span<const std::int16_t>(blended.data(), in.size()), out);
}

void Plc::on_good_frame(std::span<const std::int16_t> in, std::span<std::int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  if (n > 0) primed_ = true;
  for (std::size_t at = 0; at < n; at += kChunk) {
    const std::size_t m = std::min(kChunk, n - at);
    good_chunk(in.subspan(at, m), out.subspan(at, m));
  }
}

bool Plc::conceal(std::span<std::int16_t> out) {
  const bool audible = primed_ && erased_ < kHoldSamples + kFadeSamples;
  for (std::size_t at = 0; at < out.size(); at += kChunk) {
    conceal_chunk(out.subspan(at, std::min(kChunk, out.size() - at)));
  }
  return audible;
}

}  // namespace resproxy::media
