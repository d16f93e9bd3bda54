// Golden trace: the ns-3 OPTIONS exchange with a fixed seed must emit exactly the events in
// tests/golden/ns3_options_exchange.jsonl. A change in core behaviour shows up as a diff to
// review like code. Regenerate on purpose only: RESPROXY_UPDATE_GOLDEN=1 ctest -R Golden
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "harness/exchange.h"

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

  if (const char* update = std::getenv("RESPROXY_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(kGolden) << actual;
    GTEST_SKIP() << "rewrote " << kGolden;
  }
  std::ifstream in(kGolden);
  ASSERT_TRUE(in) << "missing " << kGolden << " (RESPROXY_UPDATE_GOLDEN=1 creates it)";
  std::stringstream expected;
  expected << in.rdbuf();
  // Compare line by line so a failure names the first differing event.
  std::istringstream want(expected.str()), got(actual);
  std::string w, g;
  int line = 0;
  while (true) {
    const bool more_want = static_cast<bool>(std::getline(want, w));
    const bool more_got = static_cast<bool>(std::getline(got, g));
    ++line;
    if (!more_want && !more_got) break;
    ASSERT_EQ(more_want, more_got) << "trace length differs at line " << line;
    ASSERT_EQ(w, g) << "first difference at line " << line;
  }
}

}  // namespace
}  // namespace resproxy::harness
