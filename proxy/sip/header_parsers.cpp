#include "proxy/sip/header_parsers.h"

#include "proxy/sip/parse_detail.h"
#include "proxy/sip/text.h"

namespace resproxy::sip {

using text::is;
using text::skip_ws;
using text::span_of;
constexpr auto npos = std::string_view::npos;

namespace detail {

bool parse_param_at(std::string_view t, std::size_t& pos, Param& out) {
  std::size_t i = skip_ws(t, pos);
  if (i >= t.size() || t[i] != ';') return false;
  i = skip_ws(t, i + 1);
  const std::size_t name_len = span_of(t, i, text::kToken);
  if (name_len == 0) return false;  // ";;" or ";=x"
  out.name = t.substr(i, name_len);
  out.value = {};
  out.has_value = false;
  i += name_len;
  const std::size_t eq = skip_ws(t, i);
  if (eq < t.size() && t[eq] == '=') {
    std::size_t v = skip_ws(t, eq + 1);
    if (v < t.size() && t[v] == '"') {
      const std::size_t close = text::skip_quoted(t, v);
      if (close == npos) return false;
      out.value = t.substr(v, close - v);
      i = close;
    } else {
      const std::size_t value_len = span_of(t, v, text::kParamValue);
      if (value_len == 0) return false;  // "name=" with nothing usable
      out.value = t.substr(v, value_len);
      i = v + value_len;
    }
    out.has_value = true;
  }
  pos = i;
  return true;
}

bool next_list_element(std::string_view t, std::size_t& pos) {
  const std::size_t i = skip_ws(t, pos);
  if (i >= t.size()) {
    pos = i;
    return false;
  }
  // guaranteed by the element parsers: they stop only at ',' or at the end
  pos = i + 1;
  return true;
}

bool is_absolute_uri(std::string_view uri) {
  if (uri.empty() || !is(uri[0], text::kAlnum) || text::is_digit(uri[0])) return false;
  const std::size_t scheme_len = span_of(uri, 0, text::kSchemeChar);
  if (scheme_len >= uri.size() || uri[scheme_len] != ':' || scheme_len + 1 == uri.size()) {
    return false;
  }
  return text::all_of_escaped(uri.substr(scheme_len + 1), text::kUric);
}

namespace {

bool parse_port(std::string_view t, std::size_t& i, std::optional<std::uint16_t>& port) {
  const std::size_t digits = span_of(t, i, text::kDigit);
  std::uint64_t value = 0;
  if (digits == 0 || digits > 5 || !text::parse_decimal(t.substr(i, digits), 65535, value)) {
    return false;
  }
  port = static_cast<std::uint16_t>(value);
  i += digits;
  return true;
}

// host = hostname / IPv4address / IPv6reference. IPv6 references are checked for their
// character set only (RFC 5118 §4.10: accept the RFC 3261 three-colon spelling too).
bool parse_host(std::string_view t, std::size_t& i, std::string_view& host) {
  if (i < t.size() && t[i] == '[') {
    const std::size_t close = t.find(']', i + 1);
    if (close == npos || close == i + 1) return false;
    for (std::size_t k = i + 1; k < close; ++k) {
      if (text::hex_value(t[k]) < 0 && t[k] != ':' && t[k] != '.') return false;
    }
    host = t.substr(i, close + 1 - i);
    i = close + 1;
    return true;
  }
  const std::size_t len = span_of(t, i, text::kHostChar);
  if (len == 0) return false;
  host = t.substr(i, len);
  i += len;
  return true;
}

}  // namespace

bool parse_via_at(std::string_view t, std::size_t& pos, Via& v) {
  v = Via{};
  std::size_t i = skip_ws(t, pos);
  auto token = [&](std::string_view& out) {
    const std::size_t n = span_of(t, i, text::kToken);
    if (n == 0) return false;
    out = t.substr(i, n);
    i += n;
    return true;
  };
  auto slash = [&] {
    i = skip_ws(t, i);
    if (i >= t.size() || t[i] != '/') return false;
    i = skip_ws(t, i + 1);
    return true;
  };
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  if (!token(v.protocol_name) || !slash() || !token(v.protocol_version) || !slash() ||
      !token(v.info.transport)) {
    return false;
  }
  // LWS sent-by
  std::size_t j = skip_ws(t, i);
  if (j == i) return false;
  i = j;
  if (!parse_host(t, i, v.info.host)) return false;
  j = skip_ws(t, i);
  if (j < t.size() && t[j] == ':') {  // COLON = SWS ":" SWS
    i = skip_ws(t, j + 1);
    if (!parse_port(t, i, v.info.port)) return false;
  }
  // *( SEMI via-params )
  std::size_t params_begin = npos;
  std::size_t params_end = npos;
  for (;;) {
    j = skip_ws(t, i);
    if (j >= t.size() || t[j] == ',') {
      i = j;
      break;
    }
    if (t[j] != ';') return false;
    if (params_begin == npos) params_begin = j;
    Param p;
    if (!parse_param_at(t, j, p)) return false;
    i = j;
    params_end = j;
    // Dispatch on the length first: most parameters are rejected without a compare.
    const std::size_t n = p.name.size();
    if (n == 6 && text::iequals(p.name, "branch")) {
      if (!p.has_value || p.value.front() == '"') return false;
      v.info.branch = p.value;
    } else if (n == 8 && text::iequals(p.name, "received")) {
      if (!p.has_value || p.value.front() == '"') return false;
      v.info.received = p.value;
    } else if (n == 5 && text::iequals(p.name, "rport")) {
      v.info.has_rport = true;
      if (p.has_value) {
        std::size_t k = 0;
        if (!parse_port(p.value, k, v.info.rport) || k != p.value.size()) return false;
      }
    } else if (n == 5 && text::iequals(p.name, "maddr")) {
      if (!p.has_value) return false;
      v.maddr = p.value;
    } else if (n == 3 && text::iequals(p.name, "ttl")) {
      std::uint64_t ttl = 0;
      if (!p.has_value || !text::parse_decimal(p.value, 255, ttl)) return false;
      v.ttl = static_cast<std::uint8_t>(ttl);
    }
  }
  if (params_begin != npos) v.params = t.substr(params_begin, params_end - params_begin);
  pos = i;
  return true;
}

bool parse_name_addr_at(std::string_view t, std::size_t& pos, bool in_list, NameAddr& out,
                        std::optional<std::string_view>* tag) {
  out = NameAddr{};
  std::size_t i = skip_ws(t, pos);
  if (i >= t.size()) return false;
  bool bracketed = false;
  if (t[i] == '"') {
    const std::size_t close = text::skip_quoted(t, i);
    if (close == npos) return false;  // RFC 4475 §3.1.2.6: unbalanced quote
    out.display_name = t.substr(i, close - i);
    i = skip_ws(t, close);
    if (i >= t.size() || t[i] != '<') return false;
    bracketed = true;
  } else {
    // display-name = *(token LWS); RFC 4475 §3.1.1.6: also "caller<sip:…>" without the LWS
    std::size_t j = i;
    while (j < t.size() && (text::is_token(t[j]) || text::is_ws(t[j]))) ++j;
    if (j < t.size() && t[j] == '<') {
      out.display_name = text::trim(t.substr(i, j - i));
      i = j;
      bracketed = true;
    }
  }
  if (bracketed) {
    const std::size_t close = t.find('>', i + 1);
    if (close == npos) return false;
    out.uri = t.substr(i + 1, close - i - 1);
    // RFC 4475 §3.1.2.14: no whitespace inside <…>; is_absolute_uri rejects any
    if (!is_absolute_uri(out.uri)) return false;
    i = close + 1;
  } else {
    std::size_t j = i;
    while (j < t.size() && !text::is_ws(t[j]) && t[j] != ';' && t[j] != ',') ++j;
    out.uri = t.substr(i, j - i);
    // §20: a URI holding ',' '?' or ';' must be in <…>: in addr-spec form ';' starts the
    // header parameters and '?' is an error (RFC 4475 §3.1.2.13)
    if (!is_absolute_uri(out.uri) || out.uri.find('?') != npos) return false;
    i = j;
  }
  out.bracketed = bracketed;
  std::size_t params_begin = npos;
  std::size_t params_end = npos;
  for (;;) {
    std::size_t j = skip_ws(t, i);
    if (j >= t.size() || (in_list && t[j] == ',')) {
      i = j;
      break;
    }
    if (t[j] != ';') return false;
    if (params_begin == npos) params_begin = j;
    Param p;
    if (!parse_param_at(t, j, p)) return false;
    i = j;
    params_end = j;
    if (tag != nullptr && !tag->has_value() && text::iequals(p.name, "tag")) *tag = p.value;
  }
  if (params_begin != npos) out.params = t.substr(params_begin, params_end - params_begin);
  pos = i;
  return true;
}

}  // namespace detail

Result<std::vector<Param>, ParseError> parse_params(std::string_view params) {
  std::vector<Param> out;
  std::size_t i = 0;
  for (;;) {
    i = skip_ws(params, i);
    if (i >= params.size()) break;
    Param p;
    if (!detail::parse_param_at(params, i, p)) return unexpected(ParseError::BadHeaderValue);
    out.push_back(p);
  }
  return out;
}

std::optional<std::string_view> find_param(std::string_view params, std::string_view name) {
  std::size_t i = 0;
  for (;;) {
    i = skip_ws(params, i);
    if (i >= params.size()) return std::nullopt;
    Param p;
    if (!detail::parse_param_at(params, i, p)) return std::nullopt;
    if (text::iequals(p.name, name)) return p.value;
  }
}

std::optional<std::string_view> next_value(std::string_view& rest) {
  if (rest.data() == nullptr) return std::nullopt;
  std::size_t i = 0;
  int angle = 0;
  while (i < rest.size()) {
    const char c = rest[i];
    if (c == '"') {
      const std::size_t close = text::skip_quoted(rest, i);
      if (close == npos) {
        i = rest.size();
        break;
      }
      i = close;
      continue;
    }
    if (c == '<') {
      angle = 1;
    } else if (c == '>') {
      angle = 0;
    } else if (c == ',' && angle == 0) {
      break;
    }
    ++i;
  }
  const std::string_view element = text::trim(rest.substr(0, i));
  rest = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
  return element;
}

std::vector<std::string_view> split_values(std::string_view value) {
  std::vector<std::string_view> out;
  if (text::trim(value).empty()) return out;
  if (value.data() == nullptr) return out;
  while (auto element = next_value(value)) out.push_back(*element);
  return out;
}

std::string unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
    return std::string(quoted);
  }
  std::string out;
  out.reserve(quoted.size() - 2);
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 2 < quoted.size()) ++i;
    out.push_back(quoted[i]);
  }
  return out;
}

