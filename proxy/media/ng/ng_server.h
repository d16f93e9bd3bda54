#pragma once
// NgServer: the media relay's ng control server (#13 step c, docs/media-relay.md), sans-I/O —
// what `resproxy-media` runs behind its control socket, so that resproxy, Kamailio's or
// OpenSIPS's rtpengine module, or any ng client can drive our relay as they drive rtpengine.
// Fed with every control datagram (source, bytes, the wall clock for authentication) and with
// every media datagram on the relay's ports; emits reply datagrams, the ports to bind and close,
// and a forward/drop verdict per media packet. The relay itself is RelaySessions
// (relay/session.h): latching, RTP/RTCP, rtcp-mux, inactivity and hold timeouts, statistics.
//
// Order for every control datagram (ng_auth.h "Server order"): no cookie → drop; a reply cached
// for (source, cookie) → that reply again (a client's retransmission, even a signed one whose
// nonce is now seen); decode; admission — a signed message when a secret is set is verified
// (HMAC, window, replay), a plain one is run only from a trusted source; the request; the reply,
// signed under the request's cookie when the request was, cached only when the request was
// admitted (a spoofed datagram cannot plant a reply under a cookie a real client will use).
//
// Commands (rtpengine's ng_control_protocol.md, the part a SIP proxy uses):
//   ping     → pong.
//   offer    call-id, from-tag, sdp: the caller's (or a re-offering side's) description; the
//            reply's SDP points at our ports for the other side. A known call: an update from
//            the side whose tag is from-tag (a re-INVITE from either end); m= lines it adds
//            (video next to the audio) get ports of their own.
//   answer   call-id, from-tag, to-tag, sdp: the description of the side named by to-tag; the
//            reply's SDP points at our ports for the offerer.
//   delete   call-id[, from-tag]: the call ends, its ports go to quarantine; the reply carries
//            its statistics ("fast" flag: plain ok). "delete delay" is not honoured: ports are
//            quarantined (RelayConfig::port_quarantine) instead, which is what the delay is for.
//   query    call-id: statistics per tag, media and stream (RFC 3550 packets, bytes, errors).
//   list     the call-ids we hold, at most "limit" (default 32).
// Keys: "received from" gives the SIP source that sent the description — an SDP address equal
// to it, or a public one, is usable before latching (sdp_leg.h); "trust address" trusts the SDP
// address whatever it is; "address family" (IP4/IP6) chooses the far side's family (IPv4 ↔ IPv6
// interworking), default the near side's. ICE is always stripped: the relay takes no part in
// ICE, and candidates left in would let the peers bypass it. Not supported, answered with an
// error reply: "rtpp-flags" (Kamailio's raw flags), transcoding, recording, other commands.
//
// Identity: a call is (call-id, the offerer's from-tag), one RelaySessions session per m= line
// (key call-id + tag + "/" + index, as MediaAnchor does), so several calls may share a Call-ID
// (a spiral through the proxy). A request finds its call by from-tag, else by to-tag, else by a
// tag that answered it.
//
// Bounds: control datagrams are bounded by the transport (64 KiB) and the decoder's limits;
// calls by RelayConfig::max_sessions (sessions) and the port pools; the reply cache and the
// nonce table by their configs. Nothing a stranger sends costs memory without admission.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/ip_range.h"
#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/bencode.h"
#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/ng/ng_message.h"
#include "proxy/media/relay/call_streams.h"
#include "proxy/media/relay/session.h"
#include "proxy/sip/sdp_rewrite.h"

namespace resproxy::media::ng {

struct NgServerConfig {
  relay::RelayConfig relay{};
  // Written into SDP instead of the bound address (rtpengine's --interface=ADDR!ADVERTISED: the
  // relay behind a 1:1 NAT). Empty: the bound address.
  std::string ipv4_advertised;
  std::string ipv6_advertised;
  // Authenticated control (ng_auth.h); empty: none (every admitted request is plain).
  std::string secret;
  std::chrono::seconds auth_window{30};
  std::size_t max_nonces = 65'536;
  // Who may send plain ng (Kamailio, rtpengine clients, resproxy without a secret). Empty with a
  // secret: signed requests only.
  std::vector<IpRange> trusted;
  ReplyCacheConfig cache{};
  std::uint8_t dscp = 46;  // of the relay's media packets (OpenMediaPort)
};

struct NgServerCounters {
  std::uint64_t datagrams = 0;         // control datagrams received
  std::uint64_t dropped = 0;           // without a cookie: no reply
  std::uint64_t retransmissions = 0;   // answered from the reply cache
  std::uint64_t malformed = 0;         // not bencode, not a dictionary, a bad request: error reply
  std::uint64_t refused_untrusted = 0; // plain ng from an untrusted source
  std::uint64_t refused_auth = 0;      // a signed request that failed verification
  std::uint64_t errors = 0;            // error replies to admitted requests
  std::uint64_t pings = 0;
  std::uint64_t offers = 0;
  std::uint64_t answers = 0;
  std::uint64_t deletes = 0;
  std::uint64_t queries = 0;
  std::uint64_t lists = 0;
  std::uint64_t calls_created = 0;
  std::uint64_t calls_deleted = 0;
  std::uint64_t calls_timed_out = 0;   // ended by inactivity or hold timeout
  std::uint64_t calls_port_failed = 0; // ended because a port could not be bound
};

struct NgPortChange {
  Address local;
  bool open = true;  // false: close it
};

class NgServer {
 public:
  // `crypto` (HMAC-SHA256) and `rng` (cookies are the client's; nonces of signed replies and
  // the port allocation order are ours) must outlive the server.
  NgServer(NgServerConfig config, const Crypto& crypto, Rng& rng);
  NgServer(const NgServer&) = delete;
  NgServer& operator=(const NgServer&) = delete;

