// The gateway_loops metric is not vacuous: the tally counts exactly the route.decided events
// that resproxy's core writes for a request from the PSTN gateway routed back to it (the strings
// are the core's own to_string values), and a run in which the gateway really calls the office
// produces those events, with source=gateway and an action, for every one of its calls.
#include <gtest/gtest.h>

#include <string>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"
#include "proxy/routing/routing_table.h"

namespace resproxy::harness {
namespace {

TraceEvent decision(routing::SourceClass source, routing::RouteAction action) {
  TraceEvent event{TimePoint{}, "route.decided", {}};
  event.with("call_id", "c1")
      .with("source", std::string(routing::to_string(source)))
      .with("registered", "0")
      .with("itsp_up", "0")
      .with("action", std::string(routing::to_string(action)));
  return event;
}

TEST(GatewayLoops, TheTallyCountsAGatewayCallRoutedBackToTheGateway) {
  RouteDecisionTally tally;
  tally_route_decision(decision(routing::SourceClass::Gateway, routing::RouteAction::ToGateway), tally);
  EXPECT_EQ(tally.gateway_loops, 1u);
  EXPECT_EQ(tally.from_gateway, 1u);
  tally_route_decision(decision(routing::SourceClass::Gateway, routing::RouteAction::NotFound), tally);
  tally_route_decision(decision(routing::SourceClass::Gateway, routing::RouteAction::ToEndpoint), tally);
  tally_route_decision(decision(routing::SourceClass::Endpoint, routing::RouteAction::ToGateway), tally);
  EXPECT_EQ(tally.gateway_loops, 1u);  // an endpoint's call to the gateway is no loop
  EXPECT_EQ(tally.from_gateway, 3u);
  TraceEvent other = decision(routing::SourceClass::Gateway, routing::RouteAction::ToGateway);
  other.name = "route.forwarded";
  tally_route_decision(other, tally);
  EXPECT_EQ(tally.gateway_loops, 1u);
}

TEST(GatewayLoops, GatewayCallsReachTheTallyWithTheFieldsItReads) {
  const Scenario scenario = load_scenario(std::string(RESPROXY_HARNESS_DATA) + "/pstn_gateway.yaml");
  RunOptions options;
  options.keep_trace = true;
  const RunData run = run_scenario(scenario, scenario.seed, options);

  std::size_t from_gateway = 0, not_found = 0, to_endpoint = 0, to_gateway = 0;
  for (const auto& line : run.trace) {
    if (line.find("\"node\":\"resproxy\"") == std::string::npos) continue;
    if (line.find("\"ev\":\"route.decided\"") == std::string::npos) continue;
    if (line.find("\"source\":\"gateway\"") == std::string::npos) continue;
    ++from_gateway;
    not_found += line.find("\"action\":\"not_found\"") != std::string::npos ? 1 : 0;
    to_endpoint += line.find("\"action\":\"endpoint\"") != std::string::npos ? 1 : 0;
    to_gateway += line.find("\"action\":\"gateway\"") != std::string::npos ? 1 : 0;
  }
  std::size_t gateway_calls = 0, unassigned = 0;
  for (const auto& call : run.calls) {
    if (call.kind == "pstn_inbound" || call.kind == "pstn_unassigned") ++gateway_calls;
    if (call.kind == "pstn_unassigned") {
      ++unassigned;
      EXPECT_EQ(call.status.value_or(0), 404) << call.to;
      EXPECT_EQ(call.route, "") << call.to;  // resproxy forwarded it nowhere
    }
  }
  EXPECT_GE(gateway_calls, 10u);
  EXPECT_GE(unassigned, 3u);  // "2999", "112" and the drawn ones
  EXPECT_EQ(from_gateway, gateway_calls);  // one decision per gateway call: the tally sees them
  EXPECT_EQ(not_found, unassigned);
  EXPECT_EQ(to_endpoint, gateway_calls - unassigned);
  EXPECT_EQ(to_gateway, 0u);
  EXPECT_EQ(run.gateway_route_decisions, from_gateway);
  EXPECT_EQ(run.gateway_loops, 0u);

  const Metrics metrics = compute_metrics(scenario, run);
  EXPECT_EQ(metrics.at("gateway_route_decisions"), static_cast<double>(from_gateway));
  EXPECT_EQ(metrics.at("pstn_unassigned_404_ratio"), 1.0);
  for (const auto& verdict : judge(scenario, metrics)) EXPECT_TRUE(verdict.passed) << verdict.message;
}

}  // namespace
}  // namespace resproxy::harness
