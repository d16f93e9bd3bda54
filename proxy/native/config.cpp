#include "proxy/native/config.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "proxy/security/ip_range.h"

namespace resproxy::native {

namespace {

constexpr int kMaxIndex = 100;      // [sipproxy.trust.N] and friends: N = 1..100
constexpr int kMaxAuthUsers = 120;  // [sipproxy.auth.user.N]: N = 1..120

// --- Text helpers. ---

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Lower case; each run of spaces becomes one underscore ("rx port" == "RX_Port").
std::string normalize(std::string_view text) {
  text = trim(text);
  std::string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char c : text) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out += '_';
    in_space = false;
    out += lower(c);
  }
  return out;
}

std::string quoted(std::string_view value) {
  std::string out = "\"";
  out += value;
  out += '"';
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// A bad value: the setter throws it, the parser adds file, line, section and parameter.
struct Invalid {
  std::string problem;
};

// --- Value parsers: each throws Invalid with the problem; the spec supplies `allowed`. ---

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
    if (part.empty()) throw Invalid{"an empty item in " + std::string("'") + std::string(value) + "'"};
    out.push_back(item(part));
    pos = comma + 1;
  }
  return out;
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

security::Sender parse_dialer(std::string_view v) {
  if (v == "trusted") return security::Sender::Trusted;
  if (v == "authenticated") return security::Sender::Authenticated;
  throw Invalid{"'" + std::string(v) + "' is not trusted or authenticated"};
}

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
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto m : kMethods) {
    if (m == upper) return upper;
  }
  throw Invalid{"'" + std::string(v) + "' is not one of REGISTER, INVITE, BYE, SUBSCRIBE, NOTIFY, "
                "REFER, MESSAGE, OPTIONS, INFO, UPDATE, PUBLISH, PRACK"};
}

bool parse_bool(std::string_view value) {
  const std::string v = normalize(value);
  if (v == "1" || v == "on" || v == "yes" || v == "true") return true;
  if (v == "0" || v == "off" || v == "no" || v == "false") return false;
  throw Invalid{quoted(value) + " is not allowed"};
}
const std::string kBoolAllowed = "0, 1, on, off";

template <typename T>
T parse_choice(std::string_view value, const std::vector<std::pair<std::string_view, T>>& choices) {
  const std::string v = normalize(value);
  for (const auto& [name, result] : choices) {
    if (v == name) return result;
  }
  throw Invalid{quoted(value) + " is not allowed"};
}

std::string parse_ip_text(std::string_view value) {
  if (!security::parse_ip(value)) throw Invalid{quoted(value) + " is not an IP address"};
  return std::string(value);
}

std::string parse_nonempty(std::string_view value) {
  if (value.empty()) throw Invalid{"the value is empty"};
  return std::string(value);
}

// A user part as dialled or registered: no spaces, no '@', no URI punctuation.
std::string parse_user(std::string_view value) {
  if (value.empty()) throw Invalid{"the value is empty"};
  for (char c : value) {
    if (is_space(c) || c == '@' || c == ':' || c == ';' || c == '<' || c == '>' || c == '"') {
      throw Invalid{quoted(value) + " is not a user name"};
    }
  }
  return std::string(value);
}
const std::string kUserAllowed = "a user part without spaces, '@', ':' or ';', e.g. 4900";

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
  for (char c : v.substr(0, 5)) lowered += lower(c);
  const bool sip = lowered.starts_with("sip:") || lowered.starts_with("sips:");
  const auto at_host = v.find(':');
  if (!sip || at_host + 1 >= v.size()) throw Invalid{quoted(value) + " is not a SIP URI"};
  for (char c : v) {
    if (is_space(c)) throw Invalid{quoted(value) + " is not a SIP URI"};
  }
  return v;
}

bool is_unspecified(std::string_view ip) {
  const auto parsed = security::parse_ip(ip);
  return parsed && (parsed == security::parse_ip("0.0.0.0") || parsed == security::parse_ip("::"));
}

// An address to send to: an IP address, not 0.0.0.0 or ::.
std::string parse_peer_ip(std::string_view value) {
  const std::string ip = parse_ip_text(value);
  if (is_unspecified(ip)) throw Invalid{quoted(value) + " is not a usable address"};
  return ip;
}
const std::string kPeerIpAllowed = "an IPv4 or IPv6 address other than 0.0.0.0 and ::";

// "192.0.2.1", "192.0.2.1:5062", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:5062".
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

// A DNS host name (RFC 1123): labels of letters, digits and '-', not starting or ending with
// '-', at most 63 characters each and 253 in all; the last label is not all digits (so that a
// mistyped IPv4 address is not taken for a name).
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

const std::string kItspNameAllowed =
    "an IPv4 or IPv6 address, or a host name such as itsp.example.com";
const std::string kLanHostNameAllowed =
    "a host name (letters, digits, '-', dots), such as itsp.example.com";

Duration seconds(std::int64_t s) { return std::chrono::seconds(s); }
Duration millis(std::int64_t ms) { return std::chrono::milliseconds(ms); }
std::int64_t to_seconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}
std::int64_t to_millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// --- The parse state. ---

// An entry of the trust, ignore and reject tables.
struct RangeEntry {
  int header_line = 0;
  bool enable = false;
  std::string ipmin, ipmax;
  int ipmin_line = 0, ipmax_line = 0;
};
struct ItspEntry {
  int header_line = 0;
  bool enable = false;
  std::string ipname;  // as written
  std::string host;    // the IP address without brackets, or the host name
  int ipname_line = 0;
  std::uint16_t port = 5060;
  bool port_set = false;  // else 5060, or 5061 over TLS
  Transport transport = Transport::Udp;
  std::string tls_server_name;  // empty: the ipname
};
struct LanHostEntry {
  int header_line = 0;
  bool enable = false;
  std::string name, address;
  int name_line = 0, address_line = 0;
};
struct AuthEntry {
  int header_line = 0;
  bool enable = false;
  std::string username, password;
  int username_line = 0;
};
struct AliasEntry {
  int header_line = 0;
  bool enable = false;
  std::string alias, user;
  int alias_line = 0;
};
struct DirectoryEntry {
  int header_line = 0;
  bool enable = false;
  std::string user, contact;
  int user_line = 0;
};

struct Builder {
  DaemonConfig config;
  bool disable_all_trust = false;
  std::map<int, RangeEntry> trust, ignore, reject;
  std::map<int, ItspEntry> itsp;
  std::map<int, LanHostEntry> lan_hosts;
  std::map<int, AuthEntry> auth;
  std::map<int, AliasEntry> aliases;
  std::map<int, DirectoryEntry> directory;
  // Where each "section parameter" was set, for cross-field errors.
  std::map<std::string, int> line_of;
};

// The setter of one parameter. `index` is N of an indexed section (0 otherwise); `line` is
// the line the value came from.
using Setter = std::function<void(Builder&, int index, int line, std::string_view value)>;

struct ParamSpec {
  std::string name;
  std::string allowed;
  Setter set;
  std::vector<std::string> aliases = {};  // other accepted names (the seed's typos)
};

struct SectionSpec {
  std::string name;  // canonical; indexed sections without ".N"
  bool indexed = false;
  std::vector<ParamSpec> params;
  int max_index = kMaxIndex;  // indexed sections: N = 1..max_index

  [[nodiscard]] std::string display() const { return indexed ? name + ".N" : name; }
  [[nodiscard]] std::string param_names() const {
    std::vector<std::string> names;
    for (const auto& p : params) names.push_back(p.name);
    return join(names);
  }
};

std::string range_text(std::int64_t min, std::int64_t max, std::string_view unit = {}) {
  std::string out = std::to_string(min) + ".." + std::to_string(max);
  if (!unit.empty()) {
    out += ' ';
    out += unit;
  }
  return out;
}

// An integer parameter stored through `store`.
ParamSpec integer(std::string name, std::int64_t min, std::int64_t max, std::string_view unit,
                  std::function<void(Builder&, std::int64_t)> store) {
  return ParamSpec{std::move(name), range_text(min, max, unit),
                   [min, max, store = std::move(store)](Builder& b, int, int,
                                                        std::string_view value) {
                     store(b, parse_integer(value, min, max));
                   }};
}

