#include "proxy/routing/request_checks.h"

#include <algorithm>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::routing {

std::optional<Rejection> check_request(const sip::Message& request,
                                       const RequestCheckOptions& options) {
  // §16.3 step 2: a scheme the proxy does not understand (RFC 4475 §3.3.2, §3.3.3).
  const auto uri = sip::parse_uri(request.request_uri());
  if (!uri || uri->scheme_id == sip::UriScheme::Other) {
    return Rejection{.status_code = 416, .reason = sip::default_reason(416), .headers = {}};
  }
  // §16.3 step 3 (RFC 4475 §3.3.11).
  if (request.max_forwards() == 0u) {
    return Rejection{.status_code = 483, .reason = sip::default_reason(483), .headers = {}};
  }
  // §16.3 step 5 (RFC 4475 §3.3.5): every unsupported Proxy-Require tag goes into Unsupported.
  std::string unsupported;
  for (const sip::HeaderField& h : request.headers()) {
    if (h.id != sip::HeaderId::ProxyRequire) continue;
    std::string_view rest = h.value;
    while (const auto tag = sip::next_value(rest)) {
      if (tag->empty()) continue;
      const auto& supported = options.supported_proxy_options;
      if (std::find(supported.begin(), supported.end(), *tag) != supported.end()) continue;
      if (!unsupported.empty()) unsupported += ", ";
      unsupported += *tag;
    }
  }
  if (!unsupported.empty()) {
    Rejection r{.status_code = 420, .reason = sip::default_reason(420), .headers = {}};
    r.headers.push_back(sip::ExtraHeader{.name = "Unsupported", .value = std::move(unsupported)});
    return r;
  }
  return std::nullopt;
}

}  // namespace resproxy::routing
