// The NAT's translation table (model/nat_table.h) in RFC 4787's terms: mapping behaviours,
// filtering behaviours, the mapping timeout and its refresh, external port assignment.
#include "model/nat_table.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace resproxy::model {
namespace {

using namespace std::chrono_literals;
using Verdict = NatInbound::Verdict;

constexpr std::uint32_t ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 | d;
}

const NatEndpoint kPhone{ip(192, 168, 1, 2), 5060};
const NatEndpoint kPhoneRtp{ip(192, 168, 1, 2), 40000};
const NatEndpoint kProxy{ip(10, 0, 1, 2), 5060};
const NatEndpoint kProxyOtherPort{ip(10, 0, 1, 2), 30000};
const NatEndpoint kItsp{ip(10, 0, 4, 2), 5060};

TimePoint at(Duration d) { return TimePoint{d}; }

NatConfig config(NatBehaviour mapping, NatBehaviour filtering) {
  NatConfig c;
  c.mapping = mapping;
  c.filtering = filtering;
  c.first_port = 20000;
  c.last_port = 20099;
  return c;
}

TEST(NatTable, EndpointIndependentMappingKeepsOneExternalPortForEveryDestination) {
  NatTable nat(config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent));
  const auto to_proxy = nat.outbound(at(1s), kPhone, kProxy);
  ASSERT_TRUE(to_proxy);
  EXPECT_EQ(*to_proxy, 20000);  // the range's first port of the inside port's parity
  EXPECT_EQ(nat.outbound(at(2s), kPhone, kItsp), to_proxy);
  EXPECT_EQ(nat.outbound(at(3s), kPhone, kProxyOtherPort), to_proxy);
  // Another inside endpoint (the phone's RTP port) gets a mapping of its own.
  const auto rtp = nat.outbound(at(4s), kPhoneRtp, kProxy);
  ASSERT_TRUE(rtp);
  EXPECT_NE(*rtp, *to_proxy);
  EXPECT_EQ(nat.mappings(), 2u);
  EXPECT_EQ(nat.counters().mappings_created, 2u);
  EXPECT_EQ(nat.counters().translated_out, 4u);
}

TEST(NatTable, AddressAndPortDependentMappingGivesEachDestinationItsOwnPort) {
  NatTable nat(config(NatBehaviour::AddressAndPortDependent, NatBehaviour::AddressAndPortDependent));
  const auto a = nat.outbound(at(1s), kPhone, kProxy);
  const auto b = nat.outbound(at(1s), kPhone, kProxyOtherPort);
  const auto c = nat.outbound(at(1s), kPhone, kItsp);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(std::set<std::uint16_t>({*a, *b, *c}).size(), 3u);
  EXPECT_EQ(nat.outbound(at(2s), kPhone, kProxy), a);  // the same destination: the same mapping
  EXPECT_EQ(nat.port_of(kPhone, kItsp), c);
  EXPECT_EQ(nat.mappings(), 3u);
}

TEST(NatTable, AddressDependentMappingSharesAPortAcrossTheDestinationsPorts) {
  NatTable nat(config(NatBehaviour::AddressDependent, NatBehaviour::AddressDependent));
  const auto a = nat.outbound(at(1s), kPhone, kProxy);
  EXPECT_EQ(nat.outbound(at(1s), kPhone, kProxyOtherPort), a);
  EXPECT_NE(nat.outbound(at(1s), kPhone, kItsp), a);
}

TEST(NatTable, NothingGetsInWithoutAMapping) {
  NatTable nat(config(NatBehaviour::EndpointIndependent, NatBehaviour::EndpointIndependent));
  EXPECT_EQ(nat.inbound(at(1s), kProxy, 20000).verdict, Verdict::NoMapping);
  EXPECT_EQ(nat.counters().dropped_unsolicited, 1u);
  EXPECT_EQ(nat.counters().translated_in, 0u);
}

TEST(NatTable, EndpointIndependentFilteringLetsAnyoneReachALiveMapping) {
  NatTable nat(config(NatBehaviour::EndpointIndependent, NatBehaviour::EndpointIndependent));
  const auto port = nat.outbound(at(1s), kPhone, kProxy);
  ASSERT_TRUE(port);
  const NatInbound in = nat.inbound(at(2s), kItsp, *port);  // never sent to: a full cone lets it in
  EXPECT_EQ(in.verdict, Verdict::Pass);
  EXPECT_EQ(in.inside, kPhone);
  EXPECT_EQ(nat.counters().translated_in, 1u);
}

