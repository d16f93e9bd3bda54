// The CANCEL stage alone (stages/cancel_stage.h), with a fake of the node's transactions and
// forwards.
#include "proxy/routing/stages/cancel_stage.h"

#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

struct FakeCancelPort final : CancelPort {
  bool has_invite = false;  // whether the CANCEL matches an INVITE transaction
  std::vector<transaction::ServerTransactionId> cancelled;  // the CANCELs it took

  bool cancel_invite(TimePoint, transaction::ServerTransactionId id, const sip::Message&) override {
    if (!has_invite) return false;
    cancelled.push_back(id);
    return true;
  }
};

TEST(CancelStage, ACancelOfNoTransactionIs481) {
  FakeCancelPort port;
  CancelStage stage{port};
  auto in = input("CANCEL", "sip:2002@office.example");
  const auto d = stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 481);
  EXPECT_EQ(d.reason, "Call/Transaction Does Not Exist");
  EXPECT_TRUE(port.cancelled.empty());
}

TEST(CancelStage, ACancelOfAnInviteGoesToItsForwardAndTheStageAnswersNothing) {
  FakeCancelPort port;
  port.has_invite = true;
  CancelStage stage{port};
  auto in = input("CANCEL", "sip:2002@office.example");
  const auto d = stage.run(in.context);
  EXPECT_EQ(d.next, Next::HandedOn);  // the forwards answer it 200 (§16.10)
  ASSERT_EQ(port.cancelled.size(), 1u);
  EXPECT_EQ(port.cancelled[0].value, 7u);
}

TEST(CancelStage, EveryOtherMethodGoesOnWithoutALookUp) {
  FakeCancelPort port;
  port.has_invite = true;
  CancelStage stage{port};
  for (auto method : {"INVITE", "BYE", "OPTIONS"}) {
    auto in = input(method, "sip:2002@office.example");
    EXPECT_EQ(stage.run(in.context).next, Next::Continue);
  }
  EXPECT_TRUE(port.cancelled.empty());
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
