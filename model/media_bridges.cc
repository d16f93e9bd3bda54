#include "model/media_bridges.h"

#include <algorithm>
#include <array>
#include <span>

#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

#include "model/sip_node_application.h"  // core_now, to_ns3, parse_ipv4, to_resproxy
#include "proxy/gateway/media_bridge_plan.h"

namespace resproxy::model {

NS_LOG_COMPONENT_DEFINE("ResproxyMediaBridges");

namespace {

constexpr auto kFrameTime = std::chrono::milliseconds(20);

// The negotiated remote as the core compares it (the runtime's canonical text), or none when it
// is not known yet (the core latches): port 0, not an IPv4 literal, 0.0.0.0 or multicast.
std::optional<Address> remote_of(const gateway::MediaBridge& command) {
  if (command.remote_port == 0) return std::nullopt;
  const auto ip = parse_ipv4(command.remote_ip);  // from the SDP: untrusted
  if (!ip || ip->IsAny() || ip->IsMulticast()) return std::nullopt;
  return to_resproxy(*ip, command.remote_port);
}

media::BridgeSettings settings_of(const gateway::MediaBridge& command) {
  return gateway::to_bridge_settings(command, remote_of(command));
}

}  // namespace

Ns3MediaBridges::Ns3MediaBridges(ns3::Ptr<ns3::Node> node, ns3::Ipv4Address bind,
                                 media::JitterBufferConfig jitter, Rng& rng,
                                 std::size_t max_bridges)
    : m_node(std::move(node)), m_bind(bind), m_jitter(jitter), m_rng(rng),
      m_maxBridges(max_bridges) {}

Ns3MediaBridges::~Ns3MediaBridges() = default;

void Ns3MediaBridges::OnCommand(gateway::SpanId span, const gateway::MediaBridge& command) {
  const Key key{span, command.call};
  const auto it = m_bridges.find(key);
  const auto holder = std::find_if(m_bridges.begin(), m_bridges.end(), [&](const auto& b) {
    return b.first != key && b.second.port == command.rtp_port;
  });
  const gateway::MediaBridgePlan plan = gateway::plan_media_bridge(
      command, {.call_port = it != m_bridges.end() ? std::optional(it->second.port) : std::nullopt,
                .port_held_by_other = holder != m_bridges.end(),
                .size = m_bridges.size(),
                .max_bridges = m_maxBridges});
  if (plan.close_call) CloseBridge(it);
  if (plan.close_holder) CloseBridge(holder);  // another key: `it` erased, `holder` still valid
  switch (plan.action) {
    case gateway::MediaBridgeAction::None:
      return;
    case gateway::MediaBridgeAction::Update:
      (void)it->second.core->on_update(settings_of(command));  // G.711: by the plan
      return;
    case gateway::MediaBridgeAction::Refuse:
      ++m_totals.refused;
      return;
    case gateway::MediaBridgeAction::Open:
      Open(key, command);
      return;
  }
}

void Ns3MediaBridges::Open(Key key, const gateway::MediaBridge& command) {
  Bridge bridge;
  bridge.port = command.rtp_port;
  bridge.socket = ns3::Socket::CreateSocket(m_node, ns3::UdpSocketFactory::GetTypeId());
  if (bridge.socket->Bind(ns3::InetSocketAddress(m_bind, command.rtp_port)) != 0) {
    ++m_totals.refused;
    bridge.socket->Close();
    return;
  }
  bridge.core = media::BridgeCore::open(m_jitter, settings_of(command), m_rng);
  bridge.socket->SetRecvCallback(
      [this, key](ns3::Ptr<ns3::Socket> socket) { HandleRead(key, socket); });
  m_bridges.emplace(key, std::move(bridge));
  ++m_totals.opened;
  if (!m_tick.IsRunning()) m_tick = ns3::Simulator::Schedule(to_ns3(kFrameTime), &Ns3MediaBridges::Tick, this);
}

void Ns3MediaBridges::Close(gateway::SpanId span, gateway::LineCallId call) {
  const auto it = m_bridges.find(Key{span, call});
  if (it != m_bridges.end()) CloseBridge(it);
}

void Ns3MediaBridges::CloseAll() {
  while (!m_bridges.empty()) CloseBridge(m_bridges.begin());
  ns3::Simulator::Cancel(m_tick);
}

void Ns3MediaBridges::Detach() {
  for (auto& [key, b] : m_bridges) b.socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  ns3::Simulator::Cancel(m_tick);
}

void Ns3MediaBridges::CloseBridge(std::map<Key, Bridge>::iterator it) {
  Bridge& b = it->second;
  b.socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  b.socket->Close();
  media::add(m_totals.counters, b.core->counters());
  ++m_totals.closed;
  m_bridges.erase(it);
}

void Ns3MediaBridges::HandleRead(Key key, ns3::Ptr<ns3::Socket> socket) {
  ns3::Address from;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    const auto it = m_bridges.find(key);
    if (it == m_bridges.end()) return;
    const auto size = std::min<std::uint32_t>(packet->GetSize(), m_buffer.size());
    packet->CopyData(m_buffer.data(), size);
    it->second.core->on_datagram(core_now(), to_resproxy(from),
                                 std::span<const std::uint8_t>(m_buffer.data(), size));
    Flush(it->second);
  }
}

// One 20 ms period of every line: it hears the frame the network side plays and says it back.
void Ns3MediaBridges::Tick() {
  const TimePoint now = core_now();
  for (auto& [key, b] : m_bridges) {
    const media::Frame heard = b.core->to_line(now);
    b.core->from_line(heard.samples);
    Flush(b);
  }
  if (!m_bridges.empty()) m_tick = ns3::Simulator::Schedule(to_ns3(kFrameTime), &Ns3MediaBridges::Tick, this);
}

void Ns3MediaBridges::Flush(Bridge& b) {
  while (auto datagram = b.core->next_datagram()) {
    const auto to = to_ns3(datagram->to);
    const auto bytes = datagram->data();
    const bool sent =
        to && b.socket->SendTo(ns3::Create<ns3::Packet>(bytes.data(), static_cast<std::uint32_t>(bytes.size())),
                               0, *to) >= 0;
    b.core->on_send_result(sent);
  }
}

MediaBridgeTotals Ns3MediaBridges::Totals() const {
  MediaBridgeTotals t = m_totals;
  for (const auto& [key, b] : m_bridges) media::add(t.counters, b.core->counters());
  t.open = m_bridges.size();
  return t;
}

}  // namespace resproxy::model