TEST(NatTable, AddressDependentFilteringAdmitsAnyPortOfAnAddressSentTo) {
  NatTable nat(config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressDependent));
  const auto port = nat.outbound(at(1s), kPhone, kProxy);
  ASSERT_TRUE(port);
  EXPECT_EQ(nat.inbound(at(2s), kProxyOtherPort, *port).verdict, Verdict::Pass);
  EXPECT_EQ(nat.inbound(at(2s), kItsp, *port).verdict, Verdict::Filtered);
  EXPECT_EQ(nat.counters().dropped_filtered, 1u);
}

TEST(NatTable, AddressAndPortDependentFilteringAdmitsOnlyTheEndpointsSentTo) {
  NatTable nat(config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent));
  const auto port = nat.outbound(at(1s), kPhone, kProxy);
  ASSERT_TRUE(port);
  EXPECT_EQ(nat.inbound(at(2s), kProxy, *port).verdict, Verdict::Pass);
  EXPECT_EQ(nat.inbound(at(2s), kProxyOtherPort, *port).verdict, Verdict::Filtered);
  EXPECT_EQ(nat.inbound(at(2s), kItsp, *port).verdict, Verdict::Filtered);
  // Once the phone has sent to the ITSP through the same (endpoint-independent) mapping, the ITSP
  // is let in too: a port-restricted cone.
  EXPECT_EQ(nat.outbound(at(3s), kPhone, kItsp), port);
  EXPECT_EQ(nat.inbound(at(4s), kItsp, *port).verdict, Verdict::Pass);
  EXPECT_EQ(nat.counters().dropped_filtered, 2u);
}

TEST(NatTable, SymmetricNatLetsEachDestinationInOnlyThroughItsOwnPort) {
  NatTable nat(config(NatBehaviour::AddressAndPortDependent, NatBehaviour::AddressAndPortDependent));
  const auto to_proxy = nat.outbound(at(1s), kPhone, kProxy);
  const auto to_itsp = nat.outbound(at(1s), kPhone, kItsp);
  ASSERT_TRUE(to_proxy && to_itsp);
  EXPECT_EQ(nat.inbound(at(2s), kProxy, *to_proxy).verdict, Verdict::Pass);
  EXPECT_EQ(nat.inbound(at(2s), kItsp, *to_proxy).verdict, Verdict::Filtered);
  EXPECT_EQ(nat.inbound(at(2s), kItsp, *to_itsp).verdict, Verdict::Pass);
}

TEST(NatTable, AMappingDiesItsTimeoutAfterTheLastOutboundDatagram) {
  NatConfig c = config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent);
  c.timeout = 30s;
  NatTable nat(c);
  const auto port = nat.outbound(at(10s), kPhone, kProxy);
  ASSERT_TRUE(port);
  EXPECT_EQ(nat.inbound(at(30s), kProxy, *port).verdict, Verdict::Pass);
  EXPECT_EQ(nat.outbound(at(35s), kPhone, kProxy), port);  // refreshes: now dies at 65 s
  EXPECT_EQ(nat.inbound(at(64s), kProxy, *port).verdict, Verdict::Pass);
  EXPECT_EQ(nat.counters().mappings_expired, 0u);
  EXPECT_EQ(nat.inbound(at(65s), kProxy, *port).verdict, Verdict::NoMapping);
  EXPECT_EQ(nat.counters().mappings_expired, 1u);
  EXPECT_EQ(nat.counters().dropped_unsolicited, 1u);
  EXPECT_EQ(nat.mappings(), 0u);
  EXPECT_FALSE(nat.port_of(kPhone, kProxy));
  // Sending again makes a new mapping, on the next port in turn: the proxy's binding of the old
  // one is stale.
  const auto again = nat.outbound(at(70s), kPhone, kProxy);
  ASSERT_TRUE(again);
  EXPECT_NE(*again, *port);
  EXPECT_EQ(nat.counters().mappings_created, 2u);
}

TEST(NatTable, InboundTrafficRefreshesOnlyWhenConfiguredTo) {
  for (const bool refresh : {false, true}) {
    NatConfig c = config(NatBehaviour::EndpointIndependent, NatBehaviour::AddressAndPortDependent);
    c.timeout = 30s;
    c.refresh_on_inbound = refresh;
    NatTable nat(c);
    const auto port = nat.outbound(at(0s), kPhone, kProxy);
    ASSERT_TRUE(port);
    EXPECT_EQ(nat.inbound(at(20s), kProxy, *port).verdict, Verdict::Pass);
    EXPECT_EQ(nat.inbound(at(40s), kProxy, *port).verdict, refresh ? Verdict::Pass : Verdict::NoMapping)
        << "refresh_on_inbound " << refresh;
  }
}

