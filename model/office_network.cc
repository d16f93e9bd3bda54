#include "model/office_network.h"

#include <ns3/abort.h>
#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/ipv4.h>

namespace resproxy::model {

namespace {

LinkConfig link_config(const LinkParams& params, std::int64_t stream) {
  LinkConfig c;
  c.data_rate = params.rate;
  c.delay = params.delay;
  c.queue = params.queue;
  c.rng_stream = stream;
  return c;
}

std::string network_of(const std::string& host_ip) {
  return host_ip.substr(0, host_ip.rfind('.')) + ".0";
}

}  // namespace

std::string OfficeNetwork::phone_host_ip(std::size_t host) {
  return "10." + std::to_string(100 + host / 250) + "." + std::to_string(host % 250) + ".2";
}

std::string OfficeNetwork::home_nat_ip(std::size_t home) {
  return "203.0.113." + std::to_string(4 * home + 2);
}

std::string OfficeNetwork::home_host_ip(std::size_t home) {
  return "192.168." + std::to_string(home + 1) + ".2";
}

bool OfficeNetwork::is_link_name(std::string_view target) {
  return target == "access" || target == "itsp" || target == "remote" || target == "resproxy" ||
         target == "gateway" || target == "lan" || target == "dns" || target == "home" ||
         target == "home_lan";
}

OfficeNetwork::OfficeNetwork(const OfficeNetworkConfig& config) {
  NS_ABORT_MSG_IF(config.phone_hosts == 0 || config.phone_hosts > kMaxPhoneHosts,
                  "phone hosts out of range: " << config.phone_hosts);
  NS_ABORT_MSG_IF(config.homes.size() > kMaxHomes, "too many homes: " << config.homes.size());
  // Strong end-system model: hosts have one interface, routers forward; ~30 % fewer
  // instructions per packet (ns-3 notes §9).
  ns3::Config::SetDefault("ns3::Ipv4::WeakEsModel", ns3::BooleanValue(false));

  ns3::NodeContainer all;
  office_router_ = ns3::CreateObject<ns3::Node>();
  carrier_ = ns3::CreateObject<ns3::Node>();
  resproxy_ = ns3::CreateObject<ns3::Node>();
  gateway_ = ns3::CreateObject<ns3::Node>();
  itsp_ = ns3::CreateObject<ns3::Node>();
  remote_ = ns3::CreateObject<ns3::Node>();
  hosts_.Create(static_cast<std::uint32_t>(config.phone_hosts));
  for (const auto& n : {office_router_, carrier_, resproxy_, gateway_, itsp_, remote_}) all.Add(n);
  all.Add(hosts_);
  install_internet(all, config.first_internet_stream);

  std::int64_t stream = config.first_link_stream;
  const auto next_stream = [&stream] {
    const std::int64_t s = stream;
    stream += 2;
    return s;
  };
  access_ = std::make_unique<LossyLink>(office_router_, carrier_,
                                        link_config(config.access, next_stream()), "10.0.3.0");
  resproxy_link_ = std::make_unique<LossyLink>(office_router_, resproxy_,
                                               link_config(config.lan, next_stream()),
                                               network_of(resproxy_ip()));
  gateway_link_ = std::make_unique<LossyLink>(office_router_, gateway_,
                                              link_config(config.lan, next_stream()),
                                              network_of(gateway_ip()));
  itsp_link_ = std::make_unique<LossyLink>(carrier_, itsp_, link_config(config.core, next_stream()),
                                           network_of(itsp_ip()));
  remote_link_ = std::make_unique<LossyLink>(carrier_, remote_,
                                             link_config(config.core, next_stream()),
                                             network_of(remote_ip()));
  for (std::size_t h = 0; h < config.phone_hosts; ++h) {
    lan_links_.push_back(std::make_unique<LossyLink>(
        office_router_, hosts_.Get(static_cast<std::uint32_t>(h)),
        link_config(config.lan, next_stream()), network_of(phone_host_ip(h))));
  }
  // The optional parts come last, on streams of their own: without them, every node, device,
  // address and stream above is what it always was.
  if (config.dns_server) {
    dns_ = ns3::CreateObject<ns3::Node>();
    ns3::NodeContainer dns(dns_);
    install_internet(dns, config.first_internet_stream - 1000);
    dns_link_ = std::make_unique<LossyLink>(carrier_, dns_, link_config(config.core, next_stream()),
                                            network_of(dns_ip()));
  }
  if (config.itsp_second_address) {
    auto ipv4 = itsp_->GetObject<ns3::Ipv4>();
    const auto first = ns3::Ipv4Address(itsp_ip().c_str());
    const std::int32_t interface = ipv4->GetInterfaceForAddress(first);
    NS_ABORT_MSG_IF(interface < 0, "the ITSP has no " << itsp_ip());
    ipv4->AddAddress(static_cast<std::uint32_t>(interface),
                     ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(itsp_second_ip().c_str()),
                                               ns3::Ipv4Mask("255.255.255.0")));
  }
  if (!config.homes.empty()) {
    ns3::NodeContainer nodes;
    for (std::size_t k = 0; k < config.homes.size(); ++k) {
      Home& home = homes_.emplace_back();
      auto nat = ns3::CreateObject<ns3::Node>();
      home.host = ns3::CreateObject<ns3::Node>();
      nodes.Add(nat);
      nodes.Add(home.host);
    }
    install_internet(nodes, config.first_internet_stream - 100'000);
    for (std::size_t k = 0; k < config.homes.size(); ++k) {
      Home& home = homes_[k];
      const auto nat = nodes.Get(static_cast<std::uint32_t>(2 * k));
      home.link = std::make_unique<LossyLink>(carrier_, nat, link_config(config.home, next_stream()),
                                              "203.0.113." + std::to_string(4 * k), "255.255.255.252");
      home.lan = std::make_unique<LossyLink>(nat, home.host, link_config(config.home_lan, next_stream()),
                                             network_of(home_host_ip(k)));
      home.nat = install_nat(nat, home.lan->device_a(), home.link->device_b(), home.link->ip_a(), config.homes[k]);
      place_behind_nat(home.host, home.lan->ip_a());
    }
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
}

void OfficeNetwork::move_itsp() {
  auto ipv4 = itsp_->GetObject<ns3::Ipv4>();
  const auto old_address = ns3::Ipv4Address(itsp_ip().c_str());
  const std::int32_t interface = ipv4->GetInterfaceForAddress(old_address);
  NS_ABORT_MSG_IF(interface < 0 || ipv4->GetInterfaceForAddress(ns3::Ipv4Address(itsp_second_ip().c_str())) < 0,
                  "move_itsp needs the ITSP's second address");
  // A host: what still comes for the old address is dropped, not sent back to the carrier.
  ipv4->SetAttribute("IpForward", ns3::BooleanValue(false));
  ipv4->RemoveAddress(static_cast<std::uint32_t>(interface), old_address);
}

std::vector<LossyLink*> OfficeNetwork::links(std::string_view target) const {
  if (target == "access") return {access_.get()};
  if (target == "itsp") return {itsp_link_.get()};
  if (target == "remote") return {remote_link_.get()};
  if (target == "resproxy") return {resproxy_link_.get()};
  if (target == "gateway") return {gateway_link_.get()};
  if (target == "dns") return dns_link_ ? std::vector<LossyLink*>{dns_link_.get()} : std::vector<LossyLink*>{};
  if (target == "lan") {
    std::vector<LossyLink*> out;
    for (const auto& l : lan_links_) out.push_back(l.get());
    return out;
  }
  if (target == "home" || target == "home_lan") {
    std::vector<LossyLink*> out;
    for (const auto& h : homes_) out.push_back(target == "home" ? h.link.get() : h.lan.get());
    return out;
  }
  return {};
}

std::uint64_t OfficeNetwork::dropped(std::string_view target) const {
  std::uint64_t n = 0;
  for (const LossyLink* l : links(target)) n += l->dropped();
  return n;
}

}  // namespace resproxy::model
