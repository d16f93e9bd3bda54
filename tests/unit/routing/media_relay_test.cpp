// The built-in media relay in the proxy ([media_relay], media_anchor.h): which calls it anchors,
// the SDP it writes both ways, the ports it asks the runtime for, the packets it forwards, and
// how a call ends — BYE, a failure answer, or silence (BYE both ways from the middle).
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy/sip/sdp.h"
#include "tests/unit/routing/proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

// Two phones, each behind its own NAT: they write their private addresses (Via, Contact, SDP)
// and their packets arrive from the NAT's outside address.
struct NatPhone {
  std::string user;
  std::string private_ip;
  Address outside;  // the NAT's mapping: where its packets come from
  std::uint16_t rtp_port;
  [[nodiscard]] Phone phone() const { return {user, outside}; }
  [[nodiscard]] std::string contact() const { return "sip:" + user + "@" + private_ip + ":5060"; }
  [[nodiscard]] std::string via(std::string_view branch) const {
    return "SIP/2.0/UDP " + private_ip + ":5060;branch=" + std::string(branch) + ";rport";
  }
  [[nodiscard]] std::string sdp(std::string_view ip = {}) const {
    const std::string at = ip.empty() ? private_ip : std::string(ip);
    return "v=0\r\no=" + user + " 1 1 IN IP4 " + at + "\r\ns=-\r\nc=IN IP4 " + at +
           "\r\nt=0 0\r\nm=audio " + std::to_string(rtp_port) + " RTP/AVP 0 101\r\n" +
           "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
  }
};

const NatPhone kAlice{"2001", "10.0.1.20", {"203.0.113.11", 41000}, 8000};
const NatPhone kBob{"2002", "10.0.2.30", {"203.0.113.12", 42000}, 9000};

ProxyConfig relay_config(sip::MediaRelayPolicy phones = sip::MediaRelayPolicy::WhenNatted) {
  ProxyConfig c = ProxyFixture::default_config();
  c.trusted.push_back(*IpRange::parse("203.0.113.0/24"));  // the NATs' outside addresses
  c.media_relay.enabled = true;
  c.media_relay.relay.ipv4_ports = {40000, 40099};
  c.media_relay.phones = phones;
  return c;
}

std::string rtp(std::uint16_t seq) {
  std::string p(12 + 160, '\xd5');
  p[0] = '\x80';
  p[1] = '\x00';  // PCMU
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq & 0xff);
  const std::uint32_t ts = seq * 160u;
  for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<char>(ts >> (24 - 8 * i));
  p[8] = '\x11';
  p[9] = '\x22';
  p[10] = '\x33';
  p[11] = '\x44';
  return p;
}

struct Media {
  std::string ip;
  std::uint16_t port = 0;
};
Media media_of(const sip::Message& m) {
  auto sdp = sip::Sdp::parse(m.body());
  EXPECT_TRUE(sdp.has_value()) << m.body();
  if (!sdp) return {};
  const auto streams = sip::media_streams(*sdp);
  if (streams.empty()) return {};
  return {streams[0].address, streams[0].port};
}

class RelayCall : public ::testing::Test {
 protected:
  explicit RelayCall(ProxyConfig config = relay_config()) : f(std::move(config)) {}

  void register_nat(const NatPhone& p) {
    f.receive(p.phone(), sip::make_request("REGISTER", "sip:office.example",
                                           {{"Via", p.via("z9hG4bKr" + p.user)},
                                            {"Max-Forwards", "70"},
                                            {"From", "<sip:" + p.user + "@office.example>;tag=r" + p.user},
                                            {"To", "<sip:" + p.user + "@office.example>"},
                                            {"Call-ID", "reg-" + p.user},
                                            {"CSeq", "1 REGISTER"},
                                            {"Contact", "<" + p.contact() + ">"},
                                            {"Expires", "3600"}}));
    ASSERT_FALSE(f.expect_one("SIP/2.0 200").bytes.empty());
  }

