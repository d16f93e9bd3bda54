// The security sections: [sipproxy.dos], [sipproxy.auth], the PSTN gateway's toll-fraud policy,
// [sipproxy.trust] and the TLS keys, with the warnings about entries nothing uses.
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy::config {
namespace {

using test_support::error_of;
using test_support::parse;

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

}  // namespace
}  // namespace resproxy::config
