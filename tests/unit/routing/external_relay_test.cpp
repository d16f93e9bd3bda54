// External media relays driven by the proxy over ng ([media_relay.relay.N], media_anchor.h):
// the proxy parks a message until the relay's SDP comes back, then sends it on with that SDP;
// weights share new calls; a relay that refuses or does not answer loses the call to the next,
// the built-in relay last; a CANCEL ends a parked INVITE; a relay that goes down takes its
// answered calls with it (BYE both ways, Q.850 38), and so does one that restarted between two
// pings or forgot a call, found by the audit's queries. The relays are real NgServers (the
// resproxy-media core), fed the datagrams the proxy sends to their control addresses.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "proxy/media/ng/ng_server.h"
#include "proxy/sip/sdp.h"
#include "tests/unit/routing/proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

namespace ng = media::ng;

struct NatPhone {
  std::string user;
  std::string private_ip;
  Address outside;
  std::uint16_t rtp_port;
  [[nodiscard]] Phone phone() const { return {user, outside}; }
  [[nodiscard]] std::string contact() const { return "sip:" + user + "@" + private_ip + ":5060"; }
  [[nodiscard]] std::string via(std::string_view branch) const {
    return "SIP/2.0/UDP " + private_ip + ":5060;branch=" + std::string(branch) + ";rport";
  }
  [[nodiscard]] std::string sdp() const {
    return "v=0\r\no=" + user + " 1 1 IN IP4 " + private_ip + "\r\ns=-\r\nc=IN IP4 " + private_ip +
           "\r\nt=0 0\r\nm=audio " + std::to_string(rtp_port) + " RTP/AVP 0\r\na=sendrecv\r\n";
  }
};

const NatPhone kAlice{"2001", "10.0.1.20", {"203.0.113.11", 41000}, 8000};
const NatPhone kBob{"2002", "10.0.2.30", {"203.0.113.12", 42000}, 9000};
const Address kRelay1{"127.0.0.1", 2223};
const Address kRelay2{"127.0.0.1", 2224};
const std::string kSecret = "relay-secret-0123456789";

struct Media {
  std::string ip;
  std::uint16_t port = 0;
};
Media media_of(const sip::Message& m) {
  auto sdp = sip::Sdp::parse(m.body());
  if (!sdp) return {};
  const auto streams = sip::media_streams(*sdp);
  if (streams.empty()) return {};
  return {streams[0].address, streams[0].port};
}

// A relay at one of the configured addresses: its media address tells the calls apart.
struct Relay {
  Address control;
  std::string media_ip;
  std::uint16_t port_min;
  std::unique_ptr<ng::NgServer> server;
  bool silent = false;  // receives, answers nothing (dead)
  int requests = 0;
};

ProxyConfig external_config(std::vector<ng::RelayTarget> relays, std::uint32_t builtin_weight = 0) {
  ProxyConfig c = ProxyFixture::default_config();
  c.trusted.push_back(*IpRange::parse("203.0.113.0/24"));
  c.media_relay.enabled = true;
  c.media_relay.relay.ipv4_ports = {40000, 40099};
  c.media_relay.external = std::move(relays);
  c.media_relay.builtin_weight = builtin_weight;
  c.media_relay.ng_retransmit = 200ms;
  c.media_relay.ng_tries = 2;
  c.media_relay.ng_ping_interval = 1s;
  return c;
}

class ExternalRelay : public ::testing::Test {
 protected:
  explicit ExternalRelay(ProxyConfig config = external_config({{.name = "relay1", .address = kRelay1, .secret = kSecret}}))
      : f(std::move(config)) {
    add_relay(kRelay1, "192.0.2.1", 30000, kSecret);
  }

  void add_relay(const Address& control, std::string media_ip, std::uint16_t port_min, std::string secret) {
    ng::NgServerConfig c;
    c.relay.ipv4_address = media_ip;
    c.relay.ipv4_ports = {port_min, static_cast<std::uint16_t>(port_min + 99)};
    c.secret = std::move(secret);
    c.trusted = {};  // signed ng only, or (no secret) nothing but…
    if (c.secret.empty()) c.trusted = {*IpRange::parse("192.168.1.0/24")};  // the proxy's address
    relays[control.to_string()] = Relay{control, std::move(media_ip), port_min,
                                        std::make_unique<ng::NgServer>(std::move(c), native::openssl_crypto(), relay_rng),
                                        false, 0};
  }

