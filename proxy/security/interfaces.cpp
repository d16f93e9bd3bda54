#include "proxy/security/interfaces.h"

#include <algorithm>

namespace resproxy::security {

namespace {

bool named(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// RFC 1918, 100.64/10 (carrier-grade NAT), fc00::/7, fe80::/10, and the loopbacks.
bool is_private(const Ip128& ip) {
  static const std::vector<IpRange> ranges = [] {
    std::vector<IpRange> r;
    for (const char* text : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                             "169.254.0.0/16", "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1"}) {
      r.push_back(*IpRange::parse(text));
    }
    return r;
  }();
  return std::any_of(ranges.begin(), ranges.end(), [&](const IpRange& r) { return r.contains(ip); });
}

}  // namespace

std::string_view to_string(InterfaceRole role) {
  switch (role) {
    case InterfaceRole::Loopback: return "loopback";
    case InterfaceRole::Lan: return "lan";
    case InterfaceRole::Wan: return "wan";
  }
  return "?";
}

std::vector<ClassifiedInterface> classify_interfaces(const std::vector<NetInterface>& interfaces,
                                                     const InterfaceConfig& config) {
  std::vector<ClassifiedInterface> out;
  for (const auto& in : interfaces) {
    ClassifiedInterface c;
    c.index = in.index;
    c.name = in.name;
    bool all_private = !in.networks.empty();
    for (const auto& network : in.networks) {
      const auto slash = network.find('/');
      const auto ip = parse_ip(network.substr(0, slash));
      auto range = IpRange::parse(network);
      if (!ip || !range) continue;
      c.addresses.push_back(*ip);
      c.subnets.push_back(*range);
      all_private = all_private && is_private(*ip);
    }
    if (in.loopback) {
      c.role = InterfaceRole::Loopback;
    } else if (named(config.wan_names, in.name)) {
      c.role = InterfaceRole::Wan;
    } else if (named(config.lan_names, in.name)) {
      c.role = InterfaceRole::Lan;
    } else if (!config.lan_names.empty()) {
      c.role = InterfaceRole::Wan;  // LAN interfaces were named: the rest are not
    } else {
      c.role = all_private ? InterfaceRole::Lan : InterfaceRole::Wan;
    }
    out.push_back(std::move(c));
  }
  return out;
}

const ClassifiedInterface* InterfaceTable::arrival(const Path& path) const {
  if (path.interface != 0) {
    for (const auto& i : interfaces_) {
      if (i.index == path.interface) return &i;
    }
    return nullptr;  // an interface that appeared since the last table: nobody vouches
  }
  const auto local = parse_ip(path.local.ip);
  if (!local) return nullptr;
  for (const auto& i : interfaces_) {
    if (std::find(i.addresses.begin(), i.addresses.end(), *local) != i.addresses.end()) return &i;
  }
  return nullptr;
}

bool InterfaceTable::vouches_for(const Path& path) const {
  const ClassifiedInterface* i = arrival(path);
  if (i == nullptr) return false;
  switch (i->role) {
    case InterfaceRole::Loopback: return true;
    case InterfaceRole::Wan: return false;
    case InterfaceRole::Lan: {
      const auto source = parse_ip(path.remote.ip);
      return source && std::any_of(i->subnets.begin(), i->subnets.end(),
                                   [&](const IpRange& r) { return r.contains(*source); });
    }
  }
  return false;
}

bool InterfaceTable::on_lan(const Path& path) const {
  const ClassifiedInterface* i = arrival(path);
  return i != nullptr && i->role != InterfaceRole::Wan;
}

}  // namespace resproxy::security
