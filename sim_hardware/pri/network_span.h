#pragma once
// The network side of one E1 / ISDN PRI as the emulated PSTN exchange terminates it: the
// exchange's end of the office's PRI card (pri_card.h). It owns the network's call references
// and the B-channels on its side, runs one NetworkCall (network_call.h) per call, handles
// RESTART both ways (Q.931 §5.5) and layer-1 alarms, and gives the exchange a small interface
// in its own words: "the office dialled this number on channel N" (IncomingSetup) → the exchange
// proceeds, alerts, answers or clears it; "present a call to the office" (present_call) → the
// span chooses a channel (exclusive) and sends SETUP; the far party answers or clears.
// Sans-I/O; Q.921 simplified as for the card (a reliable, ordered D-channel).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/base/time.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/pri/e1_interface.h"
#include "sim_hardware/pri/network_call.h"
#include "sim_hardware/pri/pri_card.h"

namespace resproxy::pri {

using ExchangeCallId = std::uint64_t;  // the span numbers every call, both directions, from 1

// --- Span → exchange ---
// The office's SETUP, channel chosen: answer with proceed/alert/answer or clear it (§5.1).
struct IncomingSetup {
  ExchangeCallId call = 0;
  std::uint16_t channel = 0;
  gateway::PartyNumber called;
  gateway::PartyNumber calling;  // `restricted`: do not show it to the called party
};
struct OfficeProceeding {  // the office took a presented call (CALL PROCEEDING)
  ExchangeCallId call = 0;
};
struct OfficeAlerting {  // the office rings (ALERTING)
  ExchangeCallId call = 0;
  bool inband = false;
};
struct OfficeProgress {
  ExchangeCallId call = 0;
  bool inband = false;
};
struct OfficeAnswered {  // the office answered a presented call (CONNECT, acknowledged)
  ExchangeCallId call = 0;
};
// The office cleared the call (DISCONNECT): tell the far party now; CallEnded follows.
struct OfficeDisconnected {
  ExchangeCallId call = 0;
  gateway::Cause cause;
};
// The call is over and its channel free: exactly once per call, whoever cleared it.
struct CallEnded {
  ExchangeCallId call = 0;
  gateway::Cause cause;
};
// A RESTART completed, the office's (received) or ours (acknowledged): the calls on these
// channels are gone, the channels idle. Empty: the whole interface.
struct SpanRestarted {
  std::vector<std::uint16_t> channels;
  bool by_office = false;
};
using NetworkSpanEvent = std::variant<IncomingSetup, OfficeProceeding, OfficeAlerting,
                                      OfficeProgress, OfficeAnswered, OfficeDisconnected,
                                      CallEnded, SpanRestarted>;

struct NetworkSpanConfig {
  NetworkTimerValues timers;
  Duration t316 = std::chrono::minutes{2};
};

class NetworkSpan {
 public:
  explicit NetworkSpan(NetworkSpanConfig config = {});

  [[nodiscard]] gateway::Alarm alarm() const { return alarm_; }
  [[nodiscard]] std::size_t call_count() const { return calls_.size(); }
  [[nodiscard]] bool is_channel_free(std::uint16_t channel) const;
  [[nodiscard]] q931::CallStateValue call_state(ExchangeCallId call) const;
  [[nodiscard]] std::optional<std::uint16_t> channel_of(ExchangeCallId call) const;

  // The exchange's requests. false: no such call, or its state does not allow it (nothing
  // happened).
  // Offer a call to the office: SETUP on `channel` (exclusive), or on the highest free channel
  // (the office's gateway hunts from the lowest: they meet last). The error is the cause for the
  // caller: 38 (span in alarm), 34 (no channel free), 44 (`channel` busy or not a B-channel).
  [[nodiscard]] Result<ExchangeCallId, gateway::Cause> present_call(
      TimePoint now, const gateway::PartyNumber& calling, const gateway::PartyNumber& called,
      std::optional<std::uint16_t> channel = std::nullopt);
  // Answers to the office's SETUP (IncomingSetup).
  [[nodiscard]] bool proceed(TimePoint now, ExchangeCallId call);
  [[nodiscard]] bool alert(TimePoint now, ExchangeCallId call, bool inband);
  [[nodiscard]] bool progress(TimePoint now, ExchangeCallId call);
  [[nodiscard]] bool answer(TimePoint now, ExchangeCallId call);
  // Clear with `cause` (Q.850 value). Not yet answered (N1): RELEASE COMPLETE; otherwise
  // DISCONNECT, with Progress indicator 8 when `announcement` (the exchange plays one on the
  // channel, e.g. "number unobtainable"). CallEnded follows.
  [[nodiscard]] bool clear(TimePoint now, ExchangeCallId call, std::uint8_t cause,
                           bool announcement = false);
  // RESTART the channels (empty: the whole interface, §5.5.1); their calls end at once (41).
  void restart(TimePoint now, std::vector<std::uint16_t> channels);

  // Inputs from the line.
  void on_frame(TimePoint now, std::span<const std::uint8_t> octets);
  // Layer 1 on the exchange's side. In alarm every call ends (38) with no message; on recovery
  // the span waits for the office's RESTART (the user side restarts: docs/gateway.md).
  void on_alarm(TimePoint now, gateway::Alarm alarm);
  void on_deadline(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  [[nodiscard]] std::vector<Frame> take_frames();
  [[nodiscard]] std::vector<NetworkSpanEvent> take_events();

 private:
  struct CallKey {
    std::uint16_t value = 0;
    Origin origin = Origin::Outgoing;  // Outgoing: the network allocated it (a call to the office)
    friend auto operator<=>(const CallKey&, const CallKey&) = default;
  };
  struct Call {
    ExchangeCallId id = 0;
    NetworkCall q931;
    std::uint16_t channel = 0;
  };
  struct PendingRestart {
    std::vector<std::uint16_t> channels;
    TimePoint deadline;
  };

  [[nodiscard]] static CallKey key_of(const q931::CallReference& reference);
  [[nodiscard]] bool is_restarting(std::uint16_t channel) const;
  [[nodiscard]] std::optional<std::uint16_t> free_channel(bool highest) const;
  [[nodiscard]] Call* find(ExchangeCallId id);

  void send(const q931::Message& message);
  void apply(TimePoint now, CallKey key, NetworkOutput out);
  void finish(TimePoint now, CallKey key, gateway::Cause cause, bool restart_channel);
  void release_all(TimePoint now, const std::vector<std::uint16_t>& channels,
                   gateway::Cause cause);
  void on_office_setup(TimePoint now, CallKey key, const q931::Message& setup);
  void on_global_message(TimePoint now, const q931::Message& message);
  void send_global_status(q931::CauseValue cause, std::uint8_t diagnostic);

  NetworkSpanConfig config_;
  gateway::Alarm alarm_ = gateway::Alarm::None;
  std::map<CallKey, Call> calls_;
  std::map<ExchangeCallId, CallKey> by_id_;
  std::array<std::optional<CallKey>, kE1ChannelSlots> channel_owner_{};
  std::vector<PendingRestart> restarts_;
  std::uint16_t next_call_reference_ = 1;
  ExchangeCallId next_id_ = 1;
  std::vector<Frame> frames_;
  std::vector<NetworkSpanEvent> events_;
};

}  // namespace resproxy::pri
