#pragma once
// Simulation: one ns-3 run with the lifetimes right. It sets RngSeedManager seed and run (ns-3
// keeps them process-wide, so every run must set them), owns the Ns3Rngs and the TraceCollector
// that core Nodes refer to, and calls Simulator::Destroy() in its destructor BEFORE those are
// destroyed (the applications own the core Nodes, and Destroy disposes them).
//
// At most one Simulation exists at a time (ns-3's simulator is a process-wide singleton).
#include <cstdint>
#include <deque>
#include <memory>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>

#include "model/ns3_rng.h"
#include "model/sip_node_application.h"
#include "model/trace_collector.h"
#include "proxy/base/node.h"

namespace resproxy::model {

class Simulation {
 public:
  Simulation(std::uint32_t seed, std::uint64_t run);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // An Rng on explicit ns-3 stream `stream`, owned by the simulation. One stream per user;
  // keep them apart from the link and internet streams (see lossy_link.h).
  Ns3Rng& rng(std::int64_t stream);
  TraceCollector& trace() { return trace_; }

  // Runs until `stop` (absolute simulation time) or until no events are left.
  void run_until(ns3::Time stop);

 private:
  std::deque<Ns3Rng> rngs_;
  TraceCollector trace_;
};

// Creates a SipNodeApplication on `node` hosting `core`, listening on `port`, running from
// `start` to `stop`.
ns3::Ptr<SipNodeApplication> install_sip_node(ns3::Ptr<ns3::Node> node,
                                              std::unique_ptr<resproxy::Node> core,
                                              ns3::Time start, ns3::Time stop,
                                              std::uint16_t port = 5060);

}  // namespace resproxy::model
