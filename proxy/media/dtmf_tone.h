#pragma once
// DTMF in the audio (ITU-T Q.23 frequencies, Q.24 receiver tolerances): a generator that plays a
// digit as its two tones into 8 kHz 16-bit linear frames, and a detector that finds digits in such
// frames. This is how digits travel on an ISDN or analogue line; the media bridge turns them into
// RFC 4733 events (telephone_event.h) on the SIP side and back.
//
// Levels. G.711's overload point is +3.14 dBm0 (A-law; µ-law +3.17), and the codecs here decode to
// the 16-bit range, so a sine of peak 32768 is +3.14 dBm0 and 0 dBm0 is a peak of 22827.
//
// Detector. Q.23's frequencies lie about 10 % apart, and Q.24 asks a receiver to accept ±1.5 % and
// refuse ±3.5 % — 10 Hz against 24 Hz at 697 Hz, closer than any block short enough for 40 ms
// digits can resolve by magnitude. So the magnitude (a DFT at each of the 8 exact frequencies over
// a 106-sample window, hop 53: 13.25 ms every 6.625 ms) decides which tones are there, and the
// phase advance between the window's two halves measures how far off their frequency is
// (unambiguous to ±75 Hz, beyond the largest 3.5 % offset, 57 Hz at 1633 Hz). A window shows a
// digit when: the strongest row and column tone each reach min_level; the twist is within limits;
// each is `dominance` above the rest of its group; the two carry `min_tone_share` of the window's
// power (speech and noise spread theirs); and both frequencies are within `frequency_tolerance`.
// A digit begins after `on_windows` consecutive windows show it (4: 33 ms of windows, which every
// tone of 40 ms contains wherever it falls and no tone of 24 ms does) and ends after `off_windows`
// windows without it (every pause of 40 ms has 4 windows wholly inside it). Talk-off guard: the
// frequencies must hold still over the run (`max_drift`), which the harmonics of speech, gliding
// with its pitch, do not.
// Pure and deterministic: no clock (time is the count of samples fed), fixed memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>

namespace resproxy::media {

inline constexpr double kDtmfZeroDbm0Peak = 22827.0;  // 16-bit peak of a 0 dBm0 sine (G.711)
inline constexpr std::array<double, 4> kDtmfRowHz = {697, 770, 852, 941};         // low group
inline constexpr std::array<double, 4> kDtmfColumnHz = {1209, 1336, 1477, 1633};  // high group

// The two frequencies of `digit` (0-9 * # A-D, a-d too); nullopt for anything else.
struct DtmfFrequencies {
  double low_hz = 0;
  double high_hz = 0;
};
std::optional<DtmfFrequencies> dtmf_frequencies(char digit);

// The 16-bit peak amplitude of a sine at `dbm0`.
double dtmf_peak_of(double dbm0);

struct DtmfGeneratorConfig {
  double low_dbm0 = -10;   // per tone; -10 dBm0 is a peak of 7219, both together 14437 at most
  double high_dbm0 = -10;  // Q.23 lets the high group be up to a few dB hotter; equal here
  double frequency_factor = 1.0;  // 1.015: every frequency 1.5 % high (tests of the receiver)
};

// Plays one digit at a time; the phase of each tone runs on across calls of fill(), so a digit
// split over 20 ms frames is one continuous pair of sines.
class DtmfGenerator {
 public:
  explicit DtmfGenerator(const DtmfGeneratorConfig& config = {});

  // Starts `digit` from phase zero; false (and silence) if it is not a DTMF digit.
  bool start(char digit);
  void stop();
  [[nodiscard]] bool is_playing() const { return playing_; }
  // Writes the next samples of the digit, or zeros when none is playing.
  void fill(std::span<std::int16_t> out);

