#pragma once
// Internal to proxy/config: the value parsers the schema's setters use. Each returns the value
// or throws Invalid with the problem ("\"x\" is out of range"); the parser adds file, line,
// section, parameter and the parameter's allowed text.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/config/text.h"
#include "proxy/security/digest.h"
#include "proxy/security/gateway_policy.h"

namespace resproxy::config {

// A bad value: the setter throws it, the parser adds file, line, section and parameter.
struct Invalid {
  std::string problem;
};

inline constexpr std::string_view kBoolAllowed = "0, 1, on, off";
inline constexpr std::string_view kUserAllowed =
    "a user part without spaces, '@', ':' or ';', e.g. 4900";
inline constexpr std::string_view kPeerIpAllowed =
    "an IPv4 or IPv6 address other than 0.0.0.0 and ::";
inline constexpr std::string_view kItspNameAllowed =
    "an IPv4 or IPv6 address, or a host name such as itsp.example.com";
inline constexpr std::string_view kLanHostNameAllowed =
    "a host name (letters, digits, '-', dots), such as itsp.example.com";
inline constexpr std::string_view kPasswordAllowed = "any text, quoted if it has ';' or '#'";

std::int64_t parse_integer(std::string_view value, std::int64_t min, std::int64_t max);
// "min..max unit", the allowed text of an integer parameter.
std::string range_text(std::int64_t min, std::int64_t max, std::string_view unit = {});

// A comma-separated list; every item passes `item` (which throws Invalid), empty items refused.
template <typename Item>
std::vector<Item> parse_list(std::string_view value, Item (*item)(std::string_view)) {
  std::vector<Item> out;
  std::size_t pos = 0;
  while (pos <= value.size()) {
    const std::size_t comma = std::min(value.find(',', pos), value.size());
    std::string_view part = value.substr(pos, comma - pos);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (part.empty()) throw Invalid{"an empty item in '" + std::string(value) + "'"};
    out.push_back(item(part));
    pos = comma + 1;
  }
  return out;
}

// One of `choices`, compared after normalize() ("Call Setup" is call_setup).
template <typename T>
T parse_choice(std::string_view value, const std::vector<std::pair<std::string_view, T>>& choices) {
  const std::string v = text::normalize(value);
  for (const auto& [name, result] : choices) {
    if (v == name) return result;
  }
  throw Invalid{text::quoted(value) + " is not allowed"};
}

bool parse_bool(std::string_view value);  // 0/1, on/off, yes/no, true/false
std::string parse_dial_string(std::string_view value);     // digits, +, *, #; up to 32
std::string parse_prefix(std::string_view value);          // digits, +, *, #
std::string parse_interface_name(std::string_view value);  // eth1, br-lan (Linux IFNAMSIZ)
security::SenderSet parse_dialers(std::string_view value);  // trusted, authenticated / none
security::DigestAlgorithm parse_algorithm(std::string_view value);
int parse_failover_code(std::string_view value);  // 500..599
std::string parse_method(std::string_view value);  // a SIP method, upper-cased
std::string parse_ip_text(std::string_view value);
std::string parse_nonempty(std::string_view value);
std::string parse_user(std::string_view value);  // a user part as dialled or registered
std::string parse_domain(std::string_view value);
std::string parse_sip_uri(std::string_view value);
bool is_unspecified(std::string_view ip);  // 0.0.0.0 or ::
// An address to send to: an IP address, not 0.0.0.0 or ::.
std::string parse_peer_ip(std::string_view value);
// "192.0.2.1", "192.0.2.1:5062", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:5062".
Address parse_ip_port(std::string_view value, std::uint16_t default_port);
// A DNS host name (RFC 1123) whose last label is not all digits (not a mistyped IPv4 address).
bool is_host_name(std::string_view name);

inline Duration seconds(std::int64_t s) { return std::chrono::seconds(s); }
inline Duration millis(std::int64_t ms) { return std::chrono::milliseconds(ms); }
inline std::int64_t to_seconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}
inline std::int64_t to_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace resproxy::config
