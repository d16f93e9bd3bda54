#pragma once
// Inline SVG charts for the resilience report: pure functions from numbers and labels to one
// <svg> element each. No ids, no scripts, no external references, so any number of charts can
// sit in one self-contained page; styling comes from the page's CSS classes (report_html.cpp).
// Every label is HTML-escaped here; callers pass raw text.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resproxy::report {

// Escapes & < > " ' for element content and quoted attribute values.
[[nodiscard]] std::string html_escape(std::string_view text);

// Fixed-point with `decimals` places, C locale, never "-0".
[[nodiscard]] std::string format_fixed(double value, int decimals);

// At most `max_decimals` places, trailing zeros dropped: 1.5, 2, 0.125.
[[nodiscard]] std::string format_number(double value, int max_decimals = 3);

// Simulated time as a clock: "20:00" (min:s) or "1:05:00"; fractions of a second kept to 0.1 s
// when `tenths`.
[[nodiscard]] std::string format_clock(double seconds, bool tenths = false);

// Cuts `text` to `max_chars` code points (UTF-8 aware), ending with "…" when cut.
[[nodiscard]] std::string truncate_text(std::string_view text, std::size_t max_chars);

// A shaded window behind time charts (the outage, failure operation).
struct TimeBand {
  double start_s = 0;
  double end_s = 0;
  std::string label;
  std::string css_class;  // band-fault | band-failure-op
};

// A vertical marker line across a time chart.
struct TimeMarker {
  double t_s = 0;
  std::string label;
  std::string css_class;  // marker-detect | marker-failback | marker-plain
};

struct LineSeries {
  std::string name;
  std::string css_class;                          // line-0, line-1, …: colour from the page CSS
  std::vector<std::pair<double, double>> points;  // (t_s, value), time order
};

// Time on x (0 … x_max_s, minutes when long), values on y from 0.
struct LineChart {
  std::string description;  // for <title>
  std::string y_label;
  double x_max_s = 0;
  std::vector<LineSeries> series;
  std::vector<TimeBand> bands;
  std::vector<TimeMarker> markers;
  int height = 220;
  bool integer_y = true;
};
[[nodiscard]] std::string render_line_chart(const LineChart& chart);

struct TimelineSegment {
  double start_s = 0;
  double end_s = 0;
  std::string label;      // drawn inside when it fits
  std::string tooltip;    // <title> of the segment
  std::string css_class;  // fill colour: state-active, phase-during, fault, …
};

struct TimelineRow {
  std::string label;
  std::vector<TimelineSegment> segments;
};

struct LegendEntry {
  std::string label;
  std::string css_class;
};

// Rows of coloured segments over a shared time axis: phases, faults, ITSP states.
struct Timeline {
  std::string description;
  double x_max_s = 0;
  std::vector<TimelineRow> rows;
  std::vector<TimeMarker> markers;
  std::vector<LegendEntry> legend;
};
[[nodiscard]] std::string render_timeline(const Timeline& timeline);

// Horizontal stacked bars: one bar per row, one segment per category.
struct StackedBars {
  std::string description;
  std::vector<std::string> categories;
  std::vector<std::string> category_classes;
  std::vector<std::string> row_labels;
  std::vector<std::vector<double>> values;  // [row][category]
  std::string x_label;
};
[[nodiscard]] std::string render_stacked_bars(const StackedBars& bars);

struct ValueMarker {
  double value = 0;
  std::string label;
};

// Histogram of values, bars stacked by group (e.g. the phase a call was placed in).
struct Histogram {
  std::string description;
  std::string x_label;  // with unit
  std::vector<std::string> groups;
  std::vector<std::string> group_classes;
  std::vector<std::vector<double>> values;  // [group] → samples
  std::vector<ValueMarker> markers;         // p50, p95
};
[[nodiscard]] std::string render_histogram(const Histogram& histogram);

struct LadderArrow {
  double t_s = 0;
  std::string from;
  std::string to;
  std::string label;
};

// A SIP ladder: one lifeline per node, one arrow per message, time in the left column.
// Messages naming a node not in `nodes` get a lifeline of their own at the right.
struct LadderDiagram {
  std::string description;
  std::vector<std::string> nodes;
  std::vector<LadderArrow> messages;
  std::size_t max_messages = 80;  // the rest is summarised in one line
};
[[nodiscard]] std::string render_ladder(const LadderDiagram& ladder);

// "Nice" axis ticks from 0 … max: steps of 1, 2 or 5 × 10^k, at most about `target` ticks.
[[nodiscard]] std::vector<double> nice_ticks(double max, int target);

}  // namespace resproxy::report
