// Digest hardening at the proxy (issue #10 point 8 and the emergency half of point 3), on the
// hand clock: password guessing locks the (source, user) pair out — not the user elsewhere;
// good credentials do not licence a call From another user; RFC 2069 answers are refused while
// qop=auth is required; MD5 can be dropped; an emergency call from the office LAN goes out
// whatever its credentials say, one from outside does not, and each is audit-logged.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "proxy/native/openssl_crypto.h"
#include "proxy/security/digest.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Phone kGateway{"gw", {"192.168.1.5", 5060}};
const Phone kRemote{"6666", {"203.0.113.5", 5060}};     // the remote worker's phone, outside
const Phone kGuesser{"6666", {"203.0.113.66", 5060}};   // someone guessing 6666's password
const Phone kLanPhone{"6666", {"192.168.1.50", 5060}};  // on the LAN, not in the trusted range

ProxyConfig hardened_config() {
  ProxyConfig c = ProxyFixture::default_config();
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.pstn_gateway.address = kGateway.address;
  c.auth_users.push_back({"6666", "s3cret"});
  c.aliases.push_back({"441234566666", "6666"});
  return c;
}

std::string call(const Phone& from, std::string_view ruri, std::string_view branch,
                   std::string_view from_user = {}, std::string_view authorization = {}) {
  const std::string user = from_user.empty() ? from.user : std::string(from_user);
  std::vector<sip::ExtraHeader> h{{"Via", from.via(branch)}, {"Max-Forwards", "70"}};
  h.push_back({"From", "<sip:" + user + "@office.example>;tag=f" + user});
  h.push_back({"To", "<" + std::string(ruri) + ">"});
  h.push_back({"Call-ID", "call-" + std::string(branch)});
  h.push_back({"CSeq", "1 INVITE"});
  h.push_back({"Contact", "<" + from.contact() + ">"});
  if (!authorization.empty()) h.push_back({"Proxy-Authorization", std::string(authorization)});
  return sip::make_request("INVITE", ruri, h);
}

struct AuthFixture : ProxyFixture {
  explicit AuthFixture(ProxyConfig c = hardened_config()) : ProxyFixture(std::move(c)) {}

  int n = 0;
  std::string branch() { return "z9hG4bKa" + std::to_string(++n); }

  // INVITE without credentials, the 407's first challenge.
  std::string challenge_for(const Phone& from, const std::string& ruri) {
    receive(from, call(from, ruri, branch()));
    auto challenge = parse(expect_one("SIP/2.0 407").bytes);
    return std::string(challenge.first(sip::HeaderId::ProxyAuthenticate)->value);
  }
  // A full attempt: challenged, then answered with `password`. What came back is left in `out`.
  void attempt(const Phone& from, const std::string& ruri, std::string_view password,
               std::string_view from_user = {}) {
    const std::string challenge = challenge_for(from, ruri);
    auto answer = security::answer_challenge(native::openssl_crypto(), challenge, "INVITE", ruri, "6666", password, "c", 1);
    ASSERT_TRUE(answer.has_value());
    receive(from, call(from, ruri, branch(), from_user, *answer));
  }
  std::size_t invites_to_gateway() {
    std::size_t count = 0;
    for (auto& s : take_sent()) count += s.to == kGateway.address && s.bytes.starts_with("INVITE");
    return count;
  }
  // The status line of the one response sent back to `to`, and nothing to the gateway.
  std::string answer_to(const Phone& to) {
    std::string status;
    for (auto& s : take_sent()) {
      if (s.to == kGateway.address && s.bytes.starts_with("INVITE")) return "to the gateway";
      if (s.to == to.address && s.bytes.starts_with("SIP/2.0")) status = s.bytes.substr(8, 3);
    }
    return status;
  }
};

const std::string kNational = "sip:01344784900@office.example";

