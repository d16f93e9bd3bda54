// The INI syntax, the cross-field rules checked once the whole file is read (those of the
// gateway and the emulated cards are in parser_gateway.cpp), and the errors that name file,
// line, section, parameter and the allowed values.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "proxy/config/daemon_config.h"
#include "proxy/config/parser_impl.h"
#include "proxy/config/spec.h"
#include "proxy/security/ip_range.h"

namespace resproxy::config {

namespace {

using text::lower;
using text::normalize;
using text::quoted;
using text::trim;

std::string allowed_sections() {
  std::vector<std::string> names;
  std::string exceptions;
  for (const auto& spec : section_specs()) {
    names.push_back(spec.display());
    if (spec.indexed && spec.max_index != kMaxIndex) {
      exceptions += "; " + spec.display() + ": 1.." + std::to_string(spec.max_index);
    }
  }
  return text::join(names) + " (N = 1.." + std::to_string(kMaxIndex) + exceptions + ")";
}

}  // namespace

namespace detail {

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
  if (indexed && found->on_header) found->on_header(builder_, index, line_number);
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
    const auto& aliases = p.info.aliases;
    if (p.info.name == name || std::find(aliases.begin(), aliases.end(), name) != aliases.end()) {
      param = &p;
    }
  }
  if (!param) fail(line_number, section_name_, name, "unknown parameter", section_->param_names());
  // Errors and the repeat check use the canonical name: an alias sets the same parameter.
  const std::string key = section_name_ + " " + param->info.name;
  if (!params_seen_.insert(key).second) {
    fail(line_number, section_name_, param->info.name,
         "parameter repeated (first on line " + std::to_string(builder_.line_of[key]) + ")");
  }
  builder_.line_of[key] = line_number;
  try {
    param->set(builder_, section_index_, line_number, value);
  } catch (const Invalid& invalid) {
    fail(line_number, section_name_, param->info.name, invalid.problem, param->info.allowed);
  }
}

void Parser::finish() {
  auto& proxy = builder_.config.proxy;

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

  // Media relay: a range with at least two even/odd pairs (one call: a pair per side).
  {
    const auto& ports = proxy.media_relay.relay.ipv4_ports;
    const std::string s = "media_relay";
    if (ports.max < ports.min + 3) {
      const int header = sections_seen_.contains(s) ? sections_seen_[s] : 0;
      fail(line_or(s + " port_max", line_or(s + " port_min", header)), s, "port_max",
           std::to_string(ports.max) + " leaves fewer than two port pairs above port_min (" +
               std::to_string(ports.min) + ")",
           "port_min + 3..65535 (" + std::to_string(ports.min + 3) + "..65535)");
    }
  }

  // External media relays: an address each, each address once.
  {
    auto& relay = proxy.media_relay;
    std::map<std::string, int> first;
    for (const auto& [n, entry] : builder_.media_relays) {
      const std::string s = "media_relay.relay." + std::to_string(n);
      if (!entry.enable) continue;
      if (!entry.address) {
        fail(entry.header_line, s, "address", "missing in an enabled entry",
             "an IP address with an optional :port");
        continue;
      }
      const std::string text = entry.address->to_string();
      if (const auto it = first.find(text); it != first.end()) {
        fail(line_or(s + " address", entry.header_line), s, "address",
             text + " is already [media_relay.relay." + std::to_string(it->second) + "]",
             "an address no other relay has");
      }
      first.emplace(text, n);
      relay.external.push_back({.name = "relay" + std::to_string(n),
                                .address = *entry.address,
                                .weight = entry.weight,
                                .secret = entry.secret});
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
      fail(entry.header_line, s, "password", "missing in an enabled entry", kPasswordAllowed);
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

  finish_gateway();

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

}  // namespace detail

namespace {

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
  return detail::Parser(text, file_name).run();
}

}  // namespace resproxy::config
