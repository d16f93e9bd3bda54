#include "harness/report/report_html.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "harness/report/report_html_parts.h"
#include "harness/report/report_style.h"
#include "harness/report/report_svg.h"

namespace resproxy::report {
namespace html {

const std::vector<std::string>& known_phases() {
  static const std::vector<std::string> phases = {"before", "during", "after"};
  return phases;
}

const std::vector<std::string>& known_outcomes() {
  static const std::vector<std::string> outcomes = {"answered", "busy", "expected", "failed",
                                                          "abandoned"};
  return outcomes;
}

// CSS class fragment from free text: lower case letters and digits only.
std::string css_token(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      out += c;
  }
  return out;
}

std::string phase_class(std::string_view phase) {
  std::string token = css_token(phase);
  if (token == "before" || token == "during" || token == "after") return "phase-" + token;
  return "phase-other";
}

std::string outcome_class(std::string_view outcome) {
  std::string token = css_token(outcome);
  for (const auto& known : known_outcomes()) {
    if (token == known) return "outcome-" + token;
  }
  return "outcome-other";
}

std::string state_class(std::string_view state) {
  std::string token = css_token(state);
  if (token == "active" || token == "probing" || token == "inactive" || token == "admindisabled") {
    return "state-" + token;
  }
  return "state-other";
}

std::string verdict_class(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::NoExpectations: return "none";
  }
  return "none";
}

std::string badge(Verdict verdict) {
  return "<span class=\"badge " + verdict_class(verdict) + "\">" + std::string(to_string(verdict)) +
         "</span>";
}

