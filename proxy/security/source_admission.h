#pragma once
// SourceAdmission: who a source is before anything it says is believed — the trust lists
// ([sipproxy.trust.N] ranges, and by default the interface a message arrived on: interfaces.h),
// the office LAN (emergency calls), and the bans of the flood guard (flood_guard.h) with their
// counters and trace events. The proxy asks it for every datagram (admit) and every request
// (is_trusted); digest credentials are digest_admission.h. Pure: time comes in as `now`.
#include <string>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/base/trace.h"
#include "proxy/security/admission_counters.h"
#include "proxy/security/flood_guard.h"
#include "proxy/security/interfaces.h"
#include "proxy/security/ip_range.h"

namespace resproxy::security {

struct SourceAdmissionConfig {
  // Trusted wherever they arrive; with `trust_defaults` also whoever the arrival interface
  // vouches for (the private ranges while the runtime has given no interface table).
  std::vector<IpRange> trusted;
  bool trust_defaults = true;
  // The office LAN by address ranges; empty: by the interface a message arrived on.
  std::vector<IpRange> lan;
  InterfaceConfig interfaces;
  FloodConfig flood;
};

class SourceAdmission {
 public:
  // Draws the flood guard's hash key from `rng`. `trace` and `counters` must outlive it.
  SourceAdmission(SourceAdmissionConfig config, Rng& rng, TraceSink& trace, AdmissionCounters& counters);

  // Trusted: inside a configured range, or — the default — vouched for by the interface it
  // arrived on. Most messages come from the few addresses that sent the last ones: the last
  // answer is remembered (set_interfaces() forgets it).
  [[nodiscard]] bool is_trusted(const Path& path) const;
  // On the office LAN (emergency calls): by the configured ranges, else by the interface.
  [[nodiscard]] bool from_lan(const Path& path) const;

  // The runtime's interface table, at start and whenever it changes: what was trusted may no
  // longer be.
  void set_interfaces(const std::vector<NetInterface>& interfaces);
  [[nodiscard]] const InterfaceTable& interfaces() const { return interfaces_; }

  // One datagram of `bytes` from `path` (`office`: the office's own, on their own budget). False:
  // drop it silently (over rate or banned), counted; a new ban is traced.
  [[nodiscard]] bool admit(TimePoint now, const Path& path, bool office, std::size_t bytes);
  [[nodiscard]] FloodGuard& flood() { return flood_; }
  [[nodiscard]] const FloodGuard& flood() const { return flood_; }

 private:
  SourceAdmissionConfig config_;
  FloodGuard flood_;
  TraceSink& trace_;
  AdmissionCounters& counters_;
  // The default trust before the runtime told us its interfaces (the simulated runtime, tests).
  std::vector<IpRange> legacy_defaults_ = default_trusted_ranges();
  InterfaceTable interfaces_;
  mutable std::string cache_ip_{"-"};  // never an address
  mutable std::uint32_t cache_interface_ = 0;
  mutable std::string cache_local_;
  mutable bool cache_value_ = false;
};

}  // namespace resproxy::security
