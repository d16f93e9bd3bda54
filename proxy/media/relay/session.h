#pragma once
// RelaySessions: the media relay's table of sessions (#13, step a), sans-I/O. One session per
// call, keyed by (Call-ID, From tag), with two legs: A, the caller's side, and B, the callee's.
// Each leg has a local port pair of its own from the pool of its address family (port_pool.h),
// a LatchState per component (latch.h: the one decision, shared with the runtimes' data paths),
// receiver statistics (stream_stats.h) and the time of its last accepted packet.
//
// Fed by the proxy's SDP handling with each side's media (offer, answer, update: re-INVITE and
// UPDATE, either side) and by the runtime with every datagram that arrives on a relay port
// (on_packet). Emits: the local addresses to write into the SDP sent to each side, a
// Forward/Drop verdict per packet (the runtime sends), and timed-out sessions (the proxy sends
// BYE both ways). Packets never travel through the core's effect queue (ARCHITECTURE.md).
//
// Addresses: each leg's family is its SDP's (c=IN IP4 / IN IP6), and its local address is the
// configured one of that family — so an IPv4 phone and an IPv6 ITSP share a session
// (interworking) and each hears us on its own family. A local port identifies a leg within its
// family; two families may hand out the same number. A source of another family than the leg's
// is Foreign (the runtime hands an IPv4-mapped IPv6 source as IPv4).
//
// Forwarding: a packet from leg X's side, accepted by X's latch, goes to the other leg Y's
// destination (latch.h) from Y's local port: RTP to Y's RTP component; RTCP to Y's RTCP component
// unless Y multiplexes it on RTP (RFC 5761) — so a muxing side and a non-muxing side interwork.
//
// Inactivity: an answered session (confirm()) is timed out when either side showed no life for
// inactivity_timeout (default 60 s) — exactly then, not a tick later. A side shows life with an
// accepted RTP or RTCP packet from it (RTCP alone suffices: silence suppression sends RTCP
// only); signalling (an update, the answer) counts for both. Either side, not both: a call whose
// media crossed a link that died still hears the side on our LAN, and is dead all the same. A
// foreign packet is no sign of life (an attacker must not keep a dead call's ports). While a
// side has put the call on hold (its SDP sendonly or inactive, RFC 3264 §8.4) silence is
// expected: only hold_timeout (default 1 h, like rtpengine's silent-timeout) applies, counted
// from the last packet or signalling of either side, so a held call whose phones died still
// frees its ports one day; so does a call not answered yet (a phone rings without media).
// Timed-out sessions are removed by on_deadline() (ports to quarantine); remove() on them is
// then a no-op.
//
// Bounds: max_sessions sessions (beyond: TooManySessions, answer 503); each session holds its key,
// the B side's To tag and fixed-size state; ports by the pools' ranges. Packets from anyone cost
// no memory: a packet changes at most a latch's address and a few counters.
//
// Forks: an answer with another To tag (a fork beyond us — resproxy itself never forks, it routes
// to a user's latest binding) re-targets the one B leg: its destination, latch and statistics
// start again, so the last answer wins, as the final 2xx must. Every fork got the one offer and so
// the one B port pair; a B leg per fork would need the offer rewritten per branch, which only the
// proxy that forks can do (rtpengine's via-branch).
// Limits: trace events are the caller's (routing/media_anchor.h and the proxy's media.* events).
// One m= line (one stream) per session; the proxy keys a call's m= lines as separate sessions.
#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/relay/latch.h"
#include "proxy/media/relay/port_pool.h"
#include "proxy/media/relay/stream_stats.h"

namespace resproxy::media::relay {

enum class Family : std::uint8_t { Ipv4, Ipv6 };
[[nodiscard]] inline Family family_of(const Address& a) {
  return a.is_ipv6() ? Family::Ipv6 : Family::Ipv4;
}

enum class Side : std::uint8_t { A, B };  // A: the caller (From), B: the callee (To)
[[nodiscard]] constexpr Side other(Side s) { return s == Side::A ? Side::B : Side::A; }

// RFC 4566 §6 / RFC 3264 §5.1: the direction attribute as that side wrote it.
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };

struct SessionKey {
  std::string call_id;   // from the wire: untrusted, bounded by the SIP message size limit
  std::string from_tag;
  friend auto operator<=>(const SessionKey&, const SessionKey&) = default;
};

// One side's media, from its SDP (the caller parsed it and judged the address).
struct LegMedia {
  Family family = Family::Ipv4;      // c= IN IP4 / IN IP6: chooses our local address and pool
  std::optional<Address> rtp;        // c= and m= port; none: no SDP from that side (yet)
  std::optional<Address> rtcp;       // RFC 3605 a=rtcp; none: the RTP port + 1 (RFC 3550 §11)
  bool rtcp_mux = false;             // RFC 5761 a=rtcp-mux, as negotiated for this side
  bool address_usable = true;        // false: private or 0.0.0.0 (behind NAT): learn any source
  Direction direction = Direction::SendRecv;
  std::uint32_t clock_rate = kDefaultClockRate;  // of the first payload type (jitter units)
};

