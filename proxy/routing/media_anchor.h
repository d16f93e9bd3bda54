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
// Limits (TODO(relay), #13): bodies other than application/sdp (multipart) are passed through;
// forked answers share the one B leg (the last fork's answer wins, session.h).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/relay/call_streams.h"
#include "proxy/media/relay/session.h"
#include "proxy/routing/proxy_config.h"
#include "proxy/sip/message.h"
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
  };
  Kind kind = Kind::Unchanged;
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

struct PortChange {
  Address local;
  bool open = true;  // false: close it
};

struct AnchorCounters {
  std::uint64_t calls_anchored = 0;      // initial offers the relay took
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
  MediaAnchor(const MediaRelaySettings& settings, const std::string& default_ipv4,
              std::string itsp_outside_ipv4, Rng& rng);

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

  [[nodiscard]] std::optional<TimePoint> next_deadline() const { return sessions_.next_deadline(); }
  // Calls whose media was silent for their timeout at `now` are removed; the answered ones are
  // returned, for the proxy to send BYE both ways.
  [[nodiscard]] std::vector<AnchoredDialog> on_deadline(TimePoint now);

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
  };
  struct Located {
    std::map<CallKey, Call>::iterator call;
    media::relay::Side from;  // the side that sent the message
  };

  [[nodiscard]] sip::MediaRelayPolicy policy_for(const OfferContext& c) const;
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
};

}  // namespace resproxy::routing
