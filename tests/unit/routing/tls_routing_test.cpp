// TLS in the core (issue #10 point 10) on the hand clock: phones over TLS are registered and
// reached on their own connection and never in the clear; Via, Record-Route and Path name our
// TLS port; sips: keeps a sips: Record-Route; an ITSP over TLS is asked for by the name its
// certificate must carry, its refused certificate takes it down like any failed probe; and
// handshakes per untrusted source are rate limited before the runtime starts one.
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Phone kItsp{"itsp", {"198.51.100.10", 5061}, Transport::Tls};
const Address kProxyTls{"192.168.1.10", 5061};

// The OpenStream effects not yet looked at (take_sent() drops them).
std::vector<OpenStream> opens(const ProxyFixture& f) {
  std::vector<OpenStream> out;
  for (const auto& e : f.out) {
    if (const auto* o = std::get_if<OpenStream>(&e)) out.push_back(*o);
  }
  return out;
}

std::size_t closes(const ProxyFixture& f) {
  return static_cast<std::size_t>(std::count_if(f.out.begin(), f.out.end(), [](const Effect& e) {
    return std::holds_alternative<CloseStream>(e);
  }));
}

Phone tls_phone(Phone phone, std::uint64_t stream) {
  phone.transport = Transport::Tls;
  phone.stream = StreamId{stream};
  return phone;
}

TEST(TlsRouting, APhoneRegisteredOverTlsIsCalledOnItsOwnConnectionWithATlsViaAndRecordRoute) {
  ProxyFixture f;
  Phone a = tls_phone(alice(), 1);
  f.node.on_stream_opened(f.now, a.path());
  f.drain();
  f.receive(a, f.register_request(a));
  const auto ok = f.expect_one("SIP/2.0 200");
  EXPECT_EQ(ok.stream, StreamId{1});  // the answer on the connection it came on
  const auto reg = f.show_reg();
  ASSERT_EQ(reg.rows.size(), 1u);
  EXPECT_EQ(reg.rows[0].source, "192.168.1.21:5060");
  EXPECT_EQ(reg.rows[0].transport, "tls");

  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKtls1"));
  const auto invite = f.expect_one("INVITE");
  EXPECT_EQ(invite.stream, StreamId{1});
  EXPECT_TRUE(opens(f).empty());
  const auto m = parse(invite.bytes);
  EXPECT_NE(invite.bytes.find("\r\nVia: SIP/2.0/TLS 192.168.1.10:5061;branch="), std::string::npos)
      << invite.bytes;
  // Two transports, two Record-Routes (RFC 5658): the TLS one toward the callee on top.
  const auto tls_rr = invite.bytes.find("Record-Route: <sip:192.168.1.10:5061;transport=tls;lr;");
  const auto udp_rr = invite.bytes.find("Record-Route: <sip:192.168.1.10:5060;lr;");
  ASSERT_NE(tls_rr, std::string::npos) << invite.bytes;
  ASSERT_NE(udp_rr, std::string::npos) << invite.bytes;
  EXPECT_LT(tls_rr, udp_rr);
}

TEST(TlsRouting, ATlsPhoneWhoseConnectionIsGoneIsReachedOverNewTlsNeverInTheClear) {
  ProxyFixture f;
  Phone a = tls_phone(alice(), 1);
  f.node.on_stream_opened(f.now, a.path());
  f.receive(a, f.register_request(a));
  f.take_sent();
  f.node.on_stream_closed(f.now, StreamId{1}, StreamCloseReason::PeerClosed);
  f.drain();

  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKtls2"));
  const auto o = opens(f);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].transport, Transport::Tls);
  EXPECT_EQ(o[0].remote, (Address{"192.168.1.21", 5060}));  // its Contact's address
  EXPECT_EQ(o[0].local, kProxyTls);
  EXPECT_EQ(o[0].server_name, "");  // a phone has no name to check: encrypted, not verified
  const auto invite = f.expect_one("INVITE");
  EXPECT_EQ(invite.stream, o[0].stream);
}