  // The relays answer what the proxy sent them (their replies go back to the proxy) until nothing
  // is left; everything else the proxy sent stays in f.out.
  void pump() {
    for (bool again = true; again;) {
      again = false;
      std::vector<Effect> rest;
      std::vector<std::pair<Address, std::string>> replies;
      for (auto& e : f.out) {
        auto* d = std::get_if<SendDatagram>(&e);
        const auto it = d ? relays.find(d->remote.to_string()) : relays.end();
        if (it == relays.end()) {
          rest.push_back(std::move(e));
          continue;
        }
        ++it->second.requests;
        if (it->second.silent) continue;
        const Duration wall = f.now.time_since_epoch();  // the proxy's wall clock (offset 0)
        if (auto reply = it->second.server->on_control(f.now, wall, Address{kProxy.ip, kProxy.port}, d->bytes)) {
          replies.emplace_back(it->second.control, std::move(*reply));
        }
      }
      f.out = std::move(rest);
      for (auto& [from, bytes] : replies) {
        f.node.on_datagram(f.now, Path{Transport::Udp, kProxy, from, StreamId{}, 0}, bytes);
        f.drain();
        again = true;
      }
    }
  }
  // Time passes with the relays answering (pings, retransmissions).
  void advance(Duration d) {
    const TimePoint until = f.now + d;
    while (f.now < until) {
      f.advance(std::min<Duration>(100ms, until - f.now));
      pump();
    }
  }

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
    pump();
    ASSERT_FALSE(f.expect_one("SIP/2.0 200").bytes.empty());
  }

  std::string invite_bytes(const std::string& call_id) {
    return sip::make_request("INVITE", "sip:2002@office.example",
                             {{"Via", kAlice.via("z9hG4bKinv" + call_id)},
                              {"Max-Forwards", "70"},
                              {"From", "<sip:2001@office.example>;tag=a-" + call_id},
                              {"To", "<sip:2002@office.example>"},
                              {"Call-ID", call_id},
                              {"CSeq", "10 INVITE"},
                              {"Contact", "<" + kAlice.contact() + ">"},
                              {"Content-Type", "application/sdp"}},
                             kAlice.sdp());
  }

  // Alice calls Bob; the INVITE as Bob receives it once the relays answered.
  sip::Message invite(const std::string& call_id = "ext-call-1") {
    f.receive(kAlice.phone(), invite_bytes(call_id));
    pump();
    return parse(f.expect_one("INVITE ").bytes);
  }

  std::string answer_bytes(const sip::Message& to_bob, int status = 200) {
    std::vector<sip::ExtraHeader> extra = {{"Contact", "<" + kBob.contact() + ">"}};
    for (const auto& field : to_bob.headers()) {
      if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
    }
    extra.push_back({"Content-Type", "application/sdp"});
    return sip::make_response(to_bob, status, sip::default_reason(status), "b-tag", extra, kBob.sdp());
  }

  ng::NgServer& server(const Address& a) { return *relays.at(a.to_string()).server; }

  // Alice calls Bob and Bob answers (200 OK through the relays); the INVITE as Bob received it.
  // Empty when Alice got no 200.
  std::optional<sip::Message> answered_call(const std::string& call_id) {
    auto to_bob = invite(call_id);
    f.receive(kBob.phone(), answer_bytes(to_bob));
    pump();
    if (f.expect_one("SIP/2.0 200").bytes.empty()) return std::nullopt;
    return to_bob;
  }

  // The first INVITE sent (a UDP client transaction may have retransmitted it meanwhile).
  sip::Message first_invite() {
    for (const auto& s : f.take_sent()) {
      if (s.bytes.starts_with("INVITE ")) return parse(s.bytes);
    }
    ADD_FAILURE() << "no INVITE sent";
    return parse(invite_bytes("none"));
  }

  ProxyFixture f;
  SeededRng relay_rng{11};
  std::map<std::string, Relay> relays;
};

