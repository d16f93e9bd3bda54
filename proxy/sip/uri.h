#pragma once
// SIP, SIPS and other URIs (RFC 3261 §19.1, §25.1; RFC 3966 for tel; RFC 5118 for IPv6
// references). parse_uri() splits a URI into views of its components without decoding them;
// percent_decode() decodes a component; uri_equal() compares two URIs the §19.1.4 way.
// Parsed lazily: the Message parser only validates the Request-URI with it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/result.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"

namespace resproxy::sip {

enum class UriScheme : std::uint8_t { Sip, Sips, Tel, Other };

// A URI split into views of the text it was parsed from (nothing is decoded).
//   sip:user:password@host:port;uri-params?headers
// For tel: `user` is the telephone-subscriber and `params` its parameters; host is empty.
// For other schemes only `scheme` and `opaque` are set.
struct Uri {
  UriScheme scheme_id = UriScheme::Other;
  std::string_view scheme;    // as written ("sip", "SIP", "tel", "soap.beep")
  std::string_view opaque;    // everything after "scheme:"
  std::string_view user;      // raw, %-escaped; empty if none
  std::string_view password;  // raw; empty if none
  bool has_password = false;
  std::string_view host;      // brackets kept for IPv6 references: "[2001:db8::10]"
  std::optional<std::uint16_t> port;
  std::string_view params;    // raw, from the first ';' of the host part (";lr;transport=tcp"), or ""
  std::string_view headers;   // raw, after '?' ("Route=%3Csip:a%3E&Subject=x"), or ""
  bool has_headers = false;

  [[nodiscard]] bool is_sip() const {
    return scheme_id == UriScheme::Sip || scheme_id == UriScheme::Sips;
  }
  // A URI parameter by name (case-insensitive): "" if valueless, nullopt if absent. Raw.
  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const {
    return find_param(params, name);
  }
  [[nodiscard]] bool is_ipv6_reference() const { return !host.empty() && host.front() == '['; }
};

// Parses an absolute URI. For sip/sips the full §25.1 SIP-URI grammar is checked (user and
// password characters and escapes, host as hostname / IPv4 / [IPv6], port 0..65535, parameters,
// headers); an IPv6 address must be bracketed (RFC 5118 §4.2: "sip:2001:db8::10" is invalid).
// IPv6 references are checked for their character set only, so the RFC 3261 three-colon form
// of RFC 5118 §4.10 is accepted. Other schemes need a valid scheme and a non-empty rest of
// URI characters. Error BadHeaderValue on anything else (the Message parser reports a bad
// Request-URI as BadRequestUri).
[[nodiscard]] Result<Uri, ParseError> parse_uri(std::string_view text);

// Decodes every %HH escape (including %00: the result may hold NUL bytes and is never cut
// short at one). A '%' not followed by two hex digits is kept literally.
[[nodiscard]] std::string percent_decode(std::string_view text);

// RFC 3261 §19.1.4 equality. SIP/SIPS: same scheme; user and password equal case-sensitively
// after decoding escapes of unreserved characters; host case-insensitive; port equal (an
// absent port never equals an explicit one); parameters present in both equal (names and
// values case-insensitive), and user, ttl, method and maddr present in only one make the URIs
// differ; headers must be the same set. tel (RFC 3966 §4): subscriber without visual
// separators, same parameter set. Other schemes: scheme case-insensitive, rest exact.
// Unparsable URIs are equal only if byte-identical.
[[nodiscard]] bool uri_equal(std::string_view a, std::string_view b);
[[nodiscard]] bool uri_equal(const Uri& a, const Uri& b);

}  // namespace resproxy::sip
