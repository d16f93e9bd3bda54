#pragma once
// Stateless request validation a proxy performs before it forwards a request (RFC 3261
// §16.3 steps 2, 3 and 5): URI scheme, Max-Forwards and Proxy-Require. Step 1 (reasonable
// syntax) is sip::Message::parse; loop detection (step 4) and Proxy-Authorization (step 6)
// belong to the routing and security layers. Fed a parsed request; returns the response to
// send instead of forwarding, or nothing. Pure function of its inputs.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::routing {

// A reason not to forward: answer with `status_code`, `reason` and `headers` (pass them to
// sip::make_response as `extra`). Exception: an ACK is never answered (§17.2.3); drop it.
struct Rejection {
  int status_code = 0;
  std::string_view reason;
  std::vector<sip::ExtraHeader> headers;
};

struct RequestCheckOptions {
  // Option tags this proxy supports in Proxy-Require (compared exactly). None by default.
  std::span<const std::string_view> supported_proxy_options;
};

// Checks, in the order of §16.3:
//   416 Unsupported URI Scheme: the Request-URI scheme is not sip, sips or tel;
//   483 Too Many Hops: Max-Forwards is 0 (§16.3 step 3; a proxy may answer an OPTIONS itself
//       instead, we do not: the request is simply not forwarded);
//   420 Bad Extension with "Unsupported: tag, …": Proxy-Require names option tags not in
//       `options.supported_proxy_options` (Require is for the UAS and is ignored, §16.3 step 5).
// Precondition: `request` is a request that Message::parse accepted.
[[nodiscard]] std::optional<Rejection> check_request(const sip::Message& request,
                                                     const RequestCheckOptions& options = {});

}  // namespace resproxy::routing
