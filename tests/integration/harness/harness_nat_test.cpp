// The nat: block (harness/scenario_blocks.cc, harness/results_nat.cc): phones at home behind
// NATs, read strictly; the relay metrics by kind of call; and the shipped scenario's negative
// control — the same run with relay_phones = never loses the audio of every call between the
// office and a home, so the passing run is no accident.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/results.h"
#include "harness/results_nat.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

namespace resproxy::harness {
namespace {

std::string write_scenario(const std::string& name, const std::string& body,
                           const std::string& topology = "topology: {phones: 6}\n") {
  const auto path = std::filesystem::temp_directory_path() / ("resproxy-nat-" + name + ".yaml");
  std::ofstream(path) << "duration_s: 300\n" << topology << "resproxy: |\n  [sipproxy]\n  mode = standalone\n"
                      << body;
  return path.string();
}

std::string load_error(const std::string& name, const std::string& body,
                       const std::string& topology = "topology: {phones: 6}\n") {
  try {
    (void)load_scenario(write_scenario(name, body, topology));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(NatBlock, PutsTheLastPhonesAtTheirHomesInOrder) {
  const Scenario s = load_scenario(write_scenario(
      "ok",
      "nat:\n  link: {rate: 30Mbps, delay_ms: 8}\n  homes:\n"
      "    - {phones: 2}\n"
      "    - {phones: 1, mapping: address_and_port_dependent, filtering: address_dependent, timeout_s: 45,\n"
      "       ports: [40000, 40999], register_expires_s: 90}\n",
      "topology: {phones: 6, phones_per_host: 2}\n"));
  ASSERT_EQ(s.homes.size(), 2u);
  EXPECT_EQ(s.phones_at_home(), 3u);
  EXPECT_FALSE(s.home_of(2));
  EXPECT_EQ(s.home_of(3), std::make_pair(std::size_t{0}, std::size_t{0}));
  EXPECT_EQ(s.home_of(4), std::make_pair(std::size_t{0}, std::size_t{1}));
  EXPECT_EQ(s.home_of(5), std::make_pair(std::size_t{1}, std::size_t{0}));
  EXPECT_FALSE(s.home_of(6));
  // Defaults: a port-restricted cone with RFC 4787's recommended 5 min.
  EXPECT_EQ(s.homes[0].nat.mapping, model::NatBehaviour::EndpointIndependent);
  EXPECT_EQ(s.homes[0].nat.filtering, model::NatBehaviour::AddressAndPortDependent);
  EXPECT_EQ(s.homes[0].nat.timeout, std::chrono::minutes(5));
  EXPECT_FALSE(s.homes[0].register_expires_s);
  EXPECT_EQ(s.homes[1].nat.mapping, model::NatBehaviour::AddressAndPortDependent);
  EXPECT_EQ(s.homes[1].nat.filtering, model::NatBehaviour::AddressDependent);
  EXPECT_EQ(s.homes[1].nat.timeout, std::chrono::seconds(45));
  EXPECT_EQ(s.homes[1].nat.first_port, 40000);
  EXPECT_EQ(s.homes[1].nat.last_port, 40999);
  EXPECT_EQ(s.homes[1].register_expires_s, 90.0);
  // The network: two office hosts for the three office phones, the homes' NATs, their link.
  EXPECT_EQ(s.network.phone_hosts, 2u);
  ASSERT_EQ(s.network.homes.size(), 2u);
  EXPECT_EQ(s.network.homes[1].timeout, std::chrono::seconds(45));
  EXPECT_EQ(s.network.home.rate, "30Mbps");
  EXPECT_EQ(s.network.home.delay, ns3::MilliSeconds(8));
}

TEST(NatBlock, IsReadStrictly) {
  EXPECT_NE(load_error("key", "nat:\n  homes:\n    - {phones: 1, cone: full}\n").find("unknown key 'cone' in nat.homes[]"),
            std::string::npos);
  EXPECT_NE(load_error("line", "nat:\n  homes:\n    - {phones: 1, cone: full}\n").find(".yaml:8:"), std::string::npos);
  EXPECT_NE(load_error("mapping", "nat:\n  homes:\n    - {mapping: symmetric}\n")
                .find("nat.homes[].mapping: \"symmetric\" is not allowed; allowed: endpoint_independent"),
            std::string::npos);
  EXPECT_NE(load_error("nohomes", "nat: {link: {rate: 1Mbps}}\n").find("nat: needs homes"), std::string::npos);
  EXPECT_NE(load_error("many", "nat:\n  homes:\n    - {phones: 4}\n    - {phones: 3}\n").find("7 phones at home, but topology.phones is 6"),
            std::string::npos);
  EXPECT_NE(load_error("ports", "nat:\n  homes:\n    - {ports: [2000, 1000]}\n").find("nat.homes[].ports"),
            std::string::npos);
  EXPECT_NE(load_error("timeout", "nat:\n  homes:\n    - {timeout_s: 0}\n").find("nat.homes[].timeout_s"),
            std::string::npos);
  EXPECT_NE(load_error("tcp", "nat:\n  homes:\n    - {phones: 1}\n", "topology: {phones: 6, tcp_share: 1}\n")
                .find("would use TCP"),
            std::string::npos);
  EXPECT_NE(load_error("target", "faults:\n  - {kind: outage, target: home, start_s: 10, end_s: 20}\n")
                .find("target home needs a nat: block"),
            std::string::npos);
  EXPECT_EQ(load_error("targetok", "nat:\n  homes: [{}]\nfaults:\n  - {kind: outage, target: home_lan, start_s: 10, end_s: 20}\n"),
            "");
}

CallData call(std::string from, std::string to, std::string kind, std::string outcome, bool relayed) {
  CallData c;
  c.call_id = from + "-" + to;
  c.from = std::move(from);
  c.to = std::move(to);
  c.kind = std::move(kind);
  c.outcome = std::move(outcome);
  c.relayed = relayed;
  return c;
}

TEST(NatMetrics, AnsweredCallsAreSortedByWhetherAPhoneAtHomeIsInThem) {
  Scenario s;
  s.phones = 4;  // 2001, 2002 in the office; 2003, 2004 at home
  s.first_number = 2001;
  s.homes.resize(2);
  RunData run;
  run.calls = {call("2001", "2003", "internal", "answered", true),    // nat, relayed
               call("2004", "2001", "internal", "answered", false),   // nat, not relayed
               call("2003", "0123456789", "outbound", "answered", true),  // nat
               call("2001", "2002", "internal", "answered", false),   // lan
               call("2002", "2001", "internal", "answered", true),    // lan, relayed
               call("2001", "0123456789", "outbound", "answered", false),  // neither
               call("2002", "2004", "internal", "failed", true)};     // not answered: neither
  run.homes = {HomeNatData{.address = "203.0.113.2", .translated_out = 10, .translated_in = 8,
                           .dropped_unsolicited = 2, .dropped_filtered = 1, .dropped_no_port = 1,
                           .dropped_other = 1, .mappings_created = 3, .mappings_expired = 1, .mappings = 2},
               HomeNatData{.address = "203.0.113.6", .translated_out = 5, .translated_in = 5,
                           .dropped_unsolicited = 0, .dropped_filtered = 0, .dropped_no_port = 0,
                           .dropped_other = 0, .mappings_created = 1, .mappings_expired = 0, .mappings = 1}};
  Metrics m;
  add_nat_metrics(s, run, m);
  EXPECT_EQ(m["nat_calls"], 3);
  EXPECT_EQ(m["nat_calls_relayed"], 2);
  EXPECT_EQ(m["nat_calls_not_relayed"], 1);
  EXPECT_EQ(m["lan_calls"], 2);
  EXPECT_EQ(m["lan_calls_relayed"], 1);
  EXPECT_EQ(m["nat_translated_out"], 15);
  EXPECT_EQ(m["nat_translated_in"], 13);
  EXPECT_EQ(m["nat_dropped_unsolicited"], 2);
  EXPECT_EQ(m["nat_dropped_filtered"], 1);
  EXPECT_EQ(m["nat_dropped_other"], 2);
  EXPECT_EQ(m["nat_mappings_created"], 4);
  EXPECT_EQ(m["nat_mappings_expired"], 1);
  for (const auto& [name, value] : m) EXPECT_TRUE(is_known_metric(name)) << name;

  const auto j = nat_json(s, run);
  ASSERT_EQ(j["homes"].size(), 2u);
  EXPECT_EQ(j["homes"][0]["phones"], nlohmann::ordered_json::array({"2003"}));
  EXPECT_EQ(j["homes"][1]["phones"], nlohmann::ordered_json::array({"2004"}));
  EXPECT_EQ(j["homes"][1]["address"], "203.0.113.6");
  EXPECT_EQ(j["calls"].size(), 5u);
}

TEST(NatScenario, WithoutTheRelayTheCallsBetweenOfficeAndHomeLoseTheirAudio) {
  Scenario s = load_scenario(std::string(RESPROXY_SOURCE_DIR) + "/scenarios/media-nat.yaml");
  ASSERT_EQ(s.resproxy.proxy.media_relay.phones, sip::MediaRelayPolicy::WhenNatted);
  const Metrics relayed = compute_metrics(s, run_scenario(s, s.seed, {}));
  EXPECT_EQ(relayed.at("calls_no_audio"), 0);
  EXPECT_EQ(relayed.at("calls_one_way_audio"), 0);
  EXPECT_EQ(relayed.at("nat_calls_not_relayed"), 0);
  EXPECT_EQ(relayed.at("lan_calls_relayed"), 0);

  s.resproxy.proxy.media_relay.phones = sip::MediaRelayPolicy::Never;
  const Metrics direct = compute_metrics(s, run_scenario(s, s.seed, {}));
  // Six calls between the office and a home (or two homes) go direct and carry nothing either
  // way; the office calls and the ITSP's (relay_itsp = nat still anchors them) keep their audio.
  EXPECT_EQ(direct.at("nat_calls_not_relayed"), 6);
  EXPECT_EQ(direct.at("calls_no_audio"), 6);
  EXPECT_EQ(direct.at("audio_calls_two_way"), relayed.at("audio_calls_two_way") - 6);
  EXPECT_EQ(direct.at("calls_answered"), relayed.at("calls_answered"));  // the signalling is fine
}

}  // namespace
}  // namespace resproxy::harness
