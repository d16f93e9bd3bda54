// The daemon's INI parser: the embedded default, every section and parameter, and the errors
// that name file, line, section, parameter and allowed values.
#include "proxy/config/daemon_config.h"
#include "proxy/config/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace resproxy::config {
namespace {

using namespace std::chrono_literals;
using routing::GatewayFromAction;
using routing::GatewayFromRouting;
using routing::ItspSelection;
using routing::ProxyMode;
using routing::RecordRoute;

// One enabled ITSP proxy: what mode = forward_itsp and sip_trunk need.
constexpr std::string_view kOneItsp = "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 192.0.2.10\n";

DaemonConfig parse(std::string_view text) { return parse_config(text, "test.ini"); }

// The ConfigError a text raises; fails the test if it parses.
ConfigError error_of(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error:\n" << text;
  return ConfigError("", 0, "", "", "", "");
}

void expect_defaults(const DaemonConfig& c) {
  const DaemonConfig d;
  EXPECT_EQ(c.proxy.mode, ProxyMode::Standalone);
  EXPECT_EQ(c.proxy.realm, d.proxy.realm);
  EXPECT_EQ(c.proxy.record_route, RecordRoute::Always);
  EXPECT_EQ(c.proxy.server_header, d.proxy.server_header);
  EXPECT_EQ(c.proxy.crlf_keepalive, d.proxy.crlf_keepalive);
  EXPECT_EQ(c.proxy.timer_c, d.proxy.timer_c);
  EXPECT_TRUE(c.proxy.trusted.empty());
  EXPECT_TRUE(c.proxy.trust_defaults);
  EXPECT_TRUE(c.proxy.aliases.empty());
  EXPECT_TRUE(c.proxy.directory.empty());
  EXPECT_TRUE(c.proxy.ignored.empty());
  EXPECT_TRUE(c.proxy.rejected.empty());
  EXPECT_TRUE(c.proxy.auth_users.empty());
  EXPECT_FALSE(c.proxy.pstn_gateway.address.has_value());
  EXPECT_EQ(c.proxy.pstn_gateway.from_action, GatewayFromAction::Trust);
  EXPECT_EQ(c.proxy.pstn_gateway.from_routing, GatewayFromRouting::Itsp);
  const auto& itsp = c.proxy.itsp;
  EXPECT_TRUE(itsp.monitor.targets.empty());
  EXPECT_TRUE(itsp.monitor.options_check);
  EXPECT_EQ(itsp.monitor.selection, ItspSelection::Normal);
  EXPECT_EQ(itsp.monitor.probe_timeout, d.proxy.itsp.monitor.probe_timeout);
  EXPECT_EQ(itsp.monitor.health.probe_interval, d.proxy.itsp.monitor.health.probe_interval);
  EXPECT_EQ(itsp.monitor.health.probe_interval_down,
            d.proxy.itsp.monitor.health.probe_interval_down);
  EXPECT_EQ(itsp.monitor.health.failures_to_down, d.proxy.itsp.monitor.health.failures_to_down);
  EXPECT_EQ(itsp.monitor.health.successes_to_up, d.proxy.itsp.monitor.health.successes_to_up);
  EXPECT_EQ(itsp.monitor.health.failback_delay, d.proxy.itsp.monitor.health.failback_delay);
  EXPECT_TRUE(itsp.options_transport_default);
  EXPECT_EQ(itsp.options_transport, d.proxy.itsp.options_transport);
  EXPECT_EQ(itsp.itsp_down_reg_expires, 60s);
  EXPECT_EQ(itsp.reg_forwarding_timeout, 10s);
  EXPECT_EQ(itsp.nat_outside_address, "");
  EXPECT_EQ(c.proxy.num_sockets, 120u);
  EXPECT_EQ(c.proxy.registrar.min_expires, d.proxy.registrar.min_expires);
  EXPECT_EQ(c.proxy.registrar.max_expires, d.proxy.registrar.max_expires);
  EXPECT_EQ(c.proxy.registrar.default_expires, d.proxy.registrar.default_expires);
  EXPECT_EQ(c.proxy.registrar.max_bindings, d.proxy.registrar.max_bindings);
  EXPECT_EQ(c.proxy.registrar.max_bindings_per_aor, d.proxy.registrar.max_bindings_per_aor);
  EXPECT_EQ(c.proxy.timers.t1, d.proxy.timers.t1);
  EXPECT_EQ(c.proxy.timers.t2, d.proxy.timers.t2);
  EXPECT_EQ(c.proxy.timers.t4, d.proxy.timers.t4);
  EXPECT_EQ(c.proxy.max_message_size, d.proxy.max_message_size);
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.rx_port, 5060);
  EXPECT_EQ(c.advertised_address, "");
  EXPECT_TRUE(c.udp);
  EXPECT_TRUE(c.tcp);
  EXPECT_EQ(c.data_dir, "/var/lib/resproxy");
  EXPECT_FALSE(c.store_sync_full);
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_EQ(c.sip_log, "");
  EXPECT_EQ(c.trace_log, "");
  EXPECT_EQ(c.log_max_bytes, 10u << 20);
  EXPECT_EQ(c.log_keep, 5);
  EXPECT_EQ(c.store_queue_max, 1000u);
  EXPECT_TRUE(c.lan_hosts.empty());
  EXPECT_TRUE(c.dns_servers.empty());
  EXPECT_EQ(c.dns_timeout, 2s);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Config, EmbeddedDefaultGivesTheDefaults) {
  expect_defaults(parse_config(default_config_text(), "<embedded>"));
}

TEST(Config, EmptyFileGivesTheDefaults) {
  expect_defaults(parse(""));
  expect_defaults(parse("; only a comment\n\n# another\n"));
}

// Every parameter of the schema is in the embedded default: set to its default, or (indexed
// sections, parameters whose default is another's) as a commented-out example.
TEST(Config, EmbeddedDefaultNamesEveryParameter) {
  const std::string text = default_config_text();
  for (const auto& section : schema()) {
    const std::string header =
        section.indexed ? "\n; [" + section.name + ".1]\n" : "\n[" + section.name + "]\n";
    const auto at = text.find(header);
    ASSERT_NE(at, std::string::npos) << section.display();
    // The section's lines: from its header's newline to the next header (or the end).
    const auto begin = at + header.size() - 1;
    const auto end = std::min(text.find("\n[", begin), text.find("\n; [", begin));
    const std::string block = text.substr(begin, end == std::string::npos ? end : end - begin + 1);
    for (const auto& p : section.params) {
      SCOPED_TRACE(section.display() + " " + p.name);
      const std::string line = (p.example ? "\n; " : "\n") + p.name + " =";
      EXPECT_NE(block.find(line), std::string::npos) << block;
    }
  }
}

// The commented-out examples are good values: the default file with every example section
// and parameter uncommented parses, each example entry enabled and complete.
TEST(Config, EmbeddedDefaultWithEveryExampleUncommentedParses) {
  std::string text;
  const SectionInfo* section = nullptr;
  std::istringstream lines(default_config_text());
  for (std::string line; std::getline(lines, line);) {
    for (const auto& s : schema()) {
      if (line == (s.indexed ? "; [" + s.name + ".1]" : "[" + s.name + "]")) section = &s;
    }
    if (line.starts_with("; [")) line.erase(0, 2);
    for (const auto& p : section ? section->params : std::vector<ParamInfo>{}) {
      if (p.example && line.starts_with("; " + p.name + " =")) line.erase(0, 2);
    }
    text += line + "\n";
  }
  SCOPED_TRACE(text);
  const auto c = parse(text);
  EXPECT_EQ(c.proxy.itsp.monitor.targets.size(), 1u);
  EXPECT_EQ(c.lan_hosts.size(), 1u);
  EXPECT_EQ(c.proxy.auth_users.size(), 1u);
  EXPECT_EQ(c.proxy.ignored.size(), 1u);
  EXPECT_EQ(c.proxy.rejected.size(), 1u);
  EXPECT_EQ(c.proxy.trusted.size(), 1u);
  EXPECT_EQ(c.proxy.aliases.size(), 1u);
  EXPECT_EQ(c.proxy.directory.size(), 1u);
  EXPECT_EQ(c.proxy.itsp.monitor.health.probe_interval, 500ms);
  EXPECT_TRUE(c.warnings.empty());
}

// What the reference and the errors say about a parameter is all there.
TEST(Config, EveryParameterIsDocumented) {
  for (const auto& section : schema()) {
    for (const auto& p : section.params) {
      SCOPED_TRACE(section.display() + " " + p.name);
      EXPECT_FALSE(p.allowed.empty());
      EXPECT_FALSE(p.doc.empty());
      EXPECT_FALSE(p.doc_default.empty());
      EXPECT_FALSE(p.doc_allowed.empty());
      EXPECT_FALSE(p.comment.empty());
    }
  }
}

