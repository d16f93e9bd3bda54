#pragma once
// SipNodeApplication: the ns-3 runtime of one core resproxy::Node (STYLE.md §3). ns-3 owns the
// clock and the sockets; this adapter translates socket events into the Node's inputs (with
// `now` = Simulator::Now()), performs the effects it drains, and arms exactly one simulator event
// for next_deadline(). It pumps exactly like the native driver and knows nothing about SIP.
//
// Sockets (IPv4 only for now), all on the one port given by the "Port" attribute:
//   * UDP: one socket per IPv4 address of the ns-3 node (loopback included), so every received
//     datagram carries the exact local address and every SendDatagram leaves from the socket
//     bound to its `local` address (symmetric signalling);
//   * TCP: one listening socket on 0.0.0.0:port. Accepted connections get StreamIds 1, 2, ...;
//     OpenStream connects from `local.ip` (ephemeral port) and queues writes until connected.
//
// Telephony (optional, SetTelephonyHost): the office's emulated cards and exchange
// (sim_hardware/host/telephony_host.h) on this node. A ToCard effect goes to the host's on_command
// at Simulator::Now(); the host's next_deadline() has its own simulator event; the cards' events
// (FromCard) reach the Node as completions, each an input of its own fed after the effect drain
// in progress (never inside it), in the order the host produced them. Without a host, ToCard is
// answered with gateway::no_card_answer, as every runtime without a card answers.
//
// Media (optional, EnableMediaBridges): the gateway's RTP data path (model/media_bridges.h). A
// ToCard carrying gateway::MediaBridge goes there instead of to the cards (audio is the runtime's,
// never the card's: card.h), and every CallReleased the cards report closes that call's bridge
// before the Node hears of it — as the native runtime does.
//
// Lifetime: the application owns the core Node (SetCoreNode). The Rng and TraceSink that the core
// Node refers to must outlive the application, i.e. Simulator::Destroy().
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ns3/application.h>
#include <ns3/event-id.h>
#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-address.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/time.h"
#include "model/dns_client.h"
#include "model/media_bridges.h"
#include "sim_hardware/host/telephony_host.h"
#include "model/memory_store.h"

namespace resproxy::model {

// Core time <-> ns-3 time. The core's epoch is the start of the simulation (t = 0).
resproxy::TimePoint core_now();
resproxy::TimePoint to_core(ns3::Time simulation_time);
ns3::Time to_ns3(resproxy::Duration duration);

// resproxy::Address <-> ns-3 IPv4 socket address. parse_ipv4/to_ns3 fail (nullopt) on anything
// but a dotted-quad IPv4 address (IPv6 is not supported by the ns-3 runtime yet).
std::optional<ns3::Ipv4Address> parse_ipv4(const std::string& text);
std::optional<ns3::InetSocketAddress> to_ns3(const resproxy::Address& address);
resproxy::Address to_resproxy(ns3::Ipv4Address ip, std::uint16_t port);
resproxy::Address to_resproxy(const ns3::Address& address);  // an InetSocketAddress

// What the adapter did; all monotonically increasing.
struct SipNodeCounters {
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t datagram_send_failures = 0;  // SendTo refused, or no socket for `local`
  std::uint64_t media_packets_in = 0;        // on the media relay's ports
  std::uint64_t media_packets_out = 0;       // forwarded by it
  std::uint64_t streams_accepted = 0;        // inbound TCP connections
  std::uint64_t streams_connected = 0;       // OpenStream that reached the connected state
  std::uint64_t streams_unsupported = 0;     // OpenStream for a transport ns-3 lacks (TLS)
  std::uint64_t streams_connect_failed = 0;
  std::uint64_t streams_closed = 0;          // reported to the core with any reason
  std::uint64_t stream_bytes_in = 0;
  std::uint64_t stream_bytes_out = 0;        // accepted by the TCP socket
  std::uint64_t deadlines_fired = 0;
  std::uint64_t inputs_injected = 0;
  std::uint64_t effects_dropped = 0;  // stopped app, unknown stream, duplicate id, bad address
};

class SipNodeApplication : public ns3::Application {
 public:
  // One extra input for scenario scripting: called with the core Node and core `now`.
  using Input = std::function<void(resproxy::Node& node, resproxy::TimePoint now)>;

