#pragma once
// UaPhone: a simulated SIP phone — a user agent (RFC 3261 §8, §10, §12–§15) as one sans-I/O
// SipNode. It registers its Contact with a registrar through an outbound proxy (§10.2, with the
// §10.2.8 423 Min-Expires retry and a refresh at half the granted expiry), places calls at
// scheduled times (INVITE with an SDP offer, ACK for the 2xx sent end to end outside any
// transaction, BYE after a hold time through the route set learnt from Record-Route), and
// answers calls (180 after a ring delay, 200 with an SDP answer retransmitted until the ACK
// arrives, §13.3.1.4), BYE, CANCEL and OPTIONS; a second call while busy gets 486.
//
// Digest authentication (RFC 3261 §22.2, RFC 7616): with a password, a 401 (WWW-Authenticate) or
// 407 (Proxy-Authenticate) to any request it sends (REGISTER, INVITE, BYE, REFER, NOTIFY) is
// answered once by the same request with credentials: CSeq + 1, same Call-ID and tags, a new
// branch, nc counting per nonce, a fresh cnonce from the Rng for each new nonce. REGISTER refreshes
// reuse the last registrar nonce (nc + 1). A second challenge to credentials computed for this very
// request is a failure (status 401/407, failure "auth") unless it says stale=true (then a fresh
// nonce is tried, twice at most): it never loops.
//
// Blind transfer (RFC 3515, RFC 5589 §6): in a confirmed call, a phone (the transferor) sends
// REFER with Refer-To and Referred-By through the dialog's route set; the peer (the transferee)
// answers 202, NOTIFYs "SIP/2.0 100 Trying" (Event: refer, message/sipfrag), INVITEs the target
// as a new call (a transfer leg: Referred-By copied, the referrer recorded) and NOTIFYs its final
// status line with Subscription-State terminated. The transferor answers each NOTIFY 200 and hangs
// up the original call with BYE on the final one (or `refer_timeout` after the 202 without it).
// Transfers are scheduled (schedule_transfer) or drawn by a TransferPolicy on answered calls.
//
// It includes no ns-3 header (library resproxy_agents): a runtime hosts it
// (model/SipNodeApplication in simulation) like any other Node. Fed by the transaction layer
// (TransactionUser) and by its own timers; emits SIP through the transaction layer, `ua.*` trace
// events, and one CallRecord per call. The dialog state and the SDP bodies are the SIP layer's
// (sip::Dialog, sip::Sdp); the code is in ua_phone.cc (registration, sending, digest
// authentication), ua_phone_calls.cc (caller and callee) and ua_phone_transfer.cc (REFER, NOTIFY).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sip/builder.h"
#include "proxy/sip/dialog.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::model {

// Which answered calls this phone transfers (as the callee: RFC 5589's usual transferor): a call
// from one of `peers` is transferred with probability `share` (drawn from the phone's Rng when
// we answer 2xx; no draw at all when share is 0) to a target drawn uniformly from `peers`
// without us and the caller, `after` the answer if the call is still up.
struct TransferPolicy {
  double share = 0;
  Duration after = std::chrono::seconds(10);
  std::vector<std::string> peers;  // AORs, "sip:2002@office.example"
};

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
  // Digest credentials (RFC 3261 §22): nullopt, none (a challenge is a failure "auth").
  std::optional<std::string> password{};
  std::string auth_user{};  // the digest username; "": `user`
  // Transferor side: no final NOTIFY this long after the 202 → BYE the original call anyway.
  Duration refer_timeout = std::chrono::seconds(32);
  // Transferee side: how long a transfer leg is held when the original call had no hold time of
  // ours (we were its callee).
  Duration transfer_hold = std::chrono::seconds(60);
  TransferPolicy transfer{};
};

// One call the phone places: at `at`, INVITE `target` (an AOR such as
// "sip:2002@office.example", or "sip:2002@10.1.1.2:5060" for a direct call); BYE `hold` after
// the ACK.
struct CallPlan {
  TimePoint at{};
  std::string target;
  Duration hold = std::chrono::seconds(3);
  std::string from_user{};  // the From user part (a gateway presents the PSTN caller); "": ours
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
  std::string failure;    // why the call failed ("" if it did not): "486", "timeout", "no_ack", "auth", …
  int auth_challenges = 0;  // 401/407 to our INVITE answered with credentials
  // Transfer (RFC 3515): a leg we placed because of a REFER names the call the REFER came in and
  // who referred us (Referred-By, else the peer of that call); `transferred`: a REFER on this
  // call was accepted (we are the transferee) or sent (we are the transferor).
  std::string transfer_of;
  std::string referred_by;
  bool transferred = false;

  // INVITE, 180, 200, ACK, BYE and BYE 200 all happened.
  [[nodiscard]] bool is_completed() const {
    return ringing_at && answered_at && ack_at && bye_at && bye_ok_at && final_status == 200 &&
           failure.empty();
  }
};

