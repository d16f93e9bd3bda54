// G.711 Appendix I style concealment: the pitch is found, the output has no step at frame
// boundaries, the concealment fades to silence by 60 ms, and good frames pass through delayed.
#include "proxy/media/plc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace resproxy::media {
namespace {

constexpr std::size_t kFrame = 160;

// A tone (two harmonics, like a voiced sound) at `hz`, sample n.
std::int16_t voice(double hz, std::size_t n) {
  const double t = static_cast<double>(n) / 8000.0;
  return static_cast<std::int16_t>(6000 * std::sin(2 * M_PI * hz * t) + 2500 * std::sin(4 * M_PI * hz * t + 0.7));
}

std::vector<std::int16_t> frame_of(double hz, std::size_t index) {
  std::vector<std::int16_t> f(kFrame);
  for (std::size_t i = 0; i < kFrame; ++i) f[i] = voice(hz, index * kFrame + i);
  return f;
}

int largest_step(const std::vector<std::int16_t>& s) {
  int worst = 0;
  for (std::size_t i = 1; i < s.size(); ++i) worst = std::max(worst, std::abs(s[i] - s[i - 1]));
  return worst;
}

std::int64_t energy(const std::int16_t* s, std::size_t n) {
  std::int64_t e = 0;
  for (std::size_t i = 0; i < n; ++i) e += std::int64_t{s[i]} * s[i];
  return e;
}

// Plays `frames` frames of the tone, losing those for which lost(i) is true.
template <typename Lost>
std::vector<std::int16_t> run(Plc& plc, double hz, std::size_t frames, Lost lost) {
  std::vector<std::int16_t> out;
  std::vector<std::int16_t> buffer(kFrame);
  for (std::size_t i = 0; i < frames; ++i) {
    if (lost(i)) {
      (void)plc.conceal(buffer);
    } else {
      plc.on_good_frame(frame_of(hz, i), buffer);
    }
    out.insert(out.end(), buffer.begin(), buffer.end());
  }
  return out;
}

TEST(Plc, GoodFramesPassThroughDelayedBy3_75Ms) {
  Plc plc;
  const auto out = run(plc, 200, 10, [](std::size_t) { return false; });
  for (std::size_t n = Plc::kDelay; n < out.size(); ++n) ASSERT_EQ(out[n], voice(200, n - Plc::kDelay)) << n;
  for (std::size_t n = 0; n < Plc::kDelay; ++n) EXPECT_EQ(out[n], 0);
}

TEST(Plc, FindsThePitchPeriodOfAVoicedSignal) {
  for (double hz : {100.0, 200.0, 250.0, 400.0}) {
    std::vector<std::int16_t> s(400);
    for (std::size_t n = 0; n < s.size(); ++n) s[n] = voice(hz, n);
    EXPECT_EQ(Plc::find_pitch(s), static_cast<std::size_t>(8000 / hz)) << hz;
  }
}

TEST(Plc, ConcealmentHasNoStepAtTheFrameBoundaries) {
  for (double hz : {150.0, 200.0, 233.0, 310.0}) {
    SCOPED_TRACE(hz);
    Plc reference;
    const auto clean = run(reference, hz, 20, [](std::size_t) { return false; });
    const int natural = largest_step(clean);
    for (std::size_t lost_frames : {1u, 2u, 4u}) {
      SCOPED_TRACE(lost_frames);
      Plc plc;
      const auto out = run(plc, hz, 20, [&](std::size_t i) { return i >= 8 && i < 8 + lost_frames; });
      // Steps no larger than 1.6 times the signal's own largest sample-to-sample change: the
      // joins into and out of the repeated period are blended, not spliced.
      EXPECT_LE(largest_step(out), natural * 8 / 5);
    }
  }
}

TEST(Plc, HoldsLevelForTenMsThenFadesToSilenceAt60Ms) {
  Plc plc;
  std::vector<std::int16_t> buffer(kFrame);
  for (std::size_t i = 0; i < 10; ++i) plc.on_good_frame(frame_of(200, i), buffer);
  const std::int64_t speech = energy(buffer.data(), kFrame);
  std::vector<std::int64_t> energies;
  std::vector<bool> audible;
  for (int i = 0; i < 6; ++i) {
    audible.push_back(plc.conceal(buffer));
    energies.push_back(energy(buffer.data(), kFrame));
  }
  EXPECT_EQ(audible, (std::vector<bool>{true, true, true, false, false, false}));
  EXPECT_GT(energies[0], speech * 6 / 10);  // first 20 ms: mostly full level
  EXPECT_LT(energies[1], energies[0]);
  EXPECT_LT(energies[2], energies[1]);
  EXPECT_LT(energies[3], energies[2] / 10);  // only the 3.75 ms tail of the fade is left
  EXPECT_EQ(energies[4], 0);
  EXPECT_EQ(energies[5], 0);
  EXPECT_EQ(plc.pitch_period(), 40u);
}

TEST(Plc, ReturnsToTheRealSignalAfterTheLoss) {
  Plc plc;
  const auto out = run(plc, 200, 20, [](std::size_t i) { return i == 5 || i == 6; });
  // From one frame after the loss on, the output is the input again (delayed).
  for (std::size_t n = 8 * kFrame + Plc::kDelay; n < out.size(); ++n) ASSERT_EQ(out[n], voice(200, n - Plc::kDelay));
}

TEST(Plc, FadesInAfterALongLoss) {
  Plc plc;
  const auto out = run(plc, 200, 20, [](std::size_t i) { return i >= 5 && i < 10; });
  const std::size_t first_good = 10 * kFrame + Plc::kDelay;
  EXPECT_EQ(out[first_good - 1], 0);
  // The 10 ms cross-fade from silence: the first samples are small, the step stays small.
  EXPECT_LE(std::abs(out[first_good]), 200);
  Plc reference;
  EXPECT_LE(largest_step(out), largest_step(run(reference, 200, 20, [](std::size_t) { return false; })) * 8 / 5);
}

}  // namespace
}  // namespace resproxy::media