TEST(Config, SetsEveryParameter) {
  const auto c = parse(R"(
[sipproxy]
mode = sip_trunk
rx_port = 5070
listen_address = 192.0.2.1
advertised_address = 203.0.113.1
realm = office.example.com
data_dir = /tmp/resproxy-data

[advanced.sipproxy]
record_route = call_setup
server_header = off
crlf_keepalive = 30
log_level = debug
sip_log = /tmp/sip.log
trace_log = -
log_max_bytes = 65536
log_keep = 0
store_queue_max = 7
t1_ms = 250
t2_ms = 2000
t4_ms = 2500
timer_c = 200
max_message_size = 4096
transport = tcp
store_synchronous = full
itsp_down_reg_expires = 300
reg_forwarding_timeout = 5
num_sockets = 200
nat_outside_address = 198.51.100.7

[sipproxy.pstn_gw]
address = 127.0.0.1:5080
from_action = auth
from_routing = regd_ua

[sipproxy.itsp_proxy]
accessibility_check = off
options_transport = tcp
mode = cyclic
probe_interval = 15
probe_interval_down = 2
probe_timeout_ms = 800
failures_to_down = 3
successes_to_up = 4
failback_delay = 20

[sipproxy.itsp_proxy.3]
enable = 1
ipname = itsp.example.com
port = 5080
transport = tcp

[sipproxy.itsp_proxy.1]
enable = 1
ipname = 2001:db8::10

[sipproxy.auth.user.120]
enable = 1
username = 4901
password = "pa;ss word"

[sipproxy.auth.user.1]
enable = 1
username = 4900
password = secret

[sipproxy.ignore.1]
enable = 1
ipmin = 198.51.100.1
ipmax = 198.51.100.9

[sipproxy.reject.5]
enable = 1
ipmin = 2001:db8:bad::
ipmax = 2001:db8:bad::ffff

[sipproxy.trust]
disable_all = 1

[sipproxy.trust.2]
enable = 1
ipmin = 203.0.113.10
ipmax = 203.0.113.20

[sipproxy.trust.1]
enable = 1
ipmin = 2001:db8::1

[sipproxy.registrar]
min_expires = 30
max_expires = 600
default_expires = 300
max_bindings = 120
max_bindings_per_aor = 2

[sipproxy.alias.1]
enable = 1
alias = 441344784900
user = 4900

[sipproxy.directory.7]
enable = 1
user = 4000
contact = "sip:4000@192.0.2.50:5060;transport=tcp"
)");
  EXPECT_EQ(c.proxy.mode, ProxyMode::SipTrunk);
  EXPECT_EQ(c.rx_port, 5070);
  EXPECT_EQ(c.listen_address, "192.0.2.1");
  EXPECT_EQ(c.advertised_address, "203.0.113.1");
  EXPECT_EQ(c.proxy.realm, "office.example.com");
  EXPECT_EQ(c.data_dir, "/tmp/resproxy-data");
  EXPECT_EQ(c.proxy.record_route, RecordRoute::CallSetup);
  EXPECT_FALSE(c.proxy.server_header);
  EXPECT_EQ(c.proxy.crlf_keepalive, 30s);
  EXPECT_EQ(c.log_level, LogLevel::Debug);
  EXPECT_EQ(c.sip_log, "/tmp/sip.log");
  EXPECT_EQ(c.trace_log, "-");
  EXPECT_EQ(c.log_max_bytes, 65536u);
  EXPECT_EQ(c.log_keep, 0);
  EXPECT_EQ(c.store_queue_max, 7u);
  EXPECT_EQ(c.proxy.timers.t1, 250ms);
  EXPECT_EQ(c.proxy.timers.t2, 2000ms);
  EXPECT_EQ(c.proxy.timers.t4, 2500ms);
  EXPECT_EQ(c.proxy.timer_c, 200s);
  EXPECT_EQ(c.proxy.max_message_size, 4096u);
  EXPECT_FALSE(c.udp);
  EXPECT_TRUE(c.tcp);
  EXPECT_TRUE(c.store_sync_full);
  EXPECT_FALSE(c.proxy.trust_defaults);
  ASSERT_EQ(c.proxy.trusted.size(), 2u);  // in index order
  EXPECT_EQ(c.proxy.trusted[0], security::IpRange::parse("2001:db8::1").value());
  EXPECT_EQ(c.proxy.trusted[1], security::IpRange::parse("203.0.113.10-203.0.113.20").value());
  EXPECT_EQ(c.proxy.registrar.min_expires, 30s);
  EXPECT_EQ(c.proxy.registrar.max_expires, 600s);
  EXPECT_EQ(c.proxy.registrar.default_expires, 300s);
  EXPECT_EQ(c.proxy.registrar.max_bindings, 120u);
  EXPECT_EQ(c.proxy.registrar.max_bindings_per_aor, 2u);
  ASSERT_EQ(c.proxy.aliases.size(), 1u);
  EXPECT_EQ(c.proxy.aliases[0].alias, "441344784900");
  EXPECT_EQ(c.proxy.aliases[0].user, "4900");
  ASSERT_EQ(c.proxy.directory.size(), 1u);
  EXPECT_EQ(c.proxy.directory[0].user, "4000");
  EXPECT_EQ(c.proxy.directory[0].contact, "sip:4000@192.0.2.50:5060;transport=tcp");
  EXPECT_EQ(c.proxy.itsp.itsp_down_reg_expires, 300s);
  EXPECT_EQ(c.proxy.itsp.reg_forwarding_timeout, 5s);
  EXPECT_EQ(c.proxy.num_sockets, 200u);
  EXPECT_EQ(c.proxy.itsp.nat_outside_address, "198.51.100.7");
  ASSERT_TRUE(c.proxy.pstn_gateway.address.has_value());
  EXPECT_EQ(*c.proxy.pstn_gateway.address, (Address{"127.0.0.1", 5080}));
  EXPECT_EQ(c.proxy.pstn_gateway.from_action, GatewayFromAction::Auth);
  EXPECT_EQ(c.proxy.pstn_gateway.from_routing, GatewayFromRouting::RegisteredUa);
  const auto& m = c.proxy.itsp.monitor;
  EXPECT_FALSE(m.options_check);
  EXPECT_FALSE(c.proxy.itsp.options_transport_default);
  EXPECT_EQ(c.proxy.itsp.options_transport, Transport::Tcp);
  EXPECT_EQ(m.selection, ItspSelection::Cyclic);
  EXPECT_EQ(m.health.probe_interval, 15s);
  EXPECT_EQ(m.health.probe_interval_down, 2s);
  EXPECT_EQ(m.probe_timeout, 800ms);
  EXPECT_EQ(m.health.failures_to_down, 3);
  EXPECT_EQ(m.health.successes_to_up, 4);
  EXPECT_EQ(m.health.failback_delay, 20s);
  ASSERT_EQ(m.targets.size(), 2u);  // in index order
  EXPECT_EQ(m.targets[0].name, "2001:db8::10");
  EXPECT_EQ(m.targets[0].destination.remote, (Address{"2001:db8::10", 5060}));
  EXPECT_EQ(m.targets[0].destination.transport, Transport::Udp);
  EXPECT_TRUE(m.targets[0].enabled);
  EXPECT_EQ(m.targets[1].name, "itsp.example.com");
  EXPECT_EQ(m.targets[1].destination.remote, (Address{"itsp.example.com", 5080}));
  EXPECT_EQ(m.targets[1].destination.transport, Transport::Tcp);
  ASSERT_EQ(c.proxy.auth_users.size(), 2u);
  EXPECT_EQ(c.proxy.auth_users[0].username, "4900");
  EXPECT_EQ(c.proxy.auth_users[0].password, "secret");
  EXPECT_EQ(c.proxy.auth_users[1].username, "4901");
  EXPECT_EQ(c.proxy.auth_users[1].password, "pa;ss word");
  ASSERT_EQ(c.proxy.ignored.size(), 1u);
  EXPECT_EQ(c.proxy.ignored[0], security::IpRange::parse("198.51.100.1-198.51.100.9").value());
  ASSERT_EQ(c.proxy.rejected.size(), 1u);
  EXPECT_EQ(c.proxy.rejected[0],
            security::IpRange::parse("2001:db8:bad::-2001:db8:bad::ffff").value());
  EXPECT_TRUE(c.warnings.empty());
}

// The seed's own spelling: spaces in names, "siproxy", a space inside the brackets, trailing
// comments with and without a space before ';', upper case.
TEST(Config, AcceptsTheSeedsSpelling) {
  const auto c = parse(
      "[sipproxy]\n"
      " rx port=5062\n"
      " realm=abcdefghijwhatever.com\n"
      "[siproxy.trust]\n"
      " disable all=0\n"
      "[siproxy.trust.3]\n"
      " enable=0\n"
      " ipmin=0.0.0.0\n"
      " ipmax=0.0.0.0\n"
      "[ advanced.siproxy]\n"
      "                          ; specify time in seconds 0 to 180\n"
      " crlf keepalive=0\n"
      " record_route=always ; choice is call_setup or always\n"
      " server header=1\r\n"
      "[SIPPROXY.Registrar]\n"
      " Default Expires=120# a hash comment\n");
  EXPECT_EQ(c.rx_port, 5062);
  EXPECT_EQ(c.proxy.realm, "abcdefghijwhatever.com");
  EXPECT_EQ(c.proxy.record_route, RecordRoute::Always);
  EXPECT_TRUE(c.proxy.server_header);
  EXPECT_EQ(c.proxy.registrar.default_expires, 120s);
  EXPECT_TRUE(c.proxy.trusted.empty());  // entry 3 is disabled
  EXPECT_TRUE(c.warnings.empty());       // 0.0.0.0 is the seed's "unset"
}

