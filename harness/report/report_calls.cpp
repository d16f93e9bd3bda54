// The report's call sections of one run: outcomes by phase, post-dial delay, the ladder of one
// call, the calls not answered, and the core nodes' counters.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "harness/report/report_html_parts.h"

namespace resproxy::report::html {

void outcomes_section(std::string& out, const Results& run) {
  if (run.calls.empty()) {
    out += "<p class=\"note\">No calls placed.</p>";
    return;
  }
  std::vector<std::string> phases = known_phases();
  std::vector<std::string> outcomes = known_outcomes();
  for (const auto& c : run.calls) {
    if (std::find(phases.begin(), phases.end(), c.phase) == phases.end()) phases.push_back(c.phase);
    if (std::find(outcomes.begin(), outcomes.end(), c.shown_outcome()) == outcomes.end()) {
      outcomes.push_back(c.shown_outcome());
    }
  }
  // Outcomes no call had are left out (an "expected" column only when some call was).
  std::erase_if(outcomes, [&](const std::string& o) {
    return std::none_of(run.calls.begin(), run.calls.end(),
                        [&](const Call& c) { return c.shown_outcome() == o; });
  });
  // [phase][outcome] counts; phases without calls and not in the run are dropped.
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& c : run.calls) counts[c.phase][c.shown_outcome()] += 1;
  std::erase_if(phases, [&](const std::string& p) {
    const Phase* phase = run.phase(p);
    return counts.count(p) == 0 && (phase == nullptr || phase->end_s <= phase->start_s);
  });

  StackedBars bars;
  bars.description = "Call outcomes by phase";
  bars.x_label = "calls placed";
  for (const auto& o : outcomes) {
    bars.categories.push_back(o);
    bars.category_classes.push_back(outcome_class(o));
  }
  for (const auto& p : phases) {
    std::string label = p;
    if (const Phase* phase = run.phase(p)) {
      label += " (" + format_clock(phase->start_s) + "–" + format_clock(phase->end_s) + ")";
    }
    bars.row_labels.push_back(label);
    std::vector<double> row;
    for (const auto& o : outcomes) row.push_back(counts[p][o]);
    bars.values.push_back(std::move(row));
  }
  out += "<figure>" + render_stacked_bars(bars) + "</figure>";

  out += "<table class=\"compact outcomes\"><thead><tr><th>phase</th><th class=\"num\">placed</th>";
  for (const auto& o : outcomes) {
    out +=
        "<th class=\"num\"><span class=\"dot " + outcome_class(o) + "\"></span>" + esc(o) + "</th>";
  }
  out += "<th class=\"num\">success</th><th class=\"num\">metric</th></tr></thead><tbody>";
  auto row = [&](const std::string& label, const std::map<std::string, int>& by_outcome,
                 const std::string& metric, const std::string& css) {
    int placed = 0;
    for (const auto& [o, n] : by_outcome) placed += n;
    const auto count = [&](const char* o) { return by_outcome.count(o) > 0 ? by_outcome.at(o) : 0; };
    const int answered = count("answered");
    const int base = placed - count("busy") - count("abandoned") - count("expected");
    std::string success =
        base > 0 ? format_metric("ratio", static_cast<double>(answered) / static_cast<double>(base)) : "–";
    std::string metric_css = "num";
    if (auto verdict = metric_verdict(run, metric)) {
      if (*verdict == Verdict::Fail) metric_css += " bad";
    }
    out += "<tr class=\"" + css + "\"><td>" + esc(label) + "</td><td class=\"num\">" +
           std::to_string(placed) + "</td>";
    for (const auto& o : outcomes) {
      int n = by_outcome.count(o) > 0 ? by_outcome.at(o) : 0;
      bool bad = n > 0 && (o == "failed" || o == "abandoned");
      out +=
          "<td class=\"num" + std::string(bad ? " bad" : "") + "\">" + std::to_string(n) + "</td>";
    }
    out += "<td class=\"num\">" + esc(success) + "</td><td class=\"" + metric_css + "\">" +
           esc(metric_or_dash(run, metric)) + "</td></tr>";
  };
  std::map<std::string, int> total;
  for (const auto& p : phases) {
    row(p, counts[p], "call_success_ratio." + p, "");
    for (const auto& [o, n] : counts[p]) total[o] += n;
  }
  row("whole run", total, "call_success_ratio", "total");
  out += "</tbody></table>";
  out +=
      "<p class=\"note\">success = answered / (placed − busy − abandoned − expected), as the "
      "metrics define it; <em>expected</em> are calls whose outcome was the right one although "
      "they were not answered (a PSTN call to an unassigned number answered 404; a call from "
      "beyond the ITSP placed while its only way in was cut), listed below with their reason; "
      "<em>metric</em> is the harness's own figure.</p>";

