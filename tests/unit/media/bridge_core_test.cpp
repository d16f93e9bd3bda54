// BridgeCore on a hand clock: latching, source filtering, bad datagrams, a packet train through
// the jitter buffer to a line that echoes and back (our stream's SSRC, sequence and timestamps),
// re-targeting on update, refusal of non-G.711, and how send results are counted.
#include "proxy/media/bridge_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "proxy/media/dtmf_tone.h"
#include "proxy/media/telephone_event.h"
#include "tests/unit/media/media_support.h"

namespace resproxy::media {
namespace {

using test::at_ms;
using test::ToneSender;

const Address kRemote{"192.0.2.10", 40000};
const Address kStranger{"192.0.2.10", 40002};  // same host, another port: another source
const Address kOther{"198.51.100.7", 50000};
constexpr std::uint64_t kSeed = 4242;

struct Sent {
  Address to;
  RtpPacket packet;
  std::vector<std::uint8_t> payload;
};

// A bridge, its Rng and a line that echoes what it hears; every tick is 20 ms of line time.
struct BridgeFixture {
  SeededRng rng{kSeed};
  std::unique_ptr<BridgeCore> core;
  TimePoint now = at_ms(1000);
  std::vector<Sent> sent;

  explicit BridgeFixture(std::optional<Address> remote, std::uint8_t payload_type = kPayloadTypePcma,
                         std::optional<std::uint8_t> telephone_event = std::nullopt) {
    core = BridgeCore::open({}, BridgeSettings{remote, payload_type, telephone_event}, rng);
  }

