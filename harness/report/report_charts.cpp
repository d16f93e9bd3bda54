// The report's time charts of one run: the fault timeline with ITSP states, and the series of
// registrations and calls in progress.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "harness/report/report_html_parts.h"

namespace resproxy::report::html {

void timeline_section(std::string& out, const Results& run) {
  Timeline timeline;
  timeline.description = "Fault timeline and ITSP state over time";
  timeline.x_max_s = run_end(run);

  if (!run.phases.empty()) {
    TimelineRow row;
    row.label = "phase";
    for (const auto& phase : run.phases) {
      if (phase.end_s <= phase.start_s) continue;  // an empty phase (no fault): nothing to draw
      TimelineSegment segment;
      segment.start_s = phase.start_s;
      segment.end_s = phase.end_s;
      segment.label = phase.name;
      segment.tooltip =
          phase.name + ": " + format_clock(phase.start_s) + " – " + format_clock(phase.end_s);
      segment.css_class = phase_class(phase.name);
      row.segments.push_back(std::move(segment));
    }
    timeline.rows.push_back(std::move(row));
  }
  // One row per faulted target and kind: repeated flaps of one link share a row.
  for (const auto& fault : run.faults) {
    std::string label = fault_label(fault);
    auto row_it = std::find_if(timeline.rows.begin(), timeline.rows.end(),
                               [&](const TimelineRow& r) { return r.label == label; });
    if (row_it == timeline.rows.end()) {
      TimelineRow row;
      row.label = label;
      timeline.rows.push_back(std::move(row));
      row_it = timeline.rows.end() - 1;
    }
    TimelineSegment segment;
    segment.start_s = fault.start_s;
    segment.end_s = std::max(fault.end_s, fault.start_s);
    segment.label =
        fault.kind + " " + format_clock(fault.start_s) + "–" + format_clock(fault.end_s);
    segment.tooltip = fault_label(fault) + " from " + format_fixed(fault.start_s, 3) + " s to " +
                      format_fixed(fault.end_s, 3) + " s" +
                      (fault.detail.empty() ? "" : " (" + fault.detail + ")");
    segment.css_class = "fault";
    row_it->segments.push_back(std::move(segment));
  }
  // One band per ITSP, in order of first appearance; a state lasts until the next one.
  std::vector<std::string> itsps;
  for (const auto& s : run.itsp_states) {
    if (std::find(itsps.begin(), itsps.end(), s.itsp) == itsps.end()) itsps.push_back(s.itsp);
  }
  std::set<std::string> states_seen;
  for (const auto& itsp : itsps) {
    TimelineRow row;
    row.label = "ITSP " + itsp;
    std::vector<const ItspState*> changes;
    for (const auto& s : run.itsp_states) {
      if (s.itsp == itsp) changes.push_back(&s);
    }
    for (std::size_t i = 0; i < changes.size(); ++i) {
      double end = i + 1 < changes.size() ? changes[i + 1]->t_s : timeline.x_max_s;
      TimelineSegment segment;
      segment.start_s = changes[i]->t_s;
      segment.end_s = end;
      segment.label = changes[i]->state;
      segment.tooltip = itsp + " " + changes[i]->state + " from " +
                        format_fixed(changes[i]->t_s, 3) + " s to " + format_fixed(end, 3) + " s";
      segment.css_class = state_class(changes[i]->state);
      states_seen.insert(changes[i]->state);
      row.segments.push_back(std::move(segment));
    }
    timeline.rows.push_back(std::move(row));
  }
  auto spans = failure_operation_spans(run);
  if (!run.series.empty()) {
    TimelineRow row;
    row.label = "failure operation";
    for (const auto& [start, end] : spans) {
      TimelineSegment segment;
      segment.start_s = start;
      segment.end_s = end;
      segment.label = "failure operation";
      segment.tooltip = "in failure operation from " + format_fixed(start, 3) + " s to " +
                        format_fixed(end, 3) + " s (sampled)";
      segment.css_class = "failure-op";
      row.segments.push_back(std::move(segment));
    }
    timeline.rows.push_back(std::move(row));
  }
  timeline.markers = detection_markers(run);
  for (const char* state : {"Active", "Probing", "Inactive", "AdminDisabled"}) {
    if (states_seen.count(state) > 0) timeline.legend.push_back({state, state_class(state)});
  }
  for (const auto& state : states_seen) {
    if (state_class(state) == "state-other") timeline.legend.push_back({state, "state-other"});
  }
  if (!run.faults.empty()) timeline.legend.push_back({"fault", "fault"});
  if (!spans.empty()) timeline.legend.push_back({"failure operation", "failure-op"});

  if (timeline.rows.empty()) {
    out += "<p class=\"note\">No phases, faults or ITSP states recorded.</p>";
    return;
  }
  out += render_timeline(timeline);
  if (run.itsp_states.empty()) {
    out += "<p class=\"note\">No ITSP state changes recorded (no ITSP in this scenario?).</p>";
  }
  // The fault list in words, for readers of the page rather than of the chart.
  if (!run.faults.empty()) {
    out +=
        "<table class=\"compact\"><thead><tr><th>fault</th><th>target</th><th class=\"num\">"
        "start</th><th class=\"num\">end</th><th class=\"num\">length</th><th>detail</th></tr>"
        "</thead><tbody>";
    for (const auto& fault : run.faults) {
      out += "<tr><td>" + esc(fault.kind) + "</td><td>" + esc(fault.target) +
             "</td><td class=\"num\">" + esc(format_clock(fault.start_s, true)) +
             "</td><td class=\"num\">" + esc(format_clock(fault.end_s, true)) +
             "</td><td class=\"num\">" + esc(format_number(fault.end_s - fault.start_s, 3)) +
             " s</td><td>" + esc(fault.detail) + "</td></tr>";
    }
    out += "</tbody></table>";
  }
}

void series_section(std::string& out, const Results& run) {
  if (run.series.empty()) {
    out += "<p class=\"note\">No samples in <code>series</code>.</p>";
    return;
  }
  std::vector<TimeBand> bands = fault_bands(run);
  for (const auto& [start, end] : failure_operation_spans(run)) {
    TimeBand band;
    band.start_s = start;
    band.end_s = end;
    band.label = "failure operation";
    band.css_class = "band-failure-op";
    bands.push_back(std::move(band));
  }
  // Fault bands first so the failure-operation tint sits on top and both stay visible.
  // One sampled series of the run as a line chart over the fault bands.
  const auto chart = [&](std::string description, std::string y_label, std::string css_class,
                         double Sample::*value, std::vector<TimeMarker> markers,
                         std::string_view caption) {
    LineChart c;
    c.description = std::move(description);
    c.y_label = y_label;
    c.x_max_s = run_end(run);
    c.bands = bands;
    c.markers = std::move(markers);
    LineSeries series;
    series.name = std::move(y_label);
    series.css_class = std::move(css_class);
    for (const auto& s : run.series) series.points.emplace_back(s.t_s, s.*value);
    c.series.push_back(std::move(series));
    out += "<figure>" + render_line_chart(c) + "<figcaption>" + std::string(caption) +
           "</figcaption></figure>";
  };
  chart("Registered phones over time", "registered phones", "line-0", &Sample::registered, {},
        "Phones with a current registration at resproxy, sampled.");
  chart("Calls in progress over time", "calls in progress", "line-1", &Sample::calls_in_progress,
        detection_markers(run),
        "Calls set up or being set up, sampled. Shaded: fault windows and failure operation.");
  // Runs with the real gateway (pstn: block): its E1 channels and FXO lines in use.
  if (std::any_of(run.series.begin(), run.series.end(),
                  [](const Sample& s) { return s.pstn_channels_in_use.has_value(); })) {
    LineChart c;
    c.description = "PSTN gateway channels in use over time";
    c.y_label = "PSTN channels in use";
    c.x_max_s = run_end(run);
    c.bands = bands;
    LineSeries series;
    series.name = c.y_label;
    series.css_class = "line-1";
    for (const auto& s : run.series) {
      if (s.pstn_channels_in_use) series.points.emplace_back(s.t_s, *s.pstn_channels_in_use);
    }
    c.series.push_back(std::move(series));
    out += "<figure>" + render_line_chart(c) +
           "<figcaption>E1 channels and FXO lines carrying a call at the gateway, sampled. Shaded: "
           "fault windows and failure operation.</figcaption></figure>";
  }
}

}  // namespace resproxy::report::html
