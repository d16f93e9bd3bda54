#pragma once
// MediaAnchor: the proxy's side of the built-in media relay (#13 step b, docs/media-relay.md).
// Sans-I/O. It decides which calls the relay anchors (the policy per kind of far end), rewrites
// the SDP of every message of such a call on its way out — the INVITE's offer, 18x and 2xx
// answers, re-INVITE, UPDATE, PRACK and ACK bodies, either direction — and keeps what the relay
// needs: the relay's sessions (media/relay/session.h, one per m= line), the ports the runtime must
// bind, and, once the call is answered, the dialog as both ends know it, so that a call whose media
// died can be ended with a BYE to each end.
//
// Which side a message comes from: the caller's From tag (the session key) is A. A request whose
// From tag is A's comes from the caller; one whose To tag is A's, from the callee. A response
// comes from the other side than its request (its From tag names the request's sender).
//
// What is an offer and what an answer is RelaySessions' business only for the first exchange (the
// INVITE's offer, the callee's answer in 18x/2xx to that INVITE); every later body — re-INVITE,
// UPDATE, PRACK, ACK, and their answers — updates its sender's leg, which opens that leg's learning
// window again (a phone that moved re-latches; one that did not keeps its latch).
//
// A late offer (an INVITE without SDP: the callee's 2xx offers, the caller's ACK answers) is
// judged on the signalling alone (NAT by Via and registration) and relayed from the 2xx on.
//
// m= lines a re-INVITE or UPDATE adds are relayed from that offer on (the adding side's leg from
// the offer, the other's from its answer).
//
// External relays ([media_relay.relay.N], settings.external): a new call that the policy relays
// goes to one member of the pool — the built-in relay or an external one (rtpengine,
// resproxy-media) — by smooth weighted round-robin over the members that are up (spares, weight
// 0, only when no weighted member is up; the built-in relay is always up). A call on an external
// relay has every SDP body go through it over ng (media/ng/ng_client.h): a request's body (but an
// ACK's) as an "offer", a response's and an ACK's as an "answer", with the message's own From and
// To tags (as Kamailio's rtpengine module does); the relay's reply SDP is the body sent on. Such a
// message waits: its verdict is Pending with a ticket, and the proxy parks it until take_ready()
// hands the ticket's final verdict over. A body already answered (a 2xx retransmission, the
// INVITE re-sent on failover) gets the same reply at once; one still waiting is Absorbed (the
// sender retransmits). An initial offer the relay refuses or does not answer goes to the next
// external relay that is up, then to the built-in relay, and only then is refused (503). A later
// body the relay does not answer: a request is refused (500), a response goes on as it is. The
// call's end sends "delete". When a relay goes down (ng ping, ng_client.h) its answered calls are
// returned by take_lost_calls() — their media went with the relay — for BYE both ways (Q.850 38).
// A late offer (INVITE without SDP) goes to an external relay that is up as well: the callee's 2xx
// as the ng offer and the caller's ACK as the answer, both under the callee's tag as from-tag (the
// offerer's, as Kamailio's module sends them); with none up, the built-in relay takes it. If the
// relay does not answer the 2xx's offer, the 2xx goes on as it is (its media direct).
//
// SDP is read from an application/sdp body or the application/sdp part of a multipart one
// (sip/sdp_body.h); other bodies are passed through.
//
// The audit (settings.ng_audit_interval; 0: off). A relay that restarts between two pings answers
// them but has lost its calls; one that dropped a call (its own timeout) answers for the others.
// Every interval, each external relay that is up is asked for one of its answered calls in turn
// (ng "query" with the call's Call-ID and A's tag). A reply "error" naming an unknown call
// ("Unknown call-id", rtpengine's and ours) means the call's media path is gone: the call is
// returned by take_lost_calls() like a dead relay's (BYE both ways, Q.850 38), and since that is
// usually a restart, every other answered call on that relay is asked for at once (at most
// kAuditInFlight queries outstanding per relay) — each it does not know is lost too, each it knows
// (a relay that restored its calls, rtpengine with Redis) stays. Any other answer, or none, keeps
// the call (pings judge the relay's health). Calls still ringing are not audited.
// Forks beyond us share the one B leg (the last fork's answer wins, session.h); resproxy itself
// routes an INVITE to one binding and never forks.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/ng_client.h"
#include "proxy/media/relay/call_streams.h"
#include "proxy/media/relay/session.h"
#include "proxy/routing/proxy_config.h"
#include "proxy/sip/message.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/sdp_body.h"
#include "proxy/sip/sdp_rewrite.h"
#include "proxy/transport/transport_layer.h"

