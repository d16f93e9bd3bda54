#pragma once
// SDP offer/answer through a media relay (RFC 3264 on RFC 4566 descriptions): what each m= line
// asks for (media_streams), the same description pointing at the relay (rewrite_for_relay), and
// whether an endpoint needs the relay at all (is_private_or_unusable, needs_relay). Pure
// functions: the request pipeline feeds them the bodies of INVITE, 18x, 2xx, ACK, UPDATE and
// PRACK (offers and answers alike, every fork's answer on its own) and keeps the per-dialog
// state — which relay ports a stream has, the o= version offset — itself.
//
// The relay forwards packets; it never decrypts. SRTP (SDES a=crypto, DTLS a=fingerprint,
// RTP/SAVP profiles) passes through untouched: the keys and fingerprints stay end to end, only
// addresses and ports change, so media_streams flags SRTP for the caller's information only.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/sdp.h"

namespace resproxy::sip {

// RFC 3264 §5.1 / RFC 4566 §6: the direction of a stream from its sender's point of view.
enum class MediaDirection : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
std::string_view to_string(MediaDirection direction);  // "sendrecv", …

// One m= line as the relay sees it. Every string is from the wire: untrusted, as written.
struct SdpStream {
  std::string media;       // "audio", "video", "image"
  std::string proto;       // "RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", "udptl"
  std::string address;     // the media-level c=, else the session-level one (parse guarantees one)
  std::string addr_type;   // that c=: "IP4", "IP6" (or another token: not ours to judge)
  std::uint16_t port = 0;  // RTP
  std::uint32_t port_count = 1;  // m=audio 49170/2: layered encoding (RFC 4566 §5.14), not relayed
  // RFC 3605 a=rtcp:port [nettype addrtype address], else `address` and port + 1; rtcp_port is
  // 0 when there is none (a disabled stream, RTP on 65535). With rtcp_mux accepted by both ends
  // (RFC 5761) RTCP travels on `port` instead.
  std::string rtcp_address;
  std::uint16_t rtcp_port = 0;
  bool rtcp_mux = false;  // a=rtcp-mux
  // The media-level direction attribute, else the session-level one, else sendrecv; a
  // zero-address hold takes the receiving half away (sendrecv → sendonly, recvonly → inactive).
  MediaDirection direction = MediaDirection::SendRecv;
  // c=IN IP4 0.0.0.0: RFC 2543's hold ("do not send to me", RFC 3264 §8.4). c=IN IP6 :: counts
  // too: it can receive nothing either, and it is what that hold becomes across IPv4 ↔ IPv6.
  bool zero_address_hold = false;
  bool disabled = false;  // port 0: rejected or removed (RFC 3264 §6, §8.2); never relayed
  bool srtp = false;      // a SAVP profile, a=crypto or a=fingerprint (at either level)
  bool has_ice = false;   // a=candidate, a=ice-ufrag, … (RFC 8839) at either level
  friend bool operator==(const SdpStream&, const SdpStream&) = default;
};

// One entry per m= line, in order. Linear in the size of the description.
[[nodiscard]] std::vector<SdpStream> media_streams(const Sdp& sdp);

// What the relay allocated for one m= line, on the side the rewritten description goes to.
struct RelayedStream {
  std::string address;          // an IPv4 or IPv6 literal; its family sets c='s IP4 / IP6
  std::uint16_t rtp_port = 0;   // 0: this m= line is not relayed (e.g. a disabled stream)
  std::uint16_t rtcp_port = 0;  // rtp_port + 1 for a classic pair, rtp_port for rtcp-mux only
  friend bool operator==(const RelayedStream&, const RelayedStream&) = default;
};

// RFC 8839 ICE attributes of a relayed description. Strip removes every one of them at both
// levels — also for the m= lines left unrelayed, since session-level credentials belong to all
// of them: the peers fall back to c=/m=, i.e. to the relay. Keep leaves them: the peer then sees
// a default destination (the relay) that none of the candidates names and, per RFC 5245 §5.1,
// does not run ICE on it (a=ice-mismatch), so media still takes the relay.
enum class IcePolicy : std::uint8_t { Strip, Keep };

struct RewriteOptions {
  IcePolicy ice = IcePolicy::Strip;
  // Added to o='s sess-version. RFC 3264 §8 wants the version incremented by one whenever the
  // description changes and the same description whenever it does not. The rewrite is a pure
  // function of (description, allocation), so passing the endpoint's version through keeps both
  // rules as long as the allocation does: same input version ⇒ same input ⇒ same output, next
  // version ⇒ next version. Only when the dialog's allocation changes under an unchanged input
  // version (relaying starts on a session refresh, the relay fails over) must the caller add one
  // to the offset it keeps for that endpoint's origin, and use it from then on.
  std::uint64_t version_offset = 0;
};

enum class SdpRewriteError : std::uint8_t {
  // More RelayedStreams than m= lines: the caller allocated for lines that do not exist. Release
  // the surplus; forward the description unrewritten or answer 500.
  TooManyStreams,
  // A relay for a port-0 stream: RFC 3264 §6 says it carries nothing. Release the allocation and
  // rewrite again with rtp_port 0 for that line.
  DisabledStreamRelayed,
  // The relay's address is not an IP literal or is 0.0.0.0 / ::, or rtcp_port is 0: our
  // configuration or the relay's report is wrong. Answer 500 (or forward unrelayed), trace it.
  BadRelay,
  // An m= line with a port count above one (layered encoding, RFC 4566 §5.14) needs a run of
  // ports one allocation does not give. Do not relay that line (rtp_port 0) or answer 488.
  LayeredStream,
};
std::string_view to_string(SdpRewriteError error);
// The status for an offer in a request that cannot be relayed: 488 for LayeredStream, else 500.
int to_sip_status(SdpRewriteError error);

// `sdp` with every m= line i that has a RelayedStream with rtp_port != 0 (i < relayed.size())
// pointing at the relay:
// - its connection becomes the relay's address, IN IP4 or IN IP6 by the relay's family (so
//   IPv4 ↔ IPv6 interworking may change the family); a zero-address hold stays a hold, written
//   as the relay family's unspecified address (0.0.0.0 or ::), the relay being transparent for
//   hold. Every c= is rewritten where it is: a media-level c= in place; the session-level c= when
//   no unrelayed, enabled m= line inherits it (so every m= line keeps a c= at one level, RFC 4566
//   §5.7, and no endpoint address is left behind at session level), taking the new connection of
//   the first relayed line that inherits it, else of the first relayed line; a relayed line that
//   inherited a session c= that stays or differs gets its own.
// - its m= port becomes rtp_port; every a=rtcp gets rtcp_port (and the relay's address when it
//   had one); without a=rtcp, one is added when rtcp_port != rtp_port + 1 (RFC 3605 §2.1).
// Everything else stays: formats, direction attributes (hold and resume are the endpoints'),
// a=rtcp-mux, a=crypto and a=fingerprint, disabled lines, unrelayed lines. ICE per `options`;
// o= keeps its username, session id and address, its version plus `options.version_offset`.
[[nodiscard]] Result<Sdp, SdpRewriteError> rewrite_for_relay(const Sdp& sdp,
                                                             std::span<const RelayedStream> relayed,
                                                             const RewriteOptions& options = {});

// True when `address` cannot be reached from the Internet for media: RFC 1918 (10/8, 172.16/12,
// 192.168/16), RFC 6598 shared address space (100.64/10, carrier-grade NAT), 0/8 "this
// network", 127/8 and ::1 loopback, 169.254/16 and fe80::/10 link local, :: unspecified,
// fc00::/7 unique local, multicast (224/4, ff00::/8: no unicast peer behind it) and 240/4
// (reserved, broadcast); IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address. Anything that is
// not a plain IP literal — a host name, a multicast c= with /ttl, a bracketed or zoned address —
// is unusable too: a relay cannot latch onto a name.
[[nodiscard]] bool is_private_or_unusable(std::string_view address);

// The per-route relay policy of issue #13.
enum class MediaRelayPolicy : std::uint8_t { Always, WhenNatted, Never };

// Whether to relay the media of a description: never without an enabled stream (nothing to
// relay); Always: yes; Never: no; WhenNatted: when the signalling came through a NAT
// (`via_received_differs`: the top Via's received ≠ its sent-by, RFC 3261 §18.2.1) or an enabled
// stream's address or RTCP address is private or unusable (a zero-address hold is skipped: it
// says "on hold", not where the endpoint is).
[[nodiscard]] bool needs_relay(MediaRelayPolicy policy, std::span<const SdpStream> streams,
                               bool via_received_differs);

}  // namespace resproxy::sip
