#include "proxy/routing/stages/table_stage.h"

namespace resproxy::routing::stages {

Decision TableStage::run(const RequestContext& c) const {
  router.route_by_table(c);
  return Decision::handed_on();
}

}  // namespace resproxy::routing::stages
