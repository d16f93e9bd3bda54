#pragma once
// The reject stage: the seed's reject list ([sipproxy.reject.N]) and the PSTN gateway's
// from_action = reject answer 403. (The ignore list and the bans drop messages before they are
// parsed: ProxyNode::admits.)
#include <vector>

#include "proxy/routing/proxy_config.h"
#include "proxy/routing/proxy_counters.h"
#include "proxy/routing/stages/stage.h"
#include "proxy/security/ip_range.h"

namespace resproxy::routing::stages {

struct RejectStage {
  const std::vector<security::IpRange>& rejected;
  const PstnGateway& gateway;
  ProxyCounters& counters;  // forbidden

  // 403 from a rejected source, or from the gateway when its from_action rejects; else Continue.
  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
