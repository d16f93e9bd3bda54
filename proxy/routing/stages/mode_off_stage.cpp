#include "proxy/routing/stages/mode_off_stage.h"

namespace resproxy::routing::stages {

Decision ModeOffStage::run(const RequestContext&) const {
  if (mode != ProxyMode::Off) return Decision::go_on();
  return Decision::respond(503, "Service Unavailable");
}

}  // namespace resproxy::routing::stages
