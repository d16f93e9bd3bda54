#include "proxy/security/ip_range.h"

#include <string_view>

namespace resproxy::security {

namespace {

IpRange must_parse(std::string_view text) {
  // Only for the constant table below: every entry is well formed.
  return *IpRange::parse(text);
}

}  // namespace

std::vector<IpRange> default_trusted_ranges() {
  return {
      must_parse("127.0.0.0/8"),     // loopback
      must_parse("10.0.0.0/8"),      // RFC 1918
      must_parse("172.16.0.0/12"),   // RFC 1918
      must_parse("192.168.0.0/16"),  // RFC 1918
      must_parse("::1"),             // loopback
      must_parse("fc00::/7"),        // RFC 4193 unique local
      must_parse("fe80::/10"),       // link local
  };
}

}  // namespace resproxy::security
