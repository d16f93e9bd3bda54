// SRV ordering (RFC 2782 usage rules, RFC 3263 §4.4): priority order, weighted random order
// within a priority, weight-0 records, "." targets. Seeded and scripted Rngs: exact and instant.
#include "proxy/routing/srv_order.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace resproxy::routing {
namespace {

SrvRecord srv(std::uint16_t priority, std::uint16_t weight, std::string target,
              std::uint16_t port = 5060) {
  SrvRecord r;
  r.priority = priority;
  r.weight = weight;
  r.port = port;
  r.target = std::move(target);
  return r;
}

std::vector<std::string> targets(const std::vector<SrvRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.target);
  return out;
}

// Rng::uniform(bound) is (next_u64() >> 32) * bound >> 32: the smallest high word giving `d`.
class DrawRng final : public Rng {
 public:
  explicit DrawRng(std::vector<std::pair<std::uint64_t, std::uint64_t>> draw_and_bound)
      : script_(draw_and_bound.begin(), draw_and_bound.end()) {}
  std::uint64_t next_u64() override {
    if (script_.empty()) {
      ADD_FAILURE() << "more draws than scripted";
      return 0;
    }
    const auto [d, bound] = script_.front();
    script_.pop_front();
    const unsigned __int128 high = ((static_cast<unsigned __int128>(d) << 32) + bound - 1) / bound;
    return static_cast<std::uint64_t>(high) << 32;
  }
  [[nodiscard]] bool done() const { return script_.empty(); }

 private:
  std::deque<std::pair<std::uint64_t, std::uint64_t>> script_;
};

TEST(SrvOrder, DrawRngGivesTheScriptedDraws) {
  DrawRng rng({{0, 11}, {10, 11}, {7, 101}, {100, 101}, {65535, 65536}});
  EXPECT_EQ(rng.uniform(11), 0u);
  EXPECT_EQ(rng.uniform(11), 10u);
  EXPECT_EQ(rng.uniform(101), 7u);
  EXPECT_EQ(rng.uniform(101), 100u);
  EXPECT_EQ(rng.uniform(65536), 65535u);
}

TEST(SrvOrder, EmptySetGivesNothingAndIsNotUnavailable) {
  SeededRng rng(1);
  EXPECT_TRUE(order_srv_records({}, rng).empty());
  EXPECT_FALSE(says_service_unavailable({}));
}

TEST(SrvOrder, LowerPriorityComesFirstWhateverTheWeights) {
  const std::vector<SrvRecord> records = {srv(20, 100, "c.example"), srv(10, 0, "a.example"),
                                          srv(30, 65535, "d.example"), srv(10, 0, "b.example")};
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(seed);
    SeededRng rng(seed);
    const auto out = order_srv_records(records, rng);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].priority, 10);
    EXPECT_EQ(out[1].priority, 10);
    EXPECT_EQ(out[2].target, "c.example");
    EXPECT_EQ(out[3].target, "d.example");
  }
}

TEST(SrvOrder, SingleRecordsPerPriorityDrawNothing) {
  DrawRng rng({});
  const auto out = order_srv_records(
      std::vector<SrvRecord>{srv(2, 5, "b.example", 5070), srv(1, 0, "a.example", 5080)}, rng);
  EXPECT_EQ(out, (std::vector<SrvRecord>{srv(1, 0, "a.example", 5080),
                                         srv(2, 5, "b.example", 5070)}));
}

// RFC 2782's algorithm step by step: running sums over the records left, weight 0 first.
TEST(SrvOrder, FollowsTheRfc2782RunningSumSelection) {
  // Weights 0, 60, 30, 10 (the 0 is moved first): running sums 0, 60, 90, 100; draw in 0..100.
  const std::vector<SrvRecord> records = {srv(1, 60, "w60"), srv(1, 30, "w30"),
                                          srv(1, 0, "w0"), srv(1, 10, "w10")};
  {
    // 61 → w30 (sums 0,60,90,100); then 0,60,10 left: sums 0,60,70, draw 0 → w0; then
    // 60,10: sums 60,70, draw 70 → w10; w60 last.
    DrawRng rng({{61, 101}, {0, 71}, {70, 71}});
    EXPECT_EQ(targets(order_srv_records(records, rng)),
              (std::vector<std::string>{"w30", "w0", "w10", "w60"}));
    EXPECT_TRUE(rng.done());
  }
  {
    // 1 → w60 (the first running sum >= 1); then 0,30,10: draw 40 → w10; then 0,30: draw 1 → w30.
    DrawRng rng({{1, 101}, {40, 41}, {1, 31}});
    EXPECT_EQ(targets(order_srv_records(records, rng)),
              (std::vector<std::string>{"w60", "w10", "w30", "w0"}));
    EXPECT_TRUE(rng.done());
  }
}