// [sipproxy.trust.N], [sipproxy.ignore.N], [sipproxy.reject.N]: enable, ipmin, ipmax.
SectionSpec range_table(std::string name, std::map<int, RangeEntry> Builder::*table) {
  return SectionSpec{
      std::move(name),
      true,
      {
          {"enable", kBoolAllowed,
           [table](Builder& b, int n, int, std::string_view v) {
             (b.*table)[n].enable = parse_bool(v);
           }},
          {"ipmin", "an IPv4 or IPv6 address",
           [table](Builder& b, int n, int line, std::string_view v) {
             auto& entry = (b.*table)[n];
             entry.ipmin = parse_ip_text(v);
             entry.ipmin_line = line;
           }},
          {"ipmax", "an IPv4 or IPv6 address of the same family as ipmin",
           [table](Builder& b, int n, int line, std::string_view v) {
             auto& entry = (b.*table)[n];
             entry.ipmax = parse_ip_text(v);
             entry.ipmax_line = line;
           }},
      }};
}

const std::vector<SectionSpec>& section_specs() {
  using routing::GatewayFromAction;
  using routing::GatewayFromRouting;
  using routing::ItspSelection;
  using routing::ProxyMode;
  using routing::RecordRoute;
  static const std::vector<SectionSpec> specs = {
      {"sipproxy",
       false,
       {
           {"mode", "standalone, forward_itsp, sip_trunk, off",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.mode = parse_choice<ProxyMode>(
                  v, {{"standalone", ProxyMode::Standalone},
                      {"standalone_proxy", ProxyMode::Standalone},  // the seed's wording
                      {"forward_itsp", ProxyMode::ForwardItsp},
                      {"forward_to_itsp", ProxyMode::ForwardItsp},
                      {"sip_trunk", ProxyMode::SipTrunk},
                      {"off", ProxyMode::Off}});
            }},
           integer("rx_port", 1, 65535, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.rx_port = static_cast<std::uint16_t>(v);
                   }),
           {"listen_address", "an IPv4 or IPv6 address; 0.0.0.0 or :: for all",
            [](Builder& b, int, int, std::string_view v) {
              b.config.listen_address = parse_ip_text(v);
            }},
           {"advertised_address", "an IPv4 or IPv6 address, or empty for automatic",
            [](Builder& b, int, int, std::string_view v) {
              b.config.advertised_address = v.empty() ? std::string() : parse_ip_text(v);
            }},
           {"realm", "a domain name, e.g. office.example.com",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.realm = parse_domain(v);
            }},
           {"data_dir", "a directory path",
            [](Builder& b, int, int, std::string_view v) {
              b.config.data_dir = parse_nonempty(v);
            }},
       }},
      {"advanced.sipproxy",
       false,
       {
           {"record_route", "always, call_setup",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.record_route = parse_choice<RecordRoute>(
                  v, {{"always", RecordRoute::Always}, {"call_setup", RecordRoute::CallSetup}});
            }},
           {"server_header", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.server_header = parse_bool(v);
            }},
           integer("crlf_keepalive", 0, 180, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.crlf_keepalive = seconds(v); }),
           {"log_level", "error, warn, info, debug",
            [](Builder& b, int, int, std::string_view v) {
              b.config.log_level = parse_choice<LogLevel>(v, {{"error", LogLevel::Error},
                                                              {"warn", LogLevel::Warn},
                                                              {"warning", LogLevel::Warn},
                                                              {"info", LogLevel::Info},
                                                              {"debug", LogLevel::Debug}});
            }},
           {"sip_log", "a file path, - for stderr, or empty for off",
            [](Builder& b, int, int, std::string_view v) { b.config.sip_log = std::string(v); }},
           {"trace_log", "a file path, - for stderr, or empty for off",
            [](Builder& b, int, int, std::string_view v) { b.config.trace_log = std::string(v); }},
           integer("log_max_bytes", 0, std::int64_t{1} << 40, "bytes (0: no cap)",
                   [](Builder& b, std::int64_t v) {
                     b.config.log_max_bytes = static_cast<std::uint64_t>(v);
                   }),
           integer("log_keep", 0, 100, "",
                   [](Builder& b, std::int64_t v) { b.config.log_keep = static_cast<int>(v); }),
           integer("t1_ms", 10, 10000, "ms",
                   [](Builder& b, std::int64_t v) { b.config.proxy.timers.t1 = millis(v); }),
           integer("t2_ms", 100, 60000, "ms",
                   [](Builder& b, std::int64_t v) { b.config.proxy.timers.t2 = millis(v); }),
           integer("t4_ms", 100, 60000, "ms",
                   [](Builder& b, std::int64_t v) { b.config.proxy.timers.t4 = millis(v); }),
           integer("timer_c", 1, 3600, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.timer_c = seconds(v); }),
           integer("max_message_size", 1024, 1048576, "bytes",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.max_message_size = static_cast<std::size_t>(v);
                   }),
           {"transport", "udp, tcp, both",
            [](Builder& b, int, int, std::string_view v) {
              const int t = parse_choice<int>(v, {{"udp", 1}, {"tcp", 2}, {"both", 3}});
              b.config.udp = (t & 1) != 0;
              b.config.tcp = (t & 2) != 0;
            }},
           {"store_synchronous", "normal, full",
            [](Builder& b, int, int, std::string_view v) {
              b.config.store_sync_full =
                  parse_choice<bool>(v, {{"normal", false}, {"full", true}});
            }},
           integer("store_commit_interval_us", 0, 100000, "us",
                   [](Builder& b, std::int64_t v) {
                     b.config.store_commit_interval = std::chrono::microseconds(v);
                   }),
           integer("store_queue_max", 1, 100000, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.store_queue_max = static_cast<std::size_t>(v);
                   }),
           integer("itsp_down_reg_expires", 30, 60000, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.itsp_down_reg_expires = seconds(v);
                   }),
           integer("reg_forwarding_timeout", 2, 60, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.reg_forwarding_timeout = seconds(v);
                   }),
           integer("phone_reg_expires", 0, 86400, "s (0: off, else at least 30)",
                   [](Builder& b, std::int64_t v) {
                     if (v != 0 && v < 30) throw Invalid{std::to_string(v) + " is below 30 s"};
                     b.config.proxy.itsp.phone_reg_expires = seconds(v);
                   }),
           integer("tcp_max_per_source", 0, 1000, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.tcp_max_per_source = static_cast<std::size_t>(v);
                   }),
           integer("tcp_header_timeout", 0, 300, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.tcp_header_timeout = seconds(v); }),
           integer("tcp_idle_timeout", 0, 86400, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.tcp_idle_timeout = seconds(v); }),
           {"tls", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) { b.config.tls.listen = parse_bool(v); }},
           integer("tls_port", 1, 65535, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.tls.port = static_cast<std::uint16_t>(v);
                   }),
           {"tls_certificate", "a PEM file path (our certificate, then its chain)",
            [](Builder& b, int, int, std::string_view v) { b.config.tls.certificate = std::string(v); }},
           {"tls_private_key", "a PEM file path",
            [](Builder& b, int, int, std::string_view v) { b.config.tls.private_key = std::string(v); }},
           {"tls_ca_file", "a PEM file path, or empty for the system's CA store",
            [](Builder& b, int, int, std::string_view v) { b.config.tls.ca_file = std::string(v); }},
           {"tls_verify_server", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) { b.config.tls.verify_server = parse_bool(v); }},
           {"tls_client_certificate", "a PEM file path, or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.tls.client_certificate = std::string(v);
            }},
           {"tls_client_private_key", "a PEM file path, or empty for the client certificate's file",
            [](Builder& b, int, int, std::string_view v) {
              b.config.tls.client_private_key = std::string(v);
            }},
           {"tls_verify_client", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) { b.config.tls.verify_client = parse_bool(v); }},
           {"tls_min_version", "1.2, 1.3",
            [](Builder& b, int, int, std::string_view v) {
              b.config.tls.tls13_only = parse_choice<bool>(v, {{"1.2", false}, {"1.3", true}});
            }},
           integer("tls_handshakes_per_minute", 0, 100000, "(0: no limit)",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.tls_handshakes_per_minute = static_cast<std::uint32_t>(v);
                   }),
           integer("num_sockets", 60, 240, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.num_sockets = static_cast<std::size_t>(v);
                   }),
           {"nat_outside_address", kPeerIpAllowed + ", or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.nat_outside_address =
                  v.empty() ? std::string() : parse_peer_ip(v);
            }},
       }},
      {"sipproxy.pstn_gw",
       false,
       {
           {"address",
            "an IP address with an optional port (192.0.2.1, 192.0.2.1:5062, [2001:db8::1]:5062; "
            "default port 5060), or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              auto& gw = b.config.proxy.pstn_gateway;
              if (v.empty()) {
                gw.address.reset();
              } else {
                gw.address = parse_ip_port(v, 5060);
              }
            }},
           {"from_action", "trust, auth, reject, ignore",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.pstn_gateway.from_action = parse_choice<GatewayFromAction>(
                  v, {{"trust", GatewayFromAction::Trust},
                      {"auth", GatewayFromAction::Auth},
                      {"reject", GatewayFromAction::Reject},
                      {"ignore", GatewayFromAction::Ignore}});
            }},
           {"emergency_numbers",
            "a comma-separated list of numbers (digits, +, *, #), or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.emergency_numbers =
                  v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_dial_string);
            }},
           {"international_prefixes", "a comma-separated list of prefixes (digits, +, *, #), or empty",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.gateway_policy.international_prefixes =
                  v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_prefix);
            }},
           {"premium_prefixes", "a comma-separated list of prefixes (digits, +, *, #), or empty",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.gateway_policy.premium_prefixes =
                  v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_prefix);
            }},
           {"international_from", "trusted, authenticated (a list), or none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.gateway_policy.international_from = parse_dialers(v);
            }},
           {"premium_from", "trusted, authenticated (a list), or none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.gateway_policy.premium_from = parse_dialers(v);
            }},
           integer("max_calls_per_user", 0, 1000, "calls",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.gateway_policy.max_calls_per_user = static_cast<std::uint32_t>(v);
                   }),
           integer("max_calls_per_source", 0, 10000, "calls",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.gateway_policy.max_calls_per_source = static_cast<std::uint32_t>(v);
                   }),
           integer("calls_per_minute_per_user", 0, 10000, "calls/min",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.gateway_policy.calls_per_minute_per_user =
                         static_cast<std::uint32_t>(v);
                   }),
           integer("calls_per_minute_per_source", 0, 100000, "calls/min",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.gateway_policy.calls_per_minute_per_source =
                         static_cast<std::uint32_t>(v);
                   }),
           {"from_routing", "itsp, regd_ua",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.pstn_gateway.from_routing = parse_choice<GatewayFromRouting>(
                  v, {{"itsp", GatewayFromRouting::Itsp},
                      {"regd_ua", GatewayFromRouting::RegisteredUa},
                      {"registered_ua", GatewayFromRouting::RegisteredUa}});
            }},
       }},
      {"sipproxy.itsp_proxy",
       false,
       {
           {"accessibility_check", "options, off",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.monitor.options_check =
                  parse_choice<bool>(v, {{"options", true}, {"off", false}});
            }},
           {"options_transport", "udp, tcp, tls, default",
            [](Builder& b, int, int, std::string_view v) {
              auto& itsp = b.config.proxy.itsp;
              const int t =
                  parse_choice<int>(v, {{"udp", 0}, {"tcp", 1}, {"default", 2}, {"tls", 3}});
              itsp.options_transport_default = t == 2;
              itsp.options_transport = t == 1   ? Transport::Tcp
                                       : t == 3 ? Transport::Tls
                                                : Transport::Udp;
            },
            {"options_tansport"}},  // the seed's spelling
           {"mode", "normal, cyclic, dnssrv",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.monitor.selection = parse_choice<ItspSelection>(
                  v, {{"normal", ItspSelection::Normal},
                      {"cyclic", ItspSelection::Cyclic},
                      {"dnssrv", ItspSelection::DnsSrv},
                      {"dns_srv", ItspSelection::DnsSrv}});
            }},
           integer("probe_interval", 5, 3600, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.probe_interval = seconds(v);
                   }),
           integer("probe_interval_down", 1, 3600, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.probe_interval_down = seconds(v);
                   }),
           integer("probe_timeout_ms", 100, 32000, "ms",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.probe_timeout = millis(v);
                   }),
           integer("failures_to_down", 1, 10, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.failures_to_down = static_cast<int>(v);
                   }),
           integer("successes_to_up", 1, 10, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.successes_to_up = static_cast<int>(v);
                   }),
           integer("failback_delay", 0, 3600, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.failback_delay = seconds(v);
                   }),
           integer("probe_interval_ms", 200, 3600000, "ms",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.probe_interval = millis(v);
                   }),
           integer("probe_interval_down_ms", 0, 3600000, "ms",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.itsp.monitor.health.probe_interval_down = millis(v);
                   }),
           integer("probe_retransmit_ms", 0, 4000, "ms (0: the standard T1 doubling)",
                   [](Builder& b, std::int64_t v) {
                     if (v == 0) {
                       b.config.proxy.itsp.monitor.probe_retransmit.reset();
                     } else if (v < 50) {
                       throw Invalid{std::to_string(v) + " is below 50 ms"};
                     } else {
                       b.config.proxy.itsp.monitor.probe_retransmit = millis(v);
                     }
                   }),
           integer("answer_timeout_ms", 0, 32000, "ms (0: off)",
                   [](Builder& b, std::int64_t v) {
                     if (v != 0 && v < 200) throw Invalid{std::to_string(v) + " is below 200 ms"};
                     b.config.proxy.itsp.answer_timeout = millis(v);
                   }),
           {"failover_codes", "a comma-separated list of 5xx status codes, or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.failover_codes =
                  v.empty() ? std::vector<int>{} : parse_list(v, &parse_failover_code);
            }},
           {"down_other_methods", "local, reject",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.down_other_methods_local =
                  parse_choice<bool>(v, {{"local", true}, {"reject", false}});
            }},
           {"dns_servers",
            "a comma-separated list of DNS server addresses with optional ports (192.0.2.53, "
            "127.0.0.1:5353, [2001:db8::53]:53; default port 53), or empty for the system's "
            "(/etc/resolv.conf)",
            [](Builder& b, int, int, std::string_view v) {
              b.config.dns_servers =
                  v.empty() ? std::vector<Address>{}
                            : parse_list(v, +[](std::string_view item) {
                                return parse_ip_port(item, 53);
                              });
            }},
           integer("dns_timeout_ms", 100, 30000, "ms",
                   [](Builder& b, std::int64_t v) { b.config.dns_timeout = millis(v); }),
       }},
      {"sipproxy.auth",
       false,
       {
           {"methods", "a comma-separated list of SIP methods (REGISTER, INVITE, BYE, …)",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.auth.methods = parse_list(v, &parse_method);
            }},
           integer("nonce_lifetime", 10, 86400, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.auth.nonce_lifetime = seconds(v);
                   }),
           {"algorithms", "a comma-separated list of SHA-256, MD5, SHA-256-sess, MD5-sess",
            [](Builder& b, int, int, std::string_view v) {
              auto list = parse_list(v, &parse_algorithm);
              for (std::size_t i = 0; i < list.size(); ++i) {
                for (std::size_t j = 0; j < i; ++j) {
                  if (list[i] == list[j]) {
                    throw Invalid{std::string(security::to_string(list[i])) + " is listed twice"};
                  }
                }
              }
              b.config.proxy.auth.algorithms = std::move(list);
            }},
           {"require_qop", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.auth.require_qop = parse_bool(v);
            }},
           {"bind_from_user", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.auth.bind_from_user = parse_bool(v);
            }},
           {"lockout", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.auth.guard.enabled = parse_bool(v);
            }},
           integer("max_failures", 1, 100, "wrong answers",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.auth.guard.max_failures = static_cast<std::uint32_t>(v);
                   }),
           integer("failure_window", 10, 86400, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.auth.guard.window = seconds(v); }),
           integer("lockout_time", 1, 86400, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.auth.guard.lockout = seconds(v); }),
           integer("max_lockout_time", 1, 604800, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.auth.guard.max_lockout = seconds(v);
                   }),
           integer("max_source_failures", 0, 10000, "users",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.auth.guard.max_source_failures = static_cast<std::uint32_t>(v);
                   }),
       }},
      {"sipproxy.itsp_proxy",
       true,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int n, int, std::string_view v) { b.itsp[n].enable = parse_bool(v); }},
           {"ipname", kItspNameAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              auto& entry = b.itsp[n];
              std::string_view host = v;
              if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
                host = host.substr(1, host.size() - 2);
                if (!security::parse_ip(host) || host.find(':') == std::string_view::npos) {
                  throw Invalid{quoted(v) + " is not an IP address or host name"};
                }
              }
              if (!security::parse_ip(host) && !is_host_name(host)) {
                throw Invalid{quoted(v) + " is not an IP address or host name"};
              }
              entry.ipname = std::string(v);
              entry.host = std::string(host);
              entry.ipname_line = line;
            }},
           {"port", "1..65535",
            [](Builder& b, int n, int, std::string_view v) {
              b.itsp[n].port = static_cast<std::uint16_t>(parse_integer(v, 1, 65535));
              b.itsp[n].port_set = true;
            }},
           {"transport", "udp, tcp, tls",
            [](Builder& b, int n, int, std::string_view v) {
              b.itsp[n].transport = parse_choice<Transport>(
                  v, {{"udp", Transport::Udp}, {"tcp", Transport::Tcp}, {"tls", Transport::Tls}});
            }},
           {"tls_server_name", "a host name or IP address the ITSP's certificate carries, or empty for the ipname",
            [](Builder& b, int n, int, std::string_view v) {
              if (!v.empty() && !security::parse_ip(v) && !is_host_name(v)) {
                throw Invalid{quoted(v) + " is not a host name or IP address"};
              }
              b.itsp[n].tls_server_name = std::string(v);
            }},
       }},
      {"sipproxy.lan_hosts",
       true,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int n, int, std::string_view v) {
              b.lan_hosts[n].enable = parse_bool(v);
            }},
           {"name", kLanHostNameAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              if (!is_host_name(v)) throw Invalid{quoted(v) + " is not a host name"};
              b.lan_hosts[n].name = std::string(v);
              b.lan_hosts[n].name_line = line;
            }},
           {"address", kPeerIpAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              // 0.0.0.0 is the seed's "unset" in a disabled entry; finish() refuses it in an
              // enabled one.
              b.lan_hosts[n].address = parse_ip_text(v);
              b.lan_hosts[n].address_line = line;
            }},
       }},
      {"sipproxy.auth.user",
       true,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int n, int, std::string_view v) { b.auth[n].enable = parse_bool(v); }},
           {"username", kUserAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              b.auth[n].username = parse_user(v);
              b.auth[n].username_line = line;
            }},
           {"password", "any text, quoted if it has ';' or '#'",
            [](Builder& b, int n, int, std::string_view v) {
              b.auth[n].password = parse_nonempty(v);
            }},
       },
       kMaxAuthUsers},
      range_table("sipproxy.ignore", &Builder::ignore),
      range_table("sipproxy.reject", &Builder::reject),
      {"sipproxy.trust",
       false,
       {
           {"disable_all", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.disable_all_trust = parse_bool(v);
            }},
           {"itsp_requires_trust", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp_requires_trust = parse_bool(v);
            }},
           {"lan_interfaces", "a comma-separated list of interface names (eth1, br-lan), or empty",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.interfaces.lan_names =
                  v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_interface_name);
            }},
           {"wan_interfaces", "a comma-separated list of interface names (eth0, ppp0), or empty",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.interfaces.wan_names =
                  v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_interface_name);
            }},
       }},
      range_table("sipproxy.trust", &Builder::trust),
      // The LanScape seed's DoS protection (security/flood_guard.h).
      {"sipproxy.dos",
       false,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int, int, std::string_view v) { b.config.proxy.flood.enabled = parse_bool(v); }},
           integer("untrusted_rate", 1, 100000, "messages/s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.untrusted_rate = double(v); }),
           integer("untrusted_burst", 1, 1000000, "messages",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.untrusted_burst = double(v); }),
           integer("untrusted_total_rate", 0, 10000000, "messages/s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.untrusted_total_rate = double(v); }),
           integer("trusted_rate", 0, 10000000, "messages/s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.trusted_rate = double(v); }),
           integer("ban_time", 0, 86400, "s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.ban_time = seconds(v); }),
           integer("amplification", 0, 100, "",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.amplification = double(v); }),
           integer("max_sources", 100, 10000000, "",
                   [](Builder& b, std::int64_t v) { b.config.proxy.flood.max_sources = std::size_t(v); }),
           integer("untrusted_to_itsp_rate", 0, 1000000, "requests/s",
                   [](Builder& b, std::int64_t v) { b.config.proxy.untrusted_to_itsp_rate = double(v); }),
           integer("max_transactions", 1000, 10000000, "",
                   [](Builder& b, std::int64_t v) { b.config.proxy.max_transactions = std::size_t(v); }),
           integer("max_queued_registers", 10, 1000000, "",
                   [](Builder& b, std::int64_t v) { b.config.proxy.max_queued_registers = std::size_t(v); }),
           integer("overload_delay_ms", 0, 10000, "ms",
                   [](Builder& b, std::int64_t v) { b.config.proxy.overload_delay = millis(v); }),
       }},
      {"sipproxy.registrar",
       false,
       {
           integer("min_expires", 1, 604800, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.registrar.min_expires = seconds(v);
                   }),
           integer("max_expires", 1, 604800, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.registrar.max_expires = seconds(v);
                   }),
           integer("default_expires", 1, 604800, "s",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.registrar.default_expires = seconds(v);
                   }),
           integer("max_bindings", 1, 10000000, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.registrar.max_bindings = static_cast<std::size_t>(v);
                   }),
           integer("max_bindings_per_aor", 1, 1000, "",
                   [](Builder& b, std::int64_t v) {
                     b.config.proxy.registrar.max_bindings_per_aor = static_cast<std::size_t>(v);
                   }),
       }},
      {"sipproxy.alias",
       true,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int n, int, std::string_view v) {
              b.aliases[n].enable = parse_bool(v);
            }},
           {"alias", kUserAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              b.aliases[n].alias = parse_user(v);
              b.aliases[n].alias_line = line;
            }},
           {"user", kUserAllowed,
            [](Builder& b, int n, int, std::string_view v) { b.aliases[n].user = parse_user(v); }},
       }},
      {"sipproxy.directory",
       true,
       {
           {"enable", kBoolAllowed,
            [](Builder& b, int n, int, std::string_view v) {
              b.directory[n].enable = parse_bool(v);
            }},
           {"user", kUserAllowed,
            [](Builder& b, int n, int line, std::string_view v) {
              b.directory[n].user = parse_user(v);
              b.directory[n].user_line = line;
            }},
           {"contact", "a SIP URI, e.g. \"sip:4000@192.0.2.50:5060;transport=tcp\" (quoted if it has ';')",
            [](Builder& b, int n, int, std::string_view v) {
              b.directory[n].contact = parse_sip_uri(v);
            }},
       }},
  };
  return specs;
}