TEST(AuthLockout, GuessingLocksThePairWhileThePhoneElsewhereStillCalls) {
  AuthFixture f;
  // Five wrong answers are free (AuthGuardConfig::max_failures); the sixth locks the pair.
  for (int i = 0; i < 6; ++i) {
    f.attempt(kGuesser, kNational, "guess" + std::to_string(i));
    EXPECT_EQ(f.answer_to(kGuesser), "407") << "attempt " << i;
  }
  EXPECT_EQ(f.node.counters().auth_failures, 6u);
  EXPECT_EQ(f.node.counters().auth_lockouts, 1u);
  ASSERT_TRUE(f.trace.contains("security.auth_lockout"));
  EXPECT_EQ(f.trace.find("security.auth_lockout")->field("source"), kGuesser.address.to_string());
  // Locked: even the right password from there is refused, unchecked, with 403.
  f.attempt(kGuesser, kNational, "s3cret");
  EXPECT_EQ(f.answer_to(kGuesser), "403");
  EXPECT_EQ(f.node.counters().auth_locked_refusals, 1u);
  // The real phone, at its own address, is not locked out by the guesser.
  f.attempt(kRemote, kNational, "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "to the gateway");
  // The lockout ends.
  f.advance(61s);
  f.attempt(kGuesser, kNational, "s3cret");
  EXPECT_EQ(f.answer_to(kGuesser), "to the gateway");
}

TEST(AuthLockout, TrustedSourcesAreNeverCounted) {
  auto c = hardened_config();
  c.gateway_policy.max_calls_per_user = 0;  // ten calls of one user (limits: gateway_policy_test)
  c.gateway_policy.calls_per_minute_per_user = 0;
  AuthFixture f(c);
  const Phone office{"6666", {"192.168.1.21", 5060}};  // in the trusted range
  for (int i = 0; i < 10; ++i) {
    f.receive(office, call(office, kNational, f.branch(), {}, "Digest username=\"6666\", realm=\"office.example\", "
                                                                 "nonce=\"x\", uri=\"" + kNational + "\", response=\"00\""));
    EXPECT_EQ(f.answer_to(office), "to the gateway");
  }
  EXPECT_EQ(f.node.counters().auth_failures, 0u);
}

TEST(BindFromUser, GoodCredentialsDoNotLicenceACallFromAnotherUser) {
  AuthFixture f;
  f.attempt(kRemote, kNational, "s3cret", "2001");  // 6666's password, From 2001
  EXPECT_EQ(f.answer_to(kRemote), "403");
  EXPECT_TRUE(f.trace.contains("security.from_mismatch"));
  // From one of its own aliases is fine.
  f.attempt(kRemote, kNational, "s3cret", "441234566666");
  EXPECT_EQ(f.answer_to(kRemote), "to the gateway");
}

TEST(BindFromUser, CanBeTurnedOff) {
  auto c = hardened_config();
  c.auth.bind_from_user = false;
  AuthFixture f(c);
  f.attempt(kRemote, kNational, "s3cret", "2001");
  EXPECT_EQ(f.answer_to(kRemote), "to the gateway");
}

TEST(DigestPolicy, Rfc2069AnswersAreChallengedAgain) {
  AuthFixture f;
  const std::string challenge = f.challenge_for(kRemote, kNational);
  // An RFC 2069 phone ignores qop: response = H(HA1:nonce:HA2), no cnonce, no nc.
  auto parsed = security::parse_digest_challenge(challenge);
  ASSERT_TRUE(parsed.has_value());
  security::DigestResponseInput in;
  in.algorithm = parsed->algorithm;
  in.username = "6666";
  in.realm = "office.example";
  in.password = "s3cret";
  in.method = "INVITE";
  in.uri = kNational;
  in.nonce = parsed->nonce;
  const std::string value = "Digest username=\"6666\", realm=\"office.example\", nonce=\"" +
                            parsed->nonce + "\", uri=\"" + kNational + "\", algorithm=" +
                            std::string(security::to_string(parsed->algorithm)) +
                            ", response=\"" + security::compute_digest_response(native::openssl_crypto(), in) + "\"";
  f.receive(kRemote, call(kRemote, kNational, f.branch(), {}, value));
  EXPECT_EQ(f.answer_to(kRemote), "407");
  EXPECT_EQ(f.trace.find("auth.checked")->field("outcome"), "qop_missing");
}

TEST(DigestPolicy, Md5CanBeDropped) {
  auto c = hardened_config();
  c.auth.algorithms = {security::DigestAlgorithm::Sha256};
  AuthFixture f(c);
  f.receive(kRemote, call(kRemote, kNational, f.branch()));
  auto challenge = parse(f.expect_one("SIP/2.0 407").bytes);
  std::size_t offered = 0;
  for (const auto& field : challenge.headers()) {
    if (field.id != sip::HeaderId::ProxyAuthenticate) continue;
    ++offered;
    EXPECT_NE(field.value.find("algorithm=SHA-256"), std::string_view::npos);
  }
  EXPECT_EQ(offered, 1u);
  // An MD5 answer (a downgrade) is not accepted.
  auto md5 = security::answer_challenge(native::openssl_crypto(), 
      "Digest realm=\"office.example\", qop=\"auth\", algorithm=MD5, nonce=\"" +
          security::parse_digest_challenge(challenge.first(sip::HeaderId::ProxyAuthenticate)->value)->nonce + "\"",
      "INVITE", kNational, "6666", "s3cret", "c", 1);
  ASSERT_TRUE(md5.has_value());
  f.receive(kRemote, call(kRemote, kNational, f.branch(), {}, *md5));
  EXPECT_NE(f.answer_to(kRemote), "to the gateway");
}

TEST(Emergency, FromTheLanItGoesOutWhateverItsCredentialsSay) {
  AuthFixture f;
  // Without credentials it is not even challenged.
  f.receive(kLanPhone, call(kLanPhone, "sip:112@office.example", f.branch()));
  EXPECT_EQ(f.answer_to(kLanPhone), "to the gateway");
  // With credentials that fail (a password changed at the ITSP while the link was down): the
  // call still goes out.
  const std::string challenge = f.challenge_for(kLanPhone, kNational);
  auto wrong = security::answer_challenge(native::openssl_crypto(), challenge, "INVITE", "sip:112@office.example", "6666",
                                          "stale-password", "c", 1);
  ASSERT_TRUE(wrong.has_value());
  f.receive(kLanPhone, call(kLanPhone, "sip:112@office.example", f.branch(), {}, *wrong));
  EXPECT_EQ(f.answer_to(kLanPhone), "to the gateway");
  const auto* audit = f.trace.find("security.emergency_call");
  ASSERT_NE(audit, nullptr);
  EXPECT_EQ(audit->field("number"), "112");
  EXPECT_EQ(audit->field("source"), kLanPhone.address.to_string());
  EXPECT_EQ(audit->field("from_lan"), "1");
  EXPECT_EQ(f.node.counters().emergency_calls, 2u);
  EXPECT_TRUE(f.trace.contains("security.emergency_auth_bypassed"));
}

TEST(Emergency, FromOutsideNothingReachesTheGatewayWithoutGoodCredentials) {
  AuthFixture f;
  // No credentials: asked for them (a remote phone of ours would answer; an anonymous source
  // on the internet cannot).
  f.receive(kGuesser, call(kGuesser, "sip:112@office.example", f.branch()));
  EXPECT_EQ(f.answer_to(kGuesser), "407");
  // Wrong credentials: asked again.
  const std::string challenge = f.challenge_for(kGuesser, kNational);
  auto wrong = security::answer_challenge(native::openssl_crypto(), challenge, "INVITE", "sip:112@office.example", "6666",
                                          "wrong", "c", 1);
  ASSERT_TRUE(wrong.has_value());
  f.receive(kGuesser, call(kGuesser, "sip:112@office.example", f.branch(), {}, *wrong));
  EXPECT_EQ(f.answer_to(kGuesser), "407");
  EXPECT_EQ(f.node.counters().emergency_calls, 0u);
}

// --- toll fraud: number classes and call limits at the gateway (security/gateway_policy.h) ---

const Phone kOffice{"2001", {"192.168.1.21", 5060}};  // a trusted desk phone

ProxyConfig policy_config() {
  auto c = hardened_config();
  c.gateway_policy.premium_prefixes = {"09"};
  return c;
}

TEST(GatewayPolicy, ARemotePhoneMayNotDialPremiumNumbersTheOfficeMay) {
  AuthFixture f(policy_config());
  f.attempt(kRemote, "sip:0900123456@office.example", "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "403");
  const auto* refused = f.trace.find("security.gateway_refused");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->field("reason"), "premium_not_allowed");
  EXPECT_EQ(refused->field("user"), "6666");
  EXPECT_EQ(f.node.counters().gateway_refused, 1u);
  // Escapes and separators do not hide the class.
  f.attempt(kRemote, "sip:%309-00-123456@office.example", "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "403");
  // Abroad is fine for it by default, and premium for a trusted desk phone.
  f.attempt(kRemote, "sip:0033123456789@office.example", "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "to the gateway");
  f.receive(kOffice, call(kOffice, "sip:0900123456@office.example", f.branch()));
  EXPECT_EQ(f.answer_to(kOffice), "to the gateway");
}

TEST(GatewayPolicy, InternationalCanBeClosedToRemotePhones) {
  auto c = policy_config();
  c.gateway_policy.international_from = security::SenderSet{}.add(security::Sender::Trusted);
  AuthFixture f(c);
  f.attempt(kRemote, "sip:+33123456789@office.example", "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "403");
  EXPECT_EQ(f.trace.find("security.gateway_refused")->field("reason"), "international_not_allowed");
  // Emergency numbers are never refused by the policy.
  f.attempt(kRemote, "sip:112@office.example", "s3cret");
  EXPECT_EQ(f.answer_to(kRemote), "to the gateway");
}

// The INVITE the proxy sent to the gateway last (parsed), from what `f` has sent.
std::optional<sip::Message> take_gateway_invite(AuthFixture& f) {
  std::optional<sip::Message> last;
  for (auto& s : f.take_sent()) {
    if (s.to == kGateway.address && s.bytes.starts_with("INVITE")) last = parse(s.bytes);
  }
  return last;
}

TEST(GatewayLimits, AUsersOpenCallsAreCappedAndFreedWhenACallFailsOrEnds) {
  auto c = policy_config();
  c.gateway_policy.max_calls_per_user = 2;
  AuthFixture f(c);
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl1"));
  auto first = take_gateway_invite(f);
  ASSERT_TRUE(first.has_value());
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl2"));
  auto second = take_gateway_invite(f);
  ASSERT_TRUE(second.has_value());
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl3"));
  EXPECT_EQ(f.answer_to(kOffice), "403");
  EXPECT_EQ(f.trace.find("security.gateway_refused")->field("reason"), "user_concurrent_limit");
  // Another user at the same desk (a second line) has its own allowance.
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl4", "2009"));
  EXPECT_EQ(f.answer_to(kOffice), "to the gateway");
  // The first call fails at the gateway (busy): it no longer counts.
  f.receive(kGateway, sip::make_response(*first, 486, "Busy Here", "gw1"));
  f.take_sent();
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl5"));
  auto third = take_gateway_invite(f);
  ASSERT_TRUE(third.has_value());
  // The second is answered and then hung up by the phone: it no longer counts either.
  std::vector<sip::ExtraHeader> rr;
  for (const auto& field : second->headers()) {
    if (field.id == sip::HeaderId::RecordRoute) rr.push_back({"Record-Route", std::string(field.value)});
  }
  rr.push_back({"Contact", "<sip:01344784900@192.168.1.5:5060>"});
  f.receive(kGateway, sip::make_response(*second, 200, "OK", "gw2", rr));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl6"));
  EXPECT_EQ(f.answer_to(kOffice), "403");  // still two open: the second and the third
  f.receive(kOffice, sip::make_request(
                         "BYE", "sip:01344784900@192.168.1.5:5060",
                         {{"Via", kOffice.via("z9hG4bKbye")}, {"Max-Forwards", "70"},
                          {"Route", std::string(ok.first(sip::HeaderId::RecordRoute)->value)},
                          {"From", "<sip:2001@office.example>;tag=f2001"},
                          {"To", "<" + kNational + ">;tag=gw2"},
                          {"Call-ID", std::string(ok.call_id())}, {"CSeq", "2 BYE"}}));
  f.take_sent();
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKl7"));
  EXPECT_EQ(f.answer_to(kOffice), "to the gateway");
}

TEST(GatewayLimits, CallsPerMinuteArePerUser) {
  auto c = policy_config();
  c.gateway_policy.calls_per_minute_per_user = 3;
  c.gateway_policy.max_calls_per_user = 0;
  AuthFixture f(c);
  for (int i = 0; i < 3; ++i) {
    f.receive(kOffice, call(kOffice, kNational, "z9hG4bKr" + std::to_string(i)));
    EXPECT_EQ(f.answer_to(kOffice), "to the gateway");
  }
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKr9"));
  EXPECT_EQ(f.answer_to(kOffice), "403");
  EXPECT_EQ(f.trace.find("security.gateway_refused")->field("reason"), "user_rate_limit");
  f.advance(61s);
  f.receive(kOffice, call(kOffice, kNational, "z9hG4bKr10"));
  EXPECT_EQ(f.answer_to(kOffice), "to the gateway");
}

// --- default trust by the interface a message arrived on (security/interfaces.h) ---

// The branch box: eth0 faces the internet, eth1 is the office LAN (kProxy is 192.168.1.10).
std::vector<NetInterface> box_interfaces() {
  return {{1, "lo", true, {"127.0.0.1/8"}},
          {2, "eth0", false, {"198.51.100.7/24"}},
          {3, "eth1", false, {"192.168.1.10/24"}}};
}

ProxyConfig default_trust_config() {
  ProxyConfig c = ProxyFixture::default_config();  // trust_defaults on: no configured ranges
  c.pstn_gateway.address = kGateway.address;
  return c;
}

Phone on(std::uint32_t interface, Phone phone) {
  phone.interface = interface;
  return phone;
}

TEST(TrustByInterface, ASpoofedLanSourceFromTheWanSideIsNotTrusted) {
  AuthFixture f(default_trust_config());
  f.node.on_interfaces(f.now, box_interfaces());
  ASSERT_TRUE(f.trace.contains("net.interface"));
  // The desk phone on the LAN registers (trusted: its subnet, on eth1) ...
  const Phone desk = on(3, alice());
  f.receive(desk, f.register_request(desk));
  f.expect_one("SIP/2.0 200");
  // ... and the same source address arriving on eth0 is a stranger: no registration, no call
  // to the gateway.
  const Phone spoofed = on(2, Phone{"6666", alice().address});
  f.receive(spoofed, f.register_request(spoofed));
  f.expect_one("SIP/2.0 403");
  f.receive(spoofed, call(spoofed, kNational, f.branch()));
  EXPECT_NE(f.answer_to(spoofed), "to the gateway");
  EXPECT_EQ(f.node.counters().gateway_calls, 0u);
}

TEST(TrustByInterface, WithoutAnInterfaceTableTheOldAddressDefaultStays) {
  AuthFixture f(default_trust_config());
  const Phone spoofed = on(2, Phone{"6666", alice().address});
  f.receive(spoofed, f.register_request(spoofed));
  f.expect_one("SIP/2.0 200");  // no table yet: private ranges (the simulated runtime's case)
}

TEST(TrustByInterface, EmergencyCallsAreByTheLanInterfaceNotByTrust) {
  AuthFixture f(default_trust_config());
  f.node.on_interfaces(f.now, box_interfaces());
  // A routed office subnet behind a LAN router: arrives on eth1, not in its subnet: untrusted,
  // yet on the LAN — its emergency call goes out.
  const Phone routed = on(3, Phone{"3003", {"172.31.0.9", 5060}});
  f.receive(routed, call(routed, "sip:112@office.example", f.branch()));
  EXPECT_EQ(f.answer_to(routed), "to the gateway");
  EXPECT_EQ(f.trace.find("security.emergency_call")->field("from_lan"), "1");
  // Its ordinary call to the PSTN does not.
  f.receive(routed, call(routed, kNational, f.branch()));
  EXPECT_NE(f.answer_to(routed), "to the gateway");
  // The same emergency call arriving on the WAN interface is not from the LAN.
  const Phone outside = on(2, Phone{"3003", {"172.31.0.9", 5060}});
  f.receive(outside, call(outside, "sip:112@office.example", f.branch()));
  EXPECT_NE(f.answer_to(outside), "to the gateway");
  EXPECT_EQ(f.node.counters().emergency_calls, 1u);
}

TEST(TrustByInterface, ConfiguredRangesAreTrustedWhereverTheyArrive) {
  auto c = default_trust_config();
  c.trusted.push_back(*security::IpRange::parse("203.0.113.0/24"));  // a remote site's router
  AuthFixture f(c);
  f.node.on_interfaces(f.now, box_interfaces());
  const Phone remote_site = on(2, Phone{"7001", {"203.0.113.40", 5060}});
  f.receive(remote_site, f.register_request(remote_site));
  f.expect_one("SIP/2.0 200");
}

}  // namespace
}  // namespace resproxy::routing::testing
