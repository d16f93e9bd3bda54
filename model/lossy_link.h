#pragma once
// Topology helpers with a deterministic fault model.
//
// LossyErrorModel: an ns3::ErrorModel (installed as ReceiveErrorModel) that drops each packet
// with probability `Loss`, drawn from its own explicitly numbered RNG stream, and drops every
// packet while in outage. Same seed/run + same streams = same drops, whatever else the process
// created before.
//
// LossyLink: connects two ns-3 nodes with a point-to-point link (rate, delay), puts a
// LossyErrorModel on the receive side of both devices, and assigns a /mask subnet. Loss and
// outage apply to both directions; each direction has its own RNG stream.
//
// Typical use (see tests/integration/ns3/):
//   ns3::NodeContainer nodes; nodes.Create(2);
//   install_internet(nodes, /*first_stream=*/1000);
//   LossyLink link(nodes.Get(0), nodes.Get(1),
//                  {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(10), .loss = 0.05,
//                   .rng_stream = 100}, "10.1.1.0");
//   link.schedule_outage(ns3::Seconds(10), ns3::Seconds(20));
//   ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
#include <cstdint>
#include <string>

#include <ns3/error-model.h>
#include <ns3/ipv4-address.h>
#include <ns3/node-container.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/ptr.h>
#include <ns3/random-variable-stream.h>

#include "proxy/base/net.h"

namespace resproxy::model {

class LossyErrorModel : public ns3::ErrorModel {
 public:
  static ns3::TypeId GetTypeId();
  LossyErrorModel();
  ~LossyErrorModel() override;

  // Per-packet drop probability in [0, 1]. Drawing needs a stream: AssignStream first (a
  // loss > 0 without a stream aborts at the first packet).
  void SetLoss(double probability);
  double GetLoss() const { return m_loss; }
  // Binds the model's RNG to `stream` (call after RngSeedManager::SetSeed/SetRun).
  void AssignStream(std::int64_t stream);

  // Outage: drop everything until switched back. Independent of Enable()/Disable(), which turn
  // the whole model (loss and outage) on and off.
  void SetOutage(bool outage) { m_outage = outage; }
  bool IsInOutage() const { return m_outage; }

  std::uint64_t GetDropped() const { return m_dropped; }
  std::uint64_t GetDroppedInOutage() const { return m_droppedInOutage; }
  std::uint64_t GetPassed() const { return m_passed; }

 private:
  // ns3::ErrorModel. ErrorModel::IsCorrupt does not check IsEnabled(): DoCorrupt must.
  bool DoCorrupt(ns3::Ptr<ns3::Packet> packet) override;
  void DoReset() override;

  double m_loss = 0.0;
  bool m_outage = false;
  ns3::Ptr<ns3::UniformRandomVariable> m_random;  // created by AssignStream only
  std::uint64_t m_dropped = 0;
  std::uint64_t m_droppedInOutage = 0;
  std::uint64_t m_passed = 0;
};

// Installs IPv4/IPv6 stacks on `nodes` and gives their random variables (ARP request jitter,
// ...) explicit streams starting at `first_stream`. Returns how many streams were used.
std::int64_t install_internet(const ns3::NodeContainer& nodes, std::int64_t first_stream);

struct LinkConfig {
  std::string data_rate = "100Mbps";
  ns3::Time delay = ns3::MilliSeconds(1);
  double loss = 0.0;              // per packet, per direction
  std::int64_t rng_stream = 0;    // the receive model at a uses rng_stream, at b rng_stream + 1
  std::string queue{};            // device transmit queue size ("100p", "64kB"); empty: ns-3's
};

class LossyLink {
 public:
  // Both nodes must already have the internet stack. `network` is the subnet base
  // ("10.1.1.0"); a gets .1 and b gets .2. Call PopulateRoutingTables after building all links.
  LossyLink(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
            const std::string& network, const std::string& mask = "255.255.255.0");

  [[nodiscard]] ns3::Ipv4Address ip_a() const { return ip_a_; }
  [[nodiscard]] ns3::Ipv4Address ip_b() const { return ip_b_; }
  [[nodiscard]] resproxy::Address address_a(std::uint16_t port) const;
  [[nodiscard]] resproxy::Address address_b(std::uint16_t port) const;
  [[nodiscard]] ns3::Ptr<ns3::PointToPointNetDevice> device_a() const { return device_a_; }
  [[nodiscard]] ns3::Ptr<ns3::PointToPointNetDevice> device_b() const { return device_b_; }
  // The model on a's receive side drops b→a traffic, and vice versa.
  [[nodiscard]] ns3::Ptr<LossyErrorModel> errors_at_a() const { return errors_at_a_; }
  [[nodiscard]] ns3::Ptr<LossyErrorModel> errors_at_b() const { return errors_at_b_; }

  void set_loss(double probability);
  // One direction only: a→b loss is dropped at b's receive side, b→a at a's.
  void set_loss_toward_b(double probability) { errors_at_b_->SetLoss(probability); }
  void set_loss_toward_a(double probability) { errors_at_a_->SetLoss(probability); }
  // The channel's propagation delay, both directions; packets already in flight keep theirs.
  void set_delay(ns3::Time delay);
  [[nodiscard]] ns3::Time base_delay() const { return base_delay_; }
  void set_outage(bool outage);
  // Outage from `from` until `until` (absolute simulation times; schedule before Run()).
  void schedule_outage(ns3::Time from, ns3::Time until);

  // Packets dropped in both directions (loss and outage), including ARP and TCP ACKs.
  [[nodiscard]] std::uint64_t dropped() const;

 private:
  ns3::Ptr<ns3::PointToPointNetDevice> device_a_;
  ns3::Ptr<ns3::PointToPointNetDevice> device_b_;
  ns3::Ptr<LossyErrorModel> errors_at_a_;
  ns3::Ptr<LossyErrorModel> errors_at_b_;
  ns3::Ipv4Address ip_a_;
  ns3::Ipv4Address ip_b_;
  ns3::Time base_delay_;
};

}  // namespace resproxy::model
