#include "proxy/routing/stages/cancel_stage.h"

namespace resproxy::routing::stages {

Decision CancelStage::run(const RequestContext& c) const {
  if (c.request.method() != sip::Method::Cancel) return Decision::go_on();
  if (port.cancel_invite(c.now, c.id, c.request)) return Decision::handed_on();
  return Decision::respond(481, "Call/Transaction Does Not Exist");
}

}  // namespace resproxy::routing::stages