std::string allowed_sections() {
  std::vector<std::string> names;
  std::string exceptions;
  for (const auto& spec : section_specs()) {
    names.push_back(spec.display());
    if (spec.indexed && spec.max_index != kMaxIndex) {
      exceptions += "; " + spec.display() + ": 1.." + std::to_string(spec.max_index);
    }
  }
  return join(names) + " (N = 1.." + std::to_string(kMaxIndex) + exceptions + ")";
}

// One line of the file, split.
struct Line {
  enum class Kind { Blank, Section, Parameter } kind = Kind::Blank;
  std::string_view name;
  std::string value;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  DaemonConfig run();

 private:
  [[noreturn]] void fail(int line, std::string section, std::string parameter,
                         std::string problem, std::string allowed = {}) const {
    throw ConfigError(std::string(file_), line, std::move(section), std::move(parameter),
                      std::move(problem), std::move(allowed));
  }

  Line split(std::string_view raw, int line_number);
  void enter_section(std::string_view raw_name, int line_number);
  void set_parameter(std::string_view raw_name, std::string_view value, int line_number);
  void finish();

  std::string_view text_;
  std::string_view file_;
  Builder builder_;

  const SectionSpec* section_ = nullptr;
  std::string section_name_;  // canonical, with ".N"
  int section_index_ = 0;
  std::map<std::string, int> sections_seen_;  // canonical name → header line
  std::set<std::string> params_seen_;          // "section parameter" already set
};