TEST(SrvOrder, PicksInProportionToWeight) {
  const std::vector<SrvRecord> records = {srv(1, 60, "w60"), srv(1, 30, "w30"),
                                          srv(1, 10, "w10")};
  SeededRng rng(20240501);
  std::map<std::string, int> first;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) ++first[order_srv_records(records, rng).front().target];
  // Expected shares 61/101, 30/101, 10/101 (the inclusive draw gives the first record one
  // extra value); a 2 % band is > 5 standard deviations at 20000 draws.
  EXPECT_NEAR(first["w60"] / double(kDraws), 61.0 / 101, 0.02);
  EXPECT_NEAR(first["w30"] / double(kDraws), 30.0 / 101, 0.02);
  EXPECT_NEAR(first["w10"] / double(kDraws), 10.0 / 101, 0.02);
}

TEST(SrvOrder, SecondPickIsWeightedAmongTheRest) {
  const std::vector<SrvRecord> records = {srv(1, 60, "w60"), srv(1, 30, "w30"),
                                          srv(1, 10, "w10")};
  SeededRng rng(7);
  int w30_after_w60 = 0, w60_first = 0;
  for (int i = 0; i < 20000; ++i) {
    const auto out = order_srv_records(records, rng);
    if (out[0].target != "w60") continue;
    ++w60_first;
    if (out[1].target == "w30") ++w30_after_w60;
  }
  // After w60 is taken: weights 30, 10 → 31/41 for w30.
  EXPECT_NEAR(w30_after_w60 / double(w60_first), 31.0 / 41, 0.02);
}

TEST(SrvOrder, WeightZeroRecordsComeLastMostOfTheTime) {
  const std::vector<SrvRecord> records = {srv(5, 0, "backup"), srv(5, 10, "main")};
  SeededRng rng(99);
  int backup_first = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    if (order_srv_records(records, rng).front().target == "backup") ++backup_first;
  }
  // Picked first only on a draw of 0 out of 0..10: about 1/11 of the time, but not never.
  EXPECT_NEAR(backup_first / double(kDraws), 1.0 / 11, 0.01);
  EXPECT_GT(backup_first, 0);
}

TEST(SrvOrder, AllZeroWeightsKeepTheDnsOrder) {
  const std::vector<SrvRecord> records = {srv(1, 0, "a"), srv(1, 0, "b"), srv(1, 0, "c")};
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    SeededRng rng(seed);
    EXPECT_EQ(targets(order_srv_records(records, rng)), (std::vector<std::string>{"a", "b", "c"}));
  }
}

TEST(SrvOrder, SameSeedSameOrder) {
  std::vector<SrvRecord> records;
  for (std::uint16_t i = 0; i < 12; ++i) {
    records.push_back(srv(static_cast<std::uint16_t>(i % 3), static_cast<std::uint16_t>(i * 7),
                          "t" + std::to_string(i)));
  }
  SeededRng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order_srv_records(records, a), order_srv_records(records, b));
}

TEST(SrvOrder, DotTargetsAreLeftOut) {
  const std::vector<SrvRecord> records = {srv(1, 10, "."), srv(2, 10, "b.example"),
                                          srv(1, 10, "")};
  SeededRng rng(3);
  EXPECT_EQ(targets(order_srv_records(records, rng)), (std::vector<std::string>{"b.example"}));
  EXPECT_FALSE(says_service_unavailable(records));  // b.example still offers it
}

TEST(SrvOrder, ALoneDotMeansTheServiceIsNotAvailable) {
  const std::vector<SrvRecord> records = {srv(0, 0, ".", 0)};
  EXPECT_TRUE(says_service_unavailable(records));
  SeededRng rng(3);
  EXPECT_TRUE(order_srv_records(records, rng).empty());
  EXPECT_TRUE(is_no_service_target("."));
  EXPECT_TRUE(is_no_service_target(""));
  EXPECT_FALSE(is_no_service_target("sip.example.com"));
}

}  // namespace
}  // namespace resproxy::routing
