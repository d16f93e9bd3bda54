#pragma once
// The report page's style sheet: reports/report.css, embedded at build time (the page links
// nothing, so it must carry its CSS inline).

#include <string_view>

namespace resproxy::report {

[[nodiscard]] std::string_view report_css();

}  // namespace resproxy::report
