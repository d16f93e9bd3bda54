// The ITSP monitor on a hand-stepped clock: OPTIONS probes with their own timeout, the seed's
// accepted answers, failover and failback times, selection among several ITSP proxies.
#include <gtest/gtest.h>

#include <memory>

#include "proxy/routing/itsp_monitor.h"
#include "proxy/sip/builder.h"

namespace resproxy::routing {
namespace {

using namespace std::chrono_literals;

const Address kLocal{"192.168.1.10", 5060};
const Address kItspA{"198.51.100.1", 5060};
const Address kItspB{"198.51.100.2", 5060};

class MonitorHost final : public transaction::SipNode {
 public:
  MonitorHost(Rng& rng, TraceSink& trace)
      : SipNode(transaction::SipNodeConfig{.transport = {.local = kLocal}, .timers = {}}, rng, trace) {}
  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override {
    if (monitor) monitor->on_response(now, id, response.status_code());
  }
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError) override {
    if (monitor) monitor->on_client_error(now, id);
  }
  std::unique_ptr<ItspMonitor> monitor;
};

// An ITSP that answers each OPTIONS with `status` (0: black hole).
class Fixture {
 public:
  explicit Fixture(ItspMonitorConfig config) {
    if (config.targets.empty()) {
      config.targets = {{"itsp-a", {Transport::Udp, kItspA, {}}, true}};
    }
    host.monitor = std::make_unique<ItspMonitor>(config, host, now);
    drain();
  }
  TimePoint now{std::chrono::hours(1)};
  SeededRng rng{3};
  RecordingTraceSink trace;
  MonitorHost host{rng, trace};
  int answer_a = 200;
  int answer_b = 200;
  int probes_seen = 0;

