#include "proxy/sip/uri.h"

#include <algorithm>
#include <vector>

#include "proxy/sip/parse_detail.h"
#include "proxy/sip/text.h"

namespace resproxy::sip {

using text::span_of;
constexpr auto npos = std::string_view::npos;

namespace {

// Length of the run at text[pos] of characters in `flags` or valid %HH escapes.
std::size_t span_escaped(std::string_view t, std::size_t pos, std::uint16_t flags) {
  std::size_t i = pos;
  while (i < t.size()) {
    if (t[i] == '%') {
      if (i + 2 >= t.size() || text::hex_value(t[i + 1]) < 0 || text::hex_value(t[i + 2]) < 0) {
        break;
      }
      i += 3;
    } else if (text::is(t[i], flags)) {
      ++i;
    } else {
      break;
    }
  }
  return i - pos;
}

// host = hostname / IPv4address / IPv6reference (character sets only, see uri.h).
bool parse_host(std::string_view t, std::size_t& i, std::string_view& host) {
  if (i < t.size() && t[i] == '[') {
    const std::size_t close = t.find(']', i + 1);
    if (close == npos || close == i + 1) return false;
    bool has_colon = false;
    for (std::size_t k = i + 1; k < close; ++k) {
      if (t[k] == ':') {
        has_colon = true;
      } else if (text::hex_value(t[k]) < 0 && t[k] != '.') {
        return false;
      }
    }
    if (!has_colon) return false;
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

bool parse_sip_rest(std::string_view rest, Uri& u) {
  std::size_t i = 0;
  // userinfo: '@' cannot appear unescaped in user, password, host, params or headers, so the
  // first '@' ends the userinfo (RFC 4475 §3.1.1.9: "user;par=u%40example.net@example.com").
  const std::size_t at = rest.find('@');
  if (at != npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    if (u.user.empty() || span_escaped(u.user, 0, text::kUser) != u.user.size()) return false;
    if (colon != npos) {
      u.has_password = true;
      u.password = userinfo.substr(colon + 1);
      if (span_escaped(u.password, 0, text::kPassword) != u.password.size()) return false;
    }
    i = at + 1;
  }
  if (!parse_host(rest, i, u.host)) return false;
  if (i < rest.size() && rest[i] == ':') {
    ++i;
    const std::size_t digits = span_of(rest, i, text::kDigit);
    std::uint64_t port = 0;
    if (digits == 0 || digits > 5 || !text::parse_decimal(rest.substr(i, digits), 65535, port)) {
      return false;
    }
    u.port = static_cast<std::uint16_t>(port);
    i += digits;
  }
  // uri-parameters = *( ";" pname [ "=" pvalue ] )
  const std::size_t params_begin = i;
  while (i < rest.size() && rest[i] == ';') {
    ++i;
    const std::size_t name_len = span_escaped(rest, i, text::kParamChar);
    if (name_len == 0) return false;
    i += name_len;
    if (i < rest.size() && rest[i] == '=') {
      ++i;
      const std::size_t value_len = span_escaped(rest, i, text::kParamChar);
      if (value_len == 0) return false;
      i += value_len;
    }
  }
  u.params = rest.substr(params_begin, i - params_begin);
  // headers = "?" header *( "&" header ); header = hname "=" hvalue
  if (i < rest.size() && rest[i] == '?') {
    u.has_headers = true;
    ++i;
    const std::size_t headers_begin = i;
    for (;;) {
      const std::size_t name_len = span_escaped(rest, i, text::kHeaderChar);
      if (name_len == 0) return false;
      i += name_len;
      if (i >= rest.size() || rest[i] != '=') return false;
      ++i;
      i += span_escaped(rest, i, text::kHeaderChar);
      if (i < rest.size() && rest[i] == '&') {
        ++i;
        continue;
      }
      break;
    }
    u.headers = rest.substr(headers_begin, i - headers_begin);
  }
  return i == rest.size();
}

// Normalises escapes for comparison (§19.1.4: "characters other than those in the reserved
// set are equivalent to their encoding"): escapes of non-reserved characters are decoded,
// escapes of reserved ones stay, with upper-case hex digits.
std::string normalize(std::string_view t, bool lower_case) {
  constexpr std::string_view kReserved = ";/?:@&=+$,";
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '%' && i + 2 < t.size() && text::hex_value(t[i + 1]) >= 0 &&
        text::hex_value(t[i + 2]) >= 0) {
      const char decoded = static_cast<char>(text::hex_value(t[i + 1]) * 16 + text::hex_value(t[i + 2]));
      if (kReserved.find(decoded) != npos) {
        constexpr char kHexDigits[] = "0123456789ABCDEF";
        out.push_back('%');
        out.push_back(kHexDigits[(static_cast<unsigned char>(decoded) >> 4) & 0xF]);
        out.push_back(kHexDigits[static_cast<unsigned char>(decoded) & 0xF]);
        i += 2;
        continue;
      }
      c = decoded;
      i += 2;
    }
    out.push_back(lower_case ? text::to_lower(c) : c);
  }
  return out;
}

struct NormalizedParam {
  std::string name;
  std::string value;
  bool has_value = false;
};

const NormalizedParam* find_normalized(const std::vector<NormalizedParam>& params,
                                       std::string_view name) {
  for (const auto& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// URI parameters (";a=b;c") or headers ("a=b&c=d"), normalised; tolerant of odd input since
// both URIs were validated by parse_uri.
std::vector<NormalizedParam> split_normalized(std::string_view t, char separator,
                                              bool lower_case_values) {
  std::vector<NormalizedParam> out;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t[i] == separator) {
      ++i;
      continue;
    }
    std::size_t end = t.find(separator, i);
    if (end == npos) end = t.size();
    const std::string_view item = t.substr(i, end - i);
    const std::size_t eq = item.find('=');
    NormalizedParam p;
    p.name = normalize(item.substr(0, eq), true);
    if (eq != npos) {
      p.has_value = true;
      p.value = normalize(item.substr(eq + 1), lower_case_values);
    }
    // A repeated URI parameter: the first one counts (and comparison stays reflexive).
    if (separator != ';' || find_normalized(out, p.name) == nullptr) out.push_back(std::move(p));
    i = end;
  }
  return out;
}

bool params_equal(std::string_view a, std::string_view b) {
  const auto pa = split_normalized(a, ';', true);
  const auto pb = split_normalized(b, ';', true);
  auto must_match = [](std::string_view name) {
    return name == "user" || name == "ttl" || name == "method" || name == "maddr";
  };
  for (const auto& p : pa) {
    const NormalizedParam* q = find_normalized(pb, p.name);
    if (q == nullptr) {
      if (must_match(p.name)) return false;
      continue;
    }
    if (p.has_value != q->has_value || p.value != q->value) return false;
  }
  for (const auto& q : pb) {
    if (find_normalized(pa, q.name) == nullptr && must_match(q.name)) return false;
  }
  return true;
}

bool headers_equal(std::string_view a, std::string_view b) {
  auto ha = split_normalized(a, '&', false);
  auto hb = split_normalized(b, '&', false);
  if (ha.size() != hb.size()) return false;
  auto less = [](const NormalizedParam& x, const NormalizedParam& y) {
    return x.name != y.name ? x.name < y.name : x.value < y.value;
  };
  std::sort(ha.begin(), ha.end(), less);
  std::sort(hb.begin(), hb.end(), less);
  for (std::size_t i = 0; i < ha.size(); ++i) {
    if (ha[i].name != hb[i].name || ha[i].value != hb[i].value) return false;
  }
  return true;
}

// RFC 3966 §4: visual separators do not count, hex digits are case-insensitive, and the
// parameters must be the same set.
bool tel_equal(const Uri& a, const Uri& b) {
  auto subscriber = [](std::string_view user) {
    std::string out;
    for (const char c : normalize(user, true)) {
      if (c != '-' && c != '.' && c != '(' && c != ')') out.push_back(c);
    }
    return out;
  };
  if (subscriber(a.user) != subscriber(b.user)) return false;
  auto pa = split_normalized(a.params, ';', true);
  auto pb = split_normalized(b.params, ';', true);
  if (pa.size() != pb.size()) return false;
  for (const auto& p : pa) {
    const NormalizedParam* q = find_normalized(pb, p.name);
    if (q == nullptr || q->has_value != p.has_value || q->value != p.value) return false;
  }
  return true;
}

}  // namespace

Result<Uri, ParseError> parse_uri(std::string_view uri) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const std::size_t colon = text::span_of(uri, 0, text::kSchemeChar);
  if (colon == 0 || text::is_digit(uri[0]) || !text::is(uri[0], text::kAlnum) ||
      colon + 1 >= uri.size() || uri[colon] != ':') {
    return unexpected(ParseError::BadHeaderValue);
  }
  Uri u;
  u.scheme = uri.substr(0, colon);
  u.opaque = uri.substr(colon + 1);
  if (text::iequals(u.scheme, "sip")) {
    u.scheme_id = UriScheme::Sip;
  } else if (text::iequals(u.scheme, "sips")) {
    u.scheme_id = UriScheme::Sips;
  } else if (text::iequals(u.scheme, "tel")) {
    u.scheme_id = UriScheme::Tel;
  }
  switch (u.scheme_id) {
    case UriScheme::Sip:
    case UriScheme::Sips:
      if (!parse_sip_rest(u.opaque, u)) return unexpected(ParseError::BadHeaderValue);
      break;
    case UriScheme::Tel: {
      if (!detail::is_absolute_uri(uri)) return unexpected(ParseError::BadHeaderValue);
      const std::size_t semi = u.opaque.find(';');
      u.user = u.opaque.substr(0, semi);
      if (u.user.empty()) return unexpected(ParseError::BadHeaderValue);
      if (semi != npos) u.params = u.opaque.substr(semi);
      break;
    }
    case UriScheme::Other:
      if (!detail::is_absolute_uri(uri)) return unexpected(ParseError::BadHeaderValue);
      break;
  }
  return u;
}