// One REGISTER transaction the phone ran (the 423 retry and the answer to a 401 are more).
struct RegistrationRecord {
  TimePoint sent_at{};
  std::optional<TimePoint> done_at;  // final response or transaction error
  int status = 0;                    // final status (408/503 on timeout/transport error)
  bool with_credentials = false;     // carried an Authorization
  bool challenged = false;           // 401/407 answered by a retry with credentials (not a failure)
  std::string failure;               // "auth": a challenge we could not or must not answer
};

// One blind transfer this phone started as the transferor (RFC 5589 §6).
struct TransferRecord {
  std::string call_id;  // the original call
  std::string target;   // Refer-To URI
  TimePoint refer_at{};
  std::optional<TimePoint> accepted_at;  // 2xx (202) to the REFER
  std::optional<TimePoint> done_at;      // final NOTIFY, REFER failure or timeout
  int refer_status = 0;                  // final response to the REFER (408/503 on errors)
  std::vector<int> notified;             // status codes of the NOTIFY sipfrags, in order
  int final_status = 0;  // of the new call (the terminating NOTIFY), else the REFER's failure
  // "ok" (final NOTIFY 2xx), "failed", or "" (still in progress)
  std::string outcome;
  std::string failure;  // "refer_<status>", "<status>" of the new call, "notify_timeout", …
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
  std::uint64_t auth_challenges = 0;  // 401/407 answered with credentials
  std::uint64_t auth_failures = 0;    // challenges not answered (no password, rejected again)
  std::uint64_t refers_sent = 0;
  std::uint64_t refers_received = 0;
  std::uint64_t notifies_sent = 0;
  std::uint64_t notifies_received = 0;
};

// The phone's audio for one call, as offer/answer settled it (RFC 3264): where the peer wants
// RTP (its SDP's c= and m=) and the G.711 payload type we send. Start: the caller when the 2xx
// arrives, the callee when it sends its 2xx; Stop: when the call ends (any reason). Given to the
// media listener, which is the phone's RTP endpoint (model/rtp_audio.h in ns-3); the phone itself
// sends no RTP — a Node's effects are signalling.
struct MediaEvent {
  enum class Kind : std::uint8_t { Start, Stop };
  Kind kind = Kind::Start;
  TimePoint at{};
  std::string call_id;
  Address remote{};               // Start only
  std::uint8_t payload_type = 0;  // Start only: 0 PCMU, 8 PCMA
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
  // Who hears about the calls' audio (MediaEvent); called inside the phone's inputs, so it must
  // not feed the phone. A Start without a usable SDP (no c=/m=, port 0, no G.711) is not given.
  using MediaListener = std::function<void(const MediaEvent&)>;
  void set_media_listener(MediaListener listener) { media_listener_ = std::move(listener); }
  // At `at`, REFERs the peer of the current confirmed call to `target` (an AOR).
  void schedule_transfer(TimePoint at, std::string target);

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
  [[nodiscard]] const std::vector<TransferRecord>& transfers() const { return transfers_; }
  // Calls in progress (dialogs not yet terminated, either role).
  [[nodiscard]] std::size_t calls_in_progress() const { return calls_in_progress_; }
  [[nodiscard]] const UaCounters& counters() const { return counters_; }

 private:
  static constexpr std::size_t kNoCall = static_cast<std::size_t>(-1);
  static constexpr std::size_t kNoTransfer = static_cast<std::size_t>(-1);

  // Per-call state beside its CallRecord; indices parallel `calls_`.
  struct Leg {
    // The dialog (RFC 3261 §12): the caller's from its INVITE and the 2xx, the callee's from
    // the INVITE and our tag; nullopt before the 2xx (caller) or for an INVITE we could not
    // build one from (callee, no Contact).
    std::optional<sip::Dialog> dialog;
    // The call's tags, which identify it before a dialog exists (the caller's remote tag is ""
    // until the 2xx).
    std::string local_tag;
    std::string remote_tag;
    std::uint32_t invite_cseq = 0;  // the INVITE that created the dialog (sent or received)
    Duration hold{};
    // Caller side.
    std::string ack;  // the ACK for the 2xx, resent on 2xx retransmissions (§13.2.2.4)
    transport::Destination ack_to{};
    // Callee side.
    transaction::ServerTransactionId invite_txn{};
    std::string ok_response;  // the 2xx, retransmitted until the ACK
    Duration ok_interval{};
    TimerId ok_timer{};
    TimerId ok_give_up{};
    TimerId ring_timer{};
    TimerId answer_timer{};
    TimerId hangup_timer{};
    // Transfer: as transferor, the TransferRecord of our REFER on this call; as transferee, the
    // leg we placed for a REFER on it; on a transfer leg, the call whose REFER placed it.
    std::size_t transfer = kNoTransfer;
    std::size_t referred_leg = kNoCall;
    std::size_t refer_call = kNoCall;
    bool refer_notified = false;  // transfer leg: the final NOTIFY was sent
    TimerId transfer_timer{};
    TimerId refer_timer{};
    bool media_started = false;  // a MediaEvent Start went to the listener
  };

