#pragma once
// The emulated E1 / ISDN PRI card: one span of 30 B-channels (1-15, 17-31) and its D-channel,
// the user side of Q.931 (ITU-T Q.931 05/98; ETSI EN 300 403-1) behind the telephony-card
// interface of the gateway (proxy/gateway/card.h). Sans-I/O: fed with `now`, the gateway's
// CardCommands, the Q.931 octet strings the D-channel received and layer-1 alarms from the
// runtime; emits CardEvents and the Q.931 octet strings to transmit, and keeps one deadline.
//
// Q.921 (LAPD) is not emulated: the D-channel is taken as a reliable, ordered link that carries
// one Q.931 message per frame, and that is up exactly when layer 1 has no alarm.
//
// The card owns the call references (§4.3: it allocates those of its outgoing calls, 15 bits,
// flag 0 in its own messages), runs one UserCall (user_call.h) per call, dispatches received
// messages by call reference, answers messages for unknown call references (§5.8.3.2), owns the
// B-channels (channel selection §5.1.2 / §5.2.3, the collision rule of §5.7), handles RESTART
// both ways (§5.5), and clears every call on a layer-1 alarm. docs/gateway.md ("E1 / ISDN PRI")
// gives every decision and why.
//
// Events per call follow card.h: every call the gateway placed, and every call the card
// presented with IncomingCall, ends with exactly one CallReleased.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/pri/e1_interface.h"
#include "sim_hardware/pri/user_call.h"
#include "sim_hardware/q931/message.h"

namespace resproxy::pri {

using Frame = std::vector<std::uint8_t>;  // one Q.931 message: the information field of an I-frame

struct PriCardConfig {
  gateway::SpanId span = 1;
  std::string name = "e1-1";
  TimerValues timers;                       // the user-side call timers (Q.931 Table 9-2)
  Duration t316 = std::chrono::minutes{2};  // RESTART sent, no RESTART ACKNOWLEDGE yet (Table 9-1)
};

class PriCard {
 public:
  explicit PriCard(PriCardConfig config = {});

  [[nodiscard]] gateway::SpanInfo span_info() const;
  [[nodiscard]] gateway::Alarm alarm() const { return alarm_; }
  // Calls the card holds (any state but Null).
  [[nodiscard]] std::size_t call_count() const { return calls_.size(); }
  // No call holds the B-channel and no RESTART of it is outstanding.
  [[nodiscard]] bool is_channel_free(std::uint16_t channel) const;
  // The Q.931 state of a call (Null once it is over or for an unknown id).
  [[nodiscard]] q931::CallStateValue call_state(gateway::LineCallId call) const;

  // Inputs; `now` never decreases from one input to the next.
  // A command of the gateway. One on a call the card does not know (over, or never placed) is
  // ignored: its CallReleased has been or will be sent. SendDtmf and MediaBridge need no
  // signalling (DTMF is in-band on the B-channel, like the audio the runtime bridges): no-ops.
  void on_command(TimePoint now, const gateway::CardCommand& command);
  // One Q.931 message the D-channel received (from the wire: untrusted; never crashes).
  void on_frame(TimePoint now, std::span<const std::uint8_t> octets);
  // Layer 1 state from the runtime (LOS, AIS, RAI; None: the alarm cleared).
  void on_alarm(TimePoint now, gateway::Alarm alarm);
  // Fires what is due; call when now >= next_deadline().
  void on_deadline(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  // Outputs, drained after every input: frames to transmit in order, events for the gateway.
  [[nodiscard]] std::vector<Frame> take_frames();
  [[nodiscard]] std::vector<gateway::CardEvent> take_events();

 private:
  // A call reference as this card files it: its value and who allocated it (§4.3).
  struct CallKey {
    std::uint16_t value = 0;
    Origin origin = Origin::Outgoing;
    friend auto operator<=>(const CallKey&, const CallKey&) = default;
  };
  struct Call {
    Call(gateway::LineCallId call_id, UserCall call, std::optional<std::uint16_t> b_channel = {})
        : id(call_id), q931(std::move(call)), channel(b_channel) {}
    gateway::LineCallId id = 0;
    UserCall q931;
    std::optional<std::uint16_t> channel;  // the B-channel this call holds on the card
    // Overlap sending: digits the gateway gave before the network asked for them (U1).
    std::string pending_digits;
    bool pending_complete = false;
    bool overlap_ready = false;  // SETUP ACKNOWLEDGE received (U2)
  };
  struct PendingRestart {
    std::vector<std::uint16_t> channels;  // empty: the whole interface
    TimePoint deadline;                   // T316
  };

  [[nodiscard]] static CallKey key_of(const q931::CallReference& reference);
  [[nodiscard]] bool is_restarting(std::uint16_t channel) const;
  [[nodiscard]] std::optional<std::uint16_t> free_channel(bool highest) const;
  [[nodiscard]] gateway::Cause local_cause(std::uint8_t value) const;
  [[nodiscard]] Call* find(gateway::LineCallId id);

  void send(const q931::Message& message);
  void apply(TimePoint now, CallKey key, Output out);
  void bind_channel(TimePoint now, CallKey key, std::optional<std::uint8_t> channel);
  void finish(TimePoint now, CallKey key, gateway::Cause cause, bool restart_channel);
  void release_all(TimePoint now, const std::vector<std::uint16_t>& channels,
                   gateway::Cause cause);
  void start_restart(TimePoint now, std::vector<std::uint16_t> channels);

  void place_call(TimePoint now, const gateway::PlaceCall& command);
  void clear_call(TimePoint now, const gateway::ClearCall& command);
  void on_incoming_setup(TimePoint now, CallKey key, const q931::Message& setup);
  void on_global_message(TimePoint now, const q931::Message& message);
  void send_global_status(q931::CauseValue cause, std::uint8_t diagnostic);

  PriCardConfig config_;
  gateway::Alarm alarm_ = gateway::Alarm::None;
  std::map<CallKey, Call> calls_;  // ordered: timers fire in call reference order
  std::map<gateway::LineCallId, CallKey> by_id_;
  std::array<std::optional<CallKey>, kE1ChannelSlots> channel_owner_{};
  std::vector<PendingRestart> restarts_;
  std::uint16_t next_call_reference_ = 1;
  gateway::LineCallId next_incoming_id_ = 2;  // card.h: the card numbers its calls with even ids
  std::vector<Frame> frames_;
  std::vector<gateway::CardEvent> events_;
};

}  // namespace resproxy::pri