TEST(NatTable, ExpireCountsDeadMappingsWithoutTraffic) {
  NatConfig c = config(NatBehaviour::AddressAndPortDependent, NatBehaviour::AddressAndPortDependent);
  c.timeout = 2min;
  NatTable nat(c);
  (void)nat.outbound(at(0s), kPhone, kProxy);
  (void)nat.outbound(at(60s), kPhone, kItsp);
  nat.expire(at(119s));
  EXPECT_EQ(nat.mappings(), 2u);
  nat.expire(at(120s));
  EXPECT_EQ(nat.mappings(), 1u);
  nat.expire(at(180s));
  EXPECT_EQ(nat.mappings(), 0u);
  EXPECT_EQ(nat.counters().mappings_expired, 2u);
}

TEST(NatTable, PortsKeepTheInsideParityAndAreNeverShared) {
  NatConfig c = config(NatBehaviour::AddressAndPortDependent, NatBehaviour::AddressAndPortDependent);
  c.first_port = 20000;
  c.last_port = 20005;
  NatTable nat(c);
  const NatEndpoint odd{kPhone.ip, 5061};
  EXPECT_EQ(nat.outbound(at(0s), kPhoneRtp, kProxy), 20000);
  EXPECT_EQ(nat.outbound(at(0s), odd, kProxy), 20001);
  EXPECT_EQ(nat.outbound(at(0s), kPhoneRtp, kItsp), 20002);
  EXPECT_EQ(nat.outbound(at(0s), kPhoneRtp, kProxyOtherPort), 20004);
  // The even ports are all taken: a fourth even mapping is refused, an odd one still fits.
  EXPECT_FALSE(nat.outbound(at(0s), kPhoneRtp, NatEndpoint{ip(10, 9, 9, 9), 1}));
  EXPECT_EQ(nat.counters().dropped_no_port, 1u);
  EXPECT_EQ(nat.outbound(at(0s), odd, kItsp), 20005);
  EXPECT_EQ(nat.mappings(), 5u);
}

TEST(NatTable, PortsComeBackOnlyAfterTheirMappingDiedAndTheTurnWraps) {
  NatConfig c = config(NatBehaviour::AddressAndPortDependent, NatBehaviour::EndpointIndependent);
  c.first_port = 20000;
  c.last_port = 20003;
  c.preserve_parity = false;
  c.timeout = 10s;
  NatTable nat(c);
  EXPECT_EQ(nat.outbound(at(0s), kPhone, kProxy), 20000);
  EXPECT_EQ(nat.outbound(at(5s), kPhone, kItsp), 20001);
  EXPECT_EQ(nat.outbound(at(12s), kPhone, kProxyOtherPort), 20002);  // 20000 has died meanwhile
  EXPECT_EQ(nat.outbound(at(12s), kPhoneRtp, kProxy), 20003);
  EXPECT_EQ(nat.outbound(at(12s), kPhoneRtp, kItsp), 20000);  // wrapped: 20000 is free again
  EXPECT_FALSE(nat.outbound(at(12s), kPhoneRtp, kProxyOtherPort));  // 20001..20003 live
  EXPECT_EQ(nat.outbound(at(15s), kPhoneRtp, kProxyOtherPort), 20001);
}

TEST(NatTable, RefusesAConfigurationItCannotHonour) {
  NatConfig c;
  c.timeout = 0s;
  EXPECT_THROW(NatTable{c}, std::invalid_argument);
  c.timeout = 1s;
  c.first_port = 2000;
  c.last_port = 1999;
  EXPECT_THROW(NatTable{c}, std::invalid_argument);
}

TEST(NatTable, BehavioursHaveTheScenarioFilesNames) {
  for (const auto b : {NatBehaviour::EndpointIndependent, NatBehaviour::AddressDependent,
                       NatBehaviour::AddressAndPortDependent}) {
    EXPECT_EQ(parse_nat_behaviour(to_string(b)), b);
  }
  EXPECT_EQ(to_string(NatBehaviour::AddressAndPortDependent), "address_and_port_dependent");
  EXPECT_FALSE(parse_nat_behaviour("symmetric"));
}

}  // namespace
}  // namespace resproxy::model
