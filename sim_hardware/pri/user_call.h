#pragma once
// The user side of Q.931 basic call control for one call on the PRI card's D-channel (ITU-T
// Q.931 §5.1 outgoing calls, §5.2 incoming calls, §5.3 clearing, §5.8 error handling; the
// user-side SDL of Annex A). Sans-I/O: every input comes with `now`; the call answers with the
// Q.931 messages to send and indications for the card's owner, and keeps at most one timer
// running, whose deadline() the owner arms and feeds back through on_deadline().
// Fed by the PRI card (which owns the call references, the B-channels and the D-channel): with
// the messages decode() gave it for this call reference, and with the owner's requests.
//
// States are Q.931's (§2.1.1), named by their call state values: U0 Null, U1 Call initiated,
// U2 Overlap sending, U3 Outgoing call proceeding, U4 Call delivered, U6 Call present, U7 Call
// received, U8 Connect request, U9 Incoming call proceeding, U10 Active, U11 Disconnect request,
// U12 Disconnect indication, U19 Release request. Overlap receiving (U25) and suspend/resume
// are not supported: an incoming SETUP is taken en bloc.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/time.h"
#include "sim_hardware/q931/message.h"
#include "sim_hardware/q931/validate.h"

namespace resproxy::pri {

using q931::CallStateValue;

// The user-side timers (Q.931 §9.2, Table 9-2) this call runs, one at a time.
enum class Timer : std::uint8_t {
  T303,  // SETUP sent: waiting for the network's first answer
  T304,  // overlap sending: waiting for more of our INFORMATION or the network's answer
  T305,  // DISCONNECT sent: waiting for RELEASE
  T308,  // RELEASE sent: waiting for RELEASE COMPLETE
  T310,  // CALL PROCEEDING received: waiting for ALERTING, CONNECT or DISCONNECT
  T313,  // CONNECT sent: waiting for CONNECT ACKNOWLEDGE
};
[[nodiscard]] std::string_view to_string(Timer timer);

// Q.931 Table 9-2 defaults (user side).
struct TimerValues {
  Duration t303 = std::chrono::seconds{4};
  Duration t304 = std::chrono::seconds{30};
  Duration t305 = std::chrono::seconds{30};
  Duration t308 = std::chrono::seconds{4};
  Duration t310 = std::chrono::seconds{30};  // Table 9-2: 30-120 s
  Duration t313 = std::chrono::seconds{4};
};

// Who allocated the call reference (§4.3): we for an outgoing call, the network for an
// incoming one. It sets the flag of every message the call sends.
enum class Origin : std::uint8_t { Outgoing, Incoming };

enum class IndicationKind : std::uint8_t {
  IncomingCall,     // a SETUP arrived (U6): answer with a proceeding, alerting or connect request,
                    // or reject it
  MoreInformation,  // SETUP ACKNOWLEDGE (U2): send the rest of the number with INFORMATION
  Proceeding,       // CALL PROCEEDING (U3)
  Alerting,         // ALERTING (U4)
  Progress,         // PROGRESS
  Connected,        // the call is active (U10)
  Disconnected,     // the network cleared (U12); with in-band tones, release when done with them
  Released,         // the call is over (U0): its call reference and B-channel are free
};

struct Indication {
  IndicationKind kind = IndicationKind::Released;
  std::optional<q931::Cause> cause;     // Disconnected, Released
  bool in_band = false;                 // Progress indicator 8: tones or announcements in-band
  std::optional<std::uint8_t> channel;  // the B-channel, once the network named one
  // Released after the second expiry of T308 (§5.3.3): the B-channel's state is unknown; the
  // card restarts it (RESTART, §5.5) before using it again.
  bool restart_channel = false;

  friend bool operator==(const Indication&, const Indication&) = default;
};

// What an input did.
struct Output {
  // A request the current state does not allow: false, and nothing happened.
  bool accepted = true;
  std::vector<q931::Message> messages;  // to send on the D-channel, in this order
  std::vector<Indication> indications;
};

// What an outgoing SETUP carries (§3.1.14, §5.1.1). The number is sent en bloc, with Sending
// complete, unless `sending_complete` is false: then the network may ask for more (U2).
struct OutgoingCall {
  q931::BearerCapability bearer_capability;
  q931::ChannelIdentification channel = q931::ChannelIdentification::any_channel();
  std::optional<q931::CallingPartyNumber> calling_party_number;
  q931::CalledPartyNumber called_party_number;
  bool sending_complete = true;
};

class UserCall {
 public:
  UserCall(std::uint16_t call_reference_value, Origin origin, TimerValues timers = {});

