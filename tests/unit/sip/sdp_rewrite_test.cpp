// SDP through a media relay: what media_streams reads off each m= line, what rewrite_for_relay
// changes (and what it leaves alone), and the NAT helpers behind the WhenNatted policy.
#include "proxy/sip/sdp_rewrite.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

// A desk phone behind NAT: PCMU, PCMA and telephone-event, one address at session level.
constexpr std::string_view kAudioOffer =
    "v=0\r\n"
    "o=2001 2890844526 2890844526 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n";

// Audio on the session c= with RFC 3605 a=rtcp (port only) and rtcp-mux; video on its own c=
// with a=rtcp naming another address.
constexpr std::string_view kAudioVideo =
    "v=0\r\n"
    "o=alice 7 7 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtcp:49175\r\n"
    "a=rtcp-mux\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "c=IN IP4 192.168.1.21\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=rtcp:51381 IN IP4 192.168.1.22\r\n";

// Audio offered, video refused (port 0): an answer after RFC 3264 §6.
constexpr std::string_view kAudioAndDisabledVideo =
    "v=0\r\n"
    "o=- 20518 0 IN IP4 10.0.0.5\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 31\r\n";

// A WebRTC-ish offer with trickle ICE: credentials at session level, candidates per stream.
constexpr std::string_view kIceOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.168.1.30\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.30\r\n"
    "t=0 0\r\n"
    "a=ice-ufrag:F7gI\r\n"
    "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
    "a=ice-options:trickle\r\n"
    "m=audio 5000 RTP/AVP 0\r\n"
    "a=candidate:1 1 UDP 2130706431 192.168.1.30 5000 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 198.51.100.7 61000 typ srflx raddr 192.168.1.30 rport 5000\r\n"
    "a=end-of-candidates\r\n"
    "a=sendrecv\r\n";

Sdp parse_ok(std::string_view text) {
  auto sdp = Sdp::parse(text);
  EXPECT_TRUE(sdp.has_value()) << to_string(sdp.error());
  return sdp.has_value() ? *sdp : Sdp{};
}

// Runs the rewrite, insists that it succeeds and that what it wrote parses back to itself.
Sdp rewrite_ok(std::string_view text, std::vector<RelayedStream> relayed,
               RewriteOptions options = {}) {
  auto out = rewrite_for_relay(parse_ok(text), relayed, options);
  EXPECT_TRUE(out.has_value()) << to_string(out.error());
  if (!out.has_value()) return Sdp{};
  EXPECT_EQ(parse_ok(out->to_string()), *out);
  return *out;
}

std::string with_line(std::string_view text, std::string_view after, std::string_view line) {
  std::string out(text);
  out.insert(out.find(after) + after.size(), line);
  return out;
}

const RelayedStream kRelay4{"203.0.113.1", 30000, 30001};

TEST(SdpMediaStreams, ReadEveryFieldOfAPlainAudioOffer) {
  const auto streams = media_streams(parse_ok(kAudioOffer));
  SdpStream want;
  want.media = "audio";
  want.proto = "RTP/AVP";
  want.address = "192.168.1.20";
  want.addr_type = "IP4";
  want.port = 49170;
  want.rtcp_address = "192.168.1.20";
  want.rtcp_port = 49171;
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0], want);
}

TEST(SdpMediaStreams, TakeRtcpFromTheRtcpAttributeWithAndWithoutAddress) {
  const auto streams = media_streams(parse_ok(kAudioVideo));
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0].address, "192.168.1.20");  // session level
  EXPECT_EQ(streams[0].rtcp_address, "192.168.1.20");
  EXPECT_EQ(streams[0].rtcp_port, 49175);
  EXPECT_TRUE(streams[0].rtcp_mux);
  EXPECT_EQ(streams[1].media, "video");
  EXPECT_EQ(streams[1].address, "192.168.1.21");  // its own c= wins
  EXPECT_EQ(streams[1].rtcp_address, "192.168.1.22");
  EXPECT_EQ(streams[1].rtcp_port, 51381);
  EXPECT_FALSE(streams[1].rtcp_mux);
}