// Our address for one side: what goes into the SDP sent to that side.
struct LocalMedia {
  Address rtp;
  Address rtcp;
  friend bool operator==(const LocalMedia&, const LocalMedia&) = default;
};
struct SessionPorts {
  LocalMedia a;  // into the SDP sent to the caller (the answer, re-INVITEs to A)
  LocalMedia b;  // into the SDP sent to the callee (the offer, re-INVITEs to B)
  friend bool operator==(const SessionPorts&, const SessionPorts&) = default;
};

enum class RelayError : std::uint8_t {
  PoolExhausted,    // no free port pair for a leg: answer 503 with Retry-After
  TooManySessions,  // max_sessions reached: answer 503 with Retry-After
  NoLocalAddress,   // no local address of that family configured: answer 488
  FamilyMismatch,   // the SDP's address family differs from the leg's: answer 488
  UnknownSession,   // answer/update without an offer (expired or removed): answer 500
};
[[nodiscard]] std::string_view to_string(RelayError e);
[[nodiscard]] int to_sip_status(RelayError e);

struct RelayConfig {
  std::optional<std::string> ipv4_address;  // ours for IPv4 legs; none: IPv4 legs refused
  std::optional<std::string> ipv6_address;  // ours for IPv6 legs; none: IPv6 legs refused
  PortRange ipv4_ports{};
  PortRange ipv6_ports{};
  Duration port_quarantine = std::chrono::seconds(30);
  LatchConfig latch{};
  Duration inactivity_timeout = std::chrono::seconds(60);
  Duration hold_timeout = std::chrono::hours(1);
  std::size_t max_sessions = 1000;
};

// Laid out for the data path: a packet reads the leg it arrives on up to its RTP statistics,
// and the leg it leaves by up to its RTP latch (destination()); those bytes come first, so that a
// packet touches eight cache lines of its session (five and three, each leg starting one)
// instead of seventeen (prefetch()). RTCP (a packet every few seconds) and what signalling alone
// reads come after them.
struct alignas(64) RelayLeg {
  Family family = Family::Ipv4;
  bool rtcp_mux = false;
  PortPair local{};
  std::uint64_t forwarded = 0;            // from this side
  std::optional<TimePoint> last_packet;   // RTP or RTCP accepted from this side
  LatchState rtp_latch{};                 // Component::Rtp (also RTCP with rtcp-mux)
  StreamStats rtp_stats{};                // RTP from this side, accepted by its latch
  // Not read by RTP packets.
  LatchState rtcp_latch{};                // Component::Rtcp
  std::uint64_t rtcp_packets = 0;
  std::uint64_t rtcp_bytes = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // arrived on this leg's ports
  bool has_media = false;  // an SDP with an address came from this side
  Direction direction = Direction::SendRecv;
  std::string to_tag;  // B only: the answer's To tag

  [[nodiscard]] const LatchState& latch(Component c) const {
    return c == Component::Rtp ? rtp_latch : rtcp_latch;
  }
  [[nodiscard]] LatchState& latch(Component c) { return c == Component::Rtp ? rtp_latch : rtcp_latch; }
};

struct RelaySession {
  SessionKey key;
  TimePoint last_signal{};  // the latest offer, answer, update or confirm
  // The call was answered (a 2xx): before, a phone may ring for minutes without any media, so
  // only hold_timeout applies (see confirm()).
  bool confirmed = false;
  std::array<RelayLeg, 2> legs;  // by Side
  [[nodiscard]] const RelayLeg& leg(Side s) const { return legs[static_cast<std::size_t>(s)]; }
  // A side signalled hold (sendonly or inactive): silence is expected.
  [[nodiscard]] bool on_hold() const;
  // The latest accepted packet (either side) or signalling. Derived, not stored: a packet then
  // writes only its own leg.
  [[nodiscard]] TimePoint last_activity() const;

 private:
  friend class RelaySessions;
  std::pair<TimePoint, std::uint64_t> timer_{};  // its entry in RelaySessions::timers_
};

struct Forward {
  Address to;    // the other side's latched (or signalled) address
  Address from;  // our local address and port on the other side's leg: send from this socket
  friend bool operator==(const Forward&, const Forward&) = default;
};
struct Drop {
  DropReason reason = DropReason::Foreign;
  friend bool operator==(const Drop&, const Drop&) = default;
};
using PacketVerdict = std::variant<Forward, Drop>;

struct RelayCounters {
  std::uint64_t sessions_created = 0;
  std::uint64_t sessions_removed = 0;    // by remove()
  std::uint64_t sessions_timed_out = 0;  // by on_deadline()
  std::uint64_t forwarded = 0;
  std::array<std::uint64_t, kDropReasonCount> dropped{};  // by DropReason
  std::uint64_t pool_exhausted = 0;      // offers refused: PoolExhausted
  std::uint64_t too_many_sessions = 0;   // offers refused: TooManySessions
  [[nodiscard]] std::uint64_t dropped_for(DropReason r) const {
    return dropped[static_cast<std::size_t>(r)];
  }
};

