// Latching (latch.h): the relay's one decision, as pure functions.
#include "proxy/media/relay/latch.h"

#include <utility>

#include "proxy/media/rtp_packet.h"

namespace resproxy::media::relay {

namespace {

// The kind that may latch a component's source: what that port is for.
constexpr PacketKind confirming_kind(Component component) {
  return component == Component::Rtp ? PacketKind::Rtp : PacketKind::Rtcp;
}

// Rule 4: may this source be learned? By IP only: a NAT in front of the phone keeps its IP but
// picks its own port, so the SDP's port proves nothing about the packets' source port.
bool is_admissible(const LatchState& state, const Address& source) {
  if (!state.expected_usable) return true;  // the caller said the SDP address cannot be checked
  return state.expected && state.expected->ip == source.ip;
}

}  // namespace

std::string_view to_string(DropReason reason) {
  switch (reason) {
    case DropReason::Foreign: return "foreign";
    case DropReason::NotRtp: return "not_rtp";
    case DropReason::NoDestination: return "no_destination";
    case DropReason::UnknownPort: return "unknown_port";
    case DropReason::UnusedPort: return "unused_port";
  }
  return "foreign";
}

bool is_rtcp(std::span<const std::uint8_t> datagram) {
  // RFC 3550 §6.4.1: the smallest RTCP packet, an empty RR, is 8 octets (header and SSRC).
  if (datagram.size() < 8) return false;
  if ((datagram[0] >> 6) != 2) return false;
  // RFC 5761 §4: RTCP packet types 192..223 sit where an RTP marker bit and payload types 64..95
  // would; those payload types are therefore never used for RTP alongside RTCP.
  return datagram[1] >= 192 && datagram[1] <= 223;
}

PacketKind classify(std::span<const std::uint8_t> datagram) {
  if (is_rtcp(datagram)) return PacketKind::Rtcp;
  return parse_rtp(datagram).has_value() ? PacketKind::Rtp : PacketKind::Other;
}

Decision decide(const LatchState& state, const Address& source, TimePoint now, PacketKind kind,
                Component component, const LatchConfig& config) {
  Decision d;
  if (kind == PacketKind::Other) {  // rule 1
    d.reason = DropReason::NotRtp;
    return d;
  }
  const bool confirms = kind == confirming_kind(component);
  const bool learning = now < state.learn_until || !state.latched;
  const bool from_latched = state.latched && *state.latched == source;
  // Rule 2 before rule 3: the signalled address wins even over a latched other source.
  const bool from_expected = state.expected && *state.expected == source;
  if (from_expected || from_latched) {
    d.accept = true;
    d.learn = confirms && !from_latched;
  } else if (learning) {  // rule 4
    if (!is_admissible(state, source)) return d;  // Foreign
    d.accept = true;
    d.learn = confirms;
  } else {  // rule 5: locked
    if (config.strict_source) return d;  // Foreign
    d.accept = true;  // forwarded, never latched
  }
  // Locked once a packet is accepted after the window while a source is (or becomes) latched.
  const bool will_be_latched = state.latched.has_value() || d.learn;
  d.lock = !state.locked && now >= state.learn_until && will_be_latched;
  return d;
}

void apply(LatchState& state, const Decision& decision, const Address& source) {
  if (decision.learn && (!state.latched || *state.latched != source)) state.latched = source;
  if (decision.lock) state.locked = true;
}

LatchState next_state(const LatchState& state, const Decision& decision, const Address& source) {
  LatchState next = state;
  apply(next, decision, source);
  return next;
}

LatchState on_signalling(const LatchState& state, TimePoint now, std::optional<Address> expected,
                         bool expected_usable, const LatchConfig& config) {
  LatchState next = state;
  // The media moved (another phone, another port): what we learned was about the old one.
  if (expected != state.expected) next.latched.reset();
  next.expected = std::move(expected);
  next.expected_usable = expected_usable;
  next.learn_until = now + config.learning_window;
  next.locked = false;
  return next;
}

const Address* destination(const LatchState& state) {
  if (state.latched) return &*state.latched;
  if (state.expected && state.expected_usable) return &*state.expected;
  return nullptr;
}

}  // namespace resproxy::media::relay
