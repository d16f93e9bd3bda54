// RFC 4733: payload format, one digit per key press from redundant and lossy packet streams,
// and the sender's schedule.
#include "proxy/media/telephone_event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/media/media_support.h"

namespace resproxy::media {
namespace {

using test::at_ms;
using test::EventSender;

TEST(TelephoneEvent, ParsesAndBuildsThePayload) {
  const std::array<std::uint8_t, 4> bytes = {0x0b, 0x8a, 0x03, 0x20};  // '#', E, -10 dBm0, 800
  const auto e = parse_telephone_event(bytes);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, (TelephoneEvent{.event = 11, .end = true, .volume = 10, .duration = 800}));
  EXPECT_EQ(build_telephone_event(*e), bytes);
  const std::array<std::uint8_t, 4> reserved = {0x01, 0x4a, 0x00, 0xa0};  // R bit set: ignored
  EXPECT_EQ(parse_telephone_event(reserved)->volume, 10);
  EXPECT_FALSE(parse_telephone_event(reserved)->end);
  const std::array<std::uint8_t, 3> short_payload = {1, 2, 3};
  EXPECT_EQ(parse_telephone_event(short_payload).error(), TelephoneEventError::TooShort);
}

TEST(TelephoneEvent, MapsDigitsToEvents) {
  const std::string digits = "0123456789*#ABCD";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    EXPECT_EQ(dtmf_digit(static_cast<std::uint8_t>(i)), digits[i]);
    EXPECT_EQ(dtmf_event(digits[i]), i);
  }
  EXPECT_EQ(dtmf_event('a'), 12);
  EXPECT_FALSE(dtmf_digit(16).has_value());
  EXPECT_FALSE(dtmf_event('E').has_value());
}

TEST(TelephoneEvent, TheSenderStartsWithTheMarkerUpdatesEvery50MsAndEndsThreeTimes) {
  const auto s = telephone_event_schedule('5', 200ms);
  ASSERT_EQ(s.size(), 6u);  // 50, 100, 150 ms, then three ends at 200 ms
  EXPECT_TRUE(s[0].marker);
  EXPECT_EQ(s[0].at, 50ms);
  EXPECT_EQ(s[0].event.duration, 400);
  EXPECT_EQ(s[2].event.duration, 1200);
  for (std::size_t i = 1; i < s.size(); ++i) EXPECT_FALSE(s[i].marker);
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_TRUE(s[i].event.end);
    EXPECT_EQ(s[i].event.duration, 1600);
    EXPECT_EQ(s[i].event.event, 5);
  }
  EXPECT_EQ(s[5].at, 240ms);
  EXPECT_TRUE(telephone_event_schedule('x', 100ms).empty());
}

std::string digits_of(TelephoneEventReceiver& rx) {
  std::string s;
  while (auto d = rx.next_digit()) s += d->digit;
  return s;
}

TEST(TelephoneEvent, OneDigitPerPressDespiteRedundantEndPackets) {
  TelephoneEventReceiver rx;
  EventSender tx;
  std::uint32_t ts = 1000;
  double t = 0;
  for (char c : std::string("1234#")) {
    for (const auto& p : tx.press(c, 120ms, t, ts)) rx.on_packet(at_ms(p.at_ms), p.packet);
    t += 300;
    ts += 2400;
  }
  EXPECT_EQ(rx.next_digit()->duration, 120ms);
  EXPECT_EQ(digits_of(rx), "234#");
  EXPECT_EQ(rx.stats().digits, 5u);
  EXPECT_EQ(rx.stats().timed_out, 0u);
}

TEST(TelephoneEvent, TheSameDigitTwiceIsTwoPresses) {
  TelephoneEventReceiver rx;
  EventSender tx;
  for (const auto& p : tx.press('7', 100ms, 0, 0)) rx.on_packet(at_ms(p.at_ms), p.packet);
  for (const auto& p : tx.press('7', 100ms, 200, 1600)) rx.on_packet(at_ms(p.at_ms), p.packet);
  EXPECT_EQ(digits_of(rx), "77");
}

