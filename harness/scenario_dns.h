#pragma once
// The DNS side of a scenario run (scenario_runner.cc): the DNS server node with the scenario's
// zone and its timed changes, resproxy's stub resolver (the ns-3 runtime's DNS client, pointed
// at resproxy's dns_servers or, when it names none, at the DNS node — the office's resolver), and
// the ITSP's move to its second address.
#include <optional>

#include <ns3/nstime.h>
#include <ns3/ptr.h>

#include "harness/scenario.h"
#include "model/dns_client.h"
#include "model/dns_server.h"
#include "model/office_network.h"
#include "model/sip_node_application.h"
#include "proxy/routing/proxy_node.h"

namespace resproxy::harness {

// The DNS server of a scenario with a `dns:` block (null without one), running from 0 to `stop`.
ns3::Ptr<model::DnsServer> install_dns_server(const Scenario& scenario, model::OfficeNetwork& network,
                                              ns3::Time stop);

// resproxy's stub resolver, when it has a DNS server to ask: its INI's dns_servers (the first),
// else the scenario's DNS node; nullopt: none (resproxy's look-ups are answered Unsupported).
// The timeout and retries split resproxy's dns_timeout_ms as the native resolver does.
std::optional<model::DnsClientConfig> resproxy_dns_client(const Scenario& scenario);

// At scenario.itsp_moves_at_s: the ITSP core names its second address from then on, and its old
// address leaves its node.
void schedule_itsp_move(const Scenario& scenario, model::OfficeNetwork& network,
                        ns3::Ptr<model::SipNodeApplication> itsp_app, routing::ProxyNode& itsp);

}  // namespace resproxy::harness