Result<NameAddr, ParseError> parse_name_addr(std::string_view value) {
  NameAddr out;
  std::size_t pos = 0;
  if (!detail::parse_name_addr_at(value, pos, /*in_list=*/false, out)) {
    return unexpected(ParseError::BadHeaderValue);
  }
  return out;
}

bool is_star(std::string_view value) { return text::trim(value) == "*"; }

Result<std::vector<NameAddr>, ParseError> parse_name_addr_list(std::string_view value) {
  std::vector<NameAddr> out;
  std::size_t pos = 0;
  do {
    NameAddr element;
    if (!detail::parse_name_addr_at(value, pos, /*in_list=*/true, element)) {
      return unexpected(ParseError::BadHeaderValue);
    }
    out.push_back(element);
  } while (detail::next_list_element(value, pos));
  return out;
}

Result<Via, ParseError> parse_via(std::string_view value) {
  Via out;
  std::size_t pos = 0;
  if (!detail::parse_via_at(value, pos, out) || pos != value.size()) {
    return unexpected(ParseError::BadVia);
  }
  return out;
}

Result<std::vector<Via>, ParseError> parse_via_list(std::string_view value) {
  std::vector<Via> out;
  std::size_t pos = 0;
  do {
    Via element;
    if (!detail::parse_via_at(value, pos, element)) return unexpected(ParseError::BadVia);
    out.push_back(element);
  } while (detail::next_list_element(value, pos));
  return out;
}

}  // namespace resproxy::sip
