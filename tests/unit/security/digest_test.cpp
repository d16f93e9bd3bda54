// Digest authentication: RFC 7616 / RFC 2617 test vectors, the challenge format, every
// DigestOutcome, replay protection and its memory bound, header parsing edge cases and the
// client-side answer_challenge(). Time is a hand clock: TimePoints built directly.
#include "proxy/native/openssl_crypto.h"
#include "proxy/security/digest.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::security {

// Readable gtest failure messages (found by ADL).
void PrintTo(DigestOutcome outcome, std::ostream* os) { *os << to_string(outcome); }
void PrintTo(DigestParseError error, std::ostream* os) { *os << to_string(error); }
void PrintTo(DigestConfigError error, std::ostream* os) { *os << to_string(error); }
void PrintTo(DigestAlgorithm algorithm, std::ostream* os) { *os << to_string(algorithm); }

namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::string_view kRealm = "pbx.example";
constexpr std::string_view kUri = "sip:pbx.example";
const TimePoint kT0 = from_ns(1'000'000'000'000);  // 1000 s after the runtime's epoch

DigestConfig test_config() {
  DigestConfig config;
  config.realm = std::string(kRealm);
  DigestUser alice;
  alice.username = "1001";
  alice.password = "secret-1001";
  DigestUser quoted;
  quoted.username = "a\"b\\c";  // needs escaping in both directions
  quoted.password = "p, \"q\"";
  config.users = {alice, quoted};
  return config;
}

DigestAuthenticator make_authenticator(DigestConfig config, Rng& rng) {
  auto created = DigestAuthenticator::create(std::move(config), rng, native::openssl_crypto());
  EXPECT_TRUE(created.has_value());
  return std::move(created).value();
}

// Replaces the first occurrence of `from` (which must be there) by `to`.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The value of the quoted parameter `name` in a header value we produced.
std::string quoted_param(std::string_view value, std::string_view name) {
  const std::string key = std::string(name) + "=\"";
  const auto at = value.find(key);
  if (at == std::string_view::npos) return {};
  const auto start = at + key.size();
  return std::string(value.substr(start, value.find('"', start) - start));
}

// Decimal text of n >= 0. (std::to_string here trips a g++ 12 -O2 -Wrestrict false positive.)
std::string decimal(int n) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + n % 10));
    n /= 10;
  } while (n > 0);
  return digits;
}

// Users "2000", "2001", … with passwords "pw0", "pw1", …
std::vector<DigestUser> numbered_users(int count) {
  std::vector<DigestUser> users(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    users[static_cast<std::size_t>(i)].username = decimal(2000 + i);
    users[static_cast<std::size_t>(i)].password = "pw" + decimal(i);
  }
  return users;
}

struct DigestFixture : ::testing::Test {
  SeededRng rng{7};
  DigestAuthenticator auth = make_authenticator(test_config(), rng);

  // The first (SHA-256) challenge issued at `at`.
  std::string challenge_at(TimePoint at, bool stale = false) {
    return auth.challenge(at, rng, stale).front();
  }
  std::string answer(std::string_view challenge, std::uint32_t nc = 1,
                     std::string_view user = "1001", std::string_view password = "secret-1001",
                     std::string_view method = "REGISTER") {
    auto value = answer_challenge(native::openssl_crypto(), challenge, method, kUri, user, password, "0a4f113b", nc);
    EXPECT_TRUE(value.has_value());
    return value.has_value() ? value.value() : std::string{};
  }
  DigestOutcome verify(TimePoint at, std::string_view credentials,
                       std::string_view method = "REGISTER") {
    return auth.verify(at, method, credentials).outcome;
  }
};

// ---- test vectors ----------------------------------------------------------------------------

DigestResponseInput rfc7616_example(DigestAlgorithm algorithm) {
  DigestResponseInput in;
  in.algorithm = algorithm;
  in.username = "Mufasa";
  in.realm = "http-auth@example.org";
  in.password = "Circle of Life";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  in.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  in.nc = "00000001";
  in.qop = "auth";
  return in;
}

DigestResponseInput rfc2617_example(DigestAlgorithm algorithm) {
  DigestResponseInput in;
  in.algorithm = algorithm;
  in.username = "Mufasa";
  in.realm = "testrealm@host.com";
  in.password = "Circle Of Life";
  in.method = "GET";
  in.uri = "/dir/index.html";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.cnonce = "0a4f113b";
  in.nc = "00000001";
  in.qop = "auth";
  return in;
}

// RFC 3261 §22.4: the digest-uri must be the Request-URI: credentials computed for one request
// (say a call to an extension) are no pass for another (a call to a premium number).
TEST(DigestAuthenticatorUri, CredentialsForAnotherRequestUriAreRefused) {
  SeededRng rng(5);
  DigestConfig config;
  config.realm = "pbx.example";
  config.users.push_back({"1001", "secret-1001"});
  auto created = DigestAuthenticator::create(config, rng, native::openssl_crypto());
  ASSERT_TRUE(created.has_value());
  auto auth = std::move(created).value();
  const TimePoint t0{std::chrono::hours(1)};
  const auto challenge = auth.challenge(t0, rng, false).at(0);
  const auto for_extension = answer_challenge(native::openssl_crypto(), challenge, "INVITE", "sip:2001@pbx.example", "1001",
                                              "secret-1001", "c1", 1);
  ASSERT_TRUE(for_extension.has_value());
  EXPECT_EQ(auth.verify(t0, "INVITE", *for_extension, "sip:0900123456@pbx.example").outcome,
            DigestOutcome::UriMismatch);
  // The same credentials for their own Request-URI (written another way: §19.1.4 equality).
  EXPECT_EQ(auth.verify(t0, "INVITE", *for_extension, "sip:2001@PBX.example").outcome,
            DigestOutcome::Ok);
}

