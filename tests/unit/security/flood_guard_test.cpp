// FloodGuard (security/flood_guard.h): per-source rate, bans and their lifting, the untrusted
// total, the trusted budget, IPv6 /64 grouping, the amplification budget and bounded memory.
#include "proxy/security/flood_guard.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

using namespace std::chrono_literals;

const TimePoint kStart{std::chrono::hours(1)};

FloodConfig small() {
  FloodConfig c;
  c.untrusted_rate = 10;
  c.untrusted_burst = 20;
  c.untrusted_total_rate = 1000;
  c.ban_time = 60s;
  return c;
}

TEST(FloodGuard, AdmitsABurstThenTheRateAndBansASourceThatKeepsFlooding) {
  SeededRng rng(1);
  FloodGuard g(small(), rng);
  int admitted = 0;
  for (int i = 0; i < 20; ++i) admitted += g.admit(kStart, "203.0.113.1", false, 100) == Admission::Admit;
  EXPECT_EQ(admitted, 20);  // the burst
  EXPECT_EQ(g.admit(kStart, "203.0.113.1", false, 100), Admission::OverRate);
  // 100 ms later one more token (10/s).
  EXPECT_EQ(g.admit(kStart + 100ms, "203.0.113.1", false, 100), Admission::Admit);
  // A burst's worth more into the empty bucket: banned.
  Admission last = Admission::Admit;
  for (int i = 0; i < 20 && last != Admission::NewlyBanned; ++i) {
    last = g.admit(kStart + 100ms, "203.0.113.1", false, 100);
  }
  EXPECT_EQ(last, Admission::NewlyBanned);
  EXPECT_EQ(g.admit(kStart + 30s, "203.0.113.1", false, 100), Admission::Banned);  // refilled, still banned
  ASSERT_EQ(g.bans(kStart + 30s).size(), 1u);
  EXPECT_EQ(g.bans(kStart + 30s)[0].source, "203.0.113.1");
  EXPECT_EQ(g.bans(kStart + 30s)[0].dropped, 1u);
  // Others are not affected.
  EXPECT_EQ(g.admit(kStart + 30s, "203.0.113.2", false, 100), Admission::Admit);
  // The ban ends by itself.
  EXPECT_EQ(g.admit(kStart + 100ms + 61s, "203.0.113.1", false, 100), Admission::Admit);
  EXPECT_TRUE(g.bans(kStart + 100ms + 61s).empty());
}

// The distributed flood of the benchmark: each source steadily at twice its rate is banned within
// seconds; one a little over its rate is only cut, never banned.
TEST(FloodGuard, ASourceSteadilyOverItsRateIsBannedOneSlightlyOverIsNot) {
  SeededRng rng(1);
  FloodGuard g(small(), rng);  // 10/s, burst 20
  TimePoint banned_at{};
  for (int i = 0; i < 20 * 10; ++i) {  // 20/s for 10 s
    const TimePoint t = kStart + std::chrono::milliseconds(50 * i);
    if (g.admit(t, "203.0.113.1", false, 100) == Admission::NewlyBanned) {
      banned_at = t;
      break;
    }
  }
  ASSERT_NE(banned_at, TimePoint{});
  EXPECT_LE(banned_at - kStart, std::chrono::seconds(5));
  for (int i = 0; i < 11 * 30; ++i) {  // 11/s for 30 s
    const TimePoint t = kStart + std::chrono::milliseconds(1000 * i / 11);
    ASSERT_NE(g.admit(t, "203.0.113.2", false, 100), Admission::NewlyBanned) << i;
  }
}

TEST(FloodGuard, UnbanLiftsABanAtOnce) {
  SeededRng rng(1);
  FloodGuard g(small(), rng);
  while (g.admit(kStart, "203.0.113.9", false, 10) != Admission::NewlyBanned) {
  }
  EXPECT_FALSE(g.unban(kStart, "203.0.113.10"));  // not banned
  EXPECT_TRUE(g.unban(kStart, "203.0.113.9"));
  EXPECT_TRUE(g.bans(kStart).empty());
  EXPECT_EQ(g.admit(kStart + 1s, "203.0.113.9", false, 10), Admission::Admit);
}

