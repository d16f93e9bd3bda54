// Digest hardening at the proxy (issue #10 point 8 and the emergency half of point 3), on the
// hand clock: password guessing locks the (source, user) pair out — not the user elsewhere;
// good credentials do not licence a call From another user; RFC 2069 answers are refused while
// qop=auth is required; MD5 can be dropped; an emergency call from the office LAN goes out
// whatever its credentials say, one from outside does not, and each is audit-logged.
#include <gtest/gtest.h>

#include <algorithm>

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
    auto answer = security::answer_challenge(challenge, "INVITE", ruri, "6666", password, "c", 1);
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
  AuthFixture f;
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
                            ", response=\"" + security::compute_digest_response(in) + "\"";
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
  auto md5 = security::answer_challenge(
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
  auto wrong = security::answer_challenge(challenge, "INVITE", "sip:112@office.example", "6666",
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
  // No credentials: refused at the exit (an anonymous source on the internet).
  f.receive(kGuesser, call(kGuesser, "sip:112@office.example", f.branch()));
  EXPECT_EQ(f.answer_to(kGuesser), "403");
  // Wrong credentials: asked again.
  const std::string challenge = f.challenge_for(kGuesser, kNational);
  auto wrong = security::answer_challenge(challenge, "INVITE", "sip:112@office.example", "6666",
                                          "wrong", "c", 1);
  ASSERT_TRUE(wrong.has_value());
  f.receive(kGuesser, call(kGuesser, "sip:112@office.example", f.branch(), {}, *wrong));
  EXPECT_EQ(f.answer_to(kGuesser), "407");
  EXPECT_EQ(f.node.counters().emergency_calls, 0u);
}

}  // namespace
}  // namespace resproxy::routing::testing
