// The relay's ng control server (proxy/media/ng/ng_server.h) as an ng client sees it: offer and
// answer rewrite the SDP to the relay's ports and the media then flows through them; re-offers
// from either side, delete with statistics, query, list; admission (untrusted plain ng refused,
// signed ng verified and answered signed, a retransmission answered from the cache and not run
// twice); exhaustion and timeouts answered and cleaned up; and RelayNode's effects.
#include "proxy/media/ng/ng_server.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "proxy/media/ng/ng_client.h"
#include "proxy/media/ng/relay_node.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/sdp_rewrite.h"
#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kUnix = 1'800'000'000;
const Address kProxy{"127.0.0.1", 5060};        // the ng client (trusted)
const Address kStranger{"198.51.100.66", 4000};  // not trusted
const Address kPhoneA{"192.0.2.10", 40000};
const Address kPhoneB{"203.0.113.20", 50000};

std::string sdp_at(const Address& a, std::string_view direction = "sendrecv") {
  return "v=0\r\no=- 1 1 IN IP4 " + a.ip + "\r\ns=-\r\nc=IN IP4 " + a.ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(a.port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=" + std::string(direction) + "\r\n";
}

// The first m= line's connection address and port of an SDP text.
Address media_of(std::string_view sdp_text) {
  auto sdp = sip::Sdp::parse(sdp_text);
  EXPECT_TRUE(sdp.has_value());
  if (!sdp) return {};
  const auto streams = sip::media_streams(*sdp);
  EXPECT_FALSE(streams.empty());
  if (streams.empty()) return {};
  return Address{streams[0].address, streams[0].port};
}

std::string rtp(std::uint16_t seq) {
  std::string p(172, '\0');
  p[0] = static_cast<char>(0x80);
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq & 0xff);
  p[8] = 0x11;  // SSRC
  return p;
}

struct Fixture {
  SeededRng rng{7};
  TimePoint now{std::chrono::seconds(100)};
  int cookies = 0;

  static NgServerConfig config(std::size_t max_sessions = 100) {
    NgServerConfig c;
    c.relay.ipv4_address = "192.0.2.1";
    c.relay.ipv4_ports = relay::PortRange{30000, 30099};
    c.relay.inactivity_timeout = 20s;
    c.relay.max_sessions = max_sessions;
    c.trusted = {*IpRange::parse("127.0.0.0/8")};
    return c;
  }
  Duration wall() const { return std::chrono::seconds(kUnix) + (now.time_since_epoch() - std::chrono::seconds(100)); }

  // Sends a request from `source`; the reply's dictionary (a failed parse fails the test).
  Dict request(NgServer& s, Dict d, const Address& source = kProxy) {
    const std::string cookie = "c" + std::to_string(++cookies);
    const auto reply = s.on_control(now, wall(), source, build_datagram(cookie, d));
    EXPECT_TRUE(reply.has_value());
    if (!reply) return {};
    auto parsed = parse_datagram(*reply);
    EXPECT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->cookie, cookie);
    return parsed ? parsed->dict : Dict{};
  }
  static std::string result(const Dict& d) {
    const Value* v = d.find("result");
    return v != nullptr && v->string() != nullptr ? *v->string() : "";
  }
  static std::string text(const Dict& d, std::string_view key) {
    const Value* v = d.find(key);
    return v != nullptr && v->string() != nullptr ? *v->string() : "";
  }
  Dict offer(NgServer& s, const std::string& call, const Address& media) {
    return request(s, Dict{{"command", "offer"}, {"call-id", call}, {"from-tag", "ta"}, {"sdp", sdp_at(media)}});
  }
  Dict answer(NgServer& s, const std::string& call, const Address& media) {
    return request(s, Dict{{"command", "answer"}, {"call-id", call}, {"from-tag", "ta"}, {"to-tag", "tb"},
                           {"sdp", sdp_at(media)}});
  }
};

