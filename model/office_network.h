#pragma once
// OfficeNetwork: the ns-3 topology of a branch office and its ITSP (issue #5, item 1).
//
//   phone host 1..H ─┐ lan                                    core ┌─ itsp      (the ITSP's proxy)
//   resproxy ────────┼── office router ══ access link ══ carrier ──┤
//   pstn gateway ────┘                  (broadband)        router  └─ remote    (PSTN + callers)
//
// Every link is a LossyLink (point-to-point, rate, delay, optional transmit queue, loss and
// outage on the receive side, explicit RNG streams), so any of them can carry a fault. A phone
// host carries one or more phones (each its own SipNodeApplication on its own port, like a SIPp
// box), which keeps 10,000 phones to a few hundred ns-3 nodes. Addresses are fixed by the plan
// below, so configuration can name them before the network exists.
//
// Link names (fault targets): "access" (office router ↔ carrier), "itsp" (carrier ↔ ITSP),
// "remote" (carrier ↔ remote), "resproxy" and "gateway" (their LAN links), "lan" (every phone
// host's link), "dns" (carrier ↔ DNS server, when there is one). For access, side a is the
// office: loss "toward b" is upstream (office → ITSP).
//
// Optional, home offices (`homes`; none: the network is exactly as without them): a teleworker's
// home is a NAT node (model/nat_node.h) on its own broadband link to the carrier, with one phone
// host behind it on a private network — a phone "off-site behind NAT", reaching resproxy across
// the access link as in life:
//
//   carrier ══ home link k ══ NAT k (home_nat_ip(k), 203.0.113.4k+2/30) ── phone host (home_host_ip(k))
//                                   inside 192.168.(k+1).1/24                 192.168.(k+1).2
//
// Nobody outside routes to 192.168.x (global routing does not advertise it): the phones there are
// reached only through their NAT's mappings. Link names: "home" (every home's broadband link;
// side a is the carrier), "home_lan" (every home's inside link).
//
// Optional, for scenarios with DNS (both off: the network is exactly as without them):
//   * a DNS server node behind the access link, on the carrier (dns_ip()): as in life, name
//     look-ups die with the access link;
//   * a second address of the ITSP's proxy on its link (itsp_second_ip()), so that the ITSP can
//     move there (move_itsp()).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <ns3/node-container.h>
#include <ns3/node.h>
#include <ns3/nstime.h>

#include "model/lossy_link.h"
#include "model/nat_node.h"

namespace resproxy::model {

struct LinkParams {
  std::string rate = "1Gbps";
  ns3::Time delay = ns3::MicroSeconds(200);
  std::string queue{};  // "100p"; empty: ns-3's default
};

struct OfficeNetworkConfig {
  std::size_t phone_hosts = 1;
  LinkParams lan;
  LinkParams access;
  LinkParams core;
  std::int64_t first_link_stream = 2000;   // two per link
  std::int64_t first_internet_stream = 1'000'000;
  bool dns_server = false;           // a DNS server node on the carrier (dns_ip())
  bool itsp_second_address = false;  // the ITSP also has itsp_second_ip()
  std::vector<NatConfig> homes;      // one home office (NAT + phone host) each, at most kMaxHomes
  LinkParams home;                   // each home's broadband link to the carrier
  LinkParams home_lan;               // each home's inside link
};

class OfficeNetwork {
 public:
  // The address plan (all links /24, the router side .1, the host side .2).
  static std::string resproxy_ip() { return "10.0.1.2"; }
  static std::string gateway_ip() { return "10.0.2.2"; }
  static std::string itsp_ip() { return "10.0.4.2"; }
  static std::string remote_ip() { return "10.0.5.2"; }
  static std::string itsp_second_ip() { return "10.0.4.3"; }  // on the ITSP's own link
  static std::string dns_ip() { return "10.0.7.2"; }
  static std::string phone_host_ip(std::size_t host);  // 10.(100 + host / 250).(host % 250).2
  static constexpr std::size_t kMaxPhoneHosts = 250 * 100;
  static std::string home_nat_ip(std::size_t home);   // the NAT's outside address: 203.0.113.(4·home + 2)
  static std::string home_host_ip(std::size_t home);  // 192.168.(home + 1).2
  static constexpr std::size_t kMaxHomes = 64;

  // Builds nodes, links, the internet stack and global routing. Needs a live Simulation.
  explicit OfficeNetwork(const OfficeNetworkConfig& config);
  OfficeNetwork(const OfficeNetwork&) = delete;
  OfficeNetwork& operator=(const OfficeNetwork&) = delete;

  [[nodiscard]] ns3::Ptr<ns3::Node> resproxy_node() const { return resproxy_; }
  [[nodiscard]] ns3::Ptr<ns3::Node> gateway_node() const { return gateway_; }
  [[nodiscard]] ns3::Ptr<ns3::Node> itsp_node() const { return itsp_; }
  [[nodiscard]] ns3::Ptr<ns3::Node> remote_node() const { return remote_; }
  [[nodiscard]] ns3::Ptr<ns3::Node> dns_node() const { return dns_; }  // null without one
  // The ITSP's proxy leaves itsp_ip(): that address is removed from its node (and the node stops
  // forwarding what still comes to it), so only itsp_second_ip() is left. Needs the second address.
  void move_itsp();
  [[nodiscard]] ns3::Ptr<ns3::Node> phone_host(std::size_t host) const { return hosts_.Get(static_cast<std::uint32_t>(host)); }
  [[nodiscard]] std::size_t phone_hosts() const { return hosts_.GetN(); }
  [[nodiscard]] std::size_t homes() const { return homes_.size(); }
  [[nodiscard]] ns3::Ptr<ns3::Node> home_host(std::size_t home) const { return homes_.at(home).host; }
  [[nodiscard]] ns3::Ptr<NatRouting> home_nat(std::size_t home) const { return homes_.at(home).nat; }

  // The links a fault target names ("lan": every phone host link); empty if the name is unknown.
  [[nodiscard]] std::vector<LossyLink*> links(std::string_view target) const;
  [[nodiscard]] static bool is_link_name(std::string_view target);
  [[nodiscard]] std::uint64_t dropped(std::string_view target) const;

 private:
  ns3::Ptr<ns3::Node> office_router_, carrier_, resproxy_, gateway_, itsp_, remote_, dns_;
  ns3::NodeContainer hosts_;
  std::unique_ptr<LossyLink> access_, itsp_link_, remote_link_, resproxy_link_, gateway_link_, dns_link_;
  std::vector<std::unique_ptr<LossyLink>> lan_links_;
  struct Home {
    ns3::Ptr<ns3::Node> host;
    ns3::Ptr<NatRouting> nat;
    std::unique_ptr<LossyLink> link;  // carrier ↔ NAT
    std::unique_ptr<LossyLink> lan;   // NAT ↔ phone host
  };
  std::vector<Home> homes_;
};

}  // namespace resproxy::model
