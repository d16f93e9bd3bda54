#pragma once
// IpRange: an inclusive range of IPv4 or IPv6 addresses (`ipmin`–`ipmax` of the Vega ignore /
// reject / trust tables, the private ranges a media relay looks for in SDP). Addresses are
// compared as 128-bit numbers; IPv4 maps into ::ffff:0:0/96 so that an IPv4 range never matches
// an IPv6 address by accident. Vocabulary of every layer (security's lists, the SIP layer's SDP
// helpers), hence in base/: one strict IP literal parser for the whole core.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resproxy {

using Ip128 = std::array<std::uint8_t, 16>;

// Parses "192.0.2.1", "::1", "2001:db8::1", "::ffff:192.0.2.1" (no brackets, no zone).
std::optional<Ip128> parse_ip(std::string_view text);

struct IpRange {
  Ip128 min{};
  Ip128 max{};
  [[nodiscard]] bool contains(const Ip128& ip) const { return min <= ip && ip <= max; }
  // "a-b" or a single address or a CIDR "a/len"; nullopt if malformed or min > max.
  static std::optional<IpRange> parse(std::string_view text);
  static std::optional<IpRange> from_bounds(std::string_view ipmin, std::string_view ipmax);
  friend bool operator==(const IpRange&, const IpRange&) = default;
};

// True if `ip` (textual) is inside any range. Unparsable text is never inside.
bool any_contains(const std::vector<IpRange>& ranges, std::string_view ip);

}  // namespace resproxy
