// spandsp_compare: resproxy's DTMF detector and generator (proxy/media/dtmf_tone.h) against
// spandsp's dtmf_rx and dtmf_tx, fed the same synthetic signals, and spandsp's ADSI FSK modem
// (V.23 / Bell 202) carrying the caller-ID octets of sim_hardware/fxo/caller_id.h.
//
// An optional benchmark, not part of the CMake build: bench/dtmf/run.sh builds and runs it
// (README.md there). Every signal is made here from one fixed seed, so the tables are the same on
// every run with the same argument (the minutes of talk-off), apart from the timings. Nothing is
// read from files.
//
// usage: spandsp_compare [minutes of each talk-off signal, default 60]
//
// Detectors compared, each fed the same 20 ms frames (160 samples, as the media bridge does):
//   ours          DtmfDetector with its defaults (the gateway's configuration)
//   spandsp       dtmf_rx with the library's defaults
//   spandsp -30   dtmf_rx with its level threshold set to ours (-30 dBm0), twist 8/4 dB as ours
#include <spandsp.h>
#include <spandsp/expose.h>  // the state structs, for their sizes
#include <spandsp/version.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "proxy/media/dtmf_tone.h"
#include "sim_hardware/fxo/caller_id.h"

namespace {

using resproxy::media::DtmfDetector;
using resproxy::media::DtmfDetectorConfig;
using resproxy::media::DtmfGenerator;
using resproxy::media::DtmfGeneratorConfig;
using resproxy::media::DtmfToneEvent;

constexpr double kRate = 8000;
constexpr std::size_t kFrame = 160;  // 20 ms
constexpr std::uint64_t kSeed = 20240611;
constexpr std::string_view kKeys = "123A456B789C*0#D";
constexpr double kTwoPi = 2 * std::numbers::pi;

std::size_t samples_of(double ms) {
  return static_cast<std::size_t>(std::lround(ms * kRate / 1000));
}
double peak_of(double dbm0) { return resproxy::media::dtmf_peak_of(dbm0); }  // 0 dBm0: 22827
double rms_of(double dbm0) { return peak_of(dbm0) / std::numbers::sqrt2; }
double dbm0_of_rms(double rms) { return 20 * std::log10(rms / rms_of(0)); }

// --- randomness: mt19937_64 (fully specified by the standard) and our own mappings, so that the
// signals do not depend on the standard library's distributions.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) {  // [lo, hi]
    return lo + static_cast<int>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double gauss() {                   // Box-Muller, one value per call
    const double u = 1 - uniform();  // (0, 1]
    return std::sqrt(-2 * std::log(u)) * std::cos(kTwoPi * uniform());
  }

 private:
  std::mt19937_64 engine_;
};

std::vector<std::int16_t> to_pcm(std::span<const double> x) {
  std::vector<std::int16_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = static_cast<std::int16_t>(std::clamp(std::lround(x[i]), -32768L, 32767L));
  }
  return out;
}

void add_sine(std::span<double> x, std::size_t at, std::size_t n, double hz, double peak,
              double phase) {
  for (std::size_t i = 0; i < n && at + i < x.size(); ++i) {
    x[at + i] += peak * std::sin(kTwoPi * hz * static_cast<double>(i) / kRate + phase);
  }
}

void add_noise(std::span<double> x, double rms, Rng& rng) {
  for (double& v : x) v += rms * rng.gauss();
}

// A sine table with linear interpolation for the talk-off synthesis (tens of partials per
// sample): error below 1e-7 of the peak, far under 16-bit quantisation.
class SineTable {
 public:
  SineTable() {
    for (std::size_t i = 0; i <= kSize; ++i) {
      table_[i] = std::sin(kTwoPi * static_cast<double>(i) / kSize);
    }
  }
  [[nodiscard]] double at(double cycles) const {
    const double x = (cycles - std::floor(cycles)) * kSize;
    const auto i = std::min(static_cast<std::size_t>(x), kSize - 1);
    const double f = x - static_cast<double>(i);
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr std::size_t kSize = 8192;
  std::array<double, kSize + 1> table_{};
};

// --- the detectors, behind one interface: reset, feed 20 ms frames, collect the digits in the
// order they began.
class Engine {
 public:
  virtual ~Engine() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  virtual void reset() = 0;
  virtual void feed(std::span<const std::int16_t> frame) = 0;
  std::string detected;
};

class OurEngine final : public Engine {
 public:
  [[nodiscard]] std::string name() const override { return "ours"; }
  void reset() override {
    detector_ = DtmfDetector(DtmfDetectorConfig{});
    detected.clear();
  }
  void feed(std::span<const std::int16_t> frame) override {
    detector_.process(frame);
    while (const auto e = detector_.next_event()) {
      if (e->kind == DtmfToneEvent::Kind::Began) detected += e->digit;
    }
  }

 private:
  DtmfDetector detector_{DtmfDetectorConfig{}};
};

class SpandspEngine final : public Engine {
 public:
  // threshold_dbm0: nullopt keeps the library's defaults.
  explicit SpandspEngine(std::optional<int> threshold_dbm0)
      : threshold_(threshold_dbm0), state_(dtmf_rx_init(nullptr, nullptr, nullptr)) {}
  ~SpandspEngine() override { dtmf_rx_free(state_); }
  SpandspEngine(const SpandspEngine&) = delete;
  SpandspEngine& operator=(const SpandspEngine&) = delete;

