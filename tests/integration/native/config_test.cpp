// The daemon's INI parser: the embedded default, every section and parameter, and the errors
// that name file, line, section, parameter and allowed values.
#include "proxy/native/config.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>
#include <string_view>

namespace resproxy::native {
namespace {

using namespace std::chrono_literals;
using routing::ProxyMode;
using routing::RecordRoute;

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
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Config, EmbeddedDefaultGivesTheDefaults) {
  expect_defaults(parse_config(default_config_text(), "<embedded>"));
}

TEST(Config, EmptyFileGivesTheDefaults) {
  expect_defaults(parse(""));
  expect_defaults(parse("; only a comment\n\n# another\n"));
}

TEST(Config, EmbeddedDefaultNamesEveryParameter) {
  const std::string text = default_config_text();
  for (const auto* name :
       {"mode", "rx_port", "listen_address", "advertised_address", "realm", "data_dir",
        "record_route", "server_header", "crlf_keepalive", "log_level", "sip_log", "trace_log",
        "t1_ms", "t2_ms", "t4_ms", "timer_c", "max_message_size", "transport",
        "store_synchronous", "disable_all", "ipmin", "ipmax", "min_expires", "max_expires",
        "default_expires", "max_bindings", "max_bindings_per_aor", "alias", "user", "contact",
        "enable"}) {
    const bool set = text.find(std::string("\n") + name + " =") != std::string::npos;
    const bool example = text.find(std::string("\n; ") + name + " =") != std::string::npos;
    EXPECT_TRUE(set || example) << name;
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
t1_ms = 250
t2_ms = 2000
t4_ms = 2500
timer_c = 200
max_message_size = 4096
transport = tcp
store_synchronous = full

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
    std::string_view name, text;
    std::function<bool(const DaemonConfig&)> check;
  };
  const std::vector<Case> cases = {
      {"mode with spaces", "[sipproxy]\nmode = sip trunk\n",
       [](const DaemonConfig& c) { return c.proxy.mode == ProxyMode::SipTrunk; }},
      {"mode seed wording", "[sipproxy]\nmode = forward to ITSP\n",
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
  const auto e = error_of("[sipproxy.itsp_proxy]\n");
  EXPECT_EQ(std::string(e.what()),
            "test.ini:1: [sipproxy.itsp_proxy]: unknown section; allowed: sipproxy, "
            "advanced.sipproxy, sipproxy.trust, sipproxy.trust.N, sipproxy.registrar, "
            "sipproxy.alias.N, sipproxy.directory.N (N = 1..100)");
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

}  // namespace
}  // namespace resproxy::native
