#pragma once
// The validation stage: RFC 3261 §16.3 request validation (request_checks.h) — 416 for a
// Request-URI scheme we do not route, 483 when Max-Forwards is exhausted, 420 with Unsupported
// for Proxy-Require option tags we do not support.
#include "proxy/routing/proxy_counters.h"
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

struct ValidateStage {
  ProxyCounters& counters;  // too_many_hops

  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