  // A request as we sent it, kept to send it again with credentials (RFC 3261 §22.2): Via (new
  // branch), Max-Forwards, `head`, CSeq, the credentials, `tail`, body. In a dialog the call's
  // sip::Dialog writes Route, From, To, Call-ID and the next CSeq instead of `head` and `cseq`.
  struct OutRequest {
    std::string method;
    std::string request_uri;
    std::vector<std::pair<std::string, std::string>> head;  // Route, From, To, Call-ID
    std::vector<std::pair<std::string, std::string>> tail;  // Contact, Expires, Allow, …
    std::string body;
    transport::Destination to{};
    std::uint32_t cseq = 0;
    std::string credentials_header;  // "Authorization" or "Proxy-Authorization"; "" none
    std::string credentials;
    bool answered_challenge = false;  // credentials computed from a challenge to this request
    int stale_retries = 0;
    bool in_dialog = false;
  };

  enum class Pending : std::uint8_t { Register, Invite, Bye, Refer, Notify };
  struct PendingRequest {
    transaction::ClientTransactionId id;
    Pending kind;
    std::size_t call;
    OutRequest out;
  };

  // The last challenge answered, per kind (registrar 401 / proxy 407), for nc counting.
  struct AuthCache {
    std::string challenge;  // the WWW-/Proxy-Authenticate value
    std::string nonce;
    std::string cnonce;
    std::uint32_t nc = 0;
  };

  // REGISTER (§10.2).
  void send_register(TimePoint now);
  void on_register_response(TimePoint now, const sip::Message& response);
  void on_register_failed(TimePoint now, int status, std::string_view reason);

  // Sending requests that may be challenged.
  [[nodiscard]] std::optional<transaction::ClientTransactionId> send_out(TimePoint now,
                                                                         Pending kind,
                                                                         std::size_t call,
                                                                         OutRequest out);
  // A 401/407 to `pending`: true when the request went again with credentials.
  bool retry_with_credentials(TimePoint now, PendingRequest& pending, const sip::Message& response);
  void note_auth_failure(TimePoint now, const PendingRequest& pending, int status);
  // An in-dialog request (§12.2.1.1) with its target filled in; false: no way to send it.
  bool in_dialog_request(std::size_t call, std::string method, OutRequest& out) const;

  // Caller side. `refer_call`: the call (ours) whose REFER this call is placed for.
  void place_call(TimePoint now, const CallPlan& plan, std::size_t refer_call = kNoCall,
                  std::string_view referred_by = {});
  void on_invite_response(TimePoint now, std::size_t call, transaction::ClientTransactionId id,
                          const sip::Message& response);
  void send_ack(TimePoint now, std::size_t call);
  void send_bye(TimePoint now, std::size_t call);
  void on_bye_response(TimePoint now, std::size_t call, int status);

  // Callee side.
  void on_invite(TimePoint now, transaction::ServerTransactionId id, const sip::Message& invite);
  std::vector<sip::ExtraHeader> dialog_response_headers(const sip::Dialog& dialog) const;
  void send_ringing(TimePoint now, std::size_t call);
  void send_ok(TimePoint now, std::size_t call);
  void retransmit_ok(TimePoint now, std::size_t call);
  void on_bye(TimePoint now, transaction::ServerTransactionId id, const sip::Message& bye);
  void on_cancel(TimePoint now, transaction::ServerTransactionId id, const sip::Message& cancel);

  // Transfer (RFC 3515, RFC 5589 §6).
  void maybe_plan_transfer(TimePoint now, std::size_t call);
  void send_refer(TimePoint now, std::size_t call, const std::string& target);
  void on_refer_response(TimePoint now, std::size_t call, int status);
  void finish_transfer(TimePoint now, std::size_t call, int status, std::string failure);
  void on_refer(TimePoint now, transaction::ServerTransactionId id, const sip::Message& refer);
  void on_notify(TimePoint now, transaction::ServerTransactionId id, const sip::Message& notify);
  void send_notify(TimePoint now, std::size_t call, int status, std::string_view reason,
                   bool final);
  // A transfer leg reached its final status: NOTIFY the referrer (once).
  void notify_referrer(TimePoint now, std::size_t leg, int status, std::string_view reason);

  // Helpers.
  std::size_t find_dialog(const sip::Message& request) const;  // by Call-ID and both tags
  // Where a request for `request_uri` goes: an IPv4 literal host directly, else nowhere.
  std::optional<transport::Destination> destination_for(std::string_view uri) const;
  // Where a request in the dialog goes (§12.2.1.1): its first route, else the remote target or,
  // when that is no IP literal, the outbound proxy; nullopt: no way to send it.
  std::optional<transport::Destination> in_dialog_destination(const sip::Dialog& dialog) const;
  std::string sdp(bool offer);
  // The peer's SDP `body` gives the call's audio: a Start to the listener, if there is one.
  void start_media(TimePoint now, std::size_t call, std::string_view body, bool we_offered);
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
  std::vector<Leg> legs_;
  std::size_t active_call_ = kNoCall;
  std::vector<PendingRequest> pending_;
  std::uint64_t sdp_session_ = 0;
  std::vector<TransferRecord> transfers_;
  AuthCache registrar_auth_;  // 401 / WWW-Authenticate
  AuthCache proxy_auth_;      // 407 / Proxy-Authenticate
  MediaListener media_listener_;
};

}  // namespace resproxy::model
