// The admission stage alone (stages/admission_stage.h): who a request's sender is for the
// routing tables, and when its digest credentials get it a challenge or a refusal instead.
#include "proxy/routing/stages/admission_stage.h"

#include "proxy/base/rng.h"
#include "proxy/native/openssl_crypto.h"
#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

const Address kGateway{"192.168.1.50", 5070};

struct NoAliases final : security::UserAliases {
  std::string_view resolve_alias(std::string_view user) const override { return user; }
};

struct AdmissionFixture {
  explicit AdmissionFixture(security::SourceAdmissionConfig trust = {}, std::uint32_t max_failures = 5) {
    security::DigestAdmissionConfig dc;
    dc.realm = "office.example";
    dc.users = {{"2001", "secret"}};
    dc.algorithms = {security::DigestAlgorithm::Md5};
    dc.guard.max_failures = max_failures;
    sources.emplace(std::move(trust), rng, trace, counters);
    classifier.emplace(gateway, itsp, *sources);
    digest = security::DigestAdmission::create(std::move(dc), rng, native::openssl_crypto(), aliases, trace,
                                               counters);
    gateway.address = kGateway;
    gateway.from_action = GatewayFromAction::Auth;
    stage.emplace(AdmissionStage{*classifier, digest, *sources, emergency, state, trace});
  }

  // The Proxy-Authorization that answers a fresh challenge for `ruri` as `user`.
  std::string credentials(std::string_view method, std::string_view ruri, std::string_view user,
                          std::string_view password) {
    auto none = input(method, ruri, kOutsider);
    security::AuthResult nothing;
    auto challenge = digest->challenge(kNow, none.request, nothing);
    auto answer = security::answer_challenge(native::openssl_crypto(), challenge.headers.at(0).value, method,
                                             ruri, user, password, "cn" + std::to_string(++cnonce), 1);
    counters.challenged = 0;
    if (!answer) {
      ADD_FAILURE() << "no answer to " << challenge.headers.at(0).value;
      return {};
    }
    return std::move(answer).value();
  }

  SeededRng rng{5};
  RecordingTraceSink trace;
  security::AdmissionCounters counters;
  PstnGateway gateway;
  std::unique_ptr<ItspMonitor> itsp;  // standalone: none
  NoAliases aliases;
  std::vector<std::string> emergency{"112"};
  RequestState state{.unverified = true, .source = {}, .authenticated_user = {}};
  std::optional<security::SourceAdmission> sources;
  std::optional<SourceClassifier> classifier;
  std::optional<security::DigestAdmission> digest;
  std::optional<AdmissionStage> stage;
  int cnonce = 0;
};

TEST(AdmissionStage, ATrustedSourceIsAnEndpointAndItsCredentialsAreNotLookedAt) {
  AdmissionFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone, {{"Proxy-Authorization", "Digest garbage"}});
  const auto d = f.stage->run(in.context);
  EXPECT_EQ(d.next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Endpoint);
  EXPECT_FALSE(f.trace.contains("auth.checked"));
}

TEST(AdmissionStage, AnUntrustedSourceWithoutCredentialsGoesOnUntrustedForTheTables) {
  AdmissionFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kOutsider);
  in.context.source = SourceClass::Endpoint;  // whatever it was: the stage says
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Untrusted);
  EXPECT_EQ(f.counters.challenged, 0u);
  EXPECT_TRUE(f.state.unverified);
}

TEST(AdmissionStage, GoodCredentialsMakeAnAuthenticatedEndpointAndVerifyTheSource) {
  AdmissionFixture f;
  const std::string ruri = "sip:2002@office.example";
  auto in = input("INVITE", ruri, kOutsider,
                  {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "secret")}});
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Endpoint);
  EXPECT_FALSE(f.state.unverified);  // its answers may be stateful
  EXPECT_EQ(f.state.authenticated_user, "2001");
}

