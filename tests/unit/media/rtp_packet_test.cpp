// RFC 3550 §5.1 header parsing and building, and the modular sequence/timestamp arithmetic.
#include "proxy/media/rtp_packet.h"

#include <gtest/gtest.h>

#include <vector>

namespace resproxy::media {
namespace {

std::vector<std::uint8_t> header(std::uint8_t first, std::uint8_t second = 8) {
  return {first, second, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
}

TEST(RtpPacket, ParsesTheFixedHeader) {
  auto d = header(0x80, 0x88);
  d.insert(d.end(), {1, 2, 3});
  const auto p = parse_rtp(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->marker);
  EXPECT_EQ(p->payload_type, 8);
  EXPECT_EQ(p->sequence_number, 0x1234);
  EXPECT_EQ(p->timestamp, 0xdeadbeefu);
  EXPECT_EQ(p->ssrc, 0x01020304u);
  EXPECT_EQ(p->csrc_count, 0);
  EXPECT_FALSE(p->extension.has_value());
  EXPECT_EQ(p->payload.size(), 3u);
  EXPECT_EQ(p->payload[2], 3);
}

TEST(RtpPacket, RefusesMalformedHeaders) {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    RtpError want;
  };
  auto with = [](std::vector<std::uint8_t> d, std::vector<std::uint8_t> tail) {
    d.insert(d.end(), tail.begin(), tail.end());
    return d;
  };
  const std::vector<Case> cases = {
      {"empty", {}, RtpError::TooShort},
      {"eleven octets", {0x80, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0}, RtpError::TooShort},
      {"version 1", header(0x40), RtpError::BadVersion},
      {"version 0", header(0x00), RtpError::BadVersion},
      {"version 3", header(0xc0), RtpError::BadVersion},
      {"two CSRCs, one present", with(header(0x82), {0, 0, 0, 1}), RtpError::CsrcBeyondEnd},
      {"15 CSRCs, none present", header(0x8f), RtpError::CsrcBeyondEnd},
      {"extension header cut", with(header(0x90), {0xbe, 0xde}), RtpError::ExtensionBeyondEnd},
      {"extension words missing", with(header(0x90), {0xbe, 0xde, 0, 2, 1, 2, 3, 4}),
       RtpError::ExtensionBeyondEnd},
      {"padding count 0", with(header(0xa0), {1, 2, 0}), RtpError::BadPadding},
      {"padding beyond payload", with(header(0xa0), {1, 2, 4}), RtpError::BadPadding},
      {"padding bit, no octets", header(0xa0), RtpError::BadPadding},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto p = parse_rtp(c.bytes);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error(), c.want);
    EXPECT_FALSE(to_string(p.error()).empty());
  }
}

TEST(RtpPacket, PaddingAndExtensionAndCsrcsAreRemovedFromThePayload) {
  auto d = header(0xb2);  // P, X, CC = 2
  d.insert(d.end(), {0, 0, 0, 7, 0, 0, 0, 9});                  // CSRCs
  d.insert(d.end(), {0xbe, 0xde, 0, 1, 0x10, 0x20, 0x30, 0x40});  // extension, one word
  d.insert(d.end(), {5, 6, 7});                                   // payload
  d.insert(d.end(), {0, 0, 3});                                   // three octets of padding
  const auto p = parse_rtp(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->csrc_count, 2);
  EXPECT_EQ(p->csrcs[0], 7u);
  EXPECT_EQ(p->csrcs[1], 9u);
  ASSERT_TRUE(p->extension.has_value());
  EXPECT_EQ(p->extension->profile, 0xbede);
  EXPECT_EQ(p->extension->data.size(), 4u);
  EXPECT_EQ(p->payload.size(), 3u);
  EXPECT_EQ(p->payload[0], 5);
  EXPECT_EQ(p->padding_size, 3);
  // Padding that covers the whole payload is allowed: an empty payload.
  auto all_padding = header(0xa0);
  all_padding.insert(all_padding.end(), {0, 0, 3});
  const auto q = parse_rtp(all_padding);
  ASSERT_TRUE(q.has_value());
  EXPECT_TRUE(q->payload.empty());
}

TEST(RtpPacket, BuildThenParseGivesThePacketBack) {
  const std::vector<std::uint8_t> payload = {9, 8, 7, 6, 5};
  const std::vector<std::uint8_t> ext = {1, 2, 3, 4, 5, 6, 7, 8};
  RtpPacket p;
  p.marker = true;
  p.payload_type = 0;
  p.sequence_number = 65535;
  p.timestamp = 0xfffffff0u;
  p.ssrc = 42;
  p.csrc_count = 1;
  p.csrcs[0] = 77;
  p.extension = RtpHeaderExtension{0x1000, ext};
  p.payload = payload;
  p.padding_size = 4;
  const auto bytes = build_rtp(p);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), 12u + 4 + 4 + 8 + 5 + 4);
  const auto q = parse_rtp(*bytes);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->marker, p.marker);
  EXPECT_EQ(q->payload_type, p.payload_type);
  EXPECT_EQ(q->sequence_number, p.sequence_number);
  EXPECT_EQ(q->timestamp, p.timestamp);
  EXPECT_EQ(q->ssrc, p.ssrc);
  EXPECT_EQ(q->csrcs[0], 77u);
  EXPECT_EQ(q->extension->profile, 0x1000);
  EXPECT_TRUE(std::equal(q->extension->data.begin(), q->extension->data.end(), ext.begin(), ext.end()));
  EXPECT_TRUE(std::equal(q->payload.begin(), q->payload.end(), payload.begin(), payload.end()));
  EXPECT_EQ(q->padding_size, 4);
}

