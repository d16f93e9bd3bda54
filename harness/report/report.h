#pragma once
// `resproxy-harness report DIR`: every results.json under DIR (docs/results-schema.md) →
// DIR/report.html (one self-contained page: inline CSS and SVG, no scripts, nothing fetched)
// and DIR/summary.md (one line per scenario and seed, failing expectations listed). A pure
// function of the results files: it never re-runs anything, and the same files give the same
// bytes.

#include <filesystem>
#include <string>

#include "harness/report/report_html.h"
#include "harness/report/report_model.h"

namespace resproxy::report {

struct RenderedReport {
  std::string html;
  std::string markdown;
};

// Loads every results.json under `dir` and renders both documents. Throws ReportError naming
// the offending file (bad JSON, wrong schema version, wrong types) or `dir` (no results).
[[nodiscard]] RenderedReport render_report(const std::filesystem::path& dir);

// The command: argv = {"report", DIR, [--out FILE], [--summary FILE]}. --out defaults to
// DIR/report.html, --summary to summary.md beside the HTML file. Prints the overall verdict and
// the files written. Returns 0 when the files were written (whatever the verdict), 1 when a
// results file was refused or a file could not be written (message on stderr), 2 on bad usage.
int run_report(int argc, char** argv);

}  // namespace resproxy::report
