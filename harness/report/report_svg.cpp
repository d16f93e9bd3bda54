#include "harness/report/report_svg.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

namespace resproxy::report {
namespace {

constexpr double kWidth = 1000;     // every chart's viewBox width; the page scales it
constexpr double kCharWidth = 6.6;  // average width of a 12 px sans-serif glyph, for fitting

std::string px(double value) { return format_number(value, 1); }

// Seconds or minutes on time axes, whichever gives readable numbers.
struct TimeScale {
  double unit_s = 1;
  const char* unit = "s";
};

TimeScale time_scale(double x_max_s) {
  if (x_max_s >= 600) return {60, "min"};
  return {1, "s"};
}

std::size_t fit_chars(double width_px) {
  if (width_px <= 0) return 0;
  return static_cast<std::size_t>(width_px / kCharWidth);
}

// Ladder labels are monospace (about 7 px a glyph at 11.5 px).
std::size_t fit_mono_chars(double width_px) {
  if (width_px <= 0) return 0;
  return static_cast<std::size_t>(width_px / 7.0);
}

std::string svg_open(double height, std::string_view css_class, std::string_view description) {
  std::string out = "<svg class=\"chart ";
  out += css_class;
  out += "\" viewBox=\"0 0 " + px(kWidth) + " " + px(height) +
         "\" role=\"img\" preserveAspectRatio=\"xMinYMin meet\">";
  out += "<title>" + html_escape(description) + "</title>";
  return out;
}

std::string text(double x, double y, std::string_view content, std::string_view css_class,
                 std::string_view anchor = "start") {
  std::string out = "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"";
  if (!css_class.empty()) out += " class=\"" + std::string(css_class) + "\"";
  if (anchor != "start") out += " text-anchor=\"" + std::string(anchor) + "\"";
  out += ">" + html_escape(content) + "</text>";
  return out;
}

std::string line(double x1, double y1, double x2, double y2, std::string_view css_class) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) +
         "\" class=\"" + std::string(css_class) + "\"/>";
}

std::string rect(double x, double y, double w, double h, std::string_view css_class,
                 std::string_view tooltip = {}) {
  std::string out = "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" +
                    px(std::max(0.0, w)) + "\" height=\"" + px(std::max(0.0, h)) + "\" class=\"" +
                    std::string(css_class) + "\"";
  if (tooltip.empty()) return out + "/>";
  return out + "><title>" + html_escape(tooltip) + "</title></rect>";
}

// Legend swatches in one row from (x, y), left to right.
std::string legend_row(double x, double y, const std::vector<LegendEntry>& entries) {
  std::string out = "<g class=\"legend\">";
  for (const auto& entry : entries) {
    out += rect(x, y - 9, 12, 12, entry.css_class);
    out += text(x + 17, y + 1, entry.label, "legend-text");
    x += 17 + static_cast<double>(entry.label.size()) * kCharWidth + 18;
  }
  return out + "</g>";
}

// x axis of time with ticks and grid lines over [top, bottom].
std::string time_axis(double left, double right, double top, double bottom, double x_max_s,
                      bool grid) {
  TimeScale scale = time_scale(x_max_s);
  double max_units = x_max_s / scale.unit_s;
  std::string out = "<g class=\"axis\">";
  out += line(left, bottom, right, bottom, "axis-line");
  for (double tick : nice_ticks(max_units, 10)) {
    if (tick > max_units * (1 + 1e-9)) break;
    double x = left + (tick / max_units) * (right - left);
    if (grid && tick > 0) out += line(x, top, x, bottom, "grid");
    out += line(x, bottom, x, bottom + 5, "tick");
    out += text(x, bottom + 18, format_number(tick, 2), "tick-label", "middle");
  }
  out += text((left + right) / 2, bottom + 34, std::string("simulated time (") + scale.unit + ")",
              "axis-label", "middle");
  return out + "</g>";
}

