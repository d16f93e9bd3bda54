#include "model/rtp_audio.h"

#include <algorithm>
#include <array>
#include <utility>

#include <ns3/abort.h>
#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/udp-socket-factory.h>

#include "model/sip_node_application.h"  // core_now, to_ns3, parse_ipv4, to_resproxy

namespace resproxy::model {

NS_LOG_COMPONENT_DEFINE("ResproxyRtpAudio");
NS_OBJECT_ENSURE_REGISTERED(RtpAudioApplication);

namespace {
constexpr Duration kPacketTime = std::chrono::milliseconds(20);
}  // namespace

ns3::TypeId RtpAudioApplication::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("resproxy::model::RtpAudioApplication")
                               .SetParent<ns3::Application>()
                               .SetGroupName("Resproxy")
                               .AddConstructor<RtpAudioApplication>();
  return tid;
}

RtpAudioApplication::RtpAudioApplication() = default;
RtpAudioApplication::~RtpAudioApplication() = default;

void RtpAudioApplication::Configure(Address local, Duration talk_for, Rng& rng) {
  m_local = std::move(local);
  m_talkFor = talk_for;
  m_rng = &rng;
}

void RtpAudioApplication::DoDispose() {
  m_socket = nullptr;
  ns3::Application::DoDispose();
}

void RtpAudioApplication::StartApplication() {
  const auto ip = parse_ipv4(m_local.ip);
  NS_ABORT_MSG_IF(!ip || m_rng == nullptr, "RtpAudioApplication: not configured");
  m_socket = ns3::Socket::CreateSocket(GetNode(), ns3::UdpSocketFactory::GetTypeId());
  if (m_socket->Bind(ns3::InetSocketAddress(*ip, m_local.port)) != 0) {
    NS_ABORT_MSG("cannot bind RTP " << m_local.to_string());
  }
  m_socket->SetRecvCallback(ns3::MakeCallback(&RtpAudioApplication::HandleRead, this));
  m_running = true;
}

void RtpAudioApplication::StopApplication() {
  m_running = false;
  const TimePoint now = core_now();
  for (auto& call : m_calls) {
    ns3::Simulator::Cancel(call.send_event);
    if (call.live) {
      call.live = false;
      call.record.stopped_at = now;
    }
  }
  m_live.clear();
  if (m_socket) {
    m_socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    m_socket->Close();
  }
}

void RtpAudioApplication::OnMedia(const MediaEvent& event) {
  if (!m_running) return;
  if (event.kind == MediaEvent::Kind::Stop) {
    const auto it = m_byCall.find(event.call_id);
    if (it == m_byCall.end()) return;
    Call& call = m_calls[it->second];
    if (!call.live) return;
    call.live = false;
    call.record.stopped_at = event.at;
    ns3::Simulator::Cancel(call.send_event);
    std::erase(m_live, it->second);
    return;
  }
  if (!parse_ipv4(event.remote.ip)) return;  // an IPv6 or unusable peer: this runtime is IPv4
  // RFC 3550 §5.1: random SSRC, first sequence number and timestamp.
  const auto ssrc = static_cast<std::uint32_t>(m_rng->next_u64());
  const auto sequence = static_cast<std::uint16_t>(m_rng->next_u64());
  const auto timestamp = static_cast<std::uint32_t>(m_rng->next_u64());
  Call call;
  call.record = AudioRecord{.call_id = event.call_id,
                            .peer = event.remote,
                            .payload_type = event.payload_type,
                            .started_at = event.at,
                            .stopped_at = std::nullopt,
                            .stats = {}};
  call.probe = std::make_unique<AudioProbe>(event.remote, event.payload_type, ssrc, sequence, timestamp);
  call.talk_until = event.at + m_talkFor;
  call.live = true;
  const std::size_t index = m_calls.size();
  m_calls.push_back(std::move(call));
  m_byCall[event.call_id] = index;
  m_live.push_back(index);
  // The first packet at once (the call is answered: RFC 3264 lets both ends send now).
  m_calls[index].send_event = ns3::Simulator::ScheduleNow(&RtpAudioApplication::Send, this, index);
}

void RtpAudioApplication::Send(std::size_t index) {
  Call& call = m_calls[index];
  const TimePoint now = core_now();
  if (!m_running || !call.live || now >= call.talk_until) return;
  const auto bytes = call.probe->next_packet(now);
  const auto to = to_ns3(call.probe->peer());
  if (to && !bytes.empty()) {
    m_socket->SendTo(ns3::Create<ns3::Packet>(bytes.data(), static_cast<std::uint32_t>(bytes.size())), 0, *to);
  }
  call.send_event = ns3::Simulator::Schedule(to_ns3(kPacketTime), &RtpAudioApplication::Send, this, index);
}

void RtpAudioApplication::HandleRead(ns3::Ptr<ns3::Socket> socket) {
  ns3::Address from;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    const auto size = std::min<std::uint32_t>(packet->GetSize(), m_buffer.size());
    packet->CopyData(m_buffer.data(), size);
    const Address source = to_resproxy(from);
    const TimePoint now = core_now();
    // The newest live call whose peer sent it.
    bool matched = false;
    for (auto it = m_live.rbegin(); it != m_live.rend(); ++it) {
      Call& call = m_calls[*it];
      if (call.probe->peer() != source) continue;
      call.probe->on_datagram(now, source, std::span<const std::uint8_t>(m_buffer.data(), size));
      matched = true;
      break;
    }
    if (!matched) ++m_unmatched;
  }
}

std::vector<AudioRecord> RtpAudioApplication::Records() const {
  std::vector<AudioRecord> out;
  out.reserve(m_calls.size());
  for (const auto& call : m_calls) {
    AudioRecord r = call.record;
    r.stats = call.probe->stats();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace resproxy::model