TEST_F(ExternalRelay, TheInviteWaitsForTheRelaysOfferAndBothSdpsNameTheRelay) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), invite_bytes("ext-call-1"));
  // Before the relay answered: Alice has her 100 Trying, Bob nothing, the relay an offer.
  auto first = f.out;
  bool trying = false, invite_out = false, to_relay = false;
  for (auto& e : first) {
    auto* d = std::get_if<SendDatagram>(&e);
    if (d == nullptr) continue;
    trying = trying || d->bytes.starts_with("SIP/2.0 100");
    invite_out = invite_out || d->bytes.starts_with("INVITE ");
    to_relay = to_relay || d->remote == kRelay1;
  }
  EXPECT_TRUE(trying);
  EXPECT_FALSE(invite_out);
  EXPECT_TRUE(to_relay);
  pump();
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  const Media offer = media_of(to_bob);
  EXPECT_EQ(offer.ip, "192.0.2.1");  // the external relay, not us
  EXPECT_GE(offer.port, 30000);
  EXPECT_LE(offer.port, 30099);
  EXPECT_TRUE(f.media_ports.empty());  // the proxy opens no port of its own
  EXPECT_EQ(server(kRelay1).calls(), 1u);

  f.receive(kBob.phone(), answer_bytes(to_bob));
  for (const auto& e : f.out) {  // Alice waits for the relay's answer
    if (auto* d = std::get_if<SendDatagram>(&e)) {
      EXPECT_FALSE(d->bytes.starts_with("SIP/2.0 200")) << d->bytes;
    }
  }
  pump();
  const auto to_alice = parse(f.expect_one("SIP/2.0 200").bytes);
  const Media answer = media_of(to_alice);
  EXPECT_EQ(answer.ip, "192.0.2.1");
  EXPECT_GE(answer.port, 30000);
  EXPECT_NE(answer.port, offer.port);
  EXPECT_EQ(f.counter("media_calls_external"), 1u);
  EXPECT_EQ(f.counter("media_calls_anchored"), 1u);
  EXPECT_EQ(f.counter("media_calls_open"), 1u);

  // The 200's retransmission gets the same SDP from the proxy's memory: no second answer.
  const int before = relays.at(kRelay1.to_string()).requests;
  f.receive(kBob.phone(), answer_bytes(to_bob));
  const auto again = f.take_sent();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(parse(again[0].bytes).body(), to_alice.body());
  EXPECT_EQ(relays.at(kRelay1.to_string()).requests, before);

  // Alice hangs up: the relay is told to delete the call.
  f.receive(kAlice.phone(), sip::make_request("BYE", kBob.contact(),
                                              {{"Via", kAlice.via("z9hG4bKbye1")},
                                               {"Max-Forwards", "70"},
                                               {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                               {"From", "<sip:2001@office.example>;tag=a-ext-call-1"},
                                               {"To", "<sip:2002@office.example>;tag=b-tag"},
                                               {"Call-ID", "ext-call-1"},
                                               {"CSeq", "11 BYE"}}));
  pump();
  EXPECT_EQ(server(kRelay1).calls(), 0u);
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
}