TEST(SdpMediaStreams, FallBackToPortPlusOneWhenTheRtcpAttributeIsMalformed) {
  for (std::string_view bad : {"a=rtcp:70000\r\n", "a=rtcp:49180 IN IP4\r\n",
                               "a=rtcp:49180  IP4 192.168.1.9\r\n", "a=rtcp:+49180\r\n"}) {
    SCOPED_TRACE(bad);
    const auto stream = media_streams(parse_ok(with_line(kAudioOffer, "a=sendrecv\r\n", bad)))[0];
    EXPECT_EQ(stream.rtcp_port, 49171);
    EXPECT_EQ(stream.rtcp_address, "192.168.1.20");
  }
}

TEST(SdpMediaStreams, LetTheMediaLevelDirectionOverrideTheSessionLevel) {
  const auto text = with_line(with_line(kAudioVideo, "t=0 0\r\n", "a=sendonly\r\n"),
                              "a=rtcp-mux\r\n", "a=inactive\r\n");
  const auto streams = media_streams(parse_ok(text));
  EXPECT_EQ(streams[0].direction, MediaDirection::Inactive);  // its own
  EXPECT_EQ(streams[1].direction, MediaDirection::SendOnly);  // the session's
}

TEST(SdpMediaStreams, CountTheRfc2543ZeroAddressAsHold) {
  std::string text(kAudioOffer);
  text.replace(text.find("c=IN IP4 192.168.1.20"), 21, "c=IN IP4 0.0.0.0");
  auto streams = media_streams(parse_ok(text));
  EXPECT_TRUE(streams[0].zero_address_hold);
  EXPECT_EQ(streams[0].direction, MediaDirection::SendOnly);  // a=sendrecv, but not to 0.0.0.0
  text.replace(text.find("a=sendrecv"), 10, "a=recvonly");
  streams = media_streams(parse_ok(text));
  EXPECT_EQ(streams[0].direction, MediaDirection::Inactive);
}

TEST(SdpMediaStreams, FlagSrtpByProfileCryptoOrFingerprint) {
  struct Case {
    std::string_view name, m_line, extra;
    bool srtp;
  };
  const auto cases = std::to_array<Case>({
      {"plain", "m=audio 5004 RTP/AVP 0\r\n", "", false},
      {"savp", "m=audio 5004 RTP/SAVP 0\r\n", "", true},
      {"dtls", "m=audio 5004 UDP/TLS/RTP/SAVPF 0\r\n", "", true},
      {"sdes on avp", "m=audio 5004 RTP/AVP 0\r\n",
       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
       true},
      {"fingerprint", "m=audio 5004 RTP/AVPF 0\r\n", "a=fingerprint:sha-256 4A:AD:B9\r\n", true},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text =
        "v=0\r\no=- 1 1 IN IP4 198.51.100.4\r\ns=-\r\nc=IN IP4 198.51.100.4\r\nt=0 0\r\n" +
        std::string(c.m_line) + std::string(c.extra);
    EXPECT_EQ(media_streams(parse_ok(text))[0].srtp, c.srtp);
  }
}

TEST(SdpMediaStreams, FlagIceAtEitherLevelAndDisabledStreams) {
  EXPECT_TRUE(media_streams(parse_ok(kIceOffer))[0].has_ice);
  EXPECT_FALSE(media_streams(parse_ok(kAudioOffer))[0].has_ice);
  const auto streams = media_streams(parse_ok(kAudioAndDisabledVideo));
  EXPECT_FALSE(streams[0].disabled);
  EXPECT_TRUE(streams[1].disabled);
  EXPECT_EQ(streams[1].rtcp_port, 0);
}

TEST(SdpRewrite, PointsTheEnabledStreamAtTheRelayAndLeavesTheDisabledOneAlone) {
  const Sdp out = rewrite_ok(kAudioAndDisabledVideo, {kRelay4, RelayedStream{}});
  EXPECT_EQ(out.to_string(),
            "v=0\r\n"
            "o=- 20518 0 IN IP4 10.0.0.5\r\n"
            "s=-\r\n"
            "c=IN IP4 203.0.113.1\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0 101\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
            "a=sendrecv\r\n"
            "m=video 0 RTP/AVP 31\r\n");
}

TEST(SdpRewrite, RefusesARelayForADisabledStream) {
  const auto out =
      rewrite_for_relay(parse_ok(kAudioAndDisabledVideo), std::array{kRelay4, kRelay4});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error(), SdpRewriteError::DisabledStreamRelayed);
}

