#include "model/lossy_link.h"

#include <ns3/abort.h>
#include <ns3/double.h>
#include <ns3/integer.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-interface-container.h>
#include <ns3/net-device-container.h>
#include <ns3/object-factory.h>
#include <ns3/packet.h>
#include <ns3/pointer.h>
#include <ns3/point-to-point-channel.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/queue-size.h>
#include <ns3/simulator.h>
#include <ns3/string.h>

#include "model/sip_node_application.h"

namespace resproxy::model {

NS_OBJECT_ENSURE_REGISTERED(LossyErrorModel);

// --- LossyErrorModel ---

ns3::TypeId LossyErrorModel::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("resproxy::model::LossyErrorModel")
          .SetParent<ns3::ErrorModel>()
          .SetGroupName("Resproxy")
          .AddConstructor<LossyErrorModel>()
          .AddAttribute("Loss", "Per-packet drop probability.", ns3::DoubleValue(0.0),
                        ns3::MakeDoubleAccessor(&LossyErrorModel::m_loss),
                        ns3::MakeDoubleChecker<double>(0.0, 1.0));
  return tid;
}

LossyErrorModel::LossyErrorModel() = default;
LossyErrorModel::~LossyErrorModel() = default;

void LossyErrorModel::SetLoss(double probability) {
  NS_ABORT_MSG_IF(probability < 0.0 || probability > 1.0, "loss out of [0, 1]: " << probability);
  m_loss = probability;
}

void LossyErrorModel::AssignStream(std::int64_t stream) {
  NS_ABORT_MSG_IF(stream < 0, "LossyErrorModel needs an explicit stream >= 0");
  // As a construction attribute, so no automatic stream index is consumed.
  m_random = ns3::CreateObjectWithAttributes<ns3::UniformRandomVariable>(
      "Stream", ns3::IntegerValue(stream));
}

bool LossyErrorModel::DoCorrupt(ns3::Ptr<ns3::Packet>) {
  if (!IsEnabled()) return false;
  if (m_outage) {
    ++m_dropped;
    ++m_droppedInOutage;
    return true;
  }
  if (m_loss > 0.0) {
    NS_ABORT_MSG_IF(!m_random, "LossyErrorModel with loss > 0 and no AssignStream");
    if (m_random->GetValue() < m_loss) {
      ++m_dropped;
      return true;
    }
  }
  ++m_passed;
  return false;
}

void LossyErrorModel::DoReset() {}

// --- install_internet ---

std::int64_t install_internet(const ns3::NodeContainer& nodes, std::int64_t first_stream) {
  ns3::InternetStackHelper internet;
  internet.Install(nodes);
  return internet.AssignStreams(nodes, first_stream);
}

// --- LossyLink ---

LossyLink::LossyLink(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
                     const std::string& network, const std::string& mask) {
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue(config.data_rate));
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(config.delay));
  if (!config.queue.empty()) {
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
                 ns3::QueueSizeValue(ns3::QueueSize(config.queue)));
  }
  base_delay_ = config.delay;
  ns3::NetDeviceContainer devices = p2p.Install(a, b);
  device_a_ = ns3::DynamicCast<ns3::PointToPointNetDevice>(devices.Get(0));
  device_b_ = ns3::DynamicCast<ns3::PointToPointNetDevice>(devices.Get(1));

  errors_at_a_ = ns3::CreateObject<LossyErrorModel>();
  errors_at_b_ = ns3::CreateObject<LossyErrorModel>();
  errors_at_a_->AssignStream(config.rng_stream);
  errors_at_b_->AssignStream(config.rng_stream + 1);
  set_loss(config.loss);
  device_a_->SetAttribute("ReceiveErrorModel", ns3::PointerValue(errors_at_a_));
  device_b_->SetAttribute("ReceiveErrorModel", ns3::PointerValue(errors_at_b_));

  ns3::Ipv4AddressHelper addresses;
  addresses.SetBase(network.c_str(), mask.c_str());
  ns3::Ipv4InterfaceContainer interfaces = addresses.Assign(devices);
  ip_a_ = interfaces.GetAddress(0);
  ip_b_ = interfaces.GetAddress(1);
}

resproxy::Address LossyLink::address_a(std::uint16_t port) const { return to_resproxy(ip_a_, port); }
resproxy::Address LossyLink::address_b(std::uint16_t port) const { return to_resproxy(ip_b_, port); }

void LossyLink::set_loss(double probability) {
  errors_at_a_->SetLoss(probability);
  errors_at_b_->SetLoss(probability);
}

void LossyLink::set_delay(ns3::Time delay) {
  device_a_->GetChannel()->SetAttribute("Delay", ns3::TimeValue(delay));
}

void LossyLink::set_outage(bool outage) {
  errors_at_a_->SetOutage(outage);
  errors_at_b_->SetOutage(outage);
}

void LossyLink::schedule_outage(ns3::Time from, ns3::Time until) {
  auto a = errors_at_a_;
  auto b = errors_at_b_;
  ns3::Simulator::Schedule(from - ns3::Simulator::Now(), [a, b] {
    a->SetOutage(true);
    b->SetOutage(true);
  });
  ns3::Simulator::Schedule(until - ns3::Simulator::Now(), [a, b] {
    a->SetOutage(false);
    b->SetOutage(false);
  });
}

std::uint64_t LossyLink::dropped() const {
  return errors_at_a_->GetDropped() + errors_at_b_->GetDropped();
}

}  // namespace resproxy::model