TEST(Config, ValueSpellingsAreLenient) {
  struct Case {
    std::string_view name;
    std::string text;
    std::function<bool(const DaemonConfig&)> check;
  };
  const std::vector<Case> cases = {
      {"mode with spaces", std::string("[sipproxy]\nmode = sip trunk\n") + std::string(kOneItsp),
       [](const DaemonConfig& c) { return c.proxy.mode == ProxyMode::SipTrunk; }},
      {"mode seed wording",
       std::string("[sipproxy]\nmode = forward to ITSP\n") + std::string(kOneItsp),
       [](const DaemonConfig& c) { return c.proxy.mode == ProxyMode::ForwardItsp; }},
      {"mode upper case", "[sipproxy]\nmode = OFF\n",
       [](const DaemonConfig& c) { return c.proxy.mode == ProxyMode::Off; }},
      {"bool on", "[advanced.sipproxy]\nserver_header = on\n",
       [](const DaemonConfig& c) { return c.proxy.server_header; }},
      {"bool 0", "[advanced.sipproxy]\nserver_header = 0\n",
       [](const DaemonConfig& c) { return !c.proxy.server_header; }},
      {"transport udp", "[advanced.sipproxy]\ntransport = udp\n",
       [](const DaemonConfig& c) { return c.udp && !c.tcp; }},
      {"log level warning", "[advanced.sipproxy]\nlog_level = warning\n",
       [](const DaemonConfig& c) { return c.log_level == LogLevel::Warn; }},
      {"empty sip_log is off", "[advanced.sipproxy]\nsip_log =\n",
       [](const DaemonConfig& c) { return c.sip_log.empty(); }},
      {"quoted value keeps ; and #", "[advanced.sipproxy]\nsip_log = \"/tmp/a;b#c\" ; note\n",
       [](const DaemonConfig& c) { return c.sip_log == "/tmp/a;b#c"; }},
      {"ipv6 listen", "[sipproxy]\nlisten_address = ::\n",
       [](const DaemonConfig& c) { return c.listen_address == "::"; }},
      {"crlf line ends", "[sipproxy]\r\nrx_port = 5080\r\n",
       [](const DaemonConfig& c) { return c.rx_port == 5080; }},
      {"byte order mark", "\xEF\xBB\xBF[sipproxy]\nrx_port = 5081\n",
       [](const DaemonConfig& c) { return c.rx_port == 5081; }},
      {"no newline at end", "[sipproxy]\nrx_port = 5082",
       [](const DaemonConfig& c) { return c.rx_port == 5082; }},
      {"section comment", "[sipproxy] ; the main section\nrx_port = 5083\n",
       [](const DaemonConfig& c) { return c.rx_port == 5083; }},
      {"trust ipmax defaults to ipmin", "[sipproxy.trust.1]\nenable=1\nipmin=198.51.100.7\n",
       [](const DaemonConfig& c) {
         return c.proxy.trusted.size() == 1 &&
                c.proxy.trusted[0] == security::IpRange::parse("198.51.100.7").value();
       }},
      {"disabled alias is dropped", "[sipproxy.alias.4]\nenable=0\nalias=1\nuser=2\n",
       [](const DaemonConfig& c) { return c.proxy.aliases.empty(); }},
      {"index 100", "[sipproxy.trust.100]\nenable=1\nipmin=10.0.0.1\n",
       [](const DaemonConfig& c) { return c.proxy.trusted.size() == 1; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(c.check(parse(c.text)));
  }
}

TEST(Config, ErrorMessageNamesFileLineSectionParameterAndAllowedValues) {
  const auto e = error_of("[sipproxy]\nrealm = x.example\n\n[advanced.sipproxy]\n"
                          "record_route = sometimes\n");
  EXPECT_STREQ(e.what(),
               "test.ini:5: [advanced.sipproxy] record_route: \"sometimes\" is not allowed; "
               "allowed: always, call_setup");
  EXPECT_EQ(e.file, "test.ini");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.section, "advanced.sipproxy");
  EXPECT_EQ(e.parameter, "record_route");
  EXPECT_EQ(e.allowed, "always, call_setup");
}

TEST(Config, RefusesBadFiles) {
  struct Case {
    std::string_view name, text;
    int line;
    std::string_view section, parameter, problem_has, allowed_has;
  };
  const auto cases = std::to_array<Case>({
      {"unknown section", "[sipproxy]\n[sipproxie]\n", 2, "sipproxie", "", "unknown section",
       "advanced.sipproxy"},
      {"unknown parameter", "[sipproxy]\nrx_prot = 5060\n", 2, "sipproxy", "rx_prot",
       "unknown parameter", "rx_port"},
      {"parameter before section", "rx_port = 5060\n", 1, "", "rx_port", "before any",
       "sipproxy"},
      {"duplicate parameter", "[sipproxy]\nrx_port=1\nrx port=2\n", 3, "sipproxy", "rx_port",
       "repeated (first on line 2)", ""},
      {"duplicate section", "[sipproxy]\n[advanced.sipproxy]\n[SIPPROXY]\n", 3, "sipproxy", "",
       "repeated (first on line 1)", ""},
      {"duplicate indexed section", "[sipproxy.trust.1]\n[siproxy.trust.1]\n", 2,
       "sipproxy.trust.1", "", "repeated", ""},
      {"index 0", "[sipproxy.trust.0]\n", 1, "sipproxy.trust.0", "", "out of range", "1..100"},
      {"index 101", "[sipproxy.alias.101]\n", 1, "sipproxy.alias.101", "", "out of range",
       "1..100"},
      {"index on plain section", "[sipproxy.registrar.1]\n", 1, "sipproxy.registrar.1", "",
       "unknown section", "sipproxy.registrar"},
      {"missing bracket", "[sipproxy\n", 1, "", "", "closing ']'", ""},
      {"no equals", "[sipproxy]\nsip trunk or off\n", 2, "sipproxy", "",
       "neither a [section] nor", "rx_port"},
      {"unclosed quote", "[advanced.sipproxy]\nsip_log = \"/tmp/x\n", 2, "advanced.sipproxy",
       "sip_log", "no closing", ""},
      {"mode", "[sipproxy]\nmode = pbx\n", 2, "sipproxy", "mode", "\"pbx\" is not allowed",
       "standalone, forward_itsp, sip_trunk, off"},
      {"port zero", "[sipproxy]\nrx_port = 0\n", 2, "sipproxy", "rx_port", "out of range",
       "1..65535"},
      {"port too big", "[sipproxy]\nrx_port = 65536\n", 2, "sipproxy", "rx_port",
       "out of range", "1..65535"},
      {"port not a number", "[sipproxy]\nrx_port = 50x0\n", 2, "sipproxy", "rx_port",
       "not a whole number", "1..65535"},
      {"port negative", "[sipproxy]\nrx_port = -1\n", 2, "sipproxy", "rx_port", "out of range",
       "1..65535"},
      {"port empty", "[sipproxy]\nrx_port =\n", 2, "sipproxy", "rx_port", "not a whole number",
       "1..65535"},
      {"port huge", "[sipproxy]\nrx_port = 99999999999999999999999\n", 2, "sipproxy", "rx_port",
       "out of range", "1..65535"},
      {"listen address", "[sipproxy]\nlisten_address = 10.0.0\n", 2, "sipproxy",
       "listen_address", "not an IP address", "IPv4 or IPv6"},
      {"listen hostname", "[sipproxy]\nlisten_address = localhost\n", 2, "sipproxy",
       "listen_address", "not an IP address", ""},
      {"realm with space", "[sipproxy]\nrealm = my office\n", 2, "sipproxy", "realm",
       "not a domain name", "domain"},
      {"realm empty", "[sipproxy]\nrealm =\n", 2, "sipproxy", "realm", "empty", ""},
      {"data_dir empty", "[sipproxy]\ndata_dir = ; nothing\n", 2, "sipproxy", "data_dir",
       "empty", ""},
      {"server_header", "[advanced.sipproxy]\nserver_header = maybe\n", 2, "advanced.sipproxy",
       "server_header", "not allowed", "0, 1, on, off"},
      {"crlf_keepalive", "[advanced.sipproxy]\ncrlf_keepalive = 181\n", 2, "advanced.sipproxy",
       "crlf_keepalive", "out of range", "0..180 s"},
      {"log_level", "[advanced.sipproxy]\nlog_level = verbose\n", 2, "advanced.sipproxy",
       "log_level", "not allowed", "error, warn, info, debug"},
      {"transport", "[advanced.sipproxy]\ntransport = tls\n", 2, "advanced.sipproxy",
       "transport", "not allowed", "udp, tcp, both"},
      {"t1 too small", "[advanced.sipproxy]\nt1_ms = 5\n", 2, "advanced.sipproxy", "t1_ms",
       "out of range", "10..10000 ms"},
      {"t2 below t1", "[advanced.sipproxy]\nt1_ms = 3000\nt2_ms = 2000\n", 3,
       "advanced.sipproxy", "t2_ms", "below t1_ms (3000)", "t1_ms"},
      {"t1 above default t2", "[advanced.sipproxy]\nt1_ms = 5000\n", 2, "advanced.sipproxy",
       "t1_ms", "above t2_ms (4000)", "t2_ms"},
      {"timer_c", "[advanced.sipproxy]\ntimer_c = 0\n", 2, "advanced.sipproxy", "timer_c",
       "out of range", "1..3600 s"},
      {"answer_timeout_ms too small", "[sipproxy.itsp_proxy]\nanswer_timeout_ms = 50\n", 2,
       "sipproxy.itsp_proxy", "answer_timeout_ms", "below 200 ms", "0..32000"},
      {"failover code not 5xx", "[sipproxy.itsp_proxy]\nfailover_codes = 503,486\n", 2,
       "sipproxy.itsp_proxy", "failover_codes", "'486' is not a 5xx status code", "5xx"},
      {"phone_reg_expires", "[advanced.sipproxy]\nphone_reg_expires = 10\n", 2,
       "advanced.sipproxy", "phone_reg_expires", "below 30 s", "0..86400"},
      {"down_other_methods", "[sipproxy.itsp_proxy]\ndown_other_methods = drop\n", 2,
       "sipproxy.itsp_proxy", "down_other_methods", "not allowed", "local, reject"},
      {"emergency number", "[sipproxy.pstn_gw]\nemergency_numbers = 112,abc\n", 2,
       "sipproxy.pstn_gw", "emergency_numbers", "'abc' is not a number", "digits"},
      {"auth method", "[sipproxy.auth]\nmethods = REGISTER,FOO\n", 2, "sipproxy.auth",
       "methods", "'FOO' is not one of", "SIP methods"},
      {"nonce_lifetime", "[sipproxy.auth]\nnonce_lifetime = 5\n", 2, "sipproxy.auth",
       "nonce_lifetime", "out of range", "10..86400 s"},
      {"max_message_size", "[advanced.sipproxy]\nmax_message_size = 100\n", 2,
       "advanced.sipproxy", "max_message_size", "out of range", "1024..1048576"},
      {"store_synchronous", "[advanced.sipproxy]\nstore_synchronous = off\n", 2,
       "advanced.sipproxy", "store_synchronous", "not allowed", "normal, full"},
      {"disable_all", "[sipproxy.trust]\ndisable_all = 2\n", 2, "sipproxy.trust",
       "disable_all", "not allowed", "0, 1"},
      {"trust bad ipmin", "[sipproxy.trust.1]\nipmin = 10.0.0.256\n", 2, "sipproxy.trust.1",
       "ipmin", "not an IP address", ""},
      {"trust ipmin missing", "[sipproxy.trust.4]\nenable = 1\n", 1, "sipproxy.trust.4",
       "ipmin", "missing", "address"},
      {"trust min above max", "[sipproxy.trust.2]\nenable=1\nipmin=10.0.0.9\nipmax=10.0.0.1\n",
       4, "sipproxy.trust.2", "ipmax", "below ipmin (10.0.0.9)", "same family"},
      {"trust mixed family", "[sipproxy.trust.2]\nenable=1\nipmin=10.0.0.1\nipmax=::1\n", 4,
       "sipproxy.trust.2", "ipmax", "same address family", ""},
      {"trust unknown parameter", "[sipproxy.trust.2]\nrange = 10.0.0.0/8\n", 2,
       "sipproxy.trust.2", "range", "unknown parameter", "enable, ipmin, ipmax"},
      {"min above max", "[sipproxy.registrar]\nmin_expires=100\nmax_expires=90\n", 3,
       "sipproxy.registrar", "max_expires", "below min_expires (100)", ""},
      {"min above default max", "[sipproxy.registrar]\nmin_expires=8000\n", 2,
       "sipproxy.registrar", "min_expires", "above max_expires (7200)", ""},
      {"default below min", "[sipproxy.registrar]\nmin_expires=60\ndefault_expires=30\n", 3,
       "sipproxy.registrar", "default_expires", "below min_expires (60)",
       "min_expires..max_expires (60..7200 s)"},
      {"default above max",
       "[sipproxy.registrar]\ndefault_expires=7000\nmax_expires=6000\n", 2,
       "sipproxy.registrar", "default_expires", "above max_expires (6000)", "60..6000"},
      {"max below default default", "[sipproxy.registrar]\nmax_expires=1800\n", 2,
       "sipproxy.registrar", "max_expires", "below default_expires (3600)", "60..1800"},
      {"max_bindings zero", "[sipproxy.registrar]\nmax_bindings = 0\n", 2, "sipproxy.registrar",
       "max_bindings", "out of range", "1..10000000"},
      {"alias user missing", "[sipproxy.alias.1]\nenable=1\nalias=441344784900\n", 1,
       "sipproxy.alias.1", "user", "missing", ""},
      {"alias bad user", "[sipproxy.alias.1]\nuser=49 00\n", 2, "sipproxy.alias.1", "user",
       "not a user name", ""},
      {"alias repeated",
       "[sipproxy.alias.1]\nenable=1\nalias=100\nuser=1\n"
       "[sipproxy.alias.2]\nenable=1\nalias=100\nuser=2\n",
       7, "sipproxy.alias.2", "alias", "already an alias in [sipproxy.alias.1]", ""},
      {"directory bad contact", "[sipproxy.directory.1]\ncontact = tel:+441344784900\n", 2,
       "sipproxy.directory.1", "contact", "not a SIP URI", "SIP URI"},
      {"directory contact cut by comment",
       "[sipproxy.directory.1]\nenable=1\nuser=4000\ncontact = sip:;transport=tcp\n", 4,
       "sipproxy.directory.1", "contact", "not a SIP URI", "quoted"},
      {"directory contact missing", "[sipproxy.directory.3]\nenable=1\nuser=4000\n", 1,
       "sipproxy.directory.3", "contact", "missing", ""},
      {"directory user repeated",
       "[sipproxy.directory.1]\nenable=1\nuser=4000\ncontact=sip:4000@192.0.2.1\n"
       "[sipproxy.directory.2]\nenable=1\nuser=4000\ncontact=sip:4000@192.0.2.2\n",
       7, "sipproxy.directory.2", "user", "already listed", ""},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto e = error_of(c.text);
    EXPECT_EQ(e.file, "test.ini");
    EXPECT_EQ(e.line, c.line);
    EXPECT_EQ(e.section, c.section);
    EXPECT_EQ(e.parameter, c.parameter);
    EXPECT_NE(e.problem.find(c.problem_has), std::string::npos) << e.what();
    EXPECT_NE(e.allowed.find(c.allowed_has), std::string::npos) << e.what();
    // what() carries the same parts in the documented order.
    const std::string prefix = "test.ini:" + std::to_string(c.line) + ": ";
    EXPECT_TRUE(std::string(e.what()).starts_with(prefix)) << e.what();
  }
}

TEST(Config, UnknownSectionListsTheAllowedSections) {
  const auto e = error_of("[sipproxy.itsp]\n");
  EXPECT_EQ(std::string(e.what()),
            "test.ini:1: [sipproxy.itsp]: unknown section; allowed: sipproxy, "
            "advanced.sipproxy, sipproxy.pstn_gw, sipproxy.itsp_proxy, sipproxy.auth, sipproxy.itsp_proxy.N, "
            "sipproxy.lan_hosts.N, sipproxy.auth.user.N, sipproxy.ignore.N, sipproxy.reject.N, sipproxy.trust, "
            "sipproxy.trust.N, sipproxy.dos, sipproxy.registrar, sipproxy.alias.N, sipproxy.directory.N, "
            "gateway, gateway.group.N, gateway.dialplan.N, sim_hardware.exchange, sim_hardware.e1.N, "
            "sim_hardware.fxo.N, sim_hardware.numbers.N (N = 1..100; sipproxy.auth.user.N: 1..120)");
}

TEST(Config, DosSectionSetsTheFloodGuardAndRefusesValuesOutOfRange) {
  const auto c = parse(
      "[sipproxy.dos]\nuntrusted_rate = 5\nuntrusted_burst = 10\nban_time = 0\n"
      "untrusted_to_itsp_rate = 0\nmax_transactions = 2000\n[sipproxy.trust]\nitsp_requires_trust = 1\n");
  EXPECT_EQ(c.proxy.flood.untrusted_rate, 5.0);
  EXPECT_EQ(c.proxy.flood.untrusted_burst, 10.0);
  EXPECT_EQ(c.proxy.flood.ban_time, std::chrono::seconds(0));
  EXPECT_EQ(c.proxy.untrusted_to_itsp_rate, 0.0);
  EXPECT_EQ(c.proxy.max_transactions, 2000u);
  EXPECT_TRUE(c.proxy.itsp_requires_trust);
  const auto e = error_of("[sipproxy.dos]\nuntrusted_rate = 0\n");
  EXPECT_EQ(std::string(e.what()),
            "test.ini:2: [sipproxy.dos] untrusted_rate: \"0\" is out of range; allowed: 1..100000 messages/s");
}

TEST(Config, AuthSectionSetsDigestPolicyAndLockouts) {
  const auto defaults = parse("");
  EXPECT_TRUE(defaults.proxy.auth.require_qop);
  EXPECT_TRUE(defaults.proxy.auth.bind_from_user);
  EXPECT_TRUE(defaults.proxy.auth.guard.enabled);
  EXPECT_EQ(defaults.proxy.auth.algorithms,
            (std::vector<security::DigestAlgorithm>{security::DigestAlgorithm::Sha256,
                                                    security::DigestAlgorithm::Md5}));
  const auto c = parse(
      "[sipproxy.auth]\nalgorithms = SHA-256\nrequire_qop = 0\nbind_from_user = off\n"
      "max_failures = 3\nfailure_window = 60\nlockout_time = 30\nmax_lockout_time = 600\n"
      "max_source_failures = 0\nlockout = 1\n");
  EXPECT_EQ(c.proxy.auth.algorithms,
            std::vector<security::DigestAlgorithm>{security::DigestAlgorithm::Sha256});
  EXPECT_FALSE(c.proxy.auth.require_qop);
  EXPECT_FALSE(c.proxy.auth.bind_from_user);
  EXPECT_EQ(c.proxy.auth.guard.max_failures, 3u);
  EXPECT_EQ(c.proxy.auth.guard.window, std::chrono::seconds(60));
  EXPECT_EQ(c.proxy.auth.guard.lockout, std::chrono::seconds(30));
  EXPECT_EQ(c.proxy.auth.guard.max_lockout, std::chrono::seconds(600));
  EXPECT_EQ(c.proxy.auth.guard.max_source_failures, 0u);
  EXPECT_EQ(std::string(error_of("[sipproxy.auth]\nalgorithms = SHA-512-256\n").what()),
            "test.ini:2: [sipproxy.auth] algorithms: 'SHA-512-256' is not a digest algorithm; "
            "allowed: a comma-separated list of SHA-256, MD5, SHA-256-sess, MD5-sess");
  EXPECT_EQ(std::string(error_of("[sipproxy.auth]\nalgorithms = MD5, md5\n").what()),
            "test.ini:2: [sipproxy.auth] algorithms: MD5 is listed twice; "
            "allowed: a comma-separated list of SHA-256, MD5, SHA-256-sess, MD5-sess");
  EXPECT_EQ(std::string(error_of("[sipproxy.auth]\nlockout_time = 600\nmax_lockout_time = 60\n").what()),
            "test.ini:3: [sipproxy.auth] max_lockout_time: 60 is below lockout_time (600); "
            "allowed: lockout_time..604800 s (600..604800 s)");
}

TEST(Config, PstnGatewaySectionSetsTheTollFraudPolicy) {
  const auto defaults = parse("");
  EXPECT_EQ(defaults.proxy.gateway_policy.international_prefixes,
            (std::vector<std::string>{"00", "+"}));
  EXPECT_TRUE(defaults.proxy.gateway_policy.premium_prefixes.empty());
  EXPECT_TRUE(defaults.proxy.gateway_policy.international_from.contains(security::Sender::Authenticated));
  EXPECT_FALSE(defaults.proxy.gateway_policy.premium_from.contains(security::Sender::Authenticated));
  const auto c = parse(
      "[sipproxy.pstn_gw]\npremium_prefixes = 09, 0871, 118\ninternational_from = trusted\n"
      "premium_from = none\nmax_calls_per_user = 2\nmax_calls_per_source = 0\n"
      "calls_per_minute_per_user = 5\ncalls_per_minute_per_source = 20\n");
  const auto& p = c.proxy.gateway_policy;
  EXPECT_EQ(p.premium_prefixes, (std::vector<std::string>{"09", "0871", "118"}));
  EXPECT_TRUE(p.international_from.contains(security::Sender::Trusted));
  EXPECT_FALSE(p.international_from.contains(security::Sender::Authenticated));
  EXPECT_FALSE(p.premium_from.contains(security::Sender::Trusted));
  EXPECT_EQ(p.max_calls_per_user, 2u);
  EXPECT_EQ(p.max_calls_per_source, 0u);
  EXPECT_EQ(p.calls_per_minute_per_user, 5u);
  EXPECT_EQ(p.calls_per_minute_per_source, 20u);
  EXPECT_EQ(std::string(error_of("[sipproxy.pstn_gw]\npremium_from = everyone\n").what()),
            "test.ini:2: [sipproxy.pstn_gw] premium_from: 'everyone' is not trusted or "
            "authenticated; allowed: trusted, authenticated (a list), or none");
  EXPECT_EQ(std::string(error_of("[sipproxy.pstn_gw]\npremium_prefixes = 09x\n").what()),
            "test.ini:2: [sipproxy.pstn_gw] premium_prefixes: '09x' is not a number prefix; "
            "allowed: a comma-separated list of prefixes (digits, +, *, #), or empty");
}

TEST(Config, TrustSectionNamesTheLanAndWanInterfaces) {
  const auto c = parse("[sipproxy.trust]\nlan_interfaces = eth1, br-lan\nwan_interfaces = ppp0\n");
  EXPECT_EQ(c.proxy.interfaces.lan_names, (std::vector<std::string>{"eth1", "br-lan"}));
  EXPECT_EQ(c.proxy.interfaces.wan_names, std::vector<std::string>{"ppp0"});
  EXPECT_TRUE(parse("").proxy.interfaces.lan_names.empty());
  EXPECT_EQ(std::string(error_of("[sipproxy.trust]\nlan_interfaces = eth 1\n").what()),
            "test.ini:2: [sipproxy.trust] lan_interfaces: 'eth 1' is not an interface name; "
            "allowed: a comma-separated list of interface names (eth1, br-lan), or empty");
}

TEST(Config, TlsKeysSetTheListenerTheItspsNameAndTheHandshakeBudget) {
  const auto d = parse("");
  EXPECT_FALSE(d.tls.listen);
  EXPECT_EQ(d.tls.port, 5061);
  EXPECT_TRUE(d.tls.verify_server);
  EXPECT_EQ(d.proxy.tls_handshakes_per_minute, 60u);
  const auto c = parse(
      "[advanced.sipproxy]\ntls = 1\ntls_port = 5071\ntls_certificate = /etc/resproxy/cert.pem\n"
      "tls_private_key = /etc/resproxy/key.pem\ntls_ca_file = /etc/resproxy/ca.pem\n"
      "tls_verify_server = 0\ntls_client_certificate = /c.pem\ntls_client_private_key = /k.pem\n"
      "tls_verify_client = 1\ntls_min_version = 1.3\ntls_handshakes_per_minute = 120\n"
      "[sipproxy]\nmode = forward_itsp\n"
      "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 192.0.2.10\ntransport = tls\n"
      "tls_server_name = sip.itsp.example\n"
      "[sipproxy.itsp_proxy.2]\nenable = 1\nipname = itsp.example\ntransport = tls\nport = 5062\n");
  EXPECT_TRUE(c.tls.listen);
  EXPECT_EQ(c.tls.port, 5071);
  EXPECT_EQ(c.proxy.tls_port, 5071);
  EXPECT_EQ(c.tls.certificate, "/etc/resproxy/cert.pem");
  EXPECT_EQ(c.tls.private_key, "/etc/resproxy/key.pem");
  EXPECT_EQ(c.tls.ca_file, "/etc/resproxy/ca.pem");
  EXPECT_FALSE(c.tls.verify_server);
  EXPECT_EQ(c.tls.client_certificate, "/c.pem");
  EXPECT_EQ(c.tls.client_private_key, "/k.pem");
  EXPECT_TRUE(c.tls.verify_client);
  EXPECT_TRUE(c.tls.tls13_only);
  EXPECT_EQ(c.proxy.tls_handshakes_per_minute, 120u);
  const auto& targets = c.proxy.itsp.monitor.targets;
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].destination.transport, Transport::Tls);
  EXPECT_EQ(targets[0].destination.remote, (Address{"192.0.2.10", 5061}));  // TLS: 5061
  EXPECT_EQ(targets[0].destination.server_name, "sip.itsp.example");
  EXPECT_EQ(targets[1].destination.remote, (Address{"itsp.example", 5062}));
  EXPECT_EQ(targets[1].destination.server_name, "itsp.example");  // the ipname by default
}

