// AuthGuard (security/auth_guard.h): lockout per (source, user) pair, never per user alone;
// doubling lockouts; success clears; a source guessing many users is locked as a whole; IPv6 /64
// grouping; bounded memory.
#include "proxy/security/auth_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy::security {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::hours(1)};

AuthGuardConfig small() {
  AuthGuardConfig c;
  c.max_failures = 3;
  c.window = 10min;
  c.lockout = 60s;
  c.max_lockout = 240s;
  c.forget_after = 1h;
  c.max_source_failures = 10;
  return c;
}

TEST(AuthGuard, LocksThePairAfterTheAllowanceAndNotTheUserElsewhere) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(g.may_try(kStart, "203.0.113.9", "4900"));
    EXPECT_FALSE(g.failed(kStart, "203.0.113.9", "4900"));
  }
  EXPECT_TRUE(g.may_try(kStart, "203.0.113.9", "4900"));
  EXPECT_TRUE(g.failed(kStart, "203.0.113.9", "4900"));  // the fourth: locked now
  EXPECT_FALSE(g.may_try(kStart + 1s, "203.0.113.9", "4900"));
  EXPECT_EQ(g.locked_for(kStart + 1s, "203.0.113.9", "4900"), 59s);
  // The real phone, elsewhere, is not locked out by the attacker's guesses.
  EXPECT_TRUE(g.may_try(kStart + 1s, "198.51.100.7", "4900"));
  // Nor is another user from the attacker's own address.
  EXPECT_TRUE(g.may_try(kStart + 1s, "203.0.113.9", "4901"));
  // The lockout lapses.
  EXPECT_TRUE(g.may_try(kStart + 60s, "203.0.113.9", "4900"));
  EXPECT_EQ(g.counters().lockouts, 1u);
  EXPECT_EQ(g.counters().refused_locked, 1u);
}

TEST(AuthGuard, EachLockoutInARowLastsTwiceAsLongUpToTheMaximum) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  TimePoint t = kStart;
  std::vector<Duration> lockouts;
  for (int round = 0; round < 5; ++round) {
    bool locked = false;
    for (int i = 0; i < 4 && !locked; ++i) locked = g.failed(t, "203.0.113.9", "4900");
    ASSERT_TRUE(locked) << "round " << round;
    lockouts.push_back(g.locked_for(t, "203.0.113.9", "4900"));
    t += lockouts.back();
  }
  EXPECT_EQ(lockouts, (std::vector<Duration>{60s, 120s, 240s, 240s, 240s}));
}

TEST(AuthGuard, ASuccessClearsThePairAndAQuietHourResetsTheLevel) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  for (int i = 0; i < 3; ++i) g.failed(kStart, "203.0.113.9", "4900");
  g.succeeded("203.0.113.9", "4900");
  // Three more free failures after the success.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(g.failed(kStart + 1s, "203.0.113.9", "4900"));
  EXPECT_TRUE(g.failed(kStart + 1s, "203.0.113.9", "4900"));
  EXPECT_EQ(g.locked_for(kStart + 1s, "203.0.113.9", "4900"), 60s);
  // Locked again right after the first lockout: 120 s. After a quiet hour: back to 60 s.
  TimePoint t = kStart + 61s;
  bool locked = false;
  for (int i = 0; i < 4 && !locked; ++i) locked = g.failed(t, "203.0.113.9", "4900");
  EXPECT_EQ(g.locked_for(t, "203.0.113.9", "4900"), 120s);
  t += 2h;
  locked = false;
  for (int i = 0; i < 4 && !locked; ++i) locked = g.failed(t, "203.0.113.9", "4900");
  EXPECT_EQ(g.locked_for(t, "203.0.113.9", "4900"), 60s);
}

TEST(AuthGuard, FailuresOutsideTheWindowAreForgiven) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  for (int i = 0; i < 3; ++i) g.failed(kStart, "203.0.113.9", "4900");
  // Ten minutes later the window starts afresh: three more are free.
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(g.failed(kStart + 10min, "203.0.113.9", "4900"));
  EXPECT_TRUE(g.may_try(kStart + 10min, "203.0.113.9", "4900"));
}

TEST(AuthGuard, ASourceGuessingManyUsersIsLockedAsAWhole) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  bool locked = false;
  int tries = 0;
  for (int user = 4000; user < 4100 && !locked; ++user, ++tries) {
    locked = g.failed(kStart, "203.0.113.9", std::to_string(user));
  }
  EXPECT_TRUE(locked);
  EXPECT_EQ(tries, 11);  // max_source_failures = 10, one failure per user
  EXPECT_FALSE(g.may_try(kStart + 1s, "203.0.113.9", "5555"));  // any user from there
  EXPECT_TRUE(g.may_try(kStart + 1s, "203.0.113.10", "5555"));  // not its neighbour
}

TEST(AuthGuard, AnIpv6SourceIsItsSlash64) {
  SeededRng rng(1);
  AuthGuard g(small(), rng);
  // Rotating privacy addresses within one /64 is one source.
  for (int i = 1; i <= 4; ++i) g.failed(kStart, "2001:db8:1:2::" + std::to_string(i), "4900");
  EXPECT_FALSE(g.may_try(kStart, "2001:db8:1:2::99", "4900"));
  EXPECT_TRUE(g.may_try(kStart, "2001:db8:1:3::1", "4900"));
}

TEST(AuthGuard, MemoryIsBoundedAndUnparsableSourcesAreNotCounted) {
  SeededRng rng(1);
  auto c = small();
  c.max_entries = 100;
  AuthGuard g(c, rng);
  for (int i = 0; i < 1000; ++i) {
    g.failed(kStart, "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), "x");
  }
  EXPECT_LE(g.entries(), 100u);
  EXPECT_GT(g.counters().entries_forgotten, 0u);
  EXPECT_FALSE(g.failed(kStart, "not-an-ip", "x"));
  EXPECT_TRUE(g.may_try(kStart, "not-an-ip", "x"));
}

TEST(AuthGuard, DisabledNeverLocks) {
  SeededRng rng(1);
  auto c = small();
  c.enabled = false;
  AuthGuard g(c, rng);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(g.failed(kStart, "203.0.113.9", "4900"));
  EXPECT_TRUE(g.may_try(kStart, "203.0.113.9", "4900"));
}

}  // namespace
}  // namespace resproxy::security
