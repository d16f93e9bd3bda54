#pragma once
// The counters of admission (source_admission.h, digest_admission.h): what was refused, banned,
// challenged or locked out. The proxy's counter table (routing/proxy_counters.h) exports them
// with its own; a node's ProxyCounters is one of these, so admission counts straight into it.
#include <cstdint>

namespace resproxy::security {

struct AdmissionCounters {
  std::uint64_t forbidden = 0;             // 403 (untrusted, locked out, refused by a rule)
  std::uint64_t flood_dropped = 0;         // datagrams dropped over rate or from a banned source
  std::uint64_t sources_banned = 0;        // bans imposed
  std::uint64_t challenged = 0;            // 401/407 digest challenges sent
  std::uint64_t auth_failures = 0;         // wrong passwords and unknown users (untrusted sources)
  std::uint64_t auth_lockouts = 0;         // (source, user) pairs or sources locked out
  std::uint64_t auth_locked_refusals = 0;  // requests refused (403) while locked out
};

}  // namespace resproxy::security