class RelaySessions {
 public:
  // `rng` (allocation order of ports) must outlive this object.
  RelaySessions(const RelayConfig& config, Rng& rng);
  RelaySessions(const RelaySessions&) = delete;
  RelaySessions& operator=(const RelaySessions&) = delete;

  // The caller's SDP (an INVITE's offer; an INVITE without SDP: `caller.rtp` none, and its
  // answer later through update(Side::A)). Creates the session with a port pair for each side —
  // B's family is that of the network towards the callee — or, for a known key (a retransmission,
  // a re-INVITE before the answer), is update(Side::A).
  [[nodiscard]] Result<SessionPorts, RelayError> offer(TimePoint now, const SessionKey& key,
                                                       const LegMedia& caller,
                                                       Family callee_family);
  // The callee's SDP (183 or 2xx). Another To tag than before (another fork) re-targets leg B.
  [[nodiscard]] Result<SessionPorts, RelayError> answer(TimePoint now, const SessionKey& key,
                                                        std::string_view to_tag,
                                                        const LegMedia& callee);
  // New SDP from one side (re-INVITE, UPDATE, or the ACK's answer): its latches learn again.
  [[nodiscard]] Result<SessionPorts, RelayError> update(TimePoint now, const SessionKey& key,
                                                        Side from, const LegMedia& media);

  // The call was answered (the INVITE's 2xx went through): from now on inactivity_timeout
  // applies. Before it only hold_timeout does — a phone rings without any RTP, and a session
  // whose INVITE the proxy gives up is removed by the proxy, not by silence. False: no such
  // session.
  bool confirm(TimePoint now, const SessionKey& key);

  // A datagram that arrived on `local` (our address and port, as bound) from `source`.
  // `source` and `bytes` from the wire: untrusted.
  // Asks the CPU for the state on_packet will read for a packet on `local` (Node::prefetch_media):
  // a hint with no effect on behaviour.
  void prefetch(const Address& local) const;
  [[nodiscard]] PacketVerdict on_packet(TimePoint now, const Address& local,
                                        const Address& source,
                                        std::span<const std::uint8_t> bytes);

  // The earliest time a session may time out (may be early: on_deadline then re-arms).
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;
  // Removes and returns the sessions silent for their timeout at `now`, in deadline order.
  [[nodiscard]] std::vector<SessionKey> on_deadline(TimePoint now);
  // The call ended (BYE, CANCEL, failure): ports go to quarantine. False: no such session.
  bool remove(TimePoint now, const SessionKey& key);

  [[nodiscard]] const RelaySession* find(const SessionKey& key) const;
  [[nodiscard]] std::size_t size() const { return sessions_.size(); }
  [[nodiscard]] const RelayCounters& counters() const { return counters_; }
  [[nodiscard]] const PortPool* pool(Family family) const;

 private:
  struct Owner {  // who owns a local port pair
    RelaySession* session = nullptr;
    Side side = Side::A;
  };
  using TimerKey = std::pair<TimePoint, std::uint64_t>;  // equal deadlines: insertion order
  RelayLeg& leg(RelaySession& s, Side side) { return s.legs[static_cast<std::size_t>(side)]; }

  [[nodiscard]] PortPool* pool_for(Family family);
  [[nodiscard]] const std::string* local_ip(Family family) const;
  [[nodiscard]] SessionPorts ports_of(const RelaySession& s) const;
  [[nodiscard]] std::optional<RelayError> set_media(TimePoint now, RelayLeg& leg,
                                                    const LegMedia& media);
  [[nodiscard]] TimePoint deadline_of(const RelaySession& s) const;
  void schedule(RelaySession& s, TimePoint at);
  void erase(TimePoint now, std::map<SessionKey, RelaySession>::iterator it);
  // The leg that owns `port` (either of its pair) of `family`'s pool; null if none.
  [[nodiscard]] Owner* owner_of(Family family, std::uint16_t port);
  [[nodiscard]] const Owner* owner_of(Family family, std::uint16_t port) const {
    return const_cast<RelaySessions*>(this)->owner_of(family, port);
  }

  RelayConfig config_;
  Rng& rng_;
  std::array<std::optional<PortPool>, 2> pools_;  // by Family
  std::map<SessionKey, RelaySession> sessions_;   // ordered: no hash flooding, stable pointers
  // By family, one entry per pair of its pool's range, (port - first) / 2: the data path's one
  // look-up per packet is an index, not a hash (our numbers only; out of range: no owner).
  std::array<std::vector<Owner>, 2> owners_;
  std::map<TimerKey, RelaySession*> timers_;      // one entry per session
  std::uint64_t timer_seq_ = 0;
  RelayCounters counters_;
};

}  // namespace resproxy::media::relay
