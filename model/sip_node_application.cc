#include "model/sip_node_application.h"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <utility>
#include <variant>

#include <ns3/abort.h>
#include <ns3/callback.h>
#include <ns3/ipv4.h>
#include <ns3/log.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/udp-socket-factory.h>
#include <ns3/uinteger.h>

namespace resproxy::model {

NS_LOG_COMPONENT_DEFINE("ResproxySipNodeApplication");
NS_OBJECT_ENSURE_REGISTERED(SipNodeApplication);

namespace {

std::string bytes_of(const ns3::Ptr<ns3::Packet>& packet) {
  std::string bytes(packet->GetSize(), '\0');
  if (!bytes.empty()) packet->CopyData(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size());
  return bytes;
}

ns3::Ptr<ns3::Packet> packet_of(const char* data, std::size_t size) {
  return ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(data),
                                  static_cast<std::uint32_t>(size));
}

void clear_callbacks(const ns3::Ptr<ns3::Socket>& socket) {
  socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  socket->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                            ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket->SetConnectCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                             ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
}

}  // namespace

// --- Conversions ---

resproxy::TimePoint core_now() {
  return to_core(ns3::Simulator::Now());
}

resproxy::TimePoint to_core(ns3::Time simulation_time) {
  return resproxy::from_ns(simulation_time.GetNanoSeconds());
}

ns3::Time to_ns3(resproxy::Duration duration) { return ns3::NanoSeconds(duration.count()); }

std::optional<ns3::Ipv4Address> parse_ipv4(const std::string& text) {
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* const end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned part = 0;
    const char* const start = p;
    auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc{} || next == start || next - start > 3 || part > 255) return std::nullopt;
    value = (value << 8) | part;
    p = next;
  }
  if (p != end) return std::nullopt;
  return ns3::Ipv4Address(value);
}

std::optional<ns3::InetSocketAddress> to_ns3(const resproxy::Address& address) {
  auto ip = parse_ipv4(address.ip);
  if (!ip) return std::nullopt;
  return ns3::InetSocketAddress(*ip, address.port);
}

resproxy::Address to_resproxy(ns3::Ipv4Address ip, std::uint16_t port) {
  std::ostringstream text;
  ip.Print(text);
  return resproxy::Address{text.str(), port};
}

resproxy::Address to_resproxy(const ns3::Address& address) {
  if (!ns3::InetSocketAddress::IsMatchingType(address)) return resproxy::Address{};
  const auto inet = ns3::InetSocketAddress::ConvertFrom(address);
  return to_resproxy(inet.GetIpv4(), inet.GetPort());
}

// --- SipNodeApplication ---

ns3::TypeId SipNodeApplication::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("resproxy::model::SipNodeApplication")
          .SetParent<ns3::Application>()
          .SetGroupName("Resproxy")
          .AddConstructor<SipNodeApplication>()
          .AddAttribute("Port", "The UDP and TCP port the core Node listens on.",
                        ns3::UintegerValue(5060),
                        ns3::MakeUintegerAccessor(&SipNodeApplication::m_port),
                        ns3::MakeUintegerChecker<std::uint16_t>());
  return tid;
}

SipNodeApplication::SipNodeApplication() = default;
SipNodeApplication::~SipNodeApplication() = default;

void SipNodeApplication::SetCoreNode(std::unique_ptr<resproxy::Node> node) {
  m_node = std::move(node);
}

std::vector<resproxy::Address> SipNodeApplication::GetListeningAddresses() const {
  std::vector<resproxy::Address> out;
  out.reserve(m_udpSockets.size());
  for (const auto& [address, socket] : m_udpSockets) out.push_back(address);
  return out;
}