TEST(NgServer, OfferAndAnswerPointEachSideAtTheRelayAndMediaFlowsThroughIt) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  const Dict o = f.offer(s, "call-1", kPhoneA);
  ASSERT_EQ(Fixture::result(o), "ok") << Fixture::text(o, "error-reason");
  const Address toward_b = media_of(Fixture::text(o, "sdp"));
  EXPECT_EQ(toward_b.ip, "192.0.2.1");
  EXPECT_GE(toward_b.port, 30000);
  const Dict a = f.answer(s, "call-1", kPhoneB);
  ASSERT_EQ(Fixture::result(a), "ok");
  const Address toward_a = media_of(Fixture::text(a, "sdp"));
  EXPECT_EQ(toward_a.ip, "192.0.2.1");
  EXPECT_NE(toward_a.port, toward_b.port);
  // Both ports and their RTCP neighbours are bound, nothing else.
  const auto changes = s.take_port_changes();
  EXPECT_EQ(changes.size(), 4u);
  for (const auto& c : changes) EXPECT_TRUE(c.open);

  // A's RTP to the port in A's SDP answer goes to B's signalled address, from B's port.
  const auto to_b = s.on_packet(f.now, toward_a, kPhoneA, rtp(1));
  ASSERT_TRUE(to_b.has_value());
  EXPECT_EQ(to_b->to, kPhoneB);
  EXPECT_EQ(to_b->from, toward_b);
  const auto to_a = s.on_packet(f.now, toward_b, kPhoneB, rtp(1));
  ASSERT_TRUE(to_a.has_value());
  EXPECT_EQ(to_a->to, kPhoneA);
  // A stranger on A's port is not forwarded (the latch).
  f.now += 5s;
  EXPECT_FALSE(s.on_packet(f.now, toward_a, Address{"198.51.100.9", 1234}, rtp(2)).has_value());
}

TEST(NgServer, ReOfferFromTheCalleeUpdatesItsSideAndAnswersPointTheOtherWay) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  const Address toward_b = media_of(Fixture::text(f.offer(s, "call-1", kPhoneA), "sdp"));
  const Address toward_a = media_of(Fixture::text(f.answer(s, "call-1", kPhoneB), "sdp"));
  // B's re-INVITE (hold): from-tag is B's; the SDP sent to A names A's relay port.
  const Address moved{"203.0.113.21", 50002};
  const Dict re = f.request(s, Dict{{"command", "offer"}, {"call-id", "call-1"}, {"from-tag", "tb"},
                                    {"to-tag", "ta"}, {"sdp", sdp_at(moved, "sendonly")}});
  ASSERT_EQ(Fixture::result(re), "ok") << Fixture::text(re, "error-reason");
  EXPECT_EQ(media_of(Fixture::text(re, "sdp")), toward_a);
  EXPECT_NE(Fixture::text(re, "sdp").find("a=sendonly"), std::string::npos);
  // A's answer to it: from-tag B, to-tag A; the SDP sent to B names B's relay port.
  const Dict ans = f.request(s, Dict{{"command", "answer"}, {"call-id", "call-1"}, {"from-tag", "tb"},
                                     {"to-tag", "ta"}, {"sdp", sdp_at(kPhoneA, "recvonly")}});
  ASSERT_EQ(Fixture::result(ans), "ok") << Fixture::text(ans, "error-reason");
  EXPECT_EQ(media_of(Fixture::text(ans, "sdp")), toward_b);
  // A's media now goes to B's new address.
  const auto fwd = s.on_packet(f.now, toward_a, kPhoneA, rtp(1));
  ASSERT_TRUE(fwd.has_value());
  EXPECT_EQ(fwd->to, moved);
  EXPECT_EQ(s.calls(), 1u);
}

