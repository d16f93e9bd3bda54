// sip::Sdp (RFC 4566) and the audio helpers of RFC 3264 offer/answer: parse, serialise, build,
// read, and refuse what is not SDP.
#include "proxy/sip/sdp.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

// What UaPhone has always offered (and what its peers read).
constexpr std::string_view kOffer =
    "v=0\r\n"
    "o=2001 42 42 IN IP4 10.1.1.2\r\n"
    "s=-\r\n"
    "c=IN IP4 10.1.1.2\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n";

// Every line the model knows, in RFC 4566 §5 order, two media descriptions.
constexpr std::string_view kFull =
    "v=0\r\n"
    "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
    "s=SDP Seminar\r\n"
    "i=A Seminar on the session description protocol\r\n"
    "u=http://www.example.com/seminars/sdp.pdf\r\n"
    "e=j.doe@example.com (Jane Doe)\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 224.2.17.12/127\r\n"
    "b=CT:128\r\n"
    "t=2873397496 2873404696\r\n"
    "r=7d 1h 0 25h\r\n"
    "t=0 0\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "a=recvonly\r\n"
    "m=audio 49170 RTP/AVP 0 97\r\n"
    "i=voice\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:97 opus/48000/2\r\n"
    "a=fmtp:97 useinbandfec=1\r\n"
    "a=ptime:20\r\n"
    "m=video 51372/2 RTP/AVP 99\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n";

Sdp parse_ok(std::string_view text) {
  auto sdp = Sdp::parse(text);
  EXPECT_TRUE(sdp.has_value()) << to_string(sdp.error());
  return sdp.has_value() ? *sdp : Sdp{};
}

TEST(SipSdp, TheAudioBuilderWritesUaPhonesOfferByteForByte) {
  AudioSdpParams params;
  params.user = "2001";
  params.session_id = "42";
  params.session_version = "42";
  params.address = "10.1.1.2";
  params.port = 40000;
  params.codecs = {{"0", "PCMU", 8000, {}, {}},
                   {"8", "PCMA", 8000, {}, {}},
                   {"101", "telephone-event", 8000, {}, "0-15"}};
  EXPECT_EQ(make_audio_sdp(params).to_string(), kOffer);
}

TEST(SipSdp, TheAudioBuilderSaysIp6ForAnIpv6Address) {
  AudioSdpParams params;
  params.session_id = "1";
  params.session_version = "1";
  params.address = "2001:db8::1";
  params.port = 5004;
  params.codecs = {{"0", "PCMU", 8000, {}, {}}};
  const Sdp sdp = make_audio_sdp(params);
  EXPECT_EQ(sdp.origin.addr_type, "IP6");
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_EQ(sdp.connection->addr_type, "IP6");
  EXPECT_EQ(parse_ok(sdp.to_string()), sdp);
}

TEST(SipSdp, ParsingReadsOriginConnectionTimesAndMedia) {
  const Sdp sdp = parse_ok(kOffer);
  EXPECT_EQ(sdp.origin, (SdpOrigin{"2001", "42", "42", "IN", "IP4", "10.1.1.2"}));
  EXPECT_EQ(sdp.session_name, "-");
  ASSERT_TRUE(sdp.connection.has_value());
  EXPECT_EQ(sdp.connection->address, "10.1.1.2");
  ASSERT_EQ(sdp.times.size(), 1u);
  EXPECT_EQ(sdp.times[0], (SdpTime{0, 0, {}}));
  ASSERT_EQ(sdp.media.size(), 1u);
  const SdpMedia& m = sdp.media[0];
  EXPECT_EQ(m.media, "audio");
  EXPECT_EQ(m.port, 40000);
  EXPECT_EQ(m.port_count, std::nullopt);
  EXPECT_EQ(m.proto, "RTP/AVP");
  EXPECT_EQ(m.formats, (std::vector<std::string>{"0", "8", "101"}));
  ASSERT_EQ(m.attributes.size(), 5u);
  EXPECT_EQ(m.attributes[3], (SdpAttribute{"fmtp", "101 0-15"}));
  EXPECT_EQ(m.attributes[4], (SdpAttribute{"sendrecv", std::nullopt}));
  ASSERT_NE(m.attribute("fmtp"), nullptr);
  EXPECT_EQ(m.attribute("ptime"), nullptr);
}

TEST(SipSdp, ADescriptionThatParsesComesBackByteForByte) {
  EXPECT_EQ(parse_ok(kOffer).to_string(), kOffer);
  EXPECT_EQ(parse_ok(kFull).to_string(), kFull);
}