void SipNodeApplication::DoDispose() {
  // Simulator::Destroy may dispose the node's protocol stack before us: only detach from the
  // sockets here (no Close), so nothing can call back into a disposed application.
  ns3::Simulator::Cancel(m_deadlineEvent);
  ns3::Simulator::Cancel(m_hostDeadlineEvent);
  if (m_media) m_media->Detach();
  m_media.reset();
  m_dns.reset();
  for (auto& [address, socket] : m_udpSockets) clear_callbacks(socket);
  m_udpSockets.clear();
  for (auto& [address, socket] : m_mediaPorts) {
    clear_callbacks(socket);
    socket->Close();
  }
  m_mediaPorts.clear();
  if (m_tcpListener) {
    m_tcpListener->SetAcceptCallback(
        ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
        ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
    m_tcpListener = nullptr;
  }
  for (auto& [id, stream] : m_streams) clear_callbacks(stream.socket);
  m_streams.clear();
  m_inputs.clear();
  m_running = false;
  m_node.reset();
  ns3::Application::DoDispose();
}

void SipNodeApplication::StartApplication() {
  NS_LOG_FUNCTION(this);
  if (!m_node) {
    NS_LOG_WARN("SipNodeApplication started without a core Node");
    return;
  }
  m_running = true;
  auto ipv4 = GetNode()->GetObject<ns3::Ipv4>();
  NS_ABORT_MSG_IF(!ipv4, "SipNodeApplication needs the internet stack on its node");

  // One UDP socket per address, in interface order (deterministic).
  for (std::uint32_t i = 0; i < ipv4->GetNInterfaces(); ++i) {
    for (std::uint32_t j = 0; j < ipv4->GetNAddresses(i); ++j) {
      const ns3::Ipv4Address ip = ipv4->GetAddress(i, j).GetLocal();
      auto socket = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
      if (socket->Bind(ns3::InetSocketAddress(ip, m_port)) != 0) {
        NS_ABORT_MSG("cannot bind UDP " << ip << ":" << m_port);
      }
      const resproxy::Address local = to_resproxy(ip, m_port);
      socket->SetRecvCallback(
          [this, local](ns3::Ptr<ns3::Socket> s) { HandleDatagram(s, local); });
      m_udpSockets.emplace_back(local, socket);
    }
  }

  m_tcpListener = ns3::Socket::CreateSocket(GetNode(), ns3::TcpSocketFactory::GetTypeId());
  if (m_tcpListener->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), m_port)) != 0 ||
      m_tcpListener->Listen() != 0) {
    NS_ABORT_MSG("cannot listen on TCP port " << m_port);
  }
  m_tcpListener->SetAcceptCallback(
      [](ns3::Ptr<ns3::Socket>, const ns3::Address&) { return true; },
      [this](ns3::Ptr<ns3::Socket> s, const ns3::Address& from) { HandleAccept(s, from); });

  if (m_mediaSetup && !m_media) {
    m_media = std::make_unique<Ns3MediaBridges>(GetNode(), m_mediaSetup->bind, m_mediaSetup->jitter,
                                                *m_mediaSetup->rng);
  }
  // The telephony cards power up (their SpanState events are the Node's first inputs), then the
  // effects the core queued at construction, and its first deadline.
  if (m_host) {
    if (!m_host->is_started()) m_host->start(core_now());
    DeliverCardEvents();
    RearmHostDeadline();
  }
  Pump();
}

