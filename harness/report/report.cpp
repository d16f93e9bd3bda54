#include "harness/report/report.h"

#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

namespace resproxy::report {
namespace {

constexpr std::string_view kUsage =
    "usage: resproxy-harness report DIR [--out FILE] [--summary FILE]\n"
    "  Reads every results.json under DIR and writes a self-contained HTML report\n"
    "  (default DIR/report.html) and a Markdown summary (default: summary.md beside it).\n";

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw ReportError(path.string() + ": cannot open for writing");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw ReportError(path.string() + ": write failed");
}

}  // namespace

RenderedReport render_report(const std::filesystem::path& dir) {
  std::vector<Results> results = load_results_tree(dir);
  // Show each file relative to DIR, so the page does not depend on where DIR lives.
  for (auto& r : results) {
    r.origin = std::filesystem::path(r.origin).lexically_relative(dir).generic_string();
  }
  std::vector<ScenarioRuns> scenarios = group_by_scenario(std::move(results));
  RenderOptions options;
  options.source_label = dir.filename().empty() ? dir.parent_path().filename().generic_string()
                                                : dir.filename().generic_string();
  RenderedReport rendered;
  rendered.html = render_html(scenarios, options);
  rendered.markdown = render_summary_markdown(scenarios, options);
  return rendered;
}

int run_report(int argc, char** argv) {
  std::vector<std::string_view> args(argv, argv + argc);
  std::optional<std::filesystem::path> dir, out, summary;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if ((arg == "--out" || arg == "--summary") && i + 1 < args.size()) {
      (arg == "--out" ? out : summary) = std::filesystem::path(args[++i]);
    } else if (arg.starts_with("--out=")) {
      out = std::filesystem::path(arg.substr(6));
    } else if (arg.starts_with("--summary=")) {
      summary = std::filesystem::path(arg.substr(10));
    } else if (!arg.starts_with("-") && !dir) {
      dir = std::filesystem::path(arg);
    } else {
      std::cerr << "report: unexpected argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (!dir) {
    std::cerr << "report: missing DIR\n" << kUsage;
    return 2;
  }
  std::filesystem::path html_path = out.value_or(*dir / "report.html");
  std::filesystem::path md_path = summary.value_or(html_path.parent_path() / "summary.md");
  try {
    RenderedReport rendered = render_report(*dir);
    write_file(html_path, rendered.html);
    write_file(md_path, rendered.markdown);
    // The first line of the summary carries the overall verdict.
    std::string_view markdown = rendered.markdown;
    std::string_view first = markdown.substr(0, markdown.find('\n'));
    if (first.starts_with("# ")) first.remove_prefix(2);
    std::cout << first << "\n"
              << "wrote " << html_path.string() << "\nwrote " << md_path.string() << "\n";
  } catch (const ReportError& e) {
    std::cerr << "report: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "report: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace resproxy::report
