// The cross-field rules of [gateway*] and [sim_hardware*], checked once the whole file is read:
// ranges in order, each span and group name once, dial plan targets that exist. The warnings
// name what a working but surprising file leaves out (no groups, no cards).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proxy/config/parser_impl.h"
#include "proxy/config/spec.h"
#include "proxy/config/text.h"

namespace resproxy::config::detail {

using text::quoted;

void Parser::finish_gateway() {
  auto& gw = builder_.config.gateway;
  auto& hw = builder_.config.sim_hardware;
  if (gw.rtp_port_last < gw.rtp_port_first) {
    const std::string first = std::to_string(gw.rtp_port_first);
    fail(line_or("gateway rtp_port_last", line_or("gateway rtp_port_first", 0)), "gateway",
         "rtp_port_last",
         std::to_string(gw.rtp_port_last) + " is below rtp_port_first (" + first + ")",
         "rtp_port_first..65535 (" + first + "..65535)");
  }

  // Emulated cards: each span once across E1 and FXO cards.
  std::map<std::uint16_t, std::string> span_owner;  // span -> its section
  const auto claim_span = [&](std::uint16_t span, const std::string& s, int line) {
    if (const auto it = span_owner.find(span); it != span_owner.end()) {
      fail(line, s, "span", std::to_string(span) + " is already the span of [" + it->second + "]",
           "a span number not used by another card");
    }
    span_owner.emplace(span, s);
  };
  for (auto& [n, entry] : builder_.sim_e1) {
    const std::string s = "sim_hardware.e1." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.e1.span == 0) fail(entry.header_line, s, "span", "missing in an enabled entry", "1..255");
    claim_span(entry.e1.span, s, entry.span_line);
    if (entry.e1.name.empty()) entry.e1.name = "e1-" + std::to_string(entry.e1.span);
    const auto& first = entry.e1.ddi_first;
    const auto& last = entry.e1.ddi_last;
    if (first.empty() != last.empty() || first.size() != last.size() || last < first) {
      fail(entry.ddi_line, s, "ddi_last",
           quoted(last) + " does not end a range from ddi_first (" + quoted(first) + ")",
           "a number as long as ddi_first and not below it, or both empty");
    }
    hw.e1.push_back(entry.e1);
  }
  for (auto& [n, entry] : builder_.sim_fxo) {
    const std::string s = "sim_hardware.fxo." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.fxo.span == 0) fail(entry.header_line, s, "span", "missing in an enabled entry", "1..255");
    claim_span(entry.fxo.span, s, entry.span_line);
    if (entry.fxo.name.empty()) entry.fxo.name = "fxo-" + std::to_string(entry.fxo.span);
    if (entry.lines == 0) fail(entry.header_line, s, "lines", "missing in an enabled entry", "1..32 lines");
    if (entry.fxo.directory_numbers.size() != entry.lines) {
      fail(line_or(s + " directory_numbers", entry.header_line), s, "directory_numbers",
           std::to_string(entry.fxo.directory_numbers.size()) + " numbers for " +
               std::to_string(entry.lines) + " lines",
           "one number per line (" + std::to_string(entry.lines) + ")");
    }
    hw.fxo.push_back(entry.fxo);
  }

  // The exchange's numbering plan: a range each, its bounds of one length and in order.
  for (auto& [n, entry] : builder_.sim_numbers) {
    const std::string s = "sim_hardware.numbers." + std::to_string(n);
    if (!entry.enable) {
      if (!entry.range.first.empty()) {
        builder_.config.warnings.push_back("[" + s + "] is not enabled (enable = 1): ignored");
      }
      continue;
    }
    auto& r = entry.range;
    if (r.first.empty()) fail(entry.header_line, s, "first", "missing in an enabled entry", "digits");
    if (r.last.empty()) r.last = r.first;
    if (r.last.size() != r.first.size() || r.last < r.first) {
      fail(entry.last_line != 0 ? entry.last_line : entry.first_line, s, "last",
           quoted(r.last) + " does not end a range from first (" + quoted(r.first) + ")",
           "a number as long as first and not below it");
    }
    hw.numbers.push_back(r);
  }

  // Groups: a name and spans each; each name once.
  std::map<std::string, int> group_first;
  for (const auto& [n, entry] : builder_.gateway_groups) {
    const std::string s = "gateway.group." + std::to_string(n);
    if (!entry.enable) continue;
    if (entry.name.empty()) {
      fail(entry.header_line, s, "name", "missing in an enabled entry",
           "a name of letters, digits, '-' and '_'");
    }
    if (entry.spans.empty()) {
      fail(entry.header_line, s, "spans", "missing in an enabled entry",
           "a comma-separated list of span numbers 1..255");
    }
    if (const auto it = group_first.find(entry.name); it != group_first.end()) {
      fail(entry.name_line, s, "name",
           quoted(entry.name) + " is already the name of [gateway.group." +
               std::to_string(it->second) + "]",
           "a name not used by another group");
    }
    group_first.emplace(entry.name, n);
    if (hw.has_cards()) {
      for (auto span : entry.spans) {
        if (!span_owner.contains(span)) {
          builder_.config.warnings.push_back("[" + s + "] spans: no [sim_hardware.e1.N] or "
                                             "[sim_hardware.fxo.N] serves span " +
                                             std::to_string(span));
        }
      }
    }
    gw.groups.push_back({.name = entry.name, .spans = entry.spans, .hunt = entry.hunt,
                         .emergency_reserve = entry.emergency_reserve,
                         .reserve_applies_to_incoming = true});
    if (!entry.incoming_destination.empty()) {
      gw.incoming_destination[entry.name] = entry.incoming_destination;
    }
  }

  // Dial plan rules, in index order: a called pattern and a target each; groups must exist.
  const std::string known_groups = [&] {
    std::vector<std::string> names;
    for (const auto& [name, n] : group_first) names.push_back(name);
    return names.empty() ? std::string("none configured") : text::join(names);
  }();
  for (const auto& [n, entry] : builder_.dial_rules) {
    const std::string s = "gateway.dialplan." + std::to_string(n);
    if (!entry.enable) continue;
    if (!entry.called_set) {
      fail(entry.header_line, s, "called", "missing in an enabled entry", "a number pattern");
    }
    if (!entry.target_set) {
      fail(entry.header_line, s, "target", "missing in an enabled entry", "sip, or a group name");
    }
    const auto& target = entry.rule.target;
    if (target.kind == gateway::RouteTarget::Kind::Group && !group_first.contains(target.group)) {
      fail(entry.target_line, s, "target", quoted(target.group) + " is not a group",
           "sip, or a [gateway.group.N] name (" + known_groups + ")");
    }
    if (!entry.source_group.empty() && !group_first.contains(entry.source_group)) {
      fail(entry.source_line, s, "source", quoted(entry.source_group) + " is not a group",
           "any, sip, or a [gateway.group.N] name (" + known_groups + ")");
    }
    gw.dial_plan.rules.push_back(entry.rule);
  }
  if (gw.enable && gw.groups.empty()) {
    builder_.config.warnings.push_back(
        "[gateway] enable=1 and no [gateway.group.N] is enabled: every call is refused");
  }
  if (gw.enable && !hw.has_cards()) {
    builder_.config.warnings.push_back(
        "[gateway] enable=1 and no [sim_hardware.e1.N] or [sim_hardware.fxo.N] is enabled: "
        "there are no cards, every call placed fails (cause 38)");
  }
}

}  // namespace resproxy::config::detail
