#include "proxy/routing/stages/validate_stage.h"

#include "proxy/routing/request_checks.h"

namespace resproxy::routing::stages {

Decision ValidateStage::run(const RequestContext& c) const {
  auto rejection = check_request(c.request);
  if (!rejection) return Decision::go_on();
  if (rejection->status_code == 483) ++counters.too_many_hops;
  return Decision::respond(rejection->status_code, rejection->reason, std::move(rejection->headers));
}

}  // namespace resproxy::routing::stages
