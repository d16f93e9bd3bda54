#pragma once
// FxsLine: the exchange's end of one analogue line (its line circuit), sans-I/O on the core's
// clock — what an FXO port is plugged into. Small on purpose: the emulated exchange (numbering
// plan, subscribers, routing) drives it later through the same calls the tests make.
//
// Fed by the exchange (present_call, play_tone, far_party_answered, far_party_cleared,
// caller_abandoned, send_dtmf, set_battery) and by the office's line signals; emits line signals
// towards the office and FxsReports towards the exchange ("the line was seized", "it dialled
// these digits", "it answered", "it hung up", "it sent a DTMF digit").
//
// Timings (defaults; sources and choices in docs/gateway.md "FXO lines"):
//   - ringing in the configured cadence (UK double ring by default) until answered or abandoned;
//   - SIN 227 caller ID before the first ring: line reversal, >= 100 ms, Tone Alert Signal of
//     88-110 ms, >= 45 ms, the FSK burst (its bits at 1200 bit/s), >= 200 ms, normal polarity and
//     ringing;
//   - Bellcore (GR-30) caller ID in the first long silent interval: >= 500 ms after the ring,
//     ending >= 200 ms before the next (the next ring waits if a long message would not fit);
//   - dial tone a delay after seizure; DTMF digits collected when their tone lasts >= 40 ms
//     (ITU-T Q.24's must-accept duration), the number complete after an inter-digit timeout;
//   - polarity reversal on answer when configured; on the far party's clear, normal polarity,
//     a loop-current interruption (battery removed for the open switching interval) when
//     configured, then the configured tone until the line hangs up;
//   - the line's hang-up recognised after the loop stays open for `clear_recognition`; a shorter
//     break (a hook flash) is ignored.
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/base/timer_heap.h"
#include "sim_hardware/fxo/caller_id.h"
#include "sim_hardware/fxo/dtmf_sender.h"
#include "sim_hardware/fxo/line_profile.h"
#include "sim_hardware/fxo/line_signal.h"

namespace resproxy::fxo {

struct FxsConfig {
  RingCadence cadence = uk_ring_cadence();
  // How caller ID is sent when present_call gives one; nullopt: never (the line has no CLIP).
  std::optional<CallerIdStandard> caller_id = CallerIdStandard::Sin227;
  // nullopt: the standard's (sin227_framing / bellcore_framing).
  std::optional<FskFraming> framing;
  // SIN 227 idle-state sequence.
  Duration reversal_to_alert = std::chrono::milliseconds(200);  // SIN 227: >= 100 ms
  Duration alert_duration = std::chrono::milliseconds(100);     // SIN 227: 88-110 ms
  Duration alert_to_data = std::chrono::milliseconds(100);      // SIN 227: >= 45 ms
  Duration data_to_ringing = std::chrono::milliseconds(250);    // SIN 227: >= 200 ms
  // Bellcore: data in the first long silent interval.
  Duration ring_to_data = std::chrono::milliseconds(600);       // GR-30: >= 500 ms
  Duration data_to_next_ring = std::chrono::milliseconds(200);  // GR-30: >= 200 ms
  // Calls from the line.
  bool gives_dial_tone = true;  // false: a faulty or overloaded line circuit (no register free)
  Duration dial_tone_delay = std::chrono::milliseconds(300);
  Duration dtmf_min_on = std::chrono::milliseconds(40);
  Duration first_digit_timeout = std::chrono::seconds(10);  // then NU tone
  Duration inter_digit_timeout = std::chrono::seconds(4);
  std::size_t digits_complete_at = 0;  // 0: only the inter-digit timeout ends the number
  // A fixed number length per prefix (the exchange's numbering plan: "999" → 3, "01" → 11):
  // the number is complete when this many digits came. The longest matching prefix counts and
  // wins over digits_complete_at; no match: digits_complete_at, then the inter-digit timeout.
  struct NumberLength {
    std::string prefix;
    std::size_t length = 0;
  };
  std::vector<NumberLength> number_lengths;
  bool answer_reversal = true;         // reverse polarity when the called party answers
  // Clearing by the far party.
  bool clear_by_loop_interruption = true;
  Duration open_switch_interval = std::chrono::milliseconds(300);
  Tone tone_after_clear = Tone::Busy;
  // The line's own clear.
  Duration clear_recognition = std::chrono::milliseconds(500);
  // The far party's DTMF.
  Duration dtmf_on = std::chrono::milliseconds(100);
  Duration dtmf_off = std::chrono::milliseconds(100);
};

// --- Reports to the exchange ---
struct LineSeized {};  // the line went off hook to make a call (dial tone follows)
struct DigitsDialled {
  std::string digits;
  friend bool operator==(const DigitsDialled&, const DigitsDialled&) = default;
};
struct LineAnswered {};  // the presented call was answered (ring trip)
struct LineCleared {};   // the line hung up (or died) with a call or an attempt on it
struct DtmfFromLine {
  char digit = '0';
  friend bool operator==(const DtmfFromLine&, const DtmfFromLine&) = default;
};
using FxsReport = std::variant<LineSeized, DigitsDialled, LineAnswered, LineCleared, DtmfFromLine>;

enum class FxsState : std::uint8_t {
  Idle,          // on hook, nothing presented
  Presenting,    // caller-ID signalling and/or ringing
  ConnectedIn,   // a presented call, answered
  DialTone,      // off hook for a new call, no digit yet
  Collecting,    // digits arriving
  Routing,       // the number is complete; the exchange plays what it decided
  ConnectedOut,  // the called party answered
  FarCleared,    // the far party cleared; waiting for the line to hang up
  Down,          // no battery (a line fault)
};
[[nodiscard]] std::string_view to_string(FxsState state);

enum class PresentResult : std::uint8_t {
  Presenting,       // caller ID and/or ringing started
  Busy,             // the line is off hook or already has a call: the exchange gives busy
  LineDown,         // no battery
  InvalidCallerId,  // the message cannot be encoded in the line's standard; nothing started
};

class FxsLine {
 public:
  explicit FxsLine(FxsConfig config);
  FxsLine(const FxsLine&) = delete;
  FxsLine& operator=(const FxsLine&) = delete;

