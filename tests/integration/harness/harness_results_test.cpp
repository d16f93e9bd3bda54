// Expected outcomes (issue #12 (a)): calls that were not answered because not answering was the
// right outcome are told apart from failures, left out of the success ratios and counted on
// their own; and every core node's counter table reaches results.json (issue #11).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

namespace resproxy::harness {
namespace {

CallData call(std::string kind, double placed_s, std::string outcome, int status) {
  CallData c;
  c.call_id = kind + "-" + std::to_string(placed_s);
  c.kind = std::move(kind);
  c.placed_s = placed_s;
  c.outcome = std::move(outcome);
  c.status = status;
  return c;
}

RunData run_with_fault(const std::string& kind, const std::string& target) {
  RunData run;
  run.duration_s = 300;
  run.faults.push_back(AppliedFault{kind, target, 100, 200, "", true, 200});
  return run;
}

TEST(ExpectedOutcomes, AnUnassignedNumberAnswered404IsTheRightOutcomeAndNothingElseIs) {
  const RunData run;
  EXPECT_EQ(expected_outcome(call("pstn_unassigned", 5, "failed", 404), run), "unassigned_number");
  EXPECT_EQ(expected_outcome(call("pstn_unassigned", 5, "failed", 408), run), "");
  EXPECT_EQ(expected_outcome(call("pstn_unassigned", 5, "answered", 200), run), "");
  EXPECT_EQ(expected_outcome(call("pstn_inbound", 5, "failed", 404), run), "");
  EXPECT_EQ(expected_outcome(call("internal", 5, "failed", 404), run), "");
}

TEST(ExpectedOutcomes, AnInboundCallIsExcusedOnlyWhilePlacedInsideACutOfItsWayIn) {
  for (const char* target : {"access", "itsp", "remote"}) {
    for (const char* kind : {"outage", "flap", "random_outages", "process_dead", "process_503"}) {
      SCOPED_TRACE(std::string(kind) + " on " + target);
      const RunData run = run_with_fault(kind, target);
      EXPECT_EQ(expected_outcome(call("inbound", 150, "failed", 408), run), "inbound_path_cut");
      EXPECT_EQ(expected_outcome(call("inbound", 100, "failed", 408), run), "inbound_path_cut");
      EXPECT_EQ(expected_outcome(call("inbound", 99.9, "failed", 408), run), "");   // before
      EXPECT_EQ(expected_outcome(call("inbound", 200, "failed", 408), run), "");    // restored
      EXPECT_EQ(expected_outcome(call("inbound", 150, "busy", 486), run), "");      // not failed
      EXPECT_EQ(expected_outcome(call("internal", 150, "failed", 408), run), "");   // resproxy's job
      EXPECT_EQ(expected_outcome(call("outbound", 150, "failed", 503), run), "");   // the gateway's
    }
  }
  // Faults that leave the way in open excuse nothing.
  EXPECT_EQ(expected_outcome(call("inbound", 150, "failed", 408), run_with_fault("loss", "access")), "");
  EXPECT_EQ(expected_outcome(call("inbound", 150, "failed", 408), run_with_fault("latency", "access")), "");
  EXPECT_EQ(expected_outcome(call("inbound", 150, "failed", 408), run_with_fault("outage", "lan")), "");
  EXPECT_EQ(expected_outcome(call("inbound", 150, "failed", 408), run_with_fault("process_dead", "resproxy")),
            "");
}

TEST(ExpectedOutcomes, SuccessRatiosLeaveThemOutAndCountThemApart) {
  Scenario scenario;
  scenario.duration_s = 300;
  FaultSpec spec;
  spec.kind = "outage";
  spec.start_s = 100;
  spec.end_s = 200;
  scenario.faults.push_back(spec);
  RunData run = run_with_fault("outage", "access");
  run.calls = {call("internal", 120, "answered", 200), call("inbound", 130, "failed", 408),
               call("pstn_unassigned", 140, "failed", 404), call("internal", 150, "failed", 500),
               call("inbound", 250, "answered", 200)};
  const Metrics m = compute_metrics(scenario, run);
  EXPECT_EQ(m.at("calls_total.during"), 4);
  EXPECT_EQ(m.at("calls_expected.during"), 2);
  EXPECT_EQ(m.at("calls_failed.during"), 1);  // only the real failure
  EXPECT_DOUBLE_EQ(m.at("call_success_ratio.during"), 0.5);  // 1 / (4 − 2), not 1 / 4
  EXPECT_EQ(m.count("inbound_call_success_ratio.during"), 0u);  // every inbound call excused
  EXPECT_DOUBLE_EQ(m.at("inbound_call_success_ratio.after"), 1.0);
  EXPECT_EQ(m.at("calls_expected"), 2);
  EXPECT_TRUE(is_known_metric("calls_expected.during"));

  const auto doc = nlohmann::json::parse(results_json(scenario, run, m, {}));
  EXPECT_EQ(doc["calls"][1]["expected"], "inbound_path_cut");
  EXPECT_EQ(doc["calls"][2]["expected"], "unassigned_number");
  EXPECT_TRUE(doc["calls"][3]["expected"].is_null());
}

// The counter table of both core nodes is in the run's data, named as `show counters` names
// them, and agrees with what the harness measures on its own.
TEST(RunCounters, EveryCoreNodesCounterTableReachesTheResults) {
  const Scenario scenario = load_scenario(std::string(RESPROXY_HARNESS_DATA) + "/pstn_gateway.yaml");
  const RunData run = run_scenario(scenario, scenario.seed, RunOptions{});
  ASSERT_EQ(run.counters.size(), 2u);
  EXPECT_EQ(run.counters[0].first, "resproxy");
  EXPECT_EQ(run.counters[1].first, "itsp");
  const auto value = [&](std::size_t node, const std::string& name) -> std::optional<std::uint64_t> {
    for (const auto& c : run.counters[node].second) {
      if (c.name == name) return c.value;
    }
    return std::nullopt;
  };
  for (const auto& c : run.counters[0].second) {
    EXPECT_FALSE(c.help.empty()) << c.name;
    EXPECT_TRUE(c.kind == "counter" || c.kind == "gauge") << c.name;
  }
  ASSERT_TRUE(value(0, "requests").has_value());
  EXPECT_GT(*value(0, "requests"), 0u);
  EXPECT_EQ(value(0, "failovers"), run.failovers);
  // Each call from the office gateway is one routing decision at resproxy, and none went back.
  EXPECT_EQ(run.gateway_loops, 0u);
  EXPECT_GE(*value(0, "requests"), run.gateway_route_decisions);
  const auto doc = nlohmann::json::parse(
      results_json(scenario, run, compute_metrics(scenario, run), {}));
  ASSERT_TRUE(doc["counters"].is_object());
  EXPECT_EQ(doc["counters"]["resproxy"].size(), run.counters[0].second.size());
  EXPECT_EQ(doc["counters"]["itsp"][0]["name"], run.counters[1].second[0].name);
}

}  // namespace
}  // namespace resproxy::harness
