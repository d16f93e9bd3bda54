#pragma once
// Request and response rewriting for a proxy (RFC 3261 §16.6, §16.7): every header we do not
// touch goes out byte-exact, in its order; the body only when the media relay rewrites its SDP.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/routing/node_identity.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::routing {

struct RequestEdits {
  std::optional<std::string> request_uri;  // replace the Request-URI (§16.6 step 2)
  std::string via;                         // the new topmost Via value (§16.6 step 8)
  std::vector<std::string> record_route;   // Record-Route values to put on top (§16.6 step 4)
  std::size_t pop_routes = 0;              // leading Route values to remove (§16.4)
  std::uint32_t max_forwards = 70;         // the value to write (§16.6 step 3)
  std::vector<sip::ExtraHeader> add;       // appended after the last header
  // Drop P-Asserted-Identity, Remote-Party-ID and Diversion: an untrusted source must not choose
  // the calling number the PSTN gateway or the ITSP presents.
  bool strip_identity = false;
  // The media relay's SDP instead of the request's body (Content-Length follows it).
  std::optional<std::string> body;
};

// Headers that assert who is calling (RFC 3325, draft-ietf-sip-privacy-04, RFC 5806).
[[nodiscard]] bool is_identity_header(std::string_view name);

std::string rewrite_request(const sip::Message& request, const RequestEdits& edits);

// `message` with `body` instead of its own and a Content-Length that says so; every other header
// as received (the media relay's SDP in a response, an ACK).
std::string with_body(const sip::Message& message, std::string_view body);

// §16.7 step 3: the response without its topmost Via value.
std::string strip_top_via(const sip::Message& response);

// The same, and §16.7 step 4: each Record-Route value passes through `rewrite`, which returns
// the value to write instead (nullopt: as received). The proxy rewrites only its own.
using RecordRouteRewrite = std::function<std::optional<std::string>(std::string_view value)>;
std::string strip_top_via(const sip::Message& response, const RecordRouteRewrite& rewrite);

// Every Record-Route value in order (across fields), as written.
std::vector<std::string_view> record_route_values(const sip::Message& message);

// A 2xx to a REGISTER with every expiry (Contact `expires` parameters, Expires header) capped at
// `max_seconds`: registration throttling tells the phones a shorter expiry than the ITSP granted.
std::string cap_register_expiry(const sip::Message& response, std::int64_t max_seconds);

// Every Route value in order (across Route fields), as written (name-addr with brackets).
std::vector<std::string_view> route_values(const sip::Message& message);

// §16.6 step 8 loop detection: a hash of what identifies the request at this hop (Request-URI,
// top Via, Call-ID, CSeq number, From tag, To tag, Proxy-Require, Proxy-Authorization). A branch
// we write starts with it; a request that comes back carrying it unchanged is a loop (482), one
// whose hash differs is a spiral.
// Our own Vias (`ours`: our address with the UDP/TCP port, our TLS port over TLS, the NAT's
// outside address toward the ITSP) are skipped when picking the "top Via", so a request that
// comes straight back to us, over whichever transport, hashes like the one we sent.
std::string loop_hash(const sip::Message& request, const OurVias& ours);

}  // namespace resproxy::routing
