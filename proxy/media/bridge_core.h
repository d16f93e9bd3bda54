#pragma once
// BridgeCore: the sans-I/O media endpoint of one bridged PSTN line call — the RTP side (RFC 3550
// over UDP) of the gateway's MediaBridge (proxy/gateway/card.h) and the 20 ms G.711 frames of the
// line. A runtime owns the socket and the line clock and feeds it: datagrams as they arrive
// (on_datagram), one tick per 20 ms of the line's 8 kHz clock (to_line, then from_line with what
// the line said), and the gateway's updates of the negotiated remote and payload types
// (on_update); after each input it takes the datagrams to send (next_datagram) and reports how
// each send went (on_send_result). Natively that runtime is proxy/native/media_bridge.cpp.
//
//   network -> line: each datagram is parsed (rtp_packet.h) and pushed into the JitterBuffer
//     (reordering, late/duplicate drops, adaptive delay, PLC, clock slips); to_line() pulls one
//     frame per tick.
//   line -> network: the frame the line says in that tick is encoded in the call's law (payload
//     type 8 PCMA or 0 PCMU, RFC 3551 §6) and leaves as one RTP packet to the remote: an SSRC of
//     our own, random first sequence number and timestamp (RFC 3550 §5.1) drawn from the Rng the
//     runtime gives open(), sequence + 1 and timestamp + 160 per packet, the marker on the first
//     (a talkspurt start, RFC 3551 §4.1). No VAD: one packet per tick once the remote is known.
//
// Source filtering: datagrams count only from the remote (the SDP's c=/m=, as the runtime
// translated it to a socket address). No remote means "not known yet": the core latches to the
// source of the first datagram that parses as RTP (symmetric RTP, RFC 4961) and sends nothing
// before it. Datagrams from anyone else are dropped and counted (`foreign`); datagrams from the
// remote that are not RTP are counted (`rx_errors`) and dropped. Everything here is an attacker's
// and nothing grows with it: fixed-size packets, a bounded send queue.
//
// DTMF (line_dtmf.h): with telephone-event negotiated, packets of that payload type go to the
// call's LineDtmf instead of the jitter buffer and play to the line as tones; tones the line says
// leave as RFC 4733 events in the voice's SSRC and sequence numbers (each tick: its event packets,
// then the voice packet), silenced in the voice, which then goes out 40 ms late. Without it the
// tones pass in the audio untouched.
//
// Addresses are compared as text: the runtime hands every source and the remote in one canonical
// form (an IPv4-mapped IPv6 source as IPv4), so equal endpoints are equal Addresses.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/g711.h"
#include "proxy/media/jitter_buffer.h"
#include "proxy/media/line_dtmf.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media {

using LineFrame = std::array<std::int16_t, kFrameSamples>;  // 20 ms, 16-bit linear

// Counters of one bridge. Never reset.
struct BridgeCounters {
  std::uint64_t rtp_rx = 0;     // RTP packets from the remote, parsed (to the jitter buffer,
                                // or RFC 4733 events to the DTMF receiver)
  std::uint64_t rtp_tx = 0;     // RTP packets sent to the remote (on_send_result(true))
  std::uint64_t rx_errors = 0;  // datagrams from the remote that are not RTP (RtpError)
  std::uint64_t foreign = 0;    // datagrams from another source than the remote: dropped
  std::uint64_t tx_errors = 0;  // sends that failed (socket buffer full, no route, ICMP)
  std::uint64_t late = 0;       // JitterBufferStats: after their playout time
  std::uint64_t duplicate = 0;
  std::uint64_t lost = 0;       // frames concealed for missing audio
  std::uint64_t concealed = 0;  // frames handed to the line as Concealed (lost + slip inserts)
  std::uint64_t silent = 0;     // frames of silence (nothing to play)
  std::uint64_t slips = 0;      // clock slips, both ways (dropped + inserted frames)
  std::uint64_t ignored = 0;    // wrong payload type, empty or oversized payloads
  std::uint64_t dtmf_rx = 0;    // digits received as RFC 4733 events (played unless dropped)
  std::uint64_t dtmf_tx = 0;    // digits detected on the line and sent as RFC 4733 events
  std::uint64_t dtmf_dropped = 0;  // received digits not played: too many waiting
};

void add(BridgeCounters& to, const BridgeCounters& from);

// What the gateway negotiated for the call (one gateway::MediaBridge, translated by the runtime).
struct BridgeSettings {
  std::optional<Address> remote;  // none: not known yet, latch to the first RTP source
  std::uint8_t payload_type = kPayloadTypePcma;
  std::optional<std::uint8_t> telephone_event = std::nullopt;  // RFC 4733, as negotiated
  // The peer's events come with this number when the answer mapped telephone-event differently
  // from our offer (gateway::MediaBridge::telephone_event_rx); none: telephone_event both ways.
  std::optional<std::uint8_t> telephone_event_rx = std::nullopt;
};