// Integer-or-not y axis from 0 to the returned top value.
double y_axis(std::string& out, double left, double right, double top, double bottom, double max,
              bool integer, std::string_view label) {
  if (max <= 0) max = 1;
  if (integer) max = std::max(max, 1.0);
  std::vector<double> ticks = nice_ticks(max, 5);
  if (integer) {
    std::erase_if(ticks, [](double t) { return t != std::floor(t); });
  }
  double y_top = ticks.empty() ? max : std::max(max, ticks.back());
  out += "<g class=\"axis\">";
  out += line(left, top, left, bottom, "axis-line");
  for (double tick : ticks) {
    double y = bottom - (tick / y_top) * (bottom - top);
    if (tick > 0) out += line(left, y, right, y, "grid");
    out += line(left - 5, y, left, y, "tick");
    out += text(left - 8, y + 4, format_number(tick, 2), "tick-label", "end");
  }
  double mid = (top + bottom) / 2;
  out += "<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(" + px(14) + " " +
         px(mid) + ") rotate(-90)\">" + html_escape(label) + "</text>";
  out += "</g>";
  return y_top;
}

std::string bands_and_markers(const std::vector<TimeBand>& bands,
                              const std::vector<TimeMarker>& markers, double left, double right,
                              double top, double bottom, double x_max_s) {
  auto x_of = [&](double t) { return left + std::clamp(t / x_max_s, 0.0, 1.0) * (right - left); };
  std::string out;
  for (const auto& band : bands) {
    double x1 = x_of(band.start_s);
    double x2 = x_of(band.end_s);
    // Named by the legend and the tooltip: labels inside would collide with neighbouring bands.
    out += rect(x1, top, std::max(1.0, x2 - x1), bottom - top, band.css_class, band.label);
  }
  for (const auto& marker : markers) {
    double x = x_of(marker.t_s);
    out += line(x, top, x, bottom, marker.css_class);
  }
  return out;
}

// Marker labels above the plot, nudged apart so neighbours do not overlap.
std::string marker_labels(const std::vector<TimeMarker>& markers, double left, double right,
                          double y, double x_max_s) {
  std::string out;
  double last_end = -1e9;
  int row = 0;
  for (const auto& marker : markers) {
    if (marker.label.empty()) continue;
    double x = left + std::clamp(marker.t_s / x_max_s, 0.0, 1.0) * (right - left);
    double width = static_cast<double>(marker.label.size()) * kCharWidth;
    bool flip = x + 4 + width > kWidth - 4;  // too close to the right edge: label to the left
    double start = flip ? x - 4 - width : x + 4;
    row = start < last_end ? (row + 1) % 2 : 0;
    out += text(flip ? x - 4 : x + 4, y - static_cast<double>(row) * 13, marker.label,
                "marker-label " + marker.css_class, flip ? "end" : "start");
    last_end = start + width;
  }
  return out;
}

std::string point_list(const std::vector<std::pair<double, double>>& points, double left,
                       double right, double top, double bottom, double x_max_s, double y_top) {
  std::string out;
  for (const auto& [t, v] : points) {
    double x = left + std::clamp(t / x_max_s, 0.0, 1.0) * (right - left);
    double y = bottom - std::clamp(v / y_top, 0.0, 1.0) * (bottom - top);
    if (!out.empty()) out += ' ';
    out += px(x) + "," + px(y);
  }
  return out;
}

// Request, or a response's class: for the arrow colour.
std::string message_class(std::string_view label) {
  std::string_view rest = label;
  if (rest.starts_with("SIP/2.0 ")) rest.remove_prefix(8);
  if (rest.size() >= 3 && std::isdigit(static_cast<unsigned char>(rest[0])) &&
      std::isdigit(static_cast<unsigned char>(rest[1])) &&
      std::isdigit(static_cast<unsigned char>(rest[2]))) {
    switch (rest[0]) {
      case '1': return "msg-1xx";
      case '2': return "msg-2xx";
      case '3': return "msg-3xx";
      default: return "msg-error";
    }
  }
  return "msg-request";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters (other than tab and newline) have no business in a page.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "–";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string out = buffer;
  // "-0.00" and friends read as zero.
  if (out.front() == '-' && out.find_first_not_of("-0.") == std::string::npos) out.erase(0, 1);
  return out;
}

