#include "proxy/base/ip_range.h"

#include <algorithm>
#include <cstddef>

namespace resproxy {

namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Dotted quad, exactly four decimal parts 0..255. Leading zeros are refused ("010" would be
// octal to inet_aton and decimal to others: ambiguous input from a config file is an error).
std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> out{};
  std::size_t part = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && is_digit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    const std::size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && text[start] == '0')) return std::nullopt;
    out[part++] = static_cast<std::uint8_t>(value);
    if (part == 4) break;
    if (i >= text.size() || text[i] != '.') return std::nullopt;
    ++i;
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

Ip128 mapped_ipv4(const std::array<std::uint8_t, 4>& v4) {
  Ip128 out{};
  out[10] = 0xff;
  out[11] = 0xff;
  std::copy(v4.begin(), v4.end(), out.begin() + 12);
  return out;
}

// RFC 4291 §2.2: eight 16-bit groups, one "::" standing for one or more zero groups, the last
// 32 bits optionally in dotted-quad form.
std::optional<Ip128> parse_ipv6(std::string_view text) {
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;
  std::optional<std::size_t> gap;  // index in `groups` where "::" stands
  std::size_t i = 0;

  if (text.starts_with("::")) {
    gap = 0;
    i = 2;
    if (i == text.size()) return Ip128{};  // "::"
  } else if (text.starts_with(":")) {
    return std::nullopt;
  }

  while (i < text.size()) {
    // A dotted quad may take the place of the last two groups.
    const std::size_t next_colon = text.find(':', i);
    const std::string_view piece = text.substr(i, next_colon == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : next_colon - i);
    if (piece.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos || count > 6) return std::nullopt;
      const auto v4 = parse_ipv4(piece);
      if (!v4) return std::nullopt;
      groups[count++] = static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]);
      groups[count++] = static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]);
      i = text.size();
      break;
    }
    if (piece.empty() || piece.size() > 4 || count == 8) return std::nullopt;
    unsigned value = 0;
    for (char c : piece) {
      const int h = hex_value(c);
      if (h < 0) return std::nullopt;
      value = (value << 4) | static_cast<unsigned>(h);
    }
    groups[count++] = static_cast<std::uint16_t>(value);
    i += piece.size();
    if (i == text.size()) break;
    // i is at a ':'.
    if (i + 1 < text.size() && text[i + 1] == ':') {
      if (gap) return std::nullopt;  // a second "::"
      gap = count;
      i += 2;
    } else {
      ++i;
      if (i == text.size()) return std::nullopt;  // trailing single ':'
    }
  }

  if (gap) {
    if (count >= 8) return std::nullopt;  // "::" must stand for at least one group
    const std::size_t missing = 8 - count;
    std::copy_backward(groups.begin() + static_cast<std::ptrdiff_t>(*gap),
                       groups.begin() + static_cast<std::ptrdiff_t>(count),
                       groups.begin() + static_cast<std::ptrdiff_t>(count + missing));
    std::fill_n(groups.begin() + static_cast<std::ptrdiff_t>(*gap), missing, std::uint16_t{0});
  } else if (count != 8) {
    return std::nullopt;
  }

  Ip128 out{};
  for (std::size_t g = 0; g < 8; ++g) {
    out[2 * g] = static_cast<std::uint8_t>(groups[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(groups[g] & 0xff);
  }
  return out;
}

bool is_mapped_ipv4(const Ip128& ip) {
  for (std::size_t i = 0; i < 10; ++i) {
    if (ip[i] != 0) return false;
  }
  return ip[10] == 0xff && ip[11] == 0xff;
}

// The range of every address sharing the first `prefix_bits` bits of `ip`.
IpRange prefix_range(const Ip128& ip, unsigned prefix_bits) {
  IpRange range{ip, ip};
  for (unsigned bit = prefix_bits; bit < 128; ++bit) {
    const auto byte = bit / 8;
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    range.min[byte] = static_cast<std::uint8_t>(range.min[byte] & ~mask);
    range.max[byte] = static_cast<std::uint8_t>(range.max[byte] | mask);
  }
  return range;
}

std::optional<unsigned> parse_prefix_length(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Ip128> parse_ip(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find(':') != std::string_view::npos) return parse_ipv6(text);
  const auto v4 = parse_ipv4(text);
  if (!v4) return std::nullopt;
  return mapped_ipv4(*v4);
}

std::optional<IpRange> IpRange::parse(std::string_view text) {
  text = trim(text);
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    return from_bounds(text.substr(0, dash), text.substr(dash + 1));
  }
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const auto ip = parse_ip(trim(text.substr(0, slash)));
    if (!ip) return std::nullopt;
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    const auto length = parse_prefix_length(trim(text.substr(slash + 1)), v4 ? 32 : 128);
    if (!length) return std::nullopt;
    // Host bits set ("10.1.2.3/8") are ignored, as routers do: the range is the network.
    return prefix_range(*ip, v4 ? 96 + *length : *length);
  }
  const auto ip = parse_ip(text);
  if (!ip) return std::nullopt;
  return IpRange{*ip, *ip};
}

std::optional<IpRange> IpRange::from_bounds(std::string_view ipmin, std::string_view ipmax) {
  const auto min = parse_ip(trim(ipmin));
  const auto max = parse_ip(trim(ipmax));
  if (!min || !max) return std::nullopt;
  // A range from an IPv4 to an IPv6 address would cover most of ::/0 by accident.
  if (is_mapped_ipv4(*min) != is_mapped_ipv4(*max)) return std::nullopt;
  if (*max < *min) return std::nullopt;
  return IpRange{*min, *max};
}

bool any_contains(const std::vector<IpRange>& ranges, std::string_view ip) {
  const auto parsed = parse_ip(ip);
  if (!parsed) return false;
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const IpRange& range) { return range.contains(*parsed); });
}

}  // namespace resproxy
