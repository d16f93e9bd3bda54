#pragma once
// The mode-off stage: with mode = off the proxy answers every request 503.
#include "proxy/routing/proxy_config.h"
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

struct ModeOffStage {
  const ProxyMode& mode;

  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
