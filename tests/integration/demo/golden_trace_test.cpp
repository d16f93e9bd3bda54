// Golden trace: the ns-3 OPTIONS exchange with a fixed seed must emit exactly the events in
// tests/golden/ns3_options_exchange.jsonl. A change in core behaviour shows up as a diff to
// review like code. Regenerate on purpose only: RESPROXY_UPDATE_GOLDEN=1 ctest -R Golden
#include <gtest/gtest.h>

#include "harness/exchange.h"
#include "tests/golden/golden_file.h"

namespace resproxy::harness {
namespace {

const std::string kGolden = std::string(RESPROXY_TEST_DATA_DIR) + "/../golden/ns3_options_exchange.jsonl";

TEST(GoldenTrace, Ns3OptionsExchangeMatchesTheReviewedTrace) {
  ExchangeConfig config;
  config.seed = 11;
  config.loss = 0.3;
  config.probes = 8;
  config.interval = std::chrono::milliseconds(200);
  const auto run = run_ns3_exchange(config);
  std::string actual;
  for (const auto& line : run.trace) actual += line + "\n";

  if (resproxy::testing::rewrite_golden(kGolden, actual)) GTEST_SKIP() << "rewrote " << kGolden;
  // Compared line by line so a failure names the first differing event.
  const std::string difference = resproxy::testing::golden_difference(kGolden, actual);
  EXPECT_TRUE(difference.empty()) << difference;
}

}  // namespace
}  // namespace resproxy::harness