TEST(AdmissionStage, AWrongPasswordIsChallengedAgainWith407) {
  AdmissionFixture f;
  const std::string ruri = "sip:2002@office.example";
  auto in = input("INVITE", ruri, kOutsider,
                  {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "guess")}});
  const auto d = f.stage->run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 407);
  EXPECT_NE(header_of(d, "Proxy-Authenticate").find("realm=\"office.example\""), std::string::npos);
  EXPECT_FALSE(d.statelessly);  // the node answers statelessly while the source is unverified
  EXPECT_TRUE(f.state.unverified);
  EXPECT_EQ(f.counters.challenged, 1u);
  EXPECT_EQ(f.counters.auth_failures, 1u);
}

TEST(AdmissionStage, ALockedOutPairIsRefused403EvenWithTheRightPassword) {
  AdmissionFixture f({}, /*max_failures=*/1);
  const std::string ruri = "sip:2002@office.example";
  for (int i = 0; i < 2; ++i) {  // one free wrong answer, the next locks the pair
    auto wrong = input("INVITE", ruri, kOutsider,
                       {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "guess")}});
    EXPECT_EQ(f.stage->run(wrong.context).status, 407);
  }
  auto right = input("INVITE", ruri, kOutsider,
                     {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "secret")}});
  const auto d = f.stage->run(right.context);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(f.counters.auth_locked_refusals, 1u);
  EXPECT_TRUE(f.trace.contains("security.auth_locked"));
}

TEST(AdmissionStage, GoodCredentialsFromAnotherUserThanTheFromAre403) {
  AdmissionFixture f;
  const std::string ruri = "sip:2002@office.example";
  auto in = input("INVITE", ruri, kOutsider,
                  {{"From", "<sip:2003@office.example>;tag=f1"},
                   {"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "secret")}});
  EXPECT_EQ(f.stage->run(in.context).status, 403);
  EXPECT_TRUE(f.state.authenticated_user.empty());
}

TEST(AdmissionStage, AMethodThatIsNotChallengedIsNotChecked) {
  AdmissionFixture f;
  auto in = input("MESSAGE", "sip:2002@office.example", kOutsider,
                  {{"Proxy-Authorization", "Digest username=\"2001\""}});
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Untrusted);
  EXPECT_FALSE(f.trace.contains("auth.checked"));
}

TEST(AdmissionStage, WithoutAuthUsersNobodyIsChallenged) {
  AdmissionFixture f;
  f.digest.reset();
  auto in =
      input("INVITE", "sip:2002@office.example", kOutsider, {{"Proxy-Authorization", "Digest garbage"}});
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Untrusted);
}

TEST(AdmissionStage, AnEmergencyCallFromTheLanGoesOnWhateverItsCredentialsSay) {
  security::SourceAdmissionConfig trust;
  trust.trust_defaults = false;  // the phone is not trusted, but it is on the LAN
  trust.lan.push_back(*security::IpRange::parse("192.168.1.0/24"));
  AdmissionFixture f(std::move(trust));
  const std::string ruri = "sip:112@office.example";
  auto in = input("INVITE", ruri, kPhone,
                  {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "stale")}});
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Untrusted);  // the exit rule lets it reach the gateway
  const auto* bypass = f.trace.find("security.emergency_auth_bypassed");
  ASSERT_NE(bypass, nullptr);
  EXPECT_EQ(bypass->field("outcome"), "bad_response");
  // The same from outside the LAN: asked again.
  auto outside = input("INVITE", ruri, kOutsider,
                       {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "stale")}});
  EXPECT_EQ(f.stage->run(outside.context).status, 407);
}

TEST(AdmissionStage, AGatewayThatMustAuthenticateIsTheGatewayOnceItDid) {
  AdmissionFixture f;
  const std::string ruri = "sip:2002@office.example";
  auto none = input("INVITE", ruri, kGateway);
  EXPECT_EQ(f.stage->run(none.context).next, Next::Continue);
  EXPECT_EQ(none.context.source, SourceClass::Untrusted);
  auto in = input("INVITE", ruri, kGateway,
                  {{"Proxy-Authorization", f.credentials("INVITE", ruri, "2001", "secret")}});
  EXPECT_EQ(f.stage->run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.source, SourceClass::Gateway);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
