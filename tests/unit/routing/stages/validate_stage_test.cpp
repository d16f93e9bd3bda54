// The validation stage alone (stages/validate_stage.h): RFC 3261 §16.3 steps 2, 3 and 5.
#include "proxy/routing/stages/validate_stage.h"

#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

struct ValidateFixture {
  ProxyCounters counters;
  ValidateStage stage{counters};
};

TEST(ValidateStage, MaxForwardsZeroIs483AndCounted) {
  ValidateFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone, {{"Max-Forwards", "0"}});
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 483);
  EXPECT_EQ(d.reason, "Too Many Hops");
  EXPECT_EQ(f.counters.too_many_hops, 1u);
}

TEST(ValidateStage, MaxForwardsOneStillGoesOn) {
  ValidateFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone, {{"Max-Forwards", "1"}});
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
}

// request_checks_test.cpp has every check; here: what the stage makes of its rejection.
TEST(ValidateStage, OtherRejectionsAreAnsweredWithTheirHeadersButAreNoHopCount) {
  ValidateFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone, {{"Proxy-Require", "foo, bar"}});
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 420);
  EXPECT_EQ(header_of(d, "Unsupported"), "foo, bar");
  auto scheme = input("INVITE", "http://example.com");
  EXPECT_EQ(f.stage.run(scheme.context).status, 416);
  EXPECT_EQ(f.counters.too_many_hops, 0u);
}

TEST(ValidateStage, AValidRequestGoesOnUncounted) {
  ValidateFixture f;
  auto in = input("INVITE", "sip:2002@office.example", kPhone, {{"Require", "timer"}});
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  EXPECT_EQ(f.counters.too_many_hops, 0u);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
