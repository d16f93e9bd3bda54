#pragma once
// The seed's routing tables (Vega Resilience Proxy information note), as one pure function.
// Every out-of-dialog request that is not a REGISTER is routed by where it comes from and where it
// goes; in-dialog requests follow their Route set and never come here.
//
// Normal operation (forward_itsp, an ITSP proxy is up): everything goes via the ITSP, whoever sends
// it — except that with `from_routing = regd_ua` the PSTN gateway's calls go straight to a
// registered phone and get 404 for anyone else (a PSTN call to an unassigned number must not
// trombone out through the ITSP), and requests that come *from* the ITSP reach the phone.
//
// Failure operation (forward_itsp or sip_trunk, no ITSP up) and standalone:
//   from \ to                        registered        not registered
//   trusted/authenticated endpoint   to the endpoint   to the PSTN gateway
//   PSTN gateway                     to the endpoint   404 (never looped back: toll fraud)
//   untrusted, unauthenticated       to the endpoint   404 (407 first when it could authenticate)
//
// sip_trunk with the ITSP up: registered → the endpoint, not registered → the ITSP, from anyone.
//
// Requests from an ITSP proxy, in every mode: registered → the endpoint, else 404 (never sent
// back to the ITSP, never to the gateway).
//
// Beyond the seed: emergency numbers go to the PSTN gateway in every mode and state (when one is
// configured), except from the gateway itself; `off` answers 503.
#include <cstdint>
#include <string_view>

#include "proxy/routing/proxy_config.h"

namespace resproxy::routing {

enum class SourceClass : std::uint8_t {
  Endpoint,     // a trusted address, or a request whose digest credentials were verified
  Gateway,      // the configured PSTN gateway (from_action trust, or auth and authenticated)
  Untrusted,    // anyone else
  Itsp,         // one of the configured ITSP proxies (address and port)
};
std::string_view to_string(SourceClass source);

enum class RouteAction : std::uint8_t {
  ToItsp,        // forward to the selected ITSP proxy
  ToEndpoint,    // forward to the registered phone (last registered binding)
  ToGateway,     // forward to the PSTN gateway
  NotFound,      // 404
  Challenge,     // 407: the caller may authenticate and try again (then it is an Endpoint)
  Unavailable,   // 503: the proxy is off, or nowhere to send it
};
std::string_view to_string(RouteAction action);

struct RouteQuery {
  ProxyMode mode = ProxyMode::Standalone;
  bool itsp_up = false;           // some ITSP proxy is usable now
  SourceClass source = SourceClass::Untrusted;
  bool registered = false;        // the target user has a live binding (or a directory entry)
  bool emergency = false;         // the target is one of the emergency numbers
  bool gateway_configured = false;
  bool can_challenge = false;     // auth users exist and this method is challenged
  GatewayFromRouting gateway_routing = GatewayFromRouting::Itsp;
};

// Failure operation: forward_itsp or sip_trunk with no usable ITSP proxy.
[[nodiscard]] constexpr bool in_failure_operation(ProxyMode mode, bool itsp_up) {
  return (mode == ProxyMode::ForwardItsp || mode == ProxyMode::SipTrunk) && !itsp_up;
}

[[nodiscard]] RouteAction decide_route(const RouteQuery& query);

}  // namespace resproxy::routing