 private:
  DtmfGeneratorConfig config_;
  bool playing_ = false;
  double low_step_ = 0, high_step_ = 0;    // cycles per sample
  double low_phase_ = 0, high_phase_ = 0;  // cycles, in [0, 1)
  double low_peak_ = 0, high_peak_ = 0;
};

struct DtmfDetectorConfig {
  double min_level_dbm0 = -30;         // each tone at least this
  double normal_twist_db = 8;          // high group weaker than the low by at most this
  double reverse_twist_db = 4;         // high group stronger than the low by at most this
  // Over the other three tones of the same group. Not more: a tone 1.5 % off leaks into the
  // neighbouring frequency at about -10 dB in a window this short.
  double dominance_db = 6;
  double min_tone_share = 0.7;         // of the window's power in the two tones
  double frequency_tolerance = 0.025;  // between Q.24's must-accept 1.5 % and must-refuse 3.5 %
  // A key's oscillator holds its frequency; a harmonic of a gliding voice does not. A run of
  // windows whose measured frequency moves more than this (of the nominal) is not one digit.
  double max_drift = 0.02;
  int on_windows = 4;
  int off_windows = 4;
};

// A digit found in the audio: Began once it has lasted long enough, Ended once it has been absent
// long enough. Positions count samples fed to the detector since its construction.
struct DtmfToneEvent {
  enum class Kind : std::uint8_t { Began, Ended };
  Kind kind = Kind::Began;
  char digit = 0;
  std::uint64_t start = 0;  // the first sample of the first window that showed it
  std::uint64_t end = 0;    // Ended: one past the last window that showed it; Began: 0
  friend bool operator==(const DtmfToneEvent&, const DtmfToneEvent&) = default;
};

class DtmfDetector {
 public:
  static constexpr std::size_t kHalf = 53;  // samples; a window is two halves
  static constexpr std::size_t kWindow = 2 * kHalf;
  static constexpr std::size_t kMaxEvents = 16;  // not taken: the oldest are dropped

  explicit DtmfDetector(const DtmfDetectorConfig& config = {});

  void process(std::span<const std::int16_t> samples);
  [[nodiscard]] std::optional<DtmfToneEvent> next_event();  // oldest first
  [[nodiscard]] std::optional<char> current() const { return active_; }
  [[nodiscard]] std::uint64_t samples() const { return position_; }
  // What the last window showed (tests and diagnostics).
  [[nodiscard]] std::optional<char> last_window() const { return last_window_; }

 private:
  struct Half {  // one half-window: its DFT value at each frequency, referenced to its start
    std::array<double, 8> re{};
    std::array<double, 8> im{};
    double energy = 0;  // sum of squares
  };
  void end_half();
  struct Shown {  // a window's verdict: the digit and how far off its two tones are (Hz)
    char digit = 0;
    double low_offset = 0;
    double high_offset = 0;
  };
  [[nodiscard]] std::optional<Shown> decide(const Half& first, const Half& second) const;
  void on_window(std::optional<Shown> shown, std::uint64_t window_start);
  void push(const DtmfToneEvent& event);
  [[nodiscard]] bool is_candidate_due() const {
    return candidate_ && !candidate_reported_ && candidate_count_ >= config_.on_windows;
  }

  DtmfDetectorConfig config_;
  // per frequency: Goertzel coefficient 2cos(w), and cos/sin of w*(kHalf-1) and of w*kHalf
  std::array<double, 8> coefficient_{}, end_cos_{}, end_sin_{}, half_cos_{}, half_sin_{};
  double min_power_ = 0, normal_twist_ = 0, reverse_twist_ = 0, dominance_ = 0;
  // the half being filled: Goertzel states and its sum of squares
  std::array<double, 8> s1_{}, s2_{};
  double energy_ = 0;
  std::size_t filled_ = 0;
  std::optional<Half> previous_;
  std::uint64_t position_ = 0;
  // decisions
  std::optional<char> last_window_;
  std::optional<char> candidate_;
  int candidate_count_ = 0;
  std::uint64_t candidate_start_ = 0;
  Shown candidate_first_;  // the run's first window
  bool candidate_reported_ = false;
  std::optional<char> active_;
  std::uint64_t active_start_ = 0;
  std::uint64_t active_end_ = 0;
  int absent_ = 0;
  std::deque<DtmfToneEvent> events_;
};

}  // namespace resproxy::media
