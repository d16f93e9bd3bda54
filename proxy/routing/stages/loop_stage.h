#pragma once
// The loop stage (RFC 3261 §16.3 step 4, RFC 5393): a request that carries one of our Vias
// whose branch holds this very request's loop hash (forwarding.h loop_hash) came back to us
// unchanged: 482. One whose hash differs is a spiral and goes on.
#include "proxy/routing/node_identity.h"
#include "proxy/routing/proxy_counters.h"
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

// Whether one of the request's Vias is ours and carries its loop hash.
[[nodiscard]] bool is_loop(const sip::Message& request, const OurVias& us);

struct LoopStage {
  const OurVias& us;
  ProxyCounters& counters;  // loops

  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