  // Alice calls Bob; returns the INVITE as Bob receives it.
  sip::Message invite(const NatPhone& from = kAlice, const NatPhone& to = kBob,
                      std::string call_id = "relay-call-1") {
    call = call_id;
    const std::string bytes = sip::make_request(
        "INVITE", "sip:" + to.user + "@office.example",
        {{"Via", from.via("z9hG4bKinv" + call_id)},
         {"Max-Forwards", "70"},
         {"From", "<sip:" + from.user + "@office.example>;tag=a-" + call_id},
         {"To", "<sip:" + to.user + "@office.example>"},
         {"Call-ID", call_id},
         {"CSeq", "10 INVITE"},
         {"Contact", "<" + from.contact() + ">"},
         {"Content-Type", "application/sdp"}},
        from.sdp());
    f.receive(from.phone(), bytes);
    return parse(f.expect_one("INVITE ").bytes);
  }

  // Bob's answer to the forwarded INVITE; returns it as Alice receives it.
  sip::Message answer(const sip::Message& forwarded, int status = 200, const NatPhone& by = kBob) {
    std::vector<sip::ExtraHeader> extra;
    std::string body;
    if (status < 300) {
      extra.push_back({"Contact", "<" + by.contact() + ">"});
      for (const auto& field : forwarded.headers()) {
        if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
      }
      extra.push_back({"Content-Type", "application/sdp"});
      body = by.sdp();
    }
    f.receive(by.phone(), sip::make_response(forwarded, status, sip::default_reason(status), "b-tag", extra, body));
    const std::string prefix = "SIP/2.0 " + std::to_string(status);
    return parse(f.expect_one(prefix).bytes);
  }

  std::vector<OpenMediaPort> opened() {
    std::vector<OpenMediaPort> o;
    std::vector<Effect> rest;
    for (auto& e : f.media_ports) {
      if (auto* p = std::get_if<OpenMediaPort>(&e)) {
        o.push_back(*p);
      } else {
        rest.push_back(std::move(e));
      }
    }
    f.media_ports = std::move(rest);
    return o;
  }
  std::vector<Address> closed() {
    std::vector<Address> c;
    std::vector<Effect> rest;
    for (auto& e : f.media_ports) {
      if (auto* p = std::get_if<CloseMediaPort>(&e)) {
        c.push_back(p->local);
      } else {
        rest.push_back(std::move(e));
      }
    }
    f.media_ports = std::move(rest);
    return c;
  }
  std::optional<MediaSend> packet(const Address& local, const Address& from, std::uint16_t seq) {
    auto verdict = f.node.on_media_packet(f.now, local, from, rtp(seq));
    f.drain();
    return verdict;
  }

  ProxyFixture f;
  std::string call;
};

TEST_F(RelayCall, BothPhonesBehindNatHearEachOtherThroughTheRelay) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const Media offer = media_of(to_bob);
  EXPECT_EQ(offer.ip, kProxy.ip);  // Bob is told to send to us, not to 10.0.1.20
  EXPECT_GE(offer.port, 40000);
  EXPECT_LE(offer.port, 40099);
  EXPECT_EQ(offer.port % 2, 0);
  const auto ports = opened();
  ASSERT_EQ(ports.size(), 4u);  // RTP and RTCP for each side
  for (const auto& p : ports) {
    EXPECT_EQ(p.local.ip, kProxy.ip);
    EXPECT_EQ(p.dscp, 46);
  }
  const auto to_alice = answer(to_bob);
  const Media answer_media = media_of(to_alice);
  EXPECT_EQ(answer_media.ip, kProxy.ip);
  EXPECT_NE(answer_media.port, offer.port);  // a port pair per side
  EXPECT_EQ(f.counter("media_calls_anchored"), 1u);
  EXPECT_EQ(f.counter("media_calls_open"), 1u);

  const Address a_port{kProxy.ip, answer_media.port};  // where Alice sends
  const Address b_port{kProxy.ip, offer.port};         // where Bob sends
  // Alice speaks first: Bob has neither latched nor given a reachable address (10.0.2.30).
  EXPECT_EQ(packet(a_port, kAlice.outside, 1), std::nullopt);
  // Bob speaks: his NAT's mapping is latched, and he is sent to there; so is Alice.
  auto to_a = packet(b_port, kBob.outside, 1);
  ASSERT_TRUE(to_a.has_value());
  EXPECT_EQ(to_a->to, kAlice.outside);
  EXPECT_EQ(to_a->from, a_port);
  auto to_b = packet(a_port, kAlice.outside, 2);
  ASSERT_TRUE(to_b.has_value());
  EXPECT_EQ(to_b->to, kBob.outside);
  EXPECT_EQ(to_b->from, b_port);
  EXPECT_EQ(f.counter("media_packets_forwarded"), 2u);
}

