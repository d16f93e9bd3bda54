#include "model/simulation.h"

#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

namespace resproxy::model {

Simulation::Simulation(std::uint32_t seed, std::uint64_t run) {
  ns3::RngSeedManager::SetSeed(seed);
  ns3::RngSeedManager::SetRun(run);
}

Simulation::~Simulation() { ns3::Simulator::Destroy(); }

Ns3Rng& Simulation::rng(std::int64_t stream) { return rngs_.emplace_back(stream); }

void Simulation::run_until(ns3::Time stop) {
  ns3::Simulator::Stop(stop - ns3::Simulator::Now());
  ns3::Simulator::Run();
}

ns3::Ptr<SipNodeApplication> install_sip_node(ns3::Ptr<ns3::Node> node,
                                              std::unique_ptr<resproxy::Node> core,
                                              ns3::Time start, ns3::Time stop,
                                              std::uint16_t port) {
  auto app = ns3::CreateObject<SipNodeApplication>();
  app->SetPort(port);
  app->SetCoreNode(std::move(core));
  node->AddApplication(app);
  app->SetStartTime(start);
  app->SetStopTime(stop);
  return app;
}

}  // namespace resproxy::model
