#pragma once
// Runs one Scenario on the ns-3 backend (issue #5, item 4): builds the office network
// (model/OfficeNetwork), puts the production ProxyNode core in as resproxy and as the ITSP (the
// latter inside a FaultyNode), the simulated phones, the office PSTN gateway, the remote PSTN and
// remote callers (UaPhones), generates the traffic from the scenario's RNG streams, schedules the
// fault timeline, runs, and returns the RunData. Same scenario and seed ⇒ same RunData.
#include <cstdint>
#include <functional>

#include "harness/run_data.h"
#include "harness/scenario.h"
#include "proxy/base/trace.h"

namespace resproxy::harness {

struct RunOptions {
  // Called now and then with the simulated time reached (seconds), e.g. for a progress bar.
  std::function<void(double sim_s)> progress;
  bool keep_trace = false;  // fill RunData::trace with every trace event line
};

RunData run_scenario(const Scenario& scenario, std::uint32_t seed, const RunOptions& options);

// How resproxy's `route.decided` trace events are tallied (gateway_loops, gateway_route_decisions):
// a request from the PSTN gateway (source=gateway) is a decision; one routed back to the gateway
// (action=gateway) is a loop. Exposed so that a test can show the count is not vacuous.
struct RouteDecisionTally {
  std::uint64_t from_gateway = 0;
  std::uint64_t gateway_loops = 0;
};
void tally_route_decision(const TraceEvent& event, RouteDecisionTally& tally);

}  // namespace resproxy::harness