TEST(SdpRewrite, RewritesRtcpAttributesWithTheirAddressAndEveryCInPlace) {
  const Sdp out = rewrite_ok(kAudioVideo, {kRelay4, {"203.0.113.1", 30002, 30003}});
  EXPECT_EQ(out.to_string(),
            "v=0\r\n"
            "o=alice 7 7 IN IP4 192.168.1.20\r\n"
            "s=-\r\n"
            "c=IN IP4 203.0.113.1\r\n"
            "t=0 0\r\n"
            "m=audio 30000 RTP/AVP 0\r\n"
            "a=rtcp:30001\r\n"
            "a=rtcp-mux\r\n"
            "m=video 30002 RTP/AVP 99\r\n"
            "c=IN IP4 203.0.113.1\r\n"
            "a=rtpmap:99 H264/90000\r\n"
            "a=rtcp:30003 IN IP4 203.0.113.1\r\n");
}

TEST(SdpRewrite, FromIpv4ToAnIpv6RelayWritesInIp6Everywhere) {
  const Sdp out =
      rewrite_ok(kAudioVideo, {{"2001:db8::10", 30000, 30001}, {"2001:db8::10", 30002, 30003}});
  EXPECT_EQ(out.connection, (SdpConnection{"IN", "IP6", "2001:db8::10"}));
  EXPECT_EQ(out.media[1].connection, (SdpConnection{"IN", "IP6", "2001:db8::10"}));
  EXPECT_EQ(out.media[1].attribute("rtcp")->value, "30003 IN IP6 2001:db8::10");
  const auto streams = media_streams(out);
  EXPECT_EQ(streams[0].addr_type, "IP6");
  EXPECT_EQ(streams[1].rtcp_address, "2001:db8::10");
}

TEST(SdpRewrite, AddsRtcpOnlyWhenTheRelaysRtcpPortIsNotRtpPlusOne) {
  EXPECT_EQ(rewrite_ok(kAudioOffer, {kRelay4}).media[0].attribute("rtcp"), nullptr);
  const Sdp out = rewrite_ok(kAudioOffer, {{"203.0.113.1", 30000, 30007}});
  ASSERT_NE(out.media[0].attribute("rtcp"), nullptr);
  EXPECT_EQ(out.media[0].attribute("rtcp")->value, "30007");
  EXPECT_EQ(media_streams(out)[0].rtcp_port, 30007);
}

TEST(SdpRewrite, KeepsTheSessionConnectionAnUnrelayedStreamStillUses) {
  std::string two_enabled(kAudioAndDisabledVideo);
  two_enabled.replace(two_enabled.find("m=video 0"), 9, "m=video 5006");
  const Sdp out = rewrite_ok(two_enabled, {kRelay4});
  EXPECT_EQ(out.connection->address, "10.0.0.5");
  ASSERT_TRUE(out.media[0].connection.has_value());
  EXPECT_EQ(out.media[0].connection->address, "203.0.113.1");
  EXPECT_FALSE(out.media[1].connection.has_value());
  EXPECT_EQ(media_streams(out)[1].address, "10.0.0.5");
}