// A late offer (an INVITE without SDP, as ITSPs send) through the external relay: Bob's 200 is
// the offer and Alice's ACK the answer, both sent to the relay under Bob's tag, and each SDP names
// the relay; the ACK waits for the relay's answer. Before, the built-in relay took such calls.
TEST_F(ExternalRelay, ALateOffersTwoHundredAndAckGoToTheRelayAsOfferAndAnswer) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), sip::make_request("INVITE", "sip:2002@office.example",
                                              {{"Via", kAlice.via("z9hG4bKlate")},
                                               {"Max-Forwards", "70"},
                                               {"From", "<sip:2001@office.example>;tag=a-late"},
                                               {"To", "<sip:2002@office.example>"},
                                               {"Call-ID", "late"},
                                               {"CSeq", "10 INVITE"},
                                               {"Contact", "<" + kAlice.contact() + ">"}}));
  pump();
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  EXPECT_TRUE(to_bob.body().empty());
  EXPECT_EQ(server(kRelay1).calls(), 0u);  // nothing to offer yet

  f.receive(kBob.phone(), answer_bytes(to_bob));  // Bob's 200 carries the offer
  for (const auto& e : f.out) {  // Alice waits for the relay's offer
    if (auto* d = std::get_if<SendDatagram>(&e)) {
      EXPECT_FALSE(d->bytes.starts_with("SIP/2.0 200")) << d->bytes;
    }
  }
  pump();
  const auto to_alice = parse(f.expect_one("SIP/2.0 200").bytes);
  const Media offer = media_of(to_alice);
  EXPECT_EQ(offer.ip, "192.0.2.1");  // the external relay's
  EXPECT_GE(offer.port, 30000);
  EXPECT_LE(offer.port, 30099);
  EXPECT_EQ(server(kRelay1).calls(), 1u);
  EXPECT_EQ(server(kRelay1).counters().offers, 1u);

  f.receive(kAlice.phone(), sip::make_request("ACK", kBob.contact(),
                                              {{"Via", kAlice.via("z9hG4bKlateack")},
                                               {"Max-Forwards", "70"},
                                               {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                               {"From", "<sip:2001@office.example>;tag=a-late"},
                                               {"To", "<sip:2002@office.example>;tag=b-tag"},
                                               {"Call-ID", "late"},
                                               {"CSeq", "10 ACK"},
                                               {"Content-Type", "application/sdp"}},
                                              kAlice.sdp()));
  for (const auto& e : f.out) {  // the ACK waits for the relay's answer
    if (auto* d = std::get_if<SendDatagram>(&e)) {
      EXPECT_FALSE(d->bytes.starts_with("ACK ")) << d->bytes;
    }
  }
  pump();
  const auto ack = parse(f.expect_one("ACK ").bytes);
  const Media answer = media_of(ack);
  EXPECT_EQ(answer.ip, "192.0.2.1");
  EXPECT_GE(answer.port, 30000);
  EXPECT_NE(answer.port, offer.port);
  EXPECT_EQ(server(kRelay1).counters().answers, 1u);
  EXPECT_EQ(server(kRelay1).counters().errors, 0u);
  EXPECT_TRUE(f.media_ports.empty());  // the proxy relays none of it itself
  EXPECT_EQ(f.counter("media_calls_external"), 1u);

  // Media through the relay both ways: each phone sends to the port its peer's SDP named and
  // hears the other (the first packet of each latches its side).
  const auto b_port = answer.port;  // the ACK told Bob to send here
  const auto a_port = offer.port;   // the 200 told Alice to send here
  std::string rtp(172, '\0');
  rtp[0] = static_cast<char>(0x80);
  (void)server(kRelay1).on_packet(f.now, Address{"192.0.2.1", b_port}, kBob.outside, rtp);
  const auto from_alice = server(kRelay1).on_packet(f.now, Address{"192.0.2.1", a_port}, kAlice.outside, rtp);
  ASSERT_TRUE(from_alice.has_value());
  EXPECT_EQ(from_alice->to, kBob.outside);
  rtp[3] = 1;
  const auto from_bob = server(kRelay1).on_packet(f.now, Address{"192.0.2.1", b_port}, kBob.outside, rtp);
  ASSERT_TRUE(from_bob.has_value());
  EXPECT_EQ(from_bob->to, kAlice.outside);

  // Alice hangs up: the relay deletes the call (found by her tag, the one that answered).
  f.receive(kAlice.phone(), sip::make_request("BYE", kBob.contact(),
                                              {{"Via", kAlice.via("z9hG4bKlatebye")},
                                               {"Max-Forwards", "70"},
                                               {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                               {"From", "<sip:2001@office.example>;tag=a-late"},
                                               {"To", "<sip:2002@office.example>;tag=b-tag"},
                                               {"Call-ID", "late"},
                                               {"CSeq", "11 BYE"}}));
  pump();
  EXPECT_EQ(server(kRelay1).calls(), 0u);
}

// SIP-I through an external relay: the relay is given the SDP part alone (it would refuse the
// whole multipart body as SDP), and its SDP goes back into the body around the ISUP part.
TEST_F(ExternalRelay, ASipIInvitesSdpPartGoesToTheRelayAndItsIsupPartStays) {
  register_nat(kAlice);
  register_nat(kBob);
  std::string bytes = invite_bytes("ext-sip-i");
  bytes.replace(bytes.find("application/sdp"), 15, kSipIContentType);
  const std::string body = sip_i_body(kAlice.sdp());
  bytes = bytes.substr(0, bytes.find("\r\n\r\n") + 4);
  const auto length = bytes.find("Content-Length: ");
  ASSERT_NE(length, std::string::npos);
  bytes.replace(length, bytes.find("\r\n", length) - length, "Content-Length: " + std::to_string(body.size()));
  f.receive(kAlice.phone(), bytes + body);
  pump();
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  const std::string offer = sdp_part(to_bob);
  EXPECT_NE(offer.find("c=IN IP4 192.0.2.1"), std::string::npos) << to_bob.body();  // the relay's
  EXPECT_EQ(to_bob.body(), sip_i_body(offer));
  EXPECT_EQ(server(kRelay1).calls(), 1u);
  EXPECT_TRUE(f.media_ports.empty());  // not failed over to the built-in relay
}

TEST_F(ExternalRelay, ACancelWhileTheRelayThinksAnswers487AndTheCalleeNeverRings) {
  register_nat(kAlice);
  register_nat(kBob);
  const std::string bytes = invite_bytes("ext-cancel");
  f.receive(kAlice.phone(), bytes);
  f.receive(kAlice.phone(), sip::make_cancel(parse(bytes)));
  auto sent = f.take_sent();  // keeps nothing for the relay: re-queue what went there
  bool ok_cancel = false, terminated = false;
  for (auto& s : sent) {
    ok_cancel = ok_cancel || (s.bytes.starts_with("SIP/2.0 200") && s.bytes.find("CANCEL") != std::string::npos);
    terminated = terminated || s.bytes.starts_with("SIP/2.0 487");
    if (s.to == kRelay1) f.out.push_back(SendDatagram{kProxy, s.to, s.bytes});
  }
  EXPECT_TRUE(ok_cancel);
  EXPECT_TRUE(terminated);
  pump();  // the relay's answer to the offer, then the delete
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("INVITE ")) << s.bytes;
  EXPECT_EQ(server(kRelay1).calls(), 0u);
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
}