TEST(Config, TlsRefusesAListenerWithoutCertificateOrOnTheTcpPort) {
  EXPECT_EQ(std::string(error_of("[advanced.sipproxy]\ntls = 1\ntls_private_key = /k.pem\n").what()),
            "test.ini:2: [advanced.sipproxy] tls: 1 needs tls_certificate; allowed: a PEM file "
            "path in tls_certificate");
  EXPECT_EQ(std::string(error_of("[sipproxy]\nrx_port = 5070\n[advanced.sipproxy]\ntls = 1\n"
                                 "tls_certificate = /c.pem\ntls_private_key = /k.pem\n"
                                 "tls_port = 5070\n")
                            .what()),
            "test.ini:7: [advanced.sipproxy] tls_port: 5070 is rx_port, which TCP listens on; "
            "allowed: a port other than rx_port (5061 by default)");
  EXPECT_NE(std::string(error_of("[advanced.sipproxy]\ntls_min_version = 1.1\n").what())
                .find("allowed: 1.2, 1.3"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("[sipproxy.itsp_proxy.1]\ntransport = sctp\n").what())
                .find("allowed: udp, tcp, tls"),
            std::string::npos);
}

TEST(Config, WarnsAboutEntriesThatAreNotEnabled) {
  const auto c = parse("[sipproxy.trust.1]\nipmin = 203.0.113.1\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("enable=0"), std::string::npos);
  EXPECT_TRUE(c.proxy.trusted.empty());
}

TEST(Config, WarnsWhenNothingIsTrusted) {
  const auto c = parse("[sipproxy.trust]\ndisable_all = 1\n");
  EXPECT_FALSE(c.proxy.trust_defaults);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("no source is trusted"), std::string::npos);
}

