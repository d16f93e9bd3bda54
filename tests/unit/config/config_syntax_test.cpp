// The INI syntax: the seed's spellings and parameter list, lenient values, and the errors that
// refuse a file naming file, line, section, parameter and the allowed values.
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
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
using test_support::error_of;
using test_support::kOneItsp;
using test_support::parse;

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
            "sim_hardware.fxo.N, sim_hardware.numbers.N, media_relay, media_relay.relay.N (N = 1..100; "
            "sipproxy.auth.user.N: "
            "1..120)");
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

}  // namespace
}  // namespace resproxy::config

namespace resproxy::config {
namespace {

TEST(Config, ExternalMediaRelaysBecomeThePoolInIndexOrder) {
  const auto c = test_support::parse(
      "[media_relay]\nenable = 1\nbuiltin_weight = 0\nng_timeout_ms = 250\nng_tries = 2\n"
      "ng_ping_interval = 2\nng_failures_to_down = 3\n"
      "[media_relay.relay.2]\nenable = 1\naddress = 10.0.0.6\nweight = 0\n"
      "[media_relay.relay.1]\nenable = 1\naddress = 10.0.0.5:2230\nweight = 3\nsecret = 0123456789abcdef\n"
      "[media_relay.relay.3]\nenable = 0\naddress = 10.0.0.7:2223\n");
  const auto& m = c.proxy.media_relay;
  ASSERT_EQ(m.external.size(), 2u);  // the disabled one is left out
  EXPECT_EQ(m.external[0].address, (Address{"10.0.0.5", 2230}));
  EXPECT_EQ(m.external[0].weight, 3u);
  EXPECT_EQ(m.external[0].secret, "0123456789abcdef");
  EXPECT_EQ(m.external[1].address, (Address{"10.0.0.6", 2223}));  // rtpengine's usual port
  EXPECT_EQ(m.external[1].weight, 0u);
  EXPECT_TRUE(m.external[1].secret.empty());
  EXPECT_EQ(m.builtin_weight, 0u);
  EXPECT_EQ(m.ng_retransmit, std::chrono::milliseconds(250));
  EXPECT_EQ(m.ng_tries, 2u);
  EXPECT_EQ(m.ng_ping_interval, std::chrono::seconds(2));
  EXPECT_EQ(m.ng_failures_to_down, 3u);
}

TEST(Config, ExternalMediaRelayMistakesAreRefusedWithLineAndAllowedValues) {
  {
    const auto e = test_support::error_of("[media_relay.relay.1]\nenable = 1\nweight = 2\n");
    EXPECT_EQ(e.line, 1);
    EXPECT_EQ(e.section, "media_relay.relay.1");
    EXPECT_EQ(e.parameter, "address");
  }
  {
    const auto e = test_support::error_of(
        "[media_relay.relay.1]\nenable = 1\naddress = 10.0.0.5\n"
        "[media_relay.relay.2]\nenable = 1\naddress = 10.0.0.5:2223\n");
    EXPECT_EQ(e.section, "media_relay.relay.2");
    EXPECT_NE(std::string(e.what()).find("already [media_relay.relay.1]"), std::string::npos) << e.what();
  }
  {
    const auto e = test_support::error_of("[media_relay.relay.1]\nsecret = short\n");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.parameter, "secret");
    EXPECT_NE(e.allowed.find("8..256 printable"), std::string::npos) << e.what();
  }
  {
    const auto e = test_support::error_of("[media_relay.relay.1]\nweight = 1001\n");
    EXPECT_EQ(e.parameter, "weight");
    EXPECT_EQ(e.allowed, "0..1000");
  }
  {
    const auto e = test_support::error_of("[media_relay.relay.1]\naddress = relay.example\n");
    EXPECT_EQ(e.parameter, "address");
  }
}

}  // namespace
}  // namespace resproxy::config
