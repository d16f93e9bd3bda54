// The relay's port pool (proxy/media/relay/port_pool.h): even/odd pairs inside the range, random
// and reproducible order, exhaustion, quarantine to the nanosecond, refused double releases, and
// a whole 16-bit range in fixed memory.
#include "proxy/media/relay/port_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "tests/unit/media/media_support.h"

namespace resproxy::media::relay {
namespace {

using namespace std::chrono_literals;
using test::at_ms;

constexpr Duration kQuarantine = 30s;

std::vector<std::uint16_t> allocate_all(PortPool& pool, TimePoint now, Rng& rng) {
  std::vector<std::uint16_t> ports;
  while (auto pair = pool.allocate(now, rng)) ports.push_back(pair->rtp);
  return ports;
}

TEST(RelayPortPool, HandsOutEvenRtpAndOddRtcpPortsInsideTheRangeOnly) {
  PortPool pool({30001, 30010}, kQuarantine);
  SeededRng rng(1);
  EXPECT_EQ(pool.capacity(), 4u);
  std::set<std::uint16_t> seen;
  for (int i = 0; i < 4; ++i) {
    const auto pair = pool.allocate(at_ms(0), rng);
    ASSERT_TRUE(pair.has_value());
    EXPECT_EQ(pair->rtp % 2, 0);
    EXPECT_EQ(pair->rtcp, pair->rtp + 1);
    seen.insert(pair->rtp);
  }
  EXPECT_EQ(seen, (std::set<std::uint16_t>{30002, 30004, 30006, 30008}));
}

TEST(RelayPortPool, ReportsExhaustionWhenEveryPairIsInUse) {
  PortPool pool({40000, 40007}, kQuarantine);
  SeededRng rng(2);
  EXPECT_EQ(allocate_all(pool, at_ms(0), rng).size(), 4u);
  const auto more = pool.allocate(at_ms(0), rng);
  ASSERT_FALSE(more.has_value());
  EXPECT_EQ(more.error(), PortPoolError::Exhausted);
  EXPECT_EQ(pool.free_count(), 0u);
  EXPECT_EQ(pool.in_use_count(), 4u);
}

TEST(RelayPortPool, NeverHandsOutAPairInQuarantine) {
  PortPool pool({40000, 40003}, kQuarantine);  // two pairs
  SeededRng rng(3);
  const auto first = allocate_all(pool, at_ms(0), rng);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_TRUE(pool.release(at_ms(1000), first[0]).has_value());
  EXPECT_EQ(pool.quarantined_count(), 1u);
  // Free again only when the quarantine has fully passed: 30 s after the release, to the ns.
  EXPECT_FALSE(pool.allocate(at_ms(1000) + kQuarantine - 1ns, rng).has_value());
  const auto again = pool.allocate(at_ms(1000) + kQuarantine, rng);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->rtp, first[0]);
}

TEST(RelayPortPool, ChurnNeverReusesAPortWithinItsQuarantineNorTwice) {
  PortPool pool({20000, 20199}, kQuarantine);  // 100 pairs
  SeededRng rng(4);
  std::mt19937_64 script(4);
  std::map<std::uint16_t, TimePoint> released_at;
  std::vector<std::uint16_t> in_use;
  TimePoint now = at_ms(0);
  std::size_t exhausted = 0;
  for (int i = 0; i < 20'000; ++i) {
    now += std::chrono::milliseconds(script() % 400);
    if (!in_use.empty() && script() % 2 == 0) {
      const std::size_t k = script() % in_use.size();
      ASSERT_TRUE(pool.release(now, in_use[k]).has_value());
      released_at[in_use[k]] = now;
      in_use[k] = in_use.back();
      in_use.pop_back();
      continue;
    }
    const auto pair = pool.allocate(now, rng);
    if (!pair) {
      ++exhausted;
      continue;
    }
    ASSERT_EQ(std::count(in_use.begin(), in_use.end(), pair->rtp), 0);
    if (const auto r = released_at.find(pair->rtp); r != released_at.end()) {
      ASSERT_GE(now - r->second, kQuarantine) << pair->rtp;
    }
    in_use.push_back(pair->rtp);
    ASSERT_EQ(pool.in_use_count(), in_use.size());
  }
  EXPECT_GT(exhausted, 0u);  // the script does reach the edge
}

TEST(RelayPortPool, OrderIsRandomFromTheRngAndReproducibleWithItsSeed) {
  PortPool a({30000, 30999}, kQuarantine);
  PortPool b({30000, 30999}, kQuarantine);
  PortPool c({30000, 30999}, kQuarantine);
  SeededRng rng_a(7), rng_b(7), rng_c(8);
  const auto seq_a = allocate_all(a, at_ms(0), rng_a);
  const auto seq_b = allocate_all(b, at_ms(0), rng_b);
  const auto seq_c = allocate_all(c, at_ms(0), rng_c);
  EXPECT_EQ(seq_a, seq_b);
  EXPECT_NE(seq_a, seq_c);
  EXPECT_FALSE(std::is_sorted(seq_a.begin(), seq_a.end()));
  EXPECT_FALSE(std::is_sorted(seq_a.rbegin(), seq_a.rend()));
}

TEST(RelayPortPool, EveryFreePairIsEquallyLikelyFirst) {
  std::map<std::uint16_t, int> first;
  for (std::uint64_t seed = 0; seed < 4000; ++seed) {
    PortPool pool({50000, 50007}, kQuarantine);
    SeededRng rng(seed);
    ++first[pool.allocate(at_ms(0), rng)->rtp];
  }
  ASSERT_EQ(first.size(), 4u);
  for (const auto& [port, count] : first) EXPECT_NEAR(count, 1000, 150) << port;
}

TEST(RelayPortPool, RefusesToReleaseAPortItDidNotHandOut) {
  PortPool pool({40000, 40003}, kQuarantine);
  SeededRng rng(5);
  const auto pair = pool.allocate(at_ms(0), rng).value();
  EXPECT_EQ(pool.release(at_ms(1), pair.rtcp).error(), PortPoolError::NotAllocated);
  EXPECT_EQ(pool.release(at_ms(1), 39998).error(), PortPoolError::NotAllocated);
  EXPECT_TRUE(pool.release(at_ms(1), pair.rtp).has_value());
  EXPECT_EQ(pool.release(at_ms(2), pair.rtp).error(), PortPoolError::NotAllocated);  // twice
  EXPECT_EQ(pool.quarantined_count(), 1u);
}

TEST(RelayPortPool, AWholeSixteenBitRangeIsServedInFixedMemory) {
  PortPool pool({0, 65535}, kQuarantine);
  SeededRng rng(6);
  EXPECT_EQ(pool.capacity(), 32767u);  // 2..65535: port 0 is "any" to a socket
  auto ports = allocate_all(pool, at_ms(0), rng);
  EXPECT_EQ(ports.size(), 32767u);
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(std::adjacent_find(ports.begin(), ports.end()), ports.end());
  EXPECT_EQ(ports.front(), 2);
  EXPECT_EQ(ports.back(), 65534);
  for (auto p : ports) ASSERT_TRUE(pool.release(at_ms(1), p).has_value());
  EXPECT_EQ(pool.quarantined_count(), 32767u);
  EXPECT_EQ(allocate_all(pool, at_ms(1) + kQuarantine, rng).size(), 32767u);
}

TEST(RelayPortPool, ARangeWithoutAWholePairHasNoCapacity) {
  SeededRng rng(9);
  for (const PortRange range : {PortRange{5000, 5000}, PortRange{4000, 3000}, PortRange{1, 2},
                                PortRange{5001, 5002}}) {
    SCOPED_TRACE(range.min);
    PortPool pool(range, kQuarantine);
    EXPECT_EQ(pool.capacity(), 0u);
    EXPECT_EQ(pool.allocate(at_ms(0), rng).error(), PortPoolError::Exhausted);
  }
  EXPECT_EQ(PortPool(PortRange{0, 3}, kQuarantine).capacity(), 1u);
}

}  // namespace
}  // namespace resproxy::media::relay