namespace resproxy::routing {

// What is at one end of a call, for the policy (MediaRelaySettings).
enum class CallEnd : std::uint8_t { Phone, Itsp, Gateway };

// An initial INVITE on its way out, as the proxy's routing knows it.
struct OfferContext {
  CallEnd caller = CallEnd::Phone;
  CallEnd callee = CallEnd::Phone;
  std::string caller_ip;        // where the INVITE came from (the NAT's address for a NATed phone)
  bool caller_natted = false;   // its top Via's sent-by is not where it came from
  std::string callee_ip;        // where the INVITE goes
  bool callee_natted = false;   // a registered phone whose contact is not where it registered from
};

// What to do with a message's body.
struct SdpVerdict {
  enum class Kind : std::uint8_t {
    Unchanged,  // not relayed, no SDP, or nothing to change: forward the message as it is
    Rewritten,  // forward it with `body` (application/sdp) instead
    Refused,    // an offer the relay cannot take: answer `status` `reason` (a request), or end
                // the call (a response: the proxy relays it unchanged and the call is removed)
    Pending,    // an external relay has the body: park the message until take_ready() names
                // `ticket` with its final verdict (Unchanged, Rewritten or Refused)
    Absorbed,   // a copy of a message still pending (a retransmission): drop this one
  };
  Kind kind = Kind::Unchanged;
  std::uint64_t ticket = 0;  // Pending
  std::string body;
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After on a 503
};

// The dialog of an answered call as both ends know it (RFC 3261 §12), to end it from the middle.
struct AnchoredDialog {
  std::string call_id;
  std::string a_tag;                 // the caller's From tag
  std::string from_value;            // the caller's From header value (with its tag)
  std::string to_value;              // the 2xx's To header value (with the callee's tag)
  std::string a_contact;             // the caller's Contact URI (the INVITE's)
  std::string b_contact;             // the callee's Contact URI (the 2xx's)
  std::vector<std::string> routes_to_a;  // Route values beyond us toward the caller, in order
  std::vector<std::string> routes_to_b;  // the same toward the callee
  transport::Destination toward_a;   // where the caller's INVITE came from (its NAT binding)
  transport::Destination toward_b;   // where the INVITE went
  std::uint32_t a_cseq = 0;          // the highest CSeq number each side used in the dialog
  std::uint32_t b_cseq = 0;
};

// The message's body is application/sdp (by its Content-Type); parsed, when it parses.
// A message's SDP: its body when that is application/sdp, or the application/sdp part of a
// multipart body (sip/sdp_body.h: SIP-I/SIP-T gateways send SDP beside ISUP).
[[nodiscard]] std::optional<sip::SdpPlace> sdp_place(const sip::Message& m);
[[nodiscard]] bool is_sdp(const sip::Message& m);
[[nodiscard]] std::optional<std::string_view> sdp_text(const sip::Message& m);
[[nodiscard]] std::optional<sip::Sdp> parse_sdp(const sip::Message& m);
// m's body with its SDP replaced by `sdp`: `sdp` itself, or the multipart body with only that
// part changed (its other parts and boundaries byte for byte).
[[nodiscard]] std::string body_with_sdp(const sip::Message& m, std::string sdp);

struct PortChange {
  Address local;
  bool open = true;  // false: close it
};

// A parked message's final verdict (never Pending or Absorbed).
struct ReadyBody {
  std::uint64_t ticket = 0;
  SdpVerdict verdict;
};

struct AnchorCounters {
  std::uint64_t calls_anchored = 0;      // initial offers the relay took
  std::uint64_t calls_external = 0;      // … of which an external relay took
  std::uint64_t external_failovers = 0;  // initial offers an external relay refused or left
                                         // unanswered, taken by the next member
  std::uint64_t external_failures = 0;   // later bodies an external relay did not take
  std::uint64_t calls_lost = 0;          // answered calls whose external relay went down or
                                         // no longer knew them (the audit)
  std::uint64_t audit_queries = 0;       // ng queries of the audit sent
  std::uint64_t calls_forgotten = 0;     // … answered "Unknown call-id" (also in calls_lost)
  std::uint64_t calls_not_anchored = 0;  // initial offers the policy left direct
  std::uint64_t offers_refused = 0;      // the relay could not take the offer (503/488/500)
  std::uint64_t calls_timed_out = 0;     // ended for silence (BYE both ways when answered)
  std::uint64_t bodies_rewritten = 0;
};

class MediaAnchor {
 public:
  // `default_ipv4`: the proxy's own address, used when the settings name no IPv4 relay address
  // (empty or not IPv4: IPv4 media refused). `itsp_outside_ipv4`: the office NAT's outside
  // address ([sipproxy.itsp_proxy] nat_outside_address; empty: none) — the SDP sent toward the
  // ITSP names it instead of ours, as the SIP headers do, and the office router forwards the
  // relay's port range to us. `rng` (port allocation) must outlive this object.
  // `crypto` (signed ng) outlives this object too.
  MediaAnchor(const MediaRelaySettings& settings, const std::string& default_ipv4,
              std::string itsp_outside_ipv4, Rng& rng, const Crypto& crypto);

