// The proof that it is one core: the same OptionsProber / OptionsResponder and transaction layer
// recover from a lossy link natively (real UDP sockets on loopback) and inside ns-3, and the ns-3
// run is deterministic: same seed, byte-identical trace; other seed, another trace.
#include <gtest/gtest.h>

#include <set>

#include "harness/exchange.h"

namespace resproxy::harness {
namespace {

std::set<std::string> event_names(const std::vector<std::string>& trace) {
  std::set<std::string> names;
  for (const auto& line : trace) {
    const auto at = line.find("\"ev\":\"");
    if (at == std::string::npos) continue;
    const auto start = at + 6;
    names.insert(line.substr(start, line.find('"', start) - start));
  }
  return names;
}

ExchangeConfig lossy(std::uint64_t seed) {
  ExchangeConfig config;
  config.seed = seed;
  config.loss = 0.25;
  config.probes = 16;
  config.interval = std::chrono::milliseconds(100);
  return config;
}

void expect_every_probe_answered(const ExchangeResult& r, int probes) {
  EXPECT_EQ(static_cast<int>(r.probes.size()), probes);
  EXPECT_EQ(r.answered, probes);
  EXPECT_EQ(r.failed, 0);
  for (const auto& p : r.probes) EXPECT_EQ(p.status, 200) << "probe " << p.sequence;
  // Loss was real and the transaction layer recovered from it.
  EXPECT_GT(r.datagrams_lost, 0u);
  EXPECT_GT(r.client_retransmissions + r.server_retransmissions, 0u);
  // The responder's TU saw each OPTIONS once: retransmissions were absorbed below it.
  EXPECT_EQ(r.requests_answered, static_cast<std::uint64_t>(probes));
}

TEST(OneCore, NativeLoopbackExchangeRecoversFromLossIPv4) {
  const auto r = run_native_exchange(lossy(3));
  expect_every_probe_answered(r, 16);
}

TEST(OneCore, NativeLoopbackExchangeRecoversFromLossIPv6) {
  auto config = lossy(4);
  config.loopback_ip = "::1";
  const auto r = run_native_exchange(config);
  expect_every_probe_answered(r, 16);
}

TEST(OneCore, Ns3ExchangeRecoversFromLoss) {
  const auto r = run_ns3_exchange(lossy(3));
  expect_every_probe_answered(r, 16);
}

TEST(OneCore, Ns3RunsWithTheSameSeedGiveByteIdenticalTraces) {
  const auto a = run_ns3_exchange(lossy(7));
  const auto b = run_ns3_exchange(lossy(7));
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.trace, b.trace);
}

TEST(OneCore, Ns3RunsWithAnotherSeedDiffer) {
  const auto a = run_ns3_exchange(lossy(7));
  const auto b = run_ns3_exchange(lossy(8));
  EXPECT_NE(a.trace_hash, b.trace_hash);
}

TEST(OneCore, BothRuntimesRunTheSameCoreCode) {
  // The events come from the core, not from the runtime: both runs emit the same vocabulary.
  const auto native = run_native_exchange(lossy(5));
  const auto simulated = run_ns3_exchange(lossy(5));
  for (const auto* name : {"probe.sent", "probe.answered", "ua.options_answered",
                           "txn.state_changed", "txn.timer_fired"}) {
    EXPECT_TRUE(event_names(native.trace).contains(name)) << name;
    EXPECT_TRUE(event_names(simulated.trace).contains(name)) << name;
  }
}

}  // namespace
}  // namespace resproxy::harness