// One RTP packet to send.
struct BridgeDatagram {
  static constexpr std::size_t kMaxSize = kRtpFixedHeaderSize + kFrameSamples;
  Address to;
  std::array<std::uint8_t, kMaxSize> bytes{};
  std::size_t size = 0;
  [[nodiscard]] std::span<const std::uint8_t> data() const { return {bytes.data(), size}; }
};

class BridgeCore {
 public:
  // More than one tick's packets (4 events + the voice) waiting means the runtime stopped
  // draining; beyond it packets are dropped and counted as tx_errors.
  static constexpr std::size_t kMaxQueued = 16;

  // The law of a G.711 payload type (8 PCMA, 0 PCMU); none for anything else.
  [[nodiscard]] static std::optional<G711Law> law_of(std::uint8_t payload_type);

  // A new bridge, or null when the payload type is not G.711 (the gateway offers G.711 only;
  // the caller refuses the command and counts it) — then nothing is drawn from `rng`. Otherwise
  // three draws, in this order: SSRC, first sequence number, first timestamp.
  [[nodiscard]] static std::unique_ptr<BridgeCore> open(const JitterBufferConfig& jitter,
                                                        const BridgeSettings& settings, Rng& rng);

  BridgeCore(const BridgeCore&) = delete;
  BridgeCore& operator=(const BridgeCore&) = delete;

  // The gateway's update of the same endpoint (183 then 200, a re-INVITE): a known remote
  // re-targets (a latched source stays when the update does not know one), a new payload type
  // restarts the jitter buffer, telephone-event is set as given; our stream goes on. False, and
  // nothing changed, when the payload type is not G.711: the caller closes the bridge.
  [[nodiscard]] bool on_update(const BridgeSettings& settings);

  // A datagram that arrived on the bridge's port. `source` and `bytes` from the wire: untrusted.
  void on_datagram(TimePoint now, const Address& source, std::span<const std::uint8_t> bytes);

  // One tick of the line clock, in two halves: to_line() is the frame the line hears now (played,
  // concealed or silence; a DTMF tone in place of it while one plays), then from_line() with
  // the frame the line says in the same tick — exactly one from_line() per to_line().
  [[nodiscard]] Frame to_line(TimePoint now);
  void from_line(const LineFrame& said);

  // The next packet to send, oldest first; the caller sends it and reports on_send_result().
  [[nodiscard]] std::optional<BridgeDatagram> next_datagram();
  void on_send_result(bool delivered);
  // The socket reported an error unrelated to a particular send (ICMP port unreachable for an
  // earlier one): counted as a tx_error, nothing else changes.
  void on_transport_error() { ++own_.tx_errors; }

  [[nodiscard]] BridgeCounters counters() const;
  [[nodiscard]] const std::optional<Address>& remote() const { return remote_; }
  [[nodiscard]] std::uint8_t payload_type() const { return payload_type_; }
  [[nodiscard]] std::optional<std::uint8_t> telephone_event() const;

 private:
  BridgeCore(const JitterBufferConfig& jitter, Rng& rng);
  void set_payload_type(std::uint8_t payload_type, G711Law law);
  void set_telephone_event(std::optional<std::uint8_t> payload_type);
  void set_event_rx(std::optional<std::uint8_t> payload_type);
  void send_voice(const LineFrame& said);
  void send_event(const OutgoingEvent& event);
  void queue(const RtpPacket& fields);

  JitterBufferConfig jitter_config_;
  std::optional<Address> remote_;  // none: latching to the first RTP source
  std::uint8_t payload_type_ = kPayloadTypePcma;
  G711Law law_ = G711Law::ALaw;
  std::unique_ptr<JitterBuffer> jitter_;
  std::unique_ptr<LineDtmf> dtmf_;  // telephone-event negotiated: DTMF interworking
  std::optional<std::uint8_t> event_rx_;  // events arrive with this number too (asymmetric)
  BridgeCounters carried_{};        // of jitter buffers and LineDtmfs an update replaced
  BridgeCounters own_{};            // what the jitter buffer and LineDtmf do not count
  // Our stream (RFC 3550 §5.1).
  std::uint32_t ssrc_ = 0;
  std::uint16_t sequence_ = 0;
  std::uint32_t timestamp_ = 0;
  bool first_ = true;
  // The send queue: a ring of fixed slots, so a tick costs no allocation.
  std::array<BridgeDatagram, kMaxQueued> queue_{};
  std::size_t queue_head_ = 0;
  std::size_t queue_size_ = 0;
};

}  // namespace resproxy::media