  // An INVITE without a To tag, about to be forwarded: relay it or not (the policy), and if so
  // its offer pointing at the relay. A retransmission or a failover re-send of the same INVITE
  // gets the same ports.
  [[nodiscard]] SdpVerdict on_initial_invite(TimePoint now, const sip::Message& invite,
                                             const OfferContext& context);

  // Any other message of an anchored call on its way out (requests in either direction,
  // responses to them), with the IP address of the end that sent it. Messages of calls we do not
  // anchor, and messages without SDP, are Unchanged.
  [[nodiscard]] SdpVerdict on_message(TimePoint now, const sip::Message& message,
                                      std::string_view sender_ip);

  // The INVITE's 2xx went through: the call is answered (inactivity applies from now on) and this
  // is its dialog.
  void on_answered(TimePoint now, AnchoredDialog dialog);

  // An in-dialog request of an anchored call went through: remember its CSeq number (a BYE of
  // ours must use a higher one).
  void on_in_dialog_request(const sip::Message& request);

  // The call is over (BYE, CANCEL, a failure answer to its INVITE): its ports are closed.
  // `tag`: either the From or the To tag of the message that ended it.
  void end(TimePoint now, std::string_view call_id, std::string_view from_tag,
           std::string_view to_tag);

  // A datagram on one of our ports (Node::on_media_packet).
  [[nodiscard]] std::optional<MediaSend> on_packet(TimePoint now, const Address& local,
                                                   const Address& source, std::string_view bytes);

  [[nodiscard]] std::optional<TimePoint> next_deadline() const;
  // Calls whose media was silent for their timeout at `now` are removed; the answered ones are
  // returned, for the proxy to send BYE both ways. The ng client's retransmissions, timeouts and
  // pings run too.
  [[nodiscard]] std::vector<AnchoredDialog> on_deadline(TimePoint now);