Line Parser::split(std::string_view raw, int line_number) {
  std::string_view s = trim(raw);
  if (s.empty() || s.front() == ';' || s.front() == '#') return {};
  if (s.front() == '[') {
    if (const auto comment = s.find_first_of(";#"); comment != std::string_view::npos) {
      s = trim(s.substr(0, comment));
    }
    if (s.back() != ']') {
      fail(line_number, section_name_, "", "section header without a closing ']'",
           allowed_sections());
    }
    return {Line::Kind::Section, s.substr(1, s.size() - 2), {}};
  }
  const auto eq = s.find('=');
  if (eq == std::string_view::npos) {
    std::string shown(s.substr(0, 40));
    fail(line_number, section_name_, "",
         quoted(shown) + " is neither a [section] nor a 'parameter = value' line",
         section_ ? section_->param_names() : std::string());
  }
  const std::string_view name = trim(s.substr(0, eq));
  std::string_view rest = trim(s.substr(eq + 1));
  std::string value;
  if (!rest.empty() && rest.front() == '"') {
    const auto close = rest.find('"', 1);
    if (close == std::string_view::npos) {
      fail(line_number, section_name_, normalize(name), "the quoted value has no closing '\"'");
    }
    value = std::string(rest.substr(1, close - 1));
    const std::string_view after = trim(rest.substr(close + 1));
    if (!after.empty() && after.front() != ';' && after.front() != '#') {
      fail(line_number, section_name_, normalize(name),
           "text after the closing quote: " + quoted(after));
    }
  } else {
    if (const auto comment = rest.find_first_of(";#"); comment != std::string_view::npos) {
      rest = rest.substr(0, comment);
    }
    value = std::string(trim(rest));
  }
  return {Line::Kind::Parameter, name, std::move(value)};
}