TEST_F(RelayCall, AForeignSourceCannotHijackALatchedCall) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto to_alice = answer(to_bob);
  const Address a_port{kProxy.ip, media_of(to_alice).port};
  const Address b_port{kProxy.ip, media_of(to_bob).port};
  (void)packet(b_port, kBob.outside, 1);  // Bob latches (dropped: Alice has not latched yet)
  ASSERT_TRUE(packet(a_port, kAlice.outside, 1).has_value());
  f.advance(5s);  // past the learning window
  EXPECT_EQ(packet(a_port, {"198.51.100.66", 5000}, 2), std::nullopt);
  auto still = packet(b_port, kBob.outside, 2);
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->to, kAlice.outside);  // not the attacker
}

TEST_F(RelayCall, ByeClosesEveryPortOfTheCall) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto ports = opened();
  (void)answer(to_bob);
  f.receive(kAlice.phone(), sip::make_request("BYE", kBob.contact(),
                                              {{"Via", kAlice.via("z9hG4bKbye")},
                                               {"Max-Forwards", "70"},
                                               {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                               {"From", "<sip:2001@office.example>;tag=a-" + call},
                                               {"To", "<sip:2002@office.example>;tag=b-tag"},
                                               {"Call-ID", call},
                                               {"CSeq", "11 BYE"}}));
  auto gone = closed();
  std::vector<Address> expected;
  for (const auto& p : ports) expected.push_back(p.local);
  std::sort(gone.begin(), gone.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(gone, expected);
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
}

TEST_F(RelayCall, AFailureAnswerReleasesThePorts) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  EXPECT_EQ(opened().size(), 4u);
  (void)answer(to_bob, 486);
  EXPECT_EQ(closed().size(), 4u);
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
}

TEST_F(RelayCall, ASilentAnsweredCallIsEndedWithAByeToEachPhone) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  (void)answer(to_bob);
  f.take_sent();
  f.advance(59s);
  EXPECT_TRUE(f.take_sent().empty());
  f.advance(2s);
  auto sent = f.take_sent();
  std::vector<Address> byes_to;
  for (const auto& s : sent) {
    if (!s.bytes.starts_with("BYE ")) continue;
    const auto bye = parse(s.bytes);
    EXPECT_EQ(bye.call_id(), call);
    byes_to.push_back(s.to);
    if (s.to == kAlice.outside) {
      EXPECT_EQ(bye.request_uri(), kAlice.contact());
      EXPECT_EQ(bye.to_tag(), "a-" + call);  // to Alice, as if from Bob
      EXPECT_EQ(bye.from_tag(), "b-tag");
    } else {
      EXPECT_EQ(bye.request_uri(), kBob.contact());
      EXPECT_EQ(bye.from_tag(), "a-" + call);
      EXPECT_GT(bye.cseq().number, 10u);  // above Alice's INVITE
    }
  }
  std::sort(byes_to.begin(), byes_to.end());
  byes_to.erase(std::unique(byes_to.begin(), byes_to.end()), byes_to.end());  // Timer E resends
  EXPECT_EQ(byes_to, (std::vector<Address>{kAlice.outside, kBob.outside}));
  EXPECT_EQ(f.counter("media_calls_timed_out"), 1u);
  EXPECT_EQ(closed().size(), 4u);
}