  // Powers the line: battery present (the office learns the line is alive).
  void start(TimePoint now);

  // --- The exchange ---
  PresentResult present_call(TimePoint now, const std::optional<CallerIdMessage>& caller_id);
  // The caller of a presented, unanswered call gave up: ringing stops, polarity returns.
  void caller_abandoned(TimePoint now);
  // The audio the exchange puts on an off-hook line (ringback, busy, NU, congestion, speech).
  void play_tone(TimePoint now, Tone tone);
  // The party this line called answered.
  void far_party_answered(TimePoint now);
  // The other party of a connected call (or the network, for an attempt) cleared.
  void far_party_cleared(TimePoint now);
  void send_dtmf(TimePoint now, char digit);
  // A line fault (false) and its repair (true).
  void set_battery(TimePoint now, bool present);

  // --- The office ---
  void on_line_signal(TimePoint now, const LineSignal& signal);
  void on_deadline(TimePoint now);

  [[nodiscard]] std::optional<LineSignal> next_line_signal();
  [[nodiscard]] std::optional<FxsReport> next_report();
  [[nodiscard]] std::optional<TimePoint> next_deadline() const { return timers_.next_deadline(); }

  [[nodiscard]] FxsState state() const { return state_; }
  [[nodiscard]] bool loop_closed() const { return loop_closed_; }
  [[nodiscard]] Tone tone() const { return tone_; }
  [[nodiscard]] bool caller_id_load_applied() const { return load_applied_; }
  [[nodiscard]] const FxsConfig& config() const { return config_; }

 private:
  void emit(const LineSignal& signal) { out_.push_back(signal); }
  void set_tone(Tone tone);
  void set_polarity(bool reversed);
  void set_ringing(bool on);
  void stop_presenting();
  void start_cadence(TimePoint now);
  void cadence_step(TimePoint now);
  void on_loop(TimePoint now, bool closed);
  void on_digit(TimePoint now, char digit);
  void number_complete();
  [[nodiscard]] std::size_t complete_length() const;
  void cleared(TimePoint now);
  [[nodiscard]] bool off_hook_state() const;

  FxsConfig config_;
  TimerHeap timers_;
  DtmfSender dtmf_out_;
  std::deque<LineSignal> out_;
  std::deque<FxsReport> reports_;

  FxsState state_ = FxsState::Idle;
  bool battery_ = false;
  bool loop_closed_ = false;
  bool reversed_ = false;
  bool ringing_ = false;
  bool load_applied_ = false;
  Tone tone_ = Tone::Silence;

  // Presentation.
  std::optional<std::vector<std::uint8_t>> pending_data_;  // Bellcore: sent after the first cycle
  std::size_t cadence_index_ = 0;
  bool first_cycle_ = true;
  TimerId sequence_timer_;  // the SIN 227 steps, then the cadence
  TimerId data_timer_;      // the Bellcore burst

  // Digits from the line.
  std::string digits_;
  std::optional<char> dtmf_in_;
  TimePoint dtmf_in_since_{};
  TimerId dial_tone_timer_;
  TimerId digit_timer_;

  // Clearing.
  TimerId osi_timer_;
  TimerId clear_timer_;
};

}  // namespace resproxy::fxo