  [[nodiscard]] CallStateValue state() const { return state_; }
  [[nodiscard]] std::optional<Timer> running_timer() const;
  // When on_deadline() is due; nullopt: no timer runs.
  [[nodiscard]] std::optional<TimePoint> deadline() const;
  [[nodiscard]] std::optional<std::uint8_t> channel() const { return channel_; }
  // The call reference as this call's own messages carry it.
  [[nodiscard]] q931::CallReference call_reference() const;

  // The owner's requests; `now` never decreases from one input to the next.
  // U0, outgoing: SETUP, T303 → U1 (§5.1.1).
  [[nodiscard]] Output on_setup_request(TimePoint now, const OutgoingCall& call);
  // U2: INFORMATION with more digits, T304 restarted (§5.1.3).
  [[nodiscard]] Output on_information_request(TimePoint now, std::string digits,
                                              bool sending_complete);
  // U6 → U9 (§5.2.5.1). The first answer to the SETUP names the B-channel: `b_channel`, or the
  // one the SETUP indicated; refused when there is neither.
  [[nodiscard]] Output on_proceeding_request(TimePoint now,
                                             std::optional<std::uint8_t> b_channel = std::nullopt);
  // U6, U9 → U7 (§5.2.5.1). `in_band`: ringback is on the B-channel (Progress indicator 8,
  // §5.2.5.1 / §5.1.7 seen from the network).
  [[nodiscard]] Output on_alerting_request(TimePoint now,
                                           std::optional<std::uint8_t> b_channel = std::nullopt,
                                           bool in_band = false);
  // U9, U7: PROGRESS with Progress indicator 8 (in-band information now available, §5.2.6 note;
  // §3.1.8); the state does not change. Refused before the first answer named the B-channel.
  [[nodiscard]] Output on_progress_request(TimePoint now);
  // U6, U7, U9: CONNECT, T313 → U8 (§5.2.6).
  [[nodiscard]] Output on_connect_request(TimePoint now,
                                          std::optional<std::uint8_t> b_channel = std::nullopt);
  // U6: RELEASE COMPLETE with `cause` → U0 (§5.2.5.1, e.g. 17 user busy, 21 call rejected).
  [[nodiscard]] Output on_reject_request(TimePoint now, q931::CauseValue cause);
  // U1-U4, U7-U10: DISCONNECT with `cause`, T305 → U11 (§5.3.3).
  [[nodiscard]] Output on_disconnect_request(TimePoint now, q931::CauseValue cause);
  // U12 (after the in-band tones): RELEASE, T308 → U19 (§5.3.4.1).
  [[nodiscard]] Output on_release_request(TimePoint now);

  // A message the network sent on this call reference (decoded; from the wire: validated here).
  [[nodiscard]] Output on_message(TimePoint now, const q931::Message& message);
  // The running timer expired; nothing happens before deadline().
  [[nodiscard]] Output on_deadline(TimePoint now);

 private:
  struct Running {
    Timer timer;
    TimePoint deadline;
  };

  [[nodiscard]] q931::Message make(q931::MessageType type) const;
  [[nodiscard]] q931::Message status(q931::CauseValue cause,
                                     std::optional<std::uint8_t> diagnostic = std::nullopt) const;
  void start(TimePoint now, Timer timer);
  void stop() { timer_.reset(); }
  void enter_null(Output& out, bool restart_channel = false);
  void send_disconnect(TimePoint now, Output& out, q931::CauseValue cause);
  void send_release(TimePoint now, Output& out, std::optional<q931::Cause> cause);
  Output answer_setup(q931::MessageType type, CallStateValue next,
                      std::optional<std::uint8_t> b_channel);
  void take_channel(const q931::Message& message);
  [[nodiscard]] Indication indication(IndicationKind kind) const;

  Output on_null(const q931::Message& message);
  void on_clearing_message(TimePoint now, const q931::Message& message, Output& out);

  std::uint16_t call_reference_value_;
  Origin origin_;
  TimerValues timers_;
  CallStateValue state_ = CallStateValue::Null;
  std::optional<Running> timer_;
  bool expired_once_ = false;  // T303 and T308 expire twice: the first expiry retransmits
  std::optional<std::uint8_t> channel_;
  bool first_response_sent_ = false;
  bool used_ = false;                          // left U0 once: a call reference is not reused
  std::optional<q931::Message> last_setup_;    // for the T303 retransmission
  std::optional<q931::Message> last_release_;  // for the T308 retransmission
  // The first cause of the clearing, either side's: in our RELEASE after T305 (§5.3.3) and in
  // the Released indication.
  std::optional<q931::Cause> clearing_cause_;
};

}  // namespace resproxy::pri
