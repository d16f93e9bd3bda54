// The phone's audio probe (model/audio_probe.h): it says a tone in 20 ms RTP packets, hears its
// peer only, tells voice from silence, and counts loss and jitter as RFC 3550 says.
#include "model/audio_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::model {
namespace {

using namespace std::chrono_literals;

const Address kPeer{"10.0.0.9", 16384};
const TimePoint kStart = from_ns(0) + 10s;

// A packet the peer sends: `sequence`, timestamp 160 per packet, 160 samples of `sample`.
std::vector<std::uint8_t> peer_packet(std::uint16_t sequence, std::uint32_t timestamp, std::uint8_t code,
                                      std::uint8_t payload_type = 0) {
  const std::vector<std::uint8_t> payload(160, code);
  media::RtpPacket p;
  p.payload_type = payload_type;
  p.sequence_number = sequence;
  p.timestamp = timestamp;
  p.ssrc = 0x1234;
  p.payload = payload;
  return media::build_rtp(p).value();
}

TEST(AudioProbe, SaysAToneInTwentyMillisecondPacketsNumberedFromItsOwnStart) {
  AudioProbe probe(kPeer, 0, 0xabcdef, 65535, 1000);
  const auto first = media::parse_rtp(probe.next_packet(kStart));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first.value().marker);
  EXPECT_EQ(first.value().payload_type, 0);
  EXPECT_EQ(first.value().sequence_number, 65535);
  EXPECT_EQ(first.value().timestamp, 1000u);
  EXPECT_EQ(first.value().ssrc, 0xabcdefu);
  ASSERT_EQ(first.value().payload.size(), 160u);
  const auto bytes = probe.next_packet(kStart + 20ms);
  const auto second = media::parse_rtp(bytes);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second.value().marker);
  EXPECT_EQ(second.value().sequence_number, 0);  // wrapped
  EXPECT_EQ(second.value().timestamp, 1160u);
  // A tone, not silence: what a probe hearing it calls voice.
  AudioProbe listener(Address{"10.0.0.1", 40000}, 0, 1, 1, 1);
  listener.on_datagram(kStart, Address{"10.0.0.1", 40000}, bytes);
  EXPECT_EQ(listener.stats().voice, 1u);
  EXPECT_EQ(probe.stats().sent, 2u);
  EXPECT_EQ(probe.stats().first_sent, kStart);
}

TEST(AudioProbe, SilenceIsHeardButIsNoVoiceInEitherLaw) {
  AudioProbe probe(kPeer, 8, 1, 1, 1);
  probe.on_datagram(kStart, kPeer, peer_packet(1, 0, media::ulaw_encode(0), 0));
  probe.on_datagram(kStart + 20ms, kPeer, peer_packet(2, 160, media::alaw_encode(0), 8));
  EXPECT_EQ(probe.stats().received, 2u);
  EXPECT_EQ(probe.stats().voice, 0u);
  EXPECT_FALSE(probe.stats().first_voice);
  probe.on_datagram(kStart + 40ms, kPeer, peer_packet(3, 320, media::alaw_encode(3000), 8));
  EXPECT_EQ(probe.stats().voice, 1u);
  EXPECT_EQ(probe.stats().first_voice, kStart + 40ms);
}

TEST(AudioProbe, HearsOnlyItsPeerAndCountsWhatIsNotRtp) {
  AudioProbe probe(kPeer, 0, 1, 1, 1);
  probe.on_datagram(kStart, Address{"10.0.0.66", 16384}, peer_packet(1, 0, 0x10));
  probe.on_datagram(kStart, Address{"10.0.0.9", 16386}, peer_packet(1, 0, 0x10));
  const std::vector<std::uint8_t> junk{0x00, 0x01, 0x02};
  probe.on_datagram(kStart, kPeer, junk);
  EXPECT_EQ(probe.stats().foreign, 2u);
  EXPECT_EQ(probe.stats().malformed, 1u);
  EXPECT_EQ(probe.stats().received, 0u);
  EXPECT_FALSE(probe.stats().first_received);
}

TEST(AudioProbe, CountsLostPacketsAcrossASequenceWrapAndIgnoresReordering) {
  AudioProbe probe(kPeer, 0, 1, 1, 1);
  // 65533 and 65534 confirm the source (RFC 3550 A.1 probation: counting starts at the second),
  // 65535, (0 lost), 1, 3, 2 (late), (4 lost), 5
  const std::uint16_t order[] = {65533, 65534, 65535, 1, 3, 2, 5};
  TimePoint t = kStart;
  for (const std::uint16_t seq : order) {
    probe.on_datagram(t, kPeer, peer_packet(seq, 160u * static_cast<std::uint16_t>(seq + 2), 0x10));
    t += 20ms;
  }
  EXPECT_EQ(probe.stats().received, 7u);
  EXPECT_EQ(probe.stats().expected, 8u);  // 65534 .. 5
  EXPECT_EQ(probe.stats().lost(), 2u);
}

