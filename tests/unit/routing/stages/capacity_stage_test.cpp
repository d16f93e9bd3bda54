// The capacity stage alone (stages/capacity_stage.h): which requests wait while the node is full
// or overloaded, with which answer, and which go on regardless.
#include "proxy/routing/stages/capacity_stage.h"

#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

struct CapacityFixture {
  std::size_t max_transactions = 100;
  Overload overload;
  std::vector<std::string> emergency{"112"};
  ProxyCounters counters;
  CapacityStage stage{max_transactions, overload, emergency, counters};

  void overloaded(bool severe) {
    overload.until = kNow + 1s;
    if (severe) overload.severe_until = kNow + 1s;
  }
};

TEST(CapacityStage, OverMaxTransactionsANewRequestGets503WithRetryAfterFive) {
  CapacityFixture f;
  auto in = input("INVITE", "sip:2002@office.example");
  in.context.server_transactions = 101;
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 503);
  EXPECT_EQ(header_of(d, "Retry-After"), "5");
  EXPECT_FALSE(d.statelessly);  // from a trusted phone: a transaction like any answer
  EXPECT_EQ(f.counters.overload_rejected, 1u);
}

TEST(CapacityStage, AtMaxTransactionsExactlyTheRequestGoesOn) {
  CapacityFixture f;
  auto in = input("INVITE", "sip:2002@office.example");
  in.context.server_transactions = 100;
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  EXPECT_EQ(f.counters.overload_rejected, 0u);
}

TEST(CapacityStage, InDialogRequestsAndCancelsGoOnWhenFullAndOverloaded) {
  CapacityFixture f;
  f.overloaded(/*severe=*/true);
  auto bye = input("BYE", "sip:2002@192.168.1.22", kOutsider, {}, "t1");
  bye.context.server_transactions = 1000;
  bye.context.unverified = true;
  EXPECT_EQ(f.stage.run(bye.context).next, Next::Continue);
  auto cancel = input("CANCEL", "sip:2002@office.example", kOutsider);
  cancel.context.server_transactions = 1000;
  cancel.context.unverified = true;
  EXPECT_EQ(f.stage.run(cancel.context).next, Next::Continue);
  EXPECT_EQ(f.counters.overload_rejected, 0u);
}

TEST(CapacityStage, OverloadedAnUnverifiedSourceGets503StatelesslyWithRetryAfterTwo) {
  CapacityFixture f;
  f.overloaded(/*severe=*/false);
  auto in = input("INVITE", "sip:2002@office.example", kOutsider);
  in.context.unverified = true;
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.next, Next::Respond);
  EXPECT_EQ(d.status, 503);
  EXPECT_EQ(header_of(d, "Retry-After"), "2");
  EXPECT_TRUE(d.statelessly);
  EXPECT_EQ(f.counters.overload_rejected, 1u);
}

TEST(CapacityStage, TheOfficeWaitsOnlyWhenTheOverloadIsSevere) {
  CapacityFixture f;
  f.overloaded(/*severe=*/false);
  auto in = input("INVITE", "sip:2002@office.example");
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  f.overloaded(/*severe=*/true);
  const auto d = f.stage.run(in.context);
  EXPECT_EQ(d.status, 503);
  EXPECT_TRUE(d.statelessly);
}

TEST(CapacityStage, TheOverloadEndsAtItsDeadline) {
  CapacityFixture f;
  f.overloaded(/*severe=*/true);
  auto in = input("INVITE", "sip:2002@office.example", kOutsider);
  in.context.unverified = true;
  in.context.now = kNow + 1s;  // overloaded while now < until
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
}

TEST(CapacityStage, AnEmergencyCallGoesOnWhileOverloadedButNotOverMaxTransactions) {
  CapacityFixture f;
  f.overloaded(/*severe=*/true);
  auto in = input("INVITE", "sip:112@office.example", kOutsider);
  in.context.unverified = true;
  EXPECT_EQ(f.stage.run(in.context).next, Next::Continue);
  // Memory is bounded for everyone.
  in.context.server_transactions = 101;
  EXPECT_EQ(f.stage.run(in.context).status, 503);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
