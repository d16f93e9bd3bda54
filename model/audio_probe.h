#pragma once
// AudioProbe: what a simulated phone says and hears in one call — the measuring end of the
// audio that scenarios check ("did the call that connected carry speech?"). Sans-I/O: a runtime
// (model/rtp_audio.h in ns-3) owns the socket and the 20 ms clock, asks for the next packet to
// say and hands over every datagram that arrives.
//
// Says: one RTP packet (RFC 3550) per 20 ms of G.711 (RFC 3551: payload type 0 PCMU or 8 PCMA,
// 160 samples) carrying a steady tone, from an SSRC, first sequence number and timestamp the
// caller draws; the marker on the first packet (a talkspurt start).
//
// Hears: datagrams from the peer the SDP named (others are `foreign`; not RTP: `malformed`).
// Loss and jitter are the relay's receiver statistics (media/relay/stream_stats.h, RFC 3550
// Appendix A.1/A.3/A.8, probation included), so that what a simulated phone measures and what the
// relay will report are one computation. A packet "has voice" when its decoded samples' mean magnitude is
// above the silence floor: the line's or the peer's silence (G.711's idle codes) is no voice, a
// tone or speech is — so a probe whose peer echoes it (the emulated PSTN subscriber) hears its
// own voice only when the audio went both ways.
//
// Delay: every packet heard has a transit, arrival − (timestamp − the source's first timestamp
// heard) / 8000 (RFC 3550 A.8's transit in time units, counted from the first packet so a
// timestamp wrap does not matter); the probe keeps their mean, min and max per SSRC. Every clock
// of a simulation is the same clock, so a peer probe whose first packet left at first_sent with
// timestamp T0 was heard one_way_delay(heard, peer's first_sent, T0) after it spoke.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/media/relay/stream_stats.h"

namespace resproxy::model {

// One RTP source (SSRC) a probe heard, with the transit of its packets (see above).
struct HeardSource {
  std::uint32_t ssrc = 0;
  std::uint64_t packets = 0;
  std::uint32_t first_timestamp = 0;  // of the first packet heard
  std::uint32_t last_timestamp = 0;
  std::int64_t timestamp_offset = 0;  // last_timestamp − first_timestamp, unwrapped
  TimePoint first_transit{};          // transit of the first packet
  Duration transit_sum{};             // Σ (transit − first_transit)
  TimePoint min_transit{}, max_transit{};

  [[nodiscard]] TimePoint mean_transit() const {
    return packets == 0 ? first_transit : first_transit + transit_sum / static_cast<std::int64_t>(packets);
  }
};

// How long after a sender's first packet left (`first_sent`, timestamp `first_timestamp`,
// 8 kHz) its packets were heard, on average: the mean transit less the sender's own "transit" at
// its first packet. Needs one clock for both (a simulation's).
[[nodiscard]] Duration one_way_delay(const HeardSource& heard, TimePoint first_sent, std::uint32_t first_timestamp);

struct AudioStats {
  std::uint64_t sent = 0;       // RTP packets said
  std::uint64_t received = 0;   // RTP packets from the peer
  std::uint64_t voice = 0;      // of them, packets with sound in them
  std::uint64_t foreign = 0;    // datagrams from anyone else (dropped)
  std::uint64_t malformed = 0;  // datagrams from the peer that are not RTP / G.711 of 20 ms
  std::uint64_t expected = 0;   // RFC 3550 A.3 (from the source's confirmation, A.1 probation)
  std::uint64_t lost_packets = 0;  // RFC 3550 A.3 cumulative, 0 when duplicates outnumber losses
  double jitter_ms = 0;         // RFC 3550 A.8 interarrival jitter, at the last packet
  std::optional<TimePoint> first_sent;
  std::optional<TimePoint> first_received;
  std::optional<TimePoint> first_voice;
  std::optional<TimePoint> last_received;
  std::uint64_t loss_bursts = 0;  // forward gaps in the counted sequence (runs of lost packets)
  std::uint32_t ssrc = 0;             // what this probe says: its SSRC and first timestamp
  std::uint32_t first_timestamp = 0;
  std::vector<HeardSource> heard;     // every SSRC heard from the peer, first heard first
  // The source heard most (the first of equals); nullptr before any packet.
  [[nodiscard]] const HeardSource* main_source() const;
  // Packets the peer sent that never came (RFC 3550 A.3, 0 when duplicates outnumber them).
  [[nodiscard]] std::uint64_t lost() const { return lost_packets; }
};

class AudioProbe {
 public:
  static constexpr std::size_t kSamples = 160;         // 20 ms at 8 kHz
  static constexpr double kToneHz = 425.0;             // any steady tone does
  static constexpr std::int16_t kToneAmplitude = 6000;  // about -15 dBm0
  static constexpr double kSilenceFloor = 64.0;        // mean |sample| below it: no voice

  // `payload_type` 0 (PCMU) or 8 (PCMA); anything else is taken as PCMU.
  AudioProbe(Address peer, std::uint8_t payload_type, std::uint32_t ssrc, std::uint16_t first_sequence,
             std::uint32_t first_timestamp);

  // The next 20 ms packet to send to peer() at `now`.
  [[nodiscard]] std::vector<std::uint8_t> next_packet(TimePoint now);
  // A datagram that arrived on the phone's media port. `source`, `bytes`: untrusted.
  void on_datagram(TimePoint now, const Address& source, std::span<const std::uint8_t> bytes);

  [[nodiscard]] const Address& peer() const { return peer_; }
  [[nodiscard]] const AudioStats& stats() const { return stats_; }

 private:
  void note_transit(TimePoint now, std::uint32_t ssrc, std::uint32_t timestamp);

  Address peer_;
  std::uint8_t payload_type_;
  std::uint32_t ssrc_;
  std::uint16_t sequence_;
  std::uint32_t timestamp_;
  std::uint64_t samples_said_ = 0;  // the tone's phase
  AudioStats stats_{};
  media::relay::StreamStats receiver_;
};

}  // namespace resproxy::model
