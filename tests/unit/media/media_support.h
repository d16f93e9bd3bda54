#pragma once
// Test helpers for proxy/media: an RTP sender of G.711 frames whose packets own their payload.
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media::test {

inline TimePoint at_ms(double ms) { return from_ns(static_cast<std::int64_t>(ms * 1e6)); }

// A sender of 8 kHz G.711 frames: a tone, or digital silence when `quiet` says so.
struct ToneSender {
  std::uint32_t ssrc = 0x5eed;
  std::uint16_t sequence = 1000;
  std::uint32_t timestamp = 80000;
  std::uint8_t payload_type = kPayloadTypePcma;
  G711Law law = G711Law::ALaw;
  double hz = 300;
  std::deque<std::vector<std::uint8_t>> payloads;  // keeps every packet's payload alive

  static std::int16_t sample(double hz, std::uint32_t n) {
    return static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * hz * n / 8000.0));
  }
  // The next packet of `samples` samples; the stream advances.
  RtpPacket next(std::size_t samples = 160, bool marker = false, bool quiet = false) {
    std::vector<std::uint8_t> payload(samples);
    for (std::size_t i = 0; i < samples; ++i) {
      const auto n = static_cast<std::uint32_t>(timestamp + i);
      payload[i] = g711_encode(law, quiet ? std::int16_t{0} : sample(hz, n));
    }
    payloads.push_back(std::move(payload));
    if (payloads.size() > 4096) payloads.pop_front();
    RtpPacket p;
    p.marker = marker;
    p.payload_type = payload_type;
    p.sequence_number = sequence++;
    p.timestamp = timestamp;
    p.ssrc = ssrc;
    p.payload = payloads.back();
    timestamp += static_cast<std::uint32_t>(samples);
    return p;
  }
  // Skips `samples` of time without sending (a pause or a lost packet's timestamps).
  void skip(std::size_t samples, bool consume_sequence) {
    timestamp += static_cast<std::uint32_t>(samples);
    if (consume_sequence) ++sequence;
  }
};

}  // namespace resproxy::media::test