TEST(NgServer, VideoAddedByAReOfferGetsPortsOfItsOwnAndFlows) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  (void)f.offer(s, "call-1", kPhoneA);
  (void)f.answer(s, "call-1", kPhoneB);
  (void)s.take_port_changes();
  const std::string video = "m=video 50010 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  const Dict re = f.request(s, Dict{{"command", "offer"}, {"call-id", "call-1"}, {"from-tag", "tb"},
                                    {"to-tag", "ta"}, {"sdp", sdp_at(kPhoneB) + video}});
  ASSERT_EQ(Fixture::result(re), "ok") << Fixture::text(re, "error-reason");
  auto offered = sip::Sdp::parse(Fixture::text(re, "sdp"));
  ASSERT_TRUE(offered.has_value());
  const auto lines = sip::media_streams(*offered);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].address, "192.0.2.1");
  EXPECT_NE(lines[1].port, lines[0].port);
  EXPECT_EQ(s.take_port_changes().size(), 4u);
  const std::string a_video = "m=video 40010 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
  const Dict ans = f.request(s, Dict{{"command", "answer"}, {"call-id", "call-1"}, {"from-tag", "tb"},
                                     {"to-tag", "ta"}, {"sdp", sdp_at(kPhoneA) + a_video}});
  ASSERT_EQ(Fixture::result(ans), "ok") << Fixture::text(ans, "error-reason");
  auto answered = sip::Sdp::parse(Fixture::text(ans, "sdp"));
  ASSERT_TRUE(answered.has_value());
  const auto back = sip::media_streams(*answered);
  ASSERT_EQ(back.size(), 2u);
  // A's video to the port of the re-offer A received reaches B's video address.
  const auto fwd = s.on_packet(f.now, Address{"192.0.2.1", lines[1].port}, Address{kPhoneA.ip, 40010}, rtp(1));
  ASSERT_TRUE(fwd.has_value());
  EXPECT_EQ(fwd->to, (Address{kPhoneB.ip, 50010}));
  EXPECT_EQ(fwd->from, (Address{"192.0.2.1", back[1].port}));
}

TEST(NgServer, DeleteReturnsTheStatisticsAndClosesEveryPort) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  const Address toward_b = media_of(Fixture::text(f.offer(s, "call-1", kPhoneA), "sdp"));
  const Address toward_a = media_of(Fixture::text(f.answer(s, "call-1", kPhoneB), "sdp"));
  (void)s.take_port_changes();
  for (std::uint16_t i = 0; i < 10; ++i) (void)s.on_packet(f.now, toward_a, kPhoneA, rtp(i));
  (void)toward_b;
  const Dict q = f.request(s, Dict{{"command", "query"}, {"call-id", "call-1"}});
  ASSERT_EQ(Fixture::result(q), "ok");
  const Value* totals = q.find("totals");
  ASSERT_NE(totals, nullptr);
  ASSERT_NE(totals->dict(), nullptr);
  const Value* rtp_totals = totals->dict()->find("RTP");
  ASSERT_NE(rtp_totals, nullptr);
  ASSERT_NE(rtp_totals->dict()->find("packets")->integer(), nullptr);
  EXPECT_EQ(*rtp_totals->dict()->find("packets")->integer(), 10);

  const Dict list = f.request(s, Dict{{"command", "list"}});
  ASSERT_NE(list.find("calls"), nullptr);
  EXPECT_EQ(list.find("calls")->list()->size(), 1u);

  const Dict d = f.request(s, Dict{{"command", "delete"}, {"call-id", "call-1"}, {"from-tag", "ta"}});
  ASSERT_EQ(Fixture::result(d), "ok");
  EXPECT_NE(d.find("totals"), nullptr);
  EXPECT_EQ(s.calls(), 0u);
  const auto changes = s.take_port_changes();
  EXPECT_EQ(changes.size(), 4u);
  for (const auto& c : changes) EXPECT_FALSE(c.open);
  EXPECT_FALSE(s.on_packet(f.now, toward_a, kPhoneA, rtp(11)).has_value());
  // A second delete: rtpengine's error.
  EXPECT_EQ(Fixture::result(f.request(s, Dict{{"command", "delete"}, {"call-id", "call-1"}, {"from-tag", "ta"}})),
            "error");
}

