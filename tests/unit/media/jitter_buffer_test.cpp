// The jitter buffer on a hand clock: ordering, duplicates, late packets, loss, talkspurts,
// resets, payload sizes and clock slip both ways.
#include "proxy/media/jitter_buffer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/media/media_support.h"

namespace resproxy::media {
namespace {

using test::at_ms;
using test::ToneSender;

std::string kinds(const std::vector<Frame>& frames) {
  std::string s;
  for (const auto& f : frames) s += f.kind == FrameKind::Played ? 'P' : f.kind == FrameKind::Concealed ? 'C' : '.';
  return s;
}

// Packet k of 20 ms is sent at 20k ms and arrives `delay(k)` later; the line pulls at 20j + 7 ms.
// `send(k)` decides whether packet k exists (false: lost). Returns the kinds of `pulls` frames.
template <typename Delay, typename Send>
std::string run(JitterBuffer& jb, ToneSender& tx, int pulls, Delay delay, Send send) {
  std::multimap<double, RtpPacket> arrivals;
  for (int k = 0; k < pulls; ++k) {
    RtpPacket p = tx.next();
    if (send(k)) arrivals.emplace(20.0 * k + delay(k), p);
  }
  std::vector<Frame> frames;
  auto next = arrivals.begin();
  for (int j = 0; j < pulls; ++j) {
    const double t = 20.0 * j + 7;
    for (; next != arrivals.end() && next->first <= t; ++next) (void)jb.push(at_ms(next->first), next->second);
    frames.push_back(jb.pull(at_ms(t)));
  }
  return kinds(frames);
}
auto fixed(double ms) { return [ms](int) { return ms; }; }
auto all() { return [](int) { return true; }; }

TEST(JitterBuffer, PlaysSilenceUntilTheFirstPacket) {
  JitterBuffer jb;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(jb.pull(at_ms(20 * i)).kind, FrameKind::Silence);
  EXPECT_EQ(jb.stats().silent, 5u);
}

TEST(JitterBuffer, PlaysAnInOrderStreamAfterTheTargetDelay) {
  JitterBuffer jb;  // target 40 ms
  ToneSender tx;
  const auto k = run(jb, tx, 50, fixed(5), all());
  // Pull 0 comes 2 ms after packet 0: two frames of lead-in, then every frame.
  EXPECT_EQ(k, ".." + std::string(48, 'P'));
  EXPECT_EQ(jb.stats().received, 50u);
  EXPECT_EQ(jb.stats().played, 48u);
  EXPECT_EQ(jb.stats().lost, 0u);
  EXPECT_EQ(jb.stats().target_delay, 40ms);
  EXPECT_EQ(jb.stats().current_delay, 40ms);
  EXPECT_EQ(jb.size(), 2 * kFrameSamples);
}

TEST(JitterBuffer, ReordersPacketsInsideTheWindow) {
  JitterBuffer jb;
  ToneSender tx;
  // Every odd packet overtakes its predecessor by 2 ms (packet 1 even starts the stream).
  const auto k = run(jb, tx, 50, [](int i) { return i % 2 ? 2.0 : 24.0; }, all());
  EXPECT_EQ(k, ".." + std::string(48, 'P'));
  EXPECT_EQ(jb.stats().received, 50u);
  EXPECT_EQ(jb.stats().lost, 0u);
  EXPECT_EQ(jb.stats().late, 0u);
}

TEST(JitterBuffer, DropsAndCountsDuplicates) {
  JitterBuffer jb;
  ToneSender tx;
  const RtpPacket a = tx.next();
  const RtpPacket b = tx.next();
  EXPECT_EQ(jb.push(at_ms(0), a), JitterBuffer::PushResult::Accepted);
  EXPECT_EQ(jb.push(at_ms(20), b), JitterBuffer::PushResult::Accepted);
  EXPECT_EQ(jb.push(at_ms(21), a), JitterBuffer::PushResult::Duplicate);
  EXPECT_EQ(jb.push(at_ms(22), b), JitterBuffer::PushResult::Duplicate);
  EXPECT_EQ(jb.stats().duplicate, 2u);
  EXPECT_EQ(jb.stats().received, 2u);
  EXPECT_EQ(jb.size(), 2 * kFrameSamples);
}

TEST(JitterBuffer, ConcealsALatePacketsFrameAndDropsThePacket) {
  JitterBuffer jb;
  ToneSender tx;
  // Packet 10 is 60 ms late: its frame plays before it arrives.
  const auto k = run(jb, tx, 30, [](int i) { return i == 10 ? 65.0 : 5.0; }, all());
  EXPECT_EQ(k, ".." + std::string(10, 'P') + "C" + std::string(17, 'P'));
  EXPECT_EQ(jb.stats().late, 1u);
  EXPECT_EQ(jb.stats().lost, 1u);
}

TEST(JitterBuffer, ConcealsLostPacketsThenFallsSilent) {
  JitterBuffer jb;
  ToneSender tx;
  const auto k = run(jb, tx, 40, fixed(5), [](int i) { return i != 10 && (i < 20 || i >= 30); });
  // One lost packet: one concealed frame. Ten lost: 60 ms concealed, then silence.
  EXPECT_EQ(k, ".." + std::string(10, 'P') + "C" + std::string(9, 'P') + "CCC......." + std::string(8, 'P'));
  EXPECT_EQ(jb.stats().lost, 4u);
}

TEST(JitterBuffer, HandlesOtherPacketSizes) {
  for (std::size_t samples : {80u, 240u, 100u}) {
    SCOPED_TRACE(samples);
    JitterBuffer jb;
    ToneSender tx;
    const double period = samples / 8.0;
    std::vector<Frame> frames;
    double next_send = 0;
    for (int j = 0; j < 100; ++j) {
      const double t = 20.0 * j + 7;
      for (; next_send + 5 <= t; next_send += period) (void)jb.push(at_ms(next_send + 5), tx.next(samples));
      frames.push_back(jb.pull(at_ms(t)));
    }
    const auto k = kinds(frames);
    EXPECT_EQ(k.find('C'), std::string::npos) << k;
    EXPECT_GE(jb.stats().played, 97u) << k;
  }
}

TEST(JitterBuffer, PlaysThroughTheSequenceAndTimestampWrap) {
  JitterBuffer jb;
  ToneSender tx;
  tx.sequence = 65530;
  tx.timestamp = 0xffffffff - 800;
  const auto k = run(jb, tx, 30, fixed(5), all());
  EXPECT_EQ(k, ".." + std::string(28, 'P'));
}

TEST(JitterBuffer, IgnoresOtherPayloadTypesAndEmptyPayloads) {
  JitterBuffer jb;
  ToneSender tx;
  RtpPacket p = tx.next();
  p.payload_type = 101;
  EXPECT_EQ(jb.push(at_ms(0), p), JitterBuffer::PushResult::Ignored);
  p.payload_type = kPayloadTypePcma;
  p.payload = {};
  EXPECT_EQ(jb.push(at_ms(0), p), JitterBuffer::PushResult::Ignored);
  EXPECT_EQ(jb.stats().ignored, 2u);
}

TEST(JitterBuffer, ResetsOnANewSsrcOnceItsSecondPacketConfirmsIt) {
  JitterBuffer jb;
  ToneSender a;
  ToneSender b;
  b.ssrc = 0xb0b;
  b.sequence = 7;
  b.timestamp = 123456789;
  for (int i = 0; i < 10; ++i) {
    (void)jb.push(at_ms(20 * i), a.next());
    (void)jb.pull(at_ms(20 * i + 7));
  }
  EXPECT_EQ(jb.push(at_ms(200), b.next()), JitterBuffer::PushResult::Held);
  EXPECT_EQ(jb.stats().resets, 0u);
  (void)jb.pull(at_ms(207));
  EXPECT_EQ(jb.push(at_ms(220), b.next()), JitterBuffer::PushResult::Accepted);
  EXPECT_EQ(jb.stats().resets, 1u);
  // The old source is now the stranger.
  EXPECT_EQ(jb.push(at_ms(221), a.next()), JitterBuffer::PushResult::Held);
  int played = 0;
  for (int i = 12; i < 30; ++i) {
    (void)jb.push(at_ms(20 * i), b.next());
    played += jb.pull(at_ms(20 * i + 7)).kind == FrameKind::Played;
  }
  EXPECT_GE(played, 16);
}

TEST(JitterBuffer, ResetsOnASequenceJumpOrTimestampJumpOnlyWhenConfirmed) {
  JitterBuffer jb;
  ToneSender tx;
  for (int i = 0; i < 10; ++i) (void)jb.push(at_ms(20 * i), tx.next());
  // One stray packet far ahead in sequence: held, the stream goes on.
  ToneSender stray = tx;
  stray.sequence = static_cast<std::uint16_t>(tx.sequence + 20000);
  EXPECT_EQ(jb.push(at_ms(200), stray.next()), JitterBuffer::PushResult::Held);
  EXPECT_EQ(jb.push(at_ms(200), tx.next()), JitterBuffer::PushResult::Accepted);
  // A timestamp jump while audio is buffered: held, then believed when the next packet follows.
  tx.timestamp += 8000 * 60;
  EXPECT_EQ(jb.push(at_ms(220), tx.next()), JitterBuffer::PushResult::Held);
  EXPECT_EQ(jb.push(at_ms(240), tx.next()), JitterBuffer::PushResult::Accepted);
  EXPECT_EQ(jb.stats().resets, 1u);
  EXPECT_EQ(jb.stats().held, 2u);
}

TEST(JitterBuffer, AdaptsTheDelayToJitterAtTheNextTalkspurt) {
  JitterBuffer jb;
  ToneSender tx;
  // A talkspurt with up to 90 ms of jitter: a pseudo-random delay per packet.
  std::uint32_t x = 12345;
  auto jitter = [&x](int) {
    x = x * 1103515245 + 12345;
    return 5.0 + (x >> 16) % 90;
  };
  (void)run(jb, tx, 250, jitter, all());
  EXPECT_EQ(jb.stats().target_delay, 40ms);  // unchanged inside the talkspurt (never quiet)
  EXPECT_GT(jb.stats().jitter, 15ms);
  // A pause of two seconds (DTX), then a talkspurt with the marker bit.
  for (int j = 250; j < 350; ++j) (void)jb.pull(at_ms(20.0 * j + 7));
  tx.skip(100 * 160, false);
  (void)jb.push(at_ms(7000), tx.next(160, /*marker=*/true));
  const Duration target = jb.stats().target_delay;
  EXPECT_GT(target, 40ms);
  EXPECT_LE(target, 200ms);
  EXPECT_EQ(target.count() % 20'000'000, 0);  // whole frames
}

TEST(JitterBuffer, GrowsTheDelayInAQuietStretchOfAStreamThatNeverPauses) {
  JitterBuffer jb;
  ToneSender tx;
  std::uint32_t x = 777;
  std::vector<Frame> frames;
  for (int k = 0; k < 500; ++k) {
    x = x * 1103515245 + 12345;
    const double arrival = 20.0 * k + 5 + (x >> 16) % 70;
    (void)jb.push(at_ms(arrival), tx.next(160, false, /*quiet=*/(k / 100) % 2 == 1));
    frames.push_back(jb.pull(at_ms(20.0 * k + 7 + 100)));  // the pull lags: no late packets
  }
  EXPECT_GT(jb.stats().delay_grown, 0u);
  EXPECT_GT(jb.stats().target_delay, 40ms);
}

// Sender clock off by `ppm`; the line pulls every 20 ms of true time. Packets have a little
// jitter. Returns the buffer after `seconds`, checking the fill never leaves its bounds.
JitterBuffer drift(double ppm, int seconds, bool talk_and_pause) {
  JitterBuffer jb;
  ToneSender tx;
  const double interval = 20.0 / (1.0 + ppm * 1e-6);  // a fast sender sends more often
  int k = 0;
  std::uint32_t x = 99;
  const int pulls = seconds * 50;
  for (int j = 0; j < pulls; ++j) {
    const double t = 20.0 * j + 7;
    while (true) {
      x = x * 1103515245 + 12345;
      const double arrival = interval * k + 5 + (x >> 16) % 8;
      if (arrival > t) break;
      const bool quiet = talk_and_pause && (k / 50) % 3 == 2;  // 1 s talk, 1 s talk, 1 s quiet
      (void)jb.push(at_ms(arrival), tx.next(160, false, quiet));
      ++k;
    }
    (void)jb.pull(at_ms(t));
    if (j > 100) {
      EXPECT_LE(jb.stats().current_delay, 40ms + 2 * 15ms + 5ms) << j;
      EXPECT_GE(jb.stats().current_delay, 40ms - 2 * 15ms - 5ms) << j;
    }
    EXPECT_LE(jb.size(), jb.capacity());
  }
  return jb;
}

TEST(JitterBuffer, DropsFramesWhenTheSenderClockIsFast) {
  // +500 ppm for 10 minutes: 300 ms too much audio, 15 frames.
  const auto jb = drift(+500, 600, true);
  EXPECT_GE(jb.stats().slips_dropped, 13u);
  EXPECT_LE(jb.stats().slips_dropped, 16u);
  EXPECT_EQ(jb.stats().slips_inserted, 0u);
  EXPECT_EQ(jb.stats().lost, 0u);
}

TEST(JitterBuffer, InsertsFramesWhenTheSenderClockIsSlow) {
  const auto jb = drift(-500, 600, true);
  EXPECT_GE(jb.stats().slips_inserted, 13u);
  EXPECT_LE(jb.stats().slips_inserted, 16u);
  EXPECT_EQ(jb.stats().slips_dropped, 0u);
  EXPECT_EQ(jb.stats().lost, 0u);
}

TEST(JitterBuffer, SlipsOnContinuousToneToo) {
  // ±5000 ppm for one minute (a bad phone): 300 ms, 15 frames, and never a quiet frame to use.
  const auto fast = drift(+5000, 60, false);
  EXPECT_GE(fast.stats().slips_dropped, 13u);
  EXPECT_LE(fast.stats().slips_dropped, 16u);
  const auto slow = drift(-5000, 60, false);
  EXPECT_GE(slow.stats().slips_inserted, 13u);
  EXPECT_LE(slow.stats().slips_inserted, 16u);
  EXPECT_EQ(slow.stats().lost, 0u);
}

}  // namespace
}  // namespace resproxy::media
