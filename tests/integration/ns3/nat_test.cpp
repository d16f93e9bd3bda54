// The NAT node (model/nat_node.h) in a small network: a host behind it on 192.168.1.0/24, two
// servers beyond a router. UDP sockets on the host and the servers; what each sees, and the
// NAT's counters.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <ns3/boolean.h>
#include <ns3/global-value.h>
#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/udp-socket-factory.h>

#include "model/lossy_link.h"
#include "model/nat_node.h"
#include "model/office_network.h"
#include "model/simulation.h"

namespace resproxy::model {
namespace {

struct Heard {
  double t_s = 0;
  std::string from;  // ip:port
  std::string text;
};

// A UDP socket on a node that records what it hears and can be told to send or to echo.
class Endpoint {
 public:
  Endpoint(ns3::Ptr<ns3::Node> node, ns3::Ipv4Address ip, std::uint16_t port, bool echo = false) {
    socket_ = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    EXPECT_EQ(socket_->Bind(ns3::InetSocketAddress(ip, port)), 0);
    socket_->SetRecvCallback([this, echo](ns3::Ptr<ns3::Socket> s) {
      ns3::Address from;
      while (ns3::Ptr<ns3::Packet> p = s->RecvFrom(from)) {
        std::string text(p->GetSize(), '\0');
        p->CopyData(reinterpret_cast<std::uint8_t*>(text.data()), p->GetSize());
        const auto inet = ns3::InetSocketAddress::ConvertFrom(from);
        std::ostringstream os;
        os << inet.GetIpv4() << ":" << inet.GetPort();
        heard_.push_back({ns3::Simulator::Now().GetSeconds(), os.str(), text});
        if (echo) s->SendTo(ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0, from);
      }
    });
  }
  // At simulated time `t_s` (absolute).
  void send_at(double t_s, ns3::Ipv4Address to, std::uint16_t port, std::string text) {
    ns3::Simulator::Schedule(ns3::Seconds(t_s) - ns3::Simulator::Now(), [this, to, port, text] {
      socket_->SendTo(ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0,
                      ns3::InetSocketAddress(to, port));
    });
  }
  [[nodiscard]] const std::vector<Heard>& heard() const { return heard_; }
  [[nodiscard]] std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& h : heard_) out.push_back(h.text);
    return out;
  }

 private:
  ns3::Ptr<ns3::Socket> socket_;
  std::vector<Heard> heard_;
};

// host 192.168.1.2 ─ NAT (192.168.1.1 | 203.0.113.2) ─ router (203.0.113.1) ─┬─ server 1 10.1.1.2
//                                                                             └─ server 2 10.1.2.2
struct Network {
  explicit Network(const NatConfig& config) {
    nodes.Create(5);  // 0 host, 1 NAT, 2 router, 3 server 1, 4 server 2
    install_internet(nodes, 1000);
    inside.emplace(nodes.Get(1), nodes.Get(0), LinkConfig{.rng_stream = 100}, "192.168.1.0");
    outside.emplace(nodes.Get(2), nodes.Get(1), LinkConfig{.rng_stream = 102}, "203.0.113.0", "255.255.255.252");
    server1_link.emplace(nodes.Get(2), nodes.Get(3), LinkConfig{.rng_stream = 104}, "10.1.1.0");
    server2_link.emplace(nodes.Get(2), nodes.Get(4), LinkConfig{.rng_stream = 106}, "10.1.2.0");
    nat = install_nat(nodes.Get(1), inside->device_a(), outside->device_b(), outside->ip_a(), config);
    place_behind_nat(nodes.Get(0), inside->ip_a());
    ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  }
  [[nodiscard]] ns3::Ptr<ns3::Node> host() const { return nodes.Get(0); }
  [[nodiscard]] ns3::Ptr<ns3::Node> server1() const { return nodes.Get(3); }
  [[nodiscard]] ns3::Ptr<ns3::Node> server2() const { return nodes.Get(4); }
  [[nodiscard]] ns3::Ipv4Address host_ip() const { return inside->ip_b(); }
  [[nodiscard]] ns3::Ipv4Address server1_ip() const { return server1_link->ip_b(); }
  [[nodiscard]] ns3::Ipv4Address server2_ip() const { return server2_link->ip_b(); }

