// DNS in the ns-3 runtime: a core Node's ResolveName effects become real queries over the
// simulated UDP to a DnsServer node (model/dns_server.h), answered from its zone; the answer
// comes back as a NameResolved completion with the records' TTL. A dead link is a timeout after
// the retries, NXDOMAIN is NotFound, a zone change is seen by the next look-up, and a node with
// no DNS server configured is answered Unsupported.
#include <gtest/gtest.h>

#include <memory>

#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>
#include <ns3/simulator.h>

#include "model/dns_server.h"
#include "model/lossy_link.h"
#include "model/simulation.h"
#include "model/sip_node_application.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

// Asks for the names it is told to at the times it is told to; keeps each answer and when.
class LookupNode final : public TestNodeBase {
 public:
  explicit LookupNode(TraceSink& trace) : TestNodeBase(trace) {}
  void ask(std::uint64_t id, std::string name, RecordKind kind) {
    effects_.emplace_back(ResolveName{id, std::move(name), kind});
  }
  void on_completion(TimePoint now, const Completion& completion) override {
    if (const auto* r = std::get_if<NameResolved>(&completion)) answers_.emplace_back(now, *r);
  }
  const std::vector<std::pair<TimePoint, NameResolved>>& answers() const { return answers_; }

 private:
  std::vector<std::pair<TimePoint, NameResolved>> answers_;
};

DnsRecord record(std::uint16_t type, std::uint32_t ttl, std::string address, DnsSrvData srv = {}) {
  DnsRecord r;
  r.type = type;
  r.ttl = ttl;
  r.address = std::move(address);
  r.srv = std::move(srv);
  return r;
}

struct DnsWorld {
  Simulation sim{1, 1};
  ns3::NodeContainer nodes;  // 0: client, 1: DNS server
  std::unique_ptr<LossyLink> link;
  ns3::Ptr<DnsServer> server;
  ns3::Ptr<SipNodeApplication> app;
  LookupNode* client = nullptr;

  explicit DnsWorld(bool with_dns = true) {
    nodes.Create(2);
    install_internet(nodes, 1000);
    link = std::make_unique<LossyLink>(nodes.Get(0), nodes.Get(1),
                                       LinkConfig{.data_rate = "10Mbps", .delay = ns3::MilliSeconds(10), .rng_stream = 10},
                                       "10.9.0.0");
    ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
    server = ns3::CreateObject<DnsServer>();
    server->GetZone().set("_sip._udp.itsp.example", kDnsTypeSrv,
                          {record(kDnsTypeSrv, 120, "", DnsSrvData{10, 5, 5060, "sip.itsp.example"})});
    server->GetZone().set("sip.itsp.example", kDnsTypeA, {record(kDnsTypeA, 30, "10.0.4.2")});
    nodes.Get(1)->AddApplication(server);
    server->SetStartTime(ns3::Seconds(0));
    auto owned = std::make_unique<LookupNode>(sim.trace().sink_for("client"));
    client = owned.get();
    app = install_sip_node(nodes.Get(0), std::move(owned), ns3::Seconds(0), ns3::Seconds(60));
    if (with_dns) {
      DnsClientConfig c;
      c.server = ns3::InetSocketAddress(*parse_ipv4(link->address_b(53).ip), 53);
      c.lan_hosts = {{"lan.itsp.example", "10.0.4.99"}};
      app->SetDnsClient(c);
    }
  }
  void ask_at(double at_s, std::uint64_t id, std::string name, RecordKind kind = RecordKind::Address) {
    ns3::Simulator::Schedule(ns3::Seconds(at_s), [this, id, name, kind] {
      app->Inject([id, name, kind](resproxy::Node& node, TimePoint) {
        dynamic_cast<LookupNode&>(node).ask(id, name, kind);
      });
    });
  }
  const NameResolved* answer(std::uint64_t id, TimePoint* at = nullptr) const {
    for (const auto& [t, a] : client->answers()) {
      if (a.id != id) continue;
      if (at) *at = t;
      return &a;
    }
    return nullptr;
  }
};

