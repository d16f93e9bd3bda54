#pragma once
// The request pipeline: every stage a new request passes, in order, in one table
// (visit_request_stages). A stage either lets the next one have the request, answers it, or
// hands it on (forwarding, the registration flow, the CANCEL's INVITE); the node answers what a
// stage decided (ProxyNode::Impl::on_request). New capabilities — the media relay, the PSTN
// gateway — add a stage here, not a branch to one.
#include <string_view>

#include "proxy/routing/stages/admission_stage.h"
#include "proxy/routing/stages/cancel_stage.h"
#include "proxy/routing/stages/capacity_stage.h"
#include "proxy/routing/stages/loop_stage.h"
#include "proxy/routing/stages/mode_off_stage.h"
#include "proxy/routing/stages/reject_stage.h"
#include "proxy/routing/stages/route_stage.h"
#include "proxy/routing/stages/stage.h"
#include "proxy/routing/stages/table_stage.h"
#include "proxy/routing/stages/validate_stage.h"

namespace resproxy::routing::stages {

// One node's stages, each with what it reads (see its header).
struct RequestStages {
  CapacityStage capacity;
  RejectStage reject;
  ModeOffStage mode_off;
  ValidateStage validate;
  CancelStage cancel;
  LoopStage loop;
  RouteStage route;
  AdmissionStage admission;
  TableStage table;
};

// The table: every stage, in order. `visit(name, stage)` runs for each until one returns true
// (the stage answered the request or handed it on). Refusals that need nothing but the request
// and the node's state come first (capacity, the reject list, mode off), then the §16.3 checks,
// CANCEL matching and loop detection; routing last, with admission between a request's own
// route and the seed's tables. A sequence rather than function pointers: the node's walk
// compiles to direct calls, and a stage costs an indirect call only where it calls the node.
template <typename Visit>
bool visit_request_stages(RequestStages& s, Visit&& visit) {
  return visit("capacity", s.capacity) || visit("reject", s.reject) || visit("mode_off", s.mode_off) ||
         visit("validate", s.validate) || visit("cancel", s.cancel) || visit("loop", s.loop) ||
         visit("route", s.route) || visit("admission", s.admission) || visit("table", s.table);
}

}  // namespace resproxy::routing::stages