TEST(DigestResponse, MatchesRfc7616Md5Example) {
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), rfc7616_example(DigestAlgorithm::Md5)),
            "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(DigestResponse, MatchesRfc7616Sha256Example) {
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), rfc7616_example(DigestAlgorithm::Sha256)),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestResponse, MatchesRfc2617Example) {
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), rfc2617_example(DigestAlgorithm::Md5)),
            "6629fae49393a05397450978507c4ef1");
}

// Expected values below were computed independently (Python hashlib) from the RFC formulas.
TEST(DigestResponse, WithoutQopUsesRfc2069Formula) {
  auto in = rfc2617_example(DigestAlgorithm::Md5);
  in.qop = "";
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), in), "670fd8c2df070c60b045671b8b24ff02");
}

TEST(DigestResponse, SessVariantsHashNonceAndCnonceIntoHa1) {
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), rfc2617_example(DigestAlgorithm::Md5Sess)),
            "8e3825c57e897f5a0dec6c2d4e5059d0");
  EXPECT_EQ(compute_digest_response(native::openssl_crypto(), rfc2617_example(DigestAlgorithm::Sha256Sess)),
            "b8822e12417cb7750f4e2b8515f0dcf25b7dd26993e80bee1426201446a7f59b");
}

TEST(DigestHash, IsLowerCaseHexOfTheRightHash) {
  EXPECT_EQ(digest_hash(native::openssl_crypto(), DigestAlgorithm::Md5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(digest_hash(native::openssl_crypto(), DigestAlgorithm::Sha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestAlgorithmToken, ParsesCaseInsensitivelyAndRoundTrips) {
  EXPECT_EQ(parse_digest_algorithm("sha-256"), DigestAlgorithm::Sha256);
  EXPECT_EQ(parse_digest_algorithm("md5"), DigestAlgorithm::Md5);
  EXPECT_EQ(parse_digest_algorithm("MD5-SESS"), DigestAlgorithm::Md5Sess);
  EXPECT_EQ(parse_digest_algorithm("SHA-256-sess"), DigestAlgorithm::Sha256Sess);
  EXPECT_EQ(parse_digest_algorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(parse_digest_algorithm(""), std::nullopt);
  EXPECT_EQ(to_string(DigestAlgorithm::Sha256), "SHA-256");
}

// ---- client side -----------------------------------------------------------------------------

TEST(AnswerChallenge, ReproducesRfc7616Sha256Example) {
  const std::string challenge =
      "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, "
      "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
      "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
  const auto value = answer_challenge(native::openssl_crypto(), challenge, "GET", "/dir/index.html", "Mufasa",
                                      "Circle of Life",
                                      "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value.value(),
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
            "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", "
            "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
            "algorithm=SHA-256, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
            "qop=auth, nc=00000001, opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
}

TEST(AnswerChallenge, Rfc2069ChallengeGetsNoQopCnonceOrNc) {
  const auto value = answer_challenge(native::openssl_crypto(), 
      "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
      "GET", "/dir/index.html", "Mufasa", "Circle Of Life", "0a4f113b", 1);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value.value(),
            "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
            "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
            "response=\"670fd8c2df070c60b045671b8b24ff02\", algorithm=MD5");
}

TEST(AnswerChallenge, FormatsNcAsEightHexDigits) {
  const auto value = answer_challenge(native::openssl_crypto(), "Digest realm=\"r\", nonce=\"n\", qop=\"auth\"", "INVITE",
                                      "sip:x@y", "u", "p", "c", 0x1a2b);
  ASSERT_TRUE(value.has_value());
  EXPECT_NE(value.value().find(", nc=00001a2b"), std::string::npos) << value.value();
}

TEST(AnswerChallenge, RefusesWhatItCannotAnswer) {
  EXPECT_EQ(answer_challenge(native::openssl_crypto(), "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", "GET",
                             "/", "u", "p", "c", 1)
                .error(),
            DigestParseError::UnsupportedAlgorithm);
  EXPECT_EQ(answer_challenge(native::openssl_crypto(), "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", "GET", "/",
                             "u", "p", "c", 1)
                .error(),
            DigestParseError::UnsupportedQop);
  EXPECT_EQ(answer_challenge(native::openssl_crypto(), "Digest realm=\"r\"", "GET", "/", "u", "p", "c", 1).error(),
            DigestParseError::Malformed);
  EXPECT_EQ(answer_challenge(native::openssl_crypto(), "Basic realm=\"r\"", "GET", "/", "u", "p", "c", 1).error(),
            DigestParseError::NotDigest);
}

// ---- challenge -------------------------------------------------------------------------------

TEST_F(DigestFixture, ChallengeOffersSha256ThenMd5WithOneNonce) {
  const auto values = auth.challenge(kT0, rng, /*stale=*/false);
  ASSERT_EQ(values.size(), 2u);
  const std::string nonce = quoted_param(values[0], "nonce");
  ASSERT_EQ(nonce.size(), 64u);
  EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(auth.opaque().size(), 16u);
  EXPECT_EQ(values[0], "Digest realm=\"pbx.example\", qop=\"auth\", algorithm=SHA-256, nonce=\"" +
                           nonce + "\", opaque=\"" + auth.opaque() + "\"");
  EXPECT_EQ(values[1], "Digest realm=\"pbx.example\", qop=\"auth\", algorithm=MD5, nonce=\"" +
                           nonce + "\", opaque=\"" + auth.opaque() + "\"");
}

TEST_F(DigestFixture, StaleChallengeSaysSo) {
  const auto values = auth.challenge(kT0, rng, /*stale=*/true);
  ASSERT_EQ(values.size(), 2u);
  for (const auto& value : values) {
    const auto parsed = parse_digest_challenge(value);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_TRUE(parsed->stale);
    EXPECT_TRUE(parsed->has_qop);
    EXPECT_EQ(parsed->realm, kRealm);
    EXPECT_EQ(parsed->opaque, auth.opaque());
  }
  EXPECT_EQ(parse_digest_challenge(values[0])->algorithm, DigestAlgorithm::Sha256);
  EXPECT_EQ(parse_digest_challenge(values[1])->algorithm, DigestAlgorithm::Md5);
  EXPECT_FALSE(parse_digest_challenge(challenge_at(kT0))->stale);
}

TEST_F(DigestFixture, EveryChallengeHasAFreshNonce) {
  EXPECT_NE(quoted_param(challenge_at(kT0), "nonce"), quoted_param(challenge_at(kT0), "nonce"));
}

TEST(DigestAuthenticator, SameSeedGivesSameChallenges) {
  SeededRng a{99};
  SeededRng b{99};
  auto first = make_authenticator(test_config(), a);
  auto second = make_authenticator(test_config(), b);
  EXPECT_EQ(first.challenge(kT0, a, false), second.challenge(kT0, b, false));
}

TEST(DigestAuthenticator, OffersOnlyTheConfiguredAlgorithmsInOrder) {
  SeededRng rng{1};
  auto config = test_config();
  config.algorithms = {DigestAlgorithm::Md5};
  auto auth = make_authenticator(std::move(config), rng);
  const auto values = auth.challenge(kT0, rng, false);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(parse_digest_challenge(values[0])->algorithm, DigestAlgorithm::Md5);
}

// ---- verify: outcomes ------------------------------------------------------------------------

TEST_F(DigestFixture, RoundTripSha256IsOk) {
  const auto verdict = auth.verify(kT0 + seconds(1), "REGISTER", answer(challenge_at(kT0)));
  EXPECT_EQ(verdict.outcome, DigestOutcome::Ok);
  EXPECT_TRUE(verdict.is_ok());
  EXPECT_EQ(verdict.username, "1001");
  EXPECT_EQ(verdict.algorithm, DigestAlgorithm::Sha256);
  EXPECT_EQ(auth.tracked_nonce_count(), 1u);
}

TEST_F(DigestFixture, RoundTripMd5IsOk) {
  const auto values = auth.challenge(kT0, rng, false);
  const auto verdict = auth.verify(kT0, "INVITE", answer(values[1], 1, "1001", "secret-1001",
                                                         "INVITE"));
  EXPECT_EQ(verdict.outcome, DigestOutcome::Ok);
  EXPECT_EQ(verdict.algorithm, DigestAlgorithm::Md5);
}

TEST_F(DigestFixture, UsernameAndPasswordWithQuotesAndBackslashesRoundTrip) {
  const auto verdict =
      auth.verify(kT0, "REGISTER", answer(challenge_at(kT0), 1, "a\"b\\c", "p, \"q\""));
  EXPECT_EQ(verdict.outcome, DigestOutcome::Ok);
  EXPECT_EQ(verdict.username, "a\"b\\c");
}

TEST(DigestAuthenticator, SessAlgorithmRoundTrips) {
  SeededRng rng{3};
  auto config = test_config();
  config.algorithms = {DigestAlgorithm::Sha256Sess};
  auto auth = make_authenticator(std::move(config), rng);
  const auto value = answer_challenge(native::openssl_crypto(), auth.challenge(kT0, rng, false).front(), "REGISTER", kUri,
                                      "1001", "secret-1001", "cn", 1);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(auth.verify(kT0, "REGISTER", value.value()).outcome, DigestOutcome::Ok);
}

TEST_F(DigestFixture, MissingOrForeignCredentialsAreNoCredentials) {
  EXPECT_EQ(verify(kT0, ""), DigestOutcome::NoCredentials);
  EXPECT_EQ(verify(kT0, "   "), DigestOutcome::NoCredentials);
  EXPECT_EQ(verify(kT0, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), DigestOutcome::NoCredentials);
  EXPECT_EQ(verify(kT0, "Digestusername=\"1001\""), DigestOutcome::NoCredentials);
}

TEST_F(DigestFixture, UnknownUserIsRejected) {
  const auto verdict = auth.verify(kT0, "REGISTER", answer(challenge_at(kT0), 1, "9999", "x"));
  EXPECT_EQ(verdict.outcome, DigestOutcome::UnknownUser);
  EXPECT_EQ(verdict.username, "9999");
}

TEST_F(DigestFixture, UsernameIsCaseSensitive) {
  auto config = test_config();
  config.users[0].username = "alice";
  auto strict = make_authenticator(std::move(config), rng);
  const auto value = answer_challenge(native::openssl_crypto(), strict.challenge(kT0, rng, false).front(), "REGISTER", kUri,
                                      "Alice", "secret-1001", "c", 1);
  EXPECT_EQ(strict.verify(kT0, "REGISTER", value.value()).outcome, DigestOutcome::UnknownUser);
}

TEST_F(DigestFixture, WrongPasswordIsBadResponse) {
  EXPECT_EQ(verify(kT0, answer(challenge_at(kT0), 1, "1001", "guess")),
            DigestOutcome::BadResponse);
  EXPECT_EQ(auth.tracked_nonce_count(), 0u);
}

TEST_F(DigestFixture, ResponseForAnotherMethodIsBadResponse) {
  EXPECT_EQ(verify(kT0, answer(challenge_at(kT0)), "INVITE"), DigestOutcome::BadResponse);
}

TEST_F(DigestFixture, TamperedUriIsBadResponse) {
  const std::string value = replaced(answer(challenge_at(kT0)), "uri=\"sip:pbx.example\"",
                                     "uri=\"sip:evil.example\"");
  EXPECT_EQ(verify(kT0, value), DigestOutcome::BadResponse);
}

TEST_F(DigestFixture, UpperCaseResponseHexIsAccepted) {
  std::string value = answer(challenge_at(kT0));
  const std::string response = quoted_param(value, "response");
  std::string upper = response;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, response);
  EXPECT_EQ(verify(kT0, replaced(value, response, upper)), DigestOutcome::Ok);
}

TEST_F(DigestFixture, OtherRealmIsRealmMismatch) {
  const std::string value =
      replaced(answer(challenge_at(kT0)), "realm=\"pbx.example\"", "realm=\"other.example\"");
  EXPECT_EQ(verify(kT0, value), DigestOutcome::RealmMismatch);
}

TEST_F(DigestFixture, NonceIsStaleAtItsLifetime) {
  const std::string value = answer(challenge_at(kT0));
  EXPECT_EQ(verify(kT0 + seconds(300), value), DigestOutcome::Stale);
  EXPECT_TRUE(wants_stale_challenge(DigestOutcome::Stale));
}

TEST_F(DigestFixture, NonceIsGoodJustBeforeItsLifetime) {
  const std::string value = answer(challenge_at(kT0));
  EXPECT_EQ(verify(kT0 + seconds(300) - nanoseconds(1), value), DigestOutcome::Ok);
}

TEST_F(DigestFixture, ConfiguredLifetimeIsHonoured) {
  auto config = test_config();
  config.nonce_lifetime = seconds(30);
  auto short_lived = make_authenticator(std::move(config), rng);
  const auto value = answer_challenge(native::openssl_crypto(), short_lived.challenge(kT0, rng, false).front(), "REGISTER",
                                      kUri, "1001", "secret-1001", "c", 1);
  EXPECT_EQ(short_lived.verify(kT0 + seconds(30), "REGISTER", value.value()).outcome,
            DigestOutcome::Stale);
}

TEST_F(DigestFixture, ExpiredNonceWithWrongPasswordIsBadResponseNotStale) {
  // RFC 7616 §3.3: stale=true only for a client that knows the password.
  const std::string value = answer(challenge_at(kT0), 1, "1001", "guess");
  EXPECT_EQ(verify(kT0 + seconds(301), value), DigestOutcome::BadResponse);
}

TEST_F(DigestFixture, StaleThenFreshNonceSucceeds) {
  EXPECT_EQ(verify(kT0 + seconds(400), answer(challenge_at(kT0))), DigestOutcome::Stale);
  const auto retry = auth.challenge(kT0 + seconds(400), rng, /*stale=*/true).front();
  EXPECT_EQ(verify(kT0 + seconds(400), answer(retry)), DigestOutcome::Ok);
}

TEST_F(DigestFixture, SameNcTwiceIsReplay) {
  const std::string challenge = challenge_at(kT0);
  EXPECT_EQ(verify(kT0, answer(challenge, 1)), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0 + seconds(1), answer(challenge, 1)), DigestOutcome::Replay);
  EXPECT_TRUE(wants_stale_challenge(DigestOutcome::Replay));
}

TEST_F(DigestFixture, HigherNcIsAcceptedAndLowerAfterwardsIsReplay) {
  const std::string challenge = challenge_at(kT0);
  EXPECT_EQ(verify(kT0, answer(challenge, 1)), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0, answer(challenge, 2)), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0, answer(challenge, 5)), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0, answer(challenge, 5)), DigestOutcome::Replay);
  EXPECT_EQ(verify(kT0, answer(challenge, 3)), DigestOutcome::Replay);
  EXPECT_EQ(verify(kT0, answer(challenge, 6)), DigestOutcome::Ok);
  EXPECT_EQ(auth.tracked_nonce_count(), 1u);
}

