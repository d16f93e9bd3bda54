#pragma once
// The address the daemon advertises in Via and Record-Route. Listening on 0.0.0.0 or :: says
// nothing a peer can send to, so a real address must be chosen.
#include <string>
#include <vector>

#include "proxy/base/net.h"

namespace resproxy::native {

// The host's primary outbound IPv4 address: the local address of a UDP socket "connected" to
// 192.0.2.1 (TEST-NET-1; connect() on UDP only picks a route, nothing is sent). Falls back to
// 127.0.0.1 when there is no route.
std::string primary_outbound_ipv4();

// `configured` if set; else `listen_ip` unless it is unspecified (0.0.0.0, ::); else
// primary_outbound_ipv4().
std::string choose_advertised_address(const std::string& configured, const std::string& listen_ip);

// The host's interfaces that are up, with their IPv4 and IPv6 networks (getifaddrs), ordered by
// index: the core's input for trust by interface (security/interfaces.h).
std::vector<NetInterface> host_interfaces();

}  // namespace resproxy::native