TEST(TlsRouting, ASipsRequestUriKeepsASipsRecordRoute) {
  ProxyFixture f;
  Phone a = tls_phone(alice(), 1);
  Phone b = tls_phone(bob(), 2);
  f.node.on_stream_opened(f.now, a.path());
  f.node.on_stream_opened(f.now, b.path());
  f.receive(b, f.register_request(b));
  f.take_sent();
  f.receive(a, f.invite(a, "sips:2002@office.example", "z9hG4bKsips"));
  // Retargeted to the contact bob registered, over his TLS connection.
  const auto invite = f.expect_one("INVITE sip:2002@192.168.1.22:5062;transport=tls ");
  EXPECT_EQ(invite.stream, StreamId{2});
  // One transport: one Record-Route, sips: (RFC 3261 §16.6 step 4), no transport parameter.
  EXPECT_NE(invite.bytes.find("Record-Route: <sips:192.168.1.10:5061;lr;"), std::string::npos)
      << invite.bytes;
  EXPECT_EQ(invite.bytes.find("Record-Route: <sip:"), std::string::npos);
}

TEST(TlsRouting, ASipsUriWithoutAPortIsOursOnTheTlsPortAndAnotherHostsOn5061) {
  ProxyFixture f;
  Phone a = tls_phone(alice(), 1);
  f.node.on_stream_opened(f.now, a.path());
  f.drain();
  // A trusted phone's request to an address it names: TLS by the sips: scheme, port 5061.
  f.receive(a, f.invite(a, "sips:9000@192.168.1.50", "z9hG4bKsips2"));
  const auto o = opens(f);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].transport, Transport::Tls);
  EXPECT_EQ(o[0].remote, (Address{"192.168.1.50", 5061}));
  // transport=tls on a sip: URI: the same.
  f.take_sent();
  f.receive(a, f.invite(a, "sip:9001@192.168.1.51;transport=tls", "z9hG4bKtlsp"));
  const auto o2 = opens(f);
  ASSERT_EQ(o2.size(), 1u);
  EXPECT_EQ(o2[0].transport, Transport::Tls);
  EXPECT_EQ(o2[0].remote, (Address{"192.168.1.51", 5061}));
}

ProxyConfig tls_itsp_config() {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = ProxyMode::ForwardItsp;
  ItspTarget t;
  t.name = "itsp.example";
  t.destination = transport::Destination{Transport::Tls, kItsp.address, StreamId{}, "itsp.example"};
  c.itsp.monitor.targets.push_back(t);
  c.itsp.monitor.probe_timeout = 1s;
  c.itsp.monitor.health.probe_interval = 30s;
  c.itsp.monitor.health.probe_interval_down = 5s;
  c.itsp.monitor.health.failures_to_down = 2;
  return c;
}

TEST(TlsRouting, TheItspOverTlsIsAskedForByTheNameItsCertificateMustCarry) {
  ProxyFixture f(tls_itsp_config());
  f.advance(1ms);
  const auto o = opens(f);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].transport, Transport::Tls);
  EXPECT_EQ(o[0].remote, kItsp.address);
  EXPECT_EQ(o[0].server_name, "itsp.example");
  EXPECT_EQ(o[0].local, kProxyTls);
  const auto probe = f.expect_one("OPTIONS");
  EXPECT_EQ(probe.stream, o[0].stream);
  EXPECT_NE(probe.bytes.find("Via: SIP/2.0/TLS 192.168.1.10:5061;"), std::string::npos) << probe.bytes;

  // Connected: the probe is answered on it; a phone's REGISTER goes the same way, with a Path
  // back to our TLS port.
  Phone itsp = kItsp;
  itsp.stream = o[0].stream;
  f.node.on_stream_opened(f.now, Path{Transport::Tls, kProxyTls, kItsp.address, o[0].stream});
  f.receive(itsp, sip::make_response(parse(probe.bytes), 200, "OK", "itsp"));
  f.take_sent();
  f.receive(alice(), f.register_request(alice()));
  const auto reg = f.expect_one("REGISTER");
  EXPECT_EQ(reg.stream, o[0].stream);
  EXPECT_NE(reg.bytes.find("\r\nPath: <sip:192.168.1.10:5061;transport=tls;lr>\r\n"),
            std::string::npos)
      << reg.bytes;

  // The ITSP closes the connection; a BYE along its TLS Record-Route opens a new connection,
  // verified by the same name (an in-dialog request is no reason to trust a stranger).
  f.node.on_stream_closed(f.now, o[0].stream, StreamCloseReason::PeerClosed);
  f.drain();
  const std::string bye = sip::make_request(
      "BYE", "sip:+4930123@198.51.100.10:5061;transport=tls",
      {{"Via", alice().via("z9hG4bKbye1")},
       {"Max-Forwards", "70"},
       {"Route", "<sip:198.51.100.10:5061;transport=tls;lr>"},
       {"From", "<sip:2001@office.example>;tag=a1"},
       {"To", "<sip:+4930123@office.example>;tag=b1"},
       {"Call-ID", "tls-bye-1"},
       {"CSeq", "2 BYE"}});
  f.receive(alice(), bye);
  const auto o2 = opens(f);
  ASSERT_EQ(o2.size(), 1u);
  EXPECT_EQ(o2[0].transport, Transport::Tls);
  EXPECT_EQ(o2[0].server_name, "itsp.example");
}

