#include "proxy/routing/routing_table.h"

namespace resproxy::routing {

std::string_view to_string(SourceClass source) {
  switch (source) {
    case SourceClass::Endpoint: return "endpoint";
    case SourceClass::Gateway: return "gateway";
    case SourceClass::Untrusted: return "untrusted";
    case SourceClass::Itsp: return "itsp";
  }
  return "unknown";
}

std::string_view to_string(RouteAction action) {
  switch (action) {
    case RouteAction::ToItsp: return "itsp";
    case RouteAction::ToEndpoint: return "endpoint";
    case RouteAction::ToGateway: return "gateway";
    case RouteAction::NotFound: return "not_found";
    case RouteAction::Challenge: return "challenge";
    case RouteAction::Unavailable: return "unavailable";
  }
  return "unknown";
}

namespace {

// Standalone and failure operation: local service only.
RouteAction local_table(const RouteQuery& q) {
  if (q.registered) return RouteAction::ToEndpoint;
  switch (q.source) {
    case SourceClass::Endpoint:
      return q.gateway_configured ? RouteAction::ToGateway : RouteAction::NotFound;
    case SourceClass::Gateway:
      return RouteAction::NotFound;  // anti toll-fraud: never back to the gateway
    case SourceClass::Untrusted:
      return q.can_challenge && q.gateway_configured ? RouteAction::Challenge : RouteAction::NotFound;
    case SourceClass::Itsp:
      return RouteAction::NotFound;
  }
  return RouteAction::NotFound;
}

}  // namespace

RouteAction decide_route(const RouteQuery& q) {
  if (q.mode == ProxyMode::Off) return RouteAction::Unavailable;
  if (q.emergency && q.gateway_configured && q.source != SourceClass::Gateway) {
    return RouteAction::ToGateway;
  }
  if (q.source == SourceClass::Itsp) {
    return q.registered ? RouteAction::ToEndpoint : RouteAction::NotFound;
  }
  // from_routing = regd_ua, in every mode and state: the gateway's calls reach phones
  // registered here and nothing else (a PSTN call to an unassigned number must not leave again
  // through the ITSP, nor go back to the gateway).
  if (q.source == SourceClass::Gateway && q.gateway_routing == GatewayFromRouting::RegisteredUa) {
    return q.registered ? RouteAction::ToEndpoint : RouteAction::NotFound;
  }
  switch (q.mode) {
    case ProxyMode::Standalone:
      return local_table(q);
    case ProxyMode::ForwardItsp:
      if (!q.itsp_up) return local_table(q);
      return RouteAction::ToItsp;
    case ProxyMode::SipTrunk:
      if (!q.itsp_up) return local_table(q);
      return q.registered ? RouteAction::ToEndpoint : RouteAction::ToItsp;
    case ProxyMode::Off:
      break;
  }
  return RouteAction::Unavailable;
}

}  // namespace resproxy::routing