TEST_F(DigestFixture, NcZeroIsReplay) {
  EXPECT_EQ(verify(kT0, answer(challenge_at(kT0), 0)), DigestOutcome::Replay);
}

TEST_F(DigestFixture, FailedAttemptDoesNotConsumeTheNc) {
  const std::string challenge = challenge_at(kT0);
  EXPECT_EQ(verify(kT0, answer(challenge, 1, "1001", "guess")), DigestOutcome::BadResponse);
  EXPECT_EQ(verify(kT0, answer(challenge, 1)), DigestOutcome::Ok);
}

TEST_F(DigestFixture, NoncesAreTrackedSeparately) {
  const std::string first = challenge_at(kT0);
  const std::string second = challenge_at(kT0);
  EXPECT_EQ(verify(kT0, answer(first, 1)), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0, answer(second, 1)), DigestOutcome::Ok);
  EXPECT_EQ(auth.tracked_nonce_count(), 2u);
}

// The RFC 2069 answer (no qop: no cnonce, no nc) for `challenge`, user 1001.
std::string rfc2069_answer(const std::string& nonce) {
  DigestResponseInput in;
  in.algorithm = DigestAlgorithm::Md5;
  in.username = "1001";
  in.realm = kRealm;
  in.password = "secret-1001";
  in.method = "REGISTER";
  in.uri = kUri;
  in.nonce = nonce;
  return "Digest username=\"1001\", realm=\"pbx.example\", nonce=\"" + nonce +
         "\", uri=\"sip:pbx.example\", response=\"" + compute_digest_response(native::openssl_crypto(), in) + "\"";
}

