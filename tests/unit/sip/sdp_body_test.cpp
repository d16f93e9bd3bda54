// Where a message's SDP is in its body (proxy/sip/sdp_body.h): the whole body, or the
// application/sdp part of a multipart body (SIP-I/SIP-T: SDP beside ISUP); everything else in
// the body is left byte for byte.
#include "proxy/sip/sdp_body.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy::sip {
namespace {

const std::string kSdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 8000 RTP/AVP 0\r\n";
// An ISUP IAM's bytes, binary as on the wire (a NUL, CR and LF among them).
const std::string kIsup("\x01\x00\x49\x00\x00\x03\x02\x00\x07\x03\x10\x0d\x0a\x21", 14);

std::string sip_i_body(const std::string& boundary, const std::string& sdp = kSdp) {
  return "--" + boundary + "\r\nContent-Type: application/sdp\r\n\r\n" + sdp + "\r\n--" + boundary +
         "\r\nContent-Type: application/ISUP; version=itu-t92+\r\nContent-Disposition: signal; handling=optional\r\n\r\n" +
         kIsup + "\r\n--" + boundary + "--\r\n";
}

std::string_view at(std::string_view body, const SdpPlace& p) { return body.substr(p.offset, p.size); }

TEST(SdpBody, AnApplicationSdpBodyIsAllSdpWhateverTheCaseAndParameters) {
  const auto p = find_sdp("Application/SDP ; charset=utf-8", kSdp);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, (SdpPlace{0, kSdp.size(), false}));
  EXPECT_FALSE(find_sdp("application/sdp", "").has_value());
  EXPECT_FALSE(find_sdp("text/plain", kSdp).has_value());
  EXPECT_FALSE(find_sdp("", kSdp).has_value());
}

TEST(SdpBody, TheSdpPartOfASipIBodyIsFoundAndOnlyItIsReplaced) {
  const std::string body = sip_i_body("unique-boundary-1");
  const auto p = find_sdp("multipart/mixed;boundary=unique-boundary-1", body);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->in_multipart);
  EXPECT_EQ(at(body, *p), kSdp);
  const std::string relayed = "v=0\r\nc=IN IP4 192.0.2.9\r\nm=audio 40000 RTP/AVP 0\r\n";
  EXPECT_EQ(replace_sdp(body, *p, relayed), sip_i_body("unique-boundary-1", relayed));
}

TEST(SdpBody, APartAfterOthersAQuotedBoundaryAPreambleAndPaddingAreRead) {
  const std::string body = "a preamble nobody reads\r\n--b 1  \r\nContent-Type: application/ISUP\r\n\r\n" + kIsup +
                           "\r\n--b 1\r\ncontent-type:APPLICATION/SDP\r\n\r\n" + kSdp + "\r\n--b 1--";
  const auto p = find_sdp("multipart/mixed; charset=x; boundary=\"b 1\"", body);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(at(body, *p), kSdp);
}

TEST(SdpBody, OneNestedMultipartLevelIsRead) {
  const std::string inner = "--in\r\nContent-Type: text/plain\r\n\r\nhello\r\n--in\r\nContent-Type: application/sdp\r\n\r\n" +
                            kSdp + "\r\n--in--";
  const std::string body = "--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n" + inner +
                           "\r\n--out\r\nContent-Type: application/ISUP\r\n\r\n" + kIsup + "\r\n--out--\r\n";
  const auto p = find_sdp("multipart/mixed;boundary=out", body);
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->in_multipart);
  EXPECT_EQ(at(body, *p), kSdp);
  // Two levels down is further than we read.
  const std::string deeper = "--top\r\nContent-Type: multipart/mixed;boundary=out\r\n\r\n" + body + "\r\n--top--";
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=top", deeper).has_value());
}

TEST(SdpBody, MalformedMultipartHasNoSdpForUs) {
  const std::string body = sip_i_body("b");
  EXPECT_FALSE(find_sdp("multipart/mixed", body).has_value()) << "no boundary";
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=", body).has_value());
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=\"b", body).has_value()) << "unclosed quote";
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=other", body).has_value());
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=" + std::string(71, 'x'), body).has_value());
  // The SDP part never closed by a delimiter.
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=b", "--b\r\nContent-Type: application/sdp\r\n\r\n" + kSdp).has_value());
  // Headers that never end, a part list without an SDP part, an empty SDP part.
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=b", "--b\r\nContent-Type: application/sdp\r\n--b--").has_value());
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=b", "--b\r\nContent-Type: application/ISUP\r\n\r\nx\r\n--b--").has_value());
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=b", "--b\r\nContent-Type: application/sdp\r\n\r\n\r\n--b--").has_value());
  // A part without headers is text/plain (RFC 2046 §5.1), not SDP.
  EXPECT_FALSE(find_sdp("multipart/mixed;boundary=b", "--b\r\n\r\n" + kSdp + "\r\n--b--").has_value());
}

TEST(SdpBody, ContentTypeParametersAreReadAsRfc2045Says) {
  EXPECT_EQ(media_type_of("  multipart/mixed ;boundary=x"), "multipart/mixed");
  EXPECT_EQ(content_type_parameter("multipart/mixed; BOUNDARY = x1 ; a=b", "boundary"), "x1");
  EXPECT_EQ(content_type_parameter("multipart/mixed;a=\"q;r\";boundary=x2", "boundary"), "x2");
  EXPECT_EQ(content_type_parameter("multipart/mixed;boundary=x3   ", "boundary"), "x3");
  EXPECT_EQ(content_type_parameter("multipart/mixed;a=b", "boundary"), std::nullopt);
  EXPECT_EQ(content_type_parameter("multipart/mixed;novalue", "boundary"), std::nullopt);
}

TEST(SdpBody, AReplacementOutsideTheBodyGivesTheSdpAlone) {
  EXPECT_EQ(replace_sdp("short", SdpPlace{3, 10, true}, "sdp"), "sdp");
}

}  // namespace
}  // namespace resproxy::sip
