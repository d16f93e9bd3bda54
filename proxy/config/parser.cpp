// The INI syntax, the cross-field rules checked once the whole file is read, and the errors
// that name file, line, section, parameter and the allowed values.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "proxy/config/daemon_config.h"
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
                         std::string problem, std::string_view allowed = {}) const {
    throw ConfigError(std::string(file_), line, std::move(section), std::move(parameter),
                      std::move(problem), std::string(allowed));
  }

  Line split(std::string_view raw, int line_number);
  void enter_section(std::string_view raw_name, int line_number);
  void set_parameter(std::string_view raw_name, std::string_view value, int line_number);
  void finish();
  void finish_gateway();  // [gateway*] and [sim_hardware*]

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

void Parser::finish_gateway() {
  auto& gw = builder_.config.gateway;
  auto& hw = builder_.config.sim_hardware;
  const auto line_or = [&](const std::string& key, int fallback) {
    const auto it = builder_.line_of.find(key);
    return it == builder_.line_of.end() ? fallback : it->second;
  };
  if (gw.rtp_port_last < gw.rtp_port_first) {
    const std::string first = std::to_string(gw.rtp_port_first);
    fail(line_or("gateway rtp_port_last", line_or("gateway rtp_port_first", 0)), "gateway",
         "rtp_port_last",
         std::to_string(gw.rtp_port_last) + " is below rtp_port_first (" + first + ")",
         "rtp_port_first..65535 (" + first + "..65535)");
  }

  // Emulated cards: each span once across E1 and FXO cards.
  std::map<std::uint16_t, std::string> span_owner;  // span -> its section
  const auto claim_span = [&](std::uint16_t span, const std::string& s, int line) {
    if (const auto it = span_owner.find(span); it != span_owner.end()) {
      fail(line, s, "span", std::to_string(span) + " is already the span of [" + it->second + "]",
           "a span number not used by another card");
    }
    span_owner.emplace(span, s);
  };
  for (auto& [n, entry] : builder_.sim_e1) {
    const std::string s = "sim_hardware.e1." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.e1.span == 0) fail(entry.header_line, s, "span", "missing in an enabled entry", "1..255");
    claim_span(entry.e1.span, s, entry.span_line);
    if (entry.e1.name.empty()) entry.e1.name = "e1-" + std::to_string(entry.e1.span);
    const auto& first = entry.e1.ddi_first;
    const auto& last = entry.e1.ddi_last;
    if (first.empty() != last.empty() || first.size() != last.size() || last < first) {
      fail(entry.ddi_line, s, "ddi_last",
           quoted(last) + " does not end a range from ddi_first (" + quoted(first) + ")",
           "a number as long as ddi_first and not below it, or both empty");
    }
    hw.e1.push_back(entry.e1);
  }
  for (auto& [n, entry] : builder_.sim_fxo) {
    const std::string s = "sim_hardware.fxo." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.fxo.span == 0) fail(entry.header_line, s, "span", "missing in an enabled entry", "1..255");
    claim_span(entry.fxo.span, s, entry.span_line);
    if (entry.fxo.name.empty()) entry.fxo.name = "fxo-" + std::to_string(entry.fxo.span);
    if (entry.lines == 0) fail(entry.header_line, s, "lines", "missing in an enabled entry", "1..32 lines");
    if (entry.fxo.directory_numbers.size() != entry.lines) {
      fail(line_or(s + " directory_numbers", entry.header_line), s, "directory_numbers",
           std::to_string(entry.fxo.directory_numbers.size()) + " numbers for " +
               std::to_string(entry.lines) + " lines",
           "one number per line (" + std::to_string(entry.lines) + ")");
    }
    hw.fxo.push_back(entry.fxo);
  }

  // The exchange's numbering plan: a range each, its bounds of one length and in order.
  for (auto& [n, entry] : builder_.sim_numbers) {
    const std::string s = "sim_hardware.numbers." + std::to_string(n);
    if (!entry.enable) {
      if (!entry.range.first.empty()) {
        builder_.config.warnings.push_back("[" + s + "] is not enabled (enable = 1): ignored");
      }
      continue;
    }
    auto& r = entry.range;
    if (r.first.empty()) fail(entry.header_line, s, "first", "missing in an enabled entry", "digits");
    if (r.last.empty()) r.last = r.first;
    if (r.last.size() != r.first.size() || r.last < r.first) {
      fail(entry.last_line != 0 ? entry.last_line : entry.first_line, s, "last",
           quoted(r.last) + " does not end a range from first (" + quoted(r.first) + ")",
           "a number as long as first and not below it");
    }
    hw.numbers.push_back(r);
  }

  // Groups: a name and spans each; each name once.
  std::map<std::string, int> group_first;
  for (const auto& [n, entry] : builder_.gateway_groups) {
    const std::string s = "gateway.group." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.name.empty()) {
      fail(entry.header_line, s, "name", "missing in an enabled entry",
           "a name of letters, digits, '-' and '_'");
    }
    if (entry.spans.empty()) {
      fail(entry.header_line, s, "spans", "missing in an enabled entry",
           "a comma-separated list of span numbers 1..255");
    }
    if (const auto it = group_first.find(entry.name); it != group_first.end()) {
      fail(entry.name_line, s, "name",
           quoted(entry.name) + " is already the name of [gateway.group." +
               std::to_string(it->second) + "]",
           "a name not used by another group");
    }
    group_first.emplace(entry.name, n);
    if (hw.has_cards()) {
      for (auto span : entry.spans) {
        if (!span_owner.contains(span)) {
          builder_.config.warnings.push_back("[" + s + "] spans: no [sim_hardware.e1.N] or "
                                             "[sim_hardware.fxo.N] serves span " +
                                             std::to_string(span));
        }
      }
    }
    gw.groups.push_back({.name = entry.name, .spans = entry.spans, .hunt = entry.hunt,
                         .emergency_reserve = entry.emergency_reserve,
                         .reserve_applies_to_incoming = true});
    if (!entry.incoming_destination.empty()) {
      gw.incoming_destination[entry.name] = entry.incoming_destination;
    }
  }

  // Dial plan rules, in index order: a called pattern and a target each; groups must exist.
  const std::string known_groups = [&] {
    std::vector<std::string> names;
    for (const auto& [name, n] : group_first) names.push_back(name);
    return names.empty() ? std::string("none configured") : text::join(names);
  }();
  for (const auto& [n, entry] : builder_.dial_rules) {
    const std::string s = "gateway.dialplan." + std::to_string(n);
    if (!entry.enable) continue;
    if (!entry.called_set) {
      fail(entry.header_line, s, "called", "missing in an enabled entry", "a number pattern");
    }
    if (!entry.target_set) {
      fail(entry.header_line, s, "target", "missing in an enabled entry", "sip, or a group name");
    }
    const auto& target = entry.rule.target;
    if (target.kind == gateway::RouteTarget::Kind::Group && !group_first.contains(target.group)) {
      fail(entry.target_line, s, "target", quoted(target.group) + " is not a group",
           "sip, or a [gateway.group.N] name (" + known_groups + ")");
    }
    if (!entry.source_group.empty() && !group_first.contains(entry.source_group)) {
      fail(entry.source_line, s, "source", quoted(entry.source_group) + " is not a group",
           "any, sip, or a [gateway.group.N] name (" + known_groups + ")");
    }
    gw.dial_plan.rules.push_back(entry.rule);
  }
  if (gw.enable && gw.groups.empty()) {
    builder_.config.warnings.push_back(
        "[gateway] enable=1 and no [gateway.group.N] is enabled: every call is refused");
  }
  if (gw.enable && !hw.has_cards()) {
    builder_.config.warnings.push_back(
        "[gateway] enable=1 and no [sim_hardware.e1.N] or [sim_hardware.fxo.N] is enabled: "
        "there are no cards, every call placed fails (cause 38)");
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

}  // namespace resproxy::config
