#pragma once
// The route stage: a request that says where it goes — along a Route set (loose routing,
// §16.4), a REGISTER or an OPTIONS for our domain, a registered phone's contact, a dialog's
// remote target (§16.5, §16.6) — goes there; only an out-of-dialog request for someone the
// tables must find goes on (to admission, then the tables: table_stage.h).
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

// The node's routing, which the route and table stages hand requests to.
class Router {
 public:
  // The request's own route. Continue (with c.pop set): only the routing tables can route it.
  [[nodiscard]] virtual Decision route_by_request(RequestContext& c) = 0;
  // The seed's routing tables (routing_table.h), for c.source; answers or forwards it.
  virtual void route_by_table(const RequestContext& c) = 0;

 protected:
  ~Router() = default;
};

struct RouteStage {
  Router& router;

  [[nodiscard]] Decision run(RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
