#pragma once
// The security layer's view of IP ranges: the parser and IpRange live in base/ (one IP literal
// parser for the whole core, the SIP layer's SDP helpers included); this header keeps the names
// the ignore / reject / trust lists have always used and adds their default.
#include <vector>

#include "proxy/base/ip_range.h"

namespace resproxy::security {

using resproxy::any_contains;
using resproxy::Ip128;
using resproxy::IpRange;
using resproxy::parse_ip;

// Loopback and private ranges, trusted by default (documented in the README).
std::vector<IpRange> default_trusted_ranges();

}  // namespace resproxy::security
