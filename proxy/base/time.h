#pragma once
// Core time: a clock with no now(). Core code holds and compares time points that the
// runtime hands it with every input; it can never read a clock itself.
#include <chrono>
#include <cstdint>

namespace resproxy {

struct CoreClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<CoreClock>;
  static constexpr bool is_steady = true;
};

using TimePoint = CoreClock::time_point;  // monotonic, arbitrary epoch chosen by the runtime
using Duration = CoreClock::duration;

constexpr std::int64_t to_ns(TimePoint t) { return t.time_since_epoch().count(); }
constexpr TimePoint from_ns(std::int64_t ns) { return TimePoint{Duration{ns}}; }

}  // namespace resproxy
