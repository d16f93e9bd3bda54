#pragma once
// results.json's "audio" object (docs/results-schema.md), for results.cc: every judged call with
// its verdict and its UA sides, and the gateway's bridge counters.
#include <nlohmann/json.hpp>

#include "harness/results.h"

namespace resproxy::harness {

[[nodiscard]] nlohmann::ordered_json audio_json(const Scenario& scenario, const RunData& run);

}  // namespace resproxy::harness
