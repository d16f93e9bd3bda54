#pragma once
// Lazy parsers for header field values (RFC 3261 §7.3.1, §20, §25.1): comma-separated lists,
// name-addr / addr-spec (From, To, Contact, Route, Record-Route, Reply-To …), Via lists and
// generic parameters. Message::parse validates a few headers eagerly with these same routines;
// everything else is parsed here only when a layer asks. Results are views into the value
// passed in, so they live as long as the Message they came from.
//
// Values may contain folded line breaks (CRLF followed by SP/HT): every function here treats
// SP, HT, CR and LF alike as whitespace.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/sip/message.h"

namespace resproxy::sip {

// One generic parameter (";name=value" or ";name"). Quotes are kept in `value` when the value
// was a quoted-string: pass it to unquote() to get the text.
struct Param {
  std::string_view name;
  std::string_view value;  // empty if none
  bool has_value = false;

  friend bool operator==(const Param&, const Param&) = default;
};

// Parses a parameter list such as ";tag=1;lr;q = 0.5" (a leading ';' is required before every
// parameter; whitespace around ';' and '=' is allowed). Empty text gives an empty list.
// Error BadHeaderValue: an empty parameter (";;"), a missing name, an unterminated quote or a
// value with characters no parameter may hold; callers answer 400 (or ignore the header).
[[nodiscard]] Result<std::vector<Param>, ParseError> parse_params(std::string_view text);

// The value of the first parameter called `name` (case-insensitive) in a list in the format
// above: "" for a parameter without value, nullopt if absent. Tolerant: never fails, stops at
// the first thing it cannot read. Allocates nothing.
[[nodiscard]] std::optional<std::string_view> find_param(std::string_view params,
                                                          std::string_view name);

// Splits a header value into its comma-separated elements, trimmed; commas inside quoted
// strings and inside <…> do not split. Empty elements are kept (as "") so that callers can
// reject them. "" gives an empty vector.
[[nodiscard]] std::vector<std::string_view> split_values(std::string_view value);

// The same without allocating: returns the next element of `rest` and advances `rest` past it
// and its comma; nullopt once `rest` holds nothing but whitespace.
//   std::string_view rest = field.value;
//   while (auto element = next_value(rest)) { … }
[[nodiscard]] std::optional<std::string_view> next_value(std::string_view& rest);

// A quoted-string's text: strips the surrounding quotes and resolves backslash escapes; text
// without surrounding quotes is returned as it is.
[[nodiscard]] std::string unquote(std::string_view quoted);

// name-addr ("Display" <sip:a@b;uri-param>;header-param) or addr-spec (sip:a@b;header-param).
// In addr-spec form a ';' ends the URI: everything after it is a header parameter (§20).
struct NameAddr {
  std::string_view display_name;  // raw: quotes kept ("\"J. User\"") or tokens (J. User); may be ""
  std::string_view uri;           // without the angle brackets, byte-exact
  std::string_view params;        // raw header parameters from the first ';' (e.g. ";tag=1"), or ""
  bool bracketed = false;         // true for the name-addr form

  [[nodiscard]] std::optional<std::string_view> param(std::string_view name) const {
    return find_param(params, name);
  }
  [[nodiscard]] std::string_view tag() const { return param("tag").value_or(""); }
};

// Parses one element (not a list). Error BadHeaderValue for: an unterminated quote, a display
// name with characters outside token/LWS unless quoted (e.g. an unquoted comma), whitespace
// inside <…> around or within the URI, a URI that is not scheme ":" something, an addr-spec
// URI holding ',' '?' or ';'-less garbage, or bad parameters.
[[nodiscard]] Result<NameAddr, ParseError> parse_name_addr(std::string_view value);

// Every element of a list value (Contact, Route, Record-Route). A lone "*" (Contact: *) is not
// a name-addr: check is_star() first.
[[nodiscard]] Result<std::vector<NameAddr>, ParseError> parse_name_addr_list(std::string_view value);
[[nodiscard]] bool is_star(std::string_view value);

// One via-parm: sent-protocol, sent-by and parameters.
struct Via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  ViaInfo info;                       // transport, host, port, branch, received, rport
  std::string_view maddr;             // empty if absent
  std::optional<std::uint8_t> ttl;
  std::string_view params;            // raw, from the first ';' (e.g. ";branch=z9hG4bK1"), or ""
};

// Parses one via-parm. Error BadVia: a missing or malformed sent-protocol or sent-by, a port
// above 65535, an empty parameter, a malformed rport/ttl value; callers answer 400.
[[nodiscard]] Result<Via, ParseError> parse_via(std::string_view value);
// Parses every via-parm of one Via field value ("v1, v2"). Empty elements are BadVia.
[[nodiscard]] Result<std::vector<Via>, ParseError> parse_via_list(std::string_view value);

// RFC 3261 §8.1.1.7: a branch starting with the magic cookie "z9hG4bK" marks an RFC 3261
// transaction. A branch that is exactly the cookie (RFC 4475 §3.2.1 "badbranch") identifies
// nothing, so it is treated as RFC 2543 (false here): the transaction layer falls back to the
// §17.2.3 RFC 2543 matching rules for it.
[[nodiscard]] constexpr bool is_rfc3261_branch(std::string_view branch) {
  return branch.size() > 7 && branch.substr(0, 7) == "z9hG4bK";
}

}  // namespace resproxy::sip
