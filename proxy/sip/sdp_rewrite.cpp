#include "proxy/sip/sdp_rewrite.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "proxy/base/ip_range.h"

namespace resproxy::sip {

namespace {

bool is_ice_attribute(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kIce{
      "candidate",         "ice-ufrag", "ice-pwd",      "ice-options", "remote-candidates",
      "end-of-candidates", "ice-lite",  "ice-mismatch", "ice-pacing"};
  return std::find(kIce.begin(), kIce.end(), name) != kIce.end();
}

std::optional<MediaDirection> direction_of(const std::vector<SdpAttribute>& attributes) {
  // The first direction attribute wins: RFC 3264 allows one per level, a second is noise.
  for (const auto& a : attributes) {
    if (a.value) continue;
    if (a.name == "sendrecv") return MediaDirection::SendRecv;
    if (a.name == "sendonly") return MediaDirection::SendOnly;
    if (a.name == "recvonly") return MediaDirection::RecvOnly;
    if (a.name == "inactive") return MediaDirection::Inactive;
  }
  return std::nullopt;
}

bool has_any(const std::vector<SdpAttribute>& attributes, bool (*pred)(std::string_view)) {
  return std::any_of(attributes.begin(), attributes.end(),
                     [pred](const SdpAttribute& a) { return pred(a.name); });
}

bool is_srtp_attribute(std::string_view name) { return name == "crypto" || name == "fingerprint"; }

// 0.0.0.0, or :: in any of its spellings (an IPv4-mapped ::ffff:0.0.0.0 is not ::).
bool is_unspecified(std::string_view address) {
  return address == "0.0.0.0" || parse_ip(address) == Ip128{};
}

// The zero-address hold of SdpStream. "0.0.0.0" is the one IPv4 spelling RFC 2543 uses.
bool is_zero_address(const SdpConnection& c) {
  if (c.addr_type == "IP4") return c.address == "0.0.0.0";
  return c.addr_type == "IP6" && parse_ip(c.address) == Ip128{};
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// RFC 3605: "port" or "port nettype addrtype address". nullopt if it is neither.
struct RtcpAttribute {
  std::uint16_t port = 0;
  std::optional<std::string> address;
};
std::optional<RtcpAttribute> parse_rtcp(std::string_view value) {
  std::array<std::string_view, 5> fields{};
  std::size_t count = 0;
  while (count < fields.size()) {
    const auto space = value.find(' ');
    fields[count++] = value.substr(0, space);
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
  const auto port = parse_port(fields[0]);
  const bool empty_field = std::any_of(fields.begin(), fields.begin() + count,
                                       [](std::string_view f) { return f.empty(); });
  if (!port || (count != 1 && count != 4) || empty_field) return std::nullopt;
  RtcpAttribute out{*port, std::nullopt};
  if (count == 4) out.address = std::string(fields[3]);
  return out;
}

// sess-version + offset in decimal, on a digit string of any length (RFC 4566 sets no bound).
std::string add_decimal(std::string digits, std::uint64_t offset) {
  for (std::size_t i = digits.size(); offset != 0;) {
    if (i == 0) {
      digits.insert(digits.begin(), '0');
      i = 1;
    }
    --i;
    const std::uint64_t sum = static_cast<std::uint64_t>(digits[i] - '0') + offset % 10;
    digits[i] = static_cast<char>('0' + sum % 10);
    offset = offset / 10 + sum / 10;  // cannot overflow: at most (2^64 - 1) / 10 + 1
  }
  return digits;
}

SdpConnection relay_connection(const RelayedStream& relay, bool zero_address_hold) {
  const bool v6 = relay.address.find(':') != std::string::npos;
  const std::string_view hold = v6 ? "::" : "0.0.0.0";
  return SdpConnection{"IN", v6 ? "IP6" : "IP4",
                       zero_address_hold ? std::string(hold) : relay.address};
}

void rewrite_rtcp(SdpMedia& m, const RelayedStream& relay) {
  bool seen = false;
  for (auto& a : m.attributes) {
    if (a.name != "rtcp") continue;
    seen = true;
    // A malformed value is rewritten too: nothing of the endpoint's may leak through it.
    const auto old = a.value ? parse_rtcp(*a.value) : std::nullopt;
    std::string value = std::to_string(relay.rtcp_port);
    if (old && old->address) {
      const SdpConnection c = relay_connection(relay, false);
      value += " " + c.net_type + " " + c.addr_type + " " + c.address;
    }
    a.value = std::move(value);
  }
  if (!seen && relay.rtcp_port != relay.rtp_port + 1) {
    m.attributes.push_back({"rtcp", std::to_string(relay.rtcp_port)});
  }
}

void strip_ice(std::vector<SdpAttribute>& attributes) {
  std::erase_if(attributes, [](const SdpAttribute& a) { return is_ice_attribute(a.name); });
}

bool relays(std::span<const RelayedStream> relayed, std::size_t i) {
  return i < relayed.size() && relayed[i].rtp_port != 0;
}

// Static ranges of is_private_or_unusable, parsed once (immutable).
const std::vector<IpRange>& unusable_ranges() {
  static const std::vector<IpRange> kRanges = [] {
    std::vector<IpRange> out;
    for (std::string_view text :
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128",
          "fc00::/7", "fe80::/10", "ff00::/8"}) {
      out.push_back(*IpRange::parse(text));  // constants, all well formed
    }
    return out;
  }();
  return kRanges;
}

}  // namespace

std::string_view to_string(MediaDirection direction) {
  switch (direction) {
    case MediaDirection::SendRecv: return "sendrecv";
    case MediaDirection::SendOnly: return "sendonly";
    case MediaDirection::RecvOnly: return "recvonly";
    case MediaDirection::Inactive: return "inactive";
  }
  return "sendrecv";
}

std::vector<SdpStream> media_streams(const Sdp& sdp) {
  // Session-level facts once, not once per m= line: the work stays linear in the input.
  const auto session_direction = direction_of(sdp.attributes);
  const bool session_ice = has_any(sdp.attributes, is_ice_attribute);
  const bool session_srtp = has_any(sdp.attributes, is_srtp_attribute);
  std::vector<SdpStream> out;
  out.reserve(sdp.media.size());
  for (const auto& m : sdp.media) {
    SdpStream s;
    s.media = m.media;
    s.proto = m.proto;
    if (const SdpConnection* c = sdp.connection_for(m)) {  // always, for a parsed description
      s.address = c->address;
      s.addr_type = c->addr_type;
      s.zero_address_hold = is_zero_address(*c);
    }
    s.port = m.port;
    s.port_count = m.port_count.value_or(1);
    s.disabled = m.port == 0;
    s.rtcp_address = s.address;
    if (!s.disabled && m.port != 65535) s.rtcp_port = static_cast<std::uint16_t>(m.port + 1);
    if (const SdpAttribute* a = m.attribute("rtcp"); a != nullptr && a->value && !s.disabled) {
      if (const auto rtcp = parse_rtcp(*a->value)) {
        s.rtcp_port = rtcp->port;
        if (rtcp->address) s.rtcp_address = *rtcp->address;
      }
    }
    s.rtcp_mux = m.attribute("rtcp-mux") != nullptr;
    s.direction =
        direction_of(m.attributes).value_or(session_direction.value_or(MediaDirection::SendRecv));
    if (s.zero_address_hold) {
      if (s.direction == MediaDirection::SendRecv) s.direction = MediaDirection::SendOnly;
      if (s.direction == MediaDirection::RecvOnly) s.direction = MediaDirection::Inactive;
    }
    s.srtp = m.proto.find("SAVP") != std::string::npos || session_srtp ||
             has_any(m.attributes, is_srtp_attribute);
    s.has_ice = session_ice || has_any(m.attributes, is_ice_attribute);
    out.push_back(std::move(s));
  }
  return out;
}

std::string_view to_string(SdpRewriteError error) {
  switch (error) {
    case SdpRewriteError::TooManyStreams: return "more relayed streams than m= lines";
    case SdpRewriteError::DisabledStreamRelayed: return "relay for a disabled stream";
    case SdpRewriteError::BadRelay: return "relay address or RTCP port unusable";
    case SdpRewriteError::LayeredStream: return "m= line with several ports";
  }
  return "unknown";
}

int to_sip_status(SdpRewriteError error) {
  return error == SdpRewriteError::LayeredStream ? 488 : 500;
}

Result<Sdp, SdpRewriteError> rewrite_for_relay(const Sdp& sdp,
                                               std::span<const RelayedStream> relayed,
                                               const RewriteOptions& options) {
  if (relayed.size() > sdp.media.size()) return unexpected(SdpRewriteError::TooManyStreams);
  const std::vector<SdpStream> streams = media_streams(sdp);
  std::vector<SdpConnection> target(sdp.media.size());  // the new c= of each relayed line
  std::optional<std::size_t> first_relayed, first_inheriting;
  bool session_pinned = false;  // an unrelayed, enabled line lives on the session c=
  for (std::size_t i = 0; i < sdp.media.size(); ++i) {
    const SdpMedia& m = sdp.media[i];
    if (!relays(relayed, i)) {
      session_pinned = session_pinned || (!m.connection && m.port != 0);
      continue;
    }
    const RelayedStream& r = relayed[i];
    if (m.port == 0) return unexpected(SdpRewriteError::DisabledStreamRelayed);
    if (!parse_ip(r.address) || is_unspecified(r.address) || r.rtcp_port == 0) {
      return unexpected(SdpRewriteError::BadRelay);
    }
    if (m.port_count && *m.port_count > 1) return unexpected(SdpRewriteError::LayeredStream);
    target[i] = relay_connection(r, streams[i].zero_address_hold);
    if (!first_relayed) first_relayed = i;
    if (!m.connection && !first_inheriting) first_inheriting = i;
  }

  Sdp out = sdp;
  if (out.connection && !session_pinned && first_relayed) {
    out.connection = target[first_inheriting.value_or(*first_relayed)];
  }
  for (std::size_t i = 0; i < out.media.size(); ++i) {
    if (!relays(relayed, i)) continue;
    SdpMedia& m = out.media[i];
    // In place when the line has its own c=; a line inheriting the session c= needs its own
    // only when the session c= did not become its connection.
    if (m.connection || out.connection != target[i]) m.connection = target[i];
    m.port = relayed[i].rtp_port;
    rewrite_rtcp(m, relayed[i]);
  }
  if (options.ice == IcePolicy::Strip) {
    strip_ice(out.attributes);
    for (auto& m : out.media) strip_ice(m.attributes);
  }
  out.origin.session_version = add_decimal(out.origin.session_version, options.version_offset);
  return out;
}

bool is_private_or_unusable(std::string_view address) {
  const auto ip = parse_ip(address);
  if (!ip) return true;
  const auto& ranges = unusable_ranges();
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const IpRange& range) { return range.contains(*ip); });
}

bool needs_relay(MediaRelayPolicy policy, std::span<const SdpStream> streams,
                 bool via_received_differs) {
  const bool any_enabled =
      std::any_of(streams.begin(), streams.end(), [](const SdpStream& s) { return !s.disabled; });
  if (!any_enabled) return false;
  switch (policy) {
    case MediaRelayPolicy::Always: return true;
    case MediaRelayPolicy::Never: return false;
    case MediaRelayPolicy::WhenNatted:
      return via_received_differs ||
             std::any_of(streams.begin(), streams.end(), [](const SdpStream& s) {
               return !s.disabled && !s.zero_address_hold &&
                      (is_private_or_unusable(s.address) || is_private_or_unusable(s.rtcp_address));
             });
  }
  return false;
}

}  // namespace resproxy::sip
