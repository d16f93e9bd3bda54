// [gateway], [gateway.group.N], [gateway.dialplan.N] and [sim_hardware.*] (schema_gateway.cpp):
// what they set, and the errors that refuse a file with its line and the allowed values.
#include "proxy/config/daemon_config.h"
#include "tests/unit/config/config_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace resproxy::config {
namespace {

using namespace std::chrono_literals;

using test_support::error_of;
using test_support::parse;

constexpr std::string_view kGroup = "[gateway.group.1]\nenable = 1\nname = e1\nspans = 1\n";

TEST(GatewayConfig, DefaultsLeaveTheGatewayOffWithoutCards) {
  const DaemonConfig c = parse("");
  EXPECT_FALSE(c.gateway.enable);
  EXPECT_EQ(c.gateway.port, 5080);
  EXPECT_FALSE(c.gateway.proxy.has_value());
  EXPECT_TRUE(c.gateway.groups.empty());
  EXPECT_TRUE(c.gateway.dial_plan.rules.empty());
  EXPECT_FALSE(c.sim_hardware.has_cards());
  EXPECT_FALSE(c.sim_hardware.exchange.trunk_capacity.has_value());
}

TEST(GatewayConfig, TheBranchOfficeExampleParses) {
  std::ifstream in(std::string(RESPROXY_SOURCE_DIR) + "/examples/branch-office.ini");
  ASSERT_TRUE(in) << "examples/branch-office.ini";
  std::stringstream text;
  text << in.rdbuf();
  const DaemonConfig c = parse_config(text.str(), "branch-office.ini");
  EXPECT_EQ(c.proxy.mode, routing::ProxyMode::ForwardItsp);
  ASSERT_TRUE(c.proxy.pstn_gateway.address.has_value());
  EXPECT_EQ(c.proxy.pstn_gateway.address->port, 5080);
  EXPECT_TRUE(c.gateway.enable);
  EXPECT_EQ(c.gateway.port, 5080);
  EXPECT_EQ(c.gateway.max_call_duration, 4h);
  ASSERT_EQ(c.gateway.groups.size(), 2u);
  EXPECT_EQ(c.gateway.groups[0].name, "e1");
  EXPECT_EQ(c.gateway.groups[0].emergency_reserve, 2u);
  EXPECT_EQ(c.gateway.groups[1].hunt, gateway::HuntPolicy::RoundRobin);
  EXPECT_EQ(c.gateway.incoming_destination.at("lines"), "200");
  ASSERT_EQ(c.gateway.dial_plan.rules.size(), 7u);
  EXPECT_TRUE(c.gateway.dial_plan.rules[0].emergency);
  EXPECT_EQ(c.gateway.dial_plan.rules[5].target.kind, gateway::RouteTarget::Kind::Sip);
  ASSERT_TRUE(c.gateway.dial_plan.rules[5].source.has_value());
  EXPECT_EQ(c.gateway.dial_plan.rules[5].source->group, "e1");
  ASSERT_EQ(c.sim_hardware.e1.size(), 1u);
  EXPECT_EQ(c.sim_hardware.e1[0].span, 1);
  EXPECT_EQ(c.sim_hardware.e1[0].ddi_digits, 3u);
  ASSERT_EQ(c.sim_hardware.fxo.size(), 1u);
  EXPECT_EQ(c.sim_hardware.fxo[0].directory_numbers.size(), 4u);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(GatewayConfig, ADialPlanTargetThatIsNoGroupIsRefusedWithTheGroupsAllowed) {
  const auto e = error_of(std::string(kGroup) +
                          "[gateway.dialplan.1]\nenable = 1\ncalled = 0.\ntarget = e2\n");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.section, "gateway.dialplan.1");
  EXPECT_EQ(e.parameter, "target");
  EXPECT_NE(e.allowed.find("(e1)"), std::string::npos) << e.what();
}

TEST(GatewayConfig, ABadPatternIsRefusedOnItsLine) {
  const auto e = error_of("[gateway.dialplan.1]\nenable = 1\ncalled = 0.1\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.parameter, "called");
  EXPECT_NE(e.allowed.find("number pattern"), std::string::npos);
}

TEST(GatewayConfig, AnUnknownHuntPolicyIsRefusedWithTheChoices) {
  const auto e = error_of("[gateway.group.1]\nhunt = random\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.allowed, "lowest_free, highest_free, round_robin");
}

TEST(GatewayConfig, FxoDirectoryNumbersMustMatchTheLines) {
  const auto e = error_of(
      "[sim_hardware.fxo.1]\nenable = 1\nspan = 2\nlines = 4\ndirectory_numbers = 01632961200\n");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.parameter, "directory_numbers");
}

TEST(GatewayConfig, ASpanServedByTwoCardsIsRefused) {
  const auto e = error_of(
      "[sim_hardware.e1.1]\nenable = 1\nspan = 1\n"
      "[sim_hardware.fxo.1]\nenable = 1\nspan = 1\nlines = 1\ndirectory_numbers = 01632961200\n");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.section, "sim_hardware.fxo.1");
  EXPECT_EQ(e.parameter, "span");
}

TEST(GatewayConfig, RtpPortsMustNotBeReversed) {
  const auto e = error_of("[gateway]\nrtp_port_first = 20000\nrtp_port_last = 19000\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.parameter, "rtp_port_last");
}

TEST(GatewayConfig, ACardNamedAfterItsSpanWhenUnnamed) {
  const DaemonConfig c = parse("[sim_hardware.e1.1]\nenable = 1\nspan = 3\n");
  ASSERT_EQ(c.sim_hardware.e1.size(), 1u);
  EXPECT_EQ(c.sim_hardware.e1[0].name, "e1-3");
}

// --- [sim_hardware.numbers.N]: the exchange's numbering plan ---

TEST(GatewayConfig, WithoutNumbersSectionsTheDemoPlanStays) {
  // Empty is the daemon's cue to keep demo_numbering_plan() (gateway_service.cpp).
  EXPECT_TRUE(parse("").sim_hardware.numbers.empty());
  EXPECT_TRUE(parse("[sim_hardware.numbers.1]\nenable = 0\n").sim_hardware.numbers.empty());
}

TEST(GatewayConfig, NumbersSectionsGiveThePlanInIndexOrder) {
  const DaemonConfig c = parse(
      "[sim_hardware.numbers.2]\nenable = 1\nfirst = 01632970000\nlast = 01632970999\n"
      "kind = answers\nanswer_after = 2-5\nhold_time = 2\n"
      "[sim_hardware.numbers.1]\nenable = 1\nfirst = 01632970555\nkind = busy\n"
      "[sim_hardware.numbers.3]\nenable = 1\nfirst = 999\nemergency = 1\nanswer_after = 1\n"
      "hold_time = 60-300\n"
      "[sim_hardware.numbers.4]\nenable = 1\nfirst = 01632980000\nlast = 01632980009\n"
      "kind = no_answer\n"
      "[sim_hardware.numbers.5]\nenable = 1\nfirst = 01632990000\nkind = unallocated\n"
      "hold_time = 0\n");
  const auto& n = c.sim_hardware.numbers;
  ASSERT_EQ(n.size(), 5u);
  EXPECT_EQ(n[0].first, "01632970555");
  EXPECT_EQ(n[0].last, "01632970555");  // last omitted: one number
  EXPECT_EQ(n[0].kind, SimSubscriberKind::Busy);
  EXPECT_EQ(n[0].answer_after, (SimDurationRange{3s, 3s}));  // the default
  EXPECT_FALSE(n[0].hold_time.has_value());
  EXPECT_EQ(n[1].first, "01632970000");
  EXPECT_EQ(n[1].last, "01632970999");
  EXPECT_EQ(n[1].kind, SimSubscriberKind::Answers);
  EXPECT_EQ(n[1].answer_after, (SimDurationRange{2s, 5s}));
  ASSERT_TRUE(n[1].hold_time.has_value());
  EXPECT_EQ(*n[1].hold_time, (SimDurationRange{2s, 2s}));
  EXPECT_FALSE(n[1].emergency);
  EXPECT_TRUE(n[2].emergency);
  EXPECT_EQ(n[2].answer_after, (SimDurationRange{1s, 1s}));
  ASSERT_TRUE(n[2].hold_time.has_value());
  EXPECT_EQ(*n[2].hold_time, (SimDurationRange{60s, 300s}));
  EXPECT_EQ(n[3].kind, SimSubscriberKind::NoAnswer);
  EXPECT_EQ(n[4].kind, SimSubscriberKind::Unallocated);
  EXPECT_FALSE(n[4].hold_time.has_value());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(GatewayConfig, AnUnknownSubscriberKindIsRefusedWithTheChoices) {
  const auto e = error_of("[sim_hardware.numbers.1]\nenable = 1\nfirst = 999\nkind = engaged\n");
  EXPECT_EQ(e.file, "test.ini");
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.section, "sim_hardware.numbers.1");
  EXPECT_EQ(e.parameter, "kind");
  EXPECT_EQ(e.allowed, "answers, busy, no_answer, unallocated");
}

TEST(GatewayConfig, AReversedOrOutOfRangeAnswerDelayIsRefusedOnItsLine) {
  for (const char* bad : {"5-2", "700", "2-", "-3", "two", "2-5-7", ""}) {
    SCOPED_TRACE(bad);
    const auto e = error_of(std::string("[sim_hardware.numbers.7]\nfirst = 999\nanswer_after = ") +
                            bad + "\n");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.section, "sim_hardware.numbers.7");
    EXPECT_EQ(e.parameter, "answer_after");
    EXPECT_NE(e.allowed.find("2-5"), std::string::npos) << e.allowed;
  }
}

TEST(GatewayConfig, AHoldTimeIsZeroOrWholeSecondsFromOne) {
  for (const char* bad : {"0-5", "86401", "10-1", "1.5"}) {
    SCOPED_TRACE(bad);
    const auto e =
        error_of(std::string("[sim_hardware.numbers.1]\nfirst = 999\nhold_time = ") + bad + "\n");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.parameter, "hold_time");
    EXPECT_NE(e.allowed.find("0 (stays until the office clears)"), std::string::npos) << e.allowed;
  }
}

