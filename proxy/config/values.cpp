#include "proxy/config/values.h"

#include <charconv>
#include <optional>

#include "proxy/security/ip_range.h"

namespace resproxy::config {

using text::quoted;

std::int64_t parse_integer(std::string_view value, std::int64_t min, std::int64_t max) {
  std::int64_t out = 0;
  const auto* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, out);
  if (value.empty() || ec == std::errc::invalid_argument || ptr != end) {
    throw Invalid{quoted(value) + " is not a whole number"};
  }
  if (ec == std::errc::result_out_of_range || out < min || out > max) {
    throw Invalid{quoted(value) + " is out of range"};
  }
  return out;
}

std::string range_text(std::int64_t min, std::int64_t max, std::string_view unit) {
  std::string out = std::to_string(min) + ".." + std::to_string(max);
  if (!unit.empty()) {
    out += ' ';
    out += unit;
  }
  return out;
}

bool parse_bool(std::string_view value) {
  const std::string v = text::normalize(value);
  if (v == "1" || v == "on" || v == "yes" || v == "true") return true;
  if (v == "0" || v == "off" || v == "no" || v == "false") return false;
  throw Invalid{quoted(value) + " is not allowed"};
}

std::string parse_dial_string(std::string_view v) {
  if (v.size() > 32) throw Invalid{"'" + std::string(v) + "' is longer than 32 characters"};
  for (const char c : v) {
    if (!((c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#')) {
      throw Invalid{"'" + std::string(v) + "' is not a number (digits, +, *, #)"};
    }
  }
  return std::string(v);
}

std::string parse_prefix(std::string_view v) {
  for (const char c : v) {
    if (!((c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#')) {
      throw Invalid{"'" + std::string(v) + "' is not a number prefix"};
    }
  }
  return std::string(v);
}

std::string parse_interface_name(std::string_view v) {
  // Linux: at most IFNAMSIZ - 1 = 15 characters, no '/', no white space.
  if (v.size() > 15 || v.find_first_of("/ \t:") != std::string_view::npos) {
    throw Invalid{"'" + std::string(v) + "' is not an interface name"};
  }
  return std::string(v);
}

namespace {

security::Sender parse_dialer(std::string_view v) {
  if (v == "trusted") return security::Sender::Trusted;
  if (v == "authenticated") return security::Sender::Authenticated;
  throw Invalid{"'" + std::string(v) + "' is not trusted or authenticated"};
}

}  // namespace

security::SenderSet parse_dialers(std::string_view v) {
  security::SenderSet set;
  if (v == "none") return set;
  for (const auto s : parse_list(v, &parse_dialer)) set.add(s);
  return set;
}

security::DigestAlgorithm parse_algorithm(std::string_view v) {
  auto algorithm = security::parse_digest_algorithm(v);
  if (!algorithm) throw Invalid{"'" + std::string(v) + "' is not a digest algorithm"};
  return *algorithm;
}

int parse_failover_code(std::string_view v) {
  int code = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), code);
  if (ec != std::errc{} || end != v.data() + v.size() || code < 500 || code > 599) {
    throw Invalid{"'" + std::string(v) + "' is not a 5xx status code"};
  }
  return code;
}

std::string parse_method(std::string_view v) {
  static constexpr std::string_view kMethods[] = {"REGISTER", "INVITE", "BYE", "SUBSCRIBE",
                                                  "NOTIFY", "REFER", "MESSAGE", "OPTIONS",
                                                  "INFO", "UPDATE", "PUBLISH", "PRACK"};
  std::string upper(v);
  for (auto& c : upper) c = text::upper(c);
  for (auto m : kMethods) {
    if (m == upper) return upper;
  }
  throw Invalid{"'" + std::string(v) + "' is not one of REGISTER, INVITE, BYE, SUBSCRIBE, NOTIFY, "
                "REFER, MESSAGE, OPTIONS, INFO, UPDATE, PUBLISH, PRACK"};
}

std::string parse_ip_text(std::string_view value) {
  if (!security::parse_ip(value)) throw Invalid{quoted(value) + " is not an IP address"};
  return std::string(value);
}

std::string parse_nonempty(std::string_view value) {
  if (value.empty()) throw Invalid{"the value is empty"};
  return std::string(value);
}

// No spaces, no '@', no URI punctuation.
std::string parse_user(std::string_view value) {
  if (value.empty()) throw Invalid{"the value is empty"};
  for (char c : value) {
    if (text::is_space(c) || c == '@' || c == ':' || c == ';' || c == '<' || c == '>' ||
        c == '"') {
      throw Invalid{quoted(value) + " is not a user name"};
    }
  }
  return std::string(value);
}

std::string parse_domain(std::string_view value) {
  if (value.empty()) throw Invalid{"the value is empty"};
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) throw Invalid{quoted(value) + " is not a domain name"};
  }
  return std::string(value);
}

std::string parse_sip_uri(std::string_view value) {
  const std::string v(value);
  std::string lowered;
  for (char c : v.substr(0, 5)) lowered += text::lower(c);
  const bool sip = lowered.starts_with("sip:") || lowered.starts_with("sips:");
  const auto at_host = v.find(':');
  if (!sip || at_host + 1 >= v.size()) throw Invalid{quoted(value) + " is not a SIP URI"};
  for (char c : v) {
    if (text::is_space(c)) throw Invalid{quoted(value) + " is not a SIP URI"};
  }
  return v;
}

bool is_unspecified(std::string_view ip) {
  const auto parsed = security::parse_ip(ip);
  return parsed && (parsed == security::parse_ip("0.0.0.0") || parsed == security::parse_ip("::"));
}

std::string parse_peer_ip(std::string_view value) {
  const std::string ip = parse_ip_text(value);
  if (is_unspecified(ip)) throw Invalid{quoted(value) + " is not a usable address"};
  return ip;
}

Address parse_ip_port(std::string_view value, std::uint16_t default_port) {
  const Invalid bad{quoted(value) + " is not an IP address or IP:port"};
  std::string_view ip = value;
  std::optional<std::string_view> port;
  if (value.starts_with('[')) {
    const auto close = value.find(']');
    if (close == std::string_view::npos) throw bad;
    ip = value.substr(1, close - 1);
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw bad;
      port = rest.substr(1);
    }
    if (ip.find(':') == std::string_view::npos) throw bad;  // brackets are for IPv6 only
  } else if (std::count(value.begin(), value.end(), ':') == 1) {
    const auto colon = value.find(':');
    ip = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  if (!security::parse_ip(ip)) throw bad;
  if (is_unspecified(ip)) throw Invalid{quoted(value) + " is not a usable address"};
  Address out{std::string(ip), default_port};
  if (port) {
    try {
      out.port = static_cast<std::uint16_t>(parse_integer(*port, 1, 65535));
    } catch (const Invalid& invalid) {
      throw Invalid{quoted(value) + ": port " + invalid.problem};
    }
  }
  return out;
}

// Labels of letters, digits and '-', not starting or ending with '-', at most 63 characters
// each and 253 in all; the last label is not all digits.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  bool last_all_digits = false;
  while (start <= name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::string_view label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    last_all_digits = true;
    for (char c : label) {
      const bool digit = c >= '0' && c <= '9';
      const bool ok = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
      if (!ok) return false;
      if (!digit) last_all_digits = false;
    }
    start = dot + 1;
  }
  return !last_all_digits;
}

}  // namespace resproxy::config