std::string format_number(double value, int max_decimals) {
  std::string out = format_fixed(value, max_decimals);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string format_clock(double seconds, bool tenths) {
  if (!std::isfinite(seconds)) return "–";
  bool negative = seconds < 0;
  double scaled = std::round(std::fabs(seconds) * (tenths ? 10 : 1));
  auto whole = static_cast<long long>(scaled / (tenths ? 10 : 1));
  int tenth = tenths ? static_cast<int>(static_cast<long long>(scaled) % 10) : 0;
  long long h = whole / 3600;
  long long m = (whole / 60) % 60;
  long long s = whole % 60;
  char buffer[64];
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", m, s);
  }
  std::string out = (negative ? "-" : "") + std::string(buffer);
  if (tenths) out += "." + std::to_string(tenth);
  return out;
}

std::string truncate_text(std::string_view text, std::size_t max_chars) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == max_chars) {
        if (max_chars == 0) return {};
        // Cut one code point earlier to make room for the ellipsis.
        std::size_t cut = i;
        do {
          --cut;
        } while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80);
        return std::string(text.substr(0, cut)) + "…";
      }
      ++count;
    }
  }
  return std::string(text);
}

std::vector<double> nice_ticks(double max, int target) {
  if (!(max > 0) || !std::isfinite(max)) max = 1;
  double raw = max / std::max(1, target);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double normalised = raw / magnitude;
  double step = (normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10) * magnitude;
  std::vector<double> ticks;
  for (int i = 0;; ++i) {
    double tick = step * i;
    ticks.push_back(tick);
    if (tick >= max * (1 - 1e-9) || i > 1000) break;
  }
  return ticks;
}

std::string render_line_chart(const LineChart& chart) {
  const double left = 64, right = kWidth - 20, top = 30;
  const double height = std::max(120, chart.height);
  const double bottom = height - 42;
  const double x_max = chart.x_max_s > 0 ? chart.x_max_s : 1;

  double max_value = 0;
  for (const auto& series : chart.series) {
    for (const auto& [t, v] : series.points) max_value = std::max(max_value, v);
  }

  std::string out = svg_open(height, "line-chart", chart.description);
  out += bands_and_markers(chart.bands, chart.markers, left, right, top, bottom, x_max);
  double y_top = y_axis(out, left, right, top, bottom, max_value, chart.integer_y, chart.y_label);
  out += time_axis(left, right, top, bottom, x_max, false);
  for (const auto& series : chart.series) {
    if (series.points.empty()) continue;
    out += "<polyline class=\"series " + series.css_class + "\" points=\"" +
           point_list(series.points, left, right, top, bottom, x_max, y_top) + "\"/>";
  }
  std::vector<LegendEntry> legend;
  for (const auto& series : chart.series)
    legend.push_back({series.name, "swatch " + series.css_class});
  for (const auto& band : chart.bands) {
    if (std::none_of(legend.begin(), legend.end(),
                     [&](const LegendEntry& e) { return e.css_class == band.css_class; })) {
      legend.push_back({band.label, band.css_class});
    }
  }
  out += legend_row(left, 14, legend);
  return out + "</svg>";
}

