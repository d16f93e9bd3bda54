// The route and table stages alone (stages/route_stage.h, stages/table_stage.h), with a fake of
// the node's routing: what each hands on, and what reaches the tables.
#include "proxy/routing/stages/route_stage.h"

#include "proxy/routing/stages/table_stage.h"
#include "tests/unit/routing/stages/stage_fixture.h"

namespace resproxy::routing::stages::testing {
namespace {

struct FakeRouter final : Router {
  Decision own_route = Decision::go_on();  // what route_by_request decides
  std::size_t pop = 0;                     // and the pop it sets when it goes on
  int by_request = 0;
  struct Tabled {
    std::size_t pop;
    SourceClass source;
  };
  std::vector<Tabled> tabled;

  Decision route_by_request(RequestContext& c) override {
    ++by_request;
    if (own_route.next == Next::Continue) c.pop = pop;
    return own_route;
  }
  void route_by_table(const RequestContext& c) override { tabled.push_back({c.pop, c.source}); }
};

TEST(RouteStage, WhatTheRequestsOwnRouteDecidesIsTheStagesDecision) {
  FakeRouter router;
  RouteStage stage{router};
  auto in = input("OPTIONS", "sip:office.example");
  router.own_route = Decision::respond(404, "Not Found");
  EXPECT_EQ(stage.run(in.context).status, 404);
  router.own_route = Decision::handed_on();
  EXPECT_EQ(stage.run(in.context).next, Next::HandedOn);
  EXPECT_EQ(router.by_request, 2);
  EXPECT_TRUE(router.tabled.empty());  // the route stage never routes by the tables
}

TEST(RouteStage, ARequestOnlyTheTablesCanRouteGoesOnWithItsPop) {
  FakeRouter router;
  router.pop = 1;
  RouteStage stage{router};
  auto in = input("INVITE", "sip:2002@office.example");
  EXPECT_EQ(stage.run(in.context).next, Next::Continue);
  EXPECT_EQ(in.context.pop, 1u);
}

TEST(TableStage, TheTablesGetThePopAndTheSourceAndTheRequestIsHandedOn) {
  FakeRouter router;
  TableStage stage{router};
  auto in = input("INVITE", "sip:2002@office.example");
  in.context.pop = 2;
  in.context.source = SourceClass::Gateway;
  EXPECT_EQ(stage.run(in.context).next, Next::HandedOn);
  ASSERT_EQ(router.tabled.size(), 1u);
  EXPECT_EQ(router.tabled[0].pop, 2u);
  EXPECT_EQ(router.tabled[0].source, SourceClass::Gateway);
}

}  // namespace
}  // namespace resproxy::routing::stages::testing
