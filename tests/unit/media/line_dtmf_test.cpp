// DTMF interworking of one call on the 20 ms line clock: RFC 4733 events become tones the line
// hears, tones the line says become RFC 4733 events and leave the voice stream.
#include "proxy/media/line_dtmf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <string>
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
    for (std::size_t i = 0; i < o.event_count; ++i) out.events.push_back(o.events[i]);
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

}  // namespace
}  // namespace resproxy::media