std::string render_timeline(const Timeline& timeline) {
  const double left = 190, right = kWidth - 20, top = 36, row_height = 24, row_gap = 8;
  const double x_max = timeline.x_max_s > 0 ? timeline.x_max_s : 1;
  const double rows_height =
      static_cast<double>(timeline.rows.size()) * (row_height + row_gap) - row_gap;
  const double bottom = top + std::max(row_height, rows_height) + 6;
  const double height = bottom + 44 + (timeline.legend.empty() ? 0 : 24);
  auto x_of = [&](double t) { return left + std::clamp(t / x_max, 0.0, 1.0) * (right - left); };

  std::string out = svg_open(height, "timeline", timeline.description);
  out += time_axis(left, right, top - 6, bottom, x_max, true);
  double y = top;
  for (const auto& row : timeline.rows) {
    out += text(left - 10, y + row_height / 2 + 4, truncate_text(row.label, fit_chars(left - 16)),
                "row-label", "end");
    out += rect(left, y, right - left, row_height, "row-bg");
    for (const auto& segment : row.segments) {
      double x1 = x_of(segment.start_s);
      double x2 = x_of(segment.end_s);
      double w = std::max(2.0, x2 - x1);
      out += rect(x1, y, w, row_height, "segment " + segment.css_class,
                  segment.tooltip.empty() ? segment.label : segment.tooltip);
      std::size_t room = fit_chars(w - 10);
      if (!segment.label.empty() && (room >= segment.label.size() || room >= 8)) {
        out += text(x1 + 5, y + row_height / 2 + 4, truncate_text(segment.label, room),
                    "segment-label");
      }
    }
    y += row_height + row_gap;
  }
  for (const auto& marker : timeline.markers) {
    out += line(x_of(marker.t_s), top - 8, x_of(marker.t_s), bottom, marker.css_class);
  }
  out += marker_labels(timeline.markers, left, right, top - 12, x_max);
  if (!timeline.legend.empty()) out += legend_row(left, height - 8, timeline.legend);
  return out + "</svg>";
}

std::string render_stacked_bars(const StackedBars& bars) {
  const double left = 180, right = kWidth - 70, top = 34, bar_height = 26, gap = 12;
  const double bottom =
      top + static_cast<double>(bars.row_labels.size()) * (bar_height + gap) - gap + 6;
  const double height = bottom + 42;

  double max_total = 0;
  for (const auto& row : bars.values) {
    double total = 0;
    for (double v : row) total += v;
    max_total = std::max(max_total, total);
  }
  std::vector<double> ticks = nice_ticks(std::max(1.0, max_total), 8);
  std::erase_if(ticks, [](double t) { return t != std::floor(t); });
  double x_top = std::max(max_total, ticks.empty() ? 1.0 : ticks.back());
  auto x_of = [&](double v) { return left + (v / x_top) * (right - left); };

  std::string out = svg_open(height, "bars", bars.description);
  out += "<g class=\"axis\">";
  out += line(left, bottom, right, bottom, "axis-line");
  for (double tick : ticks) {
    double x = x_of(tick);
    if (tick > 0) out += line(x, top - 4, x, bottom, "grid");
    out += line(x, bottom, x, bottom + 5, "tick");
    out += text(x, bottom + 18, format_number(tick, 2), "tick-label", "middle");
  }
  out += text((left + right) / 2, bottom + 34, bars.x_label, "axis-label", "middle");
  out += "</g>";

  double y = top;
  for (std::size_t r = 0; r < bars.row_labels.size(); ++r) {
    out += text(left - 10, y + bar_height / 2 + 4, bars.row_labels[r], "row-label", "end");
    double x = left;
    double total = 0;
    const auto& row = r < bars.values.size() ? bars.values[r] : std::vector<double>{};
    for (std::size_t c = 0; c < row.size() && c < bars.categories.size(); ++c) {
      if (row[c] <= 0) continue;
      double w = x_of(row[c]) - left;
      out += rect(x, y, w, bar_height, "segment " + bars.category_classes[c],
                  bars.row_labels[r] + ": " + format_number(row[c], 2) + " " + bars.categories[c]);
      std::string count = format_number(row[c], 2);
      if (w > static_cast<double>(count.size()) * kCharWidth + 8) {
        out += text(x + w / 2, y + bar_height / 2 + 4, count, "segment-label", "middle");
      }
      x += w;
      total += row[c];
    }
    out += text(x + 8, y + bar_height / 2 + 4, format_number(total, 2) + " total", "bar-total");
    y += bar_height + gap;
  }
  std::vector<LegendEntry> legend;
  for (std::size_t c = 0; c < bars.categories.size(); ++c) {
    legend.push_back({bars.categories[c], bars.category_classes[c]});
  }
  out += legend_row(left, 16, legend);
  return out + "</svg>";
}