TEST_F(DigestFixture, Rfc2069FormIsRefusedWhileQopIsRequired) {
  const std::string nonce = quoted_param(challenge_at(kT0), "nonce");
  EXPECT_EQ(verify(kT0, rfc2069_answer(nonce)), DigestOutcome::QopMissing);
  EXPECT_EQ(to_sip_status(DigestOutcome::QopMissing, true), 407);
  EXPECT_FALSE(wants_stale_challenge(DigestOutcome::QopMissing));
  EXPECT_EQ(auth.tracked_nonce_count(), 0u);
}

TEST(DigestAuthenticator, Rfc2069FormIsAcceptedOncePerNonceWhenAllowed) {
  SeededRng rng{7};
  auto config = test_config();
  config.require_qop = false;
  auto auth = make_authenticator(std::move(config), rng);
  const std::string nonce = quoted_param(auth.challenge(kT0, rng, false).front(), "nonce");
  const std::string value = rfc2069_answer(nonce);
  EXPECT_EQ(auth.verify(kT0, "REGISTER", value).outcome, DigestOutcome::Ok);
  EXPECT_EQ(auth.verify(kT0, "REGISTER", value).outcome, DigestOutcome::Replay);
}

TEST_F(DigestFixture, ForgedNonceIsBadNonce) {
  // A well-formed nonce we never issued; the client knows the password and computes over it.
  const std::string forged(64, 'a');
  const std::string challenge = "Digest realm=\"pbx.example\", qop=\"auth\", algorithm=SHA-256, "
                                "nonce=\"" + forged + "\", opaque=\"" + auth.opaque() + "\"";
  EXPECT_EQ(verify(kT0, answer(challenge)), DigestOutcome::BadNonce);
  EXPECT_TRUE(wants_stale_challenge(DigestOutcome::BadNonce));
}

