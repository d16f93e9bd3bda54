#pragma once
// MediaBridges: the native data path of the PSTN gateway's media (gateway::MediaBridge,
// proxy/gateway/card.h). For each bridged line call, an RTP endpoint (RFC 3550 over UDP) on the
// gateway's media address and the call's rtp_port, and a line that hears and speaks 20 ms G.711
// frames:
//
//   network -> line: each datagram is parsed (media/rtp_packet.h) and pushed into the call's
//     JitterBuffer (media/jitter_buffer.h: reordering, late/duplicate drops, adaptive delay, PLC,
//     clock-slip handling); every 20 ms of the line's 8 kHz clock the line takes one frame.
//   line -> network: the frame the line sends back in the same 20 ms is encoded in the call's law
//     (payload type 8 PCMA or 0 PCMU, RFC 3551 §6) and sent as one RTP packet to the remote: an
//     SSRC of our own from the OS RNG, random first sequence number and timestamp (RFC 3550
//     §5.1), sequence + 1 and timestamp + 160 per packet, the marker on the first (a talkspurt
//     start, RFC 3551 §4.1). A line always sends (no VAD): 50 packets a second while bridged.
//
// The per-bridge logic below (parsing, latching, filtering, jitter buffer, our stream, DTMF,
// counters) is media::BridgeCore (proxy/media/bridge_core.h), sans-I/O so that the ns-3 runtime can host it
// too (#12); this class is its Asio shell: the sockets, port binding, the one line-clock timer, the bridge table.
//
// Source filtering: datagrams count only from the remote the gateway negotiated (the SDP's
// c=/m=). A remote of 0.0.0.0, ::, empty, port 0 or an address that is not a literal IP means
// "not known yet": the bridge latches to the source of the first datagram that parses as RTP
// (symmetric RTP, RFC 4961) and sends nothing before it. Datagrams from anyone else are dropped
// and counted (`foreign`). Everything that arrives is an attacker's: a datagram that is not RTP
// is counted (`rx_errors`) and dropped; nothing on this path can crash or grow without bound
// (at most `max_bridges` bridges, one fixed-size receive buffer each).
//
// The line. MediaLine is the seam: a real telephony driver would hand the frames to the channel
// (DAHDI's read/write on the B-channel's device). The emulated cards of sim_hardware/ model no
// audio, so the daemon's default line is LoopbackLine: an emulated subscriber that says back what
// it hears, 20 ms later — enough to prove the path end to end (tests/integration/native/
// media_bridge_test.cpp sends RTP in and gets its own audio back).
//
// Clock. One steady_timer drives every bridge: tick n is due at start + n × 20 ms (the next
// deadline is the previous deadline + 20 ms, never now + 20 ms, so the line clock does not drift
// with the io thread's latency). If the thread falls more than kMaxLateTicks behind (suspended,
// overloaded), the clock restarts from now and the miss is counted (`tick_overruns`): the jitter
// buffers absorb the step like a clock slip. The timer runs only while a bridge exists.
//
// DTMF (media/line_dtmf.h). When the call negotiated telephone-event (MediaBridge::
// telephone_event), packets of that payload type go to the call's LineDtmf instead of the jitter
// buffer and are played to the line as DTMF tones; tones the line says are detected and sent as
// RFC 4733 events with that payload type, in the voice's SSRC and sequence numbers (each tick:
// the tick's event packet, if any, then the voice packet), and are silenced in the voice, which
// for this goes out 40 ms late on such calls. Without telephone-event nothing of this runs:
// tones pass in the audio untouched. Counted per bridge as dtmf_rx / dtmf_tx / dtmf_dropped.
// The line's echo of a tone we play is detected like any other (a real line with echo returns
// the digit to the far end; LoopbackLine does so by design, which the tests use).
//
// Commands (on_command) do what gateway::plan_media_bridge (proxy/gateway/media_bridge_plan.h)
// plans, as the ns-3 runtime does: MediaBridge with a port opens the bridge of (span, call), or
// updates its remote, payload type and telephone-event when it is already open on that port (early
// media on 183, then the answer; a re-INVITE). A different port closes and reopens. rtp_port 0
// closes it; so does close() (the runtime calls it on the card's CallReleased: every line call
// ends with one). A bridge another call still holds on the port is stale and closes first.
//
// Threading: everything on the io_context's thread (or before it runs). The io_context must
// outlive this object; pending handlers hold the inside alive and do nothing once it is closed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/gateway/card.h"
#include "proxy/media/bridge_core.h"
#include "proxy/media/jitter_buffer.h"

