// The ITSP, PSTN gateway and address-table parameters out of range or malformed, and their
// cross-field rules: the exact message, in the documented format.
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy::config {
namespace {

using test_support::error_of;

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

}  // namespace
}  // namespace resproxy::config