TEST_F(DigestFixture, TamperedNonceIsBadNonce) {
  const std::string challenge = challenge_at(kT0);
  const std::string nonce = quoted_param(challenge, "nonce");
  // Move the issue time (first 8 bytes) forward: would extend the lifetime if not MAC'd.
  std::string later = nonce;
  later[13] = later[13] == 'f' ? 'e' : 'f';
  EXPECT_EQ(verify(kT0, answer(replaced(challenge, nonce, later))), DigestOutcome::BadNonce);
  // Flip the last MAC digit.
  std::string bad_mac = nonce;
  bad_mac[63] = bad_mac[63] == '0' ? '1' : '0';
  EXPECT_EQ(verify(kT0, answer(replaced(challenge, nonce, bad_mac))), DigestOutcome::BadNonce);
}

TEST_F(DigestFixture, NonceOfAnotherFormatIsBadNonce) {
  const std::string challenge = challenge_at(kT0);
  const std::string nonce = quoted_param(challenge, "nonce");
  std::string upper = nonce;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& other :
       {upper, nonce.substr(0, 62), nonce + "00", std::string("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
        std::string("")}) {
    SCOPED_TRACE(other);
    EXPECT_EQ(verify(kT0, answer(replaced(challenge, "nonce=\"" + nonce + "\"",
                                          "nonce=\"" + other + "\""))),
              DigestOutcome::BadNonce);
  }
}

TEST_F(DigestFixture, NonceOfAnotherInstanceIsBadNonce) {
  SeededRng other_rng{8};
  auto other = make_authenticator(test_config(), other_rng);
  const std::string value = answer(other.challenge(kT0, other_rng, false).front());
  EXPECT_EQ(other.verify(kT0, "REGISTER", value).outcome, DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0, value), DigestOutcome::BadNonce);
}

TEST_F(DigestFixture, WrongOpaqueIsBadNonceAndMissingOpaqueIsTolerated) {
  const std::string value = answer(challenge_at(kT0));
  const std::string opaque = "opaque=\"" + auth.opaque() + "\"";
  EXPECT_EQ(verify(kT0, replaced(value, opaque, "opaque=\"0000000000000000\"")),
            DigestOutcome::BadNonce);
  EXPECT_EQ(verify(kT0, replaced(value, ", " + opaque, "")), DigestOutcome::Ok);
}

TEST_F(DigestFixture, NonceFromTheFutureIsBadNonce) {
  const std::string value = answer(challenge_at(kT0 + seconds(10)));
  EXPECT_EQ(verify(kT0, value), DigestOutcome::BadNonce);
}

TEST(DigestAuthenticator, AlgorithmNotOfferedIsMalformed) {
  SeededRng rng{5};
  auto config = test_config();
  config.algorithms = {DigestAlgorithm::Sha256};
  auto auth = make_authenticator(std::move(config), rng);
  const std::string challenge = auth.challenge(kT0, rng, false).front();
  const auto md5 = answer_challenge(native::openssl_crypto(), replaced(challenge, "algorithm=SHA-256", "algorithm=MD5"),
                                    "REGISTER", kUri, "1001", "secret-1001", "c", 1);
  ASSERT_TRUE(md5.has_value());
  EXPECT_EQ(auth.verify(kT0, "REGISTER", md5.value()).outcome, DigestOutcome::Malformed);
}

TEST_F(DigestFixture, AlgorithmTokenIsCaseInsensitive) {
  const std::string value = replaced(answer(challenge_at(kT0)), "algorithm=SHA-256",
                                     "algorithm=sha-256");
  EXPECT_EQ(verify(kT0, value), DigestOutcome::Ok);
}