  ns3::NodeContainer nodes;
  std::optional<LossyLink> inside, outside, server1_link, server2_link;
  ns3::Ptr<NatRouting> nat;
};

NatConfig nat_config(NatBehaviour mapping, NatBehaviour filtering, std::chrono::seconds timeout = std::chrono::seconds(300)) {
  NatConfig c;
  c.mapping = mapping;
  c.filtering = filtering;
  c.timeout = timeout;
  c.first_port = 30000;
  c.last_port = 30999;
  return c;
}

std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

TEST(Ns3Nat, OutboundMakesAMappingAndTheReplyComesBackThroughIt) {
  Simulation sim(1, 1);
  Network net(nat_config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent));
  Endpoint phone(net.host(), net.host_ip(), 5060);
  Endpoint server(net.server1(), net.server1_ip(), 7000, /*echo=*/true);
  phone.send_at(1, net.server1_ip(), 7000, "hello");
  sim.run_until(ns3::Seconds(3));

  // The server sees the NAT's outside address and a port from the range, not 192.168.1.2:5060.
  ASSERT_EQ(server.heard().size(), 1u);
  EXPECT_EQ(server.heard()[0].from.substr(0, server.heard()[0].from.find(':')), "203.0.113.2");
  EXPECT_GE(port_of(server.heard()[0].from), 30000);
  EXPECT_LE(port_of(server.heard()[0].from), 30999);
  EXPECT_EQ(net.nat->OutsideAddress(), ns3::Ipv4Address("203.0.113.2"));
  // Its echo reaches the phone's socket, from the server's own address.
  ASSERT_EQ(phone.heard().size(), 1u);
  EXPECT_EQ(phone.heard()[0].from, "10.1.1.2:7000");
  EXPECT_EQ(phone.heard()[0].text, "hello");
  const NatNodeCounters c = net.nat->GetCounters();
  EXPECT_EQ(c.table.translated_out, 1u);
  EXPECT_EQ(c.table.translated_in, 1u);
  EXPECT_EQ(c.table.mappings_created, 1u);
  EXPECT_EQ(c.mappings, 1u);
  EXPECT_EQ(c.dropped_other, 0u);
}

TEST(Ns3Nat, UnsolicitedAndFilteredDatagramsAreDroppedAtTheNat) {
  Simulation sim(1, 1);
  Network net(nat_config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent));
  Endpoint phone(net.host(), net.host_ip(), 5060);
  Endpoint server(net.server1(), net.server1_ip(), 7000, /*echo=*/true);
  Endpoint server_other_port(net.server1(), net.server1_ip(), 7001);
  Endpoint stranger(net.server2(), net.server2_ip(), 7000);
  phone.send_at(1, net.server1_ip(), 7000, "hello");
  sim.run_until(ns3::Seconds(1.5));
  ASSERT_EQ(server.heard().size(), 1u);
  const std::uint16_t mapped = port_of(server.heard()[0].from);
  const ns3::Ipv4Address outside("203.0.113.2");
  stranger.send_at(2, outside, mapped, "from a stranger");                 // filtered
  server_other_port.send_at(2, outside, mapped, "from another port");      // filtered
  server_other_port.send_at(2, outside, static_cast<std::uint16_t>(mapped + 2), "to no mapping");
  stranger.send_at(2, net.host_ip(), 5060, "to the private address");      // nobody routes there
  sim.run_until(ns3::Seconds(4));

  EXPECT_EQ(phone.texts(), std::vector<std::string>({"hello"}));  // the echo only
  const NatNodeCounters c = net.nat->GetCounters();
  EXPECT_EQ(c.table.dropped_filtered, 2u);
  EXPECT_EQ(c.table.dropped_unsolicited, 1u);
  EXPECT_EQ(c.table.translated_in, 1u);
}