TEST(GatewayConfig, ANumbersRangeMustHaveBoundsOfOneLengthInOrder) {
  const auto shorter = error_of(
      "[sim_hardware.numbers.1]\nenable = 1\nfirst = 01632970000\nlast = 0163297099\n");
  EXPECT_EQ(shorter.line, 4);
  EXPECT_EQ(shorter.parameter, "last");
  const auto below = error_of(
      "[sim_hardware.numbers.1]\nenable = 1\nfirst = 01632970500\nlast = 01632970499\n");
  EXPECT_EQ(below.line, 4);
  EXPECT_EQ(below.parameter, "last");
  const auto letters = error_of("[sim_hardware.numbers.1]\nfirst = 0163297x\n");
  EXPECT_EQ(letters.line, 2);
  EXPECT_EQ(letters.parameter, "first");
}

TEST(GatewayConfig, AnEnabledNumbersEntryNeedsItsFirstNumber) {
  const auto e = error_of("[sim_hardware.numbers.3]\nenable = 1\nkind = busy\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.section, "sim_hardware.numbers.3");
  EXPECT_EQ(e.parameter, "first");
}

TEST(GatewayConfig, ANumbersEntryNotEnabledIsIgnoredWithAWarning) {
  const DaemonConfig c = parse("[sim_hardware.numbers.1]\nfirst = 999\nkind = busy\n");
  EXPECT_TRUE(c.sim_hardware.numbers.empty());
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("sim_hardware.numbers.1"), std::string::npos);
}

}  // namespace
}  // namespace resproxy::config