// Anchor ids: the scenario's position plus a slug of its name, so they are unique and stable.
std::string anchor(std::size_t index, std::string_view scenario) {
  std::string slug;
  for (char c : scenario) {
    char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    if (keep)
      slug += lower;
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
    if (slug.size() >= 48) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return "s" + std::to_string(index + 1) + (slug.empty() ? "" : "-" + slug);
}

std::string display_title(const Results& run) {
  return run.title.empty() ? run.scenario : run.title;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::size_t passed_count(const Results& run) {
  return static_cast<std::size_t>(std::count_if(run.expectations.begin(), run.expectations.end(),
                                                [](const Expectation& e) { return e.passed; }));
}

Overview overview(const std::vector<ScenarioRuns>& scenarios) {
  Overview o;
  for (const auto& s : scenarios) {
    o.overall = combine(o.overall, s.verdict());
    for (const auto& run : s.runs) {
      ++o.runs;
      o.expectations += run.expectations.size();
      o.met += passed_count(run);
    }
  }
  return o;
}

// The verdict of the expectations on `metric` in `run`, if any.
std::optional<Verdict> metric_verdict(const Results& run, const std::string& metric) {
  std::optional<Verdict> verdict;
  for (const auto& e : run.expectations) {
    if (e.metric != metric) continue;
    verdict = combine(verdict.value_or(Verdict::NoExpectations),
                      e.passed ? Verdict::Pass : Verdict::Fail);
  }
  return verdict;
}

std::string metric_or_dash(const Results& run, const std::string& name) {
  auto value = run.metric(name);
  return value ? format_metric(name, *value) : "–";
}

// The metrics worth comparing between seeds, in this order; then any other metric that an
// expectation names.
const std::vector<std::string>& key_metrics() {
  static const std::vector<std::string> names = {
      "calls_total",
      "calls_answered",
      "call_success_ratio",
      "call_success_ratio.before",
      "call_success_ratio.during",
      "call_success_ratio.after",
      "local_call_success_ratio.during",
      "detection_time_s",
      "failback_time_s",
      "false_failovers",
      "gateway_loops",
      "pdd_ms.p50",
      "pdd_ms.p95",
      "pdd_ms.max",
      "registrations_failed",
      "max_calls_in_progress",
      // With the real gateway and fixed channels: how many lines the office needs.
      "pstn_offered_erlang",
      "pstn_erlang_b_blocking",
      "pstn_engset_blocking",
      "pstn_measured_blocking",
  };
  return names;
}

std::string metric_label(const std::string& name) {
  static const std::map<std::string, std::string> labels = {
      {"calls_total", "calls placed"},
      {"calls_answered", "calls answered"},
      {"call_success_ratio", "call success (whole run)"},
      {"call_success_ratio.before", "call success before the fault"},
      {"call_success_ratio.during", "call success during the fault"},
      {"call_success_ratio.after", "call success after the fault"},
      {"local_call_success_ratio.during", "internal call success during the fault"},
      {"detection_time_s", "detection time"},
      {"failback_time_s", "failback time"},
      {"false_failovers", "false failovers"},
      {"gateway_loops", "gateway loops"},
      {"pdd_ms.p50", "post-dial delay p50"},
      {"pdd_ms.p95", "post-dial delay p95"},
      {"pdd_ms.max", "post-dial delay max"},
      {"registrations_failed", "failed registrations"},
      {"max_calls_in_progress", "max calls in progress"},
      {"pstn_offered_erlang", "PSTN traffic offered (Erlang)"},
      {"pstn_erlang_b_blocking", "PSTN blocking, Erlang B"},
      {"pstn_engset_blocking", "PSTN blocking, Engset (the office's phones as sources)"},
      {"pstn_measured_blocking", "PSTN blocking, measured"},
      {"pstn_erlang_b_gap", "PSTN blocking, |measured − Erlang B|"},
      {"pstn_calls_blocked.during", "PSTN calls blocked during the fault"},
      {"pstn_represented", "PSTN calls re-presented"},
      {"pstn_channels_in_use.max", "PSTN channels in use, max"},
  };
  auto it = labels.find(name);
  return it == labels.end() ? name : it->second;
}

// The fault the detection and failback times are measured from: the earliest one, else the
// "during" phase.
std::optional<std::pair<double, double>> main_fault_window(const Results& run) {
  if (!run.faults.empty()) {
    auto it =
        std::min_element(run.faults.begin(), run.faults.end(),
                         [](const Fault& a, const Fault& b) { return a.start_s < b.start_s; });
    return std::make_pair(it->start_s, it->end_s);
  }
  if (const Phase* during = run.phase("during")) {
    return std::make_pair(during->start_s, during->end_s);
  }
  return std::nullopt;
}

double run_end(const Results& run) {
  double end = run.duration_s;
  if (end <= 0) {
    for (const auto& s : run.series) end = std::max(end, s.t_s);
    for (const auto& c : run.calls) end = std::max(end, c.ended_s.value_or(c.placed_s));
    for (const auto& p : run.phases) end = std::max(end, p.end_s);
  }
  return end > 0 ? end : 1;
}

std::string fault_label(const Fault& fault) {
  std::string label = fault.kind.empty() ? "fault" : fault.kind;
  if (!fault.target.empty()) label += " · " + fault.target;
  return label;
}

std::vector<TimeBand> fault_bands(const Results& run) {
  std::vector<TimeBand> bands;
  for (const auto& fault : run.faults) {
    TimeBand band;
    band.start_s = fault.start_s;
    band.end_s = std::max(fault.end_s, fault.start_s);
    band.label = fault_label(fault);
    band.css_class = "band-fault";
    bands.push_back(std::move(band));
  }
  if (bands.empty()) {
    if (const Phase* during = run.phase("during")) {
      TimeBand band;
      band.start_s = during->start_s;
      band.end_s = during->end_s;
      band.label = "fault window";
      band.css_class = "band-fault";
      bands.push_back(std::move(band));
    }
  }
  return bands;
}

// Spans where the series says resproxy was in failure operation.
std::vector<std::pair<double, double>> failure_operation_spans(const Results& run) {
  // A flag and a double rather than optional<double>: g++ 12 -O2 warns about the latter here.
  std::vector<std::pair<double, double>> spans;
  bool in_span = false;
  double start = 0;
  for (const auto& sample : run.series) {
    bool on = sample.failure_operation > 0;
    if (on && !in_span) {
      in_span = true;
      start = sample.t_s;
    } else if (!on && in_span) {
      spans.emplace_back(start, sample.t_s);
      in_span = false;
    }
  }
  if (in_span) spans.emplace_back(start, run_end(run));
  return spans;
}

std::vector<TimeMarker> detection_markers(const Results& run) {
  std::vector<TimeMarker> markers;
  auto window = main_fault_window(run);
  if (!window) return markers;
  if (auto detection = run.metric("detection_time_s")) {
    TimeMarker marker;
    marker.t_s = window->first + *detection;
    marker.label = "detected +" + format_number(*detection, 3) + " s";
    marker.css_class = "marker-detect";
    markers.push_back(std::move(marker));
  }
  if (auto failback = run.metric("failback_time_s")) {
    TimeMarker marker;
    marker.t_s = window->second + *failback;
    marker.label = "failback +" + format_number(*failback, 3) + " s";
    marker.css_class = "marker-failback";
    markers.push_back(std::move(marker));
  }
  return markers;
}

// ---- sections ---------------------------------------------------------------------------------

void expectations_table(std::string& out, const Results& run) {
  if (run.expectations.empty()) {
    out += "<p class=\"note\">This scenario states no expectations.</p>";
    return;
  }
  std::size_t passed = passed_count(run);
  std::size_t failed = run.expectations.size() - passed;
  out += "<p class=\"verdict-line " + verdict_class(run.verdict()) + "\">" + badge(run.verdict()) +
         " " + std::to_string(passed) + " of " + std::to_string(run.expectations.size()) +
         " expectations met";
  if (failed > 0) out += " — <strong>" + std::to_string(failed) + " failed</strong>";
  out += "</p>";
  out +=
      "<table class=\"verdicts\"><thead><tr><th>verdict</th><th>expectation</th><th>metric</th>"
      "<th class=\"num\">expected</th><th class=\"num\">actual</th><th class=\"num\">line</th>"
      "</tr></thead><tbody>";
  for (const auto& e : run.expectations) {
    Verdict v = e.passed ? Verdict::Pass : Verdict::Fail;
    out += "<tr class=\"" + verdict_class(v) + "\"><td>" + badge(v) + "</td><td>" + esc(e.text) +
           "</td><td><code>" + esc(e.metric) + "</code></td><td class=\"num\">" +
           esc(format_op(e.op)) + " " +
           (e.value ? esc(format_metric(e.metric, *e.value)) : std::string("–")) +
           "</td><td class=\"num actual\">" +
           (e.actual ? esc(format_metric(e.metric, *e.actual))
                     : std::string("<em>not measured</em>")) +
           "</td><td class=\"num\">" + (e.line ? std::to_string(*e.line) : std::string("–")) +
           "</td></tr>";
  }
  out += "</tbody></table>";
}

void key_figures(std::string& out, const Results& run) {
  struct Card {
    const char* metric;
    const char* label;
  };
  static const Card cards[] = {
      {"detection_time_s", "detection time"},
      {"failback_time_s", "failback time"},
      {"call_success_ratio", "call success, whole run"},
      {"call_success_ratio.during", "call success during the fault"},
      {"local_call_success_ratio.during", "internal calls during the fault"},
      {"pdd_ms.p50", "post-dial delay p50"},
      {"pdd_ms.p95", "post-dial delay p95"},
      {"false_failovers", "false failovers"},
      {"registrations_failed", "failed registrations"},
      {"max_calls_in_progress", "max calls in progress"},
  };
  out += "<div class=\"cards\">";
  for (const auto& card : cards) {
    std::string metric = card.metric;
    auto value = run.metric(metric);
    std::string css = "card";
    if (auto verdict = metric_verdict(run, metric)) css += " " + verdict_class(*verdict);
    std::string shown = value ? format_metric(metric, *value) : "–";
    // Absent with a fault to measure from: the event never happened.
    if (!value && main_fault_window(run) &&
        (metric == "detection_time_s" || metric == "failback_time_s")) {
      shown = "never";
    }
    out += "<div class=\"" + css + "\"><div class=\"value\">" + esc(shown) +
           "</div><div class=\"label\">" + esc(card.label) + "</div></div>";
  }
  out += "</div>";
}

}  // namespace html

using namespace html;  // NOLINT(google-build-using-namespace): this file's own parts

namespace {

void spread_section(std::string& out, const ScenarioRuns& scenario) {
  const auto& runs = scenario.runs;
  std::vector<std::string> names;
  for (const auto& name : key_metrics()) {
    bool present = std::any_of(runs.begin(), runs.end(),
                               [&](const Results& r) { return r.metric(name).has_value(); });
    if (present) names.push_back(name);
  }
  for (const auto& run : runs) {
    for (const auto& e : run.expectations) {
      if (std::find(names.begin(), names.end(), e.metric) == names.end() && run.metric(e.metric)) {
        names.push_back(e.metric);
      }
    }
  }
  const bool per_seed = runs.size() <= 10;
  out +=
      "<table class=\"compact spread\"><thead><tr><th>metric</th><th class=\"num\">min</th>"
      "<th class=\"num\">median</th><th class=\"num\">max</th>";
  if (per_seed) {
    for (const auto& run : runs) {
      out += "<th class=\"num\">seed " + std::to_string(run.seed) + "</th>";
    }
  }
  out += "</tr></thead><tbody>";
  out += "<tr><td>verdict</td><td></td><td></td><td></td>";
  if (per_seed) {
    for (const auto& run : runs) out += "<td class=\"num\">" + badge(run.verdict()) + "</td>";
  }
  out += "</tr>";
  for (const auto& name : names) {
    std::vector<double> values;
    for (const auto& run : runs) {
      if (auto v = run.metric(name)) values.push_back(*v);
    }
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    out += "<tr><td>" + esc(metric_label(name)) + " <code>" + esc(name) +
           "</code></td><td class=\"num\">" + esc(format_metric(name, *lo)) +
           "</td><td class=\"num\">" + esc(format_metric(name, median(values))) +
           "</td><td class=\"num\">" + esc(format_metric(name, *hi)) + "</td>";
    if (per_seed) {
      for (const auto& run : runs) {
        auto verdict = metric_verdict(run, name);
        bool bad = verdict && *verdict == Verdict::Fail;
        out += "<td class=\"num" + std::string(bad ? " bad" : "") + "\">" +
               esc(metric_or_dash(run, name)) + "</td>";
      }
    }
    out += "</tr>";
  }
  out += "</tbody></table>";

  // Each expectation (by its text and metric) over the seeds.
  struct Row {
    std::string text, metric, op;
    std::optional<double> value;
    int passed = 0, total = 0;
    std::vector<std::string> failed_seeds;
  };
  std::vector<Row> rows;
  for (const auto& run : runs) {
    for (const auto& e : run.expectations) {
      auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& r) {
        return r.text == e.text && r.metric == e.metric;
      });
      if (it == rows.end()) {
        Row row;
        row.text = e.text;
        row.metric = e.metric;
        row.op = e.op;
        row.value = e.value;
        rows.push_back(std::move(row));
        it = rows.end() - 1;
      }
      it->total += 1;
      if (e.passed)
        it->passed += 1;
      else
        it->failed_seeds.push_back(std::to_string(run.seed));
    }
  }
  if (rows.empty()) return;
  out +=
      "<table class=\"compact verdicts\"><thead><tr><th>verdict</th><th>expectation</th>"
      "<th class=\"num\">expected</th><th class=\"num\">met in</th><th>failed seeds</th>"
      "</tr></thead><tbody>";
  for (const auto& row : rows) {
    Verdict v = row.passed == row.total ? Verdict::Pass : Verdict::Fail;
    std::string failed;
    for (const auto& s : row.failed_seeds) failed += (failed.empty() ? "" : ", ") + s;
    out += "<tr class=\"" + verdict_class(v) + "\"><td>" + badge(v) + "</td><td>" + esc(row.text) +
           "</td><td class=\"num\">" + esc(format_op(row.op)) + " " +
           (row.value ? esc(format_metric(row.metric, *row.value)) : std::string("–")) +
           "</td><td class=\"num\">" + std::to_string(row.passed) + " / " +
           std::to_string(row.total) + " seeds</td><td>" + esc(failed) + "</td></tr>";
  }
  out += "</tbody></table>";
}

