// Gateway policy (security/gateway_policy.h): number classes by prefix after normalisation, who
// may dial them, and the per-user / per-source limits on open calls and calls per minute.
#include "proxy/security/gateway_policy.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::hours(1)};

GatewayPolicyConfig uk() {
  GatewayPolicyConfig c;
  c.premium_prefixes = {"09", "0871", "118"};
  return c;
}

TEST(GatewayPolicy, NormalisesWhatAGatewayWouldDial) {
  EXPECT_EQ(normalize_number("0900-123.456"), "0900123456");
  EXPECT_EQ(normalize_number("(0)9001234"), "09001234");
  EXPECT_EQ(normalize_number("%2B449001234;phone-context=example.com"), "+449001234");
  EXPECT_EQ(normalize_number("%30900123"), "0900123");  // an escaped digit is a digit
  EXPECT_EQ(normalize_number("%zz1"), "%zz1");            // not an escape: kept as is
  EXPECT_EQ(normalize_number("12%3"), "12%3");
}

TEST(GatewayPolicy, ClassifiesByTheLongestPrefix) {
  const auto c = uk();
  EXPECT_EQ(classify_number("01344784900", c), NumberClass::National);
  EXPECT_EQ(classify_number("0900123456", c), NumberClass::Premium);
  EXPECT_EQ(classify_number("0044123", c), NumberClass::International);
  EXPECT_EQ(classify_number("+1555123", c), NumberClass::International);
  EXPECT_EQ(classify_number("118118", c), NumberClass::Premium);
  // A premium prefix longer than the international one that also matches wins.
  auto c2 = c;
  c2.premium_prefixes.push_back("00882");  // international premium (satellite) numbers
  EXPECT_EQ(classify_number("00882123", c2), NumberClass::Premium);
  EXPECT_EQ(classify_number("0033123", c2), NumberClass::International);
  // Evasion by escapes or separators does not change the class.
  EXPECT_EQ(classify_number(normalize_number("%309-00-123"), c), NumberClass::Premium);
  EXPECT_EQ(classify_number(normalize_number("0-9-00123"), c), NumberClass::Premium);
}

TEST(GatewayPolicy, ByDefaultRemotePhonesMayNotDialPremiumButMayDialAbroad) {
  const auto c = uk();
  EXPECT_TRUE(may_dial(NumberClass::National, Sender::Authenticated, c));
  EXPECT_TRUE(may_dial(NumberClass::International, Sender::Authenticated, c));
  EXPECT_TRUE(may_dial(NumberClass::International, Sender::Trusted, c));
  EXPECT_FALSE(may_dial(NumberClass::International, Sender::Untrusted, c));
  EXPECT_FALSE(may_dial(NumberClass::Premium, Sender::Authenticated, c));
  EXPECT_TRUE(may_dial(NumberClass::Premium, Sender::Trusted, c));
  auto strict = c;
  strict.international_from = SenderSet{}.add(Sender::Trusted);
  EXPECT_FALSE(may_dial(NumberClass::International, Sender::Authenticated, strict));
}

TEST(GatewayCallLimiter, CapsOpenCallsPerUserAndFreesThemOnRelease) {
  GatewayPolicyConfig c;
  c.max_calls_per_user = 2;
  GatewayCallLimiter limiter(c);
  EXPECT_EQ(limiter.admit(kStart, "a", "6666", "s1"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.admit(kStart, "b", "6666", "s1"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.admit(kStart, "c", "6666", "s1"), LimitVerdict::UserBusy);
  EXPECT_EQ(limiter.admit(kStart, "d", "2001", "s1"), LimitVerdict::Ok);  // another user
  // The same INVITE again (after the gateway challenged it) is not a new call.
  EXPECT_EQ(limiter.admit(kStart, "a", "6666", "s1"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.open_calls_of_user("6666"), 2u);
  limiter.release("a");
  limiter.release("unknown");
  EXPECT_EQ(limiter.admit(kStart + 1s, "c", "6666", "s1"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.open_calls(), 3u);
}

TEST(GatewayCallLimiter, CapsOpenCallsPerSource) {
  GatewayPolicyConfig c;
  c.max_calls_per_source = 3;
  c.max_calls_per_user = 0;
  GatewayCallLimiter limiter(c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.admit(kStart, "c" + std::to_string(i), "u" + std::to_string(i), "pbx"),
              LimitVerdict::Ok);
  }
  EXPECT_EQ(limiter.admit(kStart, "c9", "u9", "pbx"), LimitVerdict::SourceBusy);
  EXPECT_EQ(limiter.admit(kStart, "c10", "u9", "other"), LimitVerdict::Ok);
}

TEST(GatewayCallLimiter, CapsCallsPerMinuteEvenWhenEachIsShort) {
  GatewayPolicyConfig c;
  c.calls_per_minute_per_user = 3;
  GatewayCallLimiter limiter(c);
  for (int i = 0; i < 3; ++i) {
    const std::string id = "c" + std::to_string(i);
    EXPECT_EQ(limiter.admit(kStart + std::chrono::seconds(i), id, "6666", "s"), LimitVerdict::Ok);
    limiter.release(id);  // a one-second call
  }
  EXPECT_EQ(limiter.admit(kStart + 10s, "c3", "6666", "s"), LimitVerdict::UserRate);
  EXPECT_EQ(limiter.admit(kStart + 60s, "c3", "6666", "s"), LimitVerdict::Ok);
}

TEST(GatewayCallLimiter, ACallWhoseEndWasLostStopsCountingAfterTheMaximumDuration) {
  GatewayPolicyConfig c;
  c.max_calls_per_user = 1;
  c.max_call_duration = 2h;
  GatewayCallLimiter limiter(c);
  EXPECT_EQ(limiter.admit(kStart, "a", "6666", "s"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.admit(kStart + 1h, "b", "6666", "s"), LimitVerdict::UserBusy);
  EXPECT_EQ(limiter.admit(kStart + 2h, "b", "6666", "s"), LimitVerdict::Ok);
  EXPECT_EQ(limiter.open_calls(), 1u);
}

TEST(GatewayCallLimiter, ZeroMeansNoLimit) {
  GatewayPolicyConfig c;
  c.max_calls_per_user = 0;
  c.max_calls_per_source = 0;
  c.calls_per_minute_per_user = 0;
  c.calls_per_minute_per_source = 0;
  GatewayCallLimiter limiter(c);
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(limiter.admit(kStart, "c" + std::to_string(i), "6666", "s"), LimitVerdict::Ok);
  }
}

}  // namespace
}  // namespace resproxy::security
