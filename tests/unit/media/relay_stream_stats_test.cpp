// Receiver statistics of a relayed stream (proxy/media/relay/stream_stats.h) against values
// worked out by hand from RFC 3550 Appendix A.1 (probation, wrap, restart), A.3 (expected, lost,
// fraction lost) and A.8 (interarrival jitter).
#include "proxy/media/relay/stream_stats.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "tests/unit/media/media_support.h"

namespace resproxy::media::relay {
namespace {

using namespace std::chrono_literals;
using test::at_ms;
using Verdict = StreamStats::Verdict;

constexpr std::uint32_t kSsrc = 0x1234;
constexpr std::size_t kSize = 172;  // 12 octets of header, 160 of G.711

// A G.711 sender: packet i carries timestamp 160·i and arrives at 1 s + 20 ms·i unless told.
struct Stream {
  StreamStats stats;
  std::uint16_t first_seq = 1000;
  std::uint32_t ssrc = kSsrc;
  Verdict packet(int i, double late_ms = 0) {
    return stats.on_packet(at_ms(1000 + 20.0 * i + late_ms), ssrc,
                           static_cast<std::uint16_t>(first_seq + i),
                           static_cast<std::uint32_t>(160 * i), kSize);
  }
  Verdict seq(std::uint16_t s, int i) {
    return stats.on_packet(at_ms(1000 + 20.0 * i), ssrc, s, static_cast<std::uint32_t>(160 * i),
                           kSize);
  }
};

TEST(RelayStreamStats, ANewSourceCountsOnlyAfterTwoPacketsInSequence) {
  Stream s;
  EXPECT_EQ(s.packet(0), Verdict::Probation);
  EXPECT_TRUE(s.stats.in_probation());
  EXPECT_EQ(s.stats.received(), 0u);
  EXPECT_EQ(s.stats.expected(), 0);
  EXPECT_EQ(s.packet(1), Verdict::Counted);
  EXPECT_FALSE(s.stats.in_probation());
  EXPECT_EQ(s.stats.base_sequence(), 1001u);  // A.1: init_seq() at the end of probation
  for (int i = 2; i < 10; ++i) EXPECT_EQ(s.packet(i), Verdict::Counted);
  EXPECT_EQ(s.stats.received(), 9u);
  EXPECT_EQ(s.stats.expected(), 9);
  EXPECT_EQ(s.stats.lost(), 0);
  EXPECT_EQ(s.stats.extended_highest(), 1009u);
  EXPECT_EQ(s.stats.packets(), 10u);  // the relay forwarded all ten
  EXPECT_EQ(s.stats.bytes(), 10 * kSize);
  EXPECT_EQ(s.stats.jitter(), 0u);
  EXPECT_EQ(s.stats.last_packet(), at_ms(1180));
  EXPECT_EQ(s.stats.ssrc(), kSsrc);
}

TEST(RelayStreamStats, ProbationRestartsOnAPacketOutOfSequence) {
  Stream s;
  EXPECT_EQ(s.seq(1000, 0), Verdict::Probation);
  EXPECT_EQ(s.seq(1005, 1), Verdict::Probation);  // not max + 1: probation = MIN_SEQUENTIAL - 1
  EXPECT_EQ(s.seq(1006, 2), Verdict::Counted);
  EXPECT_EQ(s.stats.base_sequence(), 1006u);
}

TEST(RelayStreamStats, TheExtendedSequenceCountsAWrap) {
  Stream s;
  s.first_seq = 65533;
  EXPECT_EQ(s.packet(0), Verdict::Probation);
  for (int i = 1; i < 5; ++i) EXPECT_EQ(s.packet(i), Verdict::Counted) << i;
  EXPECT_EQ(s.stats.extended_highest(), 65536u + 1u);  // 65533..65535, 0, 1: one cycle
  EXPECT_EQ(s.stats.expected(), 4);                     // 65534 .. 65536 + 1
  EXPECT_EQ(s.stats.lost(), 0);
}

TEST(RelayStreamStats, ProbationAcrossTheWrapIsInSequence) {
  Stream s;
  EXPECT_EQ(s.seq(65535, 0), Verdict::Probation);
  EXPECT_EQ(s.seq(0, 1), Verdict::Counted);
  EXPECT_EQ(s.stats.base_sequence(), 0u);
}

TEST(RelayStreamStats, ALostPacketIsCountedAndItsIntervalFraction) {
  Stream s;
  for (int i : {0, 1, 2, 4, 5}) (void)s.packet(i);  // 1003 never arrives
  EXPECT_EQ(s.stats.expected(), 5);  // 1001 .. 1005
  EXPECT_EQ(s.stats.received(), 4u);
  EXPECT_EQ(s.stats.lost(), 1);
  const IntervalReport first = s.stats.take_interval();
  EXPECT_EQ(first.expected, 5);
  EXPECT_EQ(first.received, 4);
  EXPECT_EQ(first.fraction_lost, 51);  // A.3: (1 << 8) / 5
  for (int i = 6; i < 10; ++i) (void)s.packet(i);
  const IntervalReport second = s.stats.take_interval();
  EXPECT_EQ(second.expected, 4);
  EXPECT_EQ(second.fraction_lost, 0);
  EXPECT_EQ(s.stats.lost(), 1);  // cumulative
}

TEST(RelayStreamStats, ReorderedPacketsAreReceivedNotLostAndDuplicatesMakeLossNegative) {
  Stream s;
  for (int i : {0, 1, 2, 4, 3, 5}) EXPECT_NE(s.packet(i), Verdict::Jump) << i;
  EXPECT_EQ(s.stats.extended_highest(), 1005u);
  EXPECT_EQ(s.stats.received(), 5u);
  EXPECT_EQ(s.stats.lost(), 0);
  (void)s.packet(5);  // a duplicate
  EXPECT_EQ(s.stats.received(), 6u);
  EXPECT_EQ(s.stats.lost(), -1);  // A.3: "lost" may be negative
}

TEST(RelayStreamStats, ABigJumpConfirmedByTheNextPacketIsARestart) {
  Stream s;
  for (int i = 0; i < 6; ++i) (void)s.packet(i);  // 1001..1005 counted
  EXPECT_EQ(s.seq(20000, 6), Verdict::Jump);       // beyond MAX_DROPOUT: not believed yet
  EXPECT_EQ(s.stats.received(), 5u);
  EXPECT_EQ(s.seq(20001, 7), Verdict::Counted);    // in sequence after it: the source restarted
  EXPECT_EQ(s.stats.source_changes(), 1u);
  EXPECT_EQ(s.stats.base_sequence(), 20001u);
  EXPECT_EQ(s.stats.received(), 1u);
  EXPECT_EQ(s.stats.expected(), 1);
}

TEST(RelayStreamStats, AStrayJumpIsNotARestartAndTooFarBehindIsNoPacket) {
  Stream s;
  for (int i = 0; i < 6; ++i) (void)s.packet(i);
  EXPECT_EQ(s.seq(20000, 6), Verdict::Jump);
  EXPECT_EQ(s.seq(1006, 7), Verdict::Counted);
  EXPECT_EQ(s.seq(1006 - 101, 8), Verdict::Jump);  // 101 behind: beyond MAX_MISORDER
  EXPECT_EQ(s.stats.source_changes(), 0u);
  EXPECT_EQ(s.stats.base_sequence(), 1001u);
  EXPECT_EQ(s.stats.received(), 6u);
  EXPECT_EQ(s.stats.packets(), 9u);
}

TEST(RelayStreamStats, ANewSsrcIsANewSourceOnProbation) {
  Stream s;
  for (int i = 0; i < 4; ++i) (void)s.packet(i);
  s.ssrc = 0xbeef;
  s.first_seq = 7;
  EXPECT_EQ(s.packet(4), Verdict::Probation);
  EXPECT_EQ(s.stats.source_changes(), 1u);
  EXPECT_EQ(s.stats.ssrc(), 0xbeefu);
  EXPECT_EQ(s.stats.received(), 0u);
  EXPECT_EQ(s.packet(5), Verdict::Counted);
  EXPECT_EQ(s.stats.base_sequence(), 12u);
  EXPECT_EQ(s.stats.packets(), 6u);
}

// A.8 by hand at 8 kHz: transit = arrival·8000 − timestamp. Packets 1 and 2 on time: D = 0.
// Packet 3 is 10 ms late: D = 80, J = 0 + (80 − 0)/16 = 5. Packet 4 on time again: D = −80,
// J = 5 + (80 − 5)/16 = 9.6875, reported as 9 (the integer form keeps J·16 = 155).
TEST(RelayStreamStats, JitterFollowsTheAppendixByHand) {
  Stream s;
  (void)s.packet(0);
  (void)s.packet(1);
  (void)s.packet(2);
  EXPECT_EQ(s.stats.jitter(), 0u);
  (void)s.packet(3, /*late_ms=*/10);
  EXPECT_EQ(s.stats.jitter(), 5u);
  (void)s.packet(4);
  EXPECT_EQ(s.stats.jitter(), 9u);
  EXPECT_EQ(s.stats.jitter_duration(), 1125us);  // 9 / 8000 s
}

TEST(RelayStreamStats, JitterIsInTheGivenClocksUnits) {
  StreamStats stats(48000);  // Opus: 960 ticks per 20 ms
  for (int i = 0; i < 4; ++i) {
    const double late = i == 3 ? 10 : 0;
    (void)stats.on_packet(at_ms(1000 + 20.0 * i + late), kSsrc, static_cast<std::uint16_t>(i),
                          static_cast<std::uint32_t>(960 * i), kSize);
  }
  EXPECT_EQ(stats.jitter(), 30u);  // D = 480 ticks, / 16
  EXPECT_EQ(stats.jitter_duration(), 625us);
}

TEST(RelayStreamStats, WildTimestampsNeverOverflowTheJitter) {
  StreamStats stats;
  for (int i = 0; i < 10'000; ++i) {
    const std::uint32_t ts = (i % 2 == 0) ? 0u : 0x7fffffffu;
    (void)stats.on_packet(at_ms(20.0 * i), kSsrc, static_cast<std::uint16_t>(i), ts, kSize);
  }
  EXPECT_GT(stats.jitter(), 0x70000000u);  // converged near |D|, not wrapped to something small
  EXPECT_LE(stats.jitter(), 0x80000000u);
}

}  // namespace
}  // namespace resproxy::media::relay