TEST_F(ExternalRelay, AForgedReplyFromTheRelaysAddressReleasesNothing) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), invite_bytes("ext-forged"));
  std::string offer;
  for (auto& e : f.out) {
    if (auto* d = std::get_if<SendDatagram>(&e); d && d->remote == kRelay1) offer = d->bytes;
  }
  ASSERT_FALSE(offer.empty());
  const std::string cookie = offer.substr(0, offer.find(' '));
  // The attacker knows the cookie (it sniffed it) but not the secret: an unsigned reply naming
  // its own media address.
  const std::string forged = cookie + " d6:result2:ok3:sdp" +
                             std::to_string(std::string("v=0\r\nc=IN IP4 198.51.100.66\r\nm=audio 4000 RTP/AVP 0\r\n").size()) +
                             ":v=0\r\nc=IN IP4 198.51.100.66\r\nm=audio 4000 RTP/AVP 0\r\ne";
  f.node.on_datagram(f.now, Path{Transport::Udp, kProxy, kRelay1, StreamId{}, 0}, forged);
  f.drain();
  for (const auto& e : f.out) {
    if (auto* d = std::get_if<SendDatagram>(&e)) {
      EXPECT_FALSE(d->bytes.starts_with("INVITE ")) << d->bytes;
    }
  }
  EXPECT_GE(f.counter("media_ng_ignored"), 1u);
  pump();  // the real relay's signed answer releases it, with the relay's address
  const auto to_bob = parse(f.expect_one("INVITE ").bytes);
  EXPECT_EQ(media_of(to_bob).ip, "192.0.2.1");
}

class SilentRelay : public ExternalRelay {
 protected:
  SilentRelay() { relays.at(kRelay1.to_string()).silent = true; }
};