TEST(SipSdp, TheModelSurvivesARoundTrip) {
  const Sdp full = parse_ok(kFull);
  EXPECT_EQ(parse_ok(full.to_string()), full);
  ASSERT_EQ(full.times.size(), 2u);
  EXPECT_EQ(full.times[0].repeats, (std::vector<std::string>{"7d 1h 0 25h"}));
  EXPECT_EQ(full.other.size(), 7u);  // i u e p b z k
  ASSERT_EQ(full.media.size(), 2u);
  EXPECT_EQ(full.media[1].port, 51372);
  EXPECT_EQ(full.media[1].port_count, 2u);
  EXPECT_EQ(full.media[0].other,
            (std::vector<SdpLine>{{'i', "voice"}, {'b', "AS:64"}}));
}

TEST(SipSdp, FirstAudioReadsTheMediaConnectionPortCodecsAndDirection) {
  const auto audio = first_audio(parse_ok(kFull));
  ASSERT_TRUE(audio.has_value());
  EXPECT_EQ(audio->address, "192.0.2.10");  // the media's own c= wins over the session's
  EXPECT_EQ(audio->port, 49170);
  EXPECT_EQ(audio->proto, "RTP/AVP");
  // 0 has no rtpmap: the RFC 3551 static payload type names it.
  EXPECT_EQ(audio->codecs, (std::vector<SdpCodec>{{"0", "PCMU", 8000, "", ""},
                                                  {"97", "opus", 48000, "2", "useinbandfec=1"}}));
  EXPECT_EQ(audio->direction, "recvonly");  // from the session level
}

TEST(SipSdp, FirstAudioFallsBackToTheSessionConnectionAndSendrecv) {
  const auto audio = first_audio(parse_ok(kOffer));
  ASSERT_TRUE(audio.has_value());
  EXPECT_EQ(audio->address, "10.1.1.2");
  EXPECT_EQ(audio->port, 40000);
  ASSERT_EQ(audio->codecs.size(), 3u);
  EXPECT_EQ(audio->codecs[2], (SdpCodec{"101", "telephone-event", 8000, "", "0-15"}));
  EXPECT_EQ(audio->direction, "sendrecv");
  const std::string no_direction(kOffer.substr(0, kOffer.find("a=sendrecv")));
  EXPECT_EQ(first_audio(parse_ok(no_direction))->direction, "sendrecv");
}

TEST(SipSdp, AFormatWithoutRtpmapOrStaticTypeIsLeftOutOfTheCodecs) {
  const Sdp sdp = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 96 18\r\n");
  const auto audio = first_audio(sdp);
  ASSERT_TRUE(audio.has_value());
  EXPECT_EQ(audio->port, 0);  // a rejected stream is still a stream (RFC 3264 §6)
  EXPECT_EQ(audio->codecs, (std::vector<SdpCodec>{{"18", "G729", 8000, "", ""}}));
}

TEST(SipSdp, NoAudioStreamGivesNoAudio) {
  const Sdp sdp = parse_ok(
      "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
      "m=video 5000 RTP/AVP 99\r\n");
  EXPECT_EQ(first_audio(sdp), std::nullopt);
}