TEST_F(DigestFixture, MalformedCredentialsAreMalformed) {
  const std::string good = answer(challenge_at(kT0));
  const std::string response = quoted_param(good, "response");
  struct Case {
    std::string name, value;
  };
  const std::vector<Case> cases = {
      {"scheme only", "Digest"},
      {"no username", replaced(good, "username=\"1001\", ", "")},
      {"no realm", replaced(good, "realm=\"pbx.example\", ", "")},
      {"no nonce", replaced(good, "nonce=\"" + quoted_param(good, "nonce") + "\", ", "")},
      {"no uri", replaced(good, "uri=\"sip:pbx.example\", ", "")},
      {"no response", replaced(good, "response=\"" + response + "\", ", "")},
      {"qop without nc", replaced(good, ", nc=00000001", "")},
      {"qop without cnonce", replaced(good, "cnonce=\"0a4f113b\", ", "")},
      {"nc too short", replaced(good, "nc=00000001", "nc=0000001")},
      {"nc not hex", replaced(good, "nc=00000001", "nc=0000000g")},
      {"response too short", replaced(good, response, response.substr(1))},
      {"response not hex", replaced(good, response, "z" + response.substr(1))},
      {"md5-length response for sha-256", replaced(good, response, response.substr(0, 32))},
      {"duplicate parameter", good + ", nc=00000002"},
      {"duplicate in other case", good + ", USERNAME=\"1001\""},
      {"unknown algorithm", replaced(good, "algorithm=SHA-256", "algorithm=SHA-512-256")},
      {"auth-int", replaced(good, "qop=auth", "qop=auth-int")},
      {"unterminated quote", replaced(good, "uri=\"sip:pbx.example\"", "uri=\"sip:pbx.example")},
      {"missing equals", replaced(good, "username=\"1001\"", "username \"1001\"")},
      {"missing value", replaced(good, "nc=00000001", "nc=")},
      {"junk after value", replaced(good, "username=\"1001\"", "username=\"1001\" x")},
      {"no name", replaced(good, "username=\"1001\"", "=\"1001\"")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(verify(kT0, c.value), DigestOutcome::Malformed) << c.value;
  }
  EXPECT_EQ(auth.tracked_nonce_count(), 0u);
}

TEST_F(DigestFixture, TooManyParametersIsMalformed) {
  std::string value = answer(challenge_at(kT0));
  for (int i = 0; i < 64; ++i) value += ", x" + decimal(i) + "=1";
  EXPECT_EQ(verify(kT0, value), DigestOutcome::Malformed);
}

TEST_F(DigestFixture, UnknownParametersAreIgnored) {
  const std::string value = answer(challenge_at(kT0)) + ", userhash=false, x-vendor=\"a,b\"";
  EXPECT_EQ(verify(kT0, value), DigestOutcome::Ok);
}

TEST_F(DigestFixture, ParametersInAnyOrderAnyCaseAndSpacing) {
  const std::string good = answer(challenge_at(kT0));
  const std::string nonce = quoted_param(good, "nonce");
  const std::string response = quoted_param(good, "response");
  const std::string shuffled = "digest  NC = 00000001 ,, Response=\"" + response +
                               "\",\r\n QOP=\"auth\", CNonce = \"0a4f113b\", Algorithm=SHA-256, "
                               "URI=\"sip:pbx.example\",Nonce=\"" + nonce +
                               "\",REALM=\"pbx.example\",\tUserName=\"1001\", Opaque=\"" +
                               auth.opaque() + "\",";
  EXPECT_EQ(verify(kT0, shuffled), DigestOutcome::Ok);
}

TEST_F(DigestFixture, ArbitraryBytesAreNeverAcceptedAndNeverCrash) {
  const std::string good = answer(challenge_at(kT0));
  ASSERT_EQ(verify(kT0, good), DigestOutcome::Ok);
  SeededRng noise{2024};
  static constexpr std::string_view kAlphabet = "Digest =\",\\ \r\n\tauthnc0a1f";
  for (int round = 0; round < 3000; ++round) {
    std::string value = good;
    const auto edits = 1 + noise.uniform(4);
    for (std::uint64_t e = 0; e < edits && !value.empty(); ++e) {
      const auto at = noise.uniform(value.size());
      switch (noise.uniform(3)) {
        case 0: value[at] = kAlphabet[noise.uniform(kAlphabet.size())]; break;
        case 1: value.erase(at, 1 + noise.uniform(8)); break;
        default: value.insert(at, 1, kAlphabet[noise.uniform(kAlphabet.size())]); break;
      }
    }
    if (value == good) continue;
    const auto verdict = auth.verify(kT0, "REGISTER", value);
    // An edit may leave an equivalent header (whitespace, a name's case): that is a Replay of
    // `good`. Any other change to nc, nonce, uri … breaks the response. Nothing is Ok again.
    EXPECT_NE(verdict.outcome, DigestOutcome::Ok) << value;
  }
}

// ---- parsing ---------------------------------------------------------------------------------

TEST(ParseDigestCredentials, ReadsEveryField) {
  const auto c = parse_digest_credentials(
      "Digest username=\"a\\\"b\", realm=\"r, with comma\", nonce=\"n=1\", "
      "uri=\"sip:x@y;a=b,c\", response=\"8ca523f5e9506fed4657c9700eebdbec\", algorithm=md5, "
      "cnonce=\"c \\\\ d\", qop=auth, nc=0000000A, opaque=\"\"");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->username, "a\"b");
  EXPECT_EQ(c->realm, "r, with comma");
  EXPECT_EQ(c->nonce, "n=1");
  EXPECT_EQ(c->uri, "sip:x@y;a=b,c");
  EXPECT_EQ(c->response, "8ca523f5e9506fed4657c9700eebdbec");
  EXPECT_EQ(c->algorithm, DigestAlgorithm::Md5);
  EXPECT_EQ(c->cnonce, "c \\ d");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "0000000A");
  EXPECT_EQ(c->opaque, "");
  EXPECT_TRUE(c->has_opaque);
}

