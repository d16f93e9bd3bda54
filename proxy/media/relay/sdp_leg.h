#pragma once
// One m= line of an SDP description as a relay leg sees it (session.h LegMedia), shared by the
// proxy's built-in relay (routing/media_anchor.h) and the ng relay server (ng/ng_server.h), so
// that both judge an endpoint's address by the same rule.
#include <string_view>

#include "proxy/media/relay/session.h"
#include "proxy/sip/sdp_rewrite.h"

namespace resproxy::media::relay {

[[nodiscard]] Direction direction_of(sip::MediaDirection direction);

// The SDP's address is usable (sent to before the side has latched, and the only source
// admitted on its IP) when it is public, or when it is where the side's signalling comes from
// (`sender_ip`: a phone on the office LAN, a private address without NAT). A private address
// behind NAT is still the side's SDP (latch.h: learn any source, never send there); only a hold
// without an address or a rejected stream has none.
[[nodiscard]] LegMedia leg_media(const sip::SdpStream& stream, std::string_view sender_ip);

// RFC 3264 §5: an offer (or a re-offer) relays its enabled, single-port m= lines.
[[nodiscard]] inline bool relayable(const sip::SdpStream& s) { return !s.disabled && s.port_count == 1; }

}  // namespace resproxy::media::relay