void Parser::enter_section(std::string_view raw_name, int line_number) {
  std::string name = normalize(raw_name);
  // The seed writes "siproxy" in several headers; treat it as "sipproxy".
  if (name == "siproxy" || name.starts_with("siproxy.")) {
    name.replace(0, 7, "sipproxy");
  } else if (name.starts_with("advanced.siproxy")) {
    name.replace(9, 7, "sipproxy");
  }
  if (name.empty()) fail(line_number, "", "", "empty section name", allowed_sections());

  // "a.b.N": an indexed section if the last part is all digits.
  std::string base = name;
  int index = 0;
  bool indexed = false;
  if (const auto dot = name.rfind('.'); dot != std::string::npos) {
    const std::string last = name.substr(dot + 1);
    if (!last.empty() && std::all_of(last.begin(), last.end(),
                                     [](char c) { return c >= '0' && c <= '9'; })) {
      base = name.substr(0, dot);
      indexed = true;
      const auto [ptr, ec] = std::from_chars(last.data(), last.data() + last.size(), index);
      // Only a known base gets the range message; else it is an unknown section.
      for (const auto& spec : section_specs()) {
        if (!spec.indexed || spec.name != base) continue;
        if (ec != std::errc() || index < 1 || index > spec.max_index || last.front() == '0') {
          fail(line_number, name, "", "index " + quoted(last) + " is out of range",
               "1.." + std::to_string(spec.max_index));
        }
      }
    }
  }
  const SectionSpec* found = nullptr;
  for (const auto& spec : section_specs()) {
    if (spec.indexed == indexed && spec.name == base) found = &spec;
  }
  if (!found) fail(line_number, name, "", "unknown section", allowed_sections());

  if (const auto it = sections_seen_.find(name); it != sections_seen_.end()) {
    fail(line_number, name, "",
         "section repeated (first on line " + std::to_string(it->second) +
             "); put all its parameters under one header");
  }
  sections_seen_.emplace(name, line_number);
  section_ = found;
  section_name_ = name;
  section_index_ = index;
  if (found->name == "sipproxy.trust" && indexed) builder_.trust[index].header_line = line_number;
  if (found->name == "sipproxy.ignore") builder_.ignore[index].header_line = line_number;
  if (found->name == "sipproxy.reject") builder_.reject[index].header_line = line_number;
  if (found->name == "sipproxy.itsp_proxy" && indexed) {
    builder_.itsp[index].header_line = line_number;
  }
  if (found->name == "sipproxy.lan_hosts") builder_.lan_hosts[index].header_line = line_number;
  if (found->name == "sipproxy.auth.user") builder_.auth[index].header_line = line_number;
  if (found->name == "sipproxy.alias") builder_.aliases[index].header_line = line_number;
  if (found->name == "sipproxy.directory") builder_.directory[index].header_line = line_number;
}

void Parser::set_parameter(std::string_view raw_name, std::string_view value, int line_number) {
  const std::string name = normalize(raw_name);
  if (!section_) {
    fail(line_number, "", name, "parameter before any [section]", allowed_sections());
  }
  if (name.empty()) {
    fail(line_number, section_name_, "", "missing parameter name before '='",
         section_->param_names());
  }
  const ParamSpec* param = nullptr;
  for (const auto& p : section_->params) {
    if (p.name == name || std::find(p.aliases.begin(), p.aliases.end(), name) != p.aliases.end()) {
      param = &p;
    }
  }
  if (!param) fail(line_number, section_name_, name, "unknown parameter", section_->param_names());
  // Errors and the repeat check use the canonical name: an alias sets the same parameter.
  const std::string key = section_name_ + " " + param->name;
  if (!params_seen_.insert(key).second) {
    fail(line_number, section_name_, param->name,
         "parameter repeated (first on line " + std::to_string(builder_.line_of[key]) + ")");
  }
  builder_.line_of[key] = line_number;
  try {
    param->set(builder_, section_index_, line_number, value);
  } catch (const Invalid& invalid) {
    fail(line_number, section_name_, param->name, invalid.problem, param->allowed);
  }
}

