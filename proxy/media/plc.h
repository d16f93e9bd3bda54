#pragma once
// Packet loss concealment for G.711 in the manner of ITU-T G.711 Appendix I: the receiver keeps
// the last decoded samples; when a frame is lost it finds the pitch period of the recent signal
// (autocorrelation over 2.5-15 ms), blends the end of the real signal into the period before it
// (overlap-add over a quarter period, so the repeated period starts and wraps without a step),
// repeats that period, holds its level for 10 ms and then fades it by 20 % of full level per
// 10 ms, reaching silence 60 ms into the loss. The first good frame after a loss is cross-faded
// with the continued synthetic signal (4 ms, plus 4 ms per further 10 ms lost, at most 10 ms).
//
// Because the blend at loss start rewrites samples not yet played, the output runs kDelay
// samples (3.75 ms, the quarter of the longest period) behind the input, as in Appendix I.
// Fed by the jitter buffer with decoded 8 kHz linear samples, one frame at a time; integer
// arithmetic except the pitch score; deterministic; fixed memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace resproxy::media {

class Plc {
 public:
  static constexpr std::size_t kDelay = 30;      // 3.75 ms at 8 kHz
  static constexpr std::size_t kMinPitch = 20;   // 2.5 ms
  static constexpr std::size_t kMaxPitch = 120;  // 15 ms
  static constexpr std::size_t kHoldSamples = 80;   // full level for the first 10 ms of a loss
  static constexpr std::size_t kFadeSamples = 400;  // then -20 % per 10 ms: silent at 60 ms

  // A received frame (any length): `out` gets the same number of samples, kDelay behind `in`.
  // out.size() must equal in.size() (the shorter of the two is used otherwise).
  void on_good_frame(std::span<const std::int16_t> in, std::span<std::int16_t> out);
  // A lost frame: fills `out` with the concealment. Returns true while the loss is no longer than
  // 60 ms at the start of this frame (the frame is a concealment), false once it has faded to
  // silence or when no good frame was ever seen (there is nothing to conceal).
  bool conceal(std::span<std::int16_t> out);

  [[nodiscard]] bool is_concealing() const { return erased_ > 0; }
  [[nodiscard]] std::size_t erased_samples() const { return erased_; }
  // The period found at the start of the current or last loss (samples; 0 before any loss).
  [[nodiscard]] std::size_t pitch_period() const { return period_; }
  void reset() { *this = Plc{}; }

  // The pitch period of `signal`'s last kCorrelation samples against the kMaxPitch before them
  // (the lag with the best normalised positive correlation; kMaxPitch when none is positive).
  // Needs signal.size() >= kCorrelation + kMaxPitch; public for tests.
  static constexpr std::size_t kCorrelation = 160;
  static std::size_t find_pitch(std::span<const std::int16_t> signal);

 private:
  static constexpr std::size_t kHistory = 400;  // >= kCorrelation + kMaxPitch, >= kDelay + chunk
  static constexpr std::size_t kChunk = 160;    // frames are processed in pieces of at most this

  void good_chunk(std::span<const std::int16_t> in, std::span<std::int16_t> out);
  void conceal_chunk(std::span<std::int16_t> out);
  void start_loss();
  std::int16_t next_synthetic();  // the next sample of the repeated, faded period
  void append_and_emit(std::span<const std::int16_t> samples, std::span<std::int16_t> out);

  std::array<std::int16_t, kHistory> history_{};  // the newest sample last; the last kDelay unplayed
  std::array<std::int16_t, kMaxPitch> period_samples_{};
  std::size_t period_ = 0;
  std::size_t phase_ = 0;
  std::size_t erased_ = 0;  // samples concealed in the current loss; 0: not in a loss
  bool primed_ = false;     // a good frame was seen
};

}  // namespace resproxy::media