std::string percent_decode(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 2 < t.size() && text::hex_value(t[i + 1]) >= 0 &&
        text::hex_value(t[i + 2]) >= 0) {
      out.push_back(static_cast<char>(text::hex_value(t[i + 1]) * 16 + text::hex_value(t[i + 2])));
      i += 2;
    } else {
      out.push_back(t[i]);
    }
  }
  return out;
}

bool uri_equal(const Uri& a, const Uri& b) {
  if (a.scheme_id != b.scheme_id) return false;
  if (!a.is_sip()) {
    if (!text::iequals(a.scheme, b.scheme)) return false;
    if (a.scheme_id == UriScheme::Tel) return tel_equal(a, b);
    return a.opaque == b.opaque;
  }
  // §19.1.4: userinfo is compared case-sensitively, everything else case-insensitively
  if (normalize(a.user, false) != normalize(b.user, false)) return false;
  if (a.has_password != b.has_password ||
      normalize(a.password, false) != normalize(b.password, false)) {
    return false;
  }
  if (!text::iequals(a.host, b.host)) return false;
  if (a.port != b.port) return false;
  if (!params_equal(a.params, b.params)) return false;
  if (a.has_headers != b.has_headers) return false;
  return headers_equal(a.headers, b.headers);
}

bool uri_equal(std::string_view a, std::string_view b) {
  const auto ua = parse_uri(a);
  const auto ub = parse_uri(b);
  if (!ua || !ub) return a == b;
  return uri_equal(*ua, *ub);
}

}  // namespace resproxy::sip
