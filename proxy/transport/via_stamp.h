#pragma once
// Server transport stamping of the top Via (RFC 3261 §18.2.1, RFC 3581 §4): a request whose
// sent-by host differs from the packet's source address gets `received=<source ip>`; a request
// that asked for `rport` gets `rport=<source port>` and `received`. Responses then find their way
// back through NAT, and a proxy forwards the stamped Via.
#include <optional>
#include <string>

#include "proxy/base/net.h"
#include "proxy/sip/message.h"

namespace resproxy::transport {

// The request's top via-parm as stamped, or nullopt when nothing needs to change.
std::optional<std::string> stamped_top_via(const sip::Message& request, const Address& source);

// Stamps the request's top Via in place (sip::Message::replace_top_via: no second parse).
// Returns whether the request changed.
bool stamp_top_via(sip::Message& request, const Address& source);

}  // namespace resproxy::transport
