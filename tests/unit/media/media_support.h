#pragma once
// Test helpers for proxy/media: RTP senders of G.711 frames and of RFC 4733 key presses whose
// packets own their payload.
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/media/telephone_event.h"

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

// RFC 4733 packets of key presses as a phone sends them (telephone_event_schedule), one press
// at a time, in one sequence space; the packets' payloads live as long as the sender.
struct EventSender {
  std::uint16_t sequence = 1;
  std::uint32_t ssrc = 0xd7f;
  std::deque<std::array<std::uint8_t, 4>> payloads;
  struct Timed {
    double at_ms;
    RtpPacket packet;
  };
  // The packets of one press of `digit` lasting `length`, from `start_ms`, RTP timestamp `ts`.
  std::vector<Timed> press(char digit, Duration length, double start_ms, std::uint32_t ts) {
    std::vector<Timed> out;
    for (const auto& s : telephone_event_schedule(digit, length)) {
      payloads.push_back(build_telephone_event(s.event));
      RtpPacket p;
      p.payload_type = 101;
      p.marker = s.marker;
      p.sequence_number = sequence++;
      p.timestamp = ts;
      p.ssrc = ssrc;
      p.payload = payloads.back();
      out.push_back({start_ms + static_cast<double>(s.at.count()) / 1e6, p});
    }
    return out;
  }
};

}  // namespace resproxy::media::test