TEST_F(SilentRelay, ANewCallGoesToTheBuiltInRelayWhenTheOnlyExternalOneDoesNotAnswer) {
  register_nat(kAlice);
  register_nat(kBob);
  f.receive(kAlice.phone(), invite_bytes("ext-silent"));
  pump();
  for (const auto& e : f.out) {
    if (auto* d = std::get_if<SendDatagram>(&e)) {
      EXPECT_FALSE(d->bytes.starts_with("INVITE ")) << d->bytes;
    }
  }
  advance(500ms);  // 2 tries of 200 ms
  const auto to_bob = first_invite();
  const Media offer = media_of(to_bob);
  EXPECT_EQ(offer.ip, kProxy.ip);  // the built-in relay
  EXPECT_GE(offer.port, 40000);
  EXPECT_LE(offer.port, 40099);
  EXPECT_EQ(f.counter("media_relay_failovers"), 1u);
  EXPECT_EQ(f.counter("media_calls_external"), 0u);
  EXPECT_EQ(f.counter("media_calls_anchored"), 1u);
  // The relay is down now: the next call goes to the built-in relay at once.
  advance(2s);
  EXPECT_EQ(f.counter("media_relays_up"), 0u);
  ASSERT_TRUE(f.trace.contains("media.relay_marked_down"));  // the operator's warning
  EXPECT_EQ(f.trace.find("media.relay_marked_down")->field("address"), kRelay1.to_string());
  EXPECT_FALSE(f.trace.contains("media.relay_marked_up"));
  // It answers again: up (logged), and new calls go to it.
  relays.at(kRelay1.to_string()).silent = false;
  advance(1500ms);
  EXPECT_EQ(f.counter("media_relays_up"), 1u);
  EXPECT_TRUE(f.trace.contains("media.relay_marked_up"));
  f.take_sent();
  f.receive(kAlice.phone(), invite_bytes("ext-back"));
  pump();
  EXPECT_EQ(media_of(first_invite()).ip, "192.0.2.1");
  relays.at(kRelay1.to_string()).silent = true;
  advance(2s);
  f.take_sent();
  f.receive(kAlice.phone(), invite_bytes("ext-silent-2"));
  EXPECT_EQ(media_of(first_invite()).ip, kProxy.ip);
}

class TwoRelays : public ExternalRelay {
 protected:
  TwoRelays()
      : ExternalRelay(external_config({{.name = "relay1", .address = kRelay1, .weight = 1, .secret = kSecret},
                                       {.name = "relay2", .address = kRelay2, .weight = 1, .secret = ""}})) {
    add_relay(kRelay2, "192.0.2.2", 31000, "");
  }
};

TEST_F(TwoRelays, NewCallsAreSharedByWeightSignedAndPlainAlike) {
  register_nat(kAlice);
  register_nat(kBob);
  std::map<std::string, int> by_relay;
  for (int i = 0; i < 4; ++i) ++by_relay[media_of(invite("shared-" + std::to_string(i))).ip];
  EXPECT_EQ(by_relay["192.0.2.1"], 2);
  EXPECT_EQ(by_relay["192.0.2.2"], 2);
  EXPECT_EQ(server(kRelay1).calls(), 2u);
  EXPECT_EQ(server(kRelay2).calls(), 2u);
}

TEST_F(TwoRelays, AnOfferTheFirstRelayLeavesUnansweredGoesToTheSecond) {
  register_nat(kAlice);
  register_nat(kBob);
  relays.at(kRelay1.to_string()).silent = true;
  f.receive(kAlice.phone(), invite_bytes("to-second"));
  advance(500ms);
  const auto to_bob = first_invite();
  EXPECT_EQ(media_of(to_bob).ip, "192.0.2.2");
  EXPECT_EQ(f.counter("media_relay_failovers"), 1u);
  EXPECT_EQ(server(kRelay2).calls(), 1u);
}

TEST_F(ExternalRelay, AnAnswersRetransmissionWhileTheRelayThinksIsAbsorbedNotSentTwice) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite("ext-absorb");
  f.receive(kBob.phone(), answer_bytes(to_bob));
  f.receive(kBob.phone(), answer_bytes(to_bob));  // Bob's 200 again, before the relay answered
  int answers_to_relay = 0;
  for (const auto& e : f.out) {
    if (auto* d = std::get_if<SendDatagram>(&e); d != nullptr && d->remote == kRelay1) ++answers_to_relay;
  }
  EXPECT_EQ(answers_to_relay, 1);
  pump();
  const auto to_alice = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_EQ(media_of(to_alice).ip, "192.0.2.1");
}