TEST(SdpRewrite, StripsIceAtBothLevelsUnderStrip) {
  const Sdp out = rewrite_ok(kIceOffer, {kRelay4}, {.ice = IcePolicy::Strip});
  EXPECT_TRUE(out.attributes.empty());
  ASSERT_EQ(out.media[0].attributes.size(), 1u);
  EXPECT_EQ(out.media[0].attributes[0].name, "sendrecv");
  EXPECT_FALSE(media_streams(out)[0].has_ice);
}

TEST(SdpRewrite, KeepsIceUntouchedUnderKeep) {
  const Sdp in = parse_ok(kIceOffer);
  const Sdp out = rewrite_ok(kIceOffer, {kRelay4}, {.ice = IcePolicy::Keep});
  EXPECT_EQ(out.attributes, in.attributes);
  EXPECT_EQ(out.media[0].attributes, in.media[0].attributes);
  EXPECT_EQ(out.media[0].port, 30000);
}

TEST(SdpRewrite, IsTransparentForHoldDirectionsAndTheZeroAddress) {
  std::string text(kAudioOffer);
  text.replace(text.find("c=IN IP4 192.168.1.20"), 21, "c=IN IP4 0.0.0.0");
  text.replace(text.find("a=sendrecv"), 10, "a=sendonly");
  Sdp out = rewrite_ok(text, {kRelay4});
  EXPECT_EQ(out.connection->address, "0.0.0.0");
  EXPECT_NE(out.media[0].attribute("sendonly"), nullptr);
  EXPECT_EQ(media_streams(out)[0].port, 30000);
  out = rewrite_ok(text, {{"2001:db8::10", 30000, 30001}});
  EXPECT_EQ(out.connection, (SdpConnection{"IN", "IP6", "::"}));
  EXPECT_TRUE(media_streams(out)[0].zero_address_hold);
}

