#pragma once
// Renders grouped scenario results (report_model.h) as the resilience report: one self-contained
// HTML page (inline CSS and SVG, no scripts, no external references) and a short Markdown
// summary for CI logs. Pure functions: the same results give byte-identical output.

#include <string>
#include <vector>

#include "harness/report/report_model.h"

namespace resproxy::report {

struct RenderOptions {
  std::string source_label;  // where the results came from, shown in the header (e.g. "results/")
};

[[nodiscard]] std::string render_html(const std::vector<ScenarioRuns>& scenarios,
                                      const RenderOptions& options);

// One table row per scenario and seed (verdict and key metrics), then every failing expectation.
[[nodiscard]] std::string render_summary_markdown(const std::vector<ScenarioRuns>& scenarios,
                                                  const RenderOptions& options);

// How a metric value reads: ratios as percent, *_s in seconds, *_ms in milliseconds.
[[nodiscard]] std::string format_metric(const std::string& name, double value);

// ">=" → "≥" and friends.
[[nodiscard]] std::string format_op(const std::string& op);

}  // namespace resproxy::report