TEST(TlsRouting, AnItspWhoseCertificateIsRefusedGoesDownLikeAnyFailedProbe) {
  ProxyFixture f(tls_itsp_config());
  for (int i = 0; i < 8 && !f.node.in_failure_operation(); ++i) {
    f.advance(i == 0 ? 1ms : 5s);
    for (const auto& o : opens(f)) f.node.on_stream_closed(f.now, o.stream, StreamCloseReason::TlsFailed);
    f.drain();
    f.take_sent();
  }
  EXPECT_TRUE(f.node.in_failure_operation());
  EXPECT_GE(f.node.transport().counters().tls_failures, 2u);
  // Failure operation: the office keeps working locally.
  f.receive(alice(), f.register_request(alice()));
  f.expect_one("SIP/2.0 200");
}

ProxyConfig handshake_config() {
  ProxyConfig c = ProxyFixture::default_config();
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.tls_handshakes_per_minute = 60;  // 1/s, bursts of 6
  return c;
}

TEST(TlsRouting, HandshakesPerUntrustedSourceAreLimitedBeforeTheRuntimeStartsOne) {
  ProxyFixture f(handshake_config());
  std::uint64_t id = 0;
  const auto connect = [&](const std::string& ip, Transport t = Transport::Tls) {
    ++id;
    const Address local = t == Transport::Tls ? kProxyTls : kProxy;
    f.node.on_stream_opened(f.now, Path{t, local, {ip, static_cast<std::uint16_t>(40000 + id)}, StreamId{id}});
    f.drain();
    const bool refused = closes(f) > 0;
    f.out.clear();
    // Closed by the peer afterwards: the per-source connection cap is not what is tested.
    f.node.on_stream_closed(f.now, StreamId{id}, StreamCloseReason::PeerClosed);
    f.drain();
    return !refused;
  };
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(connect("203.0.113.9")) << i;  // the burst
  EXPECT_FALSE(connect("203.0.113.9"));
  EXPECT_EQ(f.node.transport().counters().tls_handshakes_refused, 1u);
  EXPECT_TRUE(connect("203.0.113.10"));                 // another source has its own budget
  EXPECT_TRUE(connect("203.0.113.9", Transport::Tcp));  // plain TCP costs no handshake
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(connect("192.168.1.22")) << i;  // the office: exempt
  f.now += 1s;                                        // one more token a second
  EXPECT_TRUE(connect("203.0.113.9"));
  EXPECT_FALSE(connect("203.0.113.9"));
  // An IPv6 host is one source per /64, whatever address it takes.
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(connect("2001:db8:5:6::" + std::to_string(i + 1)));
  EXPECT_FALSE(connect("2001:db8:5:6::99"));
}

}  // namespace
}  // namespace resproxy::routing::testing
