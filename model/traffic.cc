#include "model/traffic.h"

#include <algorithm>
#include <cmath>

namespace resproxy::model {

double uniform01(Rng& rng) {
  return static_cast<double>(rng.next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

double exponential(Rng& rng, double mean) {
  const double u = std::max(uniform01(rng), 1e-300);
  return -std::log(u) * mean;
}

std::vector<TimePoint> poisson_arrivals(Rng& rng, double per_hour, TimePoint start, TimePoint stop) {
  std::vector<TimePoint> out;
  if (per_hour <= 0.0 || stop <= start) return out;
  const double mean_gap_ns = 3600e9 / per_hour;
  TimePoint t = start;
  for (;;) {
    t += Duration{static_cast<Duration::rep>(exponential(rng, mean_gap_ns))};
    if (t >= stop) return out;
    out.push_back(t);
  }
}

}  // namespace resproxy::model
