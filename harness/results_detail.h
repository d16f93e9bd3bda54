#pragma once
// Helpers shared by the results' files (results.cc, results_audio.cc): rounding as results.json
// writes numbers, phases by time, percentiles. Private to harness/.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness/results.h"

namespace resproxy::harness::detail {

inline double round3(double x) { return std::round(x * 1000.0) / 1000.0; }
// Ratios keep six decimals: 0.9986 must not pass ">= 0.999".
inline double round6(double x) { return std::round(x * 1e6) / 1e6; }

inline std::string phase_of(const Phases& p, double t) {
  if (t < p.before_end) return "before";
  if (t < p.during_end) return "during";
  return "after";
}

// ".during" (appended, not "." + s: g++ 12 -O3 warns falsely about that insert, -Wrestrict)
inline std::string dotted(const std::string& phase) {
  std::string out(1, '.');
  out.append(phase);
  return out;
}

// Nearest-rank percentile of sorted values (not empty).
inline double percentile(const std::vector<double>& sorted, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace resproxy::harness::detail
