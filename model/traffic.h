#pragma once
// Traffic patterns for simulated phones (issue #5, item 2): Poisson call arrivals (a busy hour
// as calls per phone per hour) and exponential holding times, drawn from an Rng on an explicit
// ns-3 stream, so the same seed gives the same calls. Pure functions: the scenario turns their
// output into UaPhone CallPlans before the simulation starts.
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::model {

// Uniform in [0, 1) with 53 bits.
double uniform01(Rng& rng);
// Exponentially distributed with mean `mean` (> 0).
double exponential(Rng& rng, double mean);
// Arrival times of a Poisson process with `per_hour` events per hour in [start, stop).
std::vector<TimePoint> poisson_arrivals(Rng& rng, double per_hour, TimePoint start, TimePoint stop);

}  // namespace resproxy::model
