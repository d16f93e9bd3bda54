// One m= line as a relay leg (sdp_leg.h).
#include "proxy/media/relay/sdp_leg.h"

#include <string>

#include "proxy/sip/text.h"

namespace resproxy::media::relay {

Direction direction_of(sip::MediaDirection d) {
  switch (d) {
    case sip::MediaDirection::SendRecv: return Direction::SendRecv;
    case sip::MediaDirection::SendOnly: return Direction::SendOnly;
    case sip::MediaDirection::RecvOnly: return Direction::RecvOnly;
    case sip::MediaDirection::Inactive: return Direction::Inactive;
  }
  return Direction::SendRecv;
}

LegMedia leg_media(const sip::SdpStream& s, std::string_view sender_ip) {
  LegMedia m;
  m.family = sip::text::iequals(s.addr_type, "IP6") ? Family::Ipv6 : Family::Ipv4;
  m.rtcp_mux = s.rtcp_mux;
  m.direction = direction_of(s.direction);
  const std::string ip = sip::text::lowercase(s.address);
  m.address_usable = !s.zero_address_hold && (!sip::is_private_or_unusable(ip) || ip == sender_ip);
  if (!s.zero_address_hold && !s.disabled) m.rtp = Address{ip, s.port};
  if (m.rtp && s.rtcp_port != 0 && !s.rtcp_address.empty()) {
    m.rtcp = Address{sip::text::lowercase(s.rtcp_address), s.rtcp_port};
  }
  return m;
}

}  // namespace resproxy::media::relay
