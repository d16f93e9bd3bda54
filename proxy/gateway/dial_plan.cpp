#include "proxy/gateway/dial_plan.h"

#include <algorithm>
#include <utility>

namespace resproxy::gateway {
namespace {

bool source_matches(const std::optional<CallSource>& wanted, const CallSource& from) {
  if (!wanted) return true;
  if (wanted->kind != from.kind) return false;
  return wanted->kind == CallSource::Kind::Sip || wanted->group == from.group;
}

std::string rule_label(const DialPlanConfig& config, std::size_t index) {
  const std::string& name = config.rules[index].name;
  return "rule " + std::to_string(index) + (name.empty() ? "" : " (" + name + ")");
}

}  // namespace

DialPlan::DialPlan(DialPlanConfig config) : config_(std::move(config)) {}

std::vector<Route> DialPlan::routes(const CallSource& from, std::string_view called,
                                    std::string_view calling) const {
  std::vector<Route> out;
  // from the wire or the line: untrusted. An invalid called number matches no pattern; an
  // invalid calling number is no number (see the header).
  if (!is_valid_number(called)) return out;
  const std::string_view calling_number = is_valid_number(calling) ? calling : std::string_view{};
  const bool dialled_emergency = is_emergency(called);
  const Captures calling_whole{std::string(calling_number)};
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    const DialPlanRule& rule = config_.rules[i];
    if (!source_matches(rule.source, from)) continue;
    const auto called_captures = rule.called.match(called);
    if (!called_captures) continue;
    std::optional<Captures> calling_captures;
    if (rule.calling) {
      calling_captures = rule.calling->match(calling_number);
      if (!calling_captures) continue;
    }
    Route route;
    route.rule = i;
    route.called = rule.called_out.format(*called_captures);
    route.calling = rule.calling_out
                        ? rule.calling_out->format(calling_captures ? *calling_captures
                                                                    : calling_whole)
                        : std::string(calling_number);
    route.target = rule.target;
    route.emergency = rule.emergency || dialled_emergency;
    out.push_back(std::move(route));
  }
  return out;
}

bool DialPlan::should_represent(std::uint8_t cause) const {
  return std::find(config_.represent_on.begin(), config_.represent_on.end(), cause) !=
         config_.represent_on.end();
}

bool DialPlan::is_emergency(std::string_view called) const {
  const std::string_view prefix = config_.outside_line_prefix;
  for (const std::string& number : config_.emergency_numbers) {
    if (number.empty()) continue;  // check_dial_plan() reports it; it must not match ""
    if (called == number) return true;
    if (!prefix.empty() && called.size() == prefix.size() + number.size() &&
        called.starts_with(prefix) && called.substr(prefix.size()) == number) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> check_dial_plan(const DialPlanConfig& config) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const DialPlanRule& rule = config.rules[i];
    const std::string label = rule_label(config, i);
    if (!rule.called.is_parsed()) {
      problems.push_back(label + ": no called pattern; it matches nothing");
    }
    if (rule.calling && !rule.calling->is_parsed()) {
      problems.push_back(label + ": calling pattern never parsed; it matches nothing");
    }
    const auto called_top = rule.called_out.highest_capture();
    if (called_top && *called_top > rule.called.group_count()) {
      problems.push_back(label + ": called_out uses <" + std::to_string(*called_top) +
                         "> but the called pattern has " +
                         std::to_string(rule.called.group_count()) + " groups");
    }
    if (rule.calling_out) {
      const std::size_t groups = rule.calling ? rule.calling->group_count() : 0;
      const auto calling_top = rule.calling_out->highest_capture();
      if (calling_top && *calling_top > groups) {
        problems.push_back(label + ": calling_out uses <" + std::to_string(*calling_top) +
                           "> but the calling pattern has " + std::to_string(groups) + " groups");
      }
    }
    if (rule.source && rule.source->kind == CallSource::Kind::Group && rule.source->group.empty()) {
      problems.push_back(label + ": source is a card group but names none");
    }
    if (rule.target.kind == RouteTarget::Kind::Group && rule.target.group.empty()) {
      problems.push_back(label + ": target is a card group but names none");
    }
  }
  if (!is_valid_number(config.outside_line_prefix)) {
    problems.push_back("outside_line_prefix \"" + config.outside_line_prefix +
                       "\" is not a number (0-9 * # +)");
  }
  for (const std::string& number : config.emergency_numbers) {
    if (number.empty() || !is_valid_number(number)) {
      problems.push_back("emergency number \"" + number + "\" is not a number (0-9 * # +)");
      continue;
    }
    std::vector<std::string> dialled{number};
    if (!config.outside_line_prefix.empty()) dialled.push_back(config.outside_line_prefix + number);
    for (const std::string& d : dialled) {
      const bool routed =
          std::any_of(config.rules.begin(), config.rules.end(),
                      [&](const DialPlanRule& r) { return r.called.match(d).has_value(); });
      if (!routed) problems.push_back("emergency number " + d + " is routed by no rule");
    }
  }
  return problems;
}

}  // namespace resproxy::gateway
