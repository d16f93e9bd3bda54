#pragma once
// The address the daemon advertises in Via and Record-Route. Listening on 0.0.0.0 or :: says
// nothing a peer can send to, so a real address must be chosen.
#include <cstdint>
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

// The media relay's port range against the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range): a warning to log when they overlap — any program's
// outgoing socket (a DNS lookup, an ng client, SIPp) may then hold a port the relay hands out,
// and the call given it loses its media — or "" when they do not or the range cannot be read.
std::string media_ports_overlap_warning(std::uint16_t first, std::uint16_t last);

}  // namespace resproxy::native
