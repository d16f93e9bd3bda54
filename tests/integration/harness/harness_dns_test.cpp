// The shipped DNS scenario (scenarios/itsp-dns-srv.yaml) really goes through the simulated DNS
// node: resproxy, which knows the ITSP only as itsp.example, asks the DNS node for the SRV
// records and the target's address, gets its ITSP proxy from the answer, follows the zone's
// change, and with a zone that does not know the name has no ITSP at all. Also: the scenario
// file's dns block is read strictly.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

namespace resproxy::harness {
namespace {

const std::string kScenario = std::string(RESPROXY_SOURCE_DIR) + "/scenarios/itsp-dns-srv.yaml";

std::size_t count(const RunData& run, std::string_view node, std::string_view event, std::string_view more = {}) {
  std::size_t n = 0;
  for (const auto& line : run.trace) {
    if (line.find("\"node\":\"" + std::string(node) + "\"") == std::string::npos) continue;
    if (line.find("\"ev\":\"" + std::string(event) + "\"") == std::string::npos) continue;
    if (!more.empty() && line.find(more) == std::string::npos) continue;
    ++n;
  }
  return n;
}

TEST(ScenarioDns, ResproxyFindsTheItspThroughTheDnsNodeAndFollowsItsMove) {
  const Scenario scenario = load_scenario(kScenario);
  ASSERT_TRUE(scenario.dns.enabled);
  RunOptions options;
  options.keep_trace = true;
  const RunData run = run_scenario(scenario, scenario.seed, options);
  // The DNS node was asked, and resproxy's first ITSP proxy is what it answered.
  EXPECT_GE(run.dns_queries, 10u);
  EXPECT_GE(count(run, "resproxy", "itsp.name_lookup", "\"host\":\"_sip._udp.itsp.example\""), 5u);
  EXPECT_EQ(count(run, "resproxy", "itsp.proxy_added", "\"address\":\"10.0.4.2:5060\""), 1u);
  // The outage: look-ups timed out and the address stayed.
  EXPECT_GE(count(run, "resproxy", "itsp.name_lookup_failed", "\"kept\":\"10.0.4.2:5060\""), 2u);
  // The move: from the zone's new record, once, without a restart.
  EXPECT_EQ(count(run, "resproxy", "itsp.proxy_added", "\"address\":\"10.0.4.3:5060\""), 1u);
  EXPECT_EQ(count(run, "resproxy", "itsp.proxy_removed", "\"address\":\"10.0.4.2:5060\""), 1u);
  EXPECT_EQ(run.itsp_address_changes, 1u);
  // Calls went to the ITSP at both addresses: to the new one after the move.
  std::size_t after_move = 0;
  for (const auto& c : run.calls) {
    if (c.placed_s > *scenario.itsp_moves_at_s && c.route == "itsp" && c.outcome == "answered") ++after_move;
  }
  EXPECT_GE(after_move, 3u);
  EXPECT_GE(count(run, "resproxy", "route.forwarded", "\"to\":\"10.0.4.3:5060\""), 3u);
  for (const auto& verdict : judge(scenario, compute_metrics(scenario, run))) {
    EXPECT_TRUE(verdict.passed) << verdict.message;
  }
}

TEST(ScenarioDns, AZoneThatDoesNotKnowTheNameLeavesResproxyWithoutItsp) {
  Scenario scenario = load_scenario(kScenario);
  scenario.dns.zone.clear();  // NXDOMAIN for everything
  scenario.dns.changes.clear();
  RunOptions options;
  options.keep_trace = true;
  const RunData run = run_scenario(scenario, scenario.seed, options);
  EXPECT_GE(run.dns_queries, 2u);
  EXPECT_GE(count(run, "resproxy", "itsp.srv_fallback", "\"error\":\"not_found\""), 1u);
  EXPECT_EQ(count(run, "resproxy", "itsp.proxy_added"), 0u);
  for (const auto& c : run.calls) EXPECT_NE(c.route, "itsp") << c.call_id;
  EXPECT_EQ(count(run, "resproxy", "txn.created", "OPTIONS"), 0u);  // never probed
}

TEST(ScenarioDns, TheDnsBlockIsReadStrictly) {
  const std::string path = ::testing::TempDir() + "/dns_bad.yaml";
  const auto refused = [&](const std::string& dns) {
    std::ofstream(path) << "resproxy: |\n  [sipproxy]\n  mode = standalone\n" << dns;
    try {
      (void)load_scenario(path);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused("dns:\n  zone:\n    - {name: a.example, type: A, address: not-an-ip}\n")
                .find("dns_bad.yaml:6:43: dns: \"not-an-ip\" is not an A address"),
            std::string::npos);
  EXPECT_NE(refused("dns:\n  zone:\n    - {name: a.example, type: MX}\n").find("allowed: A, AAAA, SRV"),
            std::string::npos);
  EXPECT_NE(refused("dns:\n  zone:\n    - {name: a.example, type: A, port: 5}\n").find("unknown key 'port'"),
            std::string::npos);
  EXPECT_NE(refused("faults:\n  - {kind: outage, target: dns, start_s: 1, end_s: 2}\n").find("needs a dns: block"),
            std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace resproxy::harness