void Parser::finish() {
  auto& proxy = builder_.config.proxy;
  const auto line_or = [&](const std::string& key, int fallback) {
    const auto it = builder_.line_of.find(key);
    return it == builder_.line_of.end() ? fallback : it->second;
  };

  // Lockouts: the first is no longer than the longest.
  {
    const auto& guard = proxy.auth.guard;
    const std::string s = "sipproxy.auth";
    if (guard.max_lockout < guard.lockout) {
      const int header = sections_seen_.contains(s) ? sections_seen_[s] : 0;
      const std::string lockout = std::to_string(to_seconds(guard.lockout));
      fail(line_or(s + " max_lockout_time", line_or(s + " lockout_time", header)), s,
           "max_lockout_time",
           std::to_string(to_seconds(guard.max_lockout)) + " is below lockout_time (" + lockout + ")",
           "lockout_time..604800 s (" + lockout + "..604800 s)");
    }
  }

  // Registrar: min_expires <= default_expires <= max_expires.
  {
    auto& reg = proxy.registrar;
    const std::string s = "sipproxy.registrar";
    const int header = sections_seen_.contains(s) ? sections_seen_[s] : 0;
    const auto text = [](Duration d) { return std::to_string(to_seconds(d)); };
    if (reg.min_expires > reg.max_expires) {
      const bool blame_max = builder_.line_of.contains(s + " max_expires") &&
                             line_or(s + " max_expires", 0) >= line_or(s + " min_expires", 0);
      if (blame_max) {
        fail(line_or(s + " max_expires", header), s, "max_expires",
             text(reg.max_expires) + " is below min_expires (" + text(reg.min_expires) + ")",
             "min_expires..604800 s");
      }
      fail(line_or(s + " min_expires", header), s, "min_expires",
           text(reg.min_expires) + " is above max_expires (" + text(reg.max_expires) + ")",
           "1..max_expires s");
    }
    if (reg.default_expires < reg.min_expires || reg.default_expires > reg.max_expires) {
      const std::string allowed =
          "min_expires..max_expires (" + text(reg.min_expires) + ".." + text(reg.max_expires) + " s)";
      const bool below = reg.default_expires < reg.min_expires;
      const std::string bound = below ? "min_expires" : "max_expires";
      // Blame default_expires if the file set it, else the bound that moved past it.
      if (builder_.line_of.contains(s + " default_expires")) {
        fail(line_or(s + " default_expires", header), s, "default_expires",
             text(reg.default_expires) + (below ? " is below " : " is above ") + bound + " (" +
                 text(below ? reg.min_expires : reg.max_expires) + ")",
             allowed);
      }
      fail(line_or(s + " " + bound, header), s, bound,
           text(below ? reg.min_expires : reg.max_expires) + (below ? " is above" : " is below") +
               " default_expires (" + text(reg.default_expires) + "); set default_expires too",
           allowed);
    }
  }

  // Timers: RFC 3261 §17.1.2.2 caps retransmission intervals at T2, which must not be below T1.
  if (proxy.timers.t2 < proxy.timers.t1) {
    const std::string s = "advanced.sipproxy";
    const bool blame_t2 = line_or(s + " t2_ms", 0) >= line_or(s + " t1_ms", 0);
    const std::string t1 = std::to_string(to_millis(proxy.timers.t1));
    const std::string t2 = std::to_string(to_millis(proxy.timers.t2));
    if (blame_t2) {
      fail(line_or(s + " t2_ms", 0), s, "t2_ms", t2 + " is below t1_ms (" + t1 + ")",
           "t1_ms..60000 ms");
    }
    fail(line_or(s + " t1_ms", 0), s, "t1_ms", t1 + " is above t2_ms (" + t2 + ")",
         "10..t2_ms ms");
  }

  // The address tables: trust, ignore, reject.
  const auto ranges = [&](const std::map<int, RangeEntry>& table, const std::string& base,
                          std::vector<security::IpRange>& out) {
    for (const auto& [n, entry] : table) {
      const std::string s = base + "." + std::to_string(n);
      if (!entry.enable) {
        if (!entry.ipmin.empty() && entry.ipmin != "0.0.0.0") {
          builder_.config.warnings.push_back("[" + s + "] has ipmin " + entry.ipmin +
                                             " but enable=0: the entry is ignored");
        }
        continue;
      }
      if (entry.ipmin.empty()) {
        fail(entry.header_line, s, "ipmin", "missing in an enabled entry",
             "an IPv4 or IPv6 address");
      }
      const std::string& max = entry.ipmax.empty() ? entry.ipmin : entry.ipmax;
      const auto lo = security::parse_ip(entry.ipmin);
      const auto hi = security::parse_ip(max);
      const auto range = security::IpRange::from_bounds(entry.ipmin, max);
      if (!range) {
        const int line = entry.ipmax_line ? entry.ipmax_line : entry.ipmin_line;
        const auto is_v4 = [](const security::Ip128& ip) {
          return security::IpRange::parse("0.0.0.0/0")->contains(ip);
        };
        if (lo && hi && is_v4(*lo) == is_v4(*hi) && *hi < *lo) {
          fail(line, s, "ipmax", max + " is below ipmin (" + entry.ipmin + ")",
               "an address from ipmin upward, of the same family");
        }
        fail(line, s, "ipmax",
             max + " is not of the same address family as ipmin (" + entry.ipmin + ")",
             "an address from ipmin upward, of the same family");
      }
      out.push_back(*range);
    }
  };
  ranges(builder_.ignore, "sipproxy.ignore", proxy.ignored);
  ranges(builder_.reject, "sipproxy.reject", proxy.rejected);
  ranges(builder_.trust, "sipproxy.trust", proxy.trusted);
  proxy.trust_defaults = !builder_.disable_all_trust;
  if (builder_.disable_all_trust && proxy.trusted.empty()) {
    builder_.config.warnings.push_back(
        "[sipproxy.trust] disable_all=1 and no [sipproxy.trust.N] entry is enabled: no source "
        "is trusted");
  }

  // Aliases: each alias reaches one user.
  std::map<std::string, int> alias_first;
  for (const auto& [n, entry] : builder_.aliases) {
    const std::string s = "sipproxy.alias." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.alias.empty()) {
      fail(entry.header_line, s, "alias", "missing in an enabled entry", kUserAllowed);
    }
    if (entry.user.empty()) {
      fail(entry.header_line, s, "user", "missing in an enabled entry", kUserAllowed);
    }
    if (const auto it = alias_first.find(entry.alias); it != alias_first.end()) {
      fail(entry.alias_line, s, "alias",
           quoted(entry.alias) + " is already an alias in [sipproxy.alias." +
               std::to_string(it->second) + "]",
           "an alias not used by another entry");
    }
    alias_first.emplace(entry.alias, n);
    proxy.aliases.push_back(routing::Alias{entry.alias, entry.user});
  }

  // Directory: one contact per user.
  std::map<std::string, int> user_first;
  for (const auto& [n, entry] : builder_.directory) {
    const std::string s = "sipproxy.directory." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.user.empty()) {
      fail(entry.header_line, s, "user", "missing in an enabled entry", kUserAllowed);
    }
    if (entry.contact.empty()) {
      fail(entry.header_line, s, "contact", "missing in an enabled entry", "a SIP URI");
    }
    if (const auto it = user_first.find(entry.user); it != user_first.end()) {
      fail(entry.user_line, s, "user",
           quoted(entry.user) + " is already listed in [sipproxy.directory." +
               std::to_string(it->second) + "]",
           "a user not listed by another entry");
    }
    user_first.emplace(entry.user, n);
    proxy.directory.push_back(routing::DirectoryEntry{entry.user, entry.contact});
  }

  // Auth users: username and password, each username once.
  std::map<std::string, int> username_first;
  for (const auto& [n, entry] : builder_.auth) {
    const std::string s = "sipproxy.auth.user." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.username.empty()) {
      fail(entry.header_line, s, "username", "missing in an enabled entry", kUserAllowed);
    }
    if (entry.password.empty()) {
      fail(entry.header_line, s, "password", "missing in an enabled entry",
           "any text, quoted if it has ';' or '#'");
    }
    if (const auto it = username_first.find(entry.username); it != username_first.end()) {
      fail(entry.username_line, s, "username",
           quoted(entry.username) + " is already configured in [sipproxy.auth.user." +
               std::to_string(it->second) + "]",
           "a username not used by another entry");
    }
    username_first.emplace(entry.username, n);
    proxy.auth_users.push_back(routing::AuthUser{entry.username, entry.password});
  }

  // LAN hosts, in index order: an enabled entry needs a name and a usable address; each name
  // once (one address per name).
  std::map<std::string, int> lan_name_first;
  for (const auto& [n, entry] : builder_.lan_hosts) {
    const std::string s = "sipproxy.lan_hosts." + std::to_string(n);
    if (!entry.enable) {
      if (!entry.name.empty()) {
        builder_.config.warnings.push_back("[" + s + "] has name " + entry.name +
                                           " but enable=0: the entry is ignored");
      }
      continue;
    }
    if (entry.name.empty()) {
      fail(entry.header_line, s, "name", "missing in an enabled entry", kLanHostNameAllowed);
    }
    if (entry.address.empty()) {
      fail(entry.header_line, s, "address", "missing in an enabled entry", kPeerIpAllowed);
    }
    if (is_unspecified(entry.address)) {
      fail(entry.address_line, s, "address", quoted(entry.address) + " is not a usable address",
           kPeerIpAllowed);
    }
    std::string key = entry.name;
    std::transform(key.begin(), key.end(), key.begin(), lower);
    if (const auto it = lan_name_first.find(key); it != lan_name_first.end()) {
      fail(entry.name_line, s, "name",
           quoted(entry.name) + " is already listed in [sipproxy.lan_hosts." +
               std::to_string(it->second) + "]",
           "a name not listed by another entry (one address per name)");
    }
    lan_name_first.emplace(key, n);
    builder_.config.lan_hosts.push_back(LanHost{entry.name, entry.address});
  }

  // TLS: listening needs our certificate and key; its port is not the UDP/TCP one.
  {
    const std::string s = "advanced.sipproxy";
    const auto& tls = builder_.config.tls;
    const int header = sections_seen_.contains(s) ? sections_seen_[s] : 0;
    if (tls.listen && (tls.certificate.empty() || tls.private_key.empty())) {
      const std::string missing = tls.certificate.empty() ? "tls_certificate" : "tls_private_key";
      fail(line_or(s + " tls", header), s, "tls", "1 needs " + missing, "a PEM file path in " + missing);
    }
    if (tls.listen && builder_.config.tcp && tls.port == builder_.config.rx_port) {
      fail(line_or(s + " tls_port", line_or(s + " tls", header)), s, "tls_port",
           std::to_string(tls.port) + " is rx_port, which TCP listens on",
           "a port other than rx_port (5061 by default)");
    }
    proxy.tls_port = tls.port;
  }

  // ITSP proxies, in index order: an enabled entry needs a usable ipname; each target once.
  std::map<std::string, int> target_first;
  for (auto& [n, entry] : builder_.itsp) {
    const std::string s = "sipproxy.itsp_proxy." + std::to_string(n);
    if (!entry.port_set && entry.transport == Transport::Tls) entry.port = 5061;  // RFC 3261 §26.2.1
    if (!entry.enable) {
      if (!entry.ipname.empty() && !is_unspecified(entry.host)) {
        builder_.config.warnings.push_back("[" + s + "] has ipname " + entry.ipname +
                                           " but enable=0: the entry is ignored");
      }
      continue;
    }
    if (entry.ipname.empty()) {
      fail(entry.header_line, s, "ipname", "missing in an enabled entry", kItspNameAllowed);
    }
    if (is_unspecified(entry.host)) {
      fail(entry.ipname_line, s, "ipname", quoted(entry.ipname) + " is not a usable address",
           kItspNameAllowed);
    }
    std::string key = entry.host;
    std::transform(key.begin(), key.end(), key.begin(), lower);
    key += " " + std::to_string(entry.port) + " " + std::string(to_string(entry.transport));
    if (const auto it = target_first.find(key); it != target_first.end()) {
      fail(entry.ipname_line, s, "ipname",
           quoted(entry.ipname) + " port " + std::to_string(entry.port) + " " +
               std::string(to_string(entry.transport)) +
               " is already configured in [sipproxy.itsp_proxy." + std::to_string(it->second) +
               "]",
           "an ITSP proxy not listed by another entry");
    }
    target_first.emplace(key, n);
    routing::ItspTarget target;
    target.name = entry.ipname;
    target.destination.transport = entry.transport;
    target.destination.remote = Address{entry.host, entry.port};
    if (entry.transport == Transport::Tls) {
      // RFC 5922: the certificate must carry the name we know the ITSP by.
      target.destination.server_name =
          entry.tls_server_name.empty() ? entry.host : entry.tls_server_name;
    }
    target.enabled = true;
    proxy.itsp.monitor.targets.push_back(std::move(target));
  }

  if (!proxy.itsp.options_transport_default) {
    proxy.itsp.monitor.probe_transport = proxy.itsp.options_transport;
  }

  // Modes that forward to the ITSP need one to forward to.
  const bool forwards =
      proxy.mode == routing::ProxyMode::ForwardItsp || proxy.mode == routing::ProxyMode::SipTrunk;
  if (forwards && proxy.itsp.monitor.targets.empty()) {
    const std::string mode(routing::to_string(proxy.mode));
    fail(line_or("sipproxy mode", 0), "sipproxy", "mode",
         mode + " needs at least one enabled [sipproxy.itsp_proxy.N] with an ipname",
         "standalone, off; or add [sipproxy.itsp_proxy.1] with enable = 1 and ipname");
  }
}

