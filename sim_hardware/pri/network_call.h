#pragma once
// The network side of Q.931 basic call control for one call on an ISDN PRI, the mirror of
// UserCall (user_call.h): ITU-T Q.931 §5.1 / §5.2 seen from the network, §5.3 clearing, §5.8
// error handling, the network-side SDL of Annex A. Sans-I/O: every input comes with `now`; the
// call answers with the Q.931 messages to send and indications for its owner (the emulated
// exchange's NetworkSpan), and keeps at most one timer, whose deadline() the owner feeds back
// through on_deadline().
//
// States (§2.1.2; call state values as on the user side): N0 Null, N1 Call initiated (the user's
// SETUP arrived), N3 Outgoing call proceeding, N4 Call delivered, N6 Call present (our SETUP
// sent), N7 Call received, N9 Incoming call proceeding, N10 Active, N12 Disconnect indication
// (our DISCONNECT sent), N19 Release request. N8 (Connect request) and N11 (Disconnect request)
// are passed through at once: CONNECT is acknowledged, DISCONNECT answered with RELEASE, in the
// same step. Overlap sending and receiving (N2, N25), suspend/resume are not emulated: the
// user's SETUP is taken en bloc.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "proxy/base/time.h"
#include "sim_hardware/pri/user_call.h"
#include "sim_hardware/q931/message.h"

namespace resproxy::pri {

// The network-side timers (Q.931 §9.1, Table 9-1) a call runs, one at a time.
enum class NetworkTimer : std::uint8_t {
  T303,  // SETUP sent to the user (N6): waiting for its first answer
  T305,  // DISCONNECT sent without in-band information (N12): waiting for RELEASE
  T306,  // DISCONNECT sent with an announcement (Progress indicator 8, N12): waiting for RELEASE
  T308,  // RELEASE sent (N19): waiting for RELEASE COMPLETE
  T310,  // CALL PROCEEDING received (N9): waiting for ALERTING, CONNECT or DISCONNECT
};
[[nodiscard]] std::string_view to_string(NetworkTimer timer);

// Q.931 Table 9-1 defaults (network side, from memory where the table gives a range).
struct NetworkTimerValues {
  Duration t303 = std::chrono::seconds{4};
  Duration t305 = std::chrono::seconds{30};
  Duration t306 = std::chrono::seconds{30};
  Duration t308 = std::chrono::seconds{4};
  Duration t310 = std::chrono::seconds{10};
};

enum class NetworkIndicationKind : std::uint8_t {
  Setup,         // the user's SETUP arrived (N1): proceed, alert, connect or refuse it
  Proceeding,    // the user's CALL PROCEEDING to our SETUP (N9)
  Alerting,      // the user's ALERTING (N7)
  Progress,      // the user's PROGRESS
  Connected,     // the user's CONNECT, acknowledged: the call is active (N10)
  Disconnected,  // the user cleared (DISCONNECT; RELEASE sent back)
  Released,      // the call is over (N0): its call reference and B-channel are free
};

struct NetworkIndication {
  NetworkIndicationKind kind = NetworkIndicationKind::Released;
  std::optional<q931::Cause> cause;  // Disconnected, Released: for the exchange (the far party)
  bool in_band = false;              // Progress indicator 8 in the user's message
  // Released after the second expiry of T308 (§5.3.3, network side): RESTART the B-channel.
  bool restart_channel = false;

  friend bool operator==(const NetworkIndication&, const NetworkIndication&) = default;
};

struct NetworkOutput {
  bool accepted = true;  // false: the state does not allow the request; nothing happened
  std::vector<q931::Message> messages;
  std::vector<NetworkIndication> indications;
};

// What our SETUP to the user carries (§3.1.14; §5.2.1). The B-channel is always named, and on
// this span always exclusively.
struct CallToUser {
  q931::BearerCapability bearer_capability;
  q931::ChannelIdentification channel;
  std::optional<q931::CallingPartyNumber> calling_party_number;
  std::optional<q931::CalledPartyNumber> called_party_number;
};

class NetworkCall {
 public:
  // `origin`: Outgoing for a call the network offers the user (it allocated the call reference),
  // Incoming for the user's call (the user did).
  NetworkCall(std::uint16_t call_reference_value, Origin origin, NetworkTimerValues timers = {});