void SipNodeApplication::StopApplication() {
  NS_LOG_FUNCTION(this);
  if (!m_running) return;
  m_running = false;  // from here on, effects are dropped
  ns3::Simulator::Cancel(m_deadlineEvent);
  ns3::Simulator::Cancel(m_hostDeadlineEvent);
  if (m_media) m_media->CloseAll();
  if (m_dns) m_dns->Stop();
  for (auto& [address, socket] : m_udpSockets) {
    clear_callbacks(socket);
    socket->Close();
  }
  m_udpSockets.clear();
  for (auto& [address, socket] : m_mediaPorts) {
    clear_callbacks(socket);
    socket->Close();
  }
  m_mediaPorts.clear();
  if (m_tcpListener) {
    m_tcpListener->SetAcceptCallback(
        ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
        ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
    m_tcpListener->Close();
    m_tcpListener = nullptr;
  }
  // Shutdown closes every stream: the core hears LocalClose for those it still believes open.
  std::vector<std::uint64_t> open;
  for (const auto& [id, stream] : m_streams) {
    if (!stream.close_requested) open.push_back(id);
  }
  while (!m_streams.empty()) Forget(m_streams.begin()->first);
  for (auto id : open) ReportClosed(id, resproxy::StreamCloseReason::LocalClose);
}

void SipNodeApplication::Inject(Input input) {
  if (!m_node) return;
  ++m_counters.inputs_injected;
  Deliver(std::move(input));
}

// --- Pump: input, drain, re-arm ---

void SipNodeApplication::Deliver(Input input) {
  if (!m_node) return;
  m_inputs.push_back(std::move(input));
  if (!m_pumping) Pump();
}

void SipNodeApplication::Pump() {
  if (!m_node) return;
  m_pumping = true;
  for (;;) {
    while (auto effect = m_node->next_effect()) Perform(std::move(*effect));
    if (m_inputs.empty()) break;
    // Inputs raised while performing effects (a refused connect, a local close) are fed here,
    // one at a time, each followed by a full drain.
    Input input = std::move(m_inputs.front());
    m_inputs.pop_front();
    input(*m_node, core_now());
  }
  m_pumping = false;
  RearmDeadline();
}

void SipNodeApplication::RearmDeadline() {
  ns3::Simulator::Cancel(m_deadlineEvent);
  if (!m_running || !m_node) return;
  if (auto deadline = m_node->next_deadline()) {
    const resproxy::Duration delay = std::max(*deadline - core_now(), resproxy::Duration::zero());
    m_deadlineEvent = ns3::Simulator::Schedule(to_ns3(delay), &SipNodeApplication::OnDeadline, this);
  }
}

void SipNodeApplication::OnDeadline() {
  ++m_counters.deadlines_fired;
  Deliver([](resproxy::Node& node, resproxy::TimePoint now) {
    if (auto deadline = node.next_deadline(); deadline && *deadline <= now) node.on_deadline(now);
  });
}

// --- Effects ---

void SipNodeApplication::Perform(resproxy::Effect effect) {
  if (!m_running) {
    ++m_counters.effects_dropped;
    return;
  }
  std::visit([this](auto& e) { Perform(e); }, effect);
}

ns3::Ptr<ns3::Socket> SipNodeApplication::UdpSocketFor(const resproxy::Address& local) const {
  for (const auto& [address, socket] : m_udpSockets) {
    if (address.ip == local.ip) return socket;
  }
  // An unspecified local address: the first non-loopback socket.
  if (local.ip.empty() || local.ip == "0.0.0.0") {
    for (const auto& [address, socket] : m_udpSockets) {
      if (address.ip.rfind("127.", 0) != 0) return socket;
    }
  }
  return nullptr;
}

void SipNodeApplication::Perform(resproxy::StoreWrite& effect) {
  const bool ok = m_store != nullptr && m_store->apply(effect);
  const auto outcome = ok ? resproxy::StoreOutcome::Ok : resproxy::StoreOutcome::Failed;
  const std::uint64_t id = effect.id;
  ns3::Simulator::Schedule(m_storeLatency, [this, id, outcome] {
    if (!m_running) return;
    Deliver([id, outcome](resproxy::Node& node, resproxy::TimePoint now) {
      node.on_completion(now, resproxy::StoreDone{id, outcome});
    });
  });
}

// With a DNS server configured: a real look-up over the simulated network (dns_client.h).
// Without: answered "unsupported", as an input of its own, and the node keeps the addresses it
// has.
void SipNodeApplication::Perform(resproxy::ResolveName& effect) {
  if (m_dnsConfig) {
    if (!m_dns) {
      m_dns = std::make_unique<DnsClient>(GetNode(), *m_dnsConfig, [this](resproxy::NameResolved answer) {
        if (!m_running) return;
        Deliver([answer = std::move(answer)](resproxy::Node& node, resproxy::TimePoint now) {
          node.on_completion(now, answer);
        });
      });
    }
    m_dns->Resolve(effect);
    return;
  }
  const std::uint64_t id = effect.id;
  ns3::Simulator::ScheduleNow([this, id] {
    if (!m_running) return;
    Deliver([id](resproxy::Node& node, resproxy::TimePoint now) {
      node.on_completion(now, resproxy::NameResolved{.id = id, .error = resproxy::NameError::Unsupported});
    });
  });
}

// With a telephony host: the command goes to its card now; what the cards answer is delivered as
// inputs of their own once this drain is over. Without one: the contract's answer, as an input of
// its own.
void SipNodeApplication::Perform(resproxy::gateway::ToCard& effect) {
  if (m_media) {
    if (const auto* bridge = std::get_if<resproxy::gateway::MediaBridge>(&effect.command)) {
      m_media->OnCommand(effect.span, *bridge);  // nothing to answer
      return;
    }
  }
  if (m_host) {
    m_host->on_command(core_now(), effect);
    DeliverCardEvents();
    RearmHostDeadline();
    return;
  }
  auto answer = resproxy::gateway::no_card_answer(effect);
  if (!answer) return;
  ns3::Simulator::ScheduleNow([this, answer = std::move(*answer)] {
    if (!m_running) return;
    Deliver([&answer](resproxy::Node& node, resproxy::TimePoint now) { node.on_completion(now, answer); });
  });
}

void SipNodeApplication::Perform(resproxy::OpenMediaPort& effect) {
  if (m_mediaPorts.contains(effect.local)) return;
  const auto endpoint = to_ns3(effect.local);
  auto socket = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  if (!endpoint || socket->Bind(*endpoint) != 0) {
    socket->Close();
    ns3::Simulator::ScheduleNow([this, local = effect.local] {
      if (!m_running) return;
      Deliver([local](resproxy::Node& node, resproxy::TimePoint now) {
        node.on_completion(now, resproxy::MediaPortFailed{.local = local, .error = "cannot bind"});
      });
    });
    return;
  }
  socket->SetIpTos(static_cast<std::uint8_t>(effect.dscp << 2));
  socket->SetRecvCallback([this, local = effect.local](ns3::Ptr<ns3::Socket> s) { HandleMedia(s, local); });
  m_mediaPorts.emplace(effect.local, socket);
}

void SipNodeApplication::Perform(resproxy::CloseMediaPort& effect) {
  const auto it = m_mediaPorts.find(effect.local);
  if (it == m_mediaPorts.end()) return;
  clear_callbacks(it->second);
  it->second->Close();
  m_mediaPorts.erase(it);
}

void SipNodeApplication::HandleMedia(ns3::Ptr<ns3::Socket> socket, resproxy::Address local) {
  ns3::Address from;
  while (auto packet = socket->RecvFrom(from)) {
    ++m_counters.media_packets_in;
    Deliver([this, local, source = to_resproxy(from), bytes = bytes_of(packet)](
                resproxy::Node& node, resproxy::TimePoint now) {
      if (auto send = node.on_media_packet(now, local, source, bytes)) SendMedia(*send, bytes);
    });
  }
}

void SipNodeApplication::SendMedia(const resproxy::MediaSend& send, const std::string& bytes) {
  const auto it = m_mediaPorts.find(send.from);
  const auto to = to_ns3(send.to);
  if (it == m_mediaPorts.end() || !to) return;
  auto packet = ns3::Create<ns3::Packet>(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                         static_cast<std::uint32_t>(bytes.size()));
  if (it->second->SendTo(packet, 0, *to) >= 0) ++m_counters.media_packets_out;
}

// --- Telephony host ---

void SipNodeApplication::EnableMediaBridges(ns3::Ipv4Address bind, resproxy::media::JitterBufferConfig jitter,
                                            resproxy::Rng& rng) {
  m_mediaSetup = MediaSetup{bind, jitter, &rng};
}

void SipNodeApplication::SetTelephonyHost(std::unique_ptr<resproxy::telephony::TelephonyHost> host) {
  m_host = std::move(host);
}

void SipNodeApplication::InjectTelephony(TelephonyInput input) {
  if (!m_host || !m_running) return;
  ++m_counters.inputs_injected;
  input(*m_host, core_now());
  DeliverCardEvents();
  RearmHostDeadline();
  if (!m_pumping) Pump();
}

// Each event is queued as an input of its own; a pump in progress feeds them after its drain,
// otherwise the caller pumps.
void SipNodeApplication::DeliverCardEvents() {
  if (!m_host || !m_node) return;
  for (auto& event : m_host->take_events()) {
    if (m_media) {
      // The line call is over: its audio stops now, whatever the Node does next.
      if (const auto* released = std::get_if<resproxy::gateway::CallReleased>(&event.event)) {
        m_media->Close(event.span, released->call);
      }
    }
    m_inputs.push_back([event = std::move(event)](resproxy::Node& node, resproxy::TimePoint now) {
      node.on_completion(now, event);
    });
  }
}

void SipNodeApplication::RearmHostDeadline() {
  ns3::Simulator::Cancel(m_hostDeadlineEvent);
  if (!m_running || !m_host) return;
  if (auto deadline = m_host->next_deadline()) {
    const resproxy::Duration delay = std::max(*deadline - core_now(), resproxy::Duration::zero());
    m_hostDeadlineEvent =
        ns3::Simulator::Schedule(to_ns3(delay), &SipNodeApplication::OnHostDeadline, this);
  }
}

void SipNodeApplication::OnHostDeadline() {
  if (!m_host || !m_running) return;
  const resproxy::TimePoint now = core_now();
  if (auto deadline = m_host->next_deadline(); deadline && *deadline <= now) m_host->on_deadline(now);
  DeliverCardEvents();
  RearmHostDeadline();
  if (!m_pumping) Pump();
}

void SipNodeApplication::Perform(resproxy::CommandReply& effect) {
  if (m_commandReplies) m_commandReplies(std::move(effect));
}

void SipNodeApplication::Perform(resproxy::SendDatagram& effect) {
  auto socket = UdpSocketFor(effect.local);
  auto remote = to_ns3(effect.remote);
  if (!socket || !remote) {
    NS_LOG_WARN("SendDatagram dropped: local " << effect.local.to_string() << " remote "
                                               << effect.remote.to_string());
    ++m_counters.datagram_send_failures;
    return;
  }
  if (socket->SendTo(packet_of(effect.bytes.data(), effect.bytes.size()), 0, *remote) < 0) {
    ++m_counters.datagram_send_failures;
    return;
  }
  ++m_counters.datagrams_out;
  if (m_sendTap) m_sendTap(effect.remote, effect.bytes);
}

void SipNodeApplication::Perform(resproxy::OpenStream& effect) {
  const std::uint64_t id = effect.stream.value;
  if (m_streams.contains(id)) {
    ++m_counters.effects_dropped;
    return;
  }
  if (effect.transport != resproxy::Transport::Tcp) {
    // ns-3 has no TLS: answered the way every capability this runtime lacks is (node.h).
    ++m_counters.streams_unsupported;
    ReportClosed(id, resproxy::StreamCloseReason::Unsupported);
    return;
  }
  auto remote = to_ns3(effect.remote);
  const bool any_local = effect.local.ip.empty() || effect.local.ip == "0.0.0.0";
  auto local_ip = any_local ? std::optional(ns3::Ipv4Address::GetAny()) : parse_ipv4(effect.local.ip);
  auto socket = ns3::Socket::CreateSocket(GetNode(), ns3::TcpSocketFactory::GetTypeId());
  Stream stream;
  stream.socket = socket;
  stream.path = resproxy::Path{resproxy::Transport::Tcp, effect.local, effect.remote, effect.stream};
  m_streams.emplace(id, std::move(stream));
  WatchStream(id, socket);
  // A refused bind or an immediate connect error (no route) is reported like any failed connect.
  if (!remote || !local_ip || socket->Bind(ns3::InetSocketAddress(*local_ip, 0)) != 0 ||
      socket->Connect(*remote) != 0) {
    HandleStreamClosed(id, resproxy::StreamCloseReason::ConnectFailed);
  }
}

void SipNodeApplication::Perform(resproxy::WriteStream& effect) {
  auto it = m_streams.find(effect.stream.value);
  if (it == m_streams.end() || it->second.close_requested) {
    ++m_counters.effects_dropped;
    return;
  }
  if (m_sendTap) m_sendTap(it->second.path.remote, effect.bytes);
  it->second.pending += effect.bytes;
  if (it->second.connected) Flush(effect.stream.value);
}

void SipNodeApplication::Perform(resproxy::CloseStream& effect) {
  const std::uint64_t id = effect.stream.value;
  auto it = m_streams.find(id);
  if (it == m_streams.end() || it->second.close_requested) {
    ++m_counters.effects_dropped;
    return;
  }
  Stream& stream = it->second;
  stream.close_requested = true;
  // The core will hear nothing more from this stream except the LocalClose below.
  stream.socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  ReportClosed(id, resproxy::StreamCloseReason::LocalClose);
  if (stream.pending.size() == stream.pending_offset) {
    Forget(id);  // nothing left to write: close now (TCP still sends what it holds, then FIN)
  }
  // Otherwise Flush closes it once the last queued byte is in the TCP buffer.
}

// --- Socket events ---

void SipNodeApplication::HandleDatagram(ns3::Ptr<ns3::Socket> socket, resproxy::Address local) {
  ns3::Address from;
  while (auto packet = socket->RecvFrom(from)) {
    ++m_counters.datagrams_in;
    resproxy::Path path{resproxy::Transport::Udp, local, to_resproxy(from), resproxy::StreamId{}};
    Deliver([path = std::move(path), bytes = bytes_of(packet)](resproxy::Node& node,
                                                               resproxy::TimePoint now) {
      node.on_datagram(now, path, bytes);
    });
  }
}

void SipNodeApplication::HandleAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
  const std::uint64_t id = m_nextInboundStream++;
  ns3::Address local;
  socket->GetSockName(local);
  Stream stream;
  stream.socket = socket;
  stream.connected = true;
  stream.path = resproxy::Path{resproxy::Transport::Tcp, to_resproxy(local), to_resproxy(from),
                               resproxy::StreamId{id}};
  const resproxy::Path path = stream.path;
  m_streams.emplace(id, std::move(stream));
  ++m_counters.streams_accepted;
  WatchStream(id, socket);
  Deliver([path](resproxy::Node& node, resproxy::TimePoint now) { node.on_stream_opened(now, path); });
  // Data may already wait in the new socket (it arrived with or right after the handshake).
  HandleStreamRecv(id);
}