TEST(SdpRewrite, PassesSrtpKeysThrough) {
  const auto text = with_line(
      kAudioOffer, "a=sendrecv\r\n",
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
  const Sdp in = parse_ok(text);
  EXPECT_EQ(rewrite_ok(text, {kRelay4}).media[0].attributes, in.media[0].attributes);
}

TEST(SdpRewrite, AddsTheVersionOffsetToTheOriginVersionInDecimal) {
  struct Case {
    std::string_view version;
    std::uint64_t offset;
    std::string_view want;
  };
  const auto cases = std::to_array<Case>({
      {"2890844526", 0, "2890844526"},
      {"2890844526", 1, "2890844527"},
      {"99", 1, "100"},
      {"0", 1234, "1234"},
      {"18446744073709551615", 1, "18446744073709551616"},  // beyond 64 bits: still counts
      {"1", 18446744073709551615u, "18446744073709551616"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.want);
    std::string text(kAudioOffer);
    text.replace(text.find("2890844526 IN"), 10, c.version);
    const Sdp out = rewrite_ok(text, {kRelay4}, {.version_offset = c.offset});
    EXPECT_EQ(out.origin.session_version, c.want);
    EXPECT_EQ(out.origin.session_id, "2890844526");
  }
}

TEST(SdpRewrite, RefusesBadRelaysLayeredStreamsAndSurplusAllocations) {
  const Sdp sdp = parse_ok(kAudioOffer);
  struct Case {
    std::string_view name;
    std::vector<RelayedStream> relayed;
    SdpRewriteError want;
  };
  const std::vector<Case> cases = {
      {"host name", {{"relay.example.com", 30000, 30001}}, SdpRewriteError::BadRelay},
      {"unspecified", {{"0.0.0.0", 30000, 30001}}, SdpRewriteError::BadRelay},
      {"no rtcp port", {{"203.0.113.1", 30000, 0}}, SdpRewriteError::BadRelay},
      {"surplus", {kRelay4, kRelay4}, SdpRewriteError::TooManyStreams},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto out = rewrite_for_relay(sdp, c.relayed);
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error(), c.want);
  }
  std::string layered(kAudioOffer);
  layered.replace(layered.find("49170"), 5, "49170/2");
  EXPECT_EQ(media_streams(parse_ok(layered))[0].port_count, 2u);
  const auto out = rewrite_for_relay(parse_ok(layered), std::array{kRelay4});
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(to_sip_status(out.error()), 488);
}

TEST(SdpNat, PrivateAndUnusableRangesEndExactlyAtTheirEdges) {
  struct Case {
    std::string_view address;
    bool unusable;
  };
  const auto cases = std::to_array<Case>({
      {"0.0.0.0", true},           {"0.255.255.255", true},    {"1.0.0.0", false},
      {"9.255.255.255", false},    {"10.0.0.0", true},         {"10.255.255.255", true},
      {"11.0.0.0", false},         {"100.63.255.255", false},  {"100.64.0.0", true},
      {"100.127.255.255", true},   {"100.128.0.0", false},     {"126.255.255.255", false},
      {"127.0.0.0", true},         {"127.255.255.255", true},  {"128.0.0.0", false},
      {"169.253.255.255", false},  {"169.254.0.0", true},      {"169.254.255.255", true},
      {"169.255.0.0", false},      {"172.15.255.255", false},  {"172.16.0.0", true},
      {"172.31.255.255", true},    {"172.32.0.0", false},      {"192.167.255.255", false},
      {"192.168.0.0", true},       {"192.168.255.255", true},  {"192.169.0.0", false},
      {"223.255.255.255", false},  {"224.0.0.0", true},        {"255.255.255.255", true},
      {"203.0.113.5", false},      {"::", true},               {"::1", true},
      {"::2", false},              {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
      {"fc00::", true},            {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
      {"fe00::", false},           {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
      {"fe80::", true},            {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
      {"fec0::", false},           {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
      {"ff00::", true},            {"2001:db8::1", false},     {"::ffff:10.0.0.1", true},
      {"::ffff:8.8.8.8", false},   {"pbx.example.com", true},  {"", true},
      {"[2001:db8::1]", true},     {"224.2.1.1/127", true},    {"fe80::1%eth0", true},
      {"010.0.0.1", true},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.address);
    EXPECT_EQ(is_private_or_unusable(c.address), c.unusable);
  }
}

TEST(SdpNat, NeedsRelayFollowsThePolicy) {
  constexpr std::string_view kPublic =
      "v=0\r\no=- 1 1 IN IP4 198.51.100.4\r\ns=-\r\nc=IN IP4 198.51.100.4\r\nt=0 0\r\n"
      "m=audio 5004 RTP/AVP 0\r\n";
  const auto natted = media_streams(parse_ok(kAudioOffer));
  // A private address only on a disabled stream: nothing to relay there.
  const auto publik = media_streams(parse_ok(
      std::string(kPublic) + "m=video 0 RTP/AVP 31\r\nc=IN IP4 10.0.0.9\r\n"));
  const auto private_rtcp = media_streams(
      parse_ok(std::string(kPublic) + "a=rtcp:5005 IN IP4 192.168.0.4\r\n"));
  std::string hold(kAudioOffer);
  hold.replace(hold.find("c=IN IP4 192.168.1.20"), 21, "c=IN IP4 0.0.0.0");
  const auto held = media_streams(parse_ok(hold));
  auto all_disabled = natted;
  all_disabled[0].disabled = true;
  using P = MediaRelayPolicy;
  EXPECT_TRUE(needs_relay(P::Always, publik, false));
  EXPECT_FALSE(needs_relay(P::Always, all_disabled, true));
  EXPECT_FALSE(needs_relay(P::Never, natted, true));
  EXPECT_FALSE(needs_relay(P::WhenNatted, publik, false));  // the private c= is on port 0
  EXPECT_TRUE(needs_relay(P::WhenNatted, publik, true));
  EXPECT_TRUE(needs_relay(P::WhenNatted, natted, false));
  EXPECT_TRUE(needs_relay(P::WhenNatted, private_rtcp, false));
  EXPECT_FALSE(needs_relay(P::WhenNatted, held, false));
}

}  // namespace
}  // namespace resproxy::sip