TEST(Ns3Dns, AddressAndSrvLookUpsAreAnsweredOverTheNetworkWithTheirTtl) {
  DnsWorld w;
  w.ask_at(1, 1, "SIP.itsp.example");
  w.ask_at(1, 2, "_sip._udp.itsp.example", RecordKind::Srv);
  w.sim.run_until(ns3::Seconds(10));
  TimePoint at{};
  const NameResolved* a = w.answer(1, &at);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->error, NameError::None);
  EXPECT_EQ(a->addresses, (std::vector<std::string>{"10.0.4.2"}));
  EXPECT_EQ(a->ttl, 30s);
  EXPECT_GE(at, TimePoint{1s + 20ms});  // a round trip over the 10 ms link
  EXPECT_LT(at, TimePoint{1s + 30ms});
  const NameResolved* srv = w.answer(2);
  ASSERT_NE(srv, nullptr);
  EXPECT_EQ(srv->error, NameError::None);
  ASSERT_EQ(srv->services.size(), 1u);
  EXPECT_EQ(srv->services[0], (SrvRecord{10, 5, 5060, "sip.itsp.example"}));
  EXPECT_EQ(srv->ttl, 120s);
  EXPECT_EQ(w.server->GetCounters().queries, 2u);
  EXPECT_EQ(w.server->GetCounters().answered, 2u);
}

TEST(Ns3Dns, UnknownNamesAndMissingTypesAreErrorsAndTheLanHostsTableNeedsNoQuery) {
  DnsWorld w;
  w.ask_at(1, 1, "nowhere.itsp.example");
  w.ask_at(1, 2, "sip.itsp.example", RecordKind::Srv);
  w.ask_at(1, 3, "lan.itsp.example");
  w.sim.run_until(ns3::Seconds(10));
  ASSERT_NE(w.answer(1), nullptr);
  EXPECT_EQ(w.answer(1)->error, NameError::NotFound);
  ASSERT_NE(w.answer(2), nullptr);
  EXPECT_EQ(w.answer(2)->error, NameError::NoRecords);
  ASSERT_NE(w.answer(3), nullptr);
  EXPECT_EQ(w.answer(3)->addresses, (std::vector<std::string>{"10.0.4.99"}));
  EXPECT_EQ(w.server->GetCounters().queries, 2u);  // none for the LAN hosts entry
}

TEST(Ns3Dns, ADeadLinkIsATimeoutAfterTheRetriesAndAZoneChangeIsSeenNext) {
  DnsWorld w;
  w.link->schedule_outage(ns3::Seconds(1), ns3::Seconds(5));
  w.ask_at(2, 1, "sip.itsp.example");
  w.server->ChangeAt(ns3::Seconds(6), [](DnsZone& zone) {
    zone.set("sip.itsp.example", kDnsTypeA, {record(kDnsTypeA, 30, "10.0.4.3")});
  });
  w.ask_at(7, 2, "sip.itsp.example");
  w.sim.run_until(ns3::Seconds(20));
  TimePoint at{};
  const NameResolved* dead = w.answer(1, &at);
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->error, NameError::Timeout);
  EXPECT_EQ(at, TimePoint{5s});  // sent at 2 s, again at 3 s and 4 s, given up at 5 s
  EXPECT_EQ(w.server->GetCounters().queries, 1u);  // only the look-up after the outage arrived
  const NameResolved* moved = w.answer(2);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->addresses, (std::vector<std::string>{"10.0.4.3"}));
}

TEST(Ns3Dns, ANodeWithoutADnsServerIsAnsweredUnsupported) {
  DnsWorld w(/*with_dns=*/false);
  w.ask_at(1, 1, "sip.itsp.example");
  w.sim.run_until(ns3::Seconds(5));
  TimePoint at{};
  ASSERT_NE(w.answer(1, &at), nullptr);
  EXPECT_EQ(w.answer(1)->error, NameError::Unsupported);
  EXPECT_EQ(at, TimePoint{1s});
  EXPECT_EQ(w.server->GetCounters().queries, 0u);
}

}  // namespace
}  // namespace resproxy::model::test_nodes
