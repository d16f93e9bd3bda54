#include "model/nat_node.h"

#include <ns3/abort.h>
#include <ns3/ipv4-route.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/output-stream-wrapper.h>
#include <ns3/packet.h>
#include <ns3/udp-header.h>

#include "model/sip_node_application.h"  // core_now

namespace resproxy::model {

namespace {

constexpr std::uint8_t kUdp = 17;

bool is_fragment(const ns3::Ipv4Header& header) {
  return !header.IsLastFragment() || header.GetFragmentOffset() != 0;
}

}  // namespace

NS_OBJECT_ENSURE_REGISTERED(NatRouting);

ns3::TypeId NatRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("resproxy::model::NatRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Resproxy")
                               .AddConstructor<NatRouting>();
  return tid;
}

NatRouting::NatRouting() = default;
NatRouting::~NatRouting() = default;

void NatRouting::Configure(const NatConfig& config, ns3::Ptr<ns3::Ipv4RoutingProtocol> inner,
                           std::uint32_t inside_interface, std::uint32_t outside_interface,
                           ns3::Ipv4Address outside_next_hop) {
  m_table.emplace(config);
  m_inner = inner;
  m_inside = inside_interface;
  m_outside = outside_interface;
  m_nextHop = outside_next_hop;
}

NatNodeCounters NatRouting::GetCounters() {
  m_table->expire(core_now());
  return NatNodeCounters{m_table->counters(), m_droppedOther, m_table->mappings()};
}

ns3::Ptr<ns3::Packet> NatRouting::Rewritten(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                                            std::uint16_t source_port, std::uint16_t destination_port) {
  ns3::Ptr<ns3::Packet> copy = p->Copy();
  ns3::UdpHeader old;
  copy->RemoveHeader(old);
  ns3::UdpHeader udp;  // a fresh header: the old one would write its old checksum back
  udp.SetSourcePort(source_port);
  udp.SetDestinationPort(destination_port);
  if (ns3::Node::ChecksumEnabled()) {
    udp.EnableChecksums();
    udp.InitializeChecksum(header.GetSource(), header.GetDestination(), kUdp);
  }
  copy->AddHeader(udp);
  return copy;
}

bool NatRouting::Outbound(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                          const UnicastForwardCallback& ucb) {
  ns3::UdpHeader udp;
  p->PeekHeader(udp);
  const NatEndpoint inside{header.GetSource().Get(), udp.GetSourcePort()};
  const NatEndpoint remote{header.GetDestination().Get(), udp.GetDestinationPort()};
  const auto port = m_table->outbound(core_now(), inside, remote);
  if (!port) return true;  // no external port free: dropped (counted by the table)
  ns3::Ipv4Header out = header;
  out.SetSource(m_outsideAddress);
  auto route = ns3::Create<ns3::Ipv4Route>();
  route->SetDestination(header.GetDestination());
  route->SetSource(m_outsideAddress);
  route->SetGateway(m_nextHop);
  route->SetOutputDevice(m_ipv4->GetNetDevice(m_outside));
  ucb(route, Rewritten(p, out, *port, remote.port), out);
  return true;
}

bool NatRouting::Inbound(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                         const UnicastForwardCallback& ucb) {
  ns3::UdpHeader udp;
  p->PeekHeader(udp);
  const NatEndpoint remote{header.GetSource().Get(), udp.GetSourcePort()};
  const NatInbound in = m_table->inbound(core_now(), remote, udp.GetDestinationPort());
  if (in.verdict != NatInbound::Verdict::Pass) return true;  // dropped (counted by the table)
  const ns3::Ipv4Address to(in.inside.ip);
  ns3::Ipv4Header out = header;
  out.SetDestination(to);
  auto route = ns3::Create<ns3::Ipv4Route>();
  route->SetDestination(to);
  route->SetSource(m_ipv4->GetAddress(m_inside, 0).GetLocal());
  route->SetGateway(to);  // on the inside link
  route->SetOutputDevice(m_ipv4->GetNetDevice(m_inside));
  ucb(route, Rewritten(p, out, remote.port, in.inside.port), out);
  return true;
}