TEST(NgServer, PlainNgFromAnUntrustedSourceIsRefusedAndCreatesNothing) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  const Dict o = f.request(s, Dict{{"command", "offer"}, {"call-id", "x"}, {"from-tag", "ta"}, {"sdp", sdp_at(kPhoneA)}},
                           kStranger);
  EXPECT_EQ(Fixture::result(o), "error");
  EXPECT_EQ(Fixture::text(o, "error-reason"), "Authentication required");
  EXPECT_EQ(s.calls(), 0u);
  EXPECT_TRUE(s.take_port_changes().empty());
  EXPECT_EQ(s.counters().refused_untrusted, 1u);
}

TEST(NgServer, SignedControlIsVerifiedAnsweredSignedAndNotRunTwice) {
  Fixture f;
  NgServerConfig c = Fixture::config();
  c.secret = "shared secret";
  c.trusted.clear();
  NgServer s(c, native::openssl_crypto(), f.rng);
  SeededRng client_rng{99};
  NgSigner signer("shared secret", native::openssl_crypto(), client_rng);
  Dict offer{{"command", "offer"}, {"call-id", "x"}, {"from-tag", "ta"}, {"sdp", sdp_at(kPhoneA)}};
  ASSERT_TRUE(signer.sign("k1", offer, f.wall()));
  const std::string datagram = build_datagram("k1", offer);
  const auto reply = s.on_control(f.now, f.wall(), kStranger, datagram);
  ASSERT_TRUE(reply.has_value());
  auto parsed = parse_datagram(*reply);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(Fixture::result(parsed->dict), "ok");
  // The reply is signed under the request's cookie.
  EXPECT_TRUE(check_signature("shared secret", native::openssl_crypto(), "k1", parsed->dict, f.wall(), 30s));
  EXPECT_FALSE(check_signature("shared secret", native::openssl_crypto(), "k2", parsed->dict, f.wall(), 30s));
  EXPECT_EQ(s.calls(), 1u);
  const auto ports = s.take_port_changes().size();
  // The client's retransmission: the same bytes back, nothing run again.
  f.now += 1s;
  const auto again = s.on_control(f.now, f.wall(), kStranger, datagram);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *reply);
  EXPECT_EQ(s.counters().retransmissions, 1u);
  EXPECT_TRUE(s.take_port_changes().empty());
  EXPECT_GT(ports, 0u);
  // The same datagram from another source (a replay): refused.
  const auto replay = s.on_control(f.now, f.wall(), Address{"198.51.100.67", 4000}, datagram);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(Fixture::text(parse_datagram(*replay)->dict, "error-reason"), "Replayed message");
  // Unsigned from anywhere: refused (no trusted list).
  EXPECT_EQ(Fixture::result(f.request(s, Dict{{"command", "ping"}}, kProxy)), "error");
  EXPECT_EQ(s.counters().refused_auth, 1u);
}

TEST(NgServer, ARefusedRequestIsNotCachedSoTheRealClientStillGetsItsAnswer) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  // A stranger spoofing the client's address cannot be told apart by address; but a stranger
  // from elsewhere using the client's next cookie plants nothing.
  const std::string cookie = "next-cookie";
  (void)s.on_control(f.now, f.wall(), kStranger, build_datagram(cookie, Dict{{"command", "ping"}}));
  const auto real = s.on_control(f.now, f.wall(), kProxy, build_datagram(cookie, Dict{{"command", "ping"}}));
  ASSERT_TRUE(real.has_value());
  EXPECT_EQ(Fixture::result(parse_datagram(*real)->dict), "pong");
}

TEST(NgServer, DatagramsWithoutACookieGetNoReplyAndBadBodiesAnError) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  EXPECT_FALSE(s.on_control(f.now, f.wall(), kProxy, "no-space-here").has_value());
  EXPECT_FALSE(s.on_control(f.now, f.wall(), kProxy, "").has_value());
  const auto bad = s.on_control(f.now, f.wall(), kProxy, "c1 d7:command");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(Fixture::result(parse_datagram(*bad)->dict), "error");
  EXPECT_EQ(Fixture::result(f.request(s, Dict{{"command", "offer"}, {"call-id", "x"}, {"from-tag", "t"},
                                              {"sdp", "not an sdp"}})),
            "error");
  EXPECT_EQ(Fixture::result(f.request(s, Dict{{"command", "offer"}, {"call-id", "x"}, {"from-tag", "t"},
                                              {"sdp", sdp_at(kPhoneA)}, {"rtpp-flags", "replace-origin"}})),
            "error");
  EXPECT_EQ(Fixture::text(f.request(s, Dict{{"command", "transcode"}}), "error-reason"), "Unrecognized command");
  EXPECT_EQ(s.calls(), 0u);
}