  ItspMonitor& monitor() { return *host.monitor; }
  void drain() {
    while (auto e = host.next_effect()) {
      auto* d = std::get_if<SendDatagram>(&*e);
      if (d == nullptr || !d->bytes.starts_with("OPTIONS")) continue;
      ++probes_seen;
      const int status = d->remote == kItspB ? answer_b : answer_a;
      if (status == 0) continue;
      auto request = sip::Message::parse(d->bytes);
      ASSERT_TRUE(request.has_value());
      pending.push_back({d->remote, sip::make_response(*request, status, "x", "t")});
    }
    auto replies = std::move(pending);
    pending.clear();
    for (auto& [from, bytes] : replies) {
      host.on_datagram(now, Path{Transport::Udp, kLocal, from, {}}, bytes);
      drain();
    }
  }
  void advance_to(TimePoint until) {
    while (auto d = host.next_deadline()) {
      if (*d > until) break;
      now = std::max(now, *d);
      host.on_deadline(now);
      drain();
    }
    now = until;
  }
  void advance(Duration d) { advance_to(now + d); }
  // When the first trace event `name` happened, relative to `from`.
  std::optional<Duration> when(std::string_view name, TimePoint from) const {
    for (const auto& e : trace.events) {
      if (e.name == name && e.t >= from) return e.t - from;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::pair<Address, std::string>> pending;
};

TEST(ItspMonitor, KeepsAnAnsweringItspActiveAndProbesItPeriodically) {
  Fixture f({});
  f.advance(95s);
  EXPECT_TRUE(f.monitor().any_usable());
  EXPECT_EQ(f.probes_seen, 4);  // at 0, 30, 60, 90 s
}

TEST(ItspMonitor, DetectsABlackHoleOnItsOwnProbeTimeoutNotTimerF) {
  ItspMonitorConfig config;
  config.probe_timeout = 1s;
  config.health = {.probe_interval = 30s, .probe_interval_down = 1s, .failures_to_down = 2};
  Fixture f(config);
  f.advance(31s);  // two answered probes
  const TimePoint outage = f.now;
  f.answer_a = 0;
  f.advance(60s);
  // Next probe at 60 s (1 h + 60 s): +29 s; timeout 1 s; one more probe 1 s later, timeout 1 s.
  const auto detected = f.when("itsp.marked_inactive", outage);
  ASSERT_TRUE(detected.has_value());
  EXPECT_EQ(*detected, 29s + 1s + 1s + 1s);
  EXPECT_FALSE(f.monitor().any_usable());
}

TEST(ItspMonitor, AcceptsTheSeedsAnswersAndNothingElse) {
  for (int status : {200, 202, 302, 401, 404, 407, 483}) EXPECT_TRUE(is_accepted_probe_answer(status)) << status;
  for (int status : {400, 403, 408, 480, 486, 500, 503, 600}) EXPECT_FALSE(is_accepted_probe_answer(status)) << status;
  ItspMonitorConfig config;
  config.health.failures_to_down = 1;
  Fixture f(config);
  f.answer_a = 503;
  f.advance(31s);
  EXPECT_FALSE(f.monitor().any_usable());
}

TEST(ItspMonitor, FailsBackAfterMSuccessesSpanningTheFailbackDelay) {
  ItspMonitorConfig config;
  config.probe_timeout = 1s;
  config.health = {.probe_interval = 30s, .probe_interval_down = 2s, .failures_to_down = 1,
                   .successes_to_up = 3, .failback_delay = 4s};
  Fixture f(config);
  f.answer_a = 0;
  f.advance(10s);
  ASSERT_FALSE(f.monitor().any_usable());
  const TimePoint back = f.now;
  f.answer_a = 200;
  f.advance(20s);
  EXPECT_TRUE(f.monitor().any_usable());
  const auto failback = f.when("itsp.marked_active", back);
  ASSERT_TRUE(failback.has_value());
  // Successes at the next three 2 s probe slots; the third is 4 s after the first.
  EXPECT_LE(*failback, 7s);
  EXPECT_GE(*failback, 4s);
}

TEST(ItspMonitor, LiveTrafficFailureMakesTheItspSuspectAndProbesAtOnce) {
  Fixture f({});
  f.advance(1s);
  f.monitor().on_traffic_failure(f.now, 0, TrafficFailure::TransportError);
  EXPECT_EQ(f.monitor().health(0).state(), ItspState::Probing);
  f.drain();
  f.advance(0s);  // the probe it asked for goes out now and is answered
  EXPECT_EQ(f.monitor().health(0).state(), ItspState::Active);
}

TEST(ItspMonitor, PrefersAnActiveProxyToASuspectOne) {
  ItspMonitorConfig config;
  config.targets = {{"a", {Transport::Udp, kItspA, {}}, true}, {"b", {Transport::Udp, kItspB, {}}, true}};
  Fixture f(config);
  f.advance(1s);
  ASSERT_EQ(f.monitor().size(), 2u);
  f.monitor().on_traffic_failure(f.now, 0, TrafficFailure::NoAnswer);
  EXPECT_EQ(f.monitor().select(), 1u);
}

TEST(ItspMonitor, SelectsTheFirstUpInNormalModeAndRoundRobinInCyclicMode) {
  ItspMonitorConfig config;
  config.targets = {{"a", {Transport::Udp, kItspA, {}}, true}, {"b", {Transport::Udp, kItspB, {}}, true}};
  config.health.failures_to_down = 1;
  {
    Fixture f(config);
    EXPECT_EQ(f.monitor().select(), 0u);
    EXPECT_EQ(f.monitor().select(), 0u);
    f.answer_a = 0;
    f.advance(35s);
    EXPECT_EQ(f.monitor().select(), 1u);  // a is down: the next one
  }
  config.selection = ItspSelection::Cyclic;
  Fixture f(config);
  EXPECT_EQ(f.monitor().select(), 0u);
  EXPECT_EQ(f.monitor().select(), 1u);
  EXPECT_EQ(f.monitor().select(), 0u);
}

TEST(ItspMonitor, AccessibilityCheckOffAssumesTheItspIsDownAndNeverProbes) {
  ItspMonitorConfig config;
  config.options_check = false;
  Fixture f(config);
  f.advance(120s);
  EXPECT_EQ(f.probes_seen, 0);
  EXPECT_FALSE(f.monitor().select().has_value());
}

// A monitor alone on a silent network: counts the probe datagrams it sends up to a time.
struct SilentItsp {
  explicit SilentItsp(ItspMonitorConfig config) {
    if (config.targets.empty()) config.targets = {{"a", {Transport::Udp, kItspA, {}}, true}};
    host.monitor = std::make_unique<ItspMonitor>(std::move(config), host, start);
  }
  int run_until(TimePoint until) {
    int sends = 0;
    TimePoint now = start;
    while (auto d = host.next_deadline()) {
      if (*d > until) break;
      now = std::max(now, *d);
      host.on_deadline(now);
      while (auto e = host.next_effect()) {
        if (auto* s = std::get_if<SendDatagram>(&*e); s && s->bytes.starts_with("OPTIONS")) ++sends;
      }
    }
    return sends;
  }
  const TimePoint start{std::chrono::hours(1)};
  SeededRng rng{5};
  RecordingTraceSink trace;
  MonitorHost host{rng, trace};
};

TEST(ItspMonitorProbe, RetransmitsAtTheFixedIntervalWithinItsTimeout) {
  ItspMonitorConfig config;
  config.probe_timeout = 600ms;
  config.probe_retransmit = 150ms;
  SilentItsp f(config);
  EXPECT_EQ(f.run_until(f.start + 599ms), 4);  // at 0, 150, 300, 450 ms
  EXPECT_EQ(f.host.monitor->health(0).state(), ItspState::Active);
}

TEST(ItspMonitorProbe, AFailedProbeStopsRetransmittingAtItsTimeout) {
  ItspMonitorConfig config;
  config.probe_timeout = 600ms;
  config.probe_retransmit = 150ms;
  config.health.probe_interval = 30s;
  config.health.probe_interval_down = 30s;
  config.health.failures_to_down = 5;
  SilentItsp f(config);
  EXPECT_EQ(f.run_until(f.start + 20s), 4);  // nothing after the 600 ms timeout; next probe at 30 s
  EXPECT_EQ(f.host.monitor->health(0).state(), ItspState::Probing);
}

TEST(ItspMonitorProbe, OptionsTransportOverridesTheTargetsTransport) {
  ItspMonitorConfig config;
  config.probe_transport = Transport::Tcp;
  SilentItsp f(config);
  f.host.on_deadline(f.start);
  bool opened = false;
  while (auto e = f.host.next_effect()) {
    if (auto* o = std::get_if<OpenStream>(&*e); o && o->remote == kItspA) opened = true;
    EXPECT_FALSE(std::holds_alternative<SendDatagram>(*e));
  }
  EXPECT_TRUE(opened);
}

}  // namespace
}  // namespace resproxy::routing
