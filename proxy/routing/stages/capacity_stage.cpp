#include "proxy/routing/stages/capacity_stage.h"

#include "proxy/routing/node_identity.h"

namespace resproxy::routing::stages {

Decision CapacityStage::run(const RequestContext& c) const {
  const auto& request = c.request;
  if (!request.to_tag().empty() || request.method() == sip::Method::Cancel) return Decision::go_on();
  if (c.server_transactions > max_transactions) {
    // Memory is bounded: new work waits, dialogs in progress go on.
    ++counters.overload_rejected;
    return Decision::respond(503, "Service Unavailable", {{"Retry-After", "5"}});
  }
  if (c.now < overload.until && (c.unverified || c.now < overload.severe_until) &&
      !is_emergency_request(emergency_numbers, request)) {
    // Overloaded: new calls and registrations from outside wait (one datagram each, no
    // Timer G), the office's own only when it is bad (5x the delay); what is in progress —
    // in-dialog requests, retransmissions — goes on, and so do emergency calls.
    ++counters.overload_rejected;
    return Decision::respond_statelessly(503, "Service Unavailable", {{"Retry-After", "2"}});
  }
  return Decision::go_on();
}

}  // namespace resproxy::routing::stages
