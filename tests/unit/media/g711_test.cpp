// ITU-T G.711: known code points, the round-trip error over every 16-bit sample, and the
// decoders' symmetry and monotonicity.
#include "proxy/media/g711.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace resproxy::media {
namespace {

TEST(G711, KnownALawValues) {
  EXPECT_EQ(alaw_decode(0xd5), 8);
  EXPECT_EQ(alaw_decode(0x55), -8);
  EXPECT_EQ(alaw_decode(0xaa), 32256);
  EXPECT_EQ(alaw_decode(0x2a), -32256);
  EXPECT_EQ(alaw_encode(0), 0xd5);
  EXPECT_EQ(alaw_encode(8), 0xd5);
  EXPECT_EQ(alaw_encode(-1), 0x55);
  EXPECT_EQ(alaw_encode(32767), 0xaa);
  EXPECT_EQ(alaw_encode(-32768), 0x2a);
  EXPECT_EQ(g711_silence(G711Law::ALaw), alaw_encode(0));
}

TEST(G711, KnownMuLawValues) {
  EXPECT_EQ(ulaw_decode(0xff), 0);
  EXPECT_EQ(ulaw_decode(0x7f), 0);  // "negative zero"
  EXPECT_EQ(ulaw_decode(0x80), 32124);
  EXPECT_EQ(ulaw_decode(0x00), -32124);
  EXPECT_EQ(ulaw_decode(0xfe), 8);
  EXPECT_EQ(ulaw_encode(0), 0xff);
  EXPECT_EQ(ulaw_encode(32767), 0x80);
  EXPECT_EQ(ulaw_encode(-32768), 0x00);
  EXPECT_EQ(g711_silence(G711Law::MuLaw), ulaw_encode(0));
}

TEST(G711, RoundTripErrorIsHalfAStepOverAll16BitSamples) {
  int worst_alaw = 0;
  int worst_ulaw = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto s = static_cast<std::int16_t>(x);
    const int a = std::abs(alaw_decode(alaw_encode(s)) - x);
    const int u = std::abs(ulaw_decode(ulaw_encode(s)) - x);
    // A-law: step 16 up to |x| < 512, then 1/16 of the segment's start: error <= |x| / 32.
    ASSERT_LE(a, std::max(8, std::abs(x) / 32 + 1)) << x;
    // µ-law: step 8 near zero, then about 1/16 of the magnitude; the top is clipped at 32124 + 512.
    ASSERT_LE(u, std::max(8, std::abs(x) / 32 + 8) + (std::abs(x) > 32635 ? 200 : 0)) << x;
    worst_alaw = std::max(worst_alaw, a);
    worst_ulaw = std::max(worst_ulaw, u);
  }
  EXPECT_LE(worst_alaw, 1024);
  EXPECT_LE(worst_ulaw, 1024);
}

TEST(G711, EveryCodeDecodesAndEncodesBackToItself) {
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    EXPECT_EQ(alaw_encode(alaw_decode(code)), code) << c;
    if (code != 0x7f) {  // -0 encodes as +0
      EXPECT_EQ(ulaw_encode(ulaw_decode(code)), code) << c;
    }
  }
}

TEST(G711, DecodersAreSymmetricAndMonotonic) {
  for (int c = 0; c < 128; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    EXPECT_EQ(alaw_decode(code), -alaw_decode(code | 0x80)) << c;
    EXPECT_EQ(ulaw_decode(code), -ulaw_decode(code | 0x80)) << c;
  }
  int previous_a = -40000;
  int previous_u = -40000;
  for (int x = -32768; x <= 32767; x += 7) {
    const int a = alaw_decode(alaw_encode(static_cast<std::int16_t>(x)));
    const int u = ulaw_decode(ulaw_encode(static_cast<std::int16_t>(x)));
    ASSERT_GE(a, previous_a);
    ASSERT_GE(u, previous_u);
    previous_a = a;
    previous_u = u;
  }
}

TEST(G711, BufferFunctionsMatchTheSampleFunctions) {
  std::array<std::int16_t, 160> in{};
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int16_t>(i * 409 - 32000);
  for (auto law : {G711Law::ALaw, G711Law::MuLaw}) {
    std::array<std::uint8_t, 160> coded{};
    std::array<std::int16_t, 160> out{};
    g711_encode(law, in, coded);
    g711_decode(law, coded, out);
    for (std::size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(coded[i], g711_encode(law, in[i]));
      EXPECT_EQ(out[i], g711_decode(law, coded[i]));
    }
  }
}

}  // namespace
}  // namespace resproxy::media
