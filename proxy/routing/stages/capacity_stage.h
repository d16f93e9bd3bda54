#pragma once
// The capacity stage (issue #10): memory and receive-delay overload. New work waits — 503 with
// Retry-After — while what is in progress goes on: in-dialog requests, CANCELs, and emergency
// calls always pass.
#include <string>
#include <vector>

#include "proxy/routing/proxy_counters.h"
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

// Set by the node from the runtime's receive delays (ProxyNode::handle_receive_delay).
struct Overload {
  TimePoint until{};         // overloaded while now < this: new work from outsiders waits
  TimePoint severe_until{};  // badly overloaded: new work from the office waits too
};

struct CapacityStage {
  const std::size_t& max_transactions;  // above: 503, Retry-After 5 (bounded memory)
  const Overload& overload;
  const std::vector<std::string>& emergency_numbers;
  ProxyCounters& counters;  // overload_rejected

  // Continue; or, for an out-of-dialog request other than CANCEL, 503 + Retry-After 5 over
  // max_transactions, or 503 + Retry-After 2 statelessly while overloaded (to unverified sources,
  // or to anyone while badly overloaded; never to emergency calls).
  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
