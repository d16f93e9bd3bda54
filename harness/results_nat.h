#pragma once
// results.json's nat_* metrics and "nat" object (docs/results-schema.md), for results.cc: with a
// nat: block, what each home's NAT did, and which answered calls resproxy's media relay anchored —
// those with a phone at home (nat_calls) and those between two phones in the office (lan_calls).
#include <nlohmann/json.hpp>

#include "harness/results.h"

namespace resproxy::harness {

void add_nat_metrics(const Scenario& scenario, const RunData& run, Metrics& metrics);
[[nodiscard]] nlohmann::ordered_json nat_json(const Scenario& scenario, const RunData& run);

}  // namespace resproxy::harness