std::string render_histogram(const Histogram& histogram) {
  const double left = 64, right = kWidth - 20, top = 34, height = 250;
  const double bottom = height - 42;
  double max_value = 0;
  std::size_t count = 0;
  for (const auto& group : histogram.values) {
    for (double v : group) {
      max_value = std::max(max_value, v);
      ++count;
    }
  }
  std::string out = svg_open(height, "histogram", histogram.description);
  if (count == 0) {
    out += text(kWidth / 2, height / 2, "no values recorded", "empty-note", "middle");
    return out + "</svg>";
  }
  // About 20 bins of a round width.
  std::vector<double> steps = nice_ticks(std::max(max_value, 1.0), 20);
  double bin = steps.size() > 1 ? steps[1] : 1;
  auto bins = static_cast<std::size_t>(std::floor(max_value / bin)) + 1;
  double x_max = static_cast<double>(bins) * bin;
  std::vector<std::vector<double>> counts(histogram.values.size(), std::vector<double>(bins, 0));
  std::vector<double> totals(bins, 0);
  for (std::size_t g = 0; g < histogram.values.size(); ++g) {
    for (double v : histogram.values[g]) {
      auto b = std::min(bins - 1, static_cast<std::size_t>(std::max(0.0, std::floor(v / bin))));
      counts[g][b] += 1;
      totals[b] += 1;
    }
  }
  double max_count = *std::max_element(totals.begin(), totals.end());
  double y_top = y_axis(out, left, right, top, bottom, max_count, true, "calls");
  auto x_of = [&](double v) { return left + std::clamp(v / x_max, 0.0, 1.0) * (right - left); };

  out += "<g class=\"axis\">";
  out += line(left, bottom, right, bottom, "axis-line");
  for (double tick : nice_ticks(x_max, 10)) {
    if (tick > x_max * (1 + 1e-9)) break;
    double x = x_of(tick);
    out += line(x, bottom, x, bottom + 5, "tick");
    out += text(x, bottom + 18, format_number(tick, 2), "tick-label", "middle");
  }
  out += text((left + right) / 2, bottom + 34, histogram.x_label, "axis-label", "middle");
  out += "</g>";

  for (std::size_t b = 0; b < bins; ++b) {
    double x1 = x_of(static_cast<double>(b) * bin) + 1;
    double x2 = x_of(static_cast<double>(b + 1) * bin) - 1;
    double stacked = 0;
    for (std::size_t g = 0; g < counts.size(); ++g) {
      double c = counts[g][b];
      if (c <= 0) continue;
      double y1 = bottom - ((stacked + c) / y_top) * (bottom - top);
      double y2 = bottom - (stacked / y_top) * (bottom - top);
      std::string group = g < histogram.groups.size() ? histogram.groups[g] : "";
      out +=
          rect(x1, y1, x2 - x1, y2 - y1,
               "segment " + (g < histogram.group_classes.size() ? histogram.group_classes[g] : ""),
               format_number(static_cast<double>(b) * bin, 2) + "–" +
                   format_number(static_cast<double>(b + 1) * bin, 2) + ": " + format_number(c, 0) +
                   " " + group);
      stacked += c;
    }
  }
  std::vector<TimeMarker> markers;
  for (const auto& marker : histogram.markers) {
    double x = x_of(marker.value);
    out += line(x, top - 4, x, bottom, "marker-plain");
    markers.push_back({marker.value, marker.label, "marker-plain"});
  }
  out += marker_labels(markers, left, right, top - 6, x_max);
  std::vector<LegendEntry> legend;
  for (std::size_t g = 0; g < histogram.groups.size(); ++g) {
    legend.push_back({histogram.groups[g],
                      g < histogram.group_classes.size() ? histogram.group_classes[g] : ""});
  }
  out += legend_row(left, 14, legend);
  return out + "</svg>";
}

