// One row per cell of the seed's routing tables (normal operation, failure operation, standalone,
// sip_trunk), plus the gateway routing option, emergency numbers, the ITSP as a source and `off`.
#include "proxy/routing/routing_table.h"

#include <gtest/gtest.h>

namespace resproxy::routing {
namespace {

using enum RouteAction;
using enum SourceClass;

struct Row {
  const char* table;
  ProxyMode mode;
  bool itsp_up;
  SourceClass source;
  bool registered;
  RouteAction expected;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << r.table << ": " << to_string(r.source) << (r.registered ? " → registered" : " → unregistered");
}

class SeedTable : public ::testing::TestWithParam<Row> {};

TEST_P(SeedTable, Cell) {
  const Row& r = GetParam();
  RouteQuery q;
  q.mode = r.mode;
  q.itsp_up = r.itsp_up;
  q.source = r.source;
  q.registered = r.registered;
  q.gateway_configured = true;
  EXPECT_EQ(to_string(decide_route(q)), to_string(r.expected));
}

constexpr auto kFwd = ProxyMode::ForwardItsp;
constexpr auto kTrunk = ProxyMode::SipTrunk;
constexpr auto kAlone = ProxyMode::Standalone;

INSTANTIATE_TEST_SUITE_P(
    Normal, SeedTable,
    ::testing::Values(Row{"normal", kFwd, true, Endpoint, true, ToItsp},
                      Row{"normal", kFwd, true, Endpoint, false, ToItsp},
                      Row{"normal", kFwd, true, Gateway, true, ToItsp},
                      Row{"normal", kFwd, true, Gateway, false, ToItsp},
                      Row{"normal", kFwd, true, Untrusted, true, ToItsp},
                      Row{"normal", kFwd, true, Untrusted, false, ToItsp}));

INSTANTIATE_TEST_SUITE_P(
    Failure, SeedTable,
    ::testing::Values(Row{"failure", kFwd, false, Endpoint, true, ToEndpoint},
                      Row{"failure", kFwd, false, Endpoint, false, ToGateway},
                      Row{"failure", kFwd, false, Gateway, true, ToEndpoint},
                      Row{"failure", kFwd, false, Gateway, false, NotFound},
                      Row{"failure", kFwd, false, Untrusted, true, ToEndpoint},
                      Row{"failure", kFwd, false, Untrusted, false, NotFound},
                      // sip_trunk with its ITSP down is failure operation too
                      Row{"trunk failure", kTrunk, false, Endpoint, true, ToEndpoint},
                      Row{"trunk failure", kTrunk, false, Endpoint, false, ToGateway},
                      Row{"trunk failure", kTrunk, false, Gateway, false, NotFound},
                      Row{"trunk failure", kTrunk, false, Untrusted, false, NotFound}));

INSTANTIATE_TEST_SUITE_P(
    Standalone, SeedTable,
    ::testing::Values(Row{"standalone", kAlone, false, Endpoint, true, ToEndpoint},
                      Row{"standalone", kAlone, false, Endpoint, false, ToGateway},
                      Row{"standalone", kAlone, false, Gateway, true, ToEndpoint},
                      Row{"standalone", kAlone, false, Gateway, false, NotFound},
                      Row{"standalone", kAlone, false, Untrusted, true, ToEndpoint},
                      Row{"standalone", kAlone, false, Untrusted, false, NotFound},
                      // an ITSP's state means nothing in standalone
                      Row{"standalone", kAlone, true, Endpoint, false, ToGateway}));

INSTANTIATE_TEST_SUITE_P(
    SipTrunk, SeedTable,
    ::testing::Values(Row{"sip_trunk", kTrunk, true, Endpoint, true, ToEndpoint},
                      Row{"sip_trunk", kTrunk, true, Endpoint, false, ToItsp},
                      Row{"sip_trunk", kTrunk, true, Gateway, true, ToEndpoint},
                      Row{"sip_trunk", kTrunk, true, Gateway, false, ToItsp},
                      Row{"sip_trunk", kTrunk, true, Untrusted, true, ToEndpoint},
                      Row{"sip_trunk", kTrunk, true, Untrusted, false, ToItsp}));

INSTANTIATE_TEST_SUITE_P(
    FromItsp, SeedTable,
    ::testing::Values(Row{"from itsp", kFwd, true, Itsp, true, ToEndpoint},
                      Row{"from itsp", kFwd, true, Itsp, false, NotFound},
                      Row{"from itsp", kFwd, false, Itsp, false, NotFound},
                      Row{"from itsp", kTrunk, true, Itsp, true, ToEndpoint},
                      Row{"from itsp", kTrunk, true, Itsp, false, NotFound}));

RouteQuery query(ProxyMode mode, bool up, SourceClass source, bool registered) {
  RouteQuery q;
  q.mode = mode;
  q.itsp_up = up;
  q.source = source;
  q.registered = registered;
  q.gateway_configured = true;
  return q;
}

TEST(RoutingTable, GatewayFromRoutingRegisteredUaReachesOnlyRegisteredPhones) {
  auto q = query(kFwd, true, Gateway, true);
  q.gateway_routing = GatewayFromRouting::RegisteredUa;
  EXPECT_EQ(decide_route(q), ToEndpoint);
  q.registered = false;  // an unassigned number: 404, never out again through the ITSP
  EXPECT_EQ(decide_route(q), NotFound);
  q.gateway_routing = GatewayFromRouting::Itsp;
  q.registered = true;
  EXPECT_EQ(decide_route(q), ToItsp);
}

TEST(RoutingTable, EmergencyNumbersGoToTheGatewayInEveryModeAndState) {
  for (auto mode : {kAlone, kFwd, kTrunk}) {
    for (bool up : {false, true}) {
      for (auto source : {Endpoint, Untrusted}) {
        auto q = query(mode, up, source, false);
        q.emergency = true;
        EXPECT_EQ(decide_route(q), ToGateway) << to_string(mode) << " up=" << up;
      }
    }
  }
}

TEST(RoutingTable, EmergencyFromTheGatewayIsNotLoopedBack) {
  auto q = query(kAlone, false, Gateway, false);
  q.emergency = true;
  EXPECT_EQ(decide_route(q), NotFound);
}

TEST(RoutingTable, NoGatewayMeansNotFoundForUnregisteredInFailure) {
  auto q = query(kFwd, false, Endpoint, false);
  q.gateway_configured = false;
  EXPECT_EQ(decide_route(q), NotFound);
  q.emergency = true;  // no gateway: the normal table applies
  EXPECT_EQ(decide_route(q), NotFound);
}

TEST(RoutingTable, UntrustedCallerIsChallengedOnlyWhenItCouldAuthenticate) {
  auto q = query(kAlone, false, Untrusted, false);
  q.can_challenge = true;
  EXPECT_EQ(decide_route(q), Challenge);
  q.registered = true;  // calls to registered phones need no credentials (the seed's table)
  EXPECT_EQ(decide_route(q), ToEndpoint);
  q = query(kFwd, true, Untrusted, false);
  q.can_challenge = true;  // normal operation: the ITSP authenticates, not us
  EXPECT_EQ(decide_route(q), ToItsp);
}

TEST(RoutingTable, OffAnswersUnavailable) {
  auto q = query(ProxyMode::Off, true, Endpoint, true);
  EXPECT_EQ(decide_route(q), Unavailable);
  q.emergency = true;
  EXPECT_EQ(decide_route(q), Unavailable);
}

TEST(RoutingTable, FailureOperationIsOnlyForwardingModesWithoutItsp) {
  EXPECT_TRUE(in_failure_operation(kFwd, false));
  EXPECT_TRUE(in_failure_operation(kTrunk, false));
  EXPECT_FALSE(in_failure_operation(kFwd, true));
  EXPECT_FALSE(in_failure_operation(kAlone, false));
  EXPECT_FALSE(in_failure_operation(ProxyMode::Off, false));
}

}  // namespace
}  // namespace resproxy::routing
