// The reject stage alone (stages/reject_stage.h): the reject list and the gateway's
// from_action = reject.
#include "proxy/routing/stages/reject_stage.h"

#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

const Address kGateway{"192.168.1.50", 5070};

struct RejectFixture {
  std::vector<security::IpRange> rejected;
  PstnGateway gateway;
  ProxyCounters counters;
  RejectStage stage{rejected, gateway, counters};

  RejectFixture() {
    rejected.push_back(*security::IpRange::parse("203.0.113.0/24"));
    gateway.address = kGateway;
  }
};

TEST(RejectStage, ASourceInTheRejectListGets403) {
  RejectFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kOutsider);
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 403);
  EXPECT_FALSE(d.statelessly);
  EXPECT_EQ(f.counters.forbidden, 1u);
}

TEST(RejectStage, EveryMethodFromARejectedSourceIsRefusedEvenInDialog) {
  RejectFixture f;
  auto in = input("BYE", "sip:2002@192.168.1.22", kOutsider, {}, "t1");
  EXPECT_EQ(f.stage.run(in.context).status, 403);
}

TEST(RejectStage, OtherSourcesGoOn) {
  RejectFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone);
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  EXPECT_EQ(f.counters.forbidden, 0u);
}

TEST(RejectStage, TheGatewayIsRefusedOnlyWhenItsFromActionRejects) {
  RejectFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kGateway);
  for (auto action : {GatewayFromAction::Trust, GatewayFromAction::Auth, GatewayFromAction::Ignore}) {
    f.gateway.from_action = action;
    EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  }
  f.gateway.from_action = GatewayFromAction::Reject;
  EXPECT_EQ(f.stage.run(in.context).status, 403);
  // The gateway is its address and port: another port on the same host is someone else.
  auto other = input("INVITE", "sip:2002@office.example", Address{kGateway.ip, 5060});
  EXPECT_EQ(f.stage.run(other.context).next, Next::Continue);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