TEST_F(RelayCall, RtpKeepsAnAnsweredCallAlive) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto to_alice = answer(to_bob);
  const Address a_port{kProxy.ip, media_of(to_alice).port};
  const Address b_port{kProxy.ip, media_of(to_bob).port};
  f.take_sent();
  for (std::uint16_t i = 1; i <= 120; ++i) {  // two minutes of one packet a second each way
    f.advance(1s);
    (void)packet(a_port, kAlice.outside, i);
    (void)packet(b_port, kBob.outside, i);
  }
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("BYE ")) << s.bytes;
  EXPECT_EQ(f.counter("media_calls_timed_out"), 0u);
}

TEST_F(RelayCall, ACallWhoseFarSideWentSilentIsEndedAlthoughTheNearSideTalksOn) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto to_alice = answer(to_bob);
  const Address a_port{kProxy.ip, media_of(to_alice).port};
  const Address b_port{kProxy.ip, media_of(to_bob).port};
  (void)packet(b_port, kBob.outside, 1);  // Bob's link is cut after this
  f.take_sent();
  bool bye = false;
  for (std::uint16_t i = 1; i <= 70 && !bye; ++i) {
    f.advance(1s);
    (void)packet(a_port, kAlice.outside, i);
    for (const auto& s : f.take_sent()) bye = bye || s.bytes.starts_with("BYE ");
  }
  EXPECT_TRUE(bye);
  EXPECT_EQ(f.counter("media_calls_timed_out"), 1u);
}

// SIP-I: the SDP sits beside an ISUP IAM in multipart/mixed. The relay rewrites the SDP part
// alone; the ISUP part, its headers and the boundaries go on byte for byte, both ways.
TEST_F(RelayCall, ASipICallsSdpPartIsRelayedAndItsIsupPartGoesOnUntouched) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), sip::make_request("INVITE", "sip:2002@office.example",
                                              {{"Via", kAlice.via("z9hG4bKsipi")},
                                               {"Max-Forwards", "70"},
                                               {"From", "<sip:2001@office.example>;tag=a-sipi"},
                                               {"To", "<sip:2002@office.example>"},
                                               {"Call-ID", "sip-i-call"},
                                               {"CSeq", "10 INVITE"},
                                               {"Contact", "<" + kAlice.contact() + ">"},
                                               {"Content-Type", kSipIContentType}},
                                              sip_i_body(kAlice.sdp())));
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  const std::string offer = sdp_part(to_bob);
  ASSERT_FALSE(offer.empty()) << to_bob.body();
  EXPECT_NE(offer.find("c=IN IP4 " + kProxy.ip), std::string::npos) << offer;
  EXPECT_EQ(offer.find("c=IN IP4 " + kAlice.private_ip), std::string::npos) << offer;
  EXPECT_EQ(to_bob.body(), sip_i_body(offer));  // only the SDP part changed
  EXPECT_EQ(opened().size(), 4u);

  std::vector<sip::ExtraHeader> extra = {{"Contact", "<" + kBob.contact() + ">"}};
  for (const auto& field : to_bob.headers()) {
    if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
  }
  extra.push_back({"Content-Type", kSipIContentType});
  f.receive(kBob.phone(), sip::make_response(to_bob, 200, "OK", "b-tag", extra, sip_i_body(kBob.sdp())));
  const auto to_alice = parse(f.expect_one("SIP/2.0 200").bytes);
  const std::string answer = sdp_part(to_alice);
  EXPECT_NE(answer.find("c=IN IP4 " + kProxy.ip), std::string::npos) << answer;
  EXPECT_EQ(to_alice.body(), sip_i_body(answer));
}

TEST_F(RelayCall, ARingingCallWithoutMediaIsNotTimedOut) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  f.receive(kBob.phone(), sip::make_response(to_bob, 180, "Ringing", "b-tag"));
  f.take_sent();
  f.advance(150s);  // rings for 2.5 minutes (under Timer C)
  EXPECT_EQ(f.counter("media_calls_timed_out"), 0u);
  const auto to_alice = answer(to_bob);
  EXPECT_EQ(media_of(to_alice).ip, kProxy.ip);
}

