// SipHash-2-4 against the reference vectors of the SipHash paper (Appendix A: key 00..0f,
// messages 00, 00 01, …), and the incremental form against the one-shot one.
#include "proxy/base/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy {
namespace {

const SipKey kPaperKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::string counting(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>(i);
  return s;
}

TEST(SipHash, MatchesTheReferenceVectors) {
  EXPECT_EQ(siphash24(kPaperKey, ""), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash24(kPaperKey, counting(1)), 0x74f839c593dc67fdULL);
  EXPECT_EQ(siphash24(kPaperKey, counting(8)), 0x93f5f5799a932462ULL);
  EXPECT_EQ(siphash24(kPaperKey, counting(15)), 0xa129ca6149be45e5ULL);  // the paper's example
}

TEST(SipHash, IncrementalEqualsOneShotWhateverTheSplit) {
  const std::string data = counting(40);
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    SipHasher h(kPaperKey);
    h.update(std::string_view(data).substr(0, cut)).update(std::string_view(data).substr(cut));
    EXPECT_EQ(h.finish(), siphash24(kPaperKey, data)) << cut;
  }
}

TEST(SipHash, AnotherKeyGivesAnotherValue) {
  EXPECT_NE(siphash24(kPaperKey, "call-id"), siphash24(SipKey{1, 2}, "call-id"));
}

}  // namespace
}  // namespace resproxy