// The seed's "Resilience Proxy Command Line Interface Parameters" list as printed, with its
// placeholders filled in: `.x` becomes an index, the broken comment lines are re-joined, and
// [sipproxy] gets the mode its comment describes. Every value is the seed's own.
TEST(Config, AcceptsTheSeedsParameterList) {
  const auto c = parse(
      "[sipproxy]\n"
      " rx port=5060\n"
      " realm=abcdefghijwhatever.com\n"
      " mode=standalone proxy     ; can be standalone proxy, forward to ITSP, sip trunk or off\n"
      "[sipproxy.pstn gw]\n"
      " from action=trust\n"
      "                          ; can be trust, auth, reject, ignore\n"
      " from_routing=itsp\n"
      "                         ; can be itsp, regd ua\n"
      "[sipproxy.itsp proxy]\n"
      " accessibility check=options; can be off or options\n"
      " options tansport=udp\n"
      "                           ; can be udp, tcp, default\n"
      " mode=normal\n"
      "                           ; can be normal, cyclic, dnssrv\n"
      "[sipproxy.itsp proxy.1]\n"
      " enable=0\n"
      " ipname=0.0.0.0\n"
      " port=5060\n"
      "[sipproxy.auth.user.1]\n"
      " enable=0\n"
      " username=user\n"
      " password=pass\n"
      "[siproxy.ignore.1]\n"
      " enable=0\n"
      " ipmin=0.0.0.0\n"
      " ipmax=0.0.0.0\n"
      "[siproxy.reject.1]\n"
      " enable=0\n"
      " ipmin=0.0.0.0\n"
      " ipmax=0.0.0.0\n"
      "[siproxy.trust]\n"
      " disable all=0\n"
      "[siproxy.trust.1]\n"
      " enable=0\n"
      " ipmin=0.0.0.0\n"
      " ipmax=0.0.0.0\n"
      "[ advanced.siproxy]\n"
      "                          ; specify time in seconds 0 to 180\n"
      " crlf keepalive=0\n"
      " itsp_down_reg_expires=60 ; specify time in seconds 30 to 60,000\n"
      " reg forwarding timeout=10; specify time in seconds 2 to 60\n"
      " num sockets=120\n"
      "                           ; specify number of sockets between 60 and 240\n"
      " record_route=always ; choice is call_setup or always\n"
      " server header=1\n"
      "                          ; 0 or 1\n");
  EXPECT_EQ(c.proxy.mode, ProxyMode::Standalone);
  EXPECT_EQ(c.proxy.pstn_gateway.from_action, GatewayFromAction::Trust);
  EXPECT_EQ(c.proxy.pstn_gateway.from_routing, GatewayFromRouting::Itsp);
  EXPECT_TRUE(c.proxy.itsp.monitor.options_check);
  EXPECT_FALSE(c.proxy.itsp.options_transport_default);
  EXPECT_EQ(c.proxy.itsp.options_transport, Transport::Udp);
  EXPECT_EQ(c.proxy.itsp.monitor.selection, ItspSelection::Normal);
  EXPECT_TRUE(c.proxy.itsp.monitor.targets.empty());  // all entries disabled
  EXPECT_TRUE(c.proxy.auth_users.empty());
  EXPECT_TRUE(c.proxy.ignored.empty());
  EXPECT_TRUE(c.proxy.rejected.empty());
  EXPECT_TRUE(c.proxy.trusted.empty());
  EXPECT_EQ(c.proxy.itsp.itsp_down_reg_expires, 60s);
  EXPECT_EQ(c.proxy.itsp.reg_forwarding_timeout, 10s);
  EXPECT_EQ(c.proxy.num_sockets, 120u);
  EXPECT_TRUE(c.warnings.empty());  // 0.0.0.0 is the seed's "unset"
}