TEST(TelephoneEvent, OneDigitPerPressDespiteLostPackets) {
  TelephoneEventReceiver rx;
  EventSender tx;
  // Press 1 loses its start (marker) packet; press 2 loses every end packet; press 3 loses all
  // but its last end packet; press 4 loses its updates and all its ends and nothing follows it.
  auto a = tx.press('1', 150ms, 0, 0);
  auto b = tx.press('2', 150ms, 400, 3200);
  auto c = tx.press('3', 150ms, 800, 6400);
  auto d = tx.press('4', 150ms, 1200, 9600);
  a.erase(a.begin());
  b.resize(b.size() - 3);
  c.erase(c.begin(), c.end() - 1);
  d.resize(1);
  for (auto* press : {&a, &b, &c}) {
    for (const auto& p : *press) rx.on_packet(at_ms(p.at_ms), p.packet);
  }
  for (const auto& p : d) rx.on_packet(at_ms(p.at_ms), p.packet);
  EXPECT_EQ(digits_of(rx), "123");  // press 2 ended when press 3 began
  ASSERT_TRUE(rx.next_deadline().has_value());
  rx.on_deadline(*rx.next_deadline());
  const auto four = rx.next_digit();
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->digit, '4');
  EXPECT_FALSE(four->end_seen);
  EXPECT_EQ(rx.stats().timed_out, 2u);
  EXPECT_FALSE(rx.next_deadline().has_value());
  // The late, redundant end packets of press 4 arriving now change nothing.
  for (const auto& p : tx.press('4', 150ms, 1200, 9600)) rx.on_packet(at_ms(2000), p.packet);
  EXPECT_FALSE(rx.next_digit().has_value());
}

TEST(TelephoneEvent, ReorderedEndAndUpdatePacketsStillGiveOneDigit) {
  TelephoneEventReceiver rx;
  EventSender tx;
  auto a = tx.press('9', 200ms, 0, 500);
  std::reverse(a.begin(), a.end());
  for (const auto& p : a) rx.on_packet(at_ms(10), p.packet);
  EXPECT_EQ(digits_of(rx), "9");
}

TEST(TelephoneEvent, ALongPressInSegmentsIsOneDigit) {
  TelephoneEventReceiver rx;
  std::deque<std::array<std::uint8_t, 4>> payloads;
  auto packet = [&](std::uint32_t ts, std::uint16_t duration, bool end, bool marker) {
    payloads.push_back(build_telephone_event({.event = 0, .end = end, .volume = 10, .duration = duration}));
    RtpPacket p;
    p.payload_type = 101;
    p.marker = marker;
    p.timestamp = ts;
    p.ssrc = 1;
    p.payload = payloads.back();
    return p;
  };
  rx.on_packet(at_ms(0), packet(0, 40000, false, true));
  rx.on_packet(at_ms(5000), packet(0, 0xffff, false, false));
  rx.on_packet(at_ms(8200), packet(0xffff, 800, false, false));
  rx.on_packet(at_ms(8300), packet(0xffff, 1600, true, false));
  const auto d = rx.next_digit();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->duration, Duration{(0xffffLL + 1600) * 125'000});
  EXPECT_FALSE(rx.next_digit().has_value());
}

TEST(TelephoneEvent, IgnoresOtherPayloadTypesAndNonDtmfEvents) {
  TelephoneEventReceiver rx;
  const std::array<std::uint8_t, 4> flash = {16, 0x8a, 0, 160};
  RtpPacket p;
  p.payload_type = 101;
  p.payload = flash;
  rx.on_packet(at_ms(0), p);
  p.payload_type = 8;
  rx.on_packet(at_ms(0), p);
  EXPECT_EQ(rx.stats().ignored, 2u);
  EXPECT_FALSE(rx.next_digit().has_value());
}

}  // namespace
}  // namespace resproxy::media