TEST_F(RelayCall, LanPhonesWithoutNatTalkDirectlyUnderTheNatPolicy) {
  const NatPhone lan_a{"2001", "192.168.1.21", {"192.168.1.21", 5060}, 8000};
  const NatPhone lan_b{"2002", "192.168.1.22", {"192.168.1.22", 5060}, 9000};
  register_nat(lan_a);
  register_nat(lan_b);
  const auto to_b = invite(lan_a, lan_b);
  EXPECT_EQ(media_of(to_b).ip, "192.168.1.21");
  EXPECT_TRUE(opened().empty());
  EXPECT_EQ(f.counter("media_calls_anchored"), 0u);
}

TEST_F(RelayCall, ALateOfferIsRelayedFromTheCalleesOfferToTheCallersAckAnswer) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), sip::make_request("INVITE", "sip:2002@office.example",
                                              {{"Via", kAlice.via("z9hG4bKlate")},
                                               {"Max-Forwards", "70"},
                                               {"From", "<sip:2001@office.example>;tag=a-late"},
                                               {"To", "<sip:2002@office.example>"},
                                               {"Call-ID", "late"},
                                               {"CSeq", "1 INVITE"},
                                               {"Contact", "<" + kAlice.contact() + ">"}}));
  call = "late";
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  EXPECT_TRUE(to_bob.body().empty());
  EXPECT_TRUE(opened().empty());  // nothing to relay yet
  const auto to_alice = answer(to_bob);  // Bob's 2xx carries the offer
  const Media offer = media_of(to_alice);
  EXPECT_EQ(offer.ip, kProxy.ip);
  EXPECT_EQ(opened().size(), 4u);
  f.receive(kAlice.phone(), sip::make_request("ACK", kBob.contact(),
                                              {{"Via", kAlice.via("z9hG4bKlateack")},
                                               {"Max-Forwards", "70"},
                                               {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                               {"From", "<sip:2001@office.example>;tag=a-late"},
                                               {"To", "<sip:2002@office.example>;tag=b-tag"},
                                               {"Call-ID", "late"},
                                               {"CSeq", "1 ACK"},
                                               {"Content-Type", "application/sdp"}},
                                              kAlice.sdp()));
  const auto ack = parse(f.expect_one("ACK ").bytes);
  const Media answer_media = media_of(ack);
  EXPECT_EQ(answer_media.ip, kProxy.ip);
  EXPECT_NE(answer_media.port, offer.port);
  // Both latch and hear each other, as with an early offer.
  (void)packet({kProxy.ip, answer_media.port}, kBob.outside, 1);
  auto to_b = packet({kProxy.ip, offer.port}, kAlice.outside, 1);
  ASSERT_TRUE(to_b.has_value());
  EXPECT_EQ(to_b->to, kBob.outside);
}

TEST_F(RelayCall, TheCalleesReInviteToHoldIsRewrittenTowardTheCallerAndPausesTheTimeout) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto to_alice = answer(to_bob);
  const std::uint16_t a_port = media_of(to_alice).port;
  f.take_sent();
  // Bob puts Alice on hold: a re-INVITE from his side (his tag is the From tag now).
  std::string held = kBob.sdp();
  held.replace(held.find("a=sendrecv"), 10, "a=sendonly");
  held.replace(held.find(" 1 1 IN"), 7, " 1 2 IN");
  f.receive(kBob.phone(), sip::make_request("INVITE", kAlice.contact(),
                                            {{"Via", kBob.via("z9hG4bKhold")},
                                             {"Max-Forwards", "70"},
                                             {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                             {"From", "<sip:2002@office.example>;tag=b-tag"},
                                             {"To", "<sip:2001@office.example>;tag=a-" + call},
                                             {"Call-ID", call},
                                             {"CSeq", "1 INVITE"},
                                             {"Contact", "<" + kBob.contact() + ">"},
                                             {"Content-Type", "application/sdp"}},
                                            held));
  const auto reinvite = parse(f.expect_one("INVITE ").bytes);
  const Media m = media_of(reinvite);
  EXPECT_EQ(m.ip, kProxy.ip);
  EXPECT_EQ(m.port, a_port);  // the same port Alice already talks to
  EXPECT_NE(reinvite.body().find("a=sendonly"), std::string_view::npos);  // hold is the phones'
  f.advance(10min);  // on hold: silence is expected
  for (const auto& sent : f.take_sent()) EXPECT_FALSE(sent.bytes.starts_with("BYE ")) << sent.bytes;
  EXPECT_EQ(f.counter("media_calls_timed_out"), 0u);
}