// Every new parameter at the ends of its range and with each of its values.
TEST(Config, ItspGatewayAndTableParametersAcceptTheirRange) {
  struct Case {
    std::string text;
    std::function<bool(const DaemonConfig&)> check;
  };
  const auto adv = [](std::string p) { return "[advanced.sipproxy]\n" + p + "\n"; };
  const auto gw = [](std::string p) { return "[sipproxy.pstn_gw]\n" + p + "\n"; };
  const auto itsp = [](std::string p) { return "[sipproxy.itsp_proxy]\n" + p + "\n"; };
  const auto target = [](std::string p) {
    return "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 192.0.2.10\n" + p + "\n";
  };
  const auto ipname = [](std::string p) {
    return "[sipproxy.itsp_proxy.7]\nenable = 1\nipname = " + p + "\n";
  };
  const auto first = [](const DaemonConfig& c) -> const routing::ItspTarget& {
    return c.proxy.itsp.monitor.targets.at(0);
  };
  const auto health = [](const DaemonConfig& c) { return c.proxy.itsp.monitor.health; };
  const auto gw_address = [](const DaemonConfig& c) {
    return c.proxy.pstn_gateway.address.value_or(Address{"none", 0});
  };
  const std::vector<Case> cases = {
      {adv("itsp_down_reg_expires = 30"),
       [](const DaemonConfig& c) { return c.proxy.itsp.itsp_down_reg_expires == 30s; }},
      {adv("itsp down reg expires = 60000"),
       [](const DaemonConfig& c) { return c.proxy.itsp.itsp_down_reg_expires == 60000s; }},
      {adv("reg_forwarding_timeout = 2"),
       [](const DaemonConfig& c) { return c.proxy.itsp.reg_forwarding_timeout == 2s; }},
      {adv("reg_forwarding_timeout = 60"),
       [](const DaemonConfig& c) { return c.proxy.itsp.reg_forwarding_timeout == 60s; }},
      {adv("num_sockets = 60"), [](const DaemonConfig& c) { return c.proxy.num_sockets == 60; }},
      {adv("num_sockets = 240"), [](const DaemonConfig& c) { return c.proxy.num_sockets == 240; }},
      {adv("nat_outside_address = 203.0.113.5"),
       [](const DaemonConfig& c) { return c.proxy.itsp.nat_outside_address == "203.0.113.5"; }},
      {adv("nat_outside_address = 2001:db8::5"),
       [](const DaemonConfig& c) { return c.proxy.itsp.nat_outside_address == "2001:db8::5"; }},
      {adv("nat_outside_address ="),
       [](const DaemonConfig& c) { return c.proxy.itsp.nat_outside_address.empty(); }},
      {gw("address = 192.0.2.1"),
       [=](const DaemonConfig& c) { return gw_address(c) == Address{"192.0.2.1", 5060}; }},
      {gw("address = 192.0.2.1:5080"),
       [=](const DaemonConfig& c) { return gw_address(c) == Address{"192.0.2.1", 5080}; }},
      {gw("address = 2001:db8::1"),
       [=](const DaemonConfig& c) { return gw_address(c) == Address{"2001:db8::1", 5060}; }},
      {gw("address = [2001:db8::1]"),
       [=](const DaemonConfig& c) { return gw_address(c) == Address{"2001:db8::1", 5060}; }},
      {gw("address = [::1]:65535"),
       [=](const DaemonConfig& c) { return gw_address(c) == Address{"::1", 65535}; }},
      {gw("address ="),
       [](const DaemonConfig& c) { return !c.proxy.pstn_gateway.address.has_value(); }},
      {gw("from_action = trust"),
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_action == GatewayFromAction::Trust;
       }},
      {gw("from_action = auth"),
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_action == GatewayFromAction::Auth;
       }},
      {gw("from action = REJECT"),
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_action == GatewayFromAction::Reject;
       }},
      {gw("from_action = ignore"),
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_action == GatewayFromAction::Ignore;
       }},
      {gw("from_routing = itsp"),
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_routing == GatewayFromRouting::Itsp;
       }},
      {gw("from_routing = regd ua"),  // the seed's spelling
       [](const DaemonConfig& c) {
         return c.proxy.pstn_gateway.from_routing == GatewayFromRouting::RegisteredUa;
       }},
      {itsp("accessibility_check = options"),
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.options_check; }},
      {itsp("accessibility check = off"),
       [](const DaemonConfig& c) { return !c.proxy.itsp.monitor.options_check; }},
      {itsp("options_transport = udp"),
       [](const DaemonConfig& c) {
         return !c.proxy.itsp.options_transport_default &&
                c.proxy.itsp.options_transport == Transport::Udp;
       }},
      {itsp("options_transport = tcp"),
       [](const DaemonConfig& c) {
         return !c.proxy.itsp.options_transport_default &&
                c.proxy.itsp.options_transport == Transport::Tcp;
       }},
      {itsp("options_transport = default"),
       [](const DaemonConfig& c) { return c.proxy.itsp.options_transport_default; }},
      {itsp("options tansport = tcp"),  // the seed's typo
       [](const DaemonConfig& c) {
         return !c.proxy.itsp.options_transport_default &&
                c.proxy.itsp.options_transport == Transport::Tcp;
       }},
      {itsp("mode = normal"),
       [](const DaemonConfig& c) {
         return c.proxy.itsp.monitor.selection == ItspSelection::Normal;
       }},
      {itsp("mode = cyclic"),
       [](const DaemonConfig& c) {
         return c.proxy.itsp.monitor.selection == ItspSelection::Cyclic;
       }},
      {itsp("mode = dnssrv"),
       [](const DaemonConfig& c) {
         return c.proxy.itsp.monitor.selection == ItspSelection::DnsSrv;
       }},
      {itsp("probe_interval = 5"),
       [=](const DaemonConfig& c) { return health(c).probe_interval == 5s; }},
      {itsp("probe_interval = 3600"),
       [=](const DaemonConfig& c) { return health(c).probe_interval == 3600s; }},
      {itsp("probe_interval_down = 1"),
       [=](const DaemonConfig& c) { return health(c).probe_interval_down == 1s; }},
      {itsp("probe_interval_down = 3600"),
       [=](const DaemonConfig& c) { return health(c).probe_interval_down == 3600s; }},
      {itsp("probe_timeout_ms = 100"),
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.probe_timeout == 100ms; }},
      {itsp("probe_timeout_ms = 32000"),
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.probe_timeout == 32000ms; }},
      {itsp("failures_to_down = 1"),
       [=](const DaemonConfig& c) { return health(c).failures_to_down == 1; }},
      {itsp("failures_to_down = 10"),
       [=](const DaemonConfig& c) { return health(c).failures_to_down == 10; }},
      {itsp("successes_to_up = 1"),
       [=](const DaemonConfig& c) { return health(c).successes_to_up == 1; }},
      {itsp("successes_to_up = 10"),
       [=](const DaemonConfig& c) { return health(c).successes_to_up == 10; }},
      {itsp("failback_delay = 0"),
       [=](const DaemonConfig& c) { return health(c).failback_delay == 0s; }},
      {itsp("failback_delay = 3600"),
       [=](const DaemonConfig& c) { return health(c).failback_delay == 3600s; }},
      {itsp("probe_interval_ms = 500"),
       [=](const DaemonConfig& c) { return health(c).probe_interval == 500ms; }},
      {itsp("probe_interval_down_ms = 0"),
       [=](const DaemonConfig& c) { return health(c).probe_interval_down == 0ms; }},
      {itsp("probe_retransmit_ms = 150"),
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.probe_retransmit == 150ms; }},
      {itsp("probe_retransmit_ms = 0"),
       [](const DaemonConfig& c) { return !c.proxy.itsp.monitor.probe_retransmit.has_value(); }},
      {itsp("answer_timeout_ms = 1000"),
       [](const DaemonConfig& c) { return c.proxy.itsp.answer_timeout == 1000ms; }},
      {itsp("answer_timeout_ms = 0"),
       [](const DaemonConfig& c) { return c.proxy.itsp.answer_timeout == 0ms; }},
      {itsp("failover_codes = 503, 500"),
       [](const DaemonConfig& c) { return c.proxy.itsp.failover_codes == std::vector<int>{503, 500}; }},
      {itsp("failover_codes ="),
       [](const DaemonConfig& c) { return c.proxy.itsp.failover_codes.empty(); }},
      {"[advanced.sipproxy]\nphone_reg_expires = 60\n",
       [](const DaemonConfig& c) { return c.proxy.itsp.phone_reg_expires == 60s; }},
      {itsp("down_other_methods = reject"),
       [](const DaemonConfig& c) { return !c.proxy.itsp.down_other_methods_local; }},
      {gw("emergency_numbers = 112,999, +44999"),
       [](const DaemonConfig& c) {
         return c.proxy.emergency_numbers == std::vector<std::string>{"112", "999", "+44999"};
       }},
      {gw("emergency_numbers ="),
       [](const DaemonConfig& c) { return c.proxy.emergency_numbers.empty(); }},
      {"[sipproxy.auth]\nmethods = register, INVITE\nnonce_lifetime = 60\n",
       [](const DaemonConfig& c) {
         return c.proxy.auth.methods == std::vector<std::string>{"REGISTER", "INVITE"} &&
                c.proxy.auth.nonce_lifetime == 60s;
       }},
      {target(""),
       [=](const DaemonConfig& c) {
         return first(c).name == "192.0.2.10" &&
                first(c).destination.remote == Address{"192.0.2.10", 5060} &&
                first(c).destination.transport == Transport::Udp && first(c).enabled;
       }},
      {target("port = 1"),
       [=](const DaemonConfig& c) { return first(c).destination.remote.port == 1; }},
      {target("port = 65535"),
       [=](const DaemonConfig& c) { return first(c).destination.remote.port == 65535; }},
      {target("transport = udp"),
       [=](const DaemonConfig& c) { return first(c).destination.transport == Transport::Udp; }},
      {target("transport = TCP"),
       [=](const DaemonConfig& c) { return first(c).destination.transport == Transport::Tcp; }},
      {ipname("sip.itsp-provider.example.net"),
       [=](const DaemonConfig& c) {
         return first(c).name == "sip.itsp-provider.example.net" &&
                first(c).destination.remote.ip == "sip.itsp-provider.example.net";
       }},
      {ipname("localhost"),
       [=](const DaemonConfig& c) { return first(c).destination.remote.ip == "localhost"; }},
      {ipname("2001:db8::10"),
       [=](const DaemonConfig& c) { return first(c).destination.remote.ip == "2001:db8::10"; }},
      {ipname("[2001:db8::10]"),
       [=](const DaemonConfig& c) {
         return first(c).name == "[2001:db8::10]" &&
                first(c).destination.remote.ip == "2001:db8::10";
       }},
      {"[sipproxy.itsp_proxy.100]\nenable = 1\nipname = 192.0.2.10\n",
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.targets.size() == 1; }},
      {"[sipproxy.itsp_proxy.1]\nenable = 0\nipname = 192.0.2.10\n",
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.targets.empty(); }},
      {"[sipproxy.auth.user.120]\nenable = 1\nusername = 4900\npassword = x\n",
       [](const DaemonConfig& c) {
         return c.proxy.auth_users.size() == 1 && c.proxy.auth_users[0].username == "4900" &&
                c.proxy.auth_users[0].password == "x";
       }},
      {"[sipproxy.auth.user.1]\nenable = 0\nusername = 4900\n",
       [](const DaemonConfig& c) { return c.proxy.auth_users.empty(); }},
      {"[sipproxy.ignore.100]\nenable = 1\nipmin = 198.51.100.1\n",
       [](const DaemonConfig& c) {
         return c.proxy.ignored.size() == 1 &&
                c.proxy.ignored[0] == security::IpRange::parse("198.51.100.1").value();
       }},
      {"[siproxy.reject.1]\nenable = 1\nipmin = ::1\nipmax = ::2\n",
       [](const DaemonConfig& c) {
         return c.proxy.rejected.size() == 1 &&
                c.proxy.rejected[0] == security::IpRange::parse("::1-::2").value();
       }},
      {"[sipproxy]\nmode = forward_itsp\n[sipproxy.itsp_proxy.9]\nenable = 1\nipname = "
       "itsp.example.com\n",
       [](const DaemonConfig& c) {
         return c.proxy.mode == ProxyMode::ForwardItsp && c.proxy.itsp.monitor.targets.size() == 1;
       }},
      {"[sipproxy]\nmode = sip_trunk\n[sipproxy.itsp_proxy.1]\nenable = 0\nipname = 0.0.0.0\n"
       "[sipproxy.itsp_proxy.2]\nenable = 1\nipname = 192.0.2.20\nport = 5070\n",
       [](const DaemonConfig& c) {
         return c.proxy.mode == ProxyMode::SipTrunk && c.proxy.itsp.monitor.targets.size() == 1 &&
                c.proxy.itsp.monitor.targets[0].destination.remote == Address{"192.0.2.20", 5070};
       }},
      {"[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 192.0.2.10\n"
       "[sipproxy.itsp_proxy.2]\nenable = 1\nipname = 192.0.2.10\nport = 5070\n"
       "[sipproxy.itsp_proxy.3]\nenable = 1\nipname = 192.0.2.10\ntransport = tcp\n",
       [](const DaemonConfig& c) { return c.proxy.itsp.monitor.targets.size() == 3; }},
      // [sipproxy.lan_hosts.N] and the DNS parameters (dns_resolver.h).
      {"[sipproxy.lan_hosts.100]\nenable = 1\nname = ITSP.example.com\naddress = 192.0.2.10\n"
       "[sipproxy.lan_hosts.2]\nenable = 1\nname = sip2\naddress = 2001:db8::10\n",
       [](const DaemonConfig& c) {
         return c.lan_hosts.size() == 2 && c.lan_hosts[0].name == "sip2" &&
                c.lan_hosts[0].address == "2001:db8::10" &&
                c.lan_hosts[1].name == "ITSP.example.com" &&
                c.lan_hosts[1].address == "192.0.2.10" && c.warnings.empty();
       }},
      {"[sipproxy.lan_hosts.1]\nenable = 0\nname = itsp.example.com\naddress = 0.0.0.0\n",
       [](const DaemonConfig& c) { return c.lan_hosts.empty() && c.warnings.size() == 1; }},
      {"[sipproxy.lan_hosts.1]\nenable = 0\naddress = 0.0.0.0\n",  // the seed's unset entry
       [](const DaemonConfig& c) { return c.lan_hosts.empty() && c.warnings.empty(); }},
      {"[siproxy.lan hosts.1]\nEnable = 1\nName = a.example\nAddress = 10.0.0.1\n",
       [](const DaemonConfig& c) { return c.lan_hosts.size() == 1; }},
      {"[sipproxy.lan_hosts.1]\nenable = 1\nname = a.example\naddress = 10.0.0.1\n"
       "[sipproxy.lan_hosts.2]\nenable = 0\nname = a.example\naddress = 10.0.0.2\n",
       [](const DaemonConfig& c) { return c.lan_hosts.size() == 1; }},  // disabled: no clash
      {itsp("dns_servers = 192.0.2.53"),
       [](const DaemonConfig& c) {
         return c.dns_servers == std::vector<Address>{Address{"192.0.2.53", 53}};
       }},
      {itsp("dns_servers = 127.0.0.1:5353, [2001:db8::53]:5300, 2001:db8::54"),
       [](const DaemonConfig& c) {
         return c.dns_servers == std::vector<Address>{Address{"127.0.0.1", 5353},
                                                      Address{"2001:db8::53", 5300},
                                                      Address{"2001:db8::54", 53}};
       }},
      {itsp("dns_servers ="), [](const DaemonConfig& c) { return c.dns_servers.empty(); }},
      {itsp("dns_timeout_ms = 100"),
       [](const DaemonConfig& c) { return c.dns_timeout == 100ms; }},
      {itsp("dns_timeout_ms = 30000"),
       [](const DaemonConfig& c) { return c.dns_timeout == 30000ms; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      const auto config = parse(c.text);
      EXPECT_TRUE(c.check(config));
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

// Out of range and malformed values of every new parameter, and the cross-field rules: the
// exact message, in the documented format.
TEST(Config, ItspGatewayAndTableParametersRefuseBadValues) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::string itsp_name = "an IPv4 or IPv6 address, or a host name such as itsp.example.com";
  const std::string gw_address =
      "an IP address with an optional port (192.0.2.1, 192.0.2.1:5062, [2001:db8::1]:5062; "
      "default port 5060), or empty for none";
  const std::string user = "a user part without spaces, '@', ':' or ';', e.g. 4900";
  const auto adv = [](std::string p) { return "[advanced.sipproxy]\n" + p + "\n"; };
  const auto gw = [](std::string p) { return "[sipproxy.pstn_gw]\n" + p + "\n"; };
  const auto itsp = [](std::string p) { return "[sipproxy.itsp_proxy]\n" + p + "\n"; };
  const std::string at2 = "test.ini:2: ";
  const std::vector<Case> cases = {
      {adv("itsp_down_reg_expires = 29"),
       at2 + "[advanced.sipproxy] itsp_down_reg_expires: \"29\" is out of range; allowed: "
             "30..60000 s"},
      {adv("itsp_down_reg_expires = 60001"),
       at2 + "[advanced.sipproxy] itsp_down_reg_expires: \"60001\" is out of range; allowed: "
             "30..60000 s"},
      {adv("itsp_down_reg_expires = 60,000"),
       at2 + "[advanced.sipproxy] itsp_down_reg_expires: \"60,000\" is not a whole number; "
             "allowed: 30..60000 s"},
      {adv("reg_forwarding_timeout = 1"),
       at2 + "[advanced.sipproxy] reg_forwarding_timeout: \"1\" is out of range; allowed: "
             "2..60 s"},
      {adv("reg_forwarding_timeout = 61"),
       at2 + "[advanced.sipproxy] reg_forwarding_timeout: \"61\" is out of range; allowed: "
             "2..60 s"},
      {adv("num_sockets = 59"),
       at2 + "[advanced.sipproxy] num_sockets: \"59\" is out of range; allowed: 60..240"},
      {adv("num_sockets = 241"),
       at2 + "[advanced.sipproxy] num_sockets: \"241\" is out of range; allowed: 60..240"},
      {adv("nat_outside_address = nat.example.com"),
       at2 + "[advanced.sipproxy] nat_outside_address: \"nat.example.com\" is not an IP "
             "address; allowed: an IPv4 or IPv6 address other than 0.0.0.0 and ::, or empty "
             "for none"},
      {adv("nat_outside_address = 0.0.0.0"),
       at2 + "[advanced.sipproxy] nat_outside_address: \"0.0.0.0\" is not a usable address; "
             "allowed: an IPv4 or IPv6 address other than 0.0.0.0 and ::, or empty for none"},
      {gw("address = gateway.local"),
       at2 + "[sipproxy.pstn_gw] address: \"gateway.local\" is not an IP address or IP:port; "
             "allowed: " + gw_address},
      {gw("address = 192.0.2.1:0"),
       at2 + "[sipproxy.pstn_gw] address: \"192.0.2.1:0\": port \"0\" is out of range; "
             "allowed: " + gw_address},
      {gw("address = 192.0.2.1:65536"),
       at2 + "[sipproxy.pstn_gw] address: \"192.0.2.1:65536\": port \"65536\" is out of range; "
             "allowed: " + gw_address},
      {gw("address = [192.0.2.1]:5060"),
       at2 + "[sipproxy.pstn_gw] address: \"[192.0.2.1]:5060\" is not an IP address or "
             "IP:port; allowed: " + gw_address},
      {gw("address = 0.0.0.0"),
       at2 + "[sipproxy.pstn_gw] address: \"0.0.0.0\" is not a usable address; allowed: " +
           gw_address},
      {gw("from_action = allow"),
       at2 + "[sipproxy.pstn_gw] from_action: \"allow\" is not allowed; allowed: trust, auth, "
             "reject, ignore"},
      {gw("from_routing = pstn"),
       at2 + "[sipproxy.pstn_gw] from_routing: \"pstn\" is not allowed; allowed: itsp, "
             "regd_ua"},
      {gw("enable = 1"),
       at2 + "[sipproxy.pstn_gw] enable: unknown parameter; allowed: address, from_action, "
             "emergency_numbers, international_prefixes, premium_prefixes, international_from, "
             "premium_from, max_calls_per_user, max_calls_per_source, calls_per_minute_per_user, "
             "calls_per_minute_per_source, from_routing"},
      {itsp("accessibility_check = ping"),
       at2 + "[sipproxy.itsp_proxy] accessibility_check: \"ping\" is not allowed; allowed: "
             "options, off"},
      {itsp("options_transport = sctp"),
       at2 + "[sipproxy.itsp_proxy] options_transport: \"sctp\" is not allowed; allowed: udp, "
             "tcp, tls, default"},
      {itsp("options tansport = sctp"),
       at2 + "[sipproxy.itsp_proxy] options_transport: \"sctp\" is not allowed; allowed: udp, "
             "tcp, tls, default"},
      {itsp("options_transport = udp\noptions_tansport = tcp"),
       "test.ini:3: [sipproxy.itsp_proxy] options_transport: parameter repeated (first on "
       "line 2)"},
      {itsp("mode = random"),
       at2 + "[sipproxy.itsp_proxy] mode: \"random\" is not allowed; allowed: normal, cyclic, "
             "dnssrv"},
      {itsp("probe_interval = 4"),
       at2 + "[sipproxy.itsp_proxy] probe_interval: \"4\" is out of range; allowed: 5..3600 s"},
      {itsp("probe_interval = 3601"),
       at2 + "[sipproxy.itsp_proxy] probe_interval: \"3601\" is out of range; allowed: "
             "5..3600 s"},
      {itsp("probe_interval_down = 0"),
       at2 + "[sipproxy.itsp_proxy] probe_interval_down: \"0\" is out of range; allowed: "
             "1..3600 s"},
      {itsp("probe_interval_down = 3601"),
       at2 + "[sipproxy.itsp_proxy] probe_interval_down: \"3601\" is out of range; allowed: "
             "1..3600 s"},
      {itsp("probe_timeout_ms = 99"),
       at2 + "[sipproxy.itsp_proxy] probe_timeout_ms: \"99\" is out of range; allowed: "
             "100..32000 ms"},
      {itsp("probe_timeout_ms = 32001"),
       at2 + "[sipproxy.itsp_proxy] probe_timeout_ms: \"32001\" is out of range; allowed: "
             "100..32000 ms"},
      {itsp("failures_to_down = 0"),
       at2 + "[sipproxy.itsp_proxy] failures_to_down: \"0\" is out of range; allowed: 1..10"},
      {itsp("failures_to_down = 11"),
       at2 + "[sipproxy.itsp_proxy] failures_to_down: \"11\" is out of range; allowed: 1..10"},
      {itsp("successes_to_up = 0"),
       at2 + "[sipproxy.itsp_proxy] successes_to_up: \"0\" is out of range; allowed: 1..10"},
      {itsp("successes_to_up = 11"),
       at2 + "[sipproxy.itsp_proxy] successes_to_up: \"11\" is out of range; allowed: 1..10"},
      {itsp("failback_delay = -1"),
       at2 + "[sipproxy.itsp_proxy] failback_delay: \"-1\" is out of range; allowed: "
             "0..3600 s"},
      {itsp("failback_delay = 3601"),
       at2 + "[sipproxy.itsp_proxy] failback_delay: \"3601\" is out of range; allowed: "
             "0..3600 s"},
      {"[sipproxy.itsp_proxy.1]\nenable = yes please\n",
       at2 + "[sipproxy.itsp_proxy.1] enable: \"yes please\" is not allowed; allowed: 0, 1, "
             "on, off"},
      {"[sipproxy.itsp_proxy.1]\nport = 0\n",
       at2 + "[sipproxy.itsp_proxy.1] port: \"0\" is out of range; allowed: 1..65535"},
      {"[sipproxy.itsp_proxy.1]\nport = 65536\n",
       at2 + "[sipproxy.itsp_proxy.1] port: \"65536\" is out of range; allowed: 1..65535"},
      {"[sipproxy.itsp_proxy.1]\ntransport = sctp\n",
       at2 + "[sipproxy.itsp_proxy.1] transport: \"sctp\" is not allowed; allowed: udp, tcp, tls"},
      {"[sipproxy.itsp_proxy.1]\nipname = itsp_proxy.example.com\n",
       at2 + "[sipproxy.itsp_proxy.1] ipname: \"itsp_proxy.example.com\" is not an IP address "
             "or host name; allowed: " + itsp_name},
      {"[sipproxy.itsp_proxy.1]\nipname = 192.0.2.256\n",
       at2 + "[sipproxy.itsp_proxy.1] ipname: \"192.0.2.256\" is not an IP address or host "
             "name; allowed: " + itsp_name},
      {"[sipproxy.itsp_proxy.1]\nipname = 192.0.2.1:5060\n",
       at2 + "[sipproxy.itsp_proxy.1] ipname: \"192.0.2.1:5060\" is not an IP address or host "
             "name; allowed: " + itsp_name},
      {"[sipproxy.itsp_proxy.1]\nipname = [itsp.example.com]\n",
       at2 + "[sipproxy.itsp_proxy.1] ipname: \"[itsp.example.com]\" is not an IP address or "
             "host name; allowed: " + itsp_name},
      {"[sipproxy.itsp_proxy.2]\nenable = 1\nport = 5060\n",
       "test.ini:1: [sipproxy.itsp_proxy.2] ipname: missing in an enabled entry; allowed: " +
           itsp_name},
      {"[sipproxy.itsp_proxy.1]\nenable = 1\nipname = 0.0.0.0\n",
       "test.ini:3: [sipproxy.itsp_proxy.1] ipname: \"0.0.0.0\" is not a usable address; "
       "allowed: " + itsp_name},
      {"[sipproxy.itsp_proxy.1]\nenable = 1\nipname = ITSP.example.com\n"
       "[sipproxy.itsp_proxy.2]\nenable = 1\nipname = itsp.example.com\n",
       "test.ini:6: [sipproxy.itsp_proxy.2] ipname: \"itsp.example.com\" port 5060 UDP is "
       "already configured in [sipproxy.itsp_proxy.1]; allowed: an ITSP proxy not listed by "
       "another entry"},
      {"[sipproxy.itsp_proxy.0]\n",
       "test.ini:1: [sipproxy.itsp_proxy.0]: index \"0\" is out of range; allowed: 1..100"},
      {"[sipproxy.itsp_proxy.101]\n",
       "test.ini:1: [sipproxy.itsp_proxy.101]: index \"101\" is out of range; allowed: 1..100"},
      {"[sipproxy.auth.user.121]\n",
       "test.ini:1: [sipproxy.auth.user.121]: index \"121\" is out of range; allowed: 1..120"},
      {"[siproxy.ignore.101]\n",
       "test.ini:1: [sipproxy.ignore.101]: index \"101\" is out of range; allowed: 1..100"},
      {"[sipproxy.reject.0]\n",
       "test.ini:1: [sipproxy.reject.0]: index \"0\" is out of range; allowed: 1..100"},
      {"[sipproxy.lan_hosts.101]\n",
       "test.ini:1: [sipproxy.lan_hosts.101]: index \"101\" is out of range; allowed: 1..100"},
      {"[sipproxy.lan_hosts.1]\nname = itsp_1.example.com\n",
       at2 + "[sipproxy.lan_hosts.1] name: \"itsp_1.example.com\" is not a host name; allowed: "
             "a host name (letters, digits, '-', dots), such as itsp.example.com"},
      {"[sipproxy.lan_hosts.1]\nname = 192.0.2.1\n",
       at2 + "[sipproxy.lan_hosts.1] name: \"192.0.2.1\" is not a host name; allowed: a host "
             "name (letters, digits, '-', dots), such as itsp.example.com"},
      {"[sipproxy.lan_hosts.1]\naddress = itsp.example.com\n",
       at2 + "[sipproxy.lan_hosts.1] address: \"itsp.example.com\" is not an IP address; "
             "allowed: an IPv4 or IPv6 address other than 0.0.0.0 and ::"},
      {"[sipproxy.lan_hosts.1]\nttl = 60\n",
       at2 + "[sipproxy.lan_hosts.1] ttl: unknown parameter; allowed: enable, name, address"},
      {"[sipproxy.lan_hosts.3]\nenable = 1\naddress = 192.0.2.1\n",
       "test.ini:1: [sipproxy.lan_hosts.3] name: missing in an enabled entry; allowed: a host "
       "name (letters, digits, '-', dots), such as itsp.example.com"},
      {"[sipproxy.lan_hosts.3]\nenable = 1\nname = itsp.example.com\n",
       "test.ini:1: [sipproxy.lan_hosts.3] address: missing in an enabled entry; allowed: an "
       "IPv4 or IPv6 address other than 0.0.0.0 and ::"},
      {"[sipproxy.lan_hosts.3]\nenable = 1\nname = itsp.example.com\naddress = ::\n",
       "test.ini:4: [sipproxy.lan_hosts.3] address: \"::\" is not a usable address; allowed: "
       "an IPv4 or IPv6 address other than 0.0.0.0 and ::"},
      {"[sipproxy.lan_hosts.1]\nenable = 1\nname = itsp.example.com\naddress = 192.0.2.1\n"
       "[sipproxy.lan_hosts.2]\nenable = 1\nname = ITSP.Example.com\naddress = 192.0.2.2\n",
       "test.ini:7: [sipproxy.lan_hosts.2] name: \"ITSP.Example.com\" is already listed in "
       "[sipproxy.lan_hosts.1]; allowed: a name not listed by another entry (one address per "
       "name)"},
      {itsp("dns_servers = dns.example.com"),
       at2 + "[sipproxy.itsp_proxy] dns_servers: \"dns.example.com\" is not an IP address or "
             "IP:port; allowed: a comma-separated list of DNS server addresses with optional "
             "ports (192.0.2.53, 127.0.0.1:5353, [2001:db8::53]:53; default port 53), or empty "
             "for the system's (/etc/resolv.conf)"},
      {itsp("dns_servers = 127.0.0.1:0"),
       at2 + "[sipproxy.itsp_proxy] dns_servers: \"127.0.0.1:0\": port \"0\" is out of range; "
             "allowed: a comma-separated list of DNS server addresses with optional ports "
             "(192.0.2.53, 127.0.0.1:5353, [2001:db8::53]:53; default port 53), or empty for "
             "the system's (/etc/resolv.conf)"},
      {itsp("dns_servers = 127.0.0.1,,192.0.2.53"),
       at2 + "[sipproxy.itsp_proxy] dns_servers: an empty item in '127.0.0.1,,192.0.2.53'; "
             "allowed: a comma-separated list of DNS server addresses with optional ports "
             "(192.0.2.53, 127.0.0.1:5353, [2001:db8::53]:53; default port 53), or empty for "
             "the system's (/etc/resolv.conf)"},
      {itsp("dns_timeout_ms = 99"),
       at2 + "[sipproxy.itsp_proxy] dns_timeout_ms: \"99\" is out of range; allowed: "
             "100..30000 ms"},
      {itsp("dns_timeout_ms = 30001"),
       at2 + "[sipproxy.itsp_proxy] dns_timeout_ms: \"30001\" is out of range; allowed: "
             "100..30000 ms"},
      {"[sipproxy.auth.user.1]\nusername = 49 00\n",
       at2 + "[sipproxy.auth.user.1] username: \"49 00\" is not a user name; allowed: " + user},
      {"[sipproxy.auth.user.1]\npassword =\n",
       at2 + "[sipproxy.auth.user.1] password: the value is empty; allowed: any text, quoted "
             "if it has ';' or '#'"},
      {"[sipproxy.auth.user.5]\nenable = 1\npassword = secret\n",
       "test.ini:1: [sipproxy.auth.user.5] username: missing in an enabled entry; allowed: " +
           user},
      {"[sipproxy.auth.user.5]\nenable = 1\nusername = 4900\n",
       "test.ini:1: [sipproxy.auth.user.5] password: missing in an enabled entry; allowed: any "
       "text, quoted if it has ';' or '#'"},
      {"[sipproxy.auth.user.1]\nenable = 1\nusername = 4900\npassword = a\n"
       "[sipproxy.auth.user.2]\nenable = 1\nusername = 4900\npassword = b\n",
       "test.ini:7: [sipproxy.auth.user.2] username: \"4900\" is already configured in "
       "[sipproxy.auth.user.1]; allowed: a username not used by another entry"},
      {"[sipproxy.ignore.1]\nipmin = 10.0.0.256\n",
       at2 + "[sipproxy.ignore.1] ipmin: \"10.0.0.256\" is not an IP address; allowed: an "
             "IPv4 or IPv6 address"},
      {"[sipproxy.ignore.3]\nenable = 1\n",
       "test.ini:1: [sipproxy.ignore.3] ipmin: missing in an enabled entry; allowed: an IPv4 "
       "or IPv6 address"},
      {"[sipproxy.reject.2]\nenable=1\nipmin=10.0.0.9\nipmax=10.0.0.1\n",
       "test.ini:4: [sipproxy.reject.2] ipmax: 10.0.0.1 is below ipmin (10.0.0.9); allowed: an "
       "address from ipmin upward, of the same family"},
      {"[sipproxy.reject.2]\nenable=1\nipmin=10.0.0.1\nipmax=::1\n",
       "test.ini:4: [sipproxy.reject.2] ipmax: ::1 is not of the same address family as ipmin "
       "(10.0.0.1); allowed: an address from ipmin upward, of the same family"},
      {"[sipproxy]\nrealm = office.example.com\nmode = forward_itsp\n",
       "test.ini:3: [sipproxy] mode: forward_itsp needs at least one enabled "
       "[sipproxy.itsp_proxy.N] with an ipname; allowed: standalone, off; or add "
       "[sipproxy.itsp_proxy.1] with enable = 1 and ipname"},
      {"[sipproxy]\nmode = sip trunk\n[sipproxy.itsp_proxy.1]\nenable = 0\nipname = 192.0.2.1\n",
       "test.ini:2: [sipproxy] mode: sip_trunk needs at least one enabled "
       "[sipproxy.itsp_proxy.N] with an ipname; allowed: standalone, off; or add "
       "[sipproxy.itsp_proxy.1] with enable = 1 and ipname"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(std::string(error_of(c.text).what()), c.message);
  }
}

TEST(Config, WarnsAboutItspAndTableEntriesThatAreNotEnabled) {
  const auto c = parse(
      "[sipproxy.itsp_proxy.1]\nipname = itsp.example.com\n"
      "[sipproxy.ignore.1]\nipmin = 198.51.100.1\n"
      "[sipproxy.reject.1]\nenable = 0\nipmin = 198.51.100.2\n");
  ASSERT_EQ(c.warnings.size(), 3u);
  EXPECT_EQ(c.warnings[0], "[sipproxy.ignore.1] has ipmin 198.51.100.1 but enable=0: the entry is "
                           "ignored");
  EXPECT_EQ(c.warnings[1], "[sipproxy.reject.1] has ipmin 198.51.100.2 but enable=0: the entry is "
                           "ignored");
  EXPECT_EQ(c.warnings[2], "[sipproxy.itsp_proxy.1] has ipname itsp.example.com but enable=0: "
                           "the entry is ignored");
  EXPECT_TRUE(c.proxy.itsp.monitor.targets.empty());
  EXPECT_TRUE(c.proxy.ignored.empty());
  EXPECT_TRUE(c.proxy.rejected.empty());
}

TEST(Config, WarnsAboutLanHostsEntriesThatAreNotEnabled) {
  const auto c = parse("[sipproxy.lan_hosts.4]\nname = itsp.example.com\naddress = 192.0.2.1\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0], "[sipproxy.lan_hosts.4] has name itsp.example.com but enable=0: the "
                           "entry is ignored");
  EXPECT_TRUE(c.lan_hosts.empty());
}

}  // namespace
}  // namespace resproxy::config
