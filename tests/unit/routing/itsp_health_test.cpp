// The ITSP health state machine: every transition, on a hand-stepped clock.
#include <gtest/gtest.h>

#include "proxy/routing/itsp_health.h"

namespace resproxy::routing {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = from_ns(1'000'000'000'000);

TEST(ItspHealth, GoesInactiveAfterNFailedProbesProbingFasterInBetween) {
  ItspHealth h({.failures_to_down = 3}, true, t0);
  EXPECT_TRUE(h.is_usable());
  h.on_probe_failure(t0);
  EXPECT_EQ(h.state(), ItspState::Probing);
  EXPECT_TRUE(h.is_usable());  // a doubt, not an outage: traffic still goes, guarded
  EXPECT_EQ(h.next_probe_at(), t0 + 10s);
  h.on_probe_failure(t0 + 10s);
  EXPECT_EQ(h.state(), ItspState::Probing);
  h.on_probe_failure(t0 + 20s);
  EXPECT_EQ(h.state(), ItspState::Inactive);
  EXPECT_EQ(h.state_since(), t0 + 20s);
}

TEST(ItspHealth, OneSuccessClearsADoubtWithoutFailbackDelay) {
  ItspHealth h({}, true, t0);
  h.on_probe_failure(t0);
  h.on_probe_success(t0 + 1s);
  EXPECT_EQ(h.state(), ItspState::Active);
  EXPECT_EQ(h.next_probe_at(), t0 + 31s);
}

TEST(ItspHealth, FailsBackOnlyAfterMSuccessesInARowSpanningTheFailbackDelay) {
  ItspHealth h({.failures_to_down = 1, .successes_to_up = 3, .failback_delay = 20s}, true, t0);
  h.on_probe_failure(t0);
  ASSERT_EQ(h.state(), ItspState::Inactive);
  h.on_probe_success(t0 + 10s);
  h.on_probe_success(t0 + 20s);
  h.on_probe_failure(t0 + 30s);  // flap: start again
  h.on_probe_success(t0 + 40s);
  h.on_probe_success(t0 + 50s);
  h.on_probe_success(t0 + 55s);  // three in a row, but only 15 s of stability
  EXPECT_EQ(h.state(), ItspState::Inactive);
  h.on_probe_success(t0 + 60s);
  EXPECT_EQ(h.state(), ItspState::Active);
  EXPECT_EQ(h.transitions(), 2u);
}

TEST(ItspHealth, LiveTrafficFailureMakesItSuspectAndAsksForAProbeNow) {
  ItspHealth h({}, true, t0);
  h.probe_sent(t0);
  h.on_traffic_failure(t0 + 3s, TrafficFailure::NoAnswer);
  EXPECT_EQ(h.state(), ItspState::Probing);
  EXPECT_EQ(h.next_probe_at(), t0 + 3s);
  h.on_probe_failure(t0 + 4s);  // the second failure: N = 2
  EXPECT_EQ(h.state(), ItspState::Inactive);
}

TEST(ItspHealth, LiveTrafficSuccessClearsADoubt) {
  ItspHealth h({}, true, t0);
  h.on_traffic_failure(t0, TrafficFailure::Unavailable);
  h.on_traffic_success(t0 + 1s);
  EXPECT_TRUE(h.is_usable());
}

TEST(ItspHealth, InactiveNeverStopsProbing) {
  ItspHealth h({.failures_to_down = 1}, true, t0);
  h.on_probe_failure(t0);
  for (int i = 1; i < 1000; ++i) {
    h.probe_sent(t0 + i * 10s);
    h.on_probe_failure(t0 + i * 10s);
    ASSERT_TRUE(h.next_probe_at().has_value());
  }
  EXPECT_EQ(h.next_probe_at(), t0 + 9990s + 10s);
}

TEST(ItspHealth, AdminDisabledIsNeverProbedNorUsed) {
  ItspHealth h({}, false, t0);
  EXPECT_EQ(h.state(), ItspState::AdminDisabled);
  EXPECT_FALSE(h.next_probe_at().has_value());
  h.on_probe_success(t0);
  h.on_traffic_success(t0);
  EXPECT_FALSE(h.is_usable());
}

}  // namespace
}  // namespace resproxy::routing