  [[nodiscard]] q931::CallStateValue state() const { return state_; }
  [[nodiscard]] std::optional<NetworkTimer> running_timer() const;
  [[nodiscard]] std::optional<TimePoint> deadline() const;
  [[nodiscard]] q931::CallReference call_reference() const;

  // The exchange's requests.
  // N0, to the user: SETUP, T303 → N6 (§5.2.1).
  [[nodiscard]] NetworkOutput on_setup_request(TimePoint now, const CallToUser& call);
  // N1 → N3 (§5.1.5.1). The first answer names `b_channel`, exclusively (§5.1.2).
  [[nodiscard]] NetworkOutput on_proceeding_request(TimePoint now, std::uint8_t b_channel);
  // N1, N3 → N4 (§5.1.7); `in_band`: ringback is on the channel (Progress indicator 8).
  [[nodiscard]] NetworkOutput on_alerting_request(TimePoint now, std::uint8_t b_channel,
                                                  bool in_band);
  // N3, N4: PROGRESS with Progress indicator 8 (§5.1.6): tones or an announcement in-band.
  [[nodiscard]] NetworkOutput on_progress_request(TimePoint now);
  // N1, N3, N4: CONNECT → N10 (§5.1.8: the network enters Active when it sends CONNECT; the
  // user's CONNECT ACKNOWLEDGE is optional and taken silently).
  [[nodiscard]] NetworkOutput on_connect_request(TimePoint now, std::uint8_t b_channel);
  // N1: RELEASE COMPLETE with `cause` → N0 (§5.1.2, §5.1.5: e.g. 34, 44, 1 unallocated number).
  [[nodiscard]] NetworkOutput on_reject_request(TimePoint now, q931::Cause cause);
  // N1, N3, N4, N6, N7, N9, N10: DISCONNECT with `cause` → N12 (§5.3.4), with Progress
  // indicator 8 and T306 when an announcement is on the channel (§5.3.4.1), else T305.
  [[nodiscard]] NetworkOutput on_disconnect_request(TimePoint now, q931::Cause cause,
                                                    bool in_band);

  // A message from the user on this call reference (decoded; validated here).
  [[nodiscard]] NetworkOutput on_message(TimePoint now, const q931::Message& message);
  // The running timer expired; nothing happens before deadline().
  [[nodiscard]] NetworkOutput on_deadline(TimePoint now);

 private:
  struct Running {
    NetworkTimer timer;
    TimePoint deadline;
  };

  [[nodiscard]] q931::Message make(q931::MessageType type) const;
  [[nodiscard]] q931::Message status(q931::CauseValue cause,
                                     std::optional<std::uint8_t> diagnostic = std::nullopt) const;
  void start(TimePoint now, NetworkTimer timer);
  void enter_null(NetworkOutput& out, bool restart_channel = false);
  void send_release(TimePoint now, NetworkOutput& out, std::optional<q931::Cause> cause);
  NetworkOutput answer_setup(q931::MessageType type, q931::CallStateValue next,
                             std::uint8_t b_channel);
  NetworkOutput on_null(const q931::Message& message);

  std::uint16_t call_reference_value_;
  Origin origin_;
  NetworkTimerValues timers_;
  q931::CallStateValue state_ = q931::CallStateValue::Null;
  std::optional<Running> timer_;
  bool expired_once_ = false;
  bool used_ = false;
  bool first_response_sent_ = false;
  std::optional<q931::Message> last_setup_;
  std::optional<q931::Message> last_release_;
  std::optional<q931::Cause> disconnect_cause_;  // ours, for RELEASE after T305/T306
  std::optional<q931::Cause> clearing_cause_;    // the first cause, either side's
};

}  // namespace resproxy::pri
