#include "proxy/routing/stages/route_stage.h"

namespace resproxy::routing::stages {

Decision RouteStage::run(RequestContext& c) const { return router.route_by_request(c); }

}  // namespace resproxy::routing::stages
