// DTMF interworking of one call on the 20 ms line clock: RFC 4733 events become tones the line
// hears, tones the line says become RFC 4733 events and leave the voice stream.
#include "proxy/media/line_dtmf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/media/media_support.h"

namespace resproxy::media {
namespace {

using test::at_ms;
// The phone of these tests: its own sequence numbers and SSRC.
using EventPhone = test::EventSender;
using Samples = LineDtmf::LineSamples;

// Runs `frames` ticks of 20 ms: packets due by each tick go in first; returns what the line heard.
std::vector<std::int16_t> hear(LineDtmf& dtmf, std::vector<EventPhone::Timed> packets, int frames) {
  std::vector<std::int16_t> heard;
  std::size_t next = 0;
  for (int f = 0; f < frames; ++f) {
    const double now_ms = 20.0 * f;
    while (next < packets.size() && packets[next].at_ms <= now_ms) {
      dtmf.on_packet(at_ms(packets[next].at_ms), packets[next].packet);
      ++next;
    }
    Samples frame{};
    dtmf.to_line(at_ms(now_ms), frame);
    heard.insert(heard.end(), frame.begin(), frame.end());
  }
  return heard;
}

struct Detected {
  std::string digits;
  std::vector<DtmfToneEvent> events;
};
// Frame by frame, taking the events as they come (the detector keeps only its last 16).
Detected detect(std::vector<std::int16_t> audio) {
  audio.resize(audio.size() + 8 * 200, 0);  // so that the last digit ends
  DtmfDetector d;
  Detected out;
  for (std::size_t at = 0; at < audio.size(); at += kFrameSamples) {
    d.process(std::span<const std::int16_t>(audio).subspan(
        at, std::min(kFrameSamples, audio.size() - at)));
    while (auto e = d.next_event()) {
      if (e->kind == DtmfToneEvent::Kind::Began) out.digits += e->digit;
      out.events.push_back(*e);
    }
  }
  return out;
}

TEST(LineDtmf, EventsArePlayedToTheLineAsTonesOfTheirDuration) {
  LineDtmf dtmf;
  EventPhone phone{.sequence = 7, .ssrc = 0x4733, .payloads = {}};
  std::vector<EventPhone::Timed> packets;
  for (const auto& p : phone.press('1', 120ms, 0, 1000)) packets.push_back(p);
  for (const auto& p : phone.press('#', 200ms, 400, 4200)) packets.push_back(p);
  const auto heard = hear(dtmf, packets, 60);
  const auto got = detect(heard);
  EXPECT_EQ(got.digits, "1#");
  ASSERT_EQ(got.events.size(), 4u);
  // Played as long as they were pressed, give or take the detector's windows.
  EXPECT_NEAR(static_cast<double>(got.events[1].end - got.events[1].start), 960, 80);
  EXPECT_NEAR(static_cast<double>(got.events[3].end - got.events[3].start), 1600, 80);
  EXPECT_EQ(dtmf.stats().digits_received, 2u);
  EXPECT_EQ(dtmf.stats().digits_played, 2u);
}

TEST(LineDtmf, PlayedTonesLastAtLeastFortyAndAtMostFiveHundredMilliseconds) {
  LineDtmf dtmf;
  EventPhone phone{.sequence = 7, .ssrc = 0x4733, .payloads = {}};
  std::vector<EventPhone::Timed> packets;
  for (const auto& p : phone.press('4', 10ms, 0, 0)) packets.push_back(p);
  for (const auto& p : phone.press('6', 3000ms, 200, 8000)) packets.push_back(p);
  const auto got = detect(hear(dtmf, packets, 250));
  EXPECT_EQ(got.digits, "46");
  ASSERT_EQ(got.events.size(), 4u);
  EXPECT_GE(got.events[1].end - got.events[1].start, 200u) << "10 ms pressed, 40 ms played";
  EXPECT_NEAR(static_cast<double>(got.events[3].end - got.events[3].start), 4000, 80)
      << "capped at 500 ms";
}

TEST(LineDtmf, AFloodOfEventsIsBoundedAndCounted) {
  LineDtmf dtmf(LineDtmfConfig{.max_pending = 8});
  EventPhone phone{.sequence = 7, .ssrc = 0x4733, .payloads = {}};
  std::vector<EventPhone::Timed> packets;
  // 1000 presses of 10 ms, each with its own timestamp, all within 2 s.
  for (std::uint32_t i = 0; i < 1000; ++i) {
    for (const auto& p : phone.press("0123456789"[i % 10], 10ms, i * 2.0, 80 * i))
      packets.push_back(p);
  }
  std::stable_sort(packets.begin(), packets.end(),
                   [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; });
  const auto heard = hear(dtmf, packets, 150);  // 3 s of line time
  const auto stats = dtmf.stats();
  EXPECT_EQ(stats.digits_received, 1000u);
  EXPECT_GE(stats.digits_dropped, 900u);
  EXPECT_LE(stats.digits_played, 3000u / 80u + 1)
      << "one digit per 40 ms tone + 40 ms pause at most";
  EXPECT_EQ(detect(heard).digits.size(), stats.digits_played);
}

struct Sent {
  std::vector<OutgoingEvent> events;
  std::vector<std::size_t> event_frames;  // the frame each event left with
  std::vector<Samples> voice;
};

// The line says `audio` frame by frame; the voice stream's timestamps start at `ts0`.
Sent say(LineDtmf& dtmf, const std::vector<std::int16_t>& audio, std::uint32_t ts0) {
  Sent out;
  for (std::size_t at = 0; at + kFrameSamples <= audio.size(); at += kFrameSamples) {
    Samples frame{};
    std::copy_n(audio.begin() + static_cast<std::ptrdiff_t>(at), kFrameSamples, frame.begin());
    const auto ts = ts0 + static_cast<std::uint32_t>(at);
    const auto o = dtmf.from_line(frame, ts);
    for (std::size_t i = 0; i < o.event_count; ++i) {
      out.events.push_back(o.events[i]);
      out.event_frames.push_back(out.voice.size());
    }
    out.voice.push_back(o.voice);
  }
  return out;
}

void append_tone(std::vector<std::int16_t>& audio, char digit, std::size_t ms) {
  DtmfGenerator g;
  g.start(digit);
  const std::size_t at = audio.size();
  audio.resize(at + ms * 8);
  g.fill(std::span<std::int16_t>(audio).subspan(at));
}

TEST(LineDtmf, ADigitTheLineSaysIsSentAsEventsAndSilencedInTheVoice) {
  LineDtmf dtmf;
  std::vector<std::int16_t> audio(8 * 110, 0);
  append_tone(audio, '7', 200);
  audio.resize(audio.size() + 8 * 300, 0);
  // A 400 Hz voice-ish tone around the digit must pass untouched (delayed by 40 ms).
  for (std::size_t n = 0; n < 8 * 60; ++n)
    audio[n] = static_cast<std::int16_t>(3000 * std::sin(2 * M_PI * 400 * n / 8000.0));
  const std::uint32_t ts0 = 0xfffff000;  // the timestamps wrap during the digit
  const auto sent = say(dtmf, audio, ts0);
  ASSERT_GE(sent.events.size(), 5u);
  const auto& e = sent.events;
  EXPECT_TRUE(e.front().marker);
  EXPECT_FALSE(e.front().event.end);
  for (std::size_t i = 0; i < e.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(e[i].event.event, 7);
    EXPECT_EQ(e[i].timestamp, e.front().timestamp) << "one timestamp per press";
    if (i > 0) {
      EXPECT_FALSE(e[i].marker);
      EXPECT_GE(e[i].event.duration, e[i - 1].event.duration);
    }
    EXPECT_EQ(e[i].event.end, i + 3 >= e.size()) << "the last three, and only they, end it";
  }
  // The event starts at the digit's first frame (110 ms in), as the delayed voice carries it.
  const std::uint32_t expected_start = ts0 + 8 * 100 + 2 * 160;
  EXPECT_EQ(e.front().timestamp, expected_start);
  EXPECT_NEAR(e.back().event.duration, 1600 + 80, 120);  // 200 ms, from the frame's start
  // 200 ms on a 20 ms clock: updates every 50 ms on average.
  const auto updates = std::count_if(
      e.begin(), e.end(), [](const OutgoingEvent& x) { return !x.event.end && !x.marker; });
  EXPECT_GE(updates, 3);
  EXPECT_LE(updates, 5);
  // The voice: 40 ms late, the 400 Hz tone intact, no DTMF in it, silence where the digit was.
  std::vector<std::int16_t> voice;
  for (const auto& f : sent.voice) voice.insert(voice.end(), f.begin(), f.end());
  EXPECT_EQ(detect(voice).digits, "");
  for (std::size_t n = 0; n < 8 * 60; ++n) ASSERT_EQ(voice[n + 320], audio[n]) << n;
  for (std::size_t n = 8 * 100 + 320; n < 8 * 310 + 320; ++n) ASSERT_EQ(voice[n], 0) << n;
  EXPECT_EQ(dtmf.stats().digits_sent, 1u);
  EXPECT_EQ(dtmf.stats().event_packets_sent, e.size());
}

TEST(LineDtmf, DigitsOneAfterAnotherAreSentInOrderWithGrowingTimestamps) {
  LineDtmf dtmf;
  std::vector<std::int16_t> audio(8 * 50, 0);
  for (const char c : std::string("159#")) {
    append_tone(audio, c, 60);
    audio.resize(audio.size() + 8 * 60, 0);
  }
  audio.resize(audio.size() + 8 * 200, 0);
  const auto sent = say(dtmf, audio, 1000);
  std::string starts, ends;
  std::uint32_t last_ts = 0;
  for (const auto& e : sent.events) {
    if (e.marker) {
      starts += *dtmf_digit(e.event.event);
      EXPECT_GT(e.timestamp, last_ts);
      last_ts = e.timestamp;
    }
    if (e.event.end) ends += *dtmf_digit(e.event.event);
  }
  EXPECT_EQ(starts, "159#");
  EXPECT_EQ(ends, "111555999###");
}

// What the far end makes of the events sent: its receiver gets them as RTP packets of one
// stream, each when its frame leaves, except those `lost` says.
std::vector<DtmfDigit> far_end(const Sent& sent,
                               const std::function<bool(std::size_t)>& lost = nullptr) {
  TelephoneEventReceiver rx;
  std::vector<std::array<std::uint8_t, kTelephoneEventSize>> payloads;
  payloads.reserve(sent.events.size());
  for (std::size_t i = 0; i < sent.events.size(); ++i) {
    if (lost && lost(i)) continue;
    const OutgoingEvent& e = sent.events[i];
    payloads.push_back(build_telephone_event(e.event));
    RtpPacket p;
    p.payload_type = 101;
    p.marker = e.marker;
    p.sequence_number = static_cast<std::uint16_t>(i);
    p.timestamp = e.timestamp;
    p.ssrc = 0x1ed;
    p.payload = payloads.back();
    rx.on_packet(at_ms(20.0 * static_cast<double>(sent.event_frames[i])), p);
  }
  std::vector<DtmfDigit> digits;
  while (auto d = rx.next_digit()) digits.push_back(*d);
  return digits;
}

double ms_of(Duration d) { return static_cast<double>(d.count()) / 1e6; }

// The RFC 4733 rules a long tone's packets keep (§2.5.1.3, §2.5.1.4), whatever its length: one
// marker, at the start; segments whose timestamps step by exactly kSegmentSamples; no duration
// of zero or past its segment's end; each segment but the last closed by `end_packets` packets
// of its full length without the E bit; the E bit only on the last segment's end packets, at
// the very end.
void expect_segmented(const std::vector<OutgoingEvent>& e, int end_packets = 3) {
  constexpr std::uint32_t kStep = LineDtmf::kSegmentSamples;
  ASSERT_FALSE(e.empty());
  EXPECT_TRUE(e.front().marker);
  std::vector<std::uint32_t> segments = {e.front().timestamp};
  int full_length = 0;  // packets reporting the whole current segment
  for (std::size_t i = 0; i < e.size(); ++i) {
    SCOPED_TRACE(i);
    if (i > 0) {
      EXPECT_FALSE(e[i].marker) << "one marker: segments after the first have none";
    }
    if (e[i].timestamp != segments.back()) {
      EXPECT_EQ(e[i].timestamp - segments.back(), kStep) << "a segment begins where one ended";
      EXPECT_EQ(full_length, end_packets) << "the segment before was closed, three times";
      segments.push_back(e[i].timestamp);
      full_length = 0;
    }
    EXPECT_GT(e[i].event.duration, 0);
    EXPECT_LE(e[i].event.duration, kStep);
    if (e[i].event.duration == kStep) ++full_length;
    EXPECT_EQ(e[i].event.end, i + static_cast<std::size_t>(end_packets) >= e.size())
        << "the last three, and only they, have the E bit";
    if (i > 0 && e[i].timestamp == e[i - 1].timestamp) {
      EXPECT_GE(e[i].event.duration, e[i - 1].event.duration);
    }
  }
}

TEST(LineDtmf, ATwentySecondToneIsSentAsOneDigitInSegmentsOfWholeFrames) {
  EXPECT_EQ(LineDtmf::kSegmentSamples, 409u * kFrameSamples) << "8.18 s, within 0xFFFF";
  LineDtmf dtmf;
  std::vector<std::int16_t> audio(8 * 110, 0);
  append_tone(audio, '5', 20'000);
  audio.resize(audio.size() + 8 * 300, 0);
  const std::uint32_t ts0 = 0xffff0000;  // the timestamps wrap during the second segment
  const auto sent = say(dtmf, audio, ts0);
  const auto& e = sent.events;
  expect_segmented(e);
  // Three segments: 8.18 s, 8.18 s and the rest; the first begins with the digit's first frame.
  const std::uint32_t first = ts0 + 8 * 100 + 2 * 160;
  EXPECT_EQ(e.front().timestamp, first);
  EXPECT_EQ(e.back().timestamp, first + 2 * LineDtmf::kSegmentSamples);
  EXPECT_NEAR(e.back().event.duration, 160'000 + 80 - 2 * LineDtmf::kSegmentSamples, 120);
  EXPECT_EQ(dtmf.stats().digits_sent, 1u);
  EXPECT_EQ(dtmf.stats().event_packets_sent, e.size());
  // The far end hears one press of 20 s that began at the first segment's timestamp.
  const auto digits = far_end(sent);
  ASSERT_EQ(digits.size(), 1u);
  EXPECT_EQ(digits[0].digit, '5');
  EXPECT_EQ(digits[0].timestamp, first);
  EXPECT_TRUE(digits[0].end_seen);
  EXPECT_NEAR(ms_of(digits[0].duration), 20'000, 20);
}

TEST(LineDtmf, ASegmentsLastPacketIsRepeatedSoThatLosingOneKeepsOnePress) {
  LineDtmf dtmf;
  std::vector<std::int16_t> audio(8 * 110, 0);
  append_tone(audio, '#', 20'000);
  audio.resize(audio.size() + 8 * 300, 0);
  const auto sent = say(dtmf, audio, 5000);
  // Every segment's first closing packet (its first of full length) is lost.
  std::vector<std::size_t> closing;
  for (std::size_t i = 0; i < sent.events.size(); ++i) {
    const bool full = sent.events[i].event.duration == LineDtmf::kSegmentSamples;
    if (full && (i == 0 || sent.events[i - 1].event.duration != LineDtmf::kSegmentSamples)) {
      closing.push_back(i);
    }
  }
  ASSERT_EQ(closing.size(), 2u);
  const auto digits = far_end(sent, [&](std::size_t i) {
    return std::find(closing.begin(), closing.end(), i) != closing.end();
  });
  ASSERT_EQ(digits.size(), 1u);
  EXPECT_EQ(digits[0].digit, '#');
  EXPECT_NEAR(ms_of(digits[0].duration), 20'000, 20);
}

TEST(LineDtmf, TonesEndingAroundASegmentsEndAreOneDigitOfTheirLength) {
  // 8,180 ms is one segment. Tones end in the frames around it, where the tone's end (known some
  // 40 ms after it, from the detector) and the sending clock (40 ms behind the line, or not at
  // all without the voice delay) meet the segment's end in either order: the segment may be
  // closed before the voice got there, or the tone found ended only after its segment closed.
  struct Case {
    std::string_view name;
    std::size_t ms;
    std::size_t voice_delay_frames;
  };
  const auto cases = std::to_array<Case>({
      {.name = "well before", .ms = 8'100, .voice_delay_frames = 2},
      {.name = "a frame before", .ms = 8'160, .voice_delay_frames = 2},
      {.name = "just before", .ms = 8'170, .voice_delay_frames = 2},
      {.name = "at the end", .ms = 8'180, .voice_delay_frames = 2},
      {.name = "just after", .ms = 8'190, .voice_delay_frames = 2},
      {.name = "a frame after", .ms = 8'200, .voice_delay_frames = 2},
      {.name = "well after", .ms = 8'260, .voice_delay_frames = 2},
      {.name = "two segments' end", .ms = 16'360, .voice_delay_frames = 2},
      {.name = "no delay, before", .ms = 8'150, .voice_delay_frames = 0},
      {.name = "no delay, ended once closed", .ms = 8'184, .voice_delay_frames = 0},
      {.name = "no delay, ended once closed later", .ms = 8'196, .voice_delay_frames = 0},
      {.name = "no delay, after", .ms = 8'240, .voice_delay_frames = 0},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    LineDtmf dtmf(LineDtmfConfig{.voice_delay_frames = c.voice_delay_frames});
    std::vector<std::int16_t> audio(8 * 110, 0);
    append_tone(audio, '9', c.ms);
    audio.resize(audio.size() + 8 * 300, 0);
    const auto sent = say(dtmf, audio, 0x7fff0000);
    expect_segmented(sent.events);
    const auto digits = far_end(sent);
    ASSERT_EQ(digits.size(), 1u);
    EXPECT_EQ(digits[0].digit, '9');
    EXPECT_TRUE(digits[0].end_seen);
    // Without the voice delay the event starts where the tone was found, some 40 ms in.
    const double lost_start = c.voice_delay_frames == 0 ? 45 : 0;
    EXPECT_GE(ms_of(digits[0].duration), static_cast<double>(c.ms) - lost_start - 20);
    EXPECT_LE(ms_of(digits[0].duration), static_cast<double>(c.ms) + 20);
  }
}

}  // namespace
}  // namespace resproxy::media
