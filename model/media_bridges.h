#pragma once
// Ns3MediaBridges: the PSTN gateway's media data path in ns-3 — what proxy/native/media_bridge.h
// is natively, on ns3::Socket and the simulator's clock, around the same sans-I/O per-call
// media::BridgeCore (proxy/media/bridge_core.h: latching, source filter, jitter buffer, G.711,
// our RTP stream, DTMF interworking, counters). One definition of the behaviour, two runtimes.
//
// Commands are the gateway's gateway::MediaBridge card commands (SipNodeApplication hands them
// over instead of to the cards, as the native runtime does), performed as
// gateway::plan_media_bridge (proxy/gateway/media_bridge_plan.h) plans them on both runtimes:
// with a port, open the bridge of (span, call) on the gateway's media address and that UDP port,
// or update it when it is open on that port (183 then 200, a re-INVITE); another port closes and
// reopens; port 0 closes it, and so does Close(span, call), called on the card's CallReleased. A
// port still held by another call's bridge closes that stale bridge first.
//
// The line is the emulated subscriber of the native daemon's default (LoopbackLine): it says
// back what it heard, 20 ms later — so a simulated phone hears its own voice exactly when the
// audio went both ways. One simulator event per 20 ms drives every bridge (tick n at
// first + n × 20 ms), armed only while a bridge is open.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include <ns3/event-id.h>
#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "proxy/base/rng.h"
#include "proxy/gateway/card.h"
#include "proxy/gateway/media_bridge_plan.h"
#include "proxy/media/bridge_core.h"
#include "proxy/media/jitter_buffer.h"

namespace resproxy::model {

struct MediaBridgeTotals {
  media::BridgeCounters counters;  // every bridge, open and closed
  std::uint64_t opened = 0;
  std::uint64_t closed = 0;
  std::uint64_t refused = 0;  // not G.711, over max_bridges, or the port cannot be bound
  std::uint64_t open = 0;     // gauge
};

class Ns3MediaBridges {
 public:
  // `rng` draws each bridge's SSRC, first sequence number and timestamp; it and `node` must
  // outlive this object. Commands beyond `max_bridges` open bridges are refused (counted), as
  // natively (MediaBridgeConfig::max_bridges); unlimited by default, as scenarios have run so far.
  Ns3MediaBridges(ns3::Ptr<ns3::Node> node, ns3::Ipv4Address bind, media::JitterBufferConfig jitter,
                  Rng& rng, std::size_t max_bridges = gateway::kUnlimitedMediaBridges);
  // The owner calls CloseAll() while the simulator runs (its application's StopApplication).
  ~Ns3MediaBridges();
  Ns3MediaBridges(const Ns3MediaBridges&) = delete;
  Ns3MediaBridges& operator=(const Ns3MediaBridges&) = delete;

  void OnCommand(gateway::SpanId span, const gateway::MediaBridge& command);
  void Close(gateway::SpanId span, gateway::LineCallId call);
  void CloseAll();
  // At Simulator::Destroy (the node's stack may be gone): only let go of the sockets' callbacks
  // and the tick, so nothing calls into this object again.
  void Detach();

  [[nodiscard]] MediaBridgeTotals Totals() const;

 private:
  using Key = std::pair<gateway::SpanId, gateway::LineCallId>;
  struct Bridge {
    std::uint16_t port = 0;
    ns3::Ptr<ns3::Socket> socket;
    std::unique_ptr<media::BridgeCore> core;
  };

  // The plan's Open: bind the port, then the BridgeCore (a port that cannot be bound: refused).
  void Open(Key key, const gateway::MediaBridge& command);
  void CloseBridge(std::map<Key, Bridge>::iterator it);
  void HandleRead(Key key, ns3::Ptr<ns3::Socket> socket);
  void Tick();
  void Flush(Bridge& bridge);

  ns3::Ptr<ns3::Node> m_node;
  ns3::Ipv4Address m_bind;
  media::JitterBufferConfig m_jitter;
  Rng& m_rng;
  std::size_t m_maxBridges;
  std::map<Key, Bridge> m_bridges;
  MediaBridgeTotals m_totals;  // opened/closed/refused and the closed bridges' counters
  ns3::EventId m_tick;
  std::array<std::uint8_t, 1500> m_buffer{};  // one receive buffer: datagrams are read one by one
};

}  // namespace resproxy::model