namespace resproxy::native {

using LineFrame = media::LineFrame;  // 20 ms, 16-bit linear

// The telephone line of a bridged call, as the data path sees it: once per 20 ms it is given the
// frame the network side plays to it and returns the frame it sends toward the network.
class MediaLine {
 public:
  virtual ~MediaLine() = default;
  // A bridge opened (true) or closed (false) for (span, call).
  virtual void on_bridge(gateway::SpanId span, gateway::LineCallId call, bool open) = 0;
  // One 20 ms period of (span, call): `heard` goes to the line, `said` is what it sends.
  virtual void exchange(gateway::SpanId span, gateway::LineCallId call, const media::Frame& heard,
                        LineFrame& said) = 0;
};

// The emulated subscriber: echoes what it hears (played, concealed or silence alike).
class LoopbackLine final : public MediaLine {
 public:
  // MediaLine
  void on_bridge(gateway::SpanId, gateway::LineCallId, bool) override {}
  void exchange(gateway::SpanId, gateway::LineCallId, const media::Frame& heard,
                LineFrame& said) override {
    said = heard.samples;
  }
};

struct MediaBridgeConfig {
  std::string bind_ip = "0.0.0.0";  // where the RTP ports are bound: the gateway's listen address
  std::size_t max_bridges = 1024;   // MediaBridge commands beyond it are refused (counted)
  media::JitterBufferConfig jitter{};  // law and payload type are set per call
};

// Counters of one bridge (media/bridge_core.h); MediaBridgeTotals adds those of closed bridges.
using MediaBridgeCounters = media::BridgeCounters;

struct MediaBridgeTotals {
  MediaBridgeCounters counters;   // every bridge, open and closed
  std::uint64_t opened = 0;
  std::uint64_t closed = 0;
  std::uint64_t open = 0;         // gauge
  std::uint64_t refused = 0;      // over max_bridges, a port that cannot be bound, a payload
                                  // type that is not G.711
  std::uint64_t tick_overruns = 0;
};

struct MediaBridgeInfo {
  gateway::SpanId span = 0;
  gateway::LineCallId call = 0;
  std::uint16_t rtp_port = 0;    // bound
  std::string remote;            // "ip:port", or "latching" until the first datagram
  std::uint8_t payload_type = 8;
  std::optional<std::uint8_t> telephone_event;
  MediaBridgeCounters counters;
};

class MediaBridges {
 public:
  static constexpr std::uint64_t kMaxLateTicks = 5;  // 100 ms behind: restart the line clock

  // `line`: null for a LoopbackLine of its own; else it must outlive this object.
  MediaBridges(boost::asio::io_context& io, MediaBridgeConfig config, MediaLine* line = nullptr);
  ~MediaBridges();  // close_all(), then nothing more reaches the line
  MediaBridges(const MediaBridges&) = delete;
  MediaBridges& operator=(const MediaBridges&) = delete;

  // A gateway MediaBridge for the card serving `span` (see the header comment).
  void on_command(gateway::SpanId span, const gateway::MediaBridge& command);
  // The line call is over (CallReleased): its bridge, if any, closes.
  void close(gateway::SpanId span, gateway::LineCallId call);
  void close_all();

  [[nodiscard]] MediaBridgeTotals totals() const;
  [[nodiscard]] std::vector<MediaBridgeInfo> bridges() const;  // in (span, call) order
  [[nodiscard]] std::optional<MediaBridgeInfo> bridge(gateway::SpanId span,
                                                      gateway::LineCallId call) const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace resproxy::native
