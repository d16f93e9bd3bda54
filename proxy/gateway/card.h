#pragma once
// The telephony-card interface: what a card (an E1/ISDN PRI span, analogue FXO lines) offers the
// gateway, and the one seam between the gateway's core logic and telephony hardware — emulated
// (sim_hardware/) or real (a driver over DAHDI or a vendor API; docs/gateway.md says what such a
// driver must do).
//
// Sans-I/O like the rest of the core: the gateway asks with CardCommand values (effects) and
// learns with CardEvent values (completions through Node::on_completion). Audio never travels this
// way: the gateway bridges a channel to an RTP endpoint (MediaBridge), the runtime moves the
// 20 ms G.711 frames both ways and reports back through events.
//
// Calls are named by LineCallId. The gateway numbers the calls it places (odd ids); a card numbers
// the calls it presents (even ids), so both can create ids without asking each other. Every call
// ends with exactly one CallReleased, whoever cleared it: only then is its channel free again.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/gateway/cause_map.h"

namespace resproxy::gateway {

using SpanId = std::uint16_t;  // a card port: one E1 span, or one group of analogue lines

// One bearer: an E1 B-channel (1..31, not 16) or an analogue line (its number on the span, 1..).
struct ChannelId {
  SpanId span = 0;
  std::uint16_t channel = 0;
  friend bool operator==(const ChannelId&, const ChannelId&) = default;
  friend auto operator<=>(const ChannelId&, const ChannelId&) = default;
};

using LineCallId = std::uint64_t;

enum class SpanKind : std::uint8_t { E1Pri, Fxo };

// What a span is, as the card reports it at start-up.
struct SpanInfo {
  SpanId span = 0;
  SpanKind kind = SpanKind::E1Pri;
  std::string name;                       // e.g. "e1-1", "fxo-1"
  std::vector<std::uint16_t> channels;    // usable bearers (E1: 1..15, 17..31)
  bool overlap_receiving = false;         // incoming numbers may come digit by digit (INFORMATION)
};

// Numbers as Q.931 / the line give them: digits (0-9 * #), their type of number, and whether
// the caller asked that theirs not be shown (Q.931 presentation indicator; FXO caller ID "P").
enum class NumberType : std::uint8_t { Unknown, International, National, Subscriber };
struct PartyNumber {
  std::string digits;
  NumberType type = NumberType::Unknown;
  bool restricted = false;  // presentation restricted
  bool available = true;    // false: no number at all (FXO without caller ID, "O" out of area)
  friend bool operator==(const PartyNumber&, const PartyNumber&) = default;
};

enum class Alarm : std::uint8_t {
  None,  // layer 1 up, no alarm: the span carries calls
  Los,   // loss of signal (red)
  Ais,   // alarm indication signal: all ones from the far end (blue)
  Rai,   // remote alarm indication: the far end lost us (yellow)
  LineDead,  // FXO: no battery on the line
};

// --- Gateway → card (effects) ---

// Seize `channel` and set up a call to `called`. The card answers with CallProceeding /
// Alerting / Progress / Answered, or CallReleased with the network's cause (glare: 44 or 34).
// On an E1 span, channel 0 asks the network to choose any free B-channel (Q.931 "any channel").
struct PlaceCall {
  LineCallId call = 0;
  ChannelId channel;
  PartyNumber called;
  PartyNumber calling;
  bool sending_complete = true;  // false: more digits follow in SendDigits (overlap sending)
};
struct SendDigits {
  LineCallId call = 0;
  std::string digits;
  bool complete = false;
};
// Answers to a call the card presented.
struct AcceptCall {            // Q.931 CALL PROCEEDING: the number is complete, no more digits
  LineCallId call = 0;
};
struct AlertCall {             // ALERTING (with in-band ringback when inband)
  LineCallId call = 0;
  bool inband = false;
};
struct ProgressCall {          // PROGRESS: in-band information (early media) is available
  LineCallId call = 0;
};
struct AnswerCall {            // CONNECT
  LineCallId call = 0;
};
// Clear a call in any state with `cause`; the card answers CallReleased when the channel is free.
struct ClearCall {
  LineCallId call = 0;
  std::uint8_t cause = cause::kNormalClearing;
};
struct SendDtmf {
  LineCallId call = 0;
  char digit = '0';
  std::uint16_t duration_ms = 100;
};
// Connect a call's channel to an RTP endpoint of the runtime (the gateway's own media port), or
// disconnect it (rtp_port 0). The runtime moves the frames and reports MediaReport events.
struct MediaBridge {
  LineCallId call = 0;
  std::uint16_t rtp_port = 0;
  std::string remote_ip;
  std::uint16_t remote_port = 0;
  std::uint8_t payload_type = 8;  // 8 PCMA (Europe's E1), 0 PCMU
  // RFC 4733 telephone-event as negotiated (a=rtpmap:N telephone-event/8000): the runtime turns
  // its events into DTMF tones on the line and the line's tones into events. None: DTMF stays in
  // the audio, untouched.
  std::optional<std::uint8_t> telephone_event = std::nullopt;
  // The payload type the peer sends its events with, when it differs from telephone_event: we
  // offered one number and the answer mapped telephone-event to another. RFC 3264 §5.1: a
  // payload type in an SDP says what its writer expects to receive, so each side sends with the
  // other's number — ours (the offer's) comes in, the answer's goes out. None: the same number.
  std::optional<std::uint8_t> telephone_event_rx = std::nullopt;
};

using CardCommand = std::variant<PlaceCall, SendDigits, AcceptCall, AlertCall, ProgressCall,
                                 AnswerCall, ClearCall, SendDtmf, MediaBridge>;

// --- Card → gateway (completions) ---

struct IncomingCall {
  LineCallId call = 0;
  ChannelId channel;
  PartyNumber called;   // FXO: empty (no DDI); the line's configured destination applies
  PartyNumber calling;
  bool complete = true;  // false: more digits may follow (DigitsReceived)
};
struct DigitsReceived {
  LineCallId call = 0;
  std::string digits;
  bool complete = false;
};
struct CallProceeding {
  LineCallId call = 0;
};
struct CallAlerting {
  LineCallId call = 0;
  bool inband = false;  // ringback or an announcement is on the channel
};
struct CallProgress {
  LineCallId call = 0;
  bool inband = false;
};
struct CallAnswered {
  LineCallId call = 0;
};
// The far end cleared (DISCONNECT; FXO: loop current interrupted or busy tone). When inband is
// set an announcement is on the channel and the gateway may keep it a while before ClearCall.
struct CallDisconnected {
  LineCallId call = 0;
  Cause cause;
  bool inband = false;
};
// The call is over and its channel free (RELEASE / RELEASE COMPLETE; FXO: on hook).
struct CallReleased {
  LineCallId call = 0;
  Cause cause;
};
struct DtmfReceived {
  LineCallId call = 0;
  char digit = '0';
};
struct SpanState {
  SpanId span = 0;
  Alarm alarm = Alarm::None;
};
struct ChannelsRestarted {  // RESTART from the network: every call on these channels is gone
  SpanId span = 0;
  std::vector<std::uint16_t> channels;  // empty: the whole span
};

using CardEvent = std::variant<IncomingCall, DigitsReceived, CallProceeding, CallAlerting,
                               CallProgress, CallAnswered, CallDisconnected, CallReleased,
                               DtmfReceived, SpanState, ChannelsRestarted>;

// The runtime contract carries card traffic per span: cards number the calls they present
// independently (2, 4, ...), so a call is named by (span, LineCallId).
struct ToCard {        // an effect: a command for the card serving `span`
  SpanId span = 0;
  CardCommand command;
};
struct FromCard {      // a completion: an event of the card serving `span`
  SpanId span = 0;
  CardEvent event;
};

// What a runtime that hosts no card for `command.span` answers (proxy/base/node.h): a call it
// was asked to place is released at once with 38 (network out of order, from the private
// network serving us: the gateway re-presents it like any span that is down); every other
// command concerns a call that cannot exist, and gets nothing.
[[nodiscard]] inline std::optional<FromCard> no_card_answer(const ToCard& command) {
  if (const auto* place = std::get_if<PlaceCall>(&command.command)) {
    return FromCard{.span = command.span,
                    .event = CallReleased{.call = place->call,
                                          .cause = {.value = cause::kNetworkOutOfOrder,
                                                    .location = CauseLocation::PrivateLocal}}};
  }
  return std::nullopt;
}

}  // namespace resproxy::gateway
