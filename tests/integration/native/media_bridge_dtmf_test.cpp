// DTMF through MediaBridges (proxy/native/media_bridge.h) on real loopback UDP: a test socket
// plays the far end of a gateway call and sends RFC 4733 key presses; the bridge plays them to
// the emulated subscriber (LoopbackLine) as DTMF tones, the subscriber says them back, and the
// bridge must detect them and send RFC 4733 events for the same digits, in order, in its one RTP
// stream, with the tones kept out of the voice. Without telephone-event, neither happens.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "proxy/media/dtmf_tone.h"
#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/media/telephone_event.h"
#include "proxy/native/media_bridge.h"
#include "tests/integration/native/office_support.h"
#include "tests/integration/native/rtp_phone.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using test_support::free_port;
using Phone = test_support::RtpPhone;  // control_server_fixture.h has a test_support::Phone
using Received = test_support::RtpReceived;
using testing::run_until;
using namespace std::chrono_literals;

constexpr gateway::SpanId kSpan = 1;
constexpr gateway::LineCallId kCall = 5;
constexpr std::uint8_t kEventType = 101;
constexpr std::uint32_t kSsrc = 0x4733aa01;

// RFC 4733 key presses as a phone sends them (media::telephone_event_schedule): digit i pressed
// for `press` from i × 300 ms, timestamps on the phone's 8 kHz clock, one sequence space.
Phone::Script key_presses(const std::string& digits, std::chrono::milliseconds press,
                          std::size_t slots) {
  Phone::Script script(slots);
  std::uint16_t sequence = 100;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const auto start = std::chrono::milliseconds(300 * i + 100);
    for (const auto& s : media::telephone_event_schedule(digits[i], press)) {
      const auto payload = media::build_telephone_event(s.event);
      media::RtpPacket p;
      p.marker = s.marker;
      p.payload_type = kEventType;
      p.sequence_number = sequence++;
      p.timestamp = 16000 + static_cast<std::uint32_t>(i * 2400);
      p.ssrc = kSsrc;
      p.payload = payload;
      const auto slot = static_cast<std::size_t>((start + s.at) / 20ms);
      script.at(slot).push_back(media::build_rtp(p).value());
    }
  }
  return script;
}

gateway::MediaBridge bridge_to(const Phone& phone, std::uint16_t port,
                               std::optional<std::uint8_t> telephone_event) {
  return gateway::MediaBridge{.call = kCall,
                              .rtp_port = port,
                              .remote_ip = "127.0.0.1",
                              .remote_port = phone.port(),
                              .payload_type = media::kPayloadTypePcma,
                              .telephone_event = telephone_event};
}

// The digits in the voice packets (PCMA) the phone received, by the same detector.
std::string inband_digits(const std::vector<Received>& received) {
  media::DtmfDetector detector;
  std::string digits;
  for (const auto& r : received) {
    if (r.payload_type != media::kPayloadTypePcma) continue;
    std::vector<std::int16_t> samples(r.payload.size());
    media::g711_decode(media::G711Law::ALaw, r.payload, samples);
    detector.process(samples);
    while (const auto e = detector.next_event()) {
      if (e->kind == media::DtmfToneEvent::Kind::Began) digits += e->digit;
    }
  }
  return digits;
}

std::size_t end_packets(const std::vector<Received>& received) {
  return static_cast<std::size_t>(
      std::count_if(received.begin(), received.end(), [](const Received& r) {
        return r.payload_type == kEventType && r.payload.size() >= 4 && (r.payload[1] & 0x80) != 0;
      }));
}