  [[nodiscard]] std::string name() const override {
    return threshold_ ? "spandsp " + std::to_string(*threshold_) : "spandsp";
  }
  void reset() override {
    dtmf_rx_init(state_, nullptr, nullptr);  // in place: the same memory, all state cleared
    dtmf_rx_set_realtime_callback(state_, &SpandspEngine::on_change, this);
    if (threshold_) dtmf_rx_parms(state_, 0, 8, 4, *threshold_);
    detected.clear();
  }
  void feed(std::span<const std::int16_t> frame) override {
    dtmf_rx(state_, frame.data(), static_cast<int>(frame.size()));
  }

 private:
  // code: the digit when one begins, 0 when it ends.
  static void on_change(void* user, int code, int /*level*/, int /*delay*/) {
    if (code > 0) static_cast<SpandspEngine*>(user)->detected += static_cast<char>(code);
  }
  std::optional<int> threshold_;
  dtmf_rx_state_t* state_;
};

std::string detect(Engine& engine, std::span<const std::int16_t> pcm) {
  engine.reset();
  for (std::size_t at = 0; at < pcm.size(); at += kFrame) {
    std::array<std::int16_t, kFrame> frame{};
    const std::size_t n = std::min(kFrame, pcm.size() - at);
    std::copy_n(pcm.begin() + static_cast<std::ptrdiff_t>(at), n, frame.begin());
    engine.feed(frame);
  }
  return engine.detected;
}

// --- voice-like and music-like signals: talk under digits, and talk-off (every digit found in
// them alone is false).

struct Formants {
  std::array<double, 4> hz;
  std::array<double, 4> bandwidth;
};

// Vowels (adult male averages; a speaker's formants scale with a factor), F1-F4.
const std::array<Formants, 7> kVowels = {{
    {{730, 1090, 2440, 3400}, {80, 90, 120, 150}},   // a
    {{270, 2290, 3010, 3500}, {60, 100, 120, 150}},  // i
    {{300, 870, 2240, 3300}, {60, 90, 120, 150}},    // u
    {{530, 1840, 2480, 3500}, {70, 90, 120, 150}},   // e
    {{570, 840, 2410, 3300}, {70, 90, 120, 150}},    // o
    {{660, 1720, 2410, 3400}, {80, 90, 120, 150}},   // ae
    {{490, 1350, 1690, 3300}, {70, 90, 110, 150}},   // er
}};

// Gain of a cascade of second-order resonances at `hz` (1 at 0 Hz).
double formant_gain(double hz, const Formants& f) {
  double g = 1;
  for (std::size_t i = 0; i < f.hz.size(); ++i) {
    const double fc = f.hz[i];
    g *= fc * fc / std::hypot(fc * fc - hz * hz, f.bandwidth[i] * hz);
  }
  return g;
}

Formants mix(const Formants& a, const Formants& b, double t, double scale) {
  Formants m{};
  for (std::size_t i = 0; i < a.hz.size(); ++i) {
    m.hz[i] = scale * (a.hz[i] + t * (b.hz[i] - a.hz[i]));
    m.bandwidth[i] = a.bandwidth[i] + t * (b.bandwidth[i] - a.bandwidth[i]);
  }
  return m;
}

// One voiced segment: the harmonics of f0 up to 3.8 kHz, from a source falling 6 dB per octave,
// shaped by formants; f0 glides from `f0_from` to `f0_to` (geometrically) with optional vibrato;
// the formants move from one vowel to another; 10 ms ramps at both ends.
struct Voiced {
  double ms = 200;
  double f0_from = 120, f0_to = 120;
  Formants from{}, to{};
  double formant_scale = 1;
  double dbm0 = -15;  // RMS level
  double vibrato_hz = 0, vibrato_depth = 0;
};

void render(std::vector<double>& out, const Voiced& v, Rng& rng, const SineTable& sine) {
  const std::size_t n = samples_of(v.ms);
  const std::size_t ramp = samples_of(10);
  constexpr std::size_t kUpdate = 40;  // recompute the harmonic amplitudes every 5 ms
  std::vector<double> amp;
  double phase = rng.uniform();
  double vibrato_phase = rng.uniform();
  double f0_base = v.f0_from;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % kUpdate == 0) {
      const double t = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0;
      f0_base = v.f0_from * std::pow(v.f0_to / v.f0_from, t);
      const Formants f = mix(v.from, v.to, t, v.formant_scale);
      const auto harmonics = static_cast<std::size_t>(3800 / (f0_base * (1 + v.vibrato_depth)));
      amp.assign(harmonics, 0);
      double power = 0;
      for (std::size_t k = 1; k <= harmonics; ++k) {
        amp[k - 1] = formant_gain(static_cast<double>(k) * f0_base, f) / static_cast<double>(k);
        power += amp[k - 1] * amp[k - 1] / 2;
      }
      const double scale = power > 0 ? rms_of(v.dbm0) / std::sqrt(power) : 0;
      for (double& a : amp) a *= scale;
    }
    double s = 0;
    for (std::size_t k = 0; k < amp.size(); ++k)
      s += amp[k] * sine.at(static_cast<double>(k + 1) * phase);
    const double envelope = std::min({1.0, static_cast<double>(i) / static_cast<double>(ramp),
                                      static_cast<double>(n - i) / static_cast<double>(ramp)});
    out.push_back(envelope * s);
    const double f0 = f0_base * (1 + v.vibrato_depth * sine.at(vibrato_phase));
    vibrato_phase += v.vibrato_hz / kRate;
    vibrato_phase -= std::floor(vibrato_phase);
    phase += f0 / kRate;
    phase -= std::floor(phase);
  }
}

