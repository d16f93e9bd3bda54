#pragma once
// UaPhone: a simulated SIP phone — a user agent (RFC 3261 §8, §10, §12–§15) as one sans-I/O
// SipNode. It registers its Contact with a registrar through an outbound proxy (§10.2, with the
// §10.2.8 423 Min-Expires retry and a refresh at half the granted expiry), places calls at
// scheduled times (INVITE with an SDP offer, ACK for the 2xx sent end to end outside any
// transaction, BYE after a hold time through the route set learnt from Record-Route), and
// answers calls (180 after a ring delay, 200 with an SDP answer retransmitted until the ACK
// arrives, §13.3.1.4), BYE, CANCEL and OPTIONS; a second call while busy gets 486.
//
// It includes no ns-3 header: a runtime hosts it (model/SipNodeApplication in simulation) like
// any other Node. Fed by the transaction layer (TransactionUser) and by its own timers; emits
// SIP through the transaction layer, `ua.*` trace events, and one CallRecord per call.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sip/builder.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::model {

struct UaPhoneConfig {
  std::string user{};  // user part of the AOR: "2001"
  std::string domain{};  // host part of the AOR and the registrar's Request-URI: "office.example"
  Address local{};     // our listening address (Via sent-by, Contact)
  // Where requests outside a dialog go (RFC 3261 §8.1.2): the resproxy node, which is also the
  // registrar. nullopt: straight to the Request-URI's host:port (an IP literal), no REGISTER.
  std::optional<Address> outbound_proxy{};
  Transport transport = Transport::Udp;
  transaction::TimerConfig timers{};
  Duration ring_delay = std::chrono::milliseconds(500);  // INVITE received -> 180 Ringing
  Duration answer_delay = std::chrono::seconds(1);       // 180 Ringing -> 200 OK
  Duration register_expires = std::chrono::seconds(3600);
  Duration register_retry = std::chrono::seconds(30);  // after a failed REGISTER
  std::uint16_t media_port = 40000;                    // the m= port of our SDP
  // A PSTN gateway or a trunk: answers every INVITE, many calls at once (never 486 Busy Here).
  bool multi_line = false;
};

// One call the phone places: at `at`, INVITE `target` (an AOR such as
// "sip:2002@office.example", or "sip:2002@10.1.1.2:5060" for a direct call); BYE `hold` after
// the ACK.
struct CallPlan {
  TimePoint at{};
  std::string target;
  Duration hold = std::chrono::seconds(3);
};

enum class CallRole : std::uint8_t { Caller, Callee };
std::string_view to_string(CallRole role);

// RFC 3261 dialog states, plus where the call is before one exists and after it ends.
enum class CallState : std::uint8_t {
  Calling,     // caller: INVITE sent, nothing back yet / callee: INVITE received
  Early,       // a provisional with a To tag (180) sent or received
  Confirmed,   // 2xx sent (callee: waiting for ACK) or received (caller: ACK sent)
  Terminating, // BYE sent, waiting for its final response
  Terminated,
};
std::string_view to_string(CallState state);

// Per-call outcome: one record for every INVITE the phone sent or answered.
struct CallRecord {
  std::string call_id;
  CallRole role = CallRole::Caller;
  std::string caller;  // From URI
  std::string callee;  // Request-URI of the INVITE as sent (caller) or received (callee)
  // The dialog's route set (§12.1: from Record-Route, in the order we send Route headers); empty
  // when no proxy stayed on the path.
  std::vector<std::string> route_set;
  CallState state = CallState::Calling;
  std::optional<TimePoint> invite_at;    // INVITE sent / received
  std::optional<TimePoint> ringing_at;   // first 180 received / sent
  std::optional<TimePoint> answered_at;  // first 2xx received / sent
  std::optional<TimePoint> ack_at;       // ACK for the 2xx sent / received
  std::optional<TimePoint> bye_at;       // BYE sent / received
  std::optional<TimePoint> bye_ok_at;    // 2xx for the BYE received / sent
  std::optional<TimePoint> ended_at;     // the call reached Terminated (any reason)
  int final_status = 0;   // final response to the INVITE (408/503 on timeout/transport error)
  int bye_status = 0;     // final response to the BYE
  bool ended_locally = false;  // we sent the BYE
  std::string failure;    // why the call failed ("" if it did not): "486", "timeout", "no_ack", …

  // INVITE, 180, 200, ACK, BYE and BYE 200 all happened.
  [[nodiscard]] bool is_completed() const {
    return ringing_at && answered_at && ack_at && bye_at && bye_ok_at && final_status == 200 &&
           failure.empty();
  }
};

// One REGISTER transaction the phone ran (the 423 retry is a second one).
struct RegistrationRecord {
  TimePoint sent_at{};
  std::optional<TimePoint> done_at;  // final response or transaction error
  int status = 0;                    // final status (408/503 on timeout/transport error)
};

struct UaCounters {
  std::uint64_t registers_sent = 0;
  std::uint64_t registrations_ok = 0;
  std::uint64_t registrations_failed = 0;
  std::uint64_t invites_sent = 0;
  std::uint64_t invites_received = 0;
  std::uint64_t busy_rejected = 0;        // 486 sent
  std::uint64_t ok_retransmissions = 0;   // 2xx to INVITE resent (§13.3.1.4)
  std::uint64_t ack_retransmissions = 0;  // ACK resent on a retransmitted 2xx (§13.2.2.4)
  std::uint64_t options_answered = 0;
};

class UaPhone final : public transaction::SipNode {
 public:
  UaPhone(UaPhoneConfig config, Rng& rng, TraceSink& trace);

