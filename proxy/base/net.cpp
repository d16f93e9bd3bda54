#include "proxy/base/net.h"

namespace resproxy {

std::string Address::to_string() const {
  std::string out;
  if (is_ipv6()) {
    out.reserve(ip.size() + 8);
    out += '[';
    out += ip;
    out += ']';
  } else {
    out = ip;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace resproxy