void silence(std::vector<double>& out, double ms) { out.insert(out.end(), samples_of(ms), 0.0); }

const Formants& any_vowel(Rng& rng) {
  return kVowels[static_cast<std::size_t>(rng.integer(0, kVowels.size() - 1))];
}

// Running speech: syllables of 80-300 ms whose pitch glides up to half an octave either way and
// whose formants move from one vowel to another (diphthongs), from male and female speakers.
std::vector<double> speech(double seconds, Rng& rng, const SineTable& sine) {
  std::vector<double> out;
  const std::size_t total = samples_of(seconds * 1000);
  double base = 120, scale = 1;
  int syllables = 0;
  while (out.size() < total) {
    if (syllables++ % 12 == 0) {  // a new speaker
      const bool female = rng.uniform() < 0.5;
      base = female ? rng.uniform(170, 250) : rng.uniform(85, 140);
      scale = female ? 1.15 : 1.0;
    }
    Voiced v;
    v.ms = rng.uniform(80, 300);
    v.f0_from = base * std::pow(2.0, rng.uniform(-0.3, 0.3));
    v.f0_to = v.f0_from * std::pow(2.0, rng.uniform(-0.5, 0.5));
    v.from = any_vowel(rng);
    v.to = rng.uniform() < 0.5 ? v.from : any_vowel(rng);
    v.formant_scale = scale;
    v.dbm0 = rng.uniform(-25, -8);
    render(out, v, rng, sine);
    silence(out, rng.uniform(20, 200));
  }
  out.resize(total);
  return out;
}

// Sung vowels: a steady pitch (a note of the equal-tempered scale, 110-660 Hz) held 0.3-1.5 s,
// with a 5-6 Hz vibrato of up to 1.5 % or none: the harmonics hold still, the hard case.
std::vector<double> singing(double seconds, Rng& rng, const SineTable& sine) {
  std::vector<double> out;
  const std::size_t total = samples_of(seconds * 1000);
  while (out.size() < total) {
    Voiced v;
    v.ms = rng.uniform(300, 1500);
    const int note = rng.integer(45, 76);  // MIDI A2..E5
    v.f0_from = v.f0_to = 440 * std::pow(2.0, (note - 69) / 12.0);
    v.from = v.to = any_vowel(rng);
    v.formant_scale = v.f0_from > 200 ? 1.15 : 1.0;
    v.dbm0 = rng.uniform(-20, -5);
    if (rng.uniform() < 0.8) {
      v.vibrato_hz = rng.uniform(5, 6);
      v.vibrato_depth = rng.uniform(0.002, 0.015);
    }
    render(out, v, rng, sine);
    silence(out, rng.uniform(50, 300));
  }
  out.resize(total);
  return out;
}

// Chords of 2-4 notes, each with harmonics: piano-like (fast attack, decaying partials rolling
// off with 1/k^1.2) or flute-like (slow attack, steady, the fundamental with weak 2nd and 3rd).
std::vector<double> chords(double seconds, bool pure, Rng& rng, const SineTable& sine) {
  std::vector<double> out;
  const std::size_t total = samples_of(seconds * 1000);
  struct Partial {
    double step, amp, phase, decay;
  };
  while (out.size() < total) {
    const int notes = pure ? rng.integer(2, 3) : rng.integer(2, 4);
    std::vector<Partial> partials;
    double power = 0;
    for (int i = 0; i < notes; ++i) {
      const int note = pure ? rng.integer(60, 96) : rng.integer(48, 90);  // C4..C7 / C3..F#6
      const double f = 440 * std::pow(2.0, (note - 69) / 12.0);
      const double tau = rng.uniform(0.3, 1.5);  // s, piano decay of the fundamental
      const int harmonics = pure ? 3 : 8;
      for (int k = 1; k <= harmonics && f * k < 3800; ++k) {
        const double a = pure ? (k == 1   ? 1.0
                                 : k == 2 ? 0.1
                                          : 0.03)
                              : std::pow(k, -1.2) * rng.uniform(0.5, 1.0);
        const double decay = pure ? 1.0 : std::exp(-k / (tau * kRate));  // higher partials faster
        partials.push_back({f * k / kRate, a, rng.uniform(), decay});
        power += a * a / 2;
      }
    }
    const double scale = rms_of(rng.uniform(-20, -5)) / std::sqrt(power);
    const std::size_t n = samples_of(rng.uniform(250, 1200));
    const std::size_t attack = samples_of(pure ? 30 : 5);
    const std::size_t release = samples_of(20);
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      for (Partial& p : partials) {
        s += p.amp * sine.at(p.phase);
        p.phase += p.step;
        p.phase -= std::floor(p.phase);
        p.amp *= p.decay;
      }
      const double envelope = std::min({1.0, static_cast<double>(i) / static_cast<double>(attack),
                                        static_cast<double>(n - i) / static_cast<double>(release)});
      out.push_back(scale * envelope * s);
    }
    silence(out, rng.uniform(0, 150));
  }
  out.resize(total);
  return out;
}

