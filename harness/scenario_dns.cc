#include "harness/scenario_dns.h"

#include <algorithm>
#include <cmath>

#include <ns3/simulator.h>

namespace resproxy::harness {

namespace {

ns3::Time at(double seconds) { return ns3::MilliSeconds(std::llround(seconds * 1000)); }

// The records of `records`, grouped by (name, type) in the order they first appear.
void apply(model::DnsZone& zone, const std::vector<model::DnsRecord>& records) {
  std::vector<std::pair<std::string, std::uint16_t>> keys;
  for (const auto& r : records) {
    const bool seen = std::any_of(keys.begin(), keys.end(), [&](const auto& k) {
      return k.second == r.type && model::same_dns_name(k.first, r.name);
    });
    if (!seen) keys.emplace_back(r.name, r.type);
  }
  for (const auto& [name, type] : keys) {
    std::vector<model::DnsRecord> set;
    for (const auto& r : records) {
      if (r.type == type && model::same_dns_name(r.name, name)) set.push_back(r);
    }
    zone.set(name, type, std::move(set));
  }
}

}  // namespace

ns3::Ptr<model::DnsServer> install_dns_server(const Scenario& s, model::OfficeNetwork& network,
                                              ns3::Time stop) {
  if (!s.dns.enabled) return nullptr;
  auto server = ns3::CreateObject<model::DnsServer>();
  for (const auto& r : s.dns.zone) server->GetZone().add(r);
  for (const auto& change : s.dns.changes) {
    server->ChangeAt(at(change.at_s), [change](model::DnsZone& zone) {
      for (const auto& [name, type] : change.removed) zone.set(name, type, {});
      apply(zone, change.records);
    });
  }
  network.dns_node()->AddApplication(server);
  server->SetStartTime(ns3::Seconds(0));
  server->SetStopTime(stop);
  return server;
}

std::optional<model::DnsClientConfig> resproxy_dns_client(const Scenario& s) {
  const auto& servers = s.resproxy.dns_servers;
  if (servers.empty() && !s.dns.enabled) return std::nullopt;
  const Address server = servers.empty() ? Address{model::OfficeNetwork::dns_ip(), 53} : servers.front();
  const auto ip = model::parse_ipv4(server.ip);
  if (!ip) return std::nullopt;  // an IPv6 DNS server: the simulated network has no IPv6
  model::DnsClientConfig c;
  c.server = ns3::InetSocketAddress(*ip, server.port);
  // dns_timeout is the most one look-up may take: three attempts, as c-ares natively.
  c.timeout = std::max(ns3::MilliSeconds(100), model::to_ns3(s.resproxy.dns_timeout) / 3);
  c.retries = 2;
  c.ipv6 = false;  // the simulated office has IPv4 only: AAAA answers would be of no use
  for (const auto& h : s.resproxy.lan_hosts) c.lan_hosts.emplace_back(h.name, h.address);
  return c;
}

void schedule_itsp_move(const Scenario& s, model::OfficeNetwork& network,
                        ns3::Ptr<model::SipNodeApplication> itsp_app, routing::ProxyNode& itsp) {
  if (!s.itsp_moves_at_s) return;
  ns3::Simulator::Schedule(at(*s.itsp_moves_at_s), [&network, itsp_app, &itsp] {
    const Address moved{model::OfficeNetwork::itsp_second_ip(), itsp.config().local.port};
    itsp_app->Inject([&itsp, moved](resproxy::Node&, TimePoint) { itsp.set_local_address(moved); });
    network.move_itsp();
  });
}

}  // namespace resproxy::harness