void SipNodeApplication::WatchStream(std::uint64_t id, const ns3::Ptr<ns3::Socket>& socket) {
  socket->SetConnectCallback([this, id](ns3::Ptr<ns3::Socket>) { HandleConnected(id); },
                             [this, id](ns3::Ptr<ns3::Socket>) {
                               HandleStreamClosed(id, resproxy::StreamCloseReason::ConnectFailed);
                             });
  socket->SetRecvCallback([this, id](ns3::Ptr<ns3::Socket>) { HandleStreamRecv(id); });
  socket->SetSendCallback([this, id](ns3::Ptr<ns3::Socket>, std::uint32_t) { Flush(id); });
  socket->SetCloseCallbacks(
      [this, id](ns3::Ptr<ns3::Socket>) {
        HandleStreamClosed(id, resproxy::StreamCloseReason::PeerClosed);
      },
      [this, id](ns3::Ptr<ns3::Socket>) {
        HandleStreamClosed(id, resproxy::StreamCloseReason::Reset);
      });
}

void SipNodeApplication::HandleConnected(std::uint64_t id) {
  auto it = m_streams.find(id);
  if (it == m_streams.end()) return;
  Stream& stream = it->second;
  stream.connected = true;
  ++m_counters.streams_connected;
  if (!stream.close_requested) {
    ns3::Address local;
    stream.socket->GetSockName(local);
    stream.path.local = to_resproxy(local);
    Deliver([path = stream.path](resproxy::Node& node, resproxy::TimePoint now) {
      node.on_stream_opened(now, path);
    });
  }
  Flush(id);
}