TEST_F(ExternalRelay, TheCalleesReInviteIsAnOfferToTheRelayUnderItsOwnTag) {
  register_nat(kAlice);
  register_nat(kBob);
  const auto to_bob = invite("ext-reinvite");
  f.receive(kBob.phone(), answer_bytes(to_bob));
  pump();
  const auto to_alice = parse(f.expect_one("SIP/2.0 200").bytes);
  const Media first = media_of(to_alice);
  // Bob puts Alice on hold: his re-INVITE goes to the relay as an offer from Bob's tag.
  std::string hold = kBob.sdp();
  hold.replace(hold.find("a=sendrecv"), 10, "a=sendonly");
  f.receive(kBob.phone(), sip::make_request("INVITE", kAlice.contact(),
                                            {{"Via", kBob.via("z9hG4bKreinv")},
                                             {"Max-Forwards", "70"},
                                             {"Route", "<sip:" + kProxy.to_string() + ";lr>"},
                                             {"From", "<sip:2002@office.example>;tag=b-tag"},
                                             {"To", "<sip:2001@office.example>;tag=a-ext-reinvite"},
                                             {"Call-ID", "ext-reinvite"},
                                             {"CSeq", "20 INVITE"},
                                             {"Contact", "<" + kBob.contact() + ">"},
                                             {"Content-Type", "application/sdp"}},
                                            hold));
  for (const auto& e : f.out) {
    if (auto* d = std::get_if<SendDatagram>(&e); d != nullptr && d->bytes.starts_with("INVITE ")) {
      ADD_FAILURE() << "the re-INVITE left before the relay answered";
    }
  }
  pump();
  const auto reinvite = first_invite();
  const Media held = media_of(reinvite);
  EXPECT_EQ(held.ip, "192.0.2.1");
  EXPECT_EQ(held.port, first.port);  // the same leg toward Alice
  EXPECT_NE(reinvite.body().find("a=sendonly"), std::string_view::npos) << reinvite.body();
  EXPECT_EQ(server(kRelay1).calls(), 1u);
}

TEST_F(ExternalRelay, ARelayThatDiesTakesItsAnsweredCallsWithItByeBothWaysWithCause38) {
  register_nat(kAlice);
  register_nat(kBob);
  ASSERT_TRUE(answered_call("ext-lost"));
  advance(3s);  // pings answered: nothing happens
  EXPECT_EQ(f.counter("media_relays_up"), 1u);
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("BYE ")) << s.bytes;
  relays.at(kRelay1.to_string()).silent = true;  // the relay dies
  advance(2s);  // a ping round (1 s) and its two tries (200 ms each)
  std::vector<sip::Message> byes;
  for (const auto& s : f.take_sent()) {
    if (s.bytes.starts_with("BYE ")) byes.push_back(parse(s.bytes));
  }
  ASSERT_GE(byes.size(), 2u);  // and their UDP retransmissions
  std::set<std::string> to;
  for (const auto& bye : byes) {
    const auto* reason = bye.first_named("Reason");
    ASSERT_NE(reason, nullptr) << bye.bytes();
    EXPECT_NE(reason->value.find("cause=38"), std::string_view::npos) << bye.bytes();
    to.insert(std::string(bye.request_uri()));
  }
  EXPECT_EQ(to.size(), 2u);
  EXPECT_TRUE(to.contains(kAlice.contact()));
  EXPECT_TRUE(to.contains(kBob.contact()));
  EXPECT_EQ(f.counter("media_calls_lost"), 1u);
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
}

// The BYEs sent since the last take_sent(), by Call-ID: the Request-URIs they went to (each
// checked for Q.850 cause 38).
std::map<std::string, std::set<std::string>> byes_by_call(ProxyFixture& f) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& s : f.take_sent()) {
    if (!s.bytes.starts_with("BYE ")) continue;
    const auto bye = parse(s.bytes);
    const auto* reason = bye.first_named("Reason");
    EXPECT_TRUE(reason && reason->value.find("cause=38") != std::string_view::npos) << s.bytes;
    out[std::string(bye.call_id())].insert(std::string(bye.request_uri()));
  }
  return out;
}