TEST(FloodGuard, TrustedSourcesAreNotLimitedByDefaultAndHaveTheirOwnBudgetOtherwise) {
  SeededRng rng(1);
  FloodGuard unlimited(small(), rng);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(unlimited.admit(kStart, "192.168.1.21", true, 500), Admission::Admit);
  EXPECT_EQ(unlimited.sources(), 0u);  // no state kept for them
  auto c = small();
  c.trusted_rate = 100;
  FloodGuard limited(c, rng);
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) admitted += limited.admit(kStart, "192.168.1.21", true, 500) == Admission::Admit;
  EXPECT_EQ(admitted, 200);  // burst: 2 s worth
}

TEST(FloodGuard, ManyUntrustedSourcesShareOneTotalAndAreNotBannedForIt) {
  SeededRng rng(1);
  auto c = small();
  c.untrusted_total_rate = 50;
  FloodGuard g(c, rng);
  int admitted = 0, banned = 0;
  for (int i = 0; i < 250; ++i) {
    const auto verdict = g.admit(kStart, "203.0.113." + std::to_string(i), false, 100);
    admitted += verdict == Admission::Admit;
    banned += verdict == Admission::NewlyBanned;
  }
  EXPECT_EQ(admitted, 50);
  EXPECT_EQ(banned, 0);
  // The office is never part of that total.
  EXPECT_EQ(g.admit(kStart, "192.168.1.21", true, 100), Admission::Admit);
}

TEST(FloodGuard, AnIpv6SourceIsItsSlash64) {
  SeededRng rng(1);
  FloodGuard g(small(), rng);
  Admission last = Admission::Admit;
  // Hopping addresses inside one /64 does not buy more tokens.
  for (int i = 0; i < 100 && last != Admission::NewlyBanned; ++i) {
    last = g.admit(kStart, "2001:db8:1:2::" + std::to_string(i + 1), false, 100);
  }
  EXPECT_EQ(last, Admission::NewlyBanned);
  ASSERT_EQ(g.bans(kStart).size(), 1u);
  EXPECT_EQ(g.bans(kStart)[0].source, "2001:db8:1:2::/64");
  EXPECT_EQ(g.admit(kStart, "2001:db8:1:3::1", false, 100), Admission::Admit);  // another /64
  EXPECT_TRUE(g.unban(kStart, "2001:db8:1:2::ffff"));
}

TEST(FloodGuard, WeOriginateAtMostThreeTimesWhatASourceSent) {
  SeededRng rng(1);
  FloodGuard g(small(), rng);
  ASSERT_EQ(g.admit(kStart, "203.0.113.7", false, 300), Admission::Admit);
  EXPECT_TRUE(g.may_send(kStart, "203.0.113.7", 600));
  EXPECT_TRUE(g.may_send(kStart, "203.0.113.7", 300));
  EXPECT_FALSE(g.may_send(kStart, "203.0.113.7", 1));  // 900 of 900 used
  EXPECT_FALSE(g.may_send(kStart, "203.0.113.8", 1));  // sent us nothing at all
  ASSERT_EQ(g.admit(kStart + 1s, "203.0.113.7", false, 100), Admission::Admit);
  EXPECT_TRUE(g.may_send(kStart + 1s, "203.0.113.7", 300));
  // A new 10 s window starts from zero on both sides.
  EXPECT_FALSE(g.may_send(kStart + 11s, "203.0.113.7", 1));
  EXPECT_EQ(g.counters().answers_suppressed, 3u);
}

TEST(FloodGuard, KeepsAtMostMaxSourcesForgettingTheLeastRecentlySeen) {
  SeededRng rng(1);
  auto c = small();
  c.max_sources = 100;
  c.untrusted_total_rate = 0;
  FloodGuard g(c, rng);
  while (g.admit(kStart, "198.51.100.1", false, 10) != Admission::NewlyBanned) {
  }
  for (int i = 0; i < 99; ++i) g.admit(kStart, "203.0.113." + std::to_string(i), false, 10);
  EXPECT_EQ(g.sources(), 100u);
  EXPECT_EQ(g.admit(kStart, "198.51.100.1", false, 10), Admission::Banned);  // seen again: kept
  for (int i = 0; i < 150; ++i) g.admit(kStart, "10.0.0." + std::to_string(i), false, 10);
  EXPECT_EQ(g.sources(), 100u);
  EXPECT_GT(g.counters().sources_forgotten, 0u);
}

TEST(FloodGuard, DisabledAdmitsEverything) {
  SeededRng rng(1);
  auto c = small();
  c.enabled = false;
  FloodGuard g(c, rng);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(g.admit(kStart, "203.0.113.1", false, 100), Admission::Admit);
  EXPECT_TRUE(g.may_send(kStart, "203.0.113.1", 1000000));
}

}  // namespace
}  // namespace resproxy::security
