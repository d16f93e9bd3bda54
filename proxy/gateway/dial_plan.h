#pragma once
// The PSTN gateway's dial plan, in the style of the Vega gateway's: an ordered list of rules,
// each matching the called number, optionally the calling number and where the call came from
// (SIP, or the card group it arrived on), rewriting both numbers and naming where to send the
// call (a card group, or SIP: resproxy itself). Fed by the gateway's call state machine for every
// new call, from SIP or from a card; emits the list of routes to try.
//
// Call re-presentation: routes() returns every matching rule's route in rule order; when a route
// fails with a cause should_represent() accepts (by default 34 no circuit, 38 network out of
// order, 41 temporary failure, 42 switching congestion, 44 requested channel not available — the
// glare cause —, 47 resource unavailable; a span in alarm makes its group answer 34), the
// gateway presents the call to the next route; past the last it releases the call with that cause.
//
// Choices (tests in tests/unit/gateway/dial_plan_test.cpp):
//   - A called number that is not a valid number (number_pattern.h) matches no rule. A calling
//     number that is not one (from SIP it may be a user name such as "alice") is treated as no
//     number at all: "" for matching, capturing and passing on, since the line cannot carry it.
//     So every number in a Route holds only 0-9 * # + (rewrites add only those).
//   - called_out's <N> are the called pattern's captures; calling_out's are the calling
//     pattern's, or, for a rule without one, just <0> = the calling number.
//   - Every matching rule yields a route, even one equal to an earlier route: two rules to the
//     same group try it twice, which after a 34 can find a channel freed meanwhile. Order is the
//     engineer's.
//   - Emergency: a route is an emergency route if its rule says so or the number as dialled is an
//     emergency number, with or without the outside-line prefix (9999, 9112, 999, 112 with prefix
//     "9"). The dial plan invents no route: the emergency numbers need rules that route them (and
//     strip the prefix); check_dial_plan() reports a plan where one is missing.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/gateway/number_pattern.h"

namespace resproxy::gateway {

struct CallSource {
  enum class Kind : std::uint8_t { Sip, Group } kind = Kind::Sip;
  std::string group;  // Group: the card group the call came in on
  friend bool operator==(const CallSource&, const CallSource&) = default;
};

struct RouteTarget {
  enum class Kind : std::uint8_t { Group, Sip } kind = Kind::Group;
  std::string group;  // Group: the card group to hunt a channel in
  friend bool operator==(const RouteTarget&, const RouteTarget&) = default;
};

// One [gateway.dialplan.N] section of the configuration.
struct DialPlanRule {
  std::string name;
  std::optional<CallSource> source;    // nullopt: calls from anywhere
  NumberPattern called;                // must match the called number
  std::optional<NumberPattern> calling;  // nullopt: any calling number, even none
  Rewrite called_out;                  // default "<0>": unchanged
  std::optional<Rewrite> calling_out;  // nullopt: unchanged
  RouteTarget target;
  bool emergency = false;              // calls matched by this rule are emergency calls
};

struct DialPlanConfig {
  std::vector<DialPlanRule> rules;
  std::vector<std::uint8_t> represent_on = {34, 38, 41, 42, 44, 47};  // Q.850 causes
  std::vector<std::string> emergency_numbers = {"999", "112"};
  std::string outside_line_prefix;  // e.g. "9"; empty: the office dials none
};

struct Route {
  std::size_t rule = 0;  // index into DialPlanConfig::rules
  std::string called;    // rewritten
  std::string calling;   // rewritten
  RouteTarget target;
  bool emergency = false;
  friend bool operator==(const Route&, const Route&) = default;
};

class DialPlan {
 public:
  explicit DialPlan(DialPlanConfig config);

  // Every matching rule in order, numbers rewritten: the routes to try, first to last
  // (re-presentation walks this list). Empty: no rule matches; the gateway answers 404 (SIP) or
  // releases with cause 1, unallocated number (card). `called` and `calling` are untrusted.
  [[nodiscard]] std::vector<Route> routes(const CallSource& from, std::string_view called,
                                          std::string_view calling) const;

  // Whether a route that failed with Q.850 `cause` makes the gateway try the next route.
  [[nodiscard]] bool should_represent(std::uint8_t cause) const;

  // An emergency number, dialled with or without the outside-line prefix (9999, 9112 and 999,
  // 112 with prefix "9" and the default numbers). Exact: 99 or 9990 is not.
  [[nodiscard]] bool is_emergency(std::string_view called) const;

  [[nodiscard]] const DialPlanConfig& config() const { return config_; }

 private:
  DialPlanConfig config_;
};

// Load-time checks the configuration loader turns into refusals or warnings, one message per
// problem (empty: none): a rule whose called pattern was never parsed, a rewrite naming a capture
// its pattern lacks, a Group source or target without a group name, an emergency number or
// outside-line prefix that is not a valid number, an emergency number (with and without prefix)
// no rule's called pattern matches.
[[nodiscard]] std::vector<std::string> check_dial_plan(const DialPlanConfig& config);

}  // namespace resproxy::gateway