struct SubSection {
  const char* suffix;
  const char* title;
};

const SubSection kSubSections[] = {
    {"verdicts", "Expectations"},
    {"timeline", "Fault timeline and ITSP state"},
    {"series", "Registrations and calls in progress"},
    {"outcomes", "Call outcomes by phase"},
    {"pdd", "Post-dial delay"},
    {"ladder", "SIP ladder"},
    {"counters", "Counters"},
};

void scenario_section(std::string& out, const ScenarioRuns& scenario, const std::string& id) {
  const Results& first = scenario.runs.front();
  Verdict verdict = scenario.verdict();
  out += "<section class=\"scenario " + verdict_class(verdict) + "\" id=\"" + id + "\">";
  out += "<h2>" + badge(verdict) + " " + esc(display_title(first)) + "</h2>";
  std::string seeds;
  for (const auto& run : scenario.runs) {
    seeds += (seeds.empty() ? "" : ", ") + std::to_string(run.seed);
  }
  out += "<p class=\"meta\">scenario <code>" + esc(scenario.scenario) + "</code> · " +
         (scenario.runs.size() == 1 ? "seed " : "seeds ") + esc(seeds) + " · " +
         esc(format_clock(run_end(first))) + " simulated";
  for (const auto& fault : first.faults) {
    out += " · " + esc(fault_label(fault)) + " " + esc(format_clock(fault.start_s)) + "–" +
           esc(format_clock(fault.end_s));
  }
  out += "</p>";

  if (scenario.runs.size() > 1) {
    out += "<h3 id=\"" + id + "-spread\">Across " + std::to_string(scenario.runs.size()) +
           " seeds</h3>";
    spread_section(out, scenario);
  }

  out += "<h3>Seed " + std::to_string(first.seed) + (scenario.runs.size() > 1 ? " in detail" : "") +
         " <small><code>" + esc(first.origin) + "</code></small></h3>";
  out += "<h4 id=\"" + id + "-verdicts\">Expectations</h4>";
  expectations_table(out, first);
  key_figures(out, first);
  out += "<h4 id=\"" + id + "-timeline\">Fault timeline and ITSP state</h4>";
  timeline_section(out, first);
  out += "<h4 id=\"" + id + "-series\">Registrations and calls in progress</h4>";
  series_section(out, first);
  out += "<h4 id=\"" + id + "-outcomes\">Call outcomes by phase</h4>";
  outcomes_section(out, first);
  unsuccessful_calls(out, first);
  if (first.audio) {
    out += "<h4 id=\"" + id + "-audio\">Audio</h4>";
    audio_section(out, first);
  }
  out += "<h4 id=\"" + id + "-pdd\">Post-dial delay</h4>";
  pdd_section(out, first);
  out += "<h4 id=\"" + id + "-ladder\">SIP ladder</h4>";
  ladder_section(out, first);
  out += "<h4 id=\"" + id + "-counters\">Counters</h4>";
  counters_section(out, first);
  out += "<p class=\"back\"><a href=\"#top\">↑ contents</a></p>";
  out += "</section>";
}

}  // namespace