TEST(ParseDigestCredentials, DefaultsToMd5WithoutQop) {
  const auto c = parse_digest_credentials(
      "Digest username=u, realm=r, nonce=n, uri=sip:x@y, "
      "response=8ca523f5e9506fed4657c9700eebdbec, nc=00000001");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, DigestAlgorithm::Md5);
  EXPECT_EQ(c->qop, "");
  EXPECT_EQ(c->nc, "");  // meaningless without qop
  EXPECT_EQ(c->uri, "sip:x@y");
  EXPECT_FALSE(c->has_opaque);
}

TEST(ParseDigestCredentials, NamesTheError) {
  EXPECT_EQ(parse_digest_credentials("Basic abc").error(), DigestParseError::NotDigest);
  EXPECT_EQ(parse_digest_credentials("").error(), DigestParseError::NotDigest);
  EXPECT_EQ(parse_digest_credentials("Digest username=\"u").error(), DigestParseError::Malformed);
  EXPECT_EQ(parse_digest_credentials("Digest qop=auth-int").error(),
            DigestParseError::UnsupportedQop);
  EXPECT_EQ(parse_digest_credentials("Digest algorithm=SHA-1").error(),
            DigestParseError::UnsupportedAlgorithm);
}

TEST(ParseDigestChallenge, ReadsQopListsAndStale) {
  const auto c = parse_digest_challenge(
      "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int, auth\", stale=TRUE, opaque=\"o\", "
      "domain=\"sip:a sip:b\", algorithm=MD5-sess");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->realm, "r");
  EXPECT_EQ(c->nonce, "n");
  EXPECT_EQ(c->opaque, "o");
  EXPECT_TRUE(c->has_qop);
  EXPECT_TRUE(c->stale);
  EXPECT_EQ(c->algorithm, DigestAlgorithm::Md5Sess);
  const auto old = parse_digest_challenge("Digest realm=\"r\", nonce=\"n\", stale=false");
  ASSERT_TRUE(old.has_value());
  EXPECT_FALSE(old->has_qop);
  EXPECT_FALSE(old->stale);
  EXPECT_FALSE(old->has_opaque);
}

TEST(SelectCredentials, PicksTheDigestValueForOurRealm) {
  const std::array<std::string_view, 3> values = {
      "Digest username=\"u\", realm=\"itsp.example\", nonce=\"n\"",
      "Basic dTpw",
      "Digest username=\"1001\", realm=\"pbx.example\", nonce=\"m\"",
  };
  const auto chosen = select_credentials(values, "pbx.example");
  ASSERT_TRUE(chosen.has_value());
  EXPECT_EQ(*chosen, values[2]);
  EXPECT_EQ(select_credentials(values, "itsp.example"), values[0]);
  EXPECT_EQ(select_credentials(values, "PBX.example"), std::nullopt);  // realms are exact
  EXPECT_EQ(select_credentials({}, "pbx.example"), std::nullopt);
}

// ---- outcome mapping -------------------------------------------------------------------------

TEST(DigestOutcomeMapping, GivesTheSipStatusAndStaleFlag) {
  EXPECT_EQ(to_sip_status(DigestOutcome::Ok, false), 0);
  EXPECT_EQ(to_sip_status(DigestOutcome::Malformed, true), 400);
  EXPECT_EQ(to_sip_status(DigestOutcome::BadResponse, false), 401);
  EXPECT_EQ(to_sip_status(DigestOutcome::Stale, true), 407);
  EXPECT_FALSE(wants_stale_challenge(DigestOutcome::BadResponse));
  EXPECT_FALSE(wants_stale_challenge(DigestOutcome::UnknownUser));
  EXPECT_FALSE(wants_stale_challenge(DigestOutcome::NoCredentials));
  EXPECT_FALSE(wants_stale_challenge(DigestOutcome::RealmMismatch));
  EXPECT_EQ(to_string(DigestOutcome::Replay), "replay");
}

// ---- memory bound ----------------------------------------------------------------------------

TEST_F(DigestFixture, ReplayMemoryIsForgottenWhenNoncesExpire) {
  EXPECT_EQ(verify(kT0, answer(challenge_at(kT0))), DigestOutcome::Ok);
  EXPECT_EQ(verify(kT0 + seconds(100), answer(challenge_at(kT0 + seconds(100)))),
            DigestOutcome::Ok);
  EXPECT_EQ(auth.tracked_nonce_count(), 2u);
  EXPECT_EQ(verify(kT0 + seconds(300), ""), DigestOutcome::NoCredentials);
  EXPECT_EQ(auth.tracked_nonce_count(), 1u);
  EXPECT_EQ(verify(kT0 + seconds(400), ""), DigestOutcome::NoCredentials);
  EXPECT_EQ(auth.tracked_nonce_count(), 0u);
}

