// The one-deadline contract on ns3::Simulator: fire at the exact simulated time, re-arm after
// every input, fire past deadlines at once, and stop with the application.
#include <gtest/gtest.h>

#include <memory>

#include <ns3/node-container.h>
#include <ns3/simulator.h>

#include "model/lossy_link.h"
#include "model/sip_node_application.h"
#include "model/trace_collector.h"
#include "model/simulation.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

TEST(Ns3Deadline, FiresAtExactSimulatedTimesAndReArmsAfterInjectedInputs) {
  Simulation sim(1, 1);
  TraceCollector& trace = sim.trace();
  ns3::NodeContainer nodes;
  nodes.Create(1);
  install_internet(nodes, 1000);

  const resproxy::TimePoint t0{};
  auto owned = std::make_unique<DeadlineNode>(
      std::set<resproxy::TimePoint>{t0 + 250ms,              // before the start: fires at 0.5 s
                                    t0 + 1s, t0 + 1s + 1ns,  // one nanosecond apart
                                    t0 + 3300ms,             // removed by an injected input
                                    t0 + 12s},               // after the stop: never fires
      trace.sink_for("timer"));
  DeadlineNode& node = *owned;
  auto app = install_sip_node(nodes.Get(0), std::move(owned), ns3::Seconds(0.5), ns3::Seconds(10));

  // Scenario scripting: at 2 s add a deadline at 2.5 s and drop the one at 3.3 s.
  ns3::Simulator::Schedule(ns3::Seconds(2), [app, t0] {
    app->Inject([t0](resproxy::Node& core, resproxy::TimePoint now) {
      EXPECT_EQ(now, t0 + 2s);
      auto& timer = dynamic_cast<DeadlineNode&>(core);
      timer.add(t0 + 2500ms);
      timer.remove(t0 + 3300ms);
    });
  });
  sim.run_until(ns3::Seconds(20));

  const std::vector<resproxy::TimePoint> want{t0 + 500ms, t0 + 1s, t0 + 1s + 1ns, t0 + 2500ms};
  EXPECT_EQ(node.fired_at(), want);
  EXPECT_EQ(app->GetCounters().deadlines_fired, 4u);
  EXPECT_EQ(app->GetCounters().inputs_injected, 1u);
  EXPECT_EQ(trace.size(), 4u);
  EXPECT_EQ(trace.lines()[3], R"({"t_ns":2500000000,"node":"timer","ev":"deadline.fired"})");
}

TEST(Ns3Deadline, InjectAfterStopReachesTheCoreButItsEffectsAreDropped) {
  Simulation sim(1, 1);
  TraceCollector& trace = sim.trace();
  ns3::NodeContainer nodes;
  nodes.Create(1);
  install_internet(nodes, 1000);
  auto app = install_sip_node(nodes.Get(0), std::make_unique<EchoNode>(trace.sink_for("echo")),
                          ns3::Seconds(0), ns3::Seconds(1));
  ns3::Simulator::Schedule(ns3::Seconds(2), [app] {
    app->Inject([](resproxy::Node& core, resproxy::TimePoint now) {
      core.on_datagram(now, {resproxy::Transport::Udp, {"127.0.0.1", 5060}, {"127.0.0.1", 7}, {}},
                       "ping 1 x");
    });
  });
  sim.run_until(ns3::Seconds(3));
  EXPECT_FALSE(app->IsRunning());
  EXPECT_EQ(trace.lines_with_event("echo.datagram_received").size(), 1u);
  EXPECT_EQ(app->GetCounters().effects_dropped, 1u);
  EXPECT_EQ(app->GetCounters().datagrams_out, 0u);
}

}  // namespace
}  // namespace resproxy::model::test_nodes
