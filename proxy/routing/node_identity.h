#pragma once
// What the proxy knows from its configuration about itself and its neighbours, as small views
// the request stages (stages/) and ProxyNode share: our Via sent-by (loop detection, responses
// to forward), the PSTN gateway's address, the emergency numbers, and who a source is for the
// routing tables (SourceClassifier). Views hold references: what they read may change at run
// time (the listening address once the runtime bound it) and they see it.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/routing/itsp_monitor.h"
#include "proxy/routing/proxy_config.h"
#include "proxy/routing/routing_table.h"
#include "proxy/security/source_admission.h"
#include "proxy/sip/message.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::routing {

// Our addresses as our Vias name them: the listening address with the UDP/TCP port, the TLS
// port over TLS, and toward the ITSP the NAT's outside address.
class OurVias {
 public:
  OurVias(const Address& local, const std::uint16_t& tls_port, const std::string& nat_outside_address)
      : local_(&local), tls_port_(&tls_port), nat_outside_address_(&nat_outside_address) {}

  // host:port of our Vias, lower-case, IPv6 unbracketed (loop_hash skips such Vias).
  [[nodiscard]] std::string sent_by() const {
    return sip::text::lowercase(sip::text::strip_brackets(local_->ip)) + ":" + std::to_string(local_->port);
  }

  // A Via sent-by of ours: our address (or the NAT's outside address we name toward the ITSP)
  // with our UDP/TCP port, or our TLS port over TLS.
  [[nodiscard]] bool is_ours(const sip::ViaInfo& via) const {
    const bool tls = sip::text::iequals(via.transport, "TLS");
    const std::uint16_t port = via.port.value_or(tls ? 5061 : 5060);
    if (port != (tls ? *tls_port_ : local_->port)) return false;
    return sip::text::same_host(via.host, local_->ip) ||
           (!nat_outside_address_->empty() && sip::text::same_host(via.host, *nat_outside_address_));
  }

 private:
  const Address* local_;
  const std::uint16_t* tls_port_;
  const std::string* nat_outside_address_;
};

// The configured PSTN gateway, by its address and port.
[[nodiscard]] inline bool is_pstn_gateway(const PstnGateway& gateway, const Address& source) {
  const auto& gw = gateway.address;
  return gw && gw->port == source.port && sip::text::same_host(gw->ip, source.ip);
}

[[nodiscard]] inline bool is_emergency_number(const std::vector<std::string>& numbers,
                                              std::string_view user) {
  if (user.empty()) return false;
  for (const auto& n : numbers) {
    if (n == user) return true;
  }
  return false;
}

// A request for one of the emergency numbers (its Request-URI's user).
[[nodiscard]] inline bool is_emergency_request(const std::vector<std::string>& numbers,
                                               const sip::Message& request) {
  auto uri = sip::parse_uri(request.request_uri());
  return uri && is_emergency_number(numbers, uri->user);
}

// Who sent a request, for the routing tables (routing_table.h): the PSTN gateway (trusted as its
// from_action says, or once authenticated), an ITSP proxy, a trusted or authenticated endpoint,
// or nobody we know.
class SourceClassifier {
 public:
  // `itsp`: the node's monitor, null in standalone mode.
  SourceClassifier(const PstnGateway& gateway, const std::unique_ptr<ItspMonitor>& itsp,
                   const security::SourceAdmission& sources)
      : gateway_(&gateway), itsp_(&itsp), sources_(&sources) {}

  // `authenticated`: its digest credentials checked out.
  [[nodiscard]] SourceClass classify(const Path& path, bool authenticated) const {
    const Address& source = path.remote;
    if (is_pstn_gateway(*gateway_, source)) {
      if (gateway_->from_action == GatewayFromAction::Trust || authenticated) return SourceClass::Gateway;
      return SourceClass::Untrusted;
    }
    if (*itsp_ && (*itsp_)->find(source)) return SourceClass::Itsp;
    if (authenticated || sources_->is_trusted(path)) return SourceClass::Endpoint;
    return SourceClass::Untrusted;
  }

 private:
  const PstnGateway* gateway_;
  const std::unique_ptr<ItspMonitor>* itsp_;
  const security::SourceAdmission* sources_;
};

}  // namespace resproxy::routing