TEST_F(ExternalRelay, ARelayThatRestartsBetweenPingsIsFoundByTheAuditAndItsCallsEndedBothWays) {
  register_nat(kAlice);
  register_nat(kBob);
  ASSERT_TRUE(answered_call("ext-restart-1"));
  ASSERT_TRUE(answered_call("ext-restart-2"));
  ASSERT_EQ(server(kRelay1).calls(), 2u);
  // The audit (every 10 s by default) asks for a call the relay knows: nothing happens.
  advance(12s);
  EXPECT_GE(f.counter("media_audit_queries"), 1u);
  EXPECT_TRUE(byes_by_call(f).empty());
  EXPECT_EQ(f.counter("media_calls_open"), 2u);
  // The relay restarts within a ping interval: a new process, no calls, pings answered.
  add_relay(kRelay1, "192.0.2.1", 30000, kSecret);
  advance(10s);
  EXPECT_EQ(f.counter("media_relays_down"), 0u);  // it never stopped answering
  EXPECT_EQ(f.counter("media_relays_up"), 1u);
  const auto byes = byes_by_call(f);
  ASSERT_EQ(byes.size(), 2u);  // the first call found, then the sweep of the other
  for (const auto& [call_id, to] : byes) {
    EXPECT_TRUE(to.contains(kAlice.contact())) << call_id;
    EXPECT_TRUE(to.contains(kBob.contact())) << call_id;
  }
  EXPECT_EQ(f.counter("media_calls_forgotten"), 2u);
  EXPECT_EQ(f.counter("media_calls_lost"), 2u);
  ASSERT_TRUE(f.trace.contains("media.relay_forgot_call"));  // the operator's warning: which relay
  EXPECT_EQ(f.trace.find("media.relay_forgot_call")->field("relay"), "relay1");
  EXPECT_EQ(f.counter("media_calls_open"), 0u);
  // New calls still go to it: it is up.
  f.take_sent();
  EXPECT_EQ(media_of(invite("ext-after-restart")).ip, "192.0.2.1");
}

TEST_F(TwoRelays, ACallOneRelayDroppedIsEndedAndItsOtherCallsAndTheOtherRelaysStay) {
  register_nat(kAlice);
  register_nat(kBob);
  std::map<std::string, std::string> relay_of;  // Call-ID -> relay media address
  for (int i = 0; i < 4; ++i) {
    const std::string id = "two-audit-" + std::to_string(i);
    const auto to_bob = answered_call(id);
    ASSERT_TRUE(to_bob);
    relay_of[id] = media_of(*to_bob).ip;
  }
  ASSERT_EQ(server(kRelay2).calls(), 2u);
  // The plain relay drops one of its calls on its own (its timeout, an operator's delete).
  std::string dropped;
  for (const auto& [id, ip] : relay_of) {
    if (ip == "192.0.2.2" && dropped.empty()) dropped = id;
  }
  const auto del = server(kRelay2).on_control(
      f.now, f.now.time_since_epoch(), Address{kProxy.ip, 40000},
      "drop1 " + ng::encode(ng::Dict{{"command", "delete"}, {"call-id", dropped}, {"from-tag", "a-" + dropped}}));
  ASSERT_TRUE(del && del->find("ok") != std::string::npos) << del.value_or("no reply");
  ASSERT_EQ(server(kRelay2).calls(), 1u);
  // Two audit turns reach both of relay2's calls: only the dropped one ends, both ways.
  advance(21s);
  const auto byes = byes_by_call(f);
  ASSERT_EQ(byes.size(), 1u);
  ASSERT_TRUE(byes.contains(dropped));
  EXPECT_TRUE(byes.at(dropped).contains(kAlice.contact()));
  EXPECT_TRUE(byes.at(dropped).contains(kBob.contact()));
  EXPECT_EQ(f.counter("media_calls_forgotten"), 1u);
  EXPECT_EQ(f.counter("media_calls_open"), 3u);
  EXPECT_EQ(server(kRelay1).calls(), 2u);
  EXPECT_EQ(server(kRelay2).calls(), 1u);
  EXPECT_EQ(f.counter("media_relays_up"), 2u);
}

class UnauditedRelay : public ExternalRelay {
 protected:
  UnauditedRelay() : ExternalRelay(unaudited()) {}
  static ProxyConfig unaudited() {
    auto c = external_config({{.name = "relay1", .address = kRelay1, .secret = kSecret}});
    c.media_relay.ng_audit_interval = Duration::zero();
    return c;
  }
};

TEST_F(UnauditedRelay, WithTheAuditOffARestartGoesUnnoticedAndNoQueryIsSent) {
  register_nat(kAlice);
  register_nat(kBob);
  ASSERT_TRUE(answered_call("ext-unaudited"));
  add_relay(kRelay1, "192.0.2.1", 30000, kSecret);
  advance(30s);
  EXPECT_TRUE(byes_by_call(f).empty());
  EXPECT_EQ(f.counter("media_audit_queries"), 0u);
  EXPECT_EQ(f.counter("media_calls_open"), 1u);
}

}  // namespace
}  // namespace resproxy::routing::testing
