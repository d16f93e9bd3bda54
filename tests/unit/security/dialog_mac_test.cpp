// Dialog MACs (security/dialog_mac.h): a tag verifies for its Call-ID and hop only, survives a
// restart through its stored form, and one rotation.
#include "proxy/security/dialog_mac.h"

#include <gtest/gtest.h>

namespace resproxy::security {
namespace {

std::string hop(std::string_view uri) {
  auto parsed = sip::parse_uri(uri);
  EXPECT_TRUE(parsed.has_value()) << uri;
  return canonical_hop(*parsed);
}

TEST(DialogMac, CanonicalHopLowersTheHostDropsBracketsAndAddsTheDefaultPort) {
  EXPECT_EQ(hop("sip:2001@GW.Example"), "gw.example:5060");
  EXPECT_EQ(hop("sips:2001@gw.example"), "gw.example:5061");
  EXPECT_EQ(hop("sip:[2001:DB8::1]:5070;transport=tcp"), "2001:db8::1:5070");
}

TEST(DialogMac, ATagVerifiesForItsCallIdAndHopOnly) {
  SeededRng rng(1);
  const auto mac = DialogMac::generate(rng);
  const std::string tag = mac.seal("call-1", "192.168.1.5:5060");
  EXPECT_EQ(tag.size(), 17u);
  EXPECT_TRUE(mac.verify(tag, "call-1", "192.168.1.5:5060"));
  EXPECT_FALSE(mac.verify(tag, "call-2", "192.168.1.5:5060"));
  EXPECT_FALSE(mac.verify(tag, "call-1", "192.168.1.5:5061"));
  EXPECT_FALSE(mac.verify(tag, "call-1", "10.0.0.1:5060"));
  std::string flipped = tag;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(mac.verify(flipped, "call-1", "192.168.1.5:5060"));
  EXPECT_FALSE(mac.verify("", "call-1", "192.168.1.5:5060"));
  EXPECT_FALSE(mac.verify(tag.substr(1), "call-1", "192.168.1.5:5060"));
}

TEST(DialogMac, AnotherKeyDoesNotVerify) {
  SeededRng a(1), b(2);
  const auto one = DialogMac::generate(a);
  const auto other = DialogMac::generate(b);
  EXPECT_FALSE(other.verify(one.seal("c", "h:5060"), "c", "h:5060"));
}

TEST(DialogMac, TheStoredFormRestoresBothKeys) {
  SeededRng rng(3);
  auto mac = DialogMac::generate(rng);
  const std::string old_tag = mac.seal("c", "h:5060");
  mac.rotate(rng);
  const std::string new_tag = mac.seal("c", "h:5060");
  EXPECT_NE(old_tag, new_tag);
  const auto restored = DialogMac::decode(mac.encode());
  ASSERT_TRUE(restored.has_value());
  EXPECT_TRUE(restored->verify(old_tag, "c", "h:5060"));
  EXPECT_TRUE(restored->verify(new_tag, "c", "h:5060"));
  EXPECT_EQ(restored->generation(), 2u);
}

TEST(DialogMac, ASecondRotationRetiresTheOldestKey) {
  SeededRng rng(4);
  auto mac = DialogMac::generate(rng);
  const std::string first = mac.seal("c", "h:5060");
  mac.rotate(rng);
  EXPECT_TRUE(mac.verify(first, "c", "h:5060"));
  mac.rotate(rng);
  EXPECT_FALSE(mac.verify(first, "c", "h:5060"));
}

TEST(DialogMac, RefusesStoredFormsItDidNotWrite) {
  for (const char* bad : {"", "v1", "v2 1 0000000000000000 0000000000000000", "v1 x 0 0",
                          "v1 1 00000000000000zz 0000000000000000",
                          "v1 1 0000000000000000 0000000000000000 2 00"}) {
    EXPECT_FALSE(DialogMac::decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace resproxy::security