DaemonConfig Parser::run() {
  int line_number = 0;
  std::size_t pos = 0;
  while (pos <= text_.size()) {
    const auto end = text_.find('\n', pos);
    const std::string_view raw =
        text_.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    ++line_number;
    // A UTF-8 byte order mark, as some editors write, is not part of the first line.
    const bool bom = line_number == 1 && raw.starts_with("\xEF\xBB\xBF");
    const Line line = split(bom ? raw.substr(3) : raw, line_number);
    if (line.kind == Line::Kind::Section) enter_section(line.name, line_number);
    if (line.kind == Line::Kind::Parameter) set_parameter(line.name, line.value, line_number);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  finish();
  return std::move(builder_.config);
}

std::string format_error(const std::string& file, int line, const std::string& section,
                         const std::string& parameter, const std::string& problem,
                         const std::string& allowed) {
  std::string out = file + ":" + std::to_string(line) + ": ";
  if (!section.empty()) {
    out += "[" + section + "]";
    if (!parameter.empty()) out += " ";
  }
  out += parameter;
  out += ": ";
  out += problem;
  if (!allowed.empty()) out += "; allowed: " + allowed;
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string file_, int line_, std::string section_,
                         std::string parameter_, std::string problem_, std::string allowed_)
    : std::runtime_error(format_error(file_, line_, section_, parameter_, problem_, allowed_)),
      file(std::move(file_)),
      line(line_),
      section(std::move(section_)),
      parameter(std::move(parameter_)),
      problem(std::move(problem_)),
      allowed(std::move(allowed_)) {}

DaemonConfig parse_config(std::string_view text, std::string_view file_name) {
  return Parser(text, file_name).run();
}

std::string default_config_text() {
  // Kept in step with DaemonConfig's defaults by a test (parse_config of this text).
  return R"ini(; resproxy configuration: the embedded default.
;
; `resproxy` with no --config runs on exactly this text; `resproxy --print-config` prints it,
; so a copy is a good start for your own file (`resproxy --config FILE`). Every parameter is
; shown with its default value. docs/configuration.md describes each one.
;
; Syntax: [section] headers and `parameter = value` lines. Names are case-insensitive and a
; space in a name equals an underscore (`rx port` = `rx_port`), as in the Vega Resilience
; Proxy's parameter list. Comments start with ';' or '#', also after a value. A value that
; contains ';' or '#' (a SIP URI with parameters) must be written in double quotes. Unknown
; sections or parameters, repeated ones and bad values make the whole file refused.

[sipproxy]
mode = standalone              ; standalone, forward_itsp, sip_trunk, off
rx_port = 5060                 ; 1..65535: the SIP port, UDP and TCP
listen_address = 0.0.0.0       ; IPv4 or IPv6 address; 0.0.0.0 or :: = every address
advertised_address =           ; address put in Via/Record-Route; empty = automatic:
                               ; listen_address if specific, else the primary IPv4 address
realm = resproxy.local         ; our SIP domain: users @realm are registered here
data_dir = /var/lib/resproxy   ; registration database: <data_dir>/registrations.db

[advanced.sipproxy]
record_route = always          ; always, call_setup
server_header = 1              ; 0 or 1: send "Server: resproxy/<version>"
crlf_keepalive = 0             ; 0..180 s: CRLF keep-alive to TCP-registered phones, 0 = off
log_level = info               ; error, warn, info, debug (log on stderr)
sip_log =                      ; file for every SIP message in and out; empty = off, - = stderr
trace_log =                    ; file for trace events as JSON lines; empty = off, - = stderr
log_max_bytes = 10485760       ; 0..2^40 bytes: sip_log and trace_log are rotated when the
                               ; next entry would pass this (file -> file.1 -> ...); 0 = no cap
log_keep = 5                   ; 0..100: rotated files kept (0: the file is truncated instead);
                               ; both logs are created 0600 and reopened on SIGHUP
t1_ms = 500                    ; 10..10000 ms: RFC 3261 T1, round-trip estimate
t2_ms = 4000                   ; 100..60000 ms: RFC 3261 T2, retransmit interval cap (>= T1)
t4_ms = 5000                   ; 100..60000 ms: RFC 3261 T4, max time a message lives
timer_c = 180                  ; 1..3600 s: INVITE proxy timer C (RFC 3261 wants > 180)
max_message_size = 65535       ; 1024..1048576 bytes: larger messages are refused
transport = both               ; udp, tcp, both
store_synchronous = normal     ; normal: survives kill -9; full: survives power loss too
store_commit_interval_us = 1000 ; 0..100000 us: group commit, at most one store commit per
                               ; interval; a REGISTER's 200 waits for its commit (0: no batching)
store_queue_max = 1000         ; 1..100000 store writes waiting at most (a stalled disk): a
                               ; REGISTER beyond it gets 500 with Retry-After at once
itsp_down_reg_expires = 60     ; 30..60000 s: expiry granted to phones registering while the
                               ; ITSP is down (their cached bindings do not expire meanwhile)
reg_forwarding_timeout = 10    ; 2..60 s: a forwarded REGISTER unanswered this long is not cached
phone_reg_expires = 0          ; 0, 30..86400 s: registration throttling: phones are told this
                               ; expiry and their refreshes are answered here while the ITSP's
                               ; longer grant runs; 0 = off (every REGISTER goes to the ITSP)
num_sockets = 120              ; 60..240: sockets (mostly TCP connections) open at most
tcp_max_per_source = 8         ; 0..1000 TCP connections from one untrusted address (0: no cap)
tcp_header_timeout = 5         ; 0..300 s: a connection with no complete message this long is closed
tcp_idle_timeout = 60          ; 0..86400 s: an untrusted connection idle this long, with no
                               ; registration on it, is closed (0: never)
nat_outside_address =          ; public address put in Via/Record-Route toward the ITSP when
                               ; behind NAT; empty = none
tls = 0                        ; 0 or 1: accept SIP over TLS (RFC 3261 §26) on tls_port
tls_port = 5061                ; 1..65535, not rx_port
tls_certificate =              ; PEM file: our certificate, then its chain (needed for tls = 1)
tls_private_key =              ; PEM file: its private key
tls_ca_file =                  ; PEM file: CAs the ITSP's certificate must chain to; empty = the
                               ; system's store (/etc/ssl/certs)
tls_verify_server = 1          ; 0 or 1: check the ITSP's certificate chain and name (RFC 5922:
                               ; its tls_server_name, else its ipname); 0 only for lab tests
tls_client_certificate =       ; PEM file presented to an ITSP that asks for one; empty = none
tls_client_private_key =       ; its key; empty = in the certificate's file
tls_verify_client = 0          ; 0 or 1: require phones' TLS certificates (signed by tls_ca_file)
tls_min_version = 1.2          ; 1.2, 1.3
tls_handshakes_per_minute = 60 ; 0..100000 per untrusted source (IPv6: per /64), in bursts of
                               ; a tenth of it (at least 5); over it: closed before the
                               ; handshake; 0 = no limit

[sipproxy.pstn_gw]
address =                      ; the local PSTN gateway: IP or IP:port (port default 5060),
                               ; e.g. 127.0.0.1:5080; empty = no gateway
from_action = trust            ; trust, auth, reject, ignore: how requests from it are treated
from_routing = itsp            ; itsp, regd_ua: its calls go the normal way (to the ITSP while
                               ; it is up), or only to phones registered here
emergency_numbers = 112, 999, 911  ; numbers (digits, +, *, #) that always go straight to the
                               ; gateway, in every mode and state; empty = none
international_prefixes = 00, + ; numbers starting so are international
premium_prefixes =             ; premium-rate prefixes of your country, e.g. 09, 0871, 118
international_from = trusted, authenticated  ; who may dial them: trusted, authenticated, none
premium_from = trusted         ; remote (authenticated) phones may not dial premium by default
max_calls_per_user = 4         ; 0..1000 open gateway calls per user (0 = no limit)
max_calls_per_source = 30      ; 0..10000 per source address (IPv6: per /64)
calls_per_minute_per_user = 10 ; 0..10000 new gateway calls per minute per user
calls_per_minute_per_source = 60  ; 0..100000 per source; emergency calls are never limited

[sipproxy.itsp_proxy]
accessibility_check = options  ; options, off: probe the ITSP proxies with OPTIONS; off = assume
                               ; they are down (failure operation)
options_transport = default    ; udp, tcp, tls, default (= each proxy's own transport)
mode = normal                  ; normal (first that is up), cyclic (round robin), dnssrv (RFC 3263
                               ; SRV records of ipname)
probe_interval = 30            ; 5..3600 s: between probes while the ITSP is up
probe_interval_down = 10       ; 1..3600 s: between probes while it is suspect or down
probe_timeout_ms = 2000        ; 100..32000 ms: a probe unanswered this long has failed
failures_to_down = 2           ; 1..10: failed probes in a row that make the ITSP down
successes_to_up = 3            ; 1..10: good probes in a row that bring it back
failback_delay = 10            ; 0..3600 s: ... and it must have answered for this long
probe_retransmit_ms = 0        ; 0, 50..4000 ms: resend an unanswered probe at this fixed
                               ; interval within its timeout; 0 = the standard T1 doubling
answer_timeout_ms = 2000       ; 0, 200..32000 ms: a forwarded request the ITSP does not answer at
                               ; all in this time makes it suspect and is served locally; 0 = off
failover_codes = 500, 502, 503, 504  ; 5xx answers from the ITSP to a call that make it fail over
                               ; to local service (486/603/487 never do); empty = none
down_other_methods = local     ; local, reject: SUBSCRIBE, MESSAGE, … in failure operation are
                               ; routed like calls, or answered 480 with Retry-After
dns_servers =                  ; DNS servers for ipname host names: IP or IP:port, comma-separated
                               ; (e.g. 192.0.2.53, 127.0.0.1:5353); empty = /etc/resolv.conf
dns_timeout_ms = 2000          ; 100..30000 ms: the most a round of start-up look-ups may take
; Sub-second probing (the fast settings of docs/resilience.md), instead of the two above:
; probe_interval_ms = 500      ; 200..3600000 ms
; probe_interval_down_ms = 500 ; 0..3600000 ms

; ITSP proxies, N = 1..100, in index order. mode = forward_itsp or sip_trunk needs one enabled.
; [sipproxy.itsp_proxy.1]
; enable = 1                   ; 0 or 1
; ipname = 192.0.2.10          ; IPv4 or IPv6 address, or a host name
; port = 5060                  ; 1..65535
; transport = udp              ; udp, tcp, tls (tls: port default 5061)
; tls_server_name =            ; the name its certificate must carry; empty = ipname

; LAN hosts: host names resolved without DNS, looked up first, N = 1..100 (DNS may be behind
; the link that fails). One address per name.
; [sipproxy.lan_hosts.1]
; enable = 1                   ; 0 or 1
; name = itsp.example.com      ; a host name, as written in ipname or an SRV record's target
; address = 192.0.2.10         ; its IPv4 or IPv6 address

[sipproxy.auth]
methods = REGISTER, INVITE, BYE, SUBSCRIBE, NOTIFY  ; methods challenged from untrusted sources
nonce_lifetime = 300           ; 10..86400 s: a digest nonce is good this long
algorithms = SHA-256, MD5      ; offered in this order; leave MD5 out to drop it
require_qop = 1                ; 0: accept RFC 2069 answers (no qop; replayable)
bind_from_user = 1             ; 1: an authenticated call must come From its own user or alias
lockout = 1                    ; lock a (source, user) pair out after too many wrong answers
max_failures = 5               ; 1..100 wrong answers per pair within failure_window are free
failure_window = 600           ; 10..86400 s
lockout_time = 60              ; 1..86400 s: the first lockout; each one in a row doubles it
max_lockout_time = 3600        ; 1..604800 s: up to this
max_source_failures = 30       ; 0..10000: users failing from one source before it is locked
                               ; as a whole (0: never)

; Digest credentials for phones outside the trusted ranges, N = 1..120.
; [sipproxy.auth.user.1]
; enable = 1                   ; 0 or 1
; username = 4900              ; the phone's registration user name
; password = "secret"          ; quoted if it contains ';' or '#'

; Sources dropped without an answer, N = 1..100 (checked first).
; [sipproxy.ignore.1]
; enable = 1                   ; 0 or 1
; ipmin = 198.51.100.1         ; first address
; ipmax = 198.51.100.255       ; last address, same family; default: ipmin

; Sources answered 403 Forbidden, N = 1..100 (checked after ignore).
; [sipproxy.reject.1]
; enable = 1                   ; 0 or 1
; ipmin = 198.51.100.1         ; first address
; ipmax = 198.51.100.255       ; last address, same family; default: ipmin

[sipproxy.trust]
disable_all = 0                ; 1: no default trust. 0: trust what arrives on the loopback
                               ; interface, and on a LAN interface from that interface's own
                               ; subnets (never a WAN interface: spoofed LAN sources from outside)
itsp_requires_trust = 0        ; 1: nothing from an untrusted, unauthenticated source goes to
                               ; the ITSP (for ITSPs that authenticate the trunk by IP address)
lan_interfaces =               ; interface names that are the office LAN (eth1, br-lan); empty:
                               ; every interface whose addresses are all private (RFC 1918, ULA)
wan_interfaces =               ; interface names that are never the LAN (eth0, ppp0)

; Extra trusted sources, N = 1..100 (checked after reject). Other sources are answered 403
; (challenged for [sipproxy.auth.user.N] credentials once digest authentication is in).
; [sipproxy.trust.1]
; enable = 1                   ; 0 or 1
; ipmin = 203.0.113.10         ; first address
; ipmax = 203.0.113.20         ; last address, same family; default: ipmin

[sipproxy.dos]
enable = 1                     ; 0 or 1: per-source rate limits and bans, before any parsing
untrusted_rate = 20            ; 1..100000 messages/s from each untrusted source (IPv6: per /64)
untrusted_burst = 60           ; 1..1000000 messages: a source sending this many more into an
                               ; empty budget is banned for ban_time
untrusted_total_rate = 2000    ; 0..10000000 messages/s from all untrusted sources (0: no cap)
trusted_rate = 0               ; 0..10000000 messages/s per trusted source (0: unlimited)
ban_time = 60                  ; 0..86400 s (0: drop over the rate, never ban)
amplification = 3              ; 0..100: our answers to an untrusted source stay within this
                               ; many times its bytes per 10 s (0: no budget)
max_sources = 20000            ; 100..10000000 sources remembered (least recently seen go)
untrusted_to_itsp_rate = 50    ; 0..1000000 untrusted requests/s relayed to the ITSP (0: no cap)
max_transactions = 50000       ; 1000..10000000: above, new calls and registrations get 503
max_queued_registers = 1000    ; 10..1000000 REGISTERs waiting behind one of the same user
overload_delay_ms = 200        ; 0..10000 ms: datagrams that waited this long in the kernel mean
                               ; overload: new calls and registrations get 503 for 1 s (0: off)

[sipproxy.registrar]
min_expires = 60               ; 1..604800 s: shorter registrations get 423 Min-Expires
max_expires = 7200             ; 1..604800 s: longer registrations are shortened to this
default_expires = 3600         ; 1..604800 s: when a REGISTER names none; min..max
max_bindings = 10000           ; 1..10000000: bindings in total
max_bindings_per_aor = 10      ; 1..1000: contacts per address of record

; Extra numbers that reach a registered user, N = 1..100.
; [sipproxy.alias.1]
; enable = 1                   ; 0 or 1
; alias = 441344784900         ; the number as dialled
; user = 4900                  ; the registered user it reaches

; Users that always resolve, registered or not, N = 1..100.
; [sipproxy.directory.1]
; enable = 1                   ; 0 or 1
; user = 4000
; contact = "sip:4000@192.0.2.50:5060;transport=udp"
)ini";
}

}  // namespace resproxy::native