// --- key presses: one digit (or the same digit twice with a pause), random phases, a random
// position against the 20 ms frames, then 200 ms of silence so that every detector ends it.
struct Press {
  char digit = '5';
  double low_dbm0 = -10;
  double high_dbm0 = -10;
  double low_factor = 1;  // frequency factor: 1.015 is 1.5 % high
  double high_factor = 1;
  double on_ms = 100;
  std::optional<double> gap_ms = std::nullopt;  // the digit twice, this far apart
  std::optional<double> snr_db = std::nullopt;  // white noise, against the power of the two tones
  // Talk under the digit: an excerpt of this track, at its own level plus speech_db.
  const std::vector<double>* speech = nullptr;
  double speech_db = 0;
};

std::vector<std::int16_t> make_press(const Press& p, Rng& rng) {
  const auto f = resproxy::media::dtmf_frequencies(p.digit);
  const std::size_t lead = kFrame + static_cast<std::size_t>(rng.integer(0, kFrame - 1));
  const std::size_t on = samples_of(p.on_ms);
  const std::size_t gap = p.gap_ms ? samples_of(*p.gap_ms) : 0;
  const std::size_t bursts = p.gap_ms ? 2 : 1;
  std::vector<double> x(lead + bursts * on + gap + samples_of(200));
  for (std::size_t b = 0; b < bursts; ++b) {
    const std::size_t at = lead + b * (on + gap);
    add_sine(x, at, on, f->low_hz * p.low_factor, peak_of(p.low_dbm0), kTwoPi * rng.uniform());
    add_sine(x, at, on, f->high_hz * p.high_factor, peak_of(p.high_dbm0), kTwoPi * rng.uniform());
  }
  if (p.snr_db) {
    const double tones = std::pow(rms_of(p.low_dbm0), 2) + std::pow(rms_of(p.high_dbm0), 2);
    add_noise(x, std::sqrt(tones / std::pow(10.0, *p.snr_db / 10)), rng);
  }
  if (p.speech != nullptr && p.speech->size() > x.size()) {
    const auto from =
        static_cast<std::size_t>(rng.uniform() * static_cast<double>(p.speech->size() - x.size()));
    const double gain = std::pow(10.0, p.speech_db / 20);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += gain * (*p.speech)[from + i];
  }
  return to_pcm(x);
}

struct Tally {
  int presses = 0;
  int exact = 0;  // detected as sent: the digit once (twice with a gap)
  int none = 0;
  [[nodiscard]] int other() const { return presses - exact - none; }  // wrong digit, or extra
};

std::string percent(int n, int of) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", 100.0 * n / std::max(of, 1));
  return buf;
}

std::string cell(const Tally& t) {
  std::string s = percent(t.exact, t.presses);
  if (t.other() > 0) s += " (" + std::to_string(t.other()) + " other)";
  return s;
}

struct Condition {
  std::string group;
  std::string label;
  std::string wanted;  // what a receiver should do
  std::function<Press(char)> press;
};

void run_presses(const std::vector<Condition>& conditions, int repeats,
                 const std::vector<Engine*>& engines, Rng& rng) {
  std::printf("| test | condition | wanted |");
  for (const Engine* e : engines) std::printf(" %s |", e->name().c_str());
  std::printf("\n|---|---|---|");
  for (std::size_t i = 0; i < engines.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const Condition& c : conditions) {
    std::vector<Tally> tallies(engines.size());
    for (int r = 0; r < repeats; ++r) {
      for (const char key : kKeys) {
        const Press p = c.press(key);
        const auto pcm = make_press(p, rng);
        const std::string sent(p.gap_ms ? 2 : 1, key);
        for (std::size_t e = 0; e < engines.size(); ++e) {
          const std::string got = detect(*engines[e], pcm);
          ++tallies[e].presses;
          if (got == sent) {
            ++tallies[e].exact;
          } else if (got.empty()) {
            ++tallies[e].none;
          }
        }
      }
    }
    std::printf("| %s | %s | %s |", c.group.c_str(), c.label.c_str(), c.wanted.c_str());
    for (const Tally& t : tallies) std::printf(" %s |", cell(t).c_str());
    std::printf("\n");
  }
}

