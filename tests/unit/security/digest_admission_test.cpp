// DigestAdmission (security/digest_admission.h): which credentials a request's verdict is made
// of, what it answers (401/407, one challenge per algorithm, stale, 403), the lockout of the
// untrusted only, the From binding through aliases, and the ACK of a 2xx.
#include "proxy/security/digest_admission.h"

#include <gtest/gtest.h>

#include "proxy/native/openssl_crypto.h"

namespace resproxy::security {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::hours(1)};
const Path kOutsider{Transport::Udp, {"192.168.1.10", 5060}, {"203.0.113.9", 5060}, StreamId{}, 0};

struct Aliases final : UserAliases {
  std::string_view resolve_alias(std::string_view user) const override {
    return user == "441344784900" ? std::string_view("2001") : user;
  }
};

sip::Message parse(const std::string& bytes) {
  auto m = sip::Message::parse(bytes);
  EXPECT_TRUE(m.has_value()) << bytes;
  return std::move(m).value();
}

sip::Message request(std::string_view method, std::vector<sip::ExtraHeader> extra,
                     std::string_view from = "2001", std::string_view to_tag = {}) {
  const std::string ruri = method == "REGISTER" ? "sip:office.example" : "sip:2002@office.example";
  std::vector<sip::ExtraHeader> headers = {
      {"Via", "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bKd1"},
      {"Max-Forwards", "70"},
      {"From", "<sip:" + std::string(from) + "@office.example>;tag=f1"},
      {"To", "<" + ruri + ">" + (to_tag.empty() ? "" : ";tag=" + std::string(to_tag))},
      {"Call-ID", "digest-1"},
      {"CSeq", "1 " + std::string(method)}};
  for (auto& e : extra) headers.push_back(std::move(e));
  return parse(sip::make_request(method, ruri, headers));
}

struct DigestFixture {
  explicit DigestFixture(std::uint32_t max_failures = 5) {
    DigestAdmissionConfig c;
    c.realm = "office.example";
    c.users = {{"2001", "secret"}};
    c.guard.max_failures = max_failures;
    admission =
        DigestAdmission::create(std::move(c), rng, native::openssl_crypto(), aliases, trace, counters);
  }

  // Credentials answering a fresh challenge of ours for `method`.
  std::string answer(std::string_view method, std::string_view password, std::string_view user = "2001") {
    const auto ask = request(method, {});
    auto c = admission->challenge(kNow, ask, AuthResult{});
    const std::string uri(ask.request_uri());
    auto a = answer_challenge(native::openssl_crypto(), c.headers.at(0).value, method, uri, user, password,
                              "cn" + std::to_string(++cnonce), 1);
    if (!a) {
      ADD_FAILURE() << "cannot answer " << c.headers.at(0).value;
      return {};
    }
    return std::move(a).value();
  }

  SeededRng rng{2};
  RecordingTraceSink trace;
  AdmissionCounters counters;
  Aliases aliases;
  std::optional<DigestAdmission> admission;
  int cnonce = 0;
};

TEST(DigestAdmission, WithoutUsersThereIsNone) {
  SeededRng rng(1);
  RecordingTraceSink trace;
  AdmissionCounters counters;
  Aliases aliases;
  EXPECT_FALSE(
      DigestAdmission::create({}, rng, native::openssl_crypto(), aliases, trace, counters).has_value());
}

TEST(DigestAdmission, OnlyTheConfiguredMethodsAreChallenged) {
  DigestFixture f;
  EXPECT_TRUE(f.admission->challenges(request("INVITE", {})));
  EXPECT_TRUE(f.admission->challenges(request("REGISTER", {})));
  EXPECT_FALSE(f.admission->challenges(request("OPTIONS", {})));
  EXPECT_FALSE(f.admission->challenges(request("MESSAGE", {})));
}

TEST(DigestAdmission, TheRegistrarChallenges401AndTheProxy407OnePerAlgorithm) {
  DigestFixture f;
  const auto reg = f.admission->challenge(kNow, request("REGISTER", {}), AuthResult{});
  EXPECT_EQ(reg.status, 401);
  ASSERT_EQ(reg.headers.size(), 2u);  // SHA-256, then MD5
  EXPECT_EQ(reg.headers[0].name, "WWW-Authenticate");
  EXPECT_NE(reg.headers[0].value.find("SHA-256"), std::string::npos);
  const auto inv = f.admission->challenge(kNow, request("INVITE", {}), AuthResult{});
  EXPECT_EQ(inv.status, 407);
  EXPECT_EQ(inv.headers.at(0).name, "Proxy-Authenticate");
  EXPECT_EQ(inv.headers.at(0).value.find("stale"), std::string::npos);
  EXPECT_EQ(f.counters.challenged, 2u);
}