  // Answered/placed by kind and phase: shows what kept working during the fault.
  std::vector<std::string> kinds;
  for (const auto& c : run.calls) {
    if (std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) kinds.push_back(c.kind);
  }
  std::sort(kinds.begin(), kinds.end());
  out += "<table class=\"compact\"><thead><tr><th>kind</th>";
  for (const auto& p : phases) out += "<th class=\"num\">" + esc(p) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& kind : kinds) {
    out += "<tr><td>" + esc(kind.empty() ? "?" : kind) + "</td>";
    for (const auto& p : phases) {
      int placed = 0, answered = 0, excused = 0, expected = 0;
      for (const auto& c : run.calls) {
        if (c.kind != kind || c.phase != p) continue;
        ++placed;
        if (c.shown_outcome() == "answered") ++answered;
        if (c.shown_outcome() == "busy" || c.shown_outcome() == "abandoned") ++excused;
        if (c.shown_outcome() == "expected") ++expected;
      }
      bool bad = answered < placed - excused - expected;
      std::string text = std::to_string(answered) + " / " + std::to_string(placed) + " answered";
      if (expected > 0) text += " (" + std::to_string(expected) + " expected)";
      out += "<td class=\"num" + std::string(bad ? " bad" : "") + "\">" +
             (placed == 0 ? std::string("–") : text) + "</td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table>";
}

void pdd_section(std::string& out, const Results& run) {
  Histogram histogram;
  histogram.description = "Distribution of post-dial delay";
  histogram.x_label = "post-dial delay: INVITE → first 18x (ms)";
  std::vector<std::string> phases = known_phases();
  for (const auto& c : run.calls) {
    if (std::find(phases.begin(), phases.end(), c.phase) == phases.end()) phases.push_back(c.phase);
  }
  std::vector<double> all;
  for (const auto& p : phases) {
    std::vector<double> values;
    for (const auto& c : run.calls) {
      if (c.phase == p && c.pdd_ms) values.push_back(*c.pdd_ms);
    }
    if (values.empty()) continue;
    all.insert(all.end(), values.begin(), values.end());
    histogram.groups.push_back("placed " + p);
    histogram.group_classes.push_back(phase_class(p));
    histogram.values.push_back(std::move(values));
  }
  if (all.empty()) {
    out += "<p class=\"note\">No call reached a provisional response: no post-dial delays.</p>";
    return;
  }
  std::sort(all.begin(), all.end());
  double p50 = run.metric("pdd_ms.p50").value_or(percentile(all, 50));
  double p95 = run.metric("pdd_ms.p95").value_or(percentile(all, 95));
  histogram.markers.push_back({p50, "p50 " + format_metric("pdd_ms", p50)});
  histogram.markers.push_back({p95, "p95 " + format_metric("pdd_ms", p95)});
  out += "<figure>" + render_histogram(histogram) + "</figure>";
  std::size_t without = run.calls.size() - all.size();
  out += "<p class=\"note\">" + std::to_string(all.size()) + " calls with a post-dial delay; min " +
         esc(format_metric("pdd_ms", all.front())) + ", p50 " + esc(format_metric("pdd_ms", p50)) +
         ", p95 " + esc(format_metric("pdd_ms", p95)) + ", max " +
         esc(format_metric("pdd_ms", all.back())) + ". " + std::to_string(without) +
         " calls never got an 18x and are not shown.</p>";
}

void ladder_section(std::string& out, const Results& run) {
  if (!run.ladder || run.ladder->messages.empty()) {
    out += "<p class=\"note\">No ladder recorded for this run.</p>";
    return;
  }
  const Ladder& ladder = *run.ladder;
  const Call* call = nullptr;
  for (const auto& c : run.calls) {
    if (!ladder.call_id.empty() && c.call_id == ladder.call_id) {
      call = &c;
      break;
    }
  }
  out += "<p class=\"ladder-caption\">Call-ID <code>" + esc(ladder.call_id) + "</code>";
  if (call != nullptr) {
    out += " — call " + std::to_string(call->id) + ": " + esc(call->from) + " → " + esc(call->to) +
           ", " + esc(call->kind) + ", placed at " + esc(format_clock(call->placed_s, true)) +
           " (" + esc(call->phase) + "), routed to " + esc(call->route) + ", <span class=\"" +
           (call->outcome == "answered" ? "good" : "bad") + "\">" + esc(call->outcome) +
           (call->status ? " " + std::to_string(*call->status) : std::string()) + "</span>";
  }
  out += "</p>";
  LadderDiagram diagram;
  diagram.description = "SIP ladder of call " + ladder.call_id;
  diagram.nodes = ladder.nodes;
  for (const auto& m : ladder.messages) diagram.messages.push_back({m.t_s, m.from, m.to, m.label});
  out +=
      "<figure>" + render_ladder(diagram) +
      "<figcaption>Times are simulated seconds; the + column is the time since the first message. "
      "Blue: requests; grey: 1xx; green: 2xx; red: 4xx–6xx.</figcaption></figure>";
}

void unsuccessful_calls(std::string& out, const Results& run) {
  std::vector<const Call*> calls;
  for (const auto& c : run.calls) {
    if (c.outcome != "answered") calls.push_back(&c);
  }
  if (calls.empty()) return;
  out += std::string("<details") + (calls.size() <= 12 ? " open" : "") +
         "><summary>Calls not answered (" + std::to_string(calls.size()) + " of " +
         std::to_string(run.calls.size()) + ")</summary>";
  out +=
      "<table class=\"compact\"><thead><tr><th class=\"num\">id</th><th class=\"num\">placed</th>"
      "<th>phase</th><th>kind</th><th>from → to</th><th>route</th><th>outcome</th>"
      "<th class=\"num\">status</th><th class=\"num\">PDD</th><th>reason</th></tr></thead><tbody>";
  constexpr std::size_t kMaxRows = 200;  // a page, not a database: the rest is counted
  for (std::size_t i = 0; i < calls.size() && i < kMaxRows; ++i) {
    const Call* c = calls[i];
    bool bad = c->expected.empty() && (c->outcome == "failed" || c->outcome == "abandoned");
    out += "<tr><td class=\"num\">" + std::to_string(c->id) + "</td><td class=\"num\">" +
           esc(format_clock(c->placed_s, true)) + "</td><td>" + esc(c->phase) + "</td><td>" +
           esc(c->kind) + "</td><td>" + esc(c->from) + " → " + esc(c->to) + "</td><td>" +
           esc(c->route) + "</td><td class=\"" + (bad ? "bad" : "") + "\">" + esc(c->outcome) +
           (c->expected.empty() ? std::string() : " <small>(expected: " + esc(c->expected) + ")</small>") +
           "</td><td class=\"num\">" + (c->status ? std::to_string(*c->status) : std::string("–")) +
           "</td><td class=\"num\">" +
           (c->pdd_ms ? esc(format_metric("pdd_ms", *c->pdd_ms)) : "–") + "</td><td>" +
           esc(c->failure) + "</td></tr>";
  }
  out += "</tbody></table>";
  if (calls.size() > kMaxRows) {
    out += "<p class=\"note\">… and " + std::to_string(calls.size() - kMaxRows) +
           " more, not listed.</p>";
  }
  out += "</details>";
}

// Each core node's counter table at the end of the run, as `resproxyctl show counters` prints
// it then; only the counters that moved are listed (the rest are named in a line below).
void counters_section(std::string& out, const Results& run) {
  if (run.counters.empty()) {
    out += "<p class=\"note\">No counters recorded for this run.</p>";
    return;
  }
  for (const auto& [node, table] : run.counters) {
    std::string idle;
    std::string rows;
    for (const auto& c : table) {
      if (c.value == 0) {
        idle += (idle.empty() ? "" : ", ") + esc(c.name);
        continue;
      }
      rows += "<tr><td><code>" + esc(c.name) + "</code></td><td>" + esc(c.kind) +
              "</td><td class=\"num\">" + format_number(c.value, 0) + "</td><td>" + esc(c.help) +
              "</td></tr>";
    }
    out += "<details><summary><code>" + esc(node) + "</code> counters at the end of the run</summary>";
    out += "<table class=\"compact\"><thead><tr><th>counter</th><th>kind</th><th class=\"num\">value</th>"
           "<th>meaning</th></tr></thead><tbody>" + rows + "</tbody></table>";
    if (!idle.empty()) out += "<p class=\"note\">At zero: " + idle + ".</p>";
    out += "</details>";
  }
}

// min / median / max of the key metrics over the seeds, and each seed's value.

}  // namespace resproxy::report::html
