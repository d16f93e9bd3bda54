#pragma once
// The analogue line between an FXO port (the office's end: a telephone's place) and the line
// circuit of the exchange (the FXS end), modelled at signal level: every change of a line
// condition is one LineSignal value, stamped by whoever carries it with the `now` at which it
// happened. Each end keeps the levels it was told last (hook state, battery, ringing voltage,
// polarity, the audio on the line); durations — a ring burst, a DTMF tone, a loop-current
// interruption — are the times between an `on` and an `off` signal, so a receiver measures them
// exactly as a real detector would time an edge.
//
// Audio is described, not sampled: `Tone` names what a call-progress detector would recognise
// (dial tone, ringback, busy, ...). The caller-ID FSK burst is `Tone::Fsk` for its duration and
// ends with CallerIdData, the octets a V.23 / Bell 202 demodulator would have delivered by then
// (audio-level FSK, e.g. with spandsp, is out of scope for now: docs/gateway.md "FXO lines").
//
// Direction is fixed by kind: LoopState and CallerIdLoad travel from the office to the exchange;
// BatteryState, RingingVoltage, LinePolarity, LineTone and CallerIdData from the exchange to the
// office; DtmfTone both ways.
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace resproxy::fxo {

// What is audible on the line towards the office (the exchange's tones and the far party).
enum class Tone : std::uint8_t {
  Silence,
  DialTone,            // proceed to dial
  Ringback,            // the called party is being rung
  Busy,                // the called party is busy; also the clear signal some exchanges give
  Congestion,          // no route / equipment busy
  NumberUnobtainable,  // no such number (UK "NU tone"; North America: intercept)
  Speech,              // a party is connected: a person, a machine or an announcement
  ToneAlert,           // SIN 227 idle-state Tone Alert Signal (2130 Hz + 2750 Hz)
  Fsk,                 // a caller-ID data burst (V.23 or Bell 202 at 1200 bit/s)
};
[[nodiscard]] std::string_view to_string(Tone tone);

// --- office → exchange ---
// The hook switch: closed (off hook) draws loop current; open (on hook) does not.
struct LoopState {
  bool closed = false;
  friend bool operator==(const LoopState&, const LoopState&) = default;
};
// SIN 227: while on hook, the terminal answers the Tone Alert Signal with a DC wetting load and an
// AC load for the duration of the FSK data (far below the current of a loop closure: no seizure).
struct CallerIdLoad {
  bool applied = false;
  friend bool operator==(const CallerIdLoad&, const CallerIdLoad&) = default;
};

// --- exchange → office ---
// The line feed. Absent for long: a dead line; absent briefly while off hook: a loop-current
// interruption (the exchange's clear signal, an "open switching interval").
struct BatteryState {
  bool present = true;
  friend bool operator==(const BatteryState&, const BatteryState&) = default;
};
// Ringing voltage on the line (the exchange times the cadence).
struct RingingVoltage {
  bool on = false;
  friend bool operator==(const RingingVoltage&, const RingingVoltage&) = default;
};
// Line polarity (a-b wires). Reversed: answer supervision on an outgoing call, or the start of
// SIN 227 caller-ID signalling on an idle line.
struct LinePolarity {
  bool reversed = false;
  friend bool operator==(const LinePolarity&, const LinePolarity&) = default;
};
// The audio state from now on, until the next LineTone.
struct LineTone {
  Tone tone = Tone::Silence;
  friend bool operator==(const LineTone&, const LineTone&) = default;
};
// The end of an FSK burst: its message octets (message type … checksum), as demodulated.
struct CallerIdData {
  std::vector<std::uint8_t> octets;
  friend bool operator==(const CallerIdData&, const CallerIdData&) = default;
};

// --- both ways ---
// A DTMF tone burst starts (on) or ends (off); `digit` is one of 0-9 * # A-D.
struct DtmfTone {
  char digit = '0';
  bool on = false;
  friend bool operator==(const DtmfTone&, const DtmfTone&) = default;
};

using LineSignal = std::variant<LoopState, CallerIdLoad, BatteryState, RingingVoltage,
                                LinePolarity, LineTone, CallerIdData, DtmfTone>;

// "loop closed", "ringing off", "tone busy", "dtmf 5 on", ... for traces and test messages.
[[nodiscard]] std::string describe(const LineSignal& signal);

}  // namespace resproxy::fxo
