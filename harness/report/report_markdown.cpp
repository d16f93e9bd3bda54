// The one-page Markdown summary of a report (summary.md next to report.html): the overall
// verdict, one line per scenario and every failed expectation. Its text comes from results files,
// which are untrusted input: everything is escaped for Markdown (md, md_code below).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/report/report_html.h"
#include "harness/report/report_html_parts.h"

namespace resproxy::report {

using namespace html;  // NOLINT(google-build-using-namespace): the report's own parts

namespace {

// Markdown text from untrusted strings: one line; what Markdown or HTML would interpret
// (emphasis, code, links, tags, table cells) backslash-escaped. An underscore inside a word is
// left alone (CommonMark does not emphasise it), so metric names stay readable in raw logs.
std::string md(std::string_view text) {
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '_':
        if (i > 0 && i + 1 < text.size() && is_word(text[i - 1]) && is_word(text[i + 1])) {
          out += c;
        } else {
          out += "\\_";
        }
        break;
      case '\\':
      case '`':
      case '*':
      case '[':
      case ']':
      case '<':
      case '|':
        out += '\\';
        out += c;
        break;
      case '\n':
      case '\r':
      case '\t': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

// A code span when the text allows one (no backtick, one line), else escaped text.
std::string md_code(std::string_view text) {
  if (text.find_first_of("`\n\r") != std::string_view::npos) return md(text);
  std::string out;  // appended, not "`" + … + "`": g++ 12 -O2 warns (-Wrestrict) on that
  out.reserve(text.size() + 2);
  out += '`';
  out += text;
  out += '`';
  return out;
}

}  // namespace

std::string render_summary_markdown(const std::vector<ScenarioRuns>& scenarios,
                                    const RenderOptions& options) {
  const auto [overall, runs, expectations, met] = overview(scenarios);
  std::string out = "# resproxy resilience report: " + std::string(to_string(overall)) + "\n\n";
  out += std::to_string(scenarios.size()) +
         (scenarios.size() == 1 ? " scenario, " : " scenarios, ") + std::to_string(runs) +
         (runs == 1 ? " run" : " runs") + "; " + std::to_string(met) + " of " +
         std::to_string(expectations) + " expectations met";
  if (!options.source_label.empty()) out += " (from " + md(options.source_label) + ")";
  out += ".\n\n";
  out +=
      "| verdict | scenario | seed | met | calls | success | during fault | internal during | "
      "detection | failback | PDD p95 |\n";
  out += "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& s : scenarios) {
    for (const auto& run : s.runs) {
      auto detection = run.metric("detection_time_s");
      auto failback = run.metric("failback_time_s");
      bool has_fault = main_fault_window(run).has_value();
      out += "| " +
             std::string(run.verdict() == Verdict::Fail ? "**FAIL**" : to_string(run.verdict())) +
             " | " + md(s.scenario) + " | " + std::to_string(run.seed) + " | " +
             std::to_string(passed_count(run)) + "/" + std::to_string(run.expectations.size()) +
             " | " + std::to_string(run.calls.size()) + " | " +
             md(metric_or_dash(run, "call_success_ratio")) + " | " +
             md(metric_or_dash(run, "call_success_ratio.during")) + " | " +
             md(metric_or_dash(run, "local_call_success_ratio.during")) + " | " +
             (detection ? md(format_metric("detection_time_s", *detection))
                        : std::string(has_fault ? "never" : "–")) +
             " | " +
             (failback ? md(format_metric("failback_time_s", *failback))
                       : std::string(has_fault ? "never" : "–")) +
             " | " + md(metric_or_dash(run, "pdd_ms.p95")) + " |\n";
    }
  }
  std::string failures;
  for (const auto& s : scenarios) {
    for (const auto& run : s.runs) {
      for (const auto& e : run.expectations) {
        if (e.passed) continue;
        failures += "- " + md(s.scenario) + " seed " + std::to_string(run.seed) +
                    (e.line ? " (line " + std::to_string(*e.line) + ")" : std::string()) + ": " +
                    md(e.text) + " — expected " + md_code(e.metric) + " " + format_op(e.op) + " " +
                    (e.value ? md(format_metric(e.metric, *e.value)) : "?") + ", actual " +
                    (e.actual ? md(format_metric(e.metric, *e.actual)) : "not measured") + "\n";
      }
    }
  }
  if (!failures.empty()) out += "\n## Failing expectations\n\n" + failures;
  return out;
}

}  // namespace resproxy::report