std::string format_metric(const std::string& name, double value) {
  // The unit is the suffix of the name before any ".phase" or ".p95" qualifier.
  std::string base = name.substr(0, name.find('.'));
  if (base.ends_with("ratio")) {
    double percent = value * 100;
    // Enough places to tell 99.9 % from 100 %.
    int places = (percent > 99 && percent < 100) ? 2 : 1;
    return format_number(percent, places) + " %";
  }
  if (base.ends_with("_ms")) {
    return format_number(value, std::fabs(value) < 10 ? 1 : 0) + " ms";
  }
  if (base.ends_with("_s")) {
    return format_number(value, 3) + " s";
  }
  return format_number(value, 3);
}

std::string format_op(const std::string& op) {
  if (op == ">=") return "≥";
  if (op == "<=") return "≤";
  if (op == "==") return "=";
  if (op == "!=") return "≠";
  return op;
}

std::string render_html(const std::vector<ScenarioRuns>& scenarios, const RenderOptions& options) {
  const auto [overall, runs, expectations, met] = overview(scenarios);

  std::string out;
  out.reserve(256 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>resproxy resilience report — " +
      std::string(to_string(overall)) + "</title>\n<style>\n";
  out += report_css();
  out += "</style>\n</head>\n<body>\n";

  out += "<header class=\"top " + verdict_class(overall) + "\" id=\"top\"><div class=\"wrap\">";
  out += "<div class=\"overall\">" + std::string(to_string(overall)) + "</div>";
  out += "<div><h1>resproxy resilience report</h1><p class=\"sub\">" +
         std::to_string(scenarios.size()) +
         (scenarios.size() == 1 ? " scenario, " : " scenarios, ") + std::to_string(runs) +
         (runs == 1 ? " run" : " runs") + " · <strong>" + std::to_string(met) + " of " +
         std::to_string(expectations) + " expectations met</strong>";
  if (!options.source_label.empty())
    out += " · from <code>" + esc(options.source_label) + "</code>";
  out += "</p>";
  std::string failing;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    if (scenarios[i].verdict() != Verdict::Fail) continue;
    std::string seeds;
    for (const auto& run : scenarios[i].runs) {
      if (run.verdict() == Verdict::Fail)
        seeds += (seeds.empty() ? "" : ", ") + std::to_string(run.seed);
    }
    failing += (failing.empty() ? "" : " · ") + std::string("<a href=\"#") +
               anchor(i, scenarios[i].scenario) + "\">" + esc(scenarios[i].scenario) +
               "</a> (seed " + esc(seeds) + ")";
  }
  if (!failing.empty()) out += "<p class=\"failing\">Failing: " + failing + "</p>";
  out += "</div></div></header>\n<main>\n";

  // Table of contents.
  out += "<nav class=\"toc\"><h2>Contents</h2><ol>";
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto& s = scenarios[i];
    std::string id = anchor(i, s.scenario);
    std::size_t s_met = 0, s_total = 0;
    for (const auto& run : s.runs) {
      s_met += passed_count(run);
      s_total += run.expectations.size();
    }
    out += "<li>" + badge(s.verdict()) + " <a href=\"#" + id + "\">" +
           esc(display_title(s.runs.front())) + "</a> <span class=\"muted\"><code>" +
           esc(s.scenario) + "</code> · " + std::to_string(s.runs.size()) +
           (s.runs.size() == 1 ? " seed" : " seeds") + " · " + std::to_string(s_met) + "/" +
           std::to_string(s_total) + " met</span><div class=\"toc-sub\">";
    if (s.runs.size() > 1) out += "<a href=\"#" + id + "-spread\">across seeds</a> · ";
    bool first_link = true;
    for (const auto& sub : kSubSections) {
      out += std::string(first_link ? "" : " · ") + "<a href=\"#" + id + "-" + sub.suffix + "\">" +
             sub.title + "</a>";
      first_link = false;
    }
    out += "</div></li>";
  }
  out += "</ol></nav>\n";

  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    scenario_section(out, scenarios[i], anchor(i, scenarios[i].scenario));
    out += "\n";
  }
  out += "</main>\n<footer>results schema " + std::to_string(kSchemaVersion) +
         " · written by <code>resproxy-harness report</code> · times are simulated</footer>\n"
         "</body>\n</html>\n";
  return out;
}

}  // namespace resproxy::report
