// The gateway's dial plan: rule order, source and calling-number filters, rewrites, the route list
// re-presentation walks, emergency numbers with and without the outside-line prefix.
#include "proxy/gateway/dial_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace resproxy::gateway {
namespace {

NumberPattern pattern(std::string_view text) { return NumberPattern::parse(text).value(); }
Rewrite rewrite(std::string_view text) { return Rewrite::parse(text).value(); }

RouteTarget to_group(std::string name) { return {RouteTarget::Kind::Group, std::move(name)}; }
RouteTarget to_sip() { return {RouteTarget::Kind::Sip, {}}; }
const CallSource kFromSip{CallSource::Kind::Sip, {}};
CallSource from_group(std::string name) { return {CallSource::Kind::Group, std::move(name)}; }

DialPlanRule rule(std::string name, std::string_view called, RouteTarget target,
                  std::string_view called_out = "<0>") {
  DialPlanRule r;
  r.name = std::move(name);
  r.called = pattern(called);
  r.called_out = rewrite(called_out);
  r.target = std::move(target);
  return r;
}

std::vector<std::string> rule_names(const DialPlanConfig& config,
                                    const std::vector<Route>& routes) {
  std::vector<std::string> names;
  for (const auto& r : routes) names.push_back(config.rules[r.rule].name);
  return names;
}

TEST(DialPlan, RoutesFollowRuleOrderAndIncludeEveryMatch) {
  DialPlanConfig config;
  config.rules = {rule("mobile", "07.", to_group("e1")), rule("local", "0[1-3].", to_group("e1")),
                  rule("any-0", "0.", to_group("fxo")), rule("fallback", "!", to_sip())};
  const DialPlan plan(config);
  EXPECT_EQ(rule_names(config, plan.routes(kFromSip, "07700900123", "")),
            (std::vector<std::string>{"mobile", "any-0", "fallback"}));
  EXPECT_EQ(rule_names(config, plan.routes(kFromSip, "0161496000", "")),
            (std::vector<std::string>{"local", "any-0", "fallback"}));
  EXPECT_EQ(rule_names(config, plan.routes(kFromSip, "1234", "")),
            (std::vector<std::string>{"fallback"}));
}

TEST(DialPlan, NoMatchingRuleGivesNoRoute) {
  DialPlanConfig config;
  config.rules = {rule("mobile", "07XXXXXXXXX", to_group("e1"))};
  EXPECT_TRUE(DialPlan(config).routes(kFromSip, "0770090012", "").empty());  // one digit short
}

TEST(DialPlan, RewritesCalledNumberFromCaptures) {
  DialPlanConfig config;
  config.rules = {rule("outside", "9<0.>", to_group("e1"), "<1>"),
                  rule("international", "9<00>44<Z.>", to_group("e1"), "0<2>")};
  const auto routes = DialPlan(config).routes(kFromSip, "900441632960000", "201");
  ASSERT_EQ(routes.size(), 2U);
  EXPECT_EQ(routes[0].called, "00441632960000");
  EXPECT_EQ(routes[1].called, "01632960000");
  EXPECT_EQ(routes[1].calling, "201");  // no calling_out: unchanged
  EXPECT_EQ(routes[1].target, to_group("e1"));
}

TEST(DialPlan, SourceFilterSelectsSipOrACardGroup) {
  DialPlanConfig config;
  auto from_sip = rule("from-sip", "!", to_group("e1"));
  from_sip.source = kFromSip;
  auto from_e1 = rule("from-e1", "!", to_sip());
  from_e1.source = from_group("e1");
  auto from_fxo = rule("from-fxo", "!", to_sip());
  from_fxo.source = from_group("fxo");
  config.rules = {from_sip, from_e1, from_fxo, rule("anywhere", "!", to_sip())};
  const DialPlan plan(config);
  EXPECT_EQ(rule_names(config, plan.routes(kFromSip, "201", "")),
            (std::vector<std::string>{"from-sip", "anywhere"}));
  EXPECT_EQ(rule_names(config, plan.routes(from_group("e1"), "201", "")),
            (std::vector<std::string>{"from-e1", "anywhere"}));
  EXPECT_EQ(rule_names(config, plan.routes(from_group("fxo"), "", "")),
            (std::vector<std::string>{"from-fxo", "anywhere"}));
  EXPECT_EQ(rule_names(config, plan.routes(from_group("other"), "201", "")),
            (std::vector<std::string>{"anywhere"}));
}

TEST(DialPlan, CallingNumberFilterAndRewrite) {
  DialPlanConfig config;
  auto sales = rule("sales-extensions", "9<0.>", to_group("e1"), "<1>");
  sales.calling = pattern("2<XX>");
  sales.calling_out = rewrite("016329600<1>");  // present the DDI of the extension
  auto others = rule("others", "9<0.>", to_group("fxo"), "<1>");
  others.calling_out = rewrite("01632960000");  // the main number
  config.rules = {sales, others};
  const DialPlan plan(config);

  const auto from_sales = plan.routes(kFromSip, "901134960000", "215");
  ASSERT_EQ(from_sales.size(), 2U);
  EXPECT_EQ(from_sales[0].calling, "01632960015");
  EXPECT_EQ(from_sales[1].calling, "01632960000");

  const auto from_support = plan.routes(kFromSip, "901134960000", "315");
  ASSERT_EQ(from_support.size(), 1U);
  EXPECT_EQ(config.rules[from_support[0].rule].name, "others");
}

TEST(DialPlan, CallingRewriteWithoutCallingPatternSeesTheWholeNumber) {
  DialPlanConfig config;
  auto r = rule("prefix-calling", "!", to_group("e1"));
  r.calling_out = rewrite("01632<0>");
  config.rules = {r};
  EXPECT_EQ(DialPlan(config).routes(kFromSip, "123", "960000")[0].calling, "01632960000");
}

// From SIP the calling "number" may be a user name; the line cannot carry it.
TEST(DialPlan, InvalidCallingNumberIsTreatedAsNone) {
  DialPlanConfig config;
  auto numbered_only = rule("numbered", "!", to_group("e1"));
  numbered_only.calling = pattern("X.");
  config.rules = {numbered_only, rule("any", "!", to_group("fxo"))};
  const auto routes = DialPlan(config).routes(kFromSip, "123", "alice");
  ASSERT_EQ(routes.size(), 1U);
  EXPECT_EQ(config.rules[routes[0].rule].name, "any");
  EXPECT_EQ(routes[0].calling, "");
}

TEST(DialPlan, InvalidCalledNumberMatchesNoRule) {
  DialPlanConfig config;
  config.rules = {rule("any", "!", to_sip())};
  const DialPlan plan(config);
  EXPECT_TRUE(plan.routes(kFromSip, "bob", "").empty());
  EXPECT_TRUE(plan.routes(kFromSip, std::string(65, '1'), "").empty());
  EXPECT_EQ(plan.routes(kFromSip, std::string(64, '1'), "").size(), 1U);
}

DialPlanConfig office_with_prefix() {
  DialPlanConfig config;
  config.outside_line_prefix = "9";
  auto emergency = rule("emergency", "<[19][19][129]>", to_group("e1"));
  emergency.emergency = true;
  config.rules = {emergency, rule("outside", "9<.>", to_group("e1"), "<1>"),
                  rule("outside-fxo", "9<.>", to_group("fxo"), "<1>"),
                  rule("extensions", "2XX", to_sip())};
  return config;
}

TEST(DialPlan, EmergencyNumbersWithAndWithoutOutsideLinePrefix) {
  const DialPlan plan(office_with_prefix());
  for (std::string_view number : {"9999", "9112", "999", "112"}) {
    EXPECT_TRUE(plan.is_emergency(number)) << number;
  }
  for (std::string_view number : {"99", "9", "91", "9990", "99999", "19999", "1120", "", "999a"}) {
    EXPECT_FALSE(plan.is_emergency(number)) << number;
  }
}

TEST(DialPlan, WithoutAPrefixOnlyTheBareNumbersAreEmergency) {
  DialPlanConfig config;
  const DialPlan plan(config);
  EXPECT_TRUE(plan.is_emergency("999"));
  EXPECT_TRUE(plan.is_emergency("112"));
  EXPECT_FALSE(plan.is_emergency("9999"));
  EXPECT_FALSE(plan.is_emergency("9112"));
}

TEST(DialPlan, PrefixedEmergencyCallIsEmergencyOnEveryRouteEvenFromAnOrdinaryRule) {
  const auto routes = DialPlan(office_with_prefix()).routes(kFromSip, "9999", "201");
  ASSERT_EQ(routes.size(), 2U);  // outside, outside-fxo (the emergency rule wants 3 digits)
  for (const auto& r : routes) {
    EXPECT_TRUE(r.emergency);
    EXPECT_EQ(r.called, "999");  // the prefix stripped by the rule
  }
}

TEST(DialPlan, RuleMarkedEmergencyMakesItsRoutesEmergency) {
  const DialPlanConfig config = office_with_prefix();
  const DialPlan plan(config);
  const auto bare = plan.routes(kFromSip, "112", "201");
  ASSERT_EQ(bare.size(), 1U);
  EXPECT_TRUE(bare[0].emergency);
  // 911 is no emergency number here, but the emergency rule's pattern covers it: that route is an
  // emergency route, the outside-line rules' routes (to "11") are not.
  const auto by_rule = plan.routes(kFromSip, "911", "201");
  ASSERT_EQ(rule_names(config, by_rule),
            (std::vector<std::string>{"emergency", "outside", "outside-fxo"}));
  EXPECT_TRUE(by_rule[0].emergency);
  EXPECT_FALSE(by_rule[1].emergency);
  EXPECT_FALSE(by_rule[2].emergency);
  const auto ordinary = plan.routes(kFromSip, "901632960000", "201");
  ASSERT_EQ(ordinary.size(), 2U);
  EXPECT_FALSE(ordinary[0].emergency);
  EXPECT_FALSE(ordinary[1].emergency);
}

TEST(DialPlan, ShouldRepresentOnConfiguredCausesOnly) {
  const DialPlan defaults{DialPlanConfig{}};
  for (std::uint8_t cause : {34, 38, 41, 42, 44, 47}) {
    EXPECT_TRUE(defaults.should_represent(cause)) << int(cause);
  }
  for (std::uint8_t cause : {1, 16, 17, 21, 28, 31, 127}) {
    EXPECT_FALSE(defaults.should_represent(cause)) << int(cause);
  }

  DialPlanConfig only_34;
  only_34.represent_on = {34};
  const DialPlan narrow(only_34);
  EXPECT_TRUE(narrow.should_represent(34));
  EXPECT_FALSE(narrow.should_represent(38));
}

TEST(DialPlanCheck, AGoodPlanHasNoProblems) {
  EXPECT_EQ(check_dial_plan(office_with_prefix()), std::vector<std::string>{});
}

TEST(DialPlanCheck, ReportsMissingCapturesGroupsAndUnroutedEmergencyNumbers) {
  DialPlanConfig config;
  config.outside_line_prefix = "9";
  auto bad_rewrite = rule("bad-rewrite", "9<0.>", to_group(""), "<2>");
  bad_rewrite.calling_out = rewrite("<1>");
  DialPlanRule unparsed;
  unparsed.name = "unparsed";
  unparsed.target = to_sip();
  config.rules = {bad_rewrite, unparsed, rule("bare-999", "999", to_group("e1"))};
  const auto problems = check_dial_plan(config);
  const std::vector<std::string> want = {
      "rule 0 (bad-rewrite): called_out uses <2> but the called pattern has 1 groups",
      "rule 0 (bad-rewrite): calling_out uses <1> but the calling pattern has 0 groups",
      "rule 0 (bad-rewrite): target is a card group but names none",
      "rule 1 (unparsed): no called pattern; it matches nothing",
      "emergency number 9999 is routed by no rule",
      "emergency number 112 is routed by no rule",
      "emergency number 9112 is routed by no rule",
  };
  EXPECT_EQ(problems, want);
}

}  // namespace
}  // namespace resproxy::gateway