TEST(NgServer, AFullPoolIsAnsweredWithAnErrorAndLeavesNoHalfCall) {
  Fixture f;
  NgServerConfig c = Fixture::config();
  c.relay.ipv4_ports = relay::PortRange{30000, 30007};  // 4 pairs: two calls
  NgServer s(c, native::openssl_crypto(), f.rng);
  EXPECT_EQ(Fixture::result(f.offer(s, "call-1", kPhoneA)), "ok");
  EXPECT_EQ(Fixture::result(f.offer(s, "call-2", kPhoneA)), "ok");
  const Dict third = f.offer(s, "call-3", kPhoneA);
  EXPECT_EQ(Fixture::result(third), "error");
  EXPECT_EQ(Fixture::text(third, "error-reason"), "Ran out of ports");
  EXPECT_EQ(s.calls(), 2u);
}

TEST(NgServer, AnAnsweredCallSilentForTheTimeoutIsRemovedWithItsPorts) {
  Fixture f;
  NgServer s(Fixture::config(), native::openssl_crypto(), f.rng);
  (void)f.offer(s, "call-1", kPhoneA);
  (void)f.answer(s, "call-1", kPhoneB);
  (void)s.take_port_changes();
  ASSERT_TRUE(s.next_deadline().has_value());
  f.now = *s.next_deadline();
  s.on_deadline(f.now);
  while (s.next_deadline() && *s.next_deadline() <= f.now + 20s) {
    f.now = *s.next_deadline();
    s.on_deadline(f.now);
  }
  EXPECT_EQ(s.calls(), 0u);
  EXPECT_EQ(s.counters().calls_timed_out, 1u);
  EXPECT_EQ(s.take_port_changes().size(), 4u);
}

TEST(RelayNode, RepliesFromTheControlSocketAndOpensPortsBeforeTheReply) {
  Fixture f;
  RelayNode node(Fixture::config(), native::openssl_crypto(), f.rng);
  node.on_wall_clock(f.now, f.wall());
  const Path path{.transport = Transport::Udp, .local = Address{"127.0.0.1", 2223}, .remote = kProxy};
  node.on_datagram(f.now, path,
                   build_datagram("c1", Dict{{"command", "offer"}, {"call-id", "x"}, {"from-tag", "ta"},
                                             {"sdp", sdp_at(kPhoneA)}}));
  int opened = 0;
  bool replied = false;
  Address first_port;
  while (auto e = node.next_effect()) {
    if (const auto* open = std::get_if<OpenMediaPort>(&*e)) {
      EXPECT_FALSE(replied) << "a port opened after the reply";
      EXPECT_EQ(open->dscp, 46);
      if (opened++ == 0) first_port = open->local;
    } else if (const auto* send = std::get_if<SendDatagram>(&*e)) {
      EXPECT_EQ(send->local, path.local);
      EXPECT_EQ(send->remote, kProxy);
      EXPECT_TRUE(send->bytes.starts_with("c1 "));
      replied = true;
    }
  }
  EXPECT_EQ(opened, 4);
  EXPECT_TRUE(replied);
  // A port the runtime could not bind: the call goes, its other ports close.
  std::string logged;
  node.set_port_failure_log([&](const Address& local, std::string_view error) {
    logged = local.to_string() + " " + std::string(error);
  });
  node.on_completion(f.now, MediaPortFailed{first_port, "address in use"});
  EXPECT_EQ(logged, first_port.to_string() + " address in use");
  EXPECT_EQ(node.server().calls(), 0u);
  int closed = 0;
  while (auto e = node.next_effect()) closed += std::holds_alternative<CloseMediaPort>(*e) ? 1 : 0;
  EXPECT_EQ(closed, 4);
  node.on_command(f.now, AdminCommand{7, admin::ShowCounters{}});
  bool counters = false;
  while (auto e = node.next_effect()) {
    if (const auto* reply = std::get_if<CommandReply>(&*e)) {
      EXPECT_EQ(reply->id, 7u);
      counters = std::holds_alternative<admin::Counters>(reply->result);
    }
  }
  EXPECT_TRUE(counters);
}

}  // namespace
}  // namespace resproxy::media::ng