  static ns3::TypeId GetTypeId();
  SipNodeApplication();
  ~SipNodeApplication() override;

  // Before the application starts. Replacing a running node is not supported.
  void SetCoreNode(std::unique_ptr<resproxy::Node> node);
  resproxy::Node* GetCoreNode() const { return m_node.get(); }

  // Before the application starts: the telephony cards this node drives (a gateway's). The host is
  // started (TelephonyHost::start) when the application starts, if it was not already.
  void SetTelephonyHost(std::unique_ptr<resproxy::telephony::TelephonyHost> host);
  resproxy::telephony::TelephonyHost* GetTelephonyHost() const { return m_host.get(); }
  // A scenario's input to the telephony host (a PSTN call, a span alarm, congestion), given the
  // host and core `now`; the events it causes reach the Node as completions. Ignored without a
  // host or while the application is not running.
  using TelephonyInput =
      std::function<void(resproxy::telephony::TelephonyHost& host, resproxy::TimePoint now)>;
  void InjectTelephony(TelephonyInput input);

  // Before the application starts: bridge line calls to RTP on `bind` (the gateway's media
  // address). `rng` (SSRCs, first sequence numbers and timestamps) must outlive the simulation.
  void EnableMediaBridges(ns3::Ipv4Address bind, resproxy::media::JitterBufferConfig jitter,
                          resproxy::Rng& rng);
  const Ns3MediaBridges* GetMediaBridges() const { return m_media.get(); }

  void SetPort(std::uint16_t port) { m_port = port; }
  // Where StoreWrite effects go, answered with a StoreDone completion after `latency`. Without a store
  // every StoreWrite fails. The store must outlive the simulation run.
  void SetStore(MemoryStore* store, ns3::Time latency = ns3::MicroSeconds(200)) {
    m_store = store;
    m_storeLatency = latency;
  }
  std::uint16_t GetPort() const { return m_port; }
  // Where ResolveName effects go: a stub resolver on this node asking one DNS server over the
  // simulated UDP (dns_client.h). Without one, every look-up is answered Unsupported, the way
  // every runtime answers for a capability it lacks (node.h).
  void SetDnsClient(DnsClientConfig config) { m_dnsConfig = std::move(config); }
  const DnsClient* GetDnsClient() const { return m_dns.get(); }

  // Feeds `input` to the core now, then drains effects and re-arms the deadline. Typically
  // scheduled: Simulator::Schedule(Seconds(3), [app] { app->Inject(...); }). Effects produced
  // while the application is not running are dropped (effects_dropped).
  void Inject(Input input);

  // Called with every message the core sends (datagrams as sent, stream writes as written), for
  // SIP ladders and message logs. Observes only: nothing flows back into the simulation.
  using SendTap = std::function<void(const resproxy::Address& remote, std::string_view bytes)>;
  void SetSendTap(SendTap tap) { m_sendTap = std::move(tap); }
  // Where the core's CommandReply effects go (AdminCommands are Inject()ed). Empty: dropped.
  using CommandReplies = std::function<void(resproxy::CommandReply)>;
  void SetCommandReplies(CommandReplies replies) { m_commandReplies = std::move(replies); }

  const SipNodeCounters& GetCounters() const { return m_counters; }
  // The UDP listening addresses (one per IPv4 address of the node), valid once started.
  std::vector<resproxy::Address> GetListeningAddresses() const;
  bool IsRunning() const { return m_running; }

 protected:
  void DoDispose() override;

