#pragma once
// A UDP NAPT in ns-3 (ns-3 3.37 has no NAT model): NatRouting, an Ipv4RoutingProtocol that
// translates with a NatTable (model/nat_table.h: RFC 4787 mapping and filtering behaviours,
// mapping timeout, external ports from a range), and install_nat(), which makes a node with the
// internet stack and two links — an inside (private) one and an outside one — into a NAT.
//
// Design. Ipv4L3Protocol hands every received packet, its IPv4 header removed, to the node's
// routing protocol's RouteInput, with a callback that forwards it (IpForward: TTL, output queue)
// and a separate Ipv4Header. NatRouting is that routing protocol — it replaces the node's own
// (the Ipv4ListRouting of static + global routing) and keeps it as `inner`, to which it passes
// everything it does not translate. It cannot sit inside the list as one more protocol: the list
// delivers a packet for one of the node's own addresses locally before asking any protocol, so
// replies to the NAT's outside address would reach the UDP layer (and draw ICMP port unreachables)
// instead of being translated.
//
//   * inside → outside, UDP (not a fragment, not to the NAT's own addresses): the table gives the
//     mapping's external port; the source becomes outside address:port (a copy of the packet with
//     its UdpHeader rewritten — the checksum recomputed when Node::ChecksumEnabled(), else 0 as
//     ns-3 sends it) and it is forwarded out of the outside interface to its next hop. No port
//     free: dropped.
//   * outside → the outside address, UDP: the table says whether it passes (a live mapping whose
//     filtering admits the source); if so the destination becomes the inside endpoint and it is
//     forwarded into the inside link. Otherwise dropped — never delivered locally, so no ICMP.
//   * outside → anything else, and non-UDP both ways (ICMP, TCP, fragments; a packet from inside
//     to the outside address, i.e. hairpinning): dropped, counted as `dropped_other`.
//   * inside → the NAT's own addresses, and whatever the node sends itself: `inner`.
//
// install_nat also turns IP forwarding off on the inside interface, so global routing
// (Ipv4GlobalRoutingHelper) never advertises the private network: as on the Internet, nobody
// outside can route to it. Call it before PopulateRoutingTables. Drops are silent (no trace),
// like a real NAT's; they are counted.
#include <cstdint>
#include <optional>

#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4.h>
#include <ns3/net-device.h>
#include <ns3/node.h>
#include <ns3/ptr.h>

#include "model/nat_table.h"

namespace resproxy::model {

struct NatNodeCounters {
  NatCounters table;
  std::uint64_t dropped_other = 0;  // not UDP, a fragment, hairpinning, not for the outside address
  std::uint64_t mappings = 0;       // live now
};

class NatRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();
  NatRouting();
  ~NatRouting() override;

  // Before the node's Ipv4 uses it (install_nat does all of this). `inner`: the routing that
  // handles what is not translated; `outside_next_hop`: the outside link's other end.
  void Configure(const NatConfig& config, ns3::Ptr<ns3::Ipv4RoutingProtocol> inner, std::uint32_t inside_interface,
                 std::uint32_t outside_interface, ns3::Ipv4Address outside_next_hop);

  [[nodiscard]] ns3::Ipv4Address OutsideAddress() const { return m_outsideAddress; }
  // The counters, after expiring the mappings dead by now.
  [[nodiscard]] NatNodeCounters GetCounters();
  [[nodiscard]] NatTable& Table() { return *m_table; }

  // ns3::Ipv4RoutingProtocol
  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                       ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, ns3::Ptr<const ns3::NetDevice> idev,
                  UnicastForwardCallback ucb, MulticastForwardCallback mcb, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override;
  void NotifyInterfaceUp(std::uint32_t interface) override;
  void NotifyInterfaceDown(std::uint32_t interface) override;
  void NotifyAddAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void NotifyRemoveAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override;
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const override;

 protected:
  void DoDispose() override;

 private:
  // A copy of `p` (starting with its UDP header) with the ports set; `header` already carries the
  // new addresses (they enter the UDP checksum).
  [[nodiscard]] static ns3::Ptr<ns3::Packet> Rewritten(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                                                       std::uint16_t source_port, std::uint16_t destination_port);
  bool Outbound(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, const UnicastForwardCallback& ucb);
  bool Inbound(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, const UnicastForwardCallback& ucb);

  ns3::Ptr<ns3::Ipv4> m_ipv4;
  ns3::Ptr<ns3::Ipv4RoutingProtocol> m_inner;
  std::optional<NatTable> m_table;
  std::uint32_t m_inside = 0;
  std::uint32_t m_outside = 0;
  ns3::Ipv4Address m_outsideAddress;
  ns3::Ipv4Address m_nextHop;
  std::uint64_t m_droppedOther = 0;
};

// Makes `node` (internet stack installed, `inside` and `outside` its devices with their IPv4
// addresses) a NAT between them, its external address `outside`'s first address. See above.
ns3::Ptr<NatRouting> install_nat(ns3::Ptr<ns3::Node> node, ns3::Ptr<ns3::NetDevice> inside,
                                 ns3::Ptr<ns3::NetDevice> outside, ns3::Ipv4Address outside_next_hop,
                                 const NatConfig& config);

// Makes `host` (one link, to a NAT's inside) a host behind that NAT: a default route to
// `nat_inside_address`, and IP forwarding off on its interfaces so that global routing does not
// advertise its private network either.
void place_behind_nat(ns3::Ptr<ns3::Node> host, ns3::Ipv4Address nat_inside_address);

}  // namespace resproxy::model