std::vector<Condition> detection_conditions(const std::vector<double>& talk) {
  std::vector<Condition> c;
  c.push_back({"nominal", "16 digits, -10 dBm0/tone, 100 ms", "detect",
               [](char k) { return Press{.digit = k}; }});
  for (const double level :
       {0.0, -3.0, -10.0, -20.0, -25.0, -28.0, -29.0, -30.0, -32.0, -35.0, -40.0, -45.0}) {
    char label[64];
    std::snprintf(label, sizeof label, "%+.0f dBm0 per tone%s", level,
                  level > -2.9 ? " (the sum clips)" : "");
    c.push_back(
        {"level", label,
         level >= -25    ? "detect"
         : level > -29.5 ? "detect (ours)"
         : level > -30.5 ? "limit (ours)"
                         : "either",
         [level](char k) { return Press{.digit = k, .low_dbm0 = level, .high_dbm0 = level}; }});
  }
  // Twist: the high group against the low (at -10 dBm0): negative is normal twist.
  for (const double twist : {-12.0, -10.0, -9.0, -8.0, -7.0, -6.0, 0.0, 2.0, 3.0, 4.0, 5.0, 6.0}) {
    char label[64];
    std::snprintf(label, sizeof label, "high %+.0f dB vs low", twist);
    const bool within = twist > -8 && twist < 4;
    const bool limit = twist == -8 || twist == 4;
    c.push_back(
        {"twist", label,
         within  ? "detect"
         : limit ? "limit"
                 : "either",
         [twist](char k) { return Press{.digit = k, .low_dbm0 = -10, .high_dbm0 = -10 + twist}; }});
  }
  for (const double off : {-3.5, -1.5, 1.5, 3.5}) {
    char label[64];
    std::snprintf(label, sizeof label, "both tones %+.1f %%", off);
    c.push_back(
        {"frequency", label, std::abs(off) < 2 ? "detect (Q.24)" : "reject (Q.24)", [off](char k) {
           return Press{.digit = k, .low_factor = 1 + off / 100, .high_factor = 1 + off / 100};
         }});
  }
  for (const double off : {-3.5, 3.5}) {
    char label[64];
    std::snprintf(label, sizeof label, "high tone only %+.1f %%", off);
    c.push_back({"frequency", label, "reject (Q.24)",
                 [off](char k) { return Press{.digit = k, .high_factor = 1 + off / 100}; }});
  }
  for (const double ms : {20.0, 30.0, 40.0}) {
    c.push_back({"duration", std::to_string(static_cast<int>(ms)) + " ms tone",
                 ms >= 40   ? "detect"
                 : ms <= 20 ? "reject"
                            : "either",
                 [ms](char k) { return Press{.digit = k, .on_ms = ms}; }});
  }
  for (const double ms : {20.0, 30.0, 40.0, 50.0}) {
    c.push_back({"pause", "2 x 50 ms, " + std::to_string(static_cast<int>(ms)) + " ms apart",
                 ms >= 40 ? "two digits" : "either",
                 [ms](char k) { return Press{.digit = k, .on_ms = 50, .gap_ms = ms}; }});
  }
  for (const double snr : {30.0, 20.0, 15.0, 12.0, 10.0, 6.0}) {
    char label[64];
    std::snprintf(label, sizeof label, "white noise, SNR %.0f dB", snr);
    c.push_back({"noise", label, snr >= 15 ? "detect" : "either",
                 [snr](char k) { return Press{.digit = k, .snr_db = snr}; }});
  }
  // Talk under the digit (syllables at -25..-8 dBm0, raised or lowered): double talk.
  for (const double db : {-10.0, -5.0, 0.0}) {
    char label[64];
    std::snprintf(label, sizeof label, "speech %+.0f dB under the digit", db);
    c.push_back({"talk", label, "detect", [&talk, db](char k) {
                   return Press{.digit = k, .speech = &talk, .speech_db = db};
                 }});
  }
  return c;
}

void run_talk_off(const std::vector<Engine*>& engines, double minutes, Rng& rng) {
  const SineTable sine;
  struct Source {
    std::string name;
    std::vector<double> audio;
  };
  const double s = minutes * 60;
  std::vector<Source> sources;
  sources.push_back({"speech: gliding pitch, diphthongs", speech(s, rng, sine)});
  sources.push_back({"sung vowels: steady pitch, vibrato", singing(s, rng, sine)});
  sources.push_back({"piano-like chords (2-4 notes, harmonics)", chords(s, false, rng, sine)});
  sources.push_back({"flute-like chords (near-pure tones)", chords(s, true, rng, sine)});
  std::vector<double> noise(samples_of(s * 1000), 0.0);
  add_noise(noise, rms_of(-20), rng);
  sources.push_back({"white noise, -20 dBm0", std::move(noise)});

  std::printf("| signal (%.0f min each) |", minutes);
  for (const Engine* e : engines) std::printf(" %s |", e->name().c_str());
  std::printf("\n|---|");
  for (std::size_t i = 0; i < engines.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const Source& src : sources) {
    const auto pcm = to_pcm(src.audio);
    std::printf("| %s |", src.name.c_str());
    for (Engine* e : engines) {
      const std::string got = detect(*e, pcm);
      std::printf(" %.2f/min (%zu) |", static_cast<double>(got.size()) / minutes, got.size());
    }
    std::printf("\n");
  }
}