std::string render_ladder(const LadderDiagram& ladder) {
  std::vector<std::string> nodes = ladder.nodes;
  for (const auto& m : ladder.messages) {
    for (const std::string* name : {&m.from, &m.to}) {
      if (std::find(nodes.begin(), nodes.end(), *name) == nodes.end()) nodes.push_back(*name);
    }
  }
  if (nodes.empty()) nodes.push_back("?");
  std::size_t shown = std::min(ladder.messages.size(), ladder.max_messages);
  bool cut = shown < ladder.messages.size();

  const double left = 160, right = kWidth - 10, header = 30, top = 14 + header + 12,
               row_height = 30;
  const double column = (right - left) / static_cast<double>(nodes.size());
  const double bottom = top + static_cast<double>(std::max<std::size_t>(shown, 1)) * row_height;
  const double height = bottom + (cut ? 30 : 12);
  std::map<std::string, double> x_of;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    x_of[nodes[i]] = left + column * (static_cast<double>(i) + 0.5);
  }

  std::string out = svg_open(height, "ladder", ladder.description);
  out += text(10, 14 + header / 2 + 4, "time (s)", "axis-label");
  for (const auto& node : nodes) {
    double x = x_of[node];
    double box = std::min(column - 12, 170.0);
    out += line(x, 14 + header, x, bottom, "lifeline");
    out += rect(x - box / 2, 14, box, header, "node-box", node);
    out += text(x, 14 + header / 2 + 4, truncate_text(node, fit_chars(box - 10)), "node-label",
                "middle");
  }
  double t0 = ladder.messages.empty() ? 0 : ladder.messages.front().t_s;
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& m = ladder.messages[i];
    double y = top + static_cast<double>(i) * row_height + row_height * 0.7;
    std::string css = message_class(m.label);
    double x1 = x_of[m.from];
    double x2 = x_of[m.to];
    out += "<g class=\"message " + css + "\">";
    out += "<title>" +
           html_escape(format_fixed(m.t_s, 3) + " s  " + m.from + " → " + m.to + "  " + m.label) +
           "</title>";
    out += text(10, y + 4, format_fixed(m.t_s, 3), "time-label");
    if (i > 0) {
      double delta = m.t_s - t0;
      out += text(left - 14, y + 4,
                  delta < 10 ? "+" + format_number(delta * 1000, 0) + " ms"
                             : "+" + format_number(delta, 1) + " s",
                  "delta-label", "end");
    }
    if (x1 == x2) {  // a node talking to itself: a small loop to the right
      out += "<path class=\"arrow\" d=\"M" + px(x1) + " " + px(y - 8) + " h28 v12 h-26\"/>";
      out += "<polygon class=\"arrow-head\" points=\"" + px(x1) + "," + px(y + 4) + " " +
             px(x1 + 8) + "," + px(y) + " " + px(x1 + 8) + "," + px(y + 8) + "\"/>";
      out += text(x1 + 34, y, truncate_text(m.label, fit_mono_chars(column - 40)), "msg-label");
    } else {
      double direction = x2 > x1 ? 1 : -1;
      out += line(x1, y, x2 - direction * 8, y, "arrow");
      out += "<polygon class=\"arrow-head\" points=\"" + px(x2) + "," + px(y) + " " +
             px(x2 - direction * 9) + "," + px(y - 4.5) + " " + px(x2 - direction * 9) + "," +
             px(y + 4.5) + "\"/>";
      // A label may overhang its arrow by half a column on each side (rows never share a line).
      double centre = (x1 + x2) / 2;
      double room = std::min(std::fabs(x2 - x1) + column - 16,
                             2 * std::min(centre - left, kWidth - 4 - centre));
      out +=
          text(centre, y - 5, truncate_text(m.label, fit_mono_chars(room)), "msg-label", "middle");
    }
    out += "</g>";
  }
  if (ladder.messages.empty()) {
    out += text(kWidth / 2, top + 18, "no messages recorded", "empty-note", "middle");
  }
  if (cut) {
    out += text(left, bottom + 20,
                "… " + std::to_string(ladder.messages.size() - shown) + " more messages not drawn",
                "empty-note");
  }
  return out + "</svg>";
}

}  // namespace resproxy::report