  // --- external relays ---
  // Starts the ng pings to the external relays (none configured: nothing).
  void start(TimePoint now);
  // A datagram from one of the external relays' control addresses (is_relay_address).
  void on_ng_datagram(TimePoint now, const Address& source, std::string_view bytes);
  // Wall clock − core clock (signed ng carries wall-clock timestamps).
  void set_wall_offset(Duration offset) { wall_offset_ = offset; }
  [[nodiscard]] bool is_relay_address(const Address& source) const;
  // ng requests to send (from our SIP socket), in order.
  [[nodiscard]] std::vector<media::ng::NgDatagram> take_ng_datagrams();
  // Parked messages whose verdict is known, in the order they became known.
  [[nodiscard]] std::vector<ReadyBody> take_ready();
  // The parked message of `ticket` is gone (its INVITE was cancelled): no verdict for it.
  void forget(std::uint64_t ticket);
  // Answered calls whose external relay went down since the last call (removed here).
  [[nodiscard]] std::vector<AnchoredDialog> take_lost_calls() { return std::exchange(lost_, {}); }
  // External relays that went down (false) or came back up (true) since the last call, in order.
  struct RelayChange {
    std::size_t relay = 0;  // index into settings.external
    bool up = false;
  };
  [[nodiscard]] std::vector<RelayChange> take_relay_changes() { return std::exchange(relay_changes_, {}); }
  // Answered calls the audit found an external relay no longer knew since the last call (also
  // in take_lost_calls()), for the operator's log: which relay, which call.
  struct ForgottenCall {
    std::size_t relay = 0;  // index into settings.external
    std::string call_id;
  };
  [[nodiscard]] std::vector<ForgottenCall> take_forgotten() { return std::exchange(forgotten_, {}); }
  [[nodiscard]] const media::ng::RelayTarget& relay_target(std::size_t relay) const {
    return settings_.external.at(relay);
  }
  [[nodiscard]] const media::ng::NgClient* ng() const { return ng_ ? &*ng_ : nullptr; }

  // Ports bound or to close since the last call, in order.
  [[nodiscard]] std::vector<PortChange> take_port_changes() { return std::exchange(port_changes_, {}); }

  // A port the runtime could not bind: the call using it is removed (its media cannot flow).
  void on_port_failed(TimePoint now, const Address& local);

  [[nodiscard]] bool anchors(std::string_view call_id, std::string_view tag) const;
  [[nodiscard]] std::size_t calls() const { return calls_.size(); }
  [[nodiscard]] const AnchorCounters& counters() const { return counters_; }
  [[nodiscard]] const media::relay::RelaySessions& sessions() const { return sessions_; }
  [[nodiscard]] std::uint8_t dscp() const { return settings_.dscp; }

 private:
  using CallKey = media::relay::CallKey;  // Call-ID, the caller's From tag
  struct Call {
    std::uint32_t invite_cseq = 0;      // the initial INVITE's CSeq number
    std::vector<bool> streams;          // per m= line of the offer: relayed
    std::vector<Address> ports;         // every port bound for it
    std::uint64_t version_offset_a = 0; // o= version offsets (sdp_rewrite.h RewriteOptions)
    std::uint64_t version_offset_b = 0;
    std::optional<AnchoredDialog> dialog;  // once answered
    std::array<CallEnd, 2> ends{};      // by Side: who is at the caller's and the callee's end
    bool late_offer = false;            // the INVITE had no SDP: the 2xx offers, the ACK answers
    media::relay::Family caller_family = media::relay::Family::Ipv4;
    // An external relay's call (index into settings.external); none: the built-in relay's.
    std::optional<std::size_t> external;
    // External: bodies sent and the relay's replies (key: offer/answer, sender's tag, body),
    // and those still waiting (their tickets).
    std::map<std::string, std::string> replies;
    std::map<std::string, std::uint64_t> waiting;
  };
  // An ng request in flight for a parked message (or a delete or an audit query: ticket 0).
  struct NgWait {
    std::uint64_t ticket = 0;
    bool audit = false;          // the audit's query of call `key`
    CallKey key;
    std::string body_key;        // Call::replies / waiting
    bool request = false;        // the parked message is a request (refused on failure)
    // The initial offer, kept to try the next member on failure.
    std::optional<sip::Message> invite;
    OfferContext context;
    // A multipart body's other parts, around the SDP the relay answers (empty: the body is SDP).
    std::string multipart_body;
    sip::SdpPlace place;
    std::vector<std::size_t> tried;
  };
  static void remember_multipart(NgWait& wait, const sip::Message& message);
  struct Located {
    std::map<CallKey, Call>::iterator call;
    media::relay::Side from;  // the side that sent the message
  };