TEST(AudioProbe, JitterIsZeroForAPerfectClockAndFollowsRfc3550ForALatePacket) {
  AudioProbe steady(kPeer, 0, 1, 1, 1);
  for (std::uint16_t i = 0; i < 50; ++i) {
    steady.on_datagram(kStart + i * 20ms, kPeer, peer_packet(i, 160u * i, 0x10));
  }
  EXPECT_DOUBLE_EQ(steady.stats().jitter_ms, 0.0);
  AudioProbe shaken(kPeer, 0, 1, 1, 1);
  shaken.on_datagram(kStart, kPeer, peer_packet(0, 0, 0x10));
  shaken.on_datagram(kStart + 20ms, kPeer, peer_packet(1, 160, 0x10));  // confirms the source (A.1)
  // 16 ms late: D = 128 units; J = 128 / 16 = 8 units = 1 ms (A.8's integer form).
  shaken.on_datagram(kStart + 56ms, kPeer, peer_packet(2, 320, 0x10));
  EXPECT_DOUBLE_EQ(shaken.stats().jitter_ms, 1.0);
  // Back on time: D = 128 again; 16·J = 128 + 128 - (128 + 8) / 16 = 248, J = 15 units.
  shaken.on_datagram(kStart + 60ms, kPeer, peer_packet(3, 480, 0x10));
  EXPECT_DOUBLE_EQ(shaken.stats().jitter_ms, 15.0 / 8.0);
}

TEST(AudioProbe, OneWayDelayFromTransitsAcrossATimestampWrapAndALostStart) {
  // The speaker's first packet leaves at kStart with timestamp 0xffffff00; 160 per packet, so
  // the timestamps wrap after the second. Its first two packets are lost; the others arrive 38 ms
  // after they left, and every fourth 8 ms later still (mean 40 ms).
  AudioProbe speaker(Address{"10.0.0.1", 40000}, 0, 0xabcdef, 100, 0xffffff00u);
  AudioProbe listener(Address{"10.0.0.1", 40000}, 0, 1, 1, 1);
  for (int i = 0; i < 50; ++i) {
    const TimePoint sent = kStart + i * 20ms;
    const auto bytes = speaker.next_packet(sent);
    if (i < 2) continue;
    const Duration delay = (i % 4 == 0) ? 46ms : 38ms;
    listener.on_datagram(sent + delay, Address{"10.0.0.1", 40000}, bytes);
  }
  // Packets 2..49: 12 of 48 are late (i = 4, 8, …, 48): mean 38 + 8 · 12/48 = 40 ms.
  ASSERT_EQ(listener.stats().heard.size(), 1u);
  const HeardSource& heard = listener.stats().heard.front();
  EXPECT_EQ(heard.ssrc, 0xabcdefu);
  EXPECT_EQ(heard.packets, 48u);
  EXPECT_EQ(heard.first_timestamp, 0xffffff00u + 320u);  // wrapped: 0x00000040
  EXPECT_EQ(listener.stats().main_source(), &heard);
  EXPECT_EQ(speaker.stats().ssrc, 0xabcdefu);
  EXPECT_EQ(speaker.stats().first_timestamp, 0xffffff00u);
  ASSERT_TRUE(speaker.stats().first_sent);
  EXPECT_EQ(one_way_delay(heard, *speaker.stats().first_sent, speaker.stats().first_timestamp), 40ms);
  // The spread: min and max transit differ by the 8 ms.
  EXPECT_EQ(heard.max_transit - heard.min_transit, 8ms);
  // A second source (a re-INVITE's new stream) is kept apart; the one heard most is the main one.
  listener.on_datagram(kStart + 2s, Address{"10.0.0.1", 40000}, peer_packet(7, 1234, 0x10));
  ASSERT_EQ(listener.stats().heard.size(), 2u);
  EXPECT_EQ(listener.stats().heard[1].ssrc, 0x1234u);
  EXPECT_EQ(listener.stats().main_source()->ssrc, 0xabcdefu);
}

TEST(AudioProbe, CountsRunsOfLostPacketsAsBursts) {
  AudioProbe probe(kPeer, 0, 1, 1, 1);
  // 10, 11 (source confirmed), 12, [13 14 lost], 15, 16, [17 lost], 18, [19 20 21 lost], 22
  const std::uint16_t heard[] = {10, 11, 12, 15, 16, 18, 22};
  TimePoint t = kStart;
  for (const std::uint16_t seq : heard) {
    probe.on_datagram(t, kPeer, peer_packet(seq, 160u * seq, 0x10));
    t += 20ms;
  }
  EXPECT_EQ(probe.stats().lost(), 6u);
  EXPECT_EQ(probe.stats().loss_bursts, 3u);
}

}  // namespace
}  // namespace resproxy::model