// --- cost: the time to run each detector over the same audio, in µs per 20 ms frame.
template <typename Fn>
double best_seconds(int runs, Fn&& fn) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

volatile std::int64_t g_sink = 0;  // the generators' output goes here: not optimised away

void run_cost(const std::vector<Engine*>& engines, double seconds, Rng& rng) {
  const SineTable sine;
  // Speech with a digit (80 ms, -10 dBm0 per tone) every 3 s on top.
  auto audio = speech(seconds, rng, sine);
  std::size_t digits = 0;
  for (std::size_t at = samples_of(1000); at + samples_of(100) < audio.size();
       at += samples_of(3000), ++digits) {
    const auto f = resproxy::media::dtmf_frequencies(kKeys[digits % kKeys.size()]);
    add_sine(audio, at, samples_of(80), f->low_hz, peak_of(-10), 0);
    add_sine(audio, at, samples_of(80), f->high_hz, peak_of(-10), 0);
  }
  const auto pcm = to_pcm(audio);
  const double frames = static_cast<double>(pcm.size()) / kFrame;
  std::printf("| detector | digits found (%zu sent) | µs per 20 ms frame | channels per core |\n",
              digits);
  std::printf("|---|---|---|---|\n");
  for (Engine* e : engines) {
    std::size_t found = 0;
    const double t = best_seconds(3, [&] { found = detect(*e, pcm).size(); });
    const double us = t * 1e6 / frames;
    std::printf("| %s | %zu | %.2f | %.0f |\n", e->name().c_str(), found, us, 20000 / us);
  }

  // Generators: the same 600 s of continuous digits, 100 ms each, at -10 dBm0 per tone.
  std::vector<std::int16_t> frame(kFrame);
  const auto total_frames = static_cast<std::size_t>(frames);
  std::int64_t sink = 0;
  DtmfGenerator ours;
  const double ours_t = best_seconds(3, [&] {
    for (std::size_t i = 0; i < total_frames; ++i) {
      if (i % 5 == 0) ours.start(kKeys[(i / 5) % kKeys.size()]);
      ours.fill(frame);
      sink += frame[7];
    }
  });
  dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
  dtmf_tx_set_level(tx, -10, 0);
  dtmf_tx_set_timing(tx, 100, 0);
  const double theirs_t = best_seconds(3, [&] {
    for (std::size_t i = 0; i < total_frames; ++i) {
      int n = dtmf_tx(tx, frame.data(), kFrame);
      if (n < static_cast<int>(kFrame)) {
        dtmf_tx_put(tx, "123A456B789C*0#D", -1);
        n += dtmf_tx(tx, frame.data() + n, static_cast<int>(kFrame) - n);
      }
      sink += frame[7];
    }
  });
  dtmf_tx_free(tx);
  std::printf("| generator ours | - | %.2f | %.0f |\n", ours_t * 1e6 / frames,
              20000 / (ours_t * 1e6 / frames));
  std::printf("| generator spandsp | - | %.2f | %.0f |\n", theirs_t * 1e6 / frames,
              20000 / (theirs_t * 1e6 / frames));
  g_sink = sink;
  std::printf("\n(%.0f s of audio, %zu frames, best of 3 runs)\n", seconds, total_frames);
  std::printf(
      "State size: DtmfDetector %zu bytes (+ its event deque), dtmf_rx_state_t %zu bytes; "
      "DtmfGenerator %zu bytes, dtmf_tx_state_t %zu bytes.\n",
      sizeof(DtmfDetector), sizeof(dtmf_rx_state_t), sizeof(DtmfGenerator),
      sizeof(dtmf_tx_state_t));
}

// --- generators: frequency and level of each tone (a Hann-windowed DFT maximised around the
// nominal frequency over the steady 80 ms of a 100 ms tone), and detection by the other side.
struct ToneMeasure {
  double hz = 0;
  double dbm0 = 0;
};

ToneMeasure measure_tone(std::span<const std::int16_t> x, double nominal) {
  const std::size_t n = x.size();
  std::vector<double> w(n);
  double wsum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    w[i] = 0.5 - 0.5 * std::cos(kTwoPi * static_cast<double>(i) / static_cast<double>(n - 1));
    wsum += w[i];
  }
  ToneMeasure best;
  double best_mag = -1;
  for (double hz = nominal * 0.99; hz <= nominal * 1.01; hz += 0.01) {
    double re = 0, im = 0;
    const double step = kTwoPi * hz / kRate;
    for (std::size_t i = 0; i < n; ++i) {
      re += w[i] * x[i] * std::cos(step * static_cast<double>(i));
      im -= w[i] * x[i] * std::sin(step * static_cast<double>(i));
    }
    const double mag = std::hypot(re, im);
    if (mag > best_mag) {
      best_mag = mag;
      best.hz = hz;
    }
  }
  best.dbm0 = 20 * std::log10(2 * best_mag / wsum / peak_of(0));
  return best;
}