TEST(DigestAuthenticator, ReplayMemoryIsCappedAndForgottenNoncesAreStale) {
  SeededRng rng{11};
  auto config = test_config();
  config.max_tracked_nonces = 3;
  auto auth = make_authenticator(std::move(config), rng);
  auto answer = [](const std::string& challenge, std::uint32_t nc) {
    return answer_challenge(native::openssl_crypto(), challenge, "REGISTER", kUri, "1001", "secret-1001", "c", nc).value();
  };
  std::vector<std::string> challenges;
  for (int i = 0; i < 6; ++i) {
    challenges.push_back(auth.challenge(kT0 + seconds(i), rng, false).front());
  }
  const std::string never_used = challenges[1];
  for (int i : {0, 2, 3, 4, 5}) {
    EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(challenges[i], 1)).outcome,
              DigestOutcome::Ok);
    EXPECT_LE(auth.tracked_nonce_count(), 3u);
  }
  EXPECT_EQ(auth.tracked_nonce_count(), 3u);
  // Forgotten (0, 2) or possibly forgotten (1): a fresh nonce is needed, never a free replay.
  EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(challenges[0], 1)).outcome,
            DigestOutcome::Stale);
  EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(challenges[2], 2)).outcome,
            DigestOutcome::Stale);
  EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(never_used, 1)).outcome,
            DigestOutcome::Stale);
  // Still remembered: replays are caught, higher nc accepted.
  EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(challenges[5], 1)).outcome,
            DigestOutcome::Replay);
  EXPECT_EQ(auth.verify(kT0 + seconds(10), "REGISTER", answer(challenges[3], 2)).outcome,
            DigestOutcome::Ok);
  EXPECT_EQ(auth.tracked_nonce_count(), 3u);
}

TEST(DigestAuthenticator, ManyClientsNeverGrowMemoryPastTheCap) {
  SeededRng rng{12};
  auto config = test_config();
  config.max_tracked_nonces = 50;
  auto auth = make_authenticator(std::move(config), rng);
  std::size_t ok = 0;
  for (int i = 0; i < 1000; ++i) {
    const TimePoint now = kT0 + std::chrono::milliseconds(10 * i);
    const auto value = answer_challenge(native::openssl_crypto(), auth.challenge(now, rng, false).front(), "REGISTER", kUri,
                                        "1001", "secret-1001", "c", 1);
    if (auth.verify(now, "REGISTER", value.value()).is_ok()) ++ok;
    ASSERT_LE(auth.tracked_nonce_count(), 50u);
  }
  EXPECT_EQ(ok, 1000u);
  EXPECT_EQ(auth.tracked_nonce_count(), 50u);
}

// ---- configuration ---------------------------------------------------------------------------

TEST(DigestConfigCheck, RefusesBadConfigurations) {
  struct Case {
    std::string name;
    DigestConfig config;
    DigestConfigError want;
  };
  std::vector<Case> cases;
  auto add = [&cases](std::string name, DigestConfigError want, auto mutate) {
    Case c;
    c.name = std::move(name);
    c.config = test_config();
    mutate(c.config);
    c.want = want;
    cases.push_back(std::move(c));
  };
  add("empty realm", DigestConfigError::BadRealm, [](DigestConfig& c) { c.realm.clear(); });
  add("realm with CRLF", DigestConfigError::BadRealm,
      [](DigestConfig& c) { c.realm = "a\r\nX-Injected: 1"; });
  add("121 users", DigestConfigError::TooManyUsers, [](DigestConfig& c) {
    c.users = numbered_users(121);
  });
  add("empty username", DigestConfigError::EmptyUsername,
      [](DigestConfig& c) { c.users[1].username.clear(); });
  add("duplicate username", DigestConfigError::DuplicateUsername,
      [](DigestConfig& c) { c.users[1].username = c.users[0].username; });
  add("no algorithms", DigestConfigError::NoAlgorithms,
      [](DigestConfig& c) { c.algorithms.clear(); });
  add("duplicate algorithm", DigestConfigError::DuplicateAlgorithm, [](DigestConfig& c) {
    c.algorithms = {DigestAlgorithm::Md5, DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
  });
  add("zero lifetime", DigestConfigError::NonPositiveLifetime,
      [](DigestConfig& c) { c.nonce_lifetime = Duration::zero(); });
  add("no nonce memory", DigestConfigError::NoNonceMemory,
      [](DigestConfig& c) { c.max_tracked_nonces = 0; });
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    SeededRng rng{1};
    const auto created = DigestAuthenticator::create(std::move(c.config), rng, native::openssl_crypto());
    ASSERT_FALSE(created.has_value());
    EXPECT_EQ(created.error(), c.want);
    EXPECT_FALSE(to_string(c.want).empty());
  }
}

TEST(DigestConfigCheck, AcceptsTheSeedsFullTableOf120Users) {
  DigestConfig config = test_config();
  config.users = numbered_users(120);
  SeededRng rng{2};
  auto auth = make_authenticator(std::move(config), rng);
  const auto value = answer_challenge(native::openssl_crypto(), auth.challenge(kT0, rng, false).front(), "REGISTER", kUri,
                                      "2119", "pw119", "c", 1);  // the last one
  EXPECT_EQ(auth.verify(kT0, "REGISTER", value.value()).outcome, DigestOutcome::Ok);
}

TEST(DigestConfigCheck, AcceptsNoUsersAndRejectsEveryone) {
  DigestConfig config = test_config();
  config.users.clear();
  SeededRng rng{2};
  auto auth = make_authenticator(std::move(config), rng);
  const auto value = answer_challenge(native::openssl_crypto(), auth.challenge(kT0, rng, false).front(), "REGISTER", kUri,
                                      "1001", "secret-1001", "c", 1);
  EXPECT_EQ(auth.verify(kT0, "REGISTER", value.value()).outcome, DigestOutcome::UnknownUser);
}

}  // namespace
}  // namespace resproxy::security
