#pragma once
// FxoCard: an emulated analogue FXO card — one span of loop-start lines, each plugged into an
// exchange's line circuit (FxsLine, or a real line behind a real driver) — behind the
// telephony-card interface of proxy/gateway/card.h. Sans-I/O on the core's clock, like a Node:
// inputs carry `now` and first run the timers due by then; outputs are drained after every
// input (CardEvents for the gateway, line signals for the lines) and one next deadline.
//
// Incoming: ringing is validated (a burst shorter than `min_ring_burst` is not a ring; bursts
// closer than the cadence's cycle gap are one ring), caller ID decoded (SIN 227 before the first
// ring — the card applies and removes its CallerIdLoad on SIN 227's timing —, Bellcore between
// the first and second), and the call is presented as IncomingCall (called empty: an FXO line
// has no DDI, the gateway applies the line's configured destination) once the caller ID came
// or after `rings_without_caller_id` rings. AnswerCall closes the loop. The caller giving up
// (no ring for `ring_off_timeout`) releases the call with cause 16.
//
// Outgoing: PlaceCall seizes the line, waits for dial tone (none within `dial_tone_timeout`:
// cause 34; no battery: 38 at once), dials the digits as DTMF (100 ms on / 100 ms off), then
// supervises: a polarity reversal answers (or, on lines without one, the configured
// AnswerSupervision), ringback alerts, busy / NU / congestion tone recognised for
// `progress_tone_recognition` disconnects with 17 / 1 / 34.
//
// Both ways, once answered: a loop-current interruption of >= `loop_interruption_min`, or busy
// (cause 16) / congestion or NU (cause 31) tone lasting `clear_tone_recognition`, or (reversal
// supervision) the polarity returning to normal is the far end's clear: CallDisconnected.
// ClearCall opens the loop; CallReleased follows `release_guard` later, with the first cause of
// the clearing. Glare (a PlaceCall on a line being rung, or a seizure answered by ring trip):
// incoming wins, PlaceCall fails with 44. A line without battery for `line_dead_after` is dead;
// the span's alarm is LineDead while every line is dead.
//
// Every choice and its reason: docs/gateway.md "FXO lines".
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/fxo/caller_id.h"
#include "sim_hardware/fxo/dtmf_sender.h"
#include "sim_hardware/fxo/line_profile.h"
#include "sim_hardware/fxo/line_signal.h"

namespace resproxy::fxo {

// How an outgoing call is known to be answered.
enum class AnswerSupervision : std::uint8_t {
  PolarityReversal,  // the exchange reverses the line when the called party answers
  AfterDialling,     // no supervision: "answered" when the last digit has been sent
  AfterDelay,        // no supervision: "answered" `answer_delay` after the last digit, unless a
                     // busy / NU / congestion tone was recognised first
};
[[nodiscard]] std::string_view to_string(AnswerSupervision supervision);

// What the lines of one span have in common (one exchange, one country).
struct FxoLineProfile {
  RingCadence cadence = uk_ring_cadence();
  std::optional<CallerIdStandard> caller_id = CallerIdStandard::Sin227;  // nullopt: no CLIP
  AnswerSupervision answer = AnswerSupervision::PolarityReversal;
  // Rings before a call without caller ID is presented; 0: the standard's (SIN 227: 1 — its
  // data comes before the first ring; Bellcore: 2 — its data comes after the first; none: 1).
  std::uint8_t rings_without_caller_id = 0;
};

struct FxoTimings {
  // Ringing.
  Duration min_ring_burst = std::chrono::milliseconds(125);
  Duration ring_off_timeout{};  // zero: 1.5 x the cadence's longest off-time (UK 3 s, US 6 s)
  // SIN 227 caller ID (on hook).
  Duration alert_wait = std::chrono::seconds(1);         // reversal -> Tone Alert Signal
  Duration alert_min = std::chrono::milliseconds(20);    // SIN 227: look for >= 20 ms of it
  Duration load_apply = std::chrono::milliseconds(20);   // SIN 227: 15-25 ms after its end
  Duration load_remove = std::chrono::milliseconds(100);  // SIN 227: 50-150 ms after the data
  Duration data_wait = std::chrono::milliseconds(500);   // Tone Alert Signal end -> FSK start
  Duration data_max = std::chrono::seconds(3);           // FSK start -> data (255 octets: 2.5 s)
  // Outgoing.
  Duration dial_tone_recognition = std::chrono::milliseconds(200);
  Duration dial_tone_timeout = std::chrono::seconds(3);
  Duration dtmf_on = std::chrono::milliseconds(100);
  Duration dtmf_off = std::chrono::milliseconds(100);
  Duration answer_delay = std::chrono::seconds(8);  // AnswerSupervision::AfterDelay
  Duration progress_tone_recognition = std::chrono::milliseconds(1500);
  // Calls, both ways.
  Duration dtmf_min_on = std::chrono::milliseconds(40);  // ITU-T Q.24
  Duration clear_tone_recognition = std::chrono::seconds(4);
  Duration loop_interruption_min = std::chrono::milliseconds(90);
  Duration release_guard = std::chrono::seconds(1);
  // The line.
  Duration line_dead_after = std::chrono::seconds(2);
};

struct FxoCardConfig {
  gateway::SpanId span = 1;
  std::string name = "fxo-1";
  std::uint16_t lines = 1;  // channels 1..lines
  FxoLineProfile profile{};
  FxoTimings timings{};
};

// A line signal the card puts on one of its lines.
struct FxoLineSignal {
  std::uint16_t line = 0;
  LineSignal signal;
};

// Alert-worthy happenings, also traced.
struct FxoCounters {
  std::uint64_t rings_rejected = 0;      // bursts shorter than min_ring_burst
  std::uint64_t caller_id_errors = 0;    // data that did not decode
  std::uint64_t glare = 0;               // PlaceCall lost to an incoming call
  std::uint64_t dial_tone_timeouts = 0;
};

class FxoCard {
 public:
  FxoCard(FxoCardConfig config, TraceSink& trace);
  ~FxoCard();
  FxoCard(const FxoCard&) = delete;
  FxoCard& operator=(const FxoCard&) = delete;