namespace resproxy::media::ng {
namespace {

// resproxy's client (ng_client.h) against our own server, signed both ways, datagrams carried by
// hand: an offer and an answer go through, a reply the server signed is taken, and a relay that
// stops answering is marked down while the other keeps the new calls.
TEST(NgClientAndServer, SignedOfferAndAnswerRoundTripAndADeadRelayLosesTheNewCalls) {
  SeededRng server_rng{1};
  SeededRng client_rng{2};
  const Crypto& crypto = native::openssl_crypto();
  NgServerConfig sc = Fixture::config();
  sc.secret = "s3";
  sc.trusted.clear();
  NgServer server(sc, crypto, server_rng);
  const Address relay1{"127.0.0.1", 2223};
  const Address relay2{"127.0.0.1", 2224};  // never answers
  const Address us{"127.0.0.1", 5060};
  NgClientConfig cc;
  cc.relays = {RelayTarget{"one", relay1, 1, "s3"}, RelayTarget{"two", relay2, 1, "s3"}};
  cc.retransmit_interval = 500ms;
  cc.max_tries = 2;
  NgClient client(cc, crypto, client_rng);
  TimePoint now{std::chrono::seconds(100)};
  const auto wall = [&] { return std::chrono::seconds(kUnix) + now.time_since_epoch(); };
  client.start(now);
  const auto pump = [&] {
    for (auto& d : client.take_datagrams()) {
      if (d.to != relay1) continue;  // relay two is dead
      if (auto reply = server.on_control(now, wall(), us, d.bytes)) client.on_datagram(now, wall(), relay1, *reply);
    }
  };
  // Pings go out at start; relay two times out and goes down.
  for (int i = 0; i < 10 && client.next_deadline(); ++i) {
    pump();
    now = std::max(now, *client.next_deadline());
    client.on_deadline(now, wall());
    if (!client.is_up(1)) break;
  }
  pump();
  EXPECT_TRUE(client.is_up(0));
  EXPECT_FALSE(client.is_up(1));
  EXPECT_EQ(client.take_relays_down(), std::vector<RelayIndex>{1});
  // Every new call goes to relay one now.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.pick(), std::optional<RelayIndex>{0});

  (void)client.take_outcomes();
  const RequestId offer = client.send(now, wall(), 0,
                                      Dict{{"command", "offer"}, {"call-id", "c"}, {"from-tag", "ta"},
                                           {"sdp", sdp_at(kPhoneA)}});
  pump();
  auto outcomes = client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, offer);
  ASSERT_TRUE(outcomes[0].reply.has_value()) << outcomes[0].error_reason;
  ASSERT_TRUE(outcomes[0].reply->sdp.has_value());
  EXPECT_EQ(media_of(*outcomes[0].reply->sdp).ip, "192.0.2.1");
  (void)client.send(now, wall(), 0,
                    Dict{{"command", "answer"}, {"call-id", "c"}, {"from-tag", "ta"}, {"to-tag", "tb"},
                         {"sdp", sdp_at(kPhoneB)}});
  pump();
  outcomes = client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].reply.has_value()) << outcomes[0].error_reason;
  EXPECT_EQ(server.calls(), 1u);
  EXPECT_EQ(server.counters().refused_auth, 0u);
}

}  // namespace
}  // namespace resproxy::media::ng
