// The loop stage alone (stages/loop_stage.h): RFC 3261 §16.3 step 4 — a loop is our own Via
// with this very request's hash; a spiral (the request changed) and other proxies' Vias go on.
#include "proxy/routing/stages/loop_stage.h"

#include "proxy/routing/forwarding.h"
#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

const std::string kPhoneVia = "SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bKphone1;rport";

struct LoopFixture {
  Address local = kProxy;
  std::uint16_t tls_port = 5061;
  std::string nat_outside_address;
  OurVias us{local, tls_port, nat_outside_address};
  ProxyCounters counters;
  LoopStage stage{us, counters};

  // The branch we wrote when we forwarded this request the first time (edits_for).
  std::string our_branch(std::string_view ruri) const {
    auto first = parse(request_text("INVITE", ruri, kPhone, {}, {}, kPhoneVia));
    return "z9hG4bK" + loop_hash(first, us) + ".a1b2c3d4";
  }
};

// The request as it comes back to us: our Via (`transport host:port`) on top of the phone's.
std::string came_back(std::string_view ruri, std::string_view our_via) {
  return request_text("INVITE", ruri, kPhone, {{"Max-Forwards", "68"}}, {},
                      std::string(our_via) + ", " + kPhoneVia);
}

TEST(LoopStage, OurViaWithThisRequestsHashIsALoop) {
  LoopFixture f;
  StageInput in(came_back("sip:2002@office.example",
                          "SIP/2.0/UDP 192.168.1.10:5060;branch=" + f.our_branch("sip:2002@office.example")),
                udp_from(kPhone));
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 482);
  EXPECT_EQ(f.counters.loops, 1u);
}

TEST(LoopStage, OurViaWithAnotherHashIsASpiralAndGoesOn) {
  LoopFixture f;
  // Retargeted after it left us (another Request-URI): the hash differs.
  StageInput in(came_back("sip:2003@office.example",
                          "SIP/2.0/UDP 192.168.1.10:5060;branch=" + f.our_branch("sip:2002@office.example")),
                udp_from(kPhone));
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  EXPECT_EQ(f.counters.loops, 0u);
}

TEST(LoopStage, TheSameBranchFromAnotherHostOrPortIsNotOurs) {
  LoopFixture f;
  const std::string branch = f.our_branch("sip:2002@office.example");
  for (std::string via :
       {"SIP/2.0/UDP 192.168.1.11:5060;branch=" + branch, "SIP/2.0/UDP 192.168.1.10:5070;branch=" + branch,
        "SIP/2.0/UDP 192.168.1.10:5061;branch=" + branch}) {
    SCOPED_TRACE(via);
    StageInput in(came_back("sip:2002@office.example", via), udp_from(kPhone));
    EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  }
}

TEST(LoopStage, OurViaWithoutAPortNamesPort5060) {
  LoopFixture f;
  StageInput in(came_back("sip:2002@office.example",
                          "SIP/2.0/UDP 192.168.1.10;branch=" + f.our_branch("sip:2002@office.example")),
                udp_from(kPhone));
  EXPECT_EQ(f.stage.run(in.context).status, 482);
}

// A request we sent over TLS (our Via names the TLS port), or toward the ITSP behind a NAT (our
// Via names the NAT's outside address), that comes back unchanged is a loop too: the hash skips
// every Via of ours, not only the UDP/TCP one. Before, such a loop passed as a spiral and only
// Max-Forwards ended it, after up to 70 trips through us.
TEST(LoopStage, ALoopBackThroughOurTlsOrNatViaIsALoop) {
  LoopFixture f;
  f.nat_outside_address = "198.51.100.77";
  const std::string branch = f.our_branch("sip:2002@office.example");
  for (std::string via : {"SIP/2.0/TLS 192.168.1.10:5061;branch=" + branch,
                          "SIP/2.0/TLS 192.168.1.10;branch=" + branch,
                          "SIP/2.0/UDP 198.51.100.77:5060;branch=" + branch}) {
    SCOPED_TRACE(via);
    StageInput in(came_back("sip:2002@office.example", via), udp_from(kPhone));
    const auto d = f.stage.run(in.context);
    EXPECT_EQ(d.next, Next::Respond);
    EXPECT_EQ(d.status, 482);
  }
  // Under our TLS Via another proxy's: it is hashed as the top Via, so the hash differs (a spiral).
  StageInput spiral(request_text("INVITE", "sip:2002@office.example", kPhone, {{"Max-Forwards", "68"}}, {},
                                 "SIP/2.0/TLS 192.168.1.10:5061;branch=" + branch +
                                     ", SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKother, " + kPhoneVia),
                    udp_from(kPhone));
  EXPECT_EQ(f.stage.run(spiral.context).next, Next::Continue);
}

TEST(OurVias, OursAreOurAddressOrTheNatsWithOurPortForTheTransport) {
  Address local{"192.168.1.10", 5060};
  std::uint16_t tls_port = 5061;
  std::string nat = "198.51.100.77";
  const OurVias us{local, tls_port, nat};
  const auto via = [](std::string_view transport, std::string_view host, std::optional<std::uint16_t> port) {
    sip::ViaInfo v;
    v.transport = transport;
    v.host = host;
    v.port = port;
    return v;
  };
  EXPECT_TRUE(us.is_ours(via("UDP", "192.168.1.10", 5060)));
  EXPECT_TRUE(us.is_ours(via("tcp", "192.168.1.10", std::nullopt)));
  EXPECT_TRUE(us.is_ours(via("TLS", "192.168.1.10", 5061)));
  EXPECT_TRUE(us.is_ours(via("TLS", "192.168.1.10", std::nullopt)));  // TLS's default port
  EXPECT_TRUE(us.is_ours(via("UDP", "198.51.100.77", 5060)));         // toward the ITSP
  EXPECT_FALSE(us.is_ours(via("UDP", "192.168.1.10", 5061)));         // the TLS port, not over TLS
  EXPECT_FALSE(us.is_ours(via("TLS", "192.168.1.10", 5060)));
  EXPECT_FALSE(us.is_ours(via("UDP", "192.168.1.11", 5060)));
  nat.clear();
  EXPECT_FALSE(us.is_ours(via("UDP", "198.51.100.77", 5060)));
  // The view follows the listening address once the runtime bound it.
  local = Address{"2001:DB8::1", 5070};
  EXPECT_EQ(us.sent_by(), "2001:db8::1:5070");
  EXPECT_TRUE(us.is_ours(via("UDP", "[2001:db8::1]", 5070)));
}

TEST(LoopStage, AStraightRequestFromAPhoneGoesOn) {
  LoopFixture f;
  auto in = input("INVITE", "sip:2002@office.example");
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  EXPECT_FALSE(is_loop(in.request, f.us));
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
