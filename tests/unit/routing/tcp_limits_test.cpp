// TCP limits (issue #10 point 5) on the hand clock: num_sockets and a per-source cap (untrusted
// sources only) refuse connections at once; a connection with no complete message within the
// header timeout, and an untrusted one idle with no registration on it, are closed; the
// office's own and registered connections stay.
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy/native/openssl_crypto.h"
#include "proxy/security/digest.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

ProxyConfig config() {
  ProxyConfig c = ProxyFixture::default_config();
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.num_sockets = 60;
  return c;
}

std::size_t closes(const ProxyFixture& f, std::uint64_t stream = 0) {
  return static_cast<std::size_t>(std::count_if(f.out.begin(), f.out.end(), [&](const Effect& e) {
    const auto* c = std::get_if<CloseStream>(&e);
    return c != nullptr && (stream == 0 || c->stream.value == stream);
  }));
}

void open(ProxyFixture& f, const Address& from, std::uint64_t id) {
  f.node.on_stream_opened(f.now, Path{Transport::Tcp, kProxy, from, StreamId{id}});
  f.drain();
}

TEST(TcpLimits, AnUntrustedAddressGetsEightConnectionsTheOfficeIsNotCapped) {
  ProxyFixture f(config());
  for (std::uint64_t i = 1; i <= 10; ++i) open(f, {"203.0.113.66", static_cast<std::uint16_t>(40000 + i)}, i);
  EXPECT_EQ(closes(f), 2u);  // accepted and closed at once: the 9th and 10th
  EXPECT_EQ(closes(f, 9), 1u);
  EXPECT_EQ(closes(f, 10), 1u);
  f.out.clear();
  for (std::uint64_t i = 11; i <= 30; ++i) open(f, {"192.168.1.22", static_cast<std::uint16_t>(40000 + i)}, i);
  EXPECT_EQ(closes(f), 0u);
  // A closed connection frees its place.
  f.node.on_stream_closed(f.now, StreamId{1}, StreamCloseReason::PeerClosed);
  open(f, {"203.0.113.66", 41000}, 31);
  EXPECT_EQ(closes(f), 0u);
}

TEST(TcpLimits, AnIpv6SourceIsCappedPerSlash64) {
  ProxyFixture f(config());
  // One host rotating through its privacy addresses is one source.
  for (std::uint64_t i = 1; i <= 10; ++i) {
    open(f, {"2001:db8:1:2::" + std::to_string(i), 5060}, i);
  }
  EXPECT_EQ(closes(f), 2u);
  f.out.clear();
  open(f, {"2001:db8:1:3::1", 5060}, 11);  // another /64
  EXPECT_EQ(closes(f), 0u);
  // Closing one frees a place for the whole /64.
  f.node.on_stream_closed(f.now, StreamId{3}, StreamCloseReason::PeerClosed);
  open(f, {"2001:db8:1:2::99", 5060}, 12);
  EXPECT_EQ(closes(f), 0u);
}

TEST(TcpLimits, NumSocketsCapsInboundConnectionsInAll) {
  ProxyFixture f(config());  // num_sockets 60
  std::uint64_t id = 0;
  for (int source = 0; source < 10; ++source) {
    for (int i = 0; i < 8; ++i) open(f, {"203.0.113." + std::to_string(source + 1), static_cast<std::uint16_t>(40000 + i)}, ++id);
  }
  EXPECT_EQ(closes(f), 80u - 60u);
}

TEST(TcpLimits, AConnectionWithoutACompleteMessageIsClosedAfterTheHeaderTimeout) {
  ProxyFixture f(config());
  open(f, {"203.0.113.66", 40001}, 1);  // says nothing
  open(f, {"203.0.113.66", 40002}, 2);  // half a request, then nothing
  f.node.on_stream_data(f.now, StreamId{2}, "INVITE sip:0900@office.example SIP/2.0\r\nVia: SIP/2.0/TCP 203.0.113.66");
  f.drain();
  f.advance(std::chrono::seconds(4));
  EXPECT_EQ(closes(f), 0u);
  f.advance(std::chrono::seconds(2));
  EXPECT_EQ(closes(f, 1), 1u);
  EXPECT_EQ(closes(f, 2), 1u);
}

TEST(TcpLimits, AnIdleUntrustedConnectionIsClosedARegisteredOneIsNot) {
  auto c = config();
  c.auth_users.push_back({"6666", "s3cret"});
  ProxyFixture f(c);
  // A stranger that sent one complete request (answered), then nothing.
  Phone idle{"7777", {"203.0.113.7", 40005}};
  f.open_tcp(idle, 5);
  f.receive(idle, sip::make_request("OPTIONS", "sip:office.example",
                                    {{"Via", idle.via("z9hG4bKo1")}, {"Max-Forwards", "70"},
                                     {"From", "<sip:7777@office.example>;tag=1"},
                                     {"To", "<sip:office.example>"}, {"Call-ID", "o1"},
                                     {"CSeq", "1 OPTIONS"}}));
  // An untrusted phone that registers over its connection with digest credentials.
  Phone remote{"6666", {"203.0.113.5", 40003}};
  f.open_tcp(remote, 3);
  const std::string reg = f.register_request(remote);
  f.take_sent();
  f.receive(remote, reg);
  auto challenge = parse(f.expect_one("SIP/2.0 401").bytes);
  auto answer = security::answer_challenge(native::openssl_crypto(), 
      std::string(challenge.first(sip::HeaderId::WwwAuthenticate)->value), "REGISTER",
      "sip:office.example", "6666", "s3cret", "c", 1);
  ASSERT_TRUE(answer.has_value());
  std::string with_auth = f.register_request(remote);
  with_auth.insert(with_auth.find("\r\n\r\n"), "\r\nAuthorization: " + *answer);
  f.receive(remote, with_auth);
  f.expect_one("SIP/2.0 200");
  f.out.clear();
  f.advance(std::chrono::seconds(30));
  EXPECT_EQ(closes(f), 0u);
  f.advance(std::chrono::seconds(35));
  EXPECT_EQ(closes(f, 5), 1u);  // idle 60 s, nothing lives on it
  EXPECT_EQ(closes(f, 3), 0u);  // a registration does
}

}  // namespace
}  // namespace resproxy::routing::testing