  // Scheduling, before the runtime starts or from an injected input. Times are absolute.
  // REGISTER at `at` (needs an outbound proxy), refreshed until the phone stops.
  void register_at(TimePoint at);
  void schedule_call(CallPlan plan);
  // Ends the current call now (BYE if confirmed, CANCEL is not sent: early calls just wait).
  void hang_up(TimePoint now);

  // TransactionUser
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;
  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) override;
  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override;
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError error) override;

  [[nodiscard]] const UaPhoneConfig& config() const { return config_; }
  [[nodiscard]] std::string aor() const;          // "sip:2001@office.example"
  [[nodiscard]] std::string contact_uri() const;  // "sip:2001@10.1.1.2:5060"
  [[nodiscard]] bool is_registered() const { return registered_; }
  [[nodiscard]] std::optional<Duration> granted_expires() const { return granted_expires_; }
  [[nodiscard]] bool is_busy() const { return active_call_ != kNoCall; }
  [[nodiscard]] const std::vector<CallRecord>& calls() const { return calls_; }
  [[nodiscard]] const std::vector<RegistrationRecord>& registrations() const {
    return registrations_;
  }
  // Calls in progress (dialogs not yet terminated, either role).
  [[nodiscard]] std::size_t calls_in_progress() const { return calls_in_progress_; }
  [[nodiscard]] const UaCounters& counters() const { return counters_; }

 private:
  static constexpr std::size_t kNoCall = static_cast<std::size_t>(-1);

  // Dialog state (§12) of a call; indices parallel `calls_`.
  struct Dialog {
    std::string local_tag;
    std::string remote_tag;
    std::string local_header;   // our From (caller) / To (callee) value, with our tag
    std::string remote_header;  // the peer's, with its tag once known
    std::string remote_target;           // Contact URI of the 2xx / INVITE
    std::vector<std::string> route_set;  // name-addr values, in the order we send them
    std::uint32_t local_cseq = 0;
    std::uint32_t invite_cseq = 0;  // the INVITE that created the dialog (sent or received)
    Duration hold{};
    // Caller side.
    std::string ack;  // the ACK for the 2xx, resent on 2xx retransmissions (§13.2.2.4)
    transport::Destination ack_to{};
    // Callee side.
    transaction::ServerTransactionId invite_txn{};
    std::vector<std::string> record_route;  // the INVITE's Record-Route values, copied to 18x/2xx
    std::string ok_response;                // the 2xx, retransmitted until the ACK
    Duration ok_interval{};
    TimerId ok_timer{};
    TimerId ok_give_up{};
    TimerId ring_timer{};
    TimerId answer_timer{};
    TimerId hangup_timer{};
  };

  enum class Pending : std::uint8_t { Register, Invite, Bye };
  struct PendingRequest {
    transaction::ClientTransactionId id;
    Pending kind;
    std::size_t call;
  };

  // REGISTER (§10.2).
  void send_register(TimePoint now);
  void on_register_response(TimePoint now, const sip::Message& response);
  void on_register_failed(TimePoint now, int status, std::string_view reason);

  // Caller side.
  void place_call(TimePoint now, const CallPlan& plan);
  void on_invite_response(TimePoint now, std::size_t call, const sip::Message& response);
  void send_ack(TimePoint now, std::size_t call, std::uint32_t cseq);
  void send_bye(TimePoint now, std::size_t call);
  void on_bye_response(TimePoint now, std::size_t call, int status);

  // Callee side.
  void on_invite(TimePoint now, transaction::ServerTransactionId id, const sip::Message& invite);
  std::vector<sip::ExtraHeader> dialog_response_headers(const Dialog& dialog) const;
  void send_ringing(TimePoint now, std::size_t call);
  void send_ok(TimePoint now, std::size_t call);
  void retransmit_ok(TimePoint now, std::size_t call);
  void on_bye(TimePoint now, transaction::ServerTransactionId id, const sip::Message& bye);
  void on_cancel(TimePoint now, transaction::ServerTransactionId id, const sip::Message& cancel);

  // Helpers.
  std::size_t find_dialog(const sip::Message& request) const;  // by Call-ID and both tags
  std::optional<PendingRequest> take_pending(transaction::ClientTransactionId id, bool final);
  // Where a request for `request_uri` goes: through the route set or the outbound proxy.
  std::optional<transport::Destination> destination_for(std::string_view uri) const;
  // Builds an in-dialog request (§12.2.1.1): Request-URI, Route and the destination.
  struct InDialog {
    std::string request_uri;
    std::vector<std::string> routes;
    std::optional<transport::Destination> to;
  };
  InDialog in_dialog_target(const Dialog& dialog) const;
  std::string sdp(bool offer);
  void end_call(TimePoint now, std::size_t call);
  void fail_call(TimePoint now, std::size_t call, int status, std::string failure);
  void emit(TraceEvent event);

  UaPhoneConfig config_;
  UaCounters counters_;

  // Registration.
  std::string register_call_id_;
  std::string register_from_tag_;
  std::uint32_t register_cseq_ = 0;
  Duration requested_expires_{};
  bool registered_ = false;
  std::optional<Duration> granted_expires_;
  TimerId register_timer_{};

  std::vector<CallRecord> calls_;
  std::vector<RegistrationRecord> registrations_;
  std::size_t calls_in_progress_ = 0;
  std::vector<Dialog> dialogs_;
  std::size_t active_call_ = kNoCall;
  std::vector<PendingRequest> pending_;
  std::uint64_t sdp_session_ = 0;
};

}  // namespace resproxy::model