  [[nodiscard]] sip::MediaRelayPolicy policy_for(const OfferContext& c) const;
  // The built-in relay's side of on_initial_invite (`existing`: the call, or calls_.end()).
  [[nodiscard]] SdpVerdict builtin_offer(TimePoint now, const sip::Message& invite,
                                         const OfferContext& context, sip::Sdp sdp);
  // The member for a new call: nullopt = the built-in relay, else an external index; `tried`
  // are skipped (the built-in relay is the last resort, always available).
  [[nodiscard]] std::optional<std::size_t> pick(const std::vector<std::size_t>& tried);
  // ng: an offer or answer for a message of an external call; the verdict to return now.
  [[nodiscard]] SdpVerdict external_body(TimePoint now, const sip::Message& message, Call& call,
                                         const CallKey& key, std::string_view sender_ip);
  // Call::replies / waiting key of a message's body: offer or answer, its tags, the body.
  [[nodiscard]] static std::string body_key(const sip::Message& message);
  void send_delete(TimePoint now, const CallKey& key, std::size_t relay);
  // Sends the initial offer of `wait` to `relay`.
  void send_initial_offer(TimePoint now, std::size_t relay, NgWait wait);
  void on_ng_outcome(TimePoint now, const media::ng::NgOutcome& outcome);
  // An answered call of external relay `relay`: what a relay takes with it when it is lost.
  [[nodiscard]] static bool answered_on(const Call& call, std::size_t relay) {
    return call.external == relay && call.dialog;
  }
  // The call's media went with its relay: returned by take_lost_calls(), removed without a
  // delete (the relay does not have it). The next call.
  std::map<CallKey, Call>::iterator lose(std::map<CallKey, Call>::iterator it);
  // The audit (see the head of this file).
  static constexpr std::size_t kAuditInFlight = 16;
  struct Audit {
    TimePoint next{};                  // the next turn's query
    std::optional<CallKey> last;       // the call asked for at the last turn
    bool sweeping = false;             // a forgotten call's sweep is under way
    std::vector<CallKey> sweep;        // … the calls still to ask for (the next at the back)
    std::size_t in_flight = 0;         // queries outstanding
  };
  void audit_turn(TimePoint now);
  void send_audit_query(TimePoint now, std::size_t relay, const CallKey& key);
  void on_audit_outcome(TimePoint now, const CallKey& key, const media::ng::NgOutcome& outcome);
  void after_ng(TimePoint now);
  [[nodiscard]] Duration wall(TimePoint now) const { return now.time_since_epoch() + wall_offset_; }
  [[nodiscard]] std::optional<Located> locate(const sip::Message& m);
  [[nodiscard]] SdpVerdict refuse(int status, std::string reason);
  void open_ports(const CallKey& key, Call& call, const media::relay::SessionPorts& ports);
  // Sessions for the m= lines beyond those the call has, from an offer of side `from`.
  void add_streams(TimePoint now, const CallKey& key, Call& call, media::relay::Side from,
                   const std::vector<sip::SdpStream>& streams, const std::string& sender);
  void remove(TimePoint now, std::map<CallKey, Call>::iterator it);

  // The address the SDP toward `end` names for a stream relayed on `local`.
  [[nodiscard]] std::string advertised(CallEnd end, const std::string& local) const;

  MediaRelaySettings settings_;
  std::string itsp_outside_ipv4_;
  media::relay::RelaySessions sessions_;
  std::map<CallKey, Call> calls_;  // ordered: no hash flooding on wire data
  std::map<Address, CallKey> port_owner_;
  std::vector<PortChange> port_changes_;
  AnchorCounters counters_;
  // External relays.
  std::optional<media::ng::NgClient> ng_;
  std::map<media::ng::RequestId, NgWait> ng_waits_;
  std::vector<ReadyBody> ready_;
  std::vector<AnchoredDialog> lost_;
  std::vector<RelayChange> relay_changes_;
  std::vector<bool> reported_up_;  // per external relay, as last reported (all up at first)
  std::vector<Audit> audits_;      // per external relay
  std::vector<ForgottenCall> forgotten_;
  std::uint64_t next_ticket_ = 1;
  std::vector<std::int64_t> current_weight_;  // smooth WRR: [0] built-in, [1 + i] external i
  std::vector<bool> last_up_;                 // the members up at the last pick
  std::size_t next_spare_ = 0;
  Duration wall_offset_{};  // wall clock − core clock
};

}  // namespace resproxy::routing
