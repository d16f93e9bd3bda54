#pragma once
// The HTML report's parts shared between its files (report_html.cpp: the page and the scenario
// section; report_charts.cpp: timeline and series; report_calls.cpp: outcomes, post-dial delay,
// the ladder, unanswered calls and counters). Private to harness/report.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/report/report_html.h"
#include "harness/report/report_model.h"
#include "harness/report/report_svg.h"

namespace resproxy::report::html {

// Shorthand: escape text taken from results.json (or anything else) for the page.
inline std::string esc(std::string_view text) { return html_escape(text); }

const std::vector<std::string>& known_phases();
const std::vector<std::string>& known_outcomes();
std::string css_token(std::string_view text);
std::string phase_class(std::string_view phase);
std::string outcome_class(std::string_view outcome);
std::string state_class(std::string_view state);
std::string verdict_class(Verdict verdict);
std::string badge(Verdict verdict);
std::string anchor(std::size_t index, std::string_view scenario);
std::string display_title(const Results& run);
double median(std::vector<double> values);
double percentile(const std::vector<double>& sorted, double p);
std::size_t passed_count(const Results& run);
// The whole report at a glance, as both the page and the summary head it: the combined verdict,
// and how many runs and expectations there are and how many of those were met.
struct Overview {
  Verdict overall = Verdict::NoExpectations;
  std::size_t runs = 0;
  std::size_t expectations = 0;
  std::size_t met = 0;
};
Overview overview(const std::vector<ScenarioRuns>& scenarios);
std::optional<Verdict> metric_verdict(const Results& run, const std::string& metric);
std::string metric_or_dash(const Results& run, const std::string& name);
const std::vector<std::string>& key_metrics();
std::string metric_label(const std::string& name);
std::optional<std::pair<double, double>> main_fault_window(const Results& run);
double run_end(const Results& run);
std::string fault_label(const Fault& fault);
std::vector<TimeBand> fault_bands(const Results& run);
std::vector<std::pair<double, double>> failure_operation_spans(const Results& run);
std::vector<TimeMarker> detection_markers(const Results& run);
void expectations_table(std::string& out, const Results& run);
void key_figures(std::string& out, const Results& run);

// Sections of one run, each appended to `out`.
void timeline_section(std::string& out, const Results& run);
void series_section(std::string& out, const Results& run);
void outcomes_section(std::string& out, const Results& run);
void pdd_section(std::string& out, const Results& run);
void ladder_section(std::string& out, const Results& run);
void unsuccessful_calls(std::string& out, const Results& run);
void counters_section(std::string& out, const Results& run);
void audio_section(std::string& out, const Results& run);  // report_audio.cpp

}  // namespace resproxy::report::html