TEST_F(RelayCall, VideoAddedByAReInviteIsRelayedToo) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite();
  const auto to_alice = answer(to_bob);
  (void)opened();
  f.take_sent();
  // Bob adds video: his re-INVITE has the audio line and a new video line.
  const std::string with_video = kBob.sdp() + "m=video 9002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  f.receive(kBob.phone(), sip::make_request("INVITE", kAlice.contact(),
                                            {{"Via", kBob.via("z9hG4bKvideo")},
                                             {"Max-Forwards", "70"},
                                             {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                             {"From", "<sip:2002@office.example>;tag=b-tag"},
                                             {"To", "<sip:2001@office.example>;tag=a-" + call},
                                             {"Call-ID", call},
                                             {"CSeq", "2 INVITE"},
                                             {"Contact", "<" + kBob.contact() + ">"},
                                             {"Content-Type", "application/sdp"}},
                                            with_video));
  const auto reinvite = parse(f.expect_one("INVITE ").bytes);
  auto offered = sip::Sdp::parse(reinvite.body());
  ASSERT_TRUE(offered.has_value());
  const auto lines = sip::media_streams(*offered);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].address, kProxy.ip) << reinvite.body();
  EXPECT_NE(lines[1].port, 9002);
  EXPECT_NE(lines[1].port, lines[0].port);
  EXPECT_EQ(opened().size(), 4u) << "a port pair on each side for the video";
  // Alice accepts the video; her 200 goes to Bob pointing at the relay as well.
  const std::string alice_video = kAlice.sdp() + "m=video 8002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  f.receive(kAlice.phone(), sip::make_response(reinvite, 200, "OK", "",
                                               {{"Contact", "<" + kAlice.contact() + ">"},
                                                {"Content-Type", "application/sdp"}},
                                               alice_video));
  const auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  auto answered = sip::Sdp::parse(ok.body());
  ASSERT_TRUE(answered.has_value());
  const auto back = sip::media_streams(*answered);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].address, kProxy.ip) << ok.body();
  // Video flows: Alice's first packet latches her NAT binding, Bob's reaches her there.
  const Address alice_video_from{kAlice.outside.ip, 8002};
  const Address bob_video_from{kBob.outside.ip, 9002};
  const Address a_side{kProxy.ip, lines[1].port};
  const Address b_side{kProxy.ip, back[1].port};
  (void)packet(a_side, alice_video_from, 1);
  const auto to_alice_video = packet(b_side, bob_video_from, 1);
  ASSERT_TRUE(to_alice_video.has_value());
  EXPECT_EQ(to_alice_video->to, alice_video_from);
  EXPECT_EQ(to_alice_video->from, a_side);
  const auto to_bob_video = packet(a_side, alice_video_from, 2);
  ASSERT_TRUE(to_bob_video.has_value());
  EXPECT_EQ(to_bob_video->to, bob_video_from);
  (void)to_alice;
}

class ItspRelay : public RelayCall {
 protected:
  ItspRelay() : RelayCall([] {
    ProxyConfig c = itsp_test_config(ProxyMode::ForwardItsp);
    c.media_relay.enabled = true;
    c.media_relay.relay.ipv4_ports = {40000, 40099};
    c.media_relay.itsp = sip::MediaRelayPolicy::Always;
    c.itsp.nat_outside_address = "203.0.113.50";  // the office router in front of the box
    return c;
  }()) {}
};