  // A control datagram from `source` (untrusted). The reply datagram to send back to `source`;
  // none: drop. `since_unix_epoch`: the wall clock now (timestamps of signed messages, the
  // statistics' times).
  [[nodiscard]] std::optional<std::string> on_control(TimePoint now, Duration since_unix_epoch,
                                                      const Address& source, std::string_view datagram);

  // A media datagram on one of our ports: where to send it (none: drop).
  [[nodiscard]] std::optional<MediaSend> on_packet(TimePoint now, const Address& local,
                                                   const Address& source, std::string_view bytes);

  [[nodiscard]] std::optional<TimePoint> next_deadline() const { return sessions_.next_deadline(); }
  // Calls silent for their timeout are removed (their ports close).
  void on_deadline(TimePoint now);
  // A port the runtime could not bind: its call is removed.
  void on_port_failed(TimePoint now, const Address& local);

  // Ports to bind or to close since the last call, in order.
  [[nodiscard]] std::vector<NgPortChange> take_port_changes() { return std::exchange(port_changes_, {}); }

  [[nodiscard]] std::size_t calls() const { return calls_.size(); }
  [[nodiscard]] const NgServerCounters& counters() const { return counters_; }
  [[nodiscard]] const relay::RelaySessions& sessions() const { return sessions_; }
  [[nodiscard]] const NgServerConfig& config() const { return config_; }

 private:
  using CallKey = relay::CallKey;  // call-id, the offerer's from-tag
  struct Call {
    std::string b_tag;                  // the answerer's tag, once it answered
    std::vector<bool> streams;          // per m= line of the first offer: relayed
    std::vector<Address> ports;         // every port bound for it
    std::uint64_t version_offset_a = 0;
    std::uint64_t version_offset_b = 0;
    std::int64_t created_unix = 0;
    std::int64_t last_signal_unix = 0;
  };
  using Calls = std::map<CallKey, Call>;
  struct Located {
    Calls::iterator call;
    relay::Side tag_side;  // the side the request's from-tag names
  };

  [[nodiscard]] Dict execute(TimePoint now, Duration wall, const NgRequest& request);
  [[nodiscard]] Dict offer(TimePoint now, Duration wall, const NgRequest& request);
  [[nodiscard]] Dict answer(TimePoint now, Duration wall, const NgRequest& request);
  [[nodiscard]] Dict erase(TimePoint now, const NgRequest& request);
  [[nodiscard]] Dict query(const NgRequest& request) const;
  [[nodiscard]] Dict list(const NgRequest& request) const;

  // The call a tag belongs to: its offerer's (A) or its answerer's (B).
  [[nodiscard]] std::optional<Located> locate(std::string_view call_id, std::string_view tag);
  [[nodiscard]] std::string advertised(const Address& local) const;
  // `sdp` from side `from` of the call: updates (or, for `initial_answer`, answers) each relayed
  // stream, and the description rewritten toward the other side.
  [[nodiscard]] Dict relay_description(TimePoint now, Duration wall, Calls::iterator it,
                                       relay::Side from, bool initial_answer, std::string_view to_tag,
                                       const NgRequest& request);
  // Sessions for the m= lines beyond those the call has, from a re-offer of side `from`.
  void add_streams(TimePoint now, Calls::iterator it, relay::Side from,
                   const std::vector<sip::SdpStream>& streams, const NgRequest& request);
  [[nodiscard]] NgCallStats stats_of(const CallKey& key, const Call& call) const;
  void open_ports(const CallKey& key, Call& call, const relay::SessionPorts& ports);
  void remove(TimePoint now, Calls::iterator it);

  NgServerConfig config_;
  const Crypto& crypto_;
  Rng& rng_;
  relay::RelaySessions sessions_;
  std::optional<NgAuthVerifier> verifier_;  // with a secret
  std::optional<NgSigner> signer_;          // signs replies to signed requests
  ReplyCache cache_;
  Calls calls_;                             // ordered: no hash flooding on wire data
  std::map<Address, CallKey> port_owner_;
  std::vector<NgPortChange> port_changes_;
  TimePoint wall_anchor_now_{};             // now and the wall clock at the last control input:
  Duration wall_anchor_{};                  // the statistics' times of packets
  NgServerCounters counters_;
};

}  // namespace resproxy::media::ng