TEST(DigestAdmission, AStaleNonceIsChallengedWithStaleAndARefusalIs403) {
  DigestFixture f;
  AuthResult stale;
  stale.outcome = DigestOutcome::Stale;
  EXPECT_NE(f.admission->challenge(kNow, request("INVITE", {}), stale).headers.at(0).value.find("stale=true"),
            std::string::npos);
  AuthResult locked;
  locked.refusal = AuthResult::Refusal::Locked;
  const auto refused = f.admission->challenge(kNow, request("INVITE", {}), locked);
  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(refused.headers.empty());
  EXPECT_EQ(f.counters.forbidden, 1u);
  EXPECT_EQ(f.counters.challenged, 1u);
}

TEST(DigestAdmission, ARegisterIsCheckedByItsAuthorizationAndAnInviteByItsProxyAuthorization) {
  DigestFixture f;
  const std::string reg_credentials = f.answer("REGISTER", "secret");
  EXPECT_TRUE(
      f.admission->check(kNow, request("REGISTER", {{"Authorization", reg_credentials}}), kOutsider, true)
          .is_ok());
  const auto wrong_header = f.admission->check(
      kNow, request("REGISTER", {{"Proxy-Authorization", f.answer("REGISTER", "secret")}}), kOutsider, true);
  EXPECT_EQ(wrong_header.outcome, DigestOutcome::NoCredentials);
  const auto invite = f.admission->check(
      kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "secret")}}), kOutsider, true);
  EXPECT_TRUE(invite.is_ok());
  EXPECT_EQ(invite.username, "2001");
  EXPECT_TRUE(f.trace.contains("auth.checked"));
}

TEST(DigestAdmission, CredentialsForAnotherRealmAreNone) {
  DigestFixture f;
  std::string other = f.answer("INVITE", "secret");
  other.replace(other.find("office.example"), std::string("office.example").size(), "itsp.example");
  EXPECT_EQ(
      f.admission->check(kNow, request("INVITE", {{"Proxy-Authorization", other}}), kOutsider, true).outcome,
      DigestOutcome::NoCredentials);
}

TEST(DigestAdmission, OnlyAnUntrustedSourceIsLockedOut) {
  DigestFixture f(/*max_failures=*/1);
  for (int i = 0; i < 3; ++i) {  // from a source that is not guarded: never locked
    auto r =
        f.admission->check(kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "guess")}}),
                           kOutsider, /*untrusted=*/false);
    EXPECT_EQ(r.refusal, AuthResult::Refusal::None);
  }
  EXPECT_EQ(f.counters.auth_failures, 0u);
  for (int i = 0; i < 2; ++i) {
    (void)f.admission->check(kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "guess")}}),
                             kOutsider, /*untrusted=*/true);
  }
  EXPECT_EQ(f.counters.auth_failures, 2u);
  EXPECT_EQ(f.counters.auth_lockouts, 1u);
  const auto locked = f.admission->check(
      kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "secret")}}), kOutsider, true);
  EXPECT_EQ(locked.refusal, AuthResult::Refusal::Locked);
  EXPECT_FALSE(locked.is_ok());
  EXPECT_EQ(f.counters.auth_locked_refusals, 1u);
}

TEST(DigestAdmission, TheFromMayBeTheUserOrOneOfItsAliasesButNobodyElse) {
  DigestFixture f;
  EXPECT_TRUE(
      f.admission
          ->check(kNow,
                  request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "secret")}}, "441344784900"),
                  kOutsider, true)
          .is_ok());
  const auto other = f.admission->check(
      kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "secret")}}, "2003"), kOutsider,
      true);
  EXPECT_EQ(other.refusal, AuthResult::Refusal::FromMismatch);
  EXPECT_TRUE(f.trace.contains("security.from_mismatch"));
  // In a dialog the From is the dialog's, whoever sends the request.
  EXPECT_TRUE(
      f.admission
          ->check(kNow,
                  request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "secret")}}, "2003", "t1"),
                  kOutsider, true)
          .is_ok());
}

TEST(DigestAdmission, TheAckOfA2xxCarriesItsInvitesCredentials) {
  DigestFixture f(/*max_failures=*/1);
  const std::string credentials = f.answer("INVITE", "secret");
  ASSERT_TRUE(
      f.admission->check(kNow, request("INVITE", {{"Proxy-Authorization", credentials}}), kOutsider, true)
          .is_ok());
  // Used before (a replay to the digest) and for INVITE: the ACK of that INVITE's 2xx.
  EXPECT_TRUE(f.admission->ack_authenticated(kNow, request("ACK", {{"Proxy-Authorization", credentials}}),
                                             kOutsider));
  EXPECT_FALSE(f.admission->ack_authenticated(kNow, request("ACK", {}), kOutsider));
  EXPECT_FALSE(f.admission->ack_authenticated(
      kNow, request("ACK", {{"Proxy-Authorization", f.answer("INVITE", "guess")}}), kOutsider));
  // A locked-out pair's ACK is no better than its INVITE.
  for (int i = 0; i < 2; ++i) {
    (void)f.admission->check(kNow, request("INVITE", {{"Proxy-Authorization", f.answer("INVITE", "guess")}}),
                             kOutsider, true);
  }
  EXPECT_FALSE(f.admission->ack_authenticated(kNow, request("ACK", {{"Proxy-Authorization", credentials}}),
                                              kOutsider));
}

}  // namespace
}  // namespace resproxy::security
