// The nat: block's metrics and results.json object (results_nat.h).
#include "harness/results_nat.h"

#include <chrono>
#include <set>
#include <string>

namespace resproxy::harness {

namespace {

// The user parts of the phones at home.
std::set<std::string> users_at_home(const Scenario& s) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < s.phones; ++i) {
    if (s.home_of(i)) out.insert(std::to_string(s.first_number + i));
  }
  return out;
}

// An answered call the relay question is asked of: with a phone at home at either end ("nat"), or
// internal between two office phones ("lan"); "" otherwise.
std::string relay_class(const CallData& c, const std::set<std::string>& at_home) {
  if (c.outcome != "answered") return "";
  if (at_home.contains(c.from) || at_home.contains(c.to)) return "nat";
  return c.kind == "internal" ? "lan" : "";
}

}  // namespace

void add_nat_metrics(const Scenario& s, const RunData& run, Metrics& m) {
  HomeNatData sum;
  for (const auto& h : run.homes) {
    sum.translated_out += h.translated_out;
    sum.translated_in += h.translated_in;
    sum.dropped_unsolicited += h.dropped_unsolicited;
    sum.dropped_filtered += h.dropped_filtered;
    sum.dropped_other += h.dropped_no_port + h.dropped_other;
    sum.mappings_created += h.mappings_created;
    sum.mappings_expired += h.mappings_expired;
  }
  m["nat_translated_out"] = static_cast<double>(sum.translated_out);
  m["nat_translated_in"] = static_cast<double>(sum.translated_in);
  m["nat_dropped_unsolicited"] = static_cast<double>(sum.dropped_unsolicited);
  m["nat_dropped_filtered"] = static_cast<double>(sum.dropped_filtered);
  m["nat_dropped_other"] = static_cast<double>(sum.dropped_other);
  m["nat_mappings_created"] = static_cast<double>(sum.mappings_created);
  m["nat_mappings_expired"] = static_cast<double>(sum.mappings_expired);
  const std::set<std::string> at_home = users_at_home(s);
  double nat = 0, nat_relayed = 0, lan = 0, lan_relayed = 0;
  for (const auto& c : run.calls) {
    const std::string cls = relay_class(c, at_home);
    if (cls == "nat") {
      nat += 1;
      nat_relayed += c.relayed ? 1 : 0;
    } else if (cls == "lan") {
      lan += 1;
      lan_relayed += c.relayed ? 1 : 0;
    }
  }
  m["nat_calls"] = nat;
  m["nat_calls_relayed"] = nat_relayed;
  m["nat_calls_not_relayed"] = nat - nat_relayed;
  m["lan_calls"] = lan;
  m["lan_calls_relayed"] = lan_relayed;
}

nlohmann::ordered_json nat_json(const Scenario& s, const RunData& run) {
  using Json = nlohmann::ordered_json;
  Json homes = Json::array();
  std::size_t first = s.phones - s.phones_at_home();
  for (std::size_t k = 0; k < s.homes.size() && k < run.homes.size(); ++k) {
    const HomeSpec& spec = s.homes[k];
    const HomeNatData& h = run.homes[k];
    Json phones = Json::array();
    for (std::size_t i = 0; i < spec.phones; ++i) phones.push_back(std::to_string(s.first_number + first + i));
    first += spec.phones;
    homes.push_back(Json{{"home", k + 1},
                         {"address", h.address},
                         {"phones", std::move(phones)},
                         {"mapping", std::string(model::to_string(spec.nat.mapping))},
                         {"filtering", std::string(model::to_string(spec.nat.filtering))},
                         {"timeout_s", std::chrono::duration<double>(spec.nat.timeout).count()},
                         {"ports", {spec.nat.first_port, spec.nat.last_port}},
                         {"translated_out", h.translated_out},
                         {"translated_in", h.translated_in},
                         {"dropped_unsolicited", h.dropped_unsolicited},
                         {"dropped_filtered", h.dropped_filtered},
                         {"dropped_no_port", h.dropped_no_port},
                         {"dropped_other", h.dropped_other},
                         {"mappings_created", h.mappings_created},
                         {"mappings_expired", h.mappings_expired},
                         {"mappings_at_end", h.mappings}});
  }
  const std::set<std::string> at_home = users_at_home(s);
  Json calls = Json::array();
  for (const auto& c : run.calls) {
    const std::string cls = relay_class(c, at_home);
    if (cls.empty()) continue;
    calls.push_back(Json{{"call_id", c.call_id}, {"from", c.from}, {"to", c.to}, {"placed_s", c.placed_s},
                         {"class", cls}, {"relayed", c.relayed}});
  }
  return Json{{"homes", std::move(homes)}, {"calls", std::move(calls)}};
}

}  // namespace resproxy::harness