bool NatRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                            ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                            MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) {
  const std::int32_t iif = m_ipv4->GetInterfaceForDevice(idev);
  const bool udp = header.GetProtocol() == kUdp && !is_fragment(header);
  if (iif == static_cast<std::int32_t>(m_inside)) {
    const ns3::Ipv4Address to = header.GetDestination();
    if (to == m_outsideAddress) {
      ++m_droppedOther;  // hairpinning: not modelled
      return true;
    }
    if (m_ipv4->IsDestinationAddress(to, m_inside)) return m_inner->RouteInput(p, header, idev, ucb, mcb, lcb, ecb);
    if (udp && !to.IsMulticast()) return Outbound(p, header, ucb);
    ++m_droppedOther;  // not UDP, a fragment, multicast
    return true;
  }
  if (iif == static_cast<std::int32_t>(m_outside)) {
    if (udp && header.GetDestination() == m_outsideAddress) return Inbound(p, header, ucb);
    ++m_droppedOther;
    return true;
  }
  return m_inner->RouteInput(p, header, idev, ucb, mcb, lcb, ecb);  // the loopback
}

ns3::Ptr<ns3::Ipv4Route> NatRouting::RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                                 ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) {
  return m_inner->RouteOutput(p, header, oif, sockerr);
}

void NatRouting::NotifyInterfaceUp(std::uint32_t interface) { m_inner->NotifyInterfaceUp(interface); }
void NatRouting::NotifyInterfaceDown(std::uint32_t interface) { m_inner->NotifyInterfaceDown(interface); }
void NatRouting::NotifyAddAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  m_inner->NotifyAddAddress(interface, address);
}
void NatRouting::NotifyRemoveAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) {
  m_inner->NotifyRemoveAddress(interface, address);
}

void NatRouting::SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) {
  // `inner` has had its Ipv4 since the stack was installed (setting it again would add its
  // interface routes twice).
  m_ipv4 = ipv4;
  m_outsideAddress = ipv4->GetAddress(m_outside, 0).GetLocal();
}

void NatRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const {
  *stream->GetStream() << "NatRouting: " << to_string(m_table->config().mapping) << " mapping, "
                       << to_string(m_table->config().filtering) << " filtering, external address "
                       << m_outsideAddress << ", " << m_table->mappings() << " mappings\n";
  m_inner->PrintRoutingTable(stream, unit);
}

void NatRouting::DoDispose() {
  m_inner = nullptr;
  m_ipv4 = nullptr;
  ns3::Ipv4RoutingProtocol::DoDispose();
}

ns3::Ptr<NatRouting> install_nat(ns3::Ptr<ns3::Node> node, ns3::Ptr<ns3::NetDevice> inside,
                                 ns3::Ptr<ns3::NetDevice> outside, ns3::Ipv4Address outside_next_hop,
                                 const NatConfig& config) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "install_nat: the node has no internet stack");
  const std::int32_t in = ipv4->GetInterfaceForDevice(inside);
  const std::int32_t out = ipv4->GetInterfaceForDevice(outside);
  NS_ABORT_MSG_IF(in < 0 || out < 0 || ipv4->GetNAddresses(out) == 0,
                  "install_nat: both devices need an IPv4 interface with an address");
  auto nat = ns3::CreateObject<NatRouting>();
  nat->Configure(config, ipv4->GetRoutingProtocol(), static_cast<std::uint32_t>(in),
                 static_cast<std::uint32_t>(out), outside_next_hop);
  ipv4->SetRoutingProtocol(nat);
  ipv4->SetForwarding(static_cast<std::uint32_t>(in), false);  // never advertised (see nat_node.h)
  return nat;
}

void place_behind_nat(ns3::Ptr<ns3::Node> host, ns3::Ipv4Address nat_inside_address) {
  auto ipv4 = host->GetObject<ns3::Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "place_behind_nat: the host has no internet stack");
  std::optional<std::uint32_t> interface;
  for (std::uint32_t i = 1; i < ipv4->GetNInterfaces(); ++i) {  // 0: the loopback
    ipv4->SetForwarding(i, false);
    for (std::uint32_t a = 0; a < ipv4->GetNAddresses(i); ++a) {
      const ns3::Ipv4InterfaceAddress address = ipv4->GetAddress(i, a);
      if (address.GetLocal().CombineMask(address.GetMask()) == nat_inside_address.CombineMask(address.GetMask())) {
        interface = interface.value_or(i);
      }
    }
  }
  NS_ABORT_MSG_IF(!interface, "place_behind_nat: the host has no interface on the subnet of " << nat_inside_address);
  ns3::Ipv4StaticRoutingHelper helper;
  helper.GetStaticRouting(ipv4)->SetDefaultRoute(nat_inside_address, *interface);
}

}  // namespace resproxy::model