TEST(Ns3Nat, EndpointIndependentFilteringLetsAStrangerIn) {
  Simulation sim(1, 1);
  Network net(nat_config(NatBehaviour::EndpointIndependent, NatBehaviour::EndpointIndependent));
  Endpoint phone(net.host(), net.host_ip(), 5060);
  Endpoint server(net.server1(), net.server1_ip(), 7000);
  Endpoint stranger(net.server2(), net.server2_ip(), 7000);
  phone.send_at(1, net.server1_ip(), 7000, "hello");
  sim.run_until(ns3::Seconds(1.5));
  ASSERT_EQ(server.heard().size(), 1u);
  stranger.send_at(2, ns3::Ipv4Address("203.0.113.2"), port_of(server.heard()[0].from), "full cone");
  sim.run_until(ns3::Seconds(3));
  ASSERT_EQ(phone.heard().size(), 1u);
  EXPECT_EQ(phone.heard()[0].from, "10.1.2.2:7000");
}

TEST(Ns3Nat, SymmetricMappingShowsEachDestinationAnotherPortAndACone) {
  for (const auto mapping : {NatBehaviour::AddressAndPortDependent, NatBehaviour::EndpointIndependent}) {
    Simulation sim(1, 1);
    Network net(nat_config(mapping, NatBehaviour::AddressAndPortDependent));
    Endpoint phone(net.host(), net.host_ip(), 5060);
    Endpoint a(net.server1(), net.server1_ip(), 7000, true);
    Endpoint b(net.server1(), net.server1_ip(), 7001, true);
    Endpoint c(net.server2(), net.server2_ip(), 7000, true);
    phone.send_at(1, net.server1_ip(), 7000, "a");
    phone.send_at(1.1, net.server1_ip(), 7001, "b");
    phone.send_at(1.2, net.server2_ip(), 7000, "c");
    sim.run_until(ns3::Seconds(3));
    ASSERT_EQ(a.heard().size() + b.heard().size() + c.heard().size(), 3u);
    const std::set<std::string> seen = {a.heard()[0].from, b.heard()[0].from, c.heard()[0].from};
    const bool symmetric = mapping == NatBehaviour::AddressAndPortDependent;
    EXPECT_EQ(seen.size(), symmetric ? 3u : 1u) << to_string(mapping);
    EXPECT_EQ(phone.texts(), std::vector<std::string>({"a", "b", "c"}));  // every echo gets back
    EXPECT_EQ(net.nat->GetCounters().table.mappings_created, symmetric ? 3u : 1u);
  }
}

TEST(Ns3Nat, AMappingExpiresAfterTheTimeoutAndTheNextOneHasAnotherPort) {
  Simulation sim(1, 1);
  Network net(nat_config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent,
                         std::chrono::seconds(30)));
  Endpoint phone(net.host(), net.host_ip(), 5060);
  Endpoint server(net.server1(), net.server1_ip(), 7000);
  phone.send_at(1, net.server1_ip(), 7000, "register");
  sim.run_until(ns3::Seconds(2));
  ASSERT_EQ(server.heard().size(), 1u);
  const std::uint16_t mapped = port_of(server.heard()[0].from);
  const ns3::Ipv4Address outside("203.0.113.2");
  server.send_at(20, outside, mapped, "in time");   // 19 s after the phone's datagram
  server.send_at(40, outside, mapped, "too late");  // 39 s after: the mapping died at 31 s
  phone.send_at(50, net.server1_ip(), 7000, "register again");
  sim.run_until(ns3::Seconds(52));

  EXPECT_EQ(phone.texts(), std::vector<std::string>({"in time"}));
  ASSERT_EQ(server.heard().size(), 2u);
  EXPECT_NE(port_of(server.heard()[1].from), mapped);
  const NatNodeCounters c = net.nat->GetCounters();
  EXPECT_EQ(c.table.mappings_expired, 1u);
  EXPECT_EQ(c.table.dropped_unsolicited, 1u);
  EXPECT_EQ(c.table.mappings_created, 2u);
  EXPECT_EQ(c.mappings, 1u);
}

