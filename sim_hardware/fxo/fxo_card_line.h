#pragma once
// FxoCard's per-line state (internal to fxo_card*.cpp).
#include <optional>
#include <string>

#include "sim_hardware/fxo/fxo_card.h"

namespace resproxy::fxo {

enum class FxoCard::State : std::uint8_t {
  Idle,            // on hook, nothing going on
  CallerId,        // on hook, SIN 227 signalling seen (reversal, alert, data), no ring yet
  Ringing,         // on hook, ringing validated (the call may or may not be presented yet)
  Seizing,         // off hook for PlaceCall, waiting for dial tone
  Dialling,        // sending the digits
  AwaitingAnswer,  // digits sent, supervising
  Connected,       // answered, either way
  Disconnected,    // off hook, the far end cleared: waiting for ClearCall
  Releasing,       // on hook, the guard time before the line can be used again
};

enum class CallerIdPhase : std::uint8_t { None, AwaitAlert, AwaitData, Received };

struct FxoCard::Line {
  Line(FxoCard& card, std::uint16_t line_number)
      : number(line_number),
        dtmf(
            card.timers_, [&card, this](TimePoint, const LineSignal& s) { card.emit(*this, s); },
            [&card, this](TimePoint t) { card.dtmf_idle(t, *this); }) {}
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  std::uint16_t number;
  State state = State::Idle;

  // What the line shows us (exchange → office levels) and what we put on it.
  bool battery = false;  // unknown until the exchange's BatteryState: assume none
  bool dead = false;
  bool reversed = false;
  bool ringing = false;
  Tone tone = Tone::Silence;
  TimePoint tone_since{};
  bool loop_closed = false;
  bool load = false;

  // The call on the line.
  gateway::LineCallId call = 0;
  bool incoming = false;
  bool presented = false;  // IncomingCall sent
  bool rejected = false;   // ClearCall before answer: released once the ringing stops
  bool alerted = false;    // CallAlerting sent
  std::optional<gateway::Cause> first_cause;

  // Ringing.
  TimePoint ring_on_since{};
  TimePoint last_ring_end{};
  unsigned cycles = 0;

  // Caller ID.
  CallerIdPhase phase = CallerIdPhase::None;
  TimePoint alert_since{};
  std::optional<CallerIdMessage> caller_id;
  bool caller_id_failed = false;

  // Outgoing.
  std::string to_dial;
  bool dial_complete = true;
  bool reversal_seen = false;
  DtmfSender dtmf;

  // DTMF from the exchange.
  std::optional<char> dtmf_in;
  TimePoint dtmf_in_since{};

  TimerId ring_validate;
  TimerId ring_stop;
  TimerId caller_id_timer;
  TimerId load_timer;
  TimerId seize_timer;
  TimerId dial_tone_timer;
  TimerId tone_timer;
  TimerId answer_timer;
  TimerId interruption_timer;
  TimerId dead_timer;
  TimerId guard_timer;
};

}  // namespace resproxy::fxo
