#pragma once
// Which network interface is the office LAN, and what that means for trust (issue #10 point 4).
//
// Trusting every RFC 1918 source wherever it arrives lets a spoofed UDP INVITE from the WAN side
// (source 192.168.1.20, arriving on the internet-facing interface) pass as an office phone. So by
// default a source is trusted only when the interface its message arrived on vouches for it:
//   * the loopback interface: only this host's own processes can send on it;
//   * a LAN interface: sources inside that interface's own subnets;
//   * a WAN interface: nobody (the configured [sipproxy.trust.N] ranges still apply).
// Roles: `lan_interfaces` / `wan_interfaces` name them; interfaces not named are LAN when all
// their addresses are private (RFC 1918, fc00::/7, link-local) — a box behind the office's NAT
// router — and WAN otherwise (a public address). "On the office LAN" (emergency calls) is the
// interface alone: a LAN or loopback interface, whatever subnet a routed phone is in.
//
// Without an interface table (the simulated runtime, unit tests) or for a message whose
// interface is unknown and whose local address matches none, the old private-range default is
// kept only while no table was ever given; with a table, unknown means untrusted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/security/ip_range.h"

namespace resproxy::security {

enum class InterfaceRole : std::uint8_t { Loopback, Lan, Wan };
std::string_view to_string(InterfaceRole role);

struct InterfaceConfig {
  std::vector<std::string> lan_names;  // empty: by their addresses
  std::vector<std::string> wan_names;
};

struct ClassifiedInterface {
  std::uint32_t index = 0;
  std::string name;
  InterfaceRole role = InterfaceRole::Wan;
  std::vector<IpRange> subnets;    // the networks of its addresses
  std::vector<Ip128> addresses;    // its own addresses
};

[[nodiscard]] std::vector<ClassifiedInterface> classify_interfaces(
    const std::vector<NetInterface>& interfaces, const InterfaceConfig& config);

class InterfaceTable {
 public:
  void set(std::vector<ClassifiedInterface> interfaces) {
    interfaces_ = std::move(interfaces);
    known_ = true;
  }
  [[nodiscard]] bool known() const { return known_; }
  [[nodiscard]] const std::vector<ClassifiedInterface>& list() const { return interfaces_; }

  // The interface `path` arrived on: by its index, else the one owning its local address.
  [[nodiscard]] const ClassifiedInterface* arrival(const Path& path) const;
  // Default trust of the source of `path` (see above). Only meaningful when known().
  [[nodiscard]] bool vouches_for(const Path& path) const;
  // Arrived on a LAN or loopback interface.
  [[nodiscard]] bool on_lan(const Path& path) const;

 private:
  std::vector<ClassifiedInterface> interfaces_;
  bool known_ = false;
};

}  // namespace resproxy::security
