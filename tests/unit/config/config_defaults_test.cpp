// The embedded default file: what an empty or default file gives, every parameter named and
// documented in it, and every parameter set to a value other than its default.
#include "proxy/config/schema.h"
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace resproxy::config {
namespace {

using namespace std::chrono_literals;
using routing::GatewayFromAction;
using routing::GatewayFromRouting;
using routing::ItspSelection;
using routing::ProxyMode;
using routing::RecordRoute;
using test_support::parse;

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

}  // namespace
}  // namespace resproxy::config