void SipNodeApplication::HandleStreamRecv(std::uint64_t id) {
  auto it = m_streams.find(id);
  if (it == m_streams.end()) return;
  std::string bytes;
  while (auto packet = it->second.socket->Recv()) {
    if (packet->GetSize() == 0) break;
    bytes += bytes_of(packet);
  }
  if (bytes.empty() || it->second.close_requested) return;
  m_counters.stream_bytes_in += bytes.size();
  Deliver([id, bytes = std::move(bytes)](resproxy::Node& node, resproxy::TimePoint now) {
    node.on_stream_data(now, resproxy::StreamId{id}, bytes);
  });
}

void SipNodeApplication::HandleStreamClosed(std::uint64_t id, resproxy::StreamCloseReason reason) {
  auto it = m_streams.find(id);
  if (it == m_streams.end()) return;
  if (!it->second.connected) reason = resproxy::StreamCloseReason::ConnectFailed;
  const bool tell_core = !it->second.close_requested;
  if (tell_core) HandleStreamRecv(id);  // bytes that arrived together with the FIN come first
  Forget(id);
  if (tell_core) ReportClosed(id, reason);
}

void SipNodeApplication::Flush(std::uint64_t id) {
  auto it = m_streams.find(id);
  if (it == m_streams.end() || !it->second.connected) return;
  Stream& stream = it->second;
  // ns-3's TCP may take less than we have (GetTxAvailable): keep the rest for the send callback.
  while (stream.pending_offset < stream.pending.size()) {
    const std::uint32_t available = stream.socket->GetTxAvailable();
    if (available == 0) break;
    const std::size_t n = std::min<std::size_t>(available, stream.pending.size() - stream.pending_offset);
    const int sent = stream.socket->Send(packet_of(stream.pending.data() + stream.pending_offset, n));
    if (sent <= 0) break;
    stream.pending_offset += static_cast<std::size_t>(sent);
    m_counters.stream_bytes_out += static_cast<std::uint64_t>(sent);
  }
  if (stream.pending_offset == stream.pending.size()) {
    stream.pending.clear();
    stream.pending_offset = 0;
    if (stream.close_requested) Forget(id);
  } else if (stream.pending_offset > stream.pending.size() / 2) {
    stream.pending.erase(0, stream.pending_offset);
    stream.pending_offset = 0;
  }
}

void SipNodeApplication::Forget(std::uint64_t id) {
  auto it = m_streams.find(id);
  if (it == m_streams.end()) return;
  auto socket = it->second.socket;
  m_streams.erase(it);
  // Clear first: closing a socket that is still connecting calls its close callback at once.
  clear_callbacks(socket);
  socket->Close();
}

void SipNodeApplication::ReportClosed(std::uint64_t id, resproxy::StreamCloseReason reason) {
  ++m_counters.streams_closed;
  if (reason == resproxy::StreamCloseReason::ConnectFailed) ++m_counters.streams_connect_failed;
  Deliver([id, reason](resproxy::Node& node, resproxy::TimePoint now) {
    node.on_stream_closed(now, resproxy::StreamId{id}, reason);
  });
}

}  // namespace resproxy::model