TEST_F(ItspRelay, TheSdpTowardTheItspNamesTheNatsOutsideAddressAndTheLanSideOurs) {
  const NatPhone lan{"2001", "192.168.1.21", {"192.168.1.21", 5060}, 8000};  // trusted: the LAN
  f.receive(lan.phone(), sip::make_request("INVITE", "sip:01632960123@office.example",
                                           {{"Via", lan.via("z9hG4bKout")},
                                            {"Max-Forwards", "70"},
                                            {"From", "<sip:2001@office.example>;tag=out"},
                                            {"To", "<sip:01632960123@office.example>"},
                                            {"Call-ID", "to-itsp"},
                                            {"CSeq", "1 INVITE"},
                                            {"Contact", "<" + lan.contact() + ">"},
                                            {"Content-Type", "application/sdp"}},
                                           lan.sdp()));
  std::optional<sip::Message> to_itsp;
  for (const auto& sent : f.take_sent()) {
    if (sent.bytes.starts_with("INVITE ") && sent.to == kTestItspAddress) to_itsp = parse(sent.bytes);
  }
  ASSERT_TRUE(to_itsp.has_value());
  EXPECT_EQ(media_of(*to_itsp).ip, "203.0.113.50");
  const NatPhone itsp{"itsp", "198.51.100.10", kTestItspAddress, 20000};
  f.receive(itsp.phone(), sip::make_response(*to_itsp, 200, "OK", "itsp-tag",
                                             {{"Contact", "<sip:gw@198.51.100.10:5060>"},
                                              {"Content-Type", "application/sdp"}},
                                             itsp.sdp()));
  const auto to_phone = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_EQ(media_of(to_phone).ip, kProxy.ip);  // the LAN phone talks to the box itself
  // The ITSP's public SDP address is usable at once: the phone's first packet reaches it.
  auto first = packet({kProxy.ip, media_of(to_phone).port}, lan.outside, 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->to, (Address{"198.51.100.10", 20000}));
}

class AlwaysRelay : public RelayCall {
 protected:
  AlwaysRelay() : RelayCall(relay_config(sip::MediaRelayPolicy::Always)) {}
};

TEST_F(AlwaysRelay, LanPhonesAreRelayedAndEarlyMediaGoesToTheirSdpAddress) {
  const NatPhone lan_a{"2001", "192.168.1.21", {"192.168.1.21", 5060}, 8000};
  const NatPhone lan_b{"2002", "192.168.1.22", {"192.168.1.22", 5060}, 9000};
  register_nat(lan_a);
  register_nat(lan_b);
  const auto to_b = invite(lan_a, lan_b);
  EXPECT_EQ(media_of(to_b).ip, kProxy.ip);
  const auto to_a = answer(to_b, 200, lan_b);
  // A LAN phone's private address is where its signalling comes from: usable before latching.
  auto first = packet({kProxy.ip, media_of(to_a).port}, lan_a.outside, 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->to, (Address{"192.168.1.22", 9000}));
}

class TinyPool : public RelayCall {
 protected:
  TinyPool() : RelayCall([] {
    auto c = relay_config();
    c.media_relay.relay.ipv4_ports = {40000, 40003};  // two pairs: one call
    return c;
  }()) {}
};

TEST_F(TinyPool, AnOfferBeyondThePortPoolGets503WithRetryAfter) {
  register_nat(kAlice);
  register_nat(kBob);
  (void)invite();
  f.receive(kAlice.phone(),
            sip::make_request("INVITE", "sip:2002@office.example",
                              {{"Via", kAlice.via("z9hG4bKsecond")},
                               {"Max-Forwards", "70"},
                               {"From", "<sip:2001@office.example>;tag=second"},
                               {"To", "<sip:2002@office.example>"},
                               {"Call-ID", "relay-call-2"},
                               {"CSeq", "1 INVITE"},
                               {"Contact", "<" + kAlice.contact() + ">"},
                               {"Content-Type", "application/sdp"}},
                              kAlice.sdp()));
  const auto refused = parse(f.expect_one("SIP/2.0 503").bytes);
  EXPECT_NE(refused.first(sip::HeaderId::RetryAfter), nullptr);
  EXPECT_EQ(f.counter("media_offers_refused"), 1u);
  EXPECT_EQ(f.counter("media_calls_open"), 1u);
}

}  // namespace
}  // namespace resproxy::routing::testing
