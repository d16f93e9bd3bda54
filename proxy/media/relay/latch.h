#pragma once
// Latching: which source a relay leg accepts packets from, and where the other leg's packets go —
// THE decision of the media relay (#13), as pure functions. The core's RelaySessions (session.h),
// the native fast path and the ns-3 relay all call decide(), so there is one definition of the
// behaviour: same state, source, time and kind in, same decision out; nothing hidden.
//
// A "leg" is one side of a relayed stream: the phone (or ITSP) on that side sends to our local
// port pair of that leg. Each leg has one LatchState per component (RTP, and RTCP when it is not
// multiplexed: RFC 5761). Symmetric RTP (RFC 4961): what we receive from a source is where we
// send to it, so the source we latch is also that leg's destination.
//
// Rules, in the order decide() applies them:
//   1. Neither RTP nor RTCP (STUN, DTLS, junk): dropped, NotRtp. ICE/DTLS are not relayed (limit).
//   2. A packet from exactly the signalled address (the SDP's, `expected`) is always accepted,
//      also after the window: the phone said it sends from there. It latches when it is of the
//      component's confirming kind (see 4).
//   3. A packet from the latched source is accepted.
//   4. Any other source is "new". While the leg is learning (within the window, or nothing latched
//      yet) it is accepted if admissible: its IP is the SDP address's IP, or — when the caller
//      marked the SDP address unusable (a private address of a phone behind NAT, or none) — any
//      IP. A leg that has had no SDP at all admits nobody (nothing legitimate can send yet).
//      An accepted packet of the component's confirming kind latches its source ("latest
//      wins", rtpengine's learning): RTP on the RTP component, RTCP on a separate RTCP component.
//      RTCP on the RTP component is forwarded but confirms nothing: an 8-octet RTCP packet is the
//      cheapest thing to spray, and the phone's own RTP says where its stream comes from.
//      Not admissible: dropped, Foreign.
//   5. After the window with a source latched, the leg is locked: a new source is dropped as
//      Foreign (hijack protection: strict source). With strict_source off it is forwarded but
//      never latched (rtpengine's default, for peers that hop ports; off is weaker).
//   The window opens at each signalling that touches the leg (offer, answer, re-INVITE, UPDATE:
//   on_signalling) and lasts learning_window (default 3 s, rtpengine's "delayed" learning).
//   A signalled address change forgets the latched source (the media moved); the same address
//   keeps it (a session refresh must not break a NATed phone's flow).
//
// Destination: a leg's packets go to the OTHER leg's latched source, else its SDP address when
// usable (early media flows before the far phone has sent anything), else nowhere (dropped,
// NoDestination). An unusable (private) SDP address is never sent to: it may name a host of ours.
//
// Addresses are compared as text: the runtime hands every source and the SDP addresses in one
// canonical form (an IPv4-mapped IPv6 source as IPv4, IPv6 compressed lower case).
// Limits: no ICE or DTLS-SRTP (rule 1), no direction enforcement (a sendonly side's peer is still
// forwarded: media direction is the phones' business, hold is the timer's, session.h).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "proxy/base/net.h"
#include "proxy/base/time.h"

namespace resproxy::media::relay {

enum class PacketKind : std::uint8_t { Rtp, Rtcp, Other };
// The port a packet arrived on: RTP (which also carries RTCP with rtcp-mux) or the RTCP one.
enum class Component : std::uint8_t { Rtp, Rtcp };
inline constexpr std::size_t kComponentCount = 2;

// What the datagram looks like (RFC 5761 §4: version 2 and a second octet 192..223, the RTCP
// packet types SR..XR with the marker bit's place, is RTCP; parse_rtp decides RTP). Pure, from
// the wire: untrusted; reads at most the header.
[[nodiscard]] bool is_rtcp(std::span<const std::uint8_t> datagram);
[[nodiscard]] PacketKind classify(std::span<const std::uint8_t> datagram);

struct LatchConfig {
  Duration learning_window = std::chrono::seconds(3);
  bool strict_source = true;  // rule 5: drop new sources once locked
};

// The state of one component of one leg. A value: the caller stores it and passes it back in.
struct LatchState {
  std::optional<Address> expected;  // from that side's SDP (c=, m= or a=rtcp); none: not known
  std::optional<Address> latched;   // the learned source: where this leg's peer really is
  TimePoint learn_until{};          // the window's end (exclusive)
  // False: `expected` cannot be checked or sent to (a private address of a phone behind NAT,
  // c=0.0.0.0): rule 4 admits any IP, and `expected` is no destination. Computed by the caller
  // from its view of the network. True with no `expected` — the default state, a leg that has had
  // no SDP yet — admits nobody.
  bool expected_usable = true;
  bool locked = false;  // latched, and a packet came after the window (informative)
  // (The flags last: they share one word, 112 bytes in all rather than 120 — session.h's
  // RelayLeg keeps what a packet reads in as few cache lines as it can.)

  friend bool operator==(const LatchState&, const LatchState&) = default;
};

enum class DropReason : std::uint8_t {
  Foreign,        // a source this leg does not accept (hijack, spray, stale peer): count it
  NotRtp,         // neither RTP nor RTCP
  NoDestination,  // the other leg has no address yet (no latch, no usable SDP address)
  UnknownPort,    // session.h: no session owns the local port (late packets of a removed one)
  UnusedPort,     // session.h: the RTCP port of a leg that multiplexes RTCP on its RTP port
};
inline constexpr std::size_t kDropReasonCount = 5;
[[nodiscard]] std::string_view to_string(DropReason reason);

// decide()'s answer. Trivially copyable: deciding costs no allocation, whatever the flood.
struct Decision {
  bool accept = false;                        // forward it (if the other leg has a destination)
  DropReason reason = DropReason::Foreign;    // why not, when !accept
  bool learn = false;                         // new state: latched = the packet's source
  bool lock = false;                          // new state: locked = true
  friend bool operator==(const Decision&, const Decision&) = default;
};
static_assert(std::is_trivially_copyable_v<Decision>);

// The rules above for one packet on one component. `source` from the wire: untrusted.
[[nodiscard]] Decision decide(const LatchState& state, const Address& source, TimePoint now,
                              PacketKind kind, Component component, const LatchConfig& config);
// The state after `decision` for a packet from `source` (apply what decide() said).
[[nodiscard]] LatchState next_state(const LatchState& state, const Decision& decision,
                                    const Address& source);
// In place, for the data path: touches the state only when the decision changes it (rare).
void apply(LatchState& state, const Decision& decision, const Address& source);

// A signalling event touched the leg (offer, answer, re-INVITE, UPDATE): the window reopens at
// `now`, `expected` and its usability are replaced; a changed address forgets the latch.
[[nodiscard]] LatchState on_signalling(const LatchState& state, TimePoint now,
                                       std::optional<Address> expected, bool expected_usable,
                                       const LatchConfig& config);

// Where packets TO the leg in `state` go: its latched source, else its usable SDP address.
// Returns a pointer into `state` (no copy on the data path); null: nowhere (NoDestination).
[[nodiscard]] const Address* destination(const LatchState& state);

}  // namespace resproxy::media::relay