TEST(MediaBridgesDtmf, Rfc4733DigitsArePlayedToTheLineAndItsTonesComeBackAsRfc4733InOrder) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port, kEventType));
  ASSERT_EQ(bridges.bridge(kSpan, kCall)->telephone_event, std::optional<std::uint8_t>(kEventType));
  phone.play(key_presses("15#", 100ms, 60), port);
  ASSERT_TRUE(run_until(
      io, [&] { return phone.done_playing() && end_packets(phone.received) >= 9; }, 5s))
      << end_packets(phone.received) << " end packets";

  // One RTP stream: one SSRC, one sequence space (+1 per packet, events and voice alike), voice
  // timestamps + 160 per packet.
  const auto& rx = phone.received;
  std::optional<std::uint32_t> last_voice_ts;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rx[i].ssrc, rx.front().ssrc);
    if (i > 0) {
      EXPECT_EQ(static_cast<std::uint16_t>(rx[i].sequence - rx[i - 1].sequence), 1);
    }
    if (rx[i].payload_type != media::kPayloadTypePcma) continue;
    if (last_voice_ts) {
      EXPECT_EQ(rx[i].timestamp - *last_voice_ts, media::kFrameSamples);
    }
    last_voice_ts = rx[i].timestamp;
  }
  // The events: per press, a start with the marker, durations that only grow, three ends last;
  // the presses in order with growing timestamps.
  std::string digits;
  std::vector<std::vector<media::TelephoneEvent>> presses;
  std::vector<std::uint32_t> timestamps;
  for (const auto& r : rx) {
    if (r.payload_type != kEventType) continue;
    const auto e = media::parse_telephone_event(r.payload);
    ASSERT_TRUE(e.has_value());
    if (timestamps.empty() || r.timestamp != timestamps.back()) {
      ASSERT_TRUE(r.marker) << "a press starts with the marker";
      if (!timestamps.empty()) {
        EXPECT_TRUE(media::is_newer_timestamp(r.timestamp, timestamps.back()));
      }
      timestamps.push_back(r.timestamp);
      presses.emplace_back();
      digits += media::dtmf_digit(e->event).value_or('?');
    } else {
      EXPECT_FALSE(r.marker);
    }
    presses.back().push_back(*e);
  }
  EXPECT_EQ(digits, "15#");
  for (const auto& press : presses) {
    ASSERT_GE(press.size(), 4u);
    for (std::size_t i = 0; i < press.size(); ++i) {
      EXPECT_EQ(press[i].event, press.front().event);
      EXPECT_EQ(press[i].end, i + 3 >= press.size()) << "three end packets, last";
      if (i > 0) {
        EXPECT_GE(press[i].duration, press[i - 1].duration);
      }
    }
    // Played for the 100 ms pressed; detected within a window or two of that.
    EXPECT_GE(press.back().duration, 640);
    EXPECT_LE(press.back().duration, 1200);
  }
  EXPECT_EQ(inband_digits(rx), "") << "the tones were kept out of the voice";
  const auto info = bridges.bridge(kSpan, kCall).value();
  EXPECT_EQ(info.counters.dtmf_rx, 3u);
  EXPECT_EQ(info.counters.dtmf_tx, 3u);
  EXPECT_EQ(info.counters.dtmf_dropped, 0u);
  EXPECT_EQ(info.counters.late + info.counters.duplicate, 0u)
      << "no event packet reached the jitter buffer";
  EXPECT_EQ(bridges.totals().counters.dtmf_tx, 3u);
}

// PCMA voice of `slots` 20 ms frames with the in-band digit `digit` in frames [from, to).
Phone::Script voice_with_tone(char digit, std::size_t from, std::size_t to, std::size_t slots) {
  Phone::Script script(slots);
  media::DtmfGenerator generator;
  generator.start(digit);
  for (std::size_t i = 0; i < slots; ++i) {
    std::array<std::int16_t, media::kFrameSamples> samples{};
    if (i >= from && i < to) generator.fill(samples);
    std::array<std::uint8_t, media::kFrameSamples> payload{};
    media::g711_encode(media::G711Law::ALaw, samples, payload);
    media::RtpPacket p;
    p.marker = i == 0;
    p.payload_type = media::kPayloadTypePcma;
    p.sequence_number = static_cast<std::uint16_t>(500 + i);
    p.timestamp = static_cast<std::uint32_t>(i * media::kFrameSamples);
    p.ssrc = kSsrc;
    p.payload = payload;
    script[i].push_back(media::build_rtp(p).value());
  }
  return script;
}

TEST(MediaBridgesDtmf, WithoutTelephoneEventDigitsAreNeitherDecodedNorGeneratedAndTonesPassInBand) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port, std::nullopt));
  // In-band '7' in the voice, and RFC 4733 presses the call never agreed to, in the same slots.
  auto script = voice_with_tone('7', 10, 15, 60);
  const auto presses = key_presses("15#", 100ms, 60);
  std::size_t event_packets = 0;
  for (std::size_t i = 0; i < script.size(); ++i) {
    script[i].insert(script[i].end(), presses[i].begin(), presses[i].end());
    event_packets += presses[i].size();
  }
  phone.play(script, port);
  ASSERT_TRUE(run_until(
      io, [&] { return phone.done_playing() && phone.received.size() >= 65; }, 5s));
  EXPECT_TRUE(std::none_of(phone.received.begin(), phone.received.end(), [](const Received& r) {
    return r.payload_type == kEventType;
  })) << "no RFC 4733 without telephone-event";
  EXPECT_EQ(inband_digits(phone.received), "7")
      << "the tone went to the line and back in the audio";
  const auto info = bridges.bridge(kSpan, kCall).value();
  EXPECT_EQ(info.telephone_event, std::nullopt);
  EXPECT_EQ(info.counters.dtmf_rx, 0u);
  EXPECT_EQ(info.counters.dtmf_tx, 0u);
  EXPECT_EQ(info.counters.ignored, event_packets) << "the jitter buffer ignored the events";
}

}  // namespace
}  // namespace resproxy::native
