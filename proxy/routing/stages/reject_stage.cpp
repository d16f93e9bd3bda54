#include "proxy/routing/stages/reject_stage.h"

#include "proxy/routing/node_identity.h"

namespace resproxy::routing::stages {

Decision RejectStage::run(const RequestContext& c) const {
  // The seed's order: ignore (dropped before parsing, see admits()), reject, then the rest.
  if (security::any_contains(rejected, c.path.remote.ip) ||
      (is_pstn_gateway(gateway, c.path.remote) && gateway.from_action == GatewayFromAction::Reject)) {
    ++counters.forbidden;
    return Decision::respond(403, "Forbidden");
  }
  return Decision::go_on();
}

}  // namespace resproxy::routing::stages