 private:
  struct Stream {
    ns3::Ptr<ns3::Socket> socket;
    resproxy::Path path;
    std::string pending;  // written by the core, not yet accepted by TCP
    std::size_t pending_offset = 0;
    bool connected = false;
    bool close_requested = false;  // CloseStream seen: flush, then close; core already told
  };

  // ns3::Application
  void StartApplication() override;
  void StopApplication() override;

  // Queues an input and pumps unless a pump is already running (then the running pump feeds it).
  void Deliver(Input input);
  void Pump();
  void RearmDeadline();
  void OnDeadline();
  // Telephony host: its events to the Node (queued as inputs), its one deadline event.
  void DeliverCardEvents();
  void RearmHostDeadline();
  void OnHostDeadline();

  void Perform(resproxy::Effect effect);
  void Perform(resproxy::SendDatagram& effect);
  void Perform(resproxy::OpenStream& effect);
  void Perform(resproxy::WriteStream& effect);
  void Perform(resproxy::CloseStream& effect);
  void Perform(resproxy::StoreWrite& effect);
  void Perform(resproxy::CommandReply& effect);
  void Perform(resproxy::ResolveName& effect);
  void Perform(resproxy::gateway::ToCard& effect);
  // The media relay's ports (docs/media-relay.md): a UDP socket each; every datagram is one
  // on_media_packet input, its forward sent from the socket the core names.
  void Perform(resproxy::OpenMediaPort& effect);
  void Perform(resproxy::CloseMediaPort& effect);
  void HandleMedia(ns3::Ptr<ns3::Socket> socket, resproxy::Address local);
  void SendMedia(const resproxy::MediaSend& send, const std::string& bytes);

  void HandleDatagram(ns3::Ptr<ns3::Socket> socket, resproxy::Address local);
  void HandleAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);
  void HandleConnected(std::uint64_t id);
  void HandleStreamRecv(std::uint64_t id);
  void HandleStreamClosed(std::uint64_t id, resproxy::StreamCloseReason reason);
  void WatchStream(std::uint64_t id, const ns3::Ptr<ns3::Socket>& socket);
  void Flush(std::uint64_t id);
  // Closes the socket, clears its callbacks (so nothing calls back into us) and forgets it.
  void Forget(std::uint64_t id);
  void ReportClosed(std::uint64_t id, resproxy::StreamCloseReason reason);
  ns3::Ptr<ns3::Socket> UdpSocketFor(const resproxy::Address& local) const;

  std::unique_ptr<resproxy::Node> m_node;
  std::unique_ptr<resproxy::telephony::TelephonyHost> m_host;
  struct MediaSetup {
    ns3::Ipv4Address bind;
    resproxy::media::JitterBufferConfig jitter;
    resproxy::Rng* rng = nullptr;
  };
  std::optional<MediaSetup> m_mediaSetup;
  std::unique_ptr<Ns3MediaBridges> m_media;  // created at start, closed at stop
  ns3::EventId m_hostDeadlineEvent;
  std::optional<DnsClientConfig> m_dnsConfig;
  std::unique_ptr<DnsClient> m_dns;  // created at the first look-up
  MemoryStore* m_store = nullptr;
  ns3::Time m_storeLatency;
  CommandReplies m_commandReplies;
  std::uint16_t m_port = 5060;
  bool m_running = false;
  bool m_pumping = false;
  std::deque<Input> m_inputs;
  ns3::EventId m_deadlineEvent;

  std::vector<std::pair<resproxy::Address, ns3::Ptr<ns3::Socket>>> m_udpSockets;
  std::map<resproxy::Address, ns3::Ptr<ns3::Socket>> m_mediaPorts;  // the relay's, by local address
  ns3::Ptr<ns3::Socket> m_tcpListener;
  std::map<std::uint64_t, Stream> m_streams;
  std::uint64_t m_nextInboundStream = 1;

  SipNodeCounters m_counters;
  SendTap m_sendTap;
};

}  // namespace resproxy::model
