#pragma once
// The exit rule: one check on where a request leaves to, made at the exit (the moment a request
// is forwarded), whatever path through the proxy led there. It closes the open relay and the
// toll-fraud paths that entrance checks alone leave open (a preloaded Route, a forged To tag, a
// Request-URI at some host):
//
//   * Trusted and authenticated senders may send anywhere (today's freedom).
//   * Anyone else reaches only what the seed's routing tables name for it in the current mode
//     and ITSP state —
//       service                          untrusted may reach      the gateway / the ITSP may reach
//       Local (standalone, failure op.)  a registered phone       a registered phone
//       ViaItsp (forward_itsp, ITSP up)  the ITSP (*)             the ITSP, a registered phone / a phone
//       Trunk (sip_trunk, ITSP up)       a phone, the ITSP (*)    a phone, the ITSP / a phone
//       Off                              nothing                  nothing
//     (*) unless `itsp_requires_trust` (for ITSPs that authenticate the trunk by IP address)
//   * — or the next hop of a dialog we record-routed, reached along our own Record-Route whose
//     MAC names that next hop (dialog_mac.h), so an untrusted phone can still send BYE or a
//     re-INVITE in a call it is part of;
//   * — or, for an emergency call from the office LAN, the PSTN gateway.
//   Everything else is refused (403): the PSTN gateway is never reached by an untrusted source
//   otherwise, and no request is relayed to an arbitrary host on an outsider's say-so.
// A pure function; ProxyNode classifies sender and exit and acts on the verdict.
#include <cstdint>
#include <string_view>

namespace resproxy::security {

// Who sent the request, after the trust tables and digest authentication.
enum class Sender : std::uint8_t {
  Trusted,        // a trusted address ([sipproxy.trust], the defaults)
  Authenticated,  // digest credentials of a configured user verified
  Gateway,        // the PSTN gateway (from_action trust, or auth and authenticated)
  Itsp,           // one of the ITSP proxies
  Untrusted,      // anyone else
};
std::string_view to_string(Sender sender);

// Where the request would leave to.
enum class Exit : std::uint8_t {
  Itsp,       // an ITSP proxy
  Phone,      // a phone registered here (at the address it registered from) or a directory entry
  Gateway,    // the PSTN gateway
  Elsewhere,  // any other host
};
std::string_view to_string(Exit exit);

// The office's service now: the seed's mode and the ITSP's state.
enum class Service : std::uint8_t {
  Local,    // standalone, or failure operation (forward_itsp / sip_trunk with the ITSP down)
  ViaItsp,  // forward_itsp with an ITSP proxy up: everything via the ITSP
  Trunk,    // sip_trunk with an ITSP proxy up: registered phones locally, the rest via the ITSP
  Off,      // mode off
};
std::string_view to_string(Service service);

struct ExitQuery {
  Sender sender = Sender::Untrusted;
  Exit exit = Exit::Elsewhere;
  Service service = Service::Local;
  bool our_dialog = false;  // arrived along our Record-Route whose MAC names this very next hop
  bool emergency = false;   // an out-of-dialog call to an emergency number
  bool from_lan = false;    // the sender is on the office LAN
  bool itsp_requires_trust = false;
};

// Why a request may leave, or that it may not.
enum class ExitVerdict : std::uint8_t {
  TrustedSender,
  AuthenticatedSender,
  SeedTable,   // the tables name this exit for this sender in this service
  OurDialog,   // along our own Record-Route, to the hop its MAC names
  Emergency,   // an emergency call from the LAN to the gateway
  Refused,
};
std::string_view to_string(ExitVerdict verdict);

[[nodiscard]] ExitVerdict check_exit(const ExitQuery& query);

[[nodiscard]] constexpr bool allowed(ExitVerdict verdict) { return verdict != ExitVerdict::Refused; }

}  // namespace resproxy::security
