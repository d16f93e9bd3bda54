// The `pstn:` block (the real gateway core on emulated cards and exchange): Erlang B against
// table values, strict reading of the block and its faults, the outcomes it excuses, and a run
// that is deterministic and re-presents calls to the FXO lines when the E1 loses its signal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

namespace resproxy::harness {
namespace {

TEST(ErlangB, MatchesTheTablesForThirtyChannels) {
  // Erlang B tables (e.g. ITU-T E.500 style): N = 30 gives 1 % at 20.34 E, 5 % at 24.80 E.
  EXPECT_NEAR(erlang_b(20, 30), 0.0085, 5e-4);  // 0.008457…
  EXPECT_NEAR(erlang_b(25, 30), 0.0526, 5e-4);  // 0.052603…
  EXPECT_NEAR(erlang_b(30, 30), 0.1325, 5e-4);  // 0.132460…
}

TEST(ErlangB, FollowsTheRecursionAtItsEnds) {
  EXPECT_DOUBLE_EQ(erlang_b(5, 0), 1.0);           // no channel: every call is lost
  EXPECT_DOUBLE_EQ(erlang_b(2, 1), 2.0 / 3.0);     // A / (1 + A)
  EXPECT_DOUBLE_EQ(erlang_b(0, 30), 0.0);          // no traffic: nothing is lost
  EXPECT_LT(erlang_b(25, 31), erlang_b(25, 30));   // a channel more, less blocking
}

// Engset's call congestion straight from its definition, for a given β (no recursion): the
// binomial sum over the other S = sources − 1 callers.
double engset_by_definition(double beta, std::size_t channels, std::size_t sources) {
  const auto choose = [](double n, std::size_t k) {
    double c = 1.0;
    for (std::size_t i = 1; i <= k; ++i) c = c * (n - static_cast<double>(k) + static_cast<double>(i)) / static_cast<double>(i);
    return c;
  };
  const double others = static_cast<double>(sources - 1);
  double sum = 0.0;
  for (std::size_t i = 0; i <= channels; ++i) sum += choose(others, i) * std::pow(beta, static_cast<double>(i));
  return choose(others, channels) * std::pow(beta, static_cast<double>(channels)) / sum;
}

TEST(Engset, SolvesItsDefinitionForTheOfferedTraffic) {
  // 10 phones offering 2 E to 3 lines: the blocking B and the idle-source traffic β must satisfy
  // both Engset's sum and a = β / (1 + β(1 − B)), a = 0.2 E per phone.
  const double b = engset(2.0, 3, 10);
  const double a = 0.2;
  const double beta = a / (1.0 - a * (1.0 - b));
  EXPECT_NEAR(b, engset_by_definition(beta, 3, 10), 1e-9);
  EXPECT_GT(b, 0.01);
  EXPECT_LT(b, erlang_b(2.0, 3));  // a busy phone calls no more: fewer calls meet all lines busy
}

TEST(Engset, ApproachesErlangBForManySourcesAndVanishesForFew) {
  EXPECT_NEAR(engset(25, 30, 100000), erlang_b(25, 30), 2e-4);  // infinite population: Erlang B
  EXPECT_LT(engset(25, 30, 120), erlang_b(25, 30));             // the busy-hour office: below it
  EXPECT_DOUBLE_EQ(engset(5, 30, 30), 0.0);   // a line for every phone: nothing is blocked
  EXPECT_DOUBLE_EQ(engset(0, 30, 120), 0.0);  // no traffic: nothing is blocked
  EXPECT_TRUE(std::isnan(engset(130, 30, 120)));  // more than one Erlang per phone: not a load
}

// A scenario file with `body` appended to a minimal valid head; returns its path.
std::string write_scenario(const std::string& name, const std::string& body,
                           const std::string& topology = "topology: {phones: 4}\n") {
  const auto path = std::filesystem::temp_directory_path() / ("resproxy-pstn-" + name + ".yaml");
  std::ofstream(path) << "duration_s: 300\n" << topology << "resproxy: |\n  [sipproxy]\n  mode = forward_itsp\n"
                      << body;
  return path.string();
}

std::string load_error(const std::string& name, const std::string& body,
                       const std::string& topology = "topology: {phones: 4}\n") {
  try {
    (void)load_scenario(write_scenario(name, body, topology));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(PstnBlock, IsReadStrictlyWithFileAndLine) {
  EXPECT_NE(load_error("unknown", "pstn: {e1_spans: 1, channels: 30}\n").find(".yaml:6:"), std::string::npos);
  EXPECT_NE(load_error("unknown2", "pstn: {e1_spans: 1, channels: 30}\n").find("unknown key 'channels' in pstn"),
            std::string::npos);
  EXPECT_NE(load_error("shares", "pstn:\n  subscribers: {answer_share: 0.5, busy_share: 0.2}\n")
                .find("pstn.subscribers: the shares must add up to 1"),
            std::string::npos);
  EXPECT_NE(load_error("represent", "pstn: {represent_to_fxo: true}\n").find("needs fxo_lines"),
            std::string::npos);
  EXPECT_NE(load_error("hunt", "pstn: {hunt: random}\n").find("pstn.hunt"), std::string::npos);
}

TEST(PstnBlock, TelephonyFaultsNeedItAndAValidTarget) {
  const std::string fault = "faults:\n  - {kind: e1_los, target: 2, start_s: 10, end_s: 20}\n";
  EXPECT_NE(load_error("nopstn", fault).find("\"e1_los\" is not allowed"), std::string::npos)
      << load_error("nopstn", fault);
  EXPECT_NE(load_error("range", "pstn: {e1_spans: 1}\n" + fault).find("out of range; allowed: 1..1"),
            std::string::npos);
  EXPECT_NE(load_error("fxo", "pstn: {e1_spans: 1}\nfaults:\n  - {kind: fxo_dead, target: 1}\n")
                .find("has no fxo_lines"),
            std::string::npos);
  const Scenario s = load_scenario(write_scenario(
      "ok", "pstn: {e1_spans: 2, fxo_lines: 2}\nfaults:\n  - {kind: e1_ais, target: 2, start_s: 10, end_s: 20}\n"
            "  - {kind: exchange_congestion, start_s: 30, end_s: 40}\n"));
  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].fault.index, 2u);
  EXPECT_EQ(s.faults[0].fault.target, "e1-2");
  EXPECT_FALSE(s.faults[0].disruptive);
  EXPECT_EQ(s.faults[1].fault.target, "pstn");
  EXPECT_EQ(s.pstn.usable_channels(), 62u);  // 2 × 30 + 2 lines (re-presentation is on)
}

TEST(PstnBlock, PhonesNeedFourDigitNumbersForTheDdiBlock) {
  EXPECT_NE(load_error("ddi", "pstn: {e1_spans: 1}\n", "topology: {phones: 4, first_number: 9998}\n").find("4 digits"),
            std::string::npos);
}

TEST(PstnOutcomes, SubscribersThatDoNotAnswerAndCutWaysInAreExpected) {
  RunData run;
  run.duration_s = 300;
  run.faults.push_back(AppliedFault{"e1_los", "e1-1", 100, 200, "", false, 200});
  CallData busy;
  busy.kind = "outbound";
  busy.outcome = "busy";
  busy.subscriber = "busy";
  EXPECT_EQ(expected_outcome(busy, run), "subscriber_busy");
  busy.outcome = "answered";
  EXPECT_EQ(expected_outcome(busy, run), "");
  CallData in;
  in.kind = "pstn_inbound";
  in.outcome = "failed";
  in.placed_s = 150;
  EXPECT_EQ(expected_outcome(in, run), "pstn_path_cut");
  in.placed_s = 250;
  EXPECT_EQ(expected_outcome(in, run), "");
}

TEST(PstnRun, E1LossOfSignalIsRepresentedToFxoAndTheRunIsDeterministic) {
  const Scenario s = load_scenario(std::string(RESPROXY_SOURCE_DIR) + "/scenarios/pstn-e1-los-fxo.yaml");
  const RunData a = run_scenario(s, s.seed, RunOptions{});
  const RunData b = run_scenario(s, s.seed, RunOptions{});
  const Metrics m = compute_metrics(s, a);
  EXPECT_EQ(results_json(s, a, m, {}), results_json(s, b, compute_metrics(s, b), {}));
  EXPECT_GT(m.at("pstn_represented"), 0);
  EXPECT_GT(m.at("pstn_calls_carried"), 0);
  EXPECT_EQ(m.count("pstn_erlang_b_blocking"), 0u);  // channels change with the fault: no Erlang B
  const auto doc = nlohmann::json::parse(results_json(s, a, m, {}));
  ASSERT_TRUE(doc["series"][0].contains("pstn_channels_in_use"));
  EXPECT_TRUE(doc["pstn"]["unanswered_by_cause"].is_object());
  // Calls went to the FXO lines: some gateway call tried e1 then fxo.
  bool represented = false;
  for (const auto& c : a.pstn_calls) represented |= c.routes_tried == "e1,fxo";
  EXPECT_TRUE(represented);
}

}  // namespace
}  // namespace resproxy::harness