void run_generators(OurEngine& ours_rx, SpandspEngine& spandsp_rx) {
  struct Row {
    std::string name;
    double max_error_pct = 0;
    double min_dbm0 = 1e9, max_dbm0 = -1e9;
    int detected_by_other = 0;
  };
  Row ours{.name = "ours (-10 dBm0)"}, theirs{.name = "spandsp dtmf_tx (-10 dBm0, twist 0)"};
  dtmf_tx_state_t* tx = dtmf_tx_init(nullptr);
  dtmf_tx_set_level(tx, -10, 0);
  dtmf_tx_set_timing(tx, 100, 100);
  for (const char key : kKeys) {
    const auto f = resproxy::media::dtmf_frequencies(key);
    std::vector<std::int16_t> a(samples_of(100)), b(samples_of(100));
    DtmfGenerator gen;
    gen.start(key);
    gen.fill(a);
    const char digit[2] = {key, 0};
    dtmf_tx_put(tx, digit, 1);
    const int got = dtmf_tx(tx, b.data(), static_cast<int>(b.size()));
    std::vector<std::int16_t> rest(samples_of(200));  // its 100 ms off time: drain it
    dtmf_tx(tx, rest.data(), static_cast<int>(rest.size()));
    if (got != static_cast<int>(b.size())) std::printf("dtmf_tx gave %d samples\n", got);
    for (auto [row, x] : {std::pair{&ours, &a}, std::pair{&theirs, &b}}) {
      const std::span<const std::int16_t> steady(x->data() + samples_of(10), samples_of(80));
      for (const double nominal : {f->low_hz, f->high_hz}) {
        const ToneMeasure m = measure_tone(steady, nominal);
        row->max_error_pct = std::max(row->max_error_pct, 100 * std::abs(m.hz / nominal - 1));
        row->min_dbm0 = std::min(row->min_dbm0, m.dbm0);
        row->max_dbm0 = std::max(row->max_dbm0, m.dbm0);
      }
      std::vector<std::int16_t> padded(samples_of(20), 0);
      padded.insert(padded.end(), x->begin(), x->end());
      padded.resize(padded.size() + samples_of(200), 0);
      Engine& other = row == &ours ? static_cast<Engine&>(spandsp_rx) : ours_rx;
      if (detect(other, padded) == std::string(1, key)) ++row->detected_by_other;
    }
  }
  dtmf_tx_free(tx);
  std::printf(
      "| generator | largest frequency error | level per tone | detected by the other's "
      "detector |\n|---|---|---|---|\n");
  for (const Row& r : {ours, theirs}) {
    std::printf("| %s | %.3f %% | %.2f .. %.2f dBm0 | %d/16 |\n", r.name.c_str(), r.max_error_pct,
                r.min_dbm0, r.max_dbm0, r.detected_by_other);
  }
}

// --- FSK caller ID: our MDMF octets through spandsp's ADSI modem, with noise, decoded back.
struct AdsiCapture {
  std::vector<std::vector<std::uint8_t>> messages;
  static void put(void* user, const std::uint8_t* msg, int len) {
    if (len > 0) static_cast<AdsiCapture*>(user)->messages.emplace_back(msg, msg + len);
  }
};

