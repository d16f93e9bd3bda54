// The mode-off stage alone (stages/mode_off_stage.h).
#include "proxy/routing/stages/mode_off_stage.h"

#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

TEST(ModeOffStage, ModeOffAnswersEveryRequest503) {
  ProxyMode mode = ProxyMode::Off;
  ModeOffStage stage{mode};
  for (auto method : {"INVITE", "REGISTER", "OPTIONS"}) {
    SCOPED_TRACE(method);
    auto in = input(method, "sip:2002@office.example");
    const auto d = stage.run(in.context);
    EXPECT_EQ(d.next, Next::Respond);
    EXPECT_EQ(d.status, 503);
    EXPECT_TRUE(d.headers.empty());  // no Retry-After: off is not a moment's overload
  }
}

TEST(ModeOffStage, EveryOtherModeGoesOnAndTheStageReadsTheModeAsItIsNow) {
  ProxyMode mode = ProxyMode::Standalone;
  ModeOffStage stage{mode};
  auto in = input("INVITE", "sip:2002@office.example");
  for (auto m : {ProxyMode::Standalone, ProxyMode::ForwardItsp, ProxyMode::SipTrunk}) {
    mode = m;
    EXPECT_EQ(stage.run(in.context).next, Next::Continue);
  }
  mode = ProxyMode::Off;
  EXPECT_EQ(stage.run(in.context).status, 503);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
