#include "model/dns_client.h"

#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

namespace resproxy::model {

DnsClient::DnsClient(ns3::Ptr<ns3::Node> node, DnsClientConfig config, Done done)
    : m_node(std::move(node)), m_config(std::move(config)), m_done(std::move(done)),
      m_nextId(m_config.first_id) {}

// Simulator::Destroy may dispose the node's stack before us: only detach here (no Close).
DnsClient::~DnsClient() { Detach(); }

void DnsClient::Detach() {
  m_stopped = true;
  for (auto& [id, q] : m_queries) ns3::Simulator::Cancel(q.timer);
  for (auto& e : m_events) ns3::Simulator::Cancel(e);
  m_events.clear();
  m_queries.clear();
  m_lookups.clear();
  if (m_socket) m_socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
}

void DnsClient::Stop() {
  Detach();
  if (m_socket) m_socket->Close();
  m_socket = nullptr;
}

void DnsClient::Resolve(const ResolveName& lookup) {
  if (m_stopped) return;
  ++m_counters.lookups;
  const std::uint64_t id = lookup.id;
  if (lookup.kind == RecordKind::Address) {
    for (const auto& [name, address] : m_config.lan_hosts) {
      if (!same_dns_name(name, lookup.name)) continue;
      ++m_counters.lan_hosts;
      NameResolved answer{.id = id, .addresses = {address}};
      // As an input of its own, like every completion (never inside the pump that asked).
      std::erase_if(m_events, [](const ns3::EventId& e) { return e.IsExpired(); });
      m_events.push_back(ns3::Simulator::ScheduleNow([this, answer] {
        if (!m_stopped) m_done(answer);
      }));
      return;
    }
  }
  if (!m_socket) {
    m_socket = ns3::Socket::CreateSocket(m_node, ns3::UdpSocketFactory::GetTypeId());
    m_socket->Bind();  // an ephemeral port on every address
    m_socket->SetRecvCallback([this](ns3::Ptr<ns3::Socket> s) { HandleRead(s); });
  }
  const auto types = dns_query_types(lookup.kind, m_config.ipv6);
  Lookup& l = m_lookups[id];
  l.answers.assign(types.size(), DnsAnswer{});
  l.pending = types.size();
  for (std::size_t slot = 0; slot < types.size(); ++slot) {
    // The next id not in flight (16 bits wrap; at most a few hundred are ever outstanding).
    while (m_queries.contains(m_nextId)) ++m_nextId;
    const std::uint16_t dns_id = m_nextId++;
    Query q;
    q.lookup = id;
    q.slot = slot;
    q.question = DnsQuestion{lookup.name, types[slot], kDnsClassIn};
    auto bytes = encode_dns_query(dns_id, lookup.name, types[slot]);
    if (!bytes) {
      // A name that cannot be a DNS name (a label over 63 octets): no such name.
      l.answers[slot].error = NameError::NotFound;
      if (--l.pending == 0) {
        m_events.push_back(ns3::Simulator::ScheduleNow([this, id] { Finish(id); }));
      }
      continue;
    }
    q.bytes = std::move(*bytes);
    m_queries.emplace(dns_id, std::move(q));
    Send(dns_id);
  }
}

void DnsClient::Send(std::uint16_t id) {
  auto it = m_queries.find(id);
  if (it == m_queries.end()) return;
  Query& q = it->second;
  ++q.attempts;
  ++m_counters.queries_sent;
  // A send refused at once (no route while the link is down is not that: the packet is lost on
  // the wire) counts like a lost query: the timer retries it.
  m_socket->SendTo(ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(q.bytes.data()),
                                            static_cast<std::uint32_t>(q.bytes.size())),
                   0, m_config.server);
  q.timer = ns3::Simulator::Schedule(m_config.timeout, [this, id] { OnTimeout(id); });
}

void DnsClient::OnTimeout(std::uint16_t id) {
  auto it = m_queries.find(id);
  if (it == m_queries.end()) return;
  if (it->second.attempts <= m_config.retries) {
    Send(id);  // RFC 1035 §7.2: retransmit, same id
    return;
  }
  ++m_counters.timeouts;
  DnsAnswer timeout;
  timeout.error = NameError::Timeout;
  Answered(id, std::move(timeout));
}

void DnsClient::HandleRead(ns3::Ptr<ns3::Socket> socket) {
  ns3::Address from;
  while (auto packet = socket->RecvFrom(from)) {
    std::string bytes(packet->GetSize(), '\0');
    if (!bytes.empty()) packet->CopyData(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
    const bool from_server = ns3::InetSocketAddress::IsMatchingType(from) &&
                             ns3::InetSocketAddress::ConvertFrom(from).GetIpv4() == m_config.server.GetIpv4() &&
                             ns3::InetSocketAddress::ConvertFrom(from).GetPort() == m_config.server.GetPort();
    auto reply = decode_dns_message(bytes);  // from the wire: untrusted
    const auto it = reply ? m_queries.find(reply->id) : m_queries.end();
    if (!from_server || it == m_queries.end() || !answers_query(*reply, reply->id, it->second.question)) {
      ++m_counters.answers_dropped;
      continue;
    }
    ++m_counters.answers;
    ns3::Simulator::Cancel(it->second.timer);
    Answered(reply->id, interpret_dns_answer(*reply, it->second.question));
  }
}

void DnsClient::Answered(std::uint16_t id, DnsAnswer answer) {
  auto it = m_queries.find(id);
  if (it == m_queries.end()) return;
  const std::uint64_t lookup = it->second.lookup;
  const std::size_t slot = it->second.slot;
  m_queries.erase(it);
  auto l = m_lookups.find(lookup);
  if (l == m_lookups.end()) return;
  l->second.answers[slot] = std::move(answer);
  if (--l->second.pending == 0) Finish(lookup);
}

void DnsClient::Finish(std::uint64_t lookup) {
  auto l = m_lookups.find(lookup);
  if (l == m_lookups.end() || m_stopped) return;
  NameResolved answer = combine_dns_answers(lookup, l->second.answers);
  m_lookups.erase(l);
  m_done(std::move(answer));
}

}  // namespace resproxy::model
