#include "model/dns_server.h"

#include <ns3/abort.h>
#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

namespace resproxy::model {

NS_LOG_COMPONENT_DEFINE("ResproxyDnsServer");
NS_OBJECT_ENSURE_REGISTERED(DnsServer);

ns3::TypeId DnsServer::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("resproxy::model::DnsServer")
                               .SetParent<ns3::Application>()
                               .SetGroupName("Resproxy")
                               .AddConstructor<DnsServer>();
  return tid;
}

DnsServer::DnsServer() = default;
DnsServer::~DnsServer() = default;

void DnsServer::ChangeAt(ns3::Time at, std::function<void(DnsZone&)> change) {
  ns3::Simulator::Schedule(at - ns3::Simulator::Now(), [this, change = std::move(change)] {
    change(m_zone);
  });
}

void DnsServer::DoDispose() {
  if (m_socket) {
    m_socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    m_socket = nullptr;
  }
  ns3::Application::DoDispose();
}

void DnsServer::StartApplication() {
  m_socket = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  if (m_socket->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), m_port)) != 0) {
    NS_ABORT_MSG("DnsServer: cannot bind UDP port " << m_port);
  }
  m_socket->SetRecvCallback([this](ns3::Ptr<ns3::Socket> s) { HandleRead(s); });
}

void DnsServer::StopApplication() {
  if (!m_socket) return;
  m_socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  m_socket->Close();
  m_socket = nullptr;
}

void DnsServer::HandleRead(ns3::Ptr<ns3::Socket> socket) {
  ns3::Address from;
  while (auto packet = socket->RecvFrom(from)) {
    ++m_counters.queries;
    std::string bytes(packet->GetSize(), '\0');
    if (!bytes.empty()) packet->CopyData(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
    const auto reply = m_zone.respond(bytes);  // from the wire: untrusted
    if (!reply) {
      ++m_counters.dropped;
      continue;
    }
    if (auto decoded = decode_dns_message(*reply)) {
      if (decoded->rcode == DnsRcode::NoError) {
        ++(decoded->answers.empty() ? m_counters.nodata : m_counters.answered);
      } else if (decoded->rcode == DnsRcode::NameError) {
        ++m_counters.nxdomain;
      } else {
        ++m_counters.errors;
      }
    }
    socket->SendTo(ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(reply->data()),
                                            static_cast<std::uint32_t>(reply->size())),
                   0, from);
  }
}

}  // namespace resproxy::model