  void receive(const Address& from, const RtpPacket& packet) {
    const auto bytes = build_rtp(packet);
    ASSERT_TRUE(bytes.has_value());
    core->on_datagram(now, from, *bytes);
    drain();
  }
  void receive_bytes(const Address& from, const std::vector<std::uint8_t>& bytes) {
    core->on_datagram(now, from, bytes);
    drain();
  }
  // One line tick: the echo of what the line heard goes back out.
  Frame tick() {
    const Frame heard = core->to_line(now);
    core->from_line(heard.samples);
    drain();
    now += std::chrono::milliseconds(20);
    return heard;
  }
  void drain() {
    while (auto d = core->next_datagram()) {
      const auto parsed = parse_rtp(d->data());
      ASSERT_TRUE(parsed.has_value());
      Sent s{d->to, *parsed, {parsed->payload.begin(), parsed->payload.end()}};
      s.packet.payload = {};  // points into `d`, which dies here
      sent.push_back(std::move(s));
      core->on_send_result(true);
    }
  }
};

// The three draws open() makes from a generator seeded like the fixture's.
struct Starts {
  std::uint32_t ssrc;
  std::uint16_t sequence;
  std::uint32_t timestamp;
};
Starts expected_starts() {
  SeededRng twin(kSeed);
  const auto ssrc = static_cast<std::uint32_t>(twin.next_u64());
  const auto sequence = static_cast<std::uint16_t>(twin.next_u64());
  const auto timestamp = static_cast<std::uint32_t>(twin.next_u64());
  return {ssrc, sequence, timestamp};
}

TEST(BridgeCore, AnUnknownRemoteLatchesToTheFirstRtpSourceAndNothingIsSentBefore) {
  BridgeFixture f(std::nullopt);
  ToneSender tx;
  for (int i = 0; i < 3; ++i) (void)f.tick();
  EXPECT_TRUE(f.sent.empty());
  f.receive_bytes(kOther, {0x00, 0x01, 0x02});  // not RTP: no latch to a garbage source
  EXPECT_FALSE(f.core->remote().has_value());
  f.receive(kRemote, tx.next());
  ASSERT_TRUE(f.core->remote().has_value());
  EXPECT_EQ(*f.core->remote(), kRemote);
  f.receive(kOther, tx.next());  // once latched, everyone else is a stranger
  (void)f.tick();
  ASSERT_EQ(f.sent.size(), 1U);
  EXPECT_EQ(f.sent[0].to, kRemote);
  EXPECT_TRUE(f.sent[0].packet.marker);
  const auto c = f.core->counters();
  EXPECT_EQ(c.rx_errors, 1U);
  EXPECT_EQ(c.rtp_rx, 1U);
  EXPECT_EQ(c.foreign, 1U);
  EXPECT_EQ(c.rtp_tx, 1U);
}

TEST(BridgeCore, DatagramsFromAnotherSourceThanTheRemoteAreDroppedAndNeverPlayed) {
  BridgeFixture f(kRemote);
  ToneSender tx;
  for (int i = 0; i < 10; ++i) {
    f.receive(kStranger, tx.next());
    EXPECT_EQ(f.tick().kind, FrameKind::Silence);
  }
  const auto c = f.core->counters();
  EXPECT_EQ(c.foreign, 10U);
  EXPECT_EQ(c.rtp_rx, 0U);
  EXPECT_EQ(*f.core->remote(), kRemote);
  ASSERT_EQ(f.sent.size(), 10U);  // a known remote hears the line from the first tick
  for (const auto& s : f.sent) EXPECT_EQ(s.to, kRemote);
}

TEST(BridgeCore, ADatagramFromTheRemoteThatIsNotRtpIsCountedAndDropped) {
  BridgeFixture f(kRemote);
  ToneSender tx;
  auto version1 = *build_rtp(tx.next());
  version1[0] = static_cast<std::uint8_t>((version1[0] & 0x3F) | 0x40);  // RTP version 1
  f.receive_bytes(kRemote, version1);
  f.receive_bytes(kRemote, {0x80, 0x08});  // shorter than the fixed header
  f.receive_bytes(kRemote, {});
  EXPECT_EQ(f.core->counters().rx_errors, 3U);
  EXPECT_EQ(f.core->counters().rtp_rx, 0U);
  f.receive(kRemote, tx.next());
  EXPECT_EQ(f.core->counters().rtp_rx, 1U);
  EXPECT_EQ(f.core->counters().rx_errors, 3U);
}

TEST(BridgeCore, APacketTrainPlaysToTheLineAndItsEchoLeavesAsOneContinuousStream) {
  BridgeFixture f(kRemote);
  ToneSender tx;
  tx.hz = 437;
  std::vector<std::vector<std::uint8_t>> in_payloads;
  int played = 0;
  constexpr int kTicks = 50;
  for (int i = 0; i < kTicks; ++i) {
    const RtpPacket p = tx.next();
    in_payloads.emplace_back(p.payload.begin(), p.payload.end());
    f.receive(kRemote, p);
    if (f.tick().kind == FrameKind::Played) ++played;
  }
  // The 40 ms initial delay holds back the first frames; everything after plays.
  EXPECT_GE(played, kTicks - 3);
  const Starts starts = expected_starts();
  ASSERT_EQ(f.sent.size(), static_cast<std::size_t>(kTicks));
  for (std::size_t i = 0; i < f.sent.size(); ++i) {
    SCOPED_TRACE(i);
    const RtpPacket& p = f.sent[i].packet;
    EXPECT_EQ(f.sent[i].to, kRemote);
    EXPECT_EQ(p.ssrc, starts.ssrc);
    EXPECT_EQ(p.sequence_number, static_cast<std::uint16_t>(starts.sequence + i));
    EXPECT_EQ(p.timestamp, static_cast<std::uint32_t>(starts.timestamp + 160 * i));
    EXPECT_EQ(p.marker, i == 0);
    EXPECT_EQ(p.payload_type, kPayloadTypePcma);
    EXPECT_EQ(f.sent[i].payload.size(), kFrameSamples);
  }
  // The echo is our audio, whole and in order, some samples late (the playout delay need not be
  // a whole frame): A-law decodes and re-encodes to the same octets, and a 437 Hz tone does not
  // repeat within a frame, so one sample offset must line the streams up from start to end.
  std::vector<std::uint8_t> in_stream, out_stream;
  for (const auto& p : in_payloads) in_stream.insert(in_stream.end(), p.begin(), p.end());
  for (const auto& s : f.sent) out_stream.insert(out_stream.end(), s.payload.begin(), s.payload.end());
  std::optional<std::size_t> offset;
  constexpr std::size_t kCompared = 40 * kFrameSamples;  // the last 40 frames of the echo
  for (std::size_t d = 0; d <= 4 * kFrameSamples && !offset; ++d) {
    const std::size_t start = out_stream.size() - kCompared;
    if (std::equal(out_stream.begin() + static_cast<std::ptrdiff_t>(start), out_stream.end(),
                   in_stream.begin() + static_cast<std::ptrdiff_t>(start - d))) {
      offset = d;
    }
  }
  ASSERT_TRUE(offset.has_value()) << "the echo is not the audio we sent, in order";
  EXPECT_GE(*offset, kFrameSamples) << "nothing can come back before the playout delay";
  const auto c = f.core->counters();
  EXPECT_EQ(c.rtp_rx, static_cast<std::uint64_t>(kTicks));
  EXPECT_EQ(c.rtp_tx, static_cast<std::uint64_t>(kTicks));
  EXPECT_EQ(c.lost + c.late + c.duplicate + c.rx_errors + c.foreign, 0U);
}

TEST(BridgeCore, AnUpdateRetargetsTheStreamWhichGoesOnWithoutARestart) {
  BridgeFixture f(kRemote);
  ToneSender tx;
  for (int i = 0; i < 3; ++i) (void)f.tick();
  ASSERT_TRUE(f.core->on_update(BridgeSettings{kOther, kPayloadTypePcmu, std::nullopt}));
  EXPECT_EQ(f.core->payload_type(), kPayloadTypePcmu);
  for (int i = 0; i < 3; ++i) (void)f.tick();
  // Not known in an update: the current remote stays.
  ASSERT_TRUE(f.core->on_update(BridgeSettings{std::nullopt, kPayloadTypePcmu, std::nullopt}));
  (void)f.tick();
  ASSERT_EQ(f.sent.size(), 7U);
  for (std::size_t i = 0; i < f.sent.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(f.sent[i].to, i < 3 ? kRemote : kOther);
    EXPECT_EQ(f.sent[i].packet.payload_type, i < 3 ? kPayloadTypePcma : kPayloadTypePcmu);
    EXPECT_EQ(f.sent[i].packet.ssrc, f.sent[0].packet.ssrc);
    EXPECT_EQ(f.sent[i].packet.sequence_number,
              static_cast<std::uint16_t>(f.sent[0].packet.sequence_number + i));
    EXPECT_EQ(f.sent[i].packet.timestamp,
              static_cast<std::uint32_t>(f.sent[0].packet.timestamp + 160 * i));
    EXPECT_EQ(f.sent[i].packet.marker, i == 0);
  }
  tx.payload_type = kPayloadTypePcmu;
  tx.law = G711Law::MuLaw;
  f.receive(kRemote, tx.next());  // the old remote is now a stranger
  f.receive(kOther, tx.next());
  EXPECT_EQ(f.core->counters().foreign, 1U);
  EXPECT_EQ(f.core->counters().rtp_rx, 1U);
}

TEST(BridgeCore, NonG711IsRefusedWithoutDrawingAndAnUpdateToItChangesNothing) {
  SeededRng rng(kSeed);
  EXPECT_EQ(BridgeCore::open({}, BridgeSettings{kRemote, 18, std::nullopt}, rng), nullptr);
  SeededRng twin(kSeed);
  EXPECT_EQ(rng.next_u64(), twin.next_u64());  // nothing was drawn

  BridgeFixture f(kRemote);
  EXPECT_FALSE(f.core->on_update(BridgeSettings{kOther, 18, 101}));
  EXPECT_EQ(f.core->payload_type(), kPayloadTypePcma);
  EXPECT_EQ(*f.core->remote(), kRemote);
  EXPECT_FALSE(f.core->telephone_event().has_value());
}

TEST(BridgeCore, TelephoneEventsGoToTheDtmfReceiverNotTheJitterBuffer) {
  BridgeFixture f(kRemote, kPayloadTypePcma, std::uint8_t{101});
  ASSERT_EQ(f.core->telephone_event(), std::optional<std::uint8_t>(101));
  ToneSender tx;
  tx.payload_type = 101;
  const std::array<std::uint8_t, 4> digit5{5, 0x0A, 0x00, 0xA0};  // event 5, volume 10, 160
  RtpPacket p = tx.next();
  p.payload = digit5;
  p.marker = true;
  f.receive(kRemote, p);
  const std::array<std::uint8_t, 4> digit5_end{5, 0x8A, 0x03, 0x20};  // E bit, 800 samples
  RtpPacket end = tx.next();
  end.timestamp = p.timestamp;  // RFC 4733 §2.5.1.3: one event, one timestamp
  end.payload = digit5_end;
  f.receive(kRemote, end);
  const auto c = f.core->counters();
  EXPECT_EQ(c.rtp_rx, 2U);
  EXPECT_EQ(c.ignored, 0U);  // a jitter buffer would have ignored payload type 101
  EXPECT_EQ(c.dtmf_rx, 1U);
}

TEST(BridgeCore, AnAnswerThatRenumberedTelephoneEventIsHeardWithOursAndSentWithItsNumber) {
  // We offered 101, the answer said 96: it sends 101 to us and expects 96 from us (RFC 3264 §5.1).
  SeededRng rng{kSeed};
  auto core = BridgeCore::open({}, BridgeSettings{.remote = kRemote, .payload_type = kPayloadTypePcma,
                                                  .telephone_event = std::uint8_t{96},
                                                  .telephone_event_rx = std::uint8_t{101}},
                               rng);
  ASSERT_NE(core, nullptr);
  ToneSender tx;
  tx.payload_type = 101;
  const std::array<std::uint8_t, 4> digit7_end{7, 0x8A, 0x03, 0x20};
  RtpPacket p = tx.next();
  p.payload = digit7_end;
  p.marker = true;
  const auto bytes = build_rtp(p);
  ASSERT_TRUE(bytes.has_value());
  core->on_datagram(at_ms(1000), kRemote, *bytes);
  EXPECT_EQ(core->counters().dtmf_rx, 1U) << "our number comes in as events";
  EXPECT_EQ(core->counters().ignored, 0U);
  EXPECT_EQ(core->telephone_event(), std::optional<std::uint8_t>(96)) << "theirs goes out";
  // Without the rx number, the same packet is not an event (and a voice payload type it is not).
  SeededRng rng2{kSeed};
  auto strict = BridgeCore::open({}, BridgeSettings{.remote = kRemote, .payload_type = kPayloadTypePcma,
                                                    .telephone_event = std::uint8_t{96},
                                                    .telephone_event_rx = std::nullopt},
                                 rng2);
  strict->on_datagram(at_ms(1000), kRemote, *bytes);
  EXPECT_EQ(strict->counters().dtmf_rx, 0U);
}

TEST(BridgeCore, ADigitTheLineSaysLeavesAsRfc4733EventsInTheVoicesStream) {
  BridgeFixture f(kRemote, kPayloadTypePcma, std::uint8_t{101});
  DtmfGenerator tone;
  // 100 ms of '5', then 300 ms of silence for the events' end and the delayed voice to leave.
  for (int i = 0; i < 20; ++i) {
    LineFrame said{};
    if (i == 0) {
      ASSERT_TRUE(tone.start('5'));
    }
    if (i == 5) tone.stop();
    tone.fill(said);
    (void)f.core->to_line(f.now);
    f.core->from_line(said);
    f.drain();
    f.now += std::chrono::milliseconds(20);
  }
  std::size_t events = 0, voice = 0;
  std::optional<std::uint32_t> event_timestamp;
  for (std::size_t i = 0; i < f.sent.size(); ++i) {
    SCOPED_TRACE(i);
    const RtpPacket& p = f.sent[i].packet;
    EXPECT_EQ(p.ssrc, f.sent[0].packet.ssrc);
    EXPECT_EQ(p.sequence_number,
              static_cast<std::uint16_t>(f.sent[0].packet.sequence_number + i));
    if (p.payload_type == 101) {
      ++events;
      ASSERT_EQ(f.sent[i].payload.size(), kTelephoneEventSize);
      EXPECT_EQ(f.sent[i].payload[0], 5);  // RFC 4733 §3.2: event code 5 is the digit 5
      if (!event_timestamp) {
        event_timestamp = p.timestamp;
        EXPECT_TRUE(p.marker) << "the first packet of an event carries the marker";
      }
      EXPECT_EQ(p.timestamp, *event_timestamp) << "every packet of one event has its timestamp";
    } else {
      ++voice;
      EXPECT_EQ(p.payload_type, kPayloadTypePcma);
    }
  }
  EXPECT_GE(events, 3U);  // a start, updates, then the end three times (§2.5.1.4)
  EXPECT_EQ(voice, 20U);  // one voice packet a tick, events or not
  EXPECT_EQ(f.core->counters().dtmf_tx, 1U);
}

TEST(BridgeCore, AFailedSendIsATxErrorNotAPacketSent) {
  BridgeFixture f(kRemote);
  (void)f.core->to_line(f.now);
  f.core->from_line(LineFrame{});
  ASSERT_TRUE(f.core->next_datagram().has_value());
  f.core->on_send_result(false);
  f.core->on_transport_error();
  EXPECT_EQ(f.core->counters().tx_errors, 2U);
  EXPECT_EQ(f.core->counters().rtp_tx, 0U);
}

TEST(BridgeCore, AnUndrainedQueueIsBoundedAndCountsWhatItDrops) {
  BridgeFixture f(kRemote);
  const std::size_t ticks = BridgeCore::kMaxQueued + 4;
  for (std::size_t i = 0; i < ticks; ++i) {
    (void)f.core->to_line(f.now);
    f.core->from_line(LineFrame{});
  }
  std::size_t queued = 0;
  while (f.core->next_datagram()) ++queued;
  EXPECT_EQ(queued, BridgeCore::kMaxQueued);
  EXPECT_EQ(f.core->counters().tx_errors, 4U);
}

}  // namespace
}  // namespace resproxy::media