void run_caller_id(Rng& rng) {
  namespace fxo = resproxy::fxo;
  fxo::CallerIdMessage message;
  message.date_time = fxo::CallerIdDateTime{.month = 6, .day = 11, .hour = 9, .minute = 41};
  message.number = "01632960123";
  message.name = "RESPROXY TEST";
  struct Standard {
    std::string name;
    int adsi;
    fxo::CallerIdStandard ours;
    int mark_bits;
  };
  const std::array<Standard, 2> standards = {{
      {"CLIP / V.23 (SIN 227, EN 300 659)", ADSI_STANDARD_CLIP, fxo::CallerIdStandard::Sin227, 80},
      {"CLASS / Bell 202 (GR-30)", ADSI_STANDARD_CLASS, fxo::CallerIdStandard::Bellcore, 180},
  }};
  const std::array<double, 6> snrs = {40, 20, 15, 12, 10, 8};
  constexpr int kTrials = 40;
  std::printf("| modem | burst level | octets |");
  for (const double snr : snrs) std::printf(" SNR %.0f dB |", snr);
  std::printf("\n|---|---|---|");
  for (std::size_t i = 0; i < snrs.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const Standard& st : standards) {
    const auto encoded = fxo::encode_caller_id(message, st.ours);
    if (!encoded) {
      std::printf("encode failed\n");
      return;
    }
    const std::vector<std::uint8_t>& octets = *encoded;
    // spandsp's transmitter appends the checksum itself: hand it the octets before it.
    adsi_tx_state_t* tx = adsi_tx_init(nullptr, st.adsi);
    adsi_tx_set_preamble(tx, 300, st.mark_bits, 5, 1);
    adsi_tx_put_message(tx, octets.data(), static_cast<int>(octets.size() - 1));
    std::vector<double> burst;
    std::array<std::int16_t, kFrame> frame{};
    while (true) {
      const int n = adsi_tx(tx, frame.data(), static_cast<int>(frame.size()));
      if (n <= 0) break;
      burst.insert(burst.end(), frame.begin(), frame.begin() + n);
    }
    adsi_tx_free(tx);
    double power = 0;
    for (const double v : burst) power += v * v;
    const double rms = std::sqrt(power / static_cast<double>(burst.size()));
    std::printf("| %s | %.1f dBm0 | %zu |", st.name.c_str(), dbm0_of_rms(rms), octets.size());
    adsi_rx_state_t* rx = nullptr;
    for (const double snr : snrs) {
      int ok = 0;
      for (int t = 0; t < kTrials; ++t) {
        std::vector<double> x(samples_of(100) + static_cast<std::size_t>(rng.integer(0, kFrame)));
        x.insert(x.end(), burst.begin(), burst.end());
        x.resize(x.size() + samples_of(200), 0.0);
        add_noise(x, rms / std::pow(10.0, snr / 20), rng);
        const auto pcm = to_pcm(x);
        AdsiCapture capture;
        rx = adsi_rx_init(rx, st.adsi, &AdsiCapture::put, &capture);
        for (std::size_t at = 0; at + kFrame <= pcm.size(); at += kFrame) {
          adsi_rx(rx, pcm.data() + at, static_cast<int>(kFrame));
        }
        // Delivered without its checksum; put it back and decode with ours.
        if (capture.messages.size() == 1) {
          auto received = capture.messages.front();
          received.push_back(fxo::caller_id_checksum(received));
          const auto decoded = fxo::decode_caller_id(received, st.ours);
          if (decoded && *decoded == message && received == octets) ++ok;
        }
      }
      std::printf(" %d/%d |", ok, kTrials);
    }
    adsi_rx_free(rx);
    std::printf("\n");
  }
  // adsi_add_field (spandsp's own message builder) for a 16-octet field under CLIP/CLASS.
  adsi_tx_state_t* tx = adsi_tx_init(nullptr, ADSI_STANDARD_CLIP);
  std::array<std::uint8_t, 64> msg{};
  const std::string name = "SIXTEEN CHARS OK";
  int len = adsi_add_field(tx, msg.data(), -1, CLIP_MDMF_CALLERID, nullptr, 0);
  len = adsi_add_field(tx, msg.data(), len, CLIP_CALLER_NAME,
                       reinterpret_cast<const std::uint8_t*>(name.data()),
                       static_cast<int>(name.size()));
  adsi_tx_free(tx);
  std::printf(
      "\nspandsp adsi_add_field, CLIP, one 16-octet name: %d octets (2 + 2 + 16 = 20 "
      "expected), length octet then 0x%02x: %s\n",
      len, msg[4], len == 20 ? "correct" : "the length 0x10 is doubled (DLE stuffing)");
}

// --- ±1.5 % digit by digit: which digits a detector loses at Q.24's must-accept offset.
void run_per_digit(const std::vector<Engine*>& engines, Rng& rng) {
  constexpr int kPresses = 20;
  std::printf("| detector | offset |");
  for (const char key : kKeys) std::printf(" %c |", key);
  std::printf("\n|---|---|");
  for (std::size_t i = 0; i < kKeys.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (Engine* e : engines) {
    for (const double off : {-1.5, 1.5}) {
      std::printf("| %s | %+.1f %% |", e->name().c_str(), off);
      for (const char key : kKeys) {
        int ok = 0;
        for (int r = 0; r < kPresses; ++r) {
          const double f = 1 + off / 100;
          const auto pcm = make_press(Press{.digit = key, .low_factor = f, .high_factor = f}, rng);
          if (detect(*e, pcm) == std::string(1, key)) ++ok;
        }
        std::printf(" %d |", ok);
      }
      std::printf("\n");
    }
  }
  std::printf("\n(presses detected exactly, of %d per digit)\n", kPresses);
}

}  // namespace

int main(int argc, char** argv) {
  // argument: minutes of each talk-off signal (default 60; fewer for a quick look)
  const double talk_off_minutes = argc > 1 ? std::max(1.0, std::atof(argv[1])) : 60.0;
  Rng rng(kSeed);
  OurEngine ours;
  SpandspEngine spandsp(std::nullopt);
  SpandspEngine spandsp_matched(-30);
  const std::vector<Engine*> engines = {&ours, &spandsp, &spandsp_matched};

  std::printf("# DTMF: resproxy vs spandsp (release of %s)\n\n", SPANDSP_RELEASE_DATETIME_STRING);
  std::printf(
      "## Detection: %% of presses detected exactly as sent (16 digits x 10 each, random "
      "phase and frame alignment; 'other': a wrong digit or an extra one)\n\n");
  const SineTable sine;
  const auto talk = speech(120, rng, sine);
  run_presses(detection_conditions(talk), 10, engines, rng);

  std::printf("\n## Talk-off: false digits per minute (count)\n\n");
  run_talk_off(engines, talk_off_minutes, rng);

  std::printf("\n## Generators\n\n");
  run_generators(ours, spandsp);

  std::printf("\n## Cost\n\n");
  run_cost(engines, 600, rng);

  std::printf("\n## FSK caller ID through spandsp's ADSI modem: messages decoded exactly\n\n");
  run_caller_id(rng);

  std::printf("\n## Frequency 1.5 %% off, digit by digit\n\n");
  run_per_digit(engines, rng);
  return 0;
}