  [[nodiscard]] gateway::SpanInfo span_info() const;
  // The card powers up: lines whose battery it has not seen within line_dead_after are dead.
  void start(TimePoint now);

  // Inputs.
  void on_command(TimePoint now, const gateway::CardCommand& command);
  void on_line_signal(TimePoint now, std::uint16_t line, const LineSignal& signal);
  void on_deadline(TimePoint now);

  // Outputs.
  [[nodiscard]] std::optional<gateway::CardEvent> next_event();
  [[nodiscard]] std::optional<FxoLineSignal> next_line_signal();
  [[nodiscard]] std::optional<TimePoint> next_deadline() const { return timers_.next_deadline(); }

  [[nodiscard]] gateway::Alarm alarm() const { return alarm_; }
  [[nodiscard]] const FxoCounters& counters() const { return counters_; }

 private:
  struct Line;
  enum class State : std::uint8_t;

  // fxo_card.cpp: commands, outputs, the line's levels, clearing, alarms.
  Line* line_for_call(gateway::LineCallId call);
  void on_place_call(TimePoint now, const gateway::PlaceCall& command);
  void on_clear_call(TimePoint now, const gateway::ClearCall& command);
  void on_battery(TimePoint now, Line& line, bool present);
  void on_tone(TimePoint now, Line& line, Tone tone);
  void on_dtmf(TimePoint now, Line& line, const DtmfTone& tone);
  void emit(Line& line, const LineSignal& signal);
  void event(gateway::CardEvent event) { events_.push_back(std::move(event)); }
  void trace(TimePoint now, const Line& line, std::string name, std::string key = {},
             std::string value = {});
  void disconnect(TimePoint now, Line& line, gateway::Cause cause, bool inband);
  void go_on_hook(TimePoint now, Line& line, gateway::Cause cause);
  void release(Line& line, gateway::Cause cause);
  void reset_call(Line& line);
  void line_dead(TimePoint now, Line& line);
  void loop_interrupted(TimePoint now, Line& line);
  void update_alarm(TimePoint now);
  void arm_tone_timer(TimePoint now, Line& line);
  gateway::Cause card_cause(std::uint8_t value) const;
  gateway::Cause exchange_cause(std::uint8_t value) const;

  // fxo_card_incoming.cpp: ringing, caller ID, answering.
  void on_ringing(TimePoint now, Line& line, bool on);
  void ring_validated(TimePoint now, Line& line);
  void ringing_stopped(TimePoint now, Line& line);
  void on_polarity_on_hook(TimePoint now, Line& line, bool reversed);
  void on_tone_on_hook(TimePoint now, Line& line, Tone previous, Tone tone);
  void on_caller_id_data(TimePoint now, Line& line, const CallerIdData& data);
  void caller_id_over(TimePoint now, Line& line);
  void set_load(Line& line, bool applied);
  void maybe_present(TimePoint now, Line& line);
  void present(Line& line);
  void on_answer_call(TimePoint now, const gateway::AnswerCall& command);
  [[nodiscard]] gateway::PartyNumber calling_number(const Line& line) const;

  // fxo_card_outgoing.cpp: seizure, dialling, supervision.
  void seize(TimePoint now, Line& line, const gateway::PlaceCall& command);
  void start_dialling(TimePoint now, Line& line);
  void dial_more(TimePoint now, Line& line, const std::string& digits);
  void dtmf_idle(TimePoint now, Line& line);
  void dialling_done(TimePoint now, Line& line);
  void answered(TimePoint now, Line& line);
  void on_polarity_off_hook(TimePoint now, Line& line, bool reversed);
  void glare_by_ring_trip(TimePoint now, Line& line);
  void on_send_digits(TimePoint now, const gateway::SendDigits& command);
  void on_send_dtmf(TimePoint now, const gateway::SendDtmf& command);

  FxoCardConfig config_;
  TraceSink& trace_;
  TimerHeap timers_;
  std::vector<std::unique_ptr<Line>> lines_;
  std::deque<gateway::CardEvent> events_;
  std::deque<FxoLineSignal> signals_;
  gateway::Alarm alarm_ = gateway::Alarm::None;
  gateway::LineCallId last_call_ = 0;  // we number the calls we present: even ids
  FxoCounters counters_;
  Duration ring_off_timeout_{};
  std::uint8_t rings_without_caller_id_ = 1;
};

}  // namespace resproxy::fxo
