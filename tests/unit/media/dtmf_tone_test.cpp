// DTMF in the audio: the generator's tones and the detector's Q.24-style decisions (levels, twist,
// frequency tolerance, minimum duration and pause), in 20 ms frames as the media bridge feeds them.
#include "proxy/media/dtmf_tone.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "proxy/media/g711.h"

namespace resproxy::media {
namespace {

constexpr std::string_view kAllDigits = "0123456789*#ABCD";

std::size_t samples_of_ms(double ms) { return static_cast<std::size_t>(ms * 8); }

// Appends `ms` of `digit` (a fresh generator: phase 0) to `out`.
void append_digit(std::vector<std::int16_t>& out, char digit, double ms,
                  const DtmfGeneratorConfig& config = {}) {
  DtmfGenerator g(config);
  EXPECT_TRUE(g.start(digit));
  const std::size_t at = out.size();
  out.resize(at + samples_of_ms(ms));
  g.fill(std::span<std::int16_t>(out).subspan(at));
}

void append_silence(std::vector<std::int16_t>& out, double ms) {
  out.resize(out.size() + samples_of_ms(ms));
}

struct Detected {
  std::string began;
  std::vector<DtmfToneEvent> events;
};

// Feeds `signal` in 20 ms frames (the bridge's size), then 200 ms of silence so that digits end.
Detected detect(std::vector<std::int16_t> signal, const DtmfDetectorConfig& config = {}) {
  append_silence(signal, 200);
  DtmfDetector d(config);
  Detected out;
  for (std::size_t at = 0; at < signal.size(); at += 160) {
    const std::size_t n = std::min<std::size_t>(160, signal.size() - at);
    d.process(std::span<const std::int16_t>(signal).subspan(at, n));
    while (auto e = d.next_event()) {
      if (e->kind == DtmfToneEvent::Kind::Began) out.began.push_back(e->digit);
      out.events.push_back(*e);
    }
  }
  EXPECT_FALSE(d.current().has_value()) << "every digit has ended by the end of the signal";
  return out;
}

std::string detect_digit(char digit, double ms, const DtmfGeneratorConfig& config = {},
                         double lead_ms = 30) {
  std::vector<std::int16_t> s;
  append_silence(s, lead_ms);
  append_digit(s, digit, ms, config);
  return detect(s).began;
}

TEST(DtmfGenerator, PlaysTwoSinesAtTheStatedLevelWithContinuousPhaseAcrossFrames) {
  EXPECT_NEAR(dtmf_peak_of(0), 22827, 0.5);
  EXPECT_NEAR(dtmf_peak_of(-10), 7218.6, 0.5);
  DtmfGenerator whole;
  ASSERT_TRUE(whole.start('5'));
  std::vector<std::int16_t> one(800);
  whole.fill(one);
  DtmfGenerator framed;
  ASSERT_TRUE(framed.start('5'));
  std::vector<std::int16_t> frames(800);
  for (std::size_t at = 0; at < frames.size(); at += 160)
    framed.fill(std::span(frames).subspan(at, 160));
  EXPECT_EQ(one, frames) << "a digit split in 20 ms frames is the same continuous signal";
  // 770 + 1336 Hz at -10 dBm0 each: peak near 2 × 7219, power near 2 × 7219² / 2.
  const auto peak = *std::max_element(one.begin(), one.end());
  EXPECT_GT(peak, 13500);
  EXPECT_LE(peak, 14438);
  double power = 0;
  for (const auto s : one) power += static_cast<double>(s) * s;
  EXPECT_NEAR(power / static_cast<double>(one.size()), 7218.6 * 7218.6, 7218.6 * 7218.6 * 0.03);
  EXPECT_FALSE(whole.start('E'));
  EXPECT_FALSE(whole.is_playing());
  whole.fill(one);
  EXPECT_TRUE(std::all_of(one.begin(), one.end(), [](std::int16_t s) { return s == 0; }));
}

TEST(DtmfDetector, DetectsEveryDigitOnceWithItsLength) {
  for (const char digit : kAllDigits) {
    SCOPED_TRACE(digit);
    std::vector<std::int16_t> s;
    append_silence(s, 30);
    append_digit(s, digit, 100);
    const auto got = detect(s);
    EXPECT_EQ(got.began, std::string(1, digit));
    ASSERT_EQ(got.events.size(), 2u);
    const auto& ended = got.events[1];
    EXPECT_EQ(ended.kind, DtmfToneEvent::Kind::Ended);
    EXPECT_EQ(ended.digit, digit);
    // The windows that showed it lie within the tone, give or take the 30 % of a window that a
    // window may lack and still show it.
    EXPECT_GE(ended.start, samples_of_ms(30) - 40);
    EXPECT_LE(ended.end, samples_of_ms(130) + 40);
    EXPECT_GE(ended.end - ended.start, samples_of_ms(80));
  }
}

TEST(DtmfDetector, FortyMillisecondsAreEnoughWhereverTheToneFallsInTheWindows) {
  for (const char digit : kAllDigits) {
    for (const double factor : {1.0, 1.015, 0.985}) {
      for (int lead = 0; lead < 106; lead += 3) {
        SCOPED_TRACE(testing::Message() << digit << " x" << factor << " lead " << lead);
        EXPECT_EQ(detect_digit(digit, 40, {.frequency_factor = factor}, 20 + lead / 8.0),
                  std::string(1, digit));
      }
    }
  }
}

TEST(DtmfDetector, TonesShorterThanTheMinimumAreNotDigits) {
  for (const double ms : {10.0, 20.0, 24.0}) {
    for (int lead = 0; lead < 106; lead += 5) {
      SCOPED_TRACE(testing::Message() << ms << " ms, lead " << lead);
      EXPECT_EQ(detect_digit('8', ms, {}, 20 + lead / 8.0), "");
    }
  }
}

TEST(DtmfDetector, TwistBeyondTheLimitsIsRejected) {
  // Normal twist: the high group weaker (limit 8 dB); reverse: the high group stronger (4 dB).
  EXPECT_EQ(detect_digit('3', 80, {.low_dbm0 = -10, .high_dbm0 = -17}), "3");
  EXPECT_EQ(detect_digit('3', 80, {.low_dbm0 = -10, .high_dbm0 = -19}), "");
  EXPECT_EQ(detect_digit('3', 80, {.low_dbm0 = -13, .high_dbm0 = -10}), "3");
  EXPECT_EQ(detect_digit('3', 80, {.low_dbm0 = -15, .high_dbm0 = -10}), "");
}

TEST(DtmfDetector, TooQuietDigitsAreRejected) {
  EXPECT_EQ(detect_digit('0', 80, {.low_dbm0 = -25, .high_dbm0 = -25}), "0");
  EXPECT_EQ(detect_digit('0', 80, {.low_dbm0 = -35, .high_dbm0 = -35}), "");
}

std::vector<std::int16_t> sines(const std::vector<std::pair<double, double>>& hz_and_peak,
                                double ms) {
  std::vector<std::int16_t> out(samples_of_ms(ms));
  for (std::size_t n = 0; n < out.size(); ++n) {
    double v = 0;
    for (const auto& [hz, peak] : hz_and_peak)
      v += peak * std::sin(2 * std::numbers::pi * hz * static_cast<double>(n) / 8000);
    out[n] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  return out;
}

TEST(DtmfDetector, ASingleToneIsNotADigit) {
  for (const double hz : {697.0, 941.0, 1209.0, 1633.0}) {
    SCOPED_TRACE(hz);
    EXPECT_EQ(detect(sines({{hz, 10000}}, 500)).began, "");
  }
  // A DTMF tone with a third, strong tone in its group is not a digit either.
  EXPECT_EQ(detect(sines({{697, 7000}, {1209, 7000}, {770, 7000}}, 500)).began, "");
}

TEST(DtmfDetector, WhiteNoiseGivesNoDigits) {
  for (const double sigma : {300.0, 3000.0, 10000.0}) {
    SCOPED_TRACE(sigma);
    std::mt19937 rng(20261206);  // seeded: the same noise every run
    std::normal_distribution<double> noise(0, sigma);
    std::vector<std::int16_t> s(samples_of_ms(3000));
    for (auto& x : s) x = static_cast<std::int16_t>(std::clamp(noise(rng), -32768.0, 32767.0));
    EXPECT_EQ(detect(s).began, "");
  }
}

// A voiced sound as a source-filter model: a glottal pulse train whose harmonics fall 6 dB per
// octave (-12 dB/octave source, +6 dB lip radiation), pitch gliding around 100-250 Hz, through
// three moving formants (a diphthong). Its harmonics pass near every DTMF frequency, two at a time
// now and then, at formant peaks: the talk-off case. Several speeds of glide.
std::vector<std::int16_t> voice(double speed) {
  std::vector<std::int16_t> s(samples_of_ms(4000));
  std::vector<double> phase(40, 0.0);
  const auto resonance = [](double hz, double formant, double half_width) {
    return 1 / (1 + std::pow((hz - formant) / half_width, 2));
  };
  for (std::size_t n = 0; n < s.size(); ++n) {
    const double t = static_cast<double>(n) / 8000;
    const double pitch = 175 + 75 * std::sin(2 * std::numbers::pi * speed * t);
    const double f1 = 700 + 200 * std::sin(2 * std::numbers::pi * 1.4 * speed * t);
    const double f2 = 1400 + 400 * std::sin(2 * std::numbers::pi * 0.6 * speed * t);
    double v = 0;
    for (std::size_t h = 1; h < phase.size(); ++h) {
      const double hz = pitch * static_cast<double>(h);
      if (hz > 3400) break;
      const double gain = (1 + 6 * resonance(hz, f1, 60) + 5 * resonance(hz, f2, 80) +
                           3 * resonance(hz, 2500, 100)) /
                          static_cast<double>(h);
      phase[h] += hz / 8000;
      v += 2000 * gain * std::sin(2 * std::numbers::pi * phase[h]);
    }
    s[n] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
  }
  return s;
}

TEST(DtmfDetector, ASpeechLikeMultiToneSignalGivesNoDigits) {
  for (const double speed : {0.3, 0.5, 0.8}) {
    SCOPED_TRACE(speed);
    EXPECT_EQ(detect(voice(speed)).began, "");
  }
}

// Two harmonics of a voice whose pitch glides (here 1 % per 10 ms, a brisk intonation) can pass
// through a DTMF pair together; held still they would be a digit, gliding they are not.
TEST(DtmfDetector, ATonePairGlidingThroughADigitIsNotADigit) {
  const auto glide = [](double rate_per_s) {
    std::vector<std::int16_t> s(samples_of_ms(80));
    double low = 0, high = 0;
    for (std::size_t n = 0; n < s.size(); ++n) {
      const double factor = 0.97 + rate_per_s * static_cast<double>(n) / 8000;
      low += 852 * factor / 8000;
      high += 1477 * factor / 8000;
      s[n] = static_cast<std::int16_t>(
          7219 * (std::sin(2 * std::numbers::pi * low) + std::sin(2 * std::numbers::pi * high)));
    }
    std::vector<std::int16_t> out;
    append_silence(out, 20);
    out.insert(out.end(), s.begin(), s.end());
    return out;
  };
  EXPECT_EQ(detect(glide(1.0)).began, "");
  EXPECT_EQ(detect(glide(-1.0)).began, "");  // 3 % low falling: never near
  EXPECT_EQ(detect(sines({{852 * 1.01, 7219}, {1477 * 1.01, 7219}}, 80)).began, "9")
      << "held still: a digit";
}

TEST(DtmfDetector, DigitsSurviveALawAndMuLaw) {
  for (const auto law : {G711Law::ALaw, G711Law::MuLaw}) {
    for (const char digit : kAllDigits) {
      SCOPED_TRACE(testing::Message() << (law == G711Law::ALaw ? "A-law " : "mu-law ") << digit);
      std::vector<std::int16_t> s;
      append_silence(s, 30);
      append_digit(s, digit, 60);
      for (auto& x : s) x = g711_decode(law, g711_encode(law, x));
      EXPECT_EQ(detect(s).began, std::string(1, digit));
    }
  }
}

TEST(DtmfDetector, AcceptsOnePointFivePercentOffAndRefusesThreePointFive) {
  for (const char digit : kAllDigits) {
    SCOPED_TRACE(digit);
    EXPECT_EQ(detect_digit(digit, 80, {.frequency_factor = 1.015}), std::string(1, digit));
    EXPECT_EQ(detect_digit(digit, 80, {.frequency_factor = 0.985}), std::string(1, digit));
    EXPECT_EQ(detect_digit(digit, 80, {.frequency_factor = 1.035}), "");
    EXPECT_EQ(detect_digit(digit, 80, {.frequency_factor = 0.965}), "");
  }
  // One tone off alone is refused as well.
  EXPECT_EQ(detect(sines({{697 * 1.035, 7219}, {1209, 7219}}, 200)).began, "");
  EXPECT_EQ(detect(sines({{697, 7219}, {1633 * 0.965, 7219}}, 200)).began, "");
}

TEST(DtmfDetector, ALongDigitIsReportedOnce) {
  std::vector<std::int16_t> s;
  append_digit(s, '#', 3000);
  const auto got = detect(s);
  EXPECT_EQ(got.began, "#");
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_GE(got.events[1].end - got.events[1].start, samples_of_ms(2950));
}

TEST(DtmfDetector, TwoDigitsFortyMillisecondsApartAreTwoDigits) {
  for (const std::string digits : {"19", "55", "**"}) {
    SCOPED_TRACE(digits);
    std::vector<std::int16_t> s;
    append_silence(s, 25);
    append_digit(s, digits[0], 50);
    append_silence(s, 40);
    append_digit(s, digits[1], 50);
    EXPECT_EQ(detect(s).began, digits);
  }
}

TEST(DtmfDetector, ADigitFollowedByAnotherWithoutAPauseIsTwoDigits) {
  std::vector<std::int16_t> s;
  append_digit(s, '2', 100);
  append_digit(s, '7', 100);
  EXPECT_EQ(detect(s).began, "27");
}

}  // namespace
}  // namespace resproxy::media