TEST(RtpPacket, BuildRefusesInvalidFieldsAndShortBuffers) {
  RtpPacket p;
  p.payload_type = 128;
  EXPECT_EQ(build_rtp(p).error(), RtpError::InvalidField);
  p.payload_type = 8;
  p.csrc_count = 16;
  EXPECT_EQ(build_rtp(p).error(), RtpError::InvalidField);
  p.csrc_count = 0;
  const std::vector<std::uint8_t> ext = {1, 2, 3};
  p.extension = RtpHeaderExtension{0, ext};
  EXPECT_EQ(build_rtp(p).error(), RtpError::InvalidField);
  p.extension.reset();
  std::array<std::uint8_t, 11> small{};
  EXPECT_EQ(write_rtp(p, small).error(), RtpError::BufferTooSmall);
  std::array<std::uint8_t, 12> exact{};
  EXPECT_EQ(write_rtp(p, exact).value(), 12u);
}

TEST(RtpArithmetic, SequenceAndTimestampDistancesWrap) {
  EXPECT_EQ(sequence_distance(65535, 0), 1);
  EXPECT_EQ(sequence_distance(0, 65535), -1);
  EXPECT_EQ(sequence_distance(65000, 100), 636);
  EXPECT_TRUE(is_newer_sequence(0, 65535));
  EXPECT_FALSE(is_newer_sequence(65535, 0));
  EXPECT_EQ(timestamp_distance(0xffffff60u, 0x00000000u), 160);
  EXPECT_EQ(timestamp_distance(0x00000000u, 0xffffff60u), -160);
  EXPECT_TRUE(is_newer_timestamp(100, 0xfffffff0u));
}

TEST(SequenceExtender, CountsCyclesAcrossTheWrapAt65535) {
  SequenceExtender s;
  const auto first = s.update(65534);
  EXPECT_EQ(first.verdict, SequenceExtender::Verdict::First);
  EXPECT_EQ(s.update(65535).extended, first.extended + 1);
  const auto wrapped = s.update(0);
  EXPECT_EQ(wrapped.verdict, SequenceExtender::Verdict::InOrder);
  EXPECT_EQ(wrapped.extended, first.extended + 2);
  // A packet from before the wrap, arriving late, keeps its place in the old cycle.
  const auto late = s.update(65533);
  EXPECT_EQ(late.verdict, SequenceExtender::Verdict::Behind);
  EXPECT_EQ(late.extended, first.extended - 1);
  EXPECT_EQ(s.update(5).extended, first.extended + 7);  // a gap forward is in order
  EXPECT_EQ(s.highest(), first.extended + 7);
}

TEST(SequenceExtender, BelievesAJumpOnlyWhenTheNextPacketFollowsIt) {
  SequenceExtender s;
  (void)s.update(100);
  (void)s.update(101);
  EXPECT_EQ(s.update(30000).verdict, SequenceExtender::Verdict::Jump);
  EXPECT_EQ(s.update(102).verdict, SequenceExtender::Verdict::InOrder);  // the stream goes on
  EXPECT_EQ(s.update(40000).verdict, SequenceExtender::Verdict::Jump);
  const auto restarted = s.update(40001);
  EXPECT_EQ(restarted.verdict, SequenceExtender::Verdict::Restarted);
  EXPECT_EQ(s.update(40002).verdict, SequenceExtender::Verdict::InOrder);
}

}  // namespace
}  // namespace resproxy::media
