#pragma once
// The table stage, last: the seed's routing tables (routing_table.h) route an out-of-dialog
// request by who sent it (c.source, from the admission stage) and where it goes — to a phone,
// the ITSP or the PSTN gateway, or 404/480/503 — and ITSP failover serves it locally when the
// ITSP fails it.
#include "proxy/routing/stages/route_stage.h"
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

struct TableStage {
  Router& router;

  // Always handed on: the tables answer or forward every request that reaches them.
  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