TEST(SipSdp, BareLineFeedsAndAMissingFinalLineEndAreAccepted) {
  // RFC 4566 §5: a parser should accept records ended by LF alone.
  const Sdp lf = parse_ok("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                          "m=audio 4000 RTP/AVP 0");
  EXPECT_EQ(lf.media.at(0).formats, (std::vector<std::string>{"0"}));
  EXPECT_EQ(lf.to_string(),
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            "m=audio 4000 RTP/AVP 0\r\n");
  // Trailing empty lines (an extra CRLF after the body) are ignored.
  EXPECT_EQ(parse_ok(std::string(kOffer) + "\r\n"), parse_ok(kOffer));
}

struct Bad {
  std::string_view name;
  std::string text;
  SdpError error;
};

std::string offer_with(std::string_view from, std::string_view to) {
  std::string out(kOffer);
  const auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

TEST(SipSdp, MalformedDescriptionsAreRefusedNamingTheLine) {
  using enum SdpErrorCode;
  const std::array<Bad, 31> cases{{
      {"empty", "", {Empty, 0}},
      {"only line ends", "\r\n\r\n", {Empty, 0}},
      {"not sdp", "hello world\r\n", {BadLine, 1}},
      {"upper case type", offer_with("s=-", "S=-"), {BadLine, 3}},
      {"space before =", offer_with("s=-", "s =-"), {BadLine, 3}},
      {"empty line inside", offer_with("s=-\r\n", "s=-\r\n\r\n"), {BadLine, 4}},
      {"bare CR", offer_with("s=-", "s=a\rb"), {BadLine, 3}},
      {"NUL", offer_with("s=-", std::string("s=a\0b", 5)), {BadLine, 3}},
      {"unknown type", offer_with("t=0 0\r\n", "t=0 0\r\ny=1\r\n"), {UnknownType, 6}},
      {"v not first", offer_with("v=0\r\n", ""), {Missing, 1}},
      {"version 1", offer_with("v=0", "v=1"), {BadVersion, 1}},
      {"no origin", offer_with("o=2001 42 42 IN IP4 10.1.1.2\r\n", ""), {Missing, 5}},
      {"no timing", offer_with("t=0 0\r\n", ""), {Missing, 5}},
      {"origin with five fields", offer_with("o=2001 42 42", "o=2001 42"), {BadOrigin, 2}},
      {"origin id not numeric", offer_with("o=2001 42", "o=2001 4x"), {BadOrigin, 2}},
      {"empty session name", offer_with("s=-", "s="), {BadSessionName, 3}},
      {"connection without address", offer_with("c=IN IP4 10.1.1.2", "c=IN IP4"), {BadConnection, 4}},
      {"connection octet too big", offer_with("c=IN IP4 10.1.1.2", "c=IN IP4 10.1.1.256"), {BadConnection, 4}},
      {"connection three octets", offer_with("c=IN IP4 10.1.1.2", "c=IN IP4 10.1.1"), {BadConnection, 4}},
      {"ipv6 under IP4", offer_with("c=IN IP4 10.1.1.2", "c=IN IP4 2001:db8::1"), {BadConnection, 4}},
      {"timing not numeric", offer_with("t=0 0", "t=0 now"), {BadTiming, 5}},
      {"port too big", offer_with("m=audio 40000", "m=audio 70000"), {BadMedia, 6}},
      {"port not numeric", offer_with("m=audio 40000", "m=audio x"), {BadMedia, 6}},
      {"no formats", offer_with("RTP/AVP 0 8 101", "RTP/AVP"), {BadMedia, 6}},
      {"double space", offer_with("m=audio 40000", "m=audio  40000"), {BadMedia, 6}},
      {"attribute without name", offer_with("a=sendrecv", "a=:x"), {BadAttribute, 11}},
      {"attribute with empty value", offer_with("a=sendrecv", "a=ptime:"), {BadAttribute, 11}},
      {"rtpmap without clock rate", offer_with("PCMA/8000", "PCMA"), {BadAttribute, 8}},
      {"attribute before connection", offer_with("c=IN IP4 10.1.1.2\r\n", "a=x\r\nc=IN IP4 10.1.1.2\r\n"), {OutOfOrder, 5}},
      {"second session connection", offer_with("t=0 0", "c=IN IP4 10.1.1.3\r\nt=0 0"), {Duplicate, 5}},
      {"media without connection", offer_with("c=IN IP4 10.1.1.2\r\n", ""), {NoConnection, 0}},
  }};
  for (const auto& c : cases) {
    const auto sdp = Sdp::parse(c.text);
    ASSERT_FALSE(sdp.has_value()) << c.name;
    EXPECT_EQ(sdp.error(), c.error) << c.name << ": " << to_string(sdp.error());
  }
}

TEST(SipSdp, OriginInAMediaSectionIsOutOfOrder) {
  const auto sdp = Sdp::parse(std::string(kOffer) + "o=- 1 1 IN IP4 192.0.2.1\r\n");
  ASSERT_FALSE(sdp.has_value());
  EXPECT_EQ(sdp.error(), (SdpError{SdpErrorCode::OutOfOrder, 12}));
}

TEST(SipSdp, TheErrorTextNamesTheLine) {
  EXPECT_EQ(to_string(SdpError{SdpErrorCode::BadMedia, 6}), "bad m= line (line 6)");
  EXPECT_EQ(to_string(SdpError{SdpErrorCode::Empty, 0}), "empty session description");
}

TEST(SipSdp, EveryTruncationEitherParsesOrIsRefused) {
  // Untrusted input: a description cut anywhere must never crash the parser.
  const std::string full(kFull);
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const auto sdp = Sdp::parse(std::string_view(full).substr(0, n));
    if (sdp.has_value()) {
      EXPECT_EQ(parse_ok(sdp->to_string()), *sdp) << n;
    }
  }
}

}  // namespace
}  // namespace resproxy::sip