TEST(Ns3Nat, RewritesTheUdpChecksumWhenChecksumsAreOn) {
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  {
    Simulation sim(1, 1);
    Network net(nat_config(NatBehaviour::AddressAndPortDependent, NatBehaviour::AddressAndPortDependent));
    Endpoint phone(net.host(), net.host_ip(), 5060);
    Endpoint server(net.server1(), net.server1_ip(), 7000, /*echo=*/true);
    phone.send_at(1, net.server1_ip(), 7000, "checked");
    sim.run_until(ns3::Seconds(3));
    // A datagram with a wrong checksum never reaches a socket: both ways arrived.
    EXPECT_EQ(server.texts(), std::vector<std::string>({"checked"}));
    EXPECT_EQ(phone.texts(), std::vector<std::string>({"checked"}));
  }
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(false));
}

// The office network with two homes: a phone at home reaches resproxy through its NAT (and hears
// back); nobody in the office can send to the private address; the two homes' private networks
// are each their own.
TEST(Ns3Nat, OfficeNetworkHomesReachResproxyOnlyThroughTheirNat) {
  Simulation sim(1, 1);
  OfficeNetworkConfig config;
  config.homes.resize(2);
  config.homes[1].mapping = NatBehaviour::AddressAndPortDependent;
  OfficeNetwork net(config);
  ASSERT_EQ(net.homes(), 2u);
  EXPECT_EQ(OfficeNetwork::home_host_ip(1), "192.168.2.2");
  EXPECT_EQ(OfficeNetwork::home_nat_ip(1), "203.0.113.6");
  EXPECT_EQ(net.home_nat(1)->OutsideAddress(), ns3::Ipv4Address("203.0.113.6"));
  const ns3::Ipv4Address proxy(OfficeNetwork::resproxy_ip().c_str());
  Endpoint resproxy(net.resproxy_node(), proxy, 5060, /*echo=*/true);
  Endpoint home1(net.home_host(0), ns3::Ipv4Address(OfficeNetwork::home_host_ip(0).c_str()), 5060);
  Endpoint home2(net.home_host(1), ns3::Ipv4Address(OfficeNetwork::home_host_ip(1).c_str()), 5060);
  Endpoint office(net.phone_host(0), ns3::Ipv4Address(OfficeNetwork::phone_host_ip(0).c_str()), 5060);
  home1.send_at(1, proxy, 5060, "REGISTER 1");
  home2.send_at(1, proxy, 5060, "REGISTER 2");
  office.send_at(1, ns3::Ipv4Address(OfficeNetwork::home_host_ip(0).c_str()), 5060, "direct");
  sim.run_until(ns3::Seconds(2));

  ASSERT_EQ(resproxy.heard().size(), 2u);
  std::set<std::string> sources;
  for (const auto& h : resproxy.heard()) sources.insert(h.from.substr(0, h.from.find(':')));
  EXPECT_EQ(sources, std::set<std::string>({"203.0.113.2", "203.0.113.6"}));
  EXPECT_EQ(home1.texts(), std::vector<std::string>({"REGISTER 1"}));
  EXPECT_EQ(home2.texts(), std::vector<std::string>({"REGISTER 2"}));
  EXPECT_EQ(net.home_nat(0)->GetCounters().table.translated_in, 1u);
  EXPECT_EQ(net.home_nat(0)->GetCounters().dropped_other, 0u);  // "direct" never got there
  EXPECT_EQ(net.links("home").size(), 2u);
  EXPECT_EQ(net.links("home_lan").size(), 2u);
}

}  // namespace
}  // namespace resproxy::model
