// The ITSP, PSTN gateway and address-table parameters at the ends of their ranges, and the
// warnings about their entries that are not enabled.
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace resproxy::config {
namespace {

using namespace std::chrono_literals;
using routing::GatewayFromAction;
using routing::GatewayFromRouting;
using routing::ItspSelection;
using routing::ProxyMode;
using test_support::parse;

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
