// ITSP names the core resolves itself (proxy_node_dns.cpp): a name the runtime did not resolve
// at start-up counts as down and is not probed until its look-up answers; with mode = dnssrv
// the core asks for the SRV records, then their targets' addresses, and replaces the set of ITSP
// proxies at each refresh, proxies that stay keeping their health.
#include <gtest/gtest.h>

#include <set>

#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

ProxyConfig by_name(ItspSelection selection, std::string name = "itsp.example") {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = ProxyMode::ForwardItsp;
  ItspTarget t;
  t.name = name;
  t.destination = transport::Destination{Transport::Udp, Address{name, 5060}, StreamId{}};
  c.itsp.monitor.targets.push_back(t);
  c.itsp.monitor.selection = selection;
  c.itsp.monitor.health.probe_interval = 30s;
  c.itsp.monitor.health.probe_interval_down = 5s;
  c.itsp.monitor.probe_timeout = 1s;
  c.start = TimePoint{std::chrono::hours(1)};  // the fixture's clock at start
  return c;
}

struct SrvFixture : ProxyFixture {
  explicit SrvFixture(ProxyConfig c) : ProxyFixture(std::move(c)) {}

  std::vector<ResolveName> lookups() {
    std::vector<ResolveName> found;
    std::vector<Effect> keep;
    for (auto& e : out) {
      if (auto* r = std::get_if<ResolveName>(&e)) {
        found.push_back(*r);
      } else {
        keep.push_back(std::move(e));
      }
    }
    out = std::move(keep);
    return found;
  }
  // Time passes; the ITSP answers probes at the addresses in `alive`. Returns where probes went.
  std::set<std::string> pass(Duration d, const std::set<std::string>& alive) {
    std::set<std::string> probed;
    for (Duration done{}; done < d; done += 1s) {
      advance(1s);
      std::vector<SendDatagram> probes;
      std::vector<Effect> keep;
      for (auto& e : out) {
        if (auto* sent = std::get_if<SendDatagram>(&e); sent && sent->bytes.starts_with("OPTIONS")) {
          probed.insert(sent->remote.to_string());
          probes.push_back(*sent);
        } else {
          keep.push_back(std::move(e));
        }
      }
      out = std::move(keep);
      for (const auto& probe : probes) {
        if (!alive.contains(probe.remote.to_string())) continue;
        receive(Phone{"itsp", probe.remote}, sip::make_response(parse(probe.bytes), 200, "OK", "itsp"));
      }
    }
    return probed;
  }
  void answer(const ResolveName& lookup, NameResolved a) {
    a.id = lookup.id;
    node.on_completion(now, a);
    drain();
  }
  std::string itsp_state(std::size_t index) {
    auto status = command_as<admin::ItspStatus>(admin::ShowItsp{});
    return index < status.proxies.size() ? status.proxies[index].state + " " + status.proxies[index].address : "";
  }
};

// The last event of that name.
const TraceEvent* last(const RecordingTraceSink& trace, std::string_view name) {
  for (auto it = trace.events.rbegin(); it != trace.events.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

NameResolved addresses(std::vector<std::string> ips, Duration ttl = {}) {
  return NameResolved{.addresses = std::move(ips), .ttl = ttl};
}
NameResolved records(std::vector<SrvRecord> srv, Duration ttl = {}) {
  return NameResolved{.ttl = ttl, .services = std::move(srv)};
}
NameResolved error(NameError e) { return NameResolved{.error = e}; }

TEST(ItspResolution, ANameNotResolvedAtStartUpIsDownAndUnprobedUntilItsLookUpAnswers) {
  SrvFixture f(by_name(ItspSelection::Normal));
  auto asked = f.lookups();  // at once, at start-up
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].name, "itsp.example");
  EXPECT_EQ(asked[0].kind, RecordKind::Address);
  EXPECT_TRUE(f.node.in_failure_operation());
  EXPECT_TRUE(f.pass(10s, {}).empty());  // nothing to probe
  f.answer(asked[0], error(NameError::Timeout));
  EXPECT_EQ(f.trace.find("itsp.name_lookup_failed")->field("kept"), "");
  EXPECT_TRUE(f.node.in_failure_operation());
  f.pass(29s, {});
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s, {});
  asked = f.lookups();  // dns_retry (30 s) later
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], addresses({"198.51.100.10"}, 60s));
  ASSERT_NE(f.trace.find("itsp.name_resolved"), nullptr);
  EXPECT_EQ(f.trace.find("itsp.name_resolved")->field("to"), "198.51.100.10:5060");
  EXPECT_FALSE(f.node.in_failure_operation());  // usable at once, as at start-up
  EXPECT_TRUE(f.pass(2s, {"198.51.100.10:5060"}).contains("198.51.100.10:5060"));
  f.receive(alice(), f.register_request(alice()));
  bool forwarded = false;
  for (const auto& s : f.take_sent()) forwarded |= s.bytes.starts_with("REGISTER") && s.to == kTestItspAddress;
  EXPECT_TRUE(forwarded);
  // Looked up again at the TTL.
  f.pass(57s, {"198.51.100.10:5060"});
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s, {"198.51.100.10:5060"});
  EXPECT_EQ(f.lookups().size(), 1u);
}

TEST(ItspResolution, ARuntimeWithoutDnsLeavesAnUnresolvedNameDownAndIsAskedOnce) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], error(NameError::Unsupported));
  EXPECT_TRUE(f.trace.contains("itsp.name_lookup_unsupported"));
  f.pass(5min, {});
  EXPECT_TRUE(f.lookups().empty());
  EXPECT_TRUE(f.node.in_failure_operation());
}

TEST(ItspResolution, DnsSrvAsksForTheRecordsThenTheTargetsAndUsesThemInSrvOrder) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].name, "_sip._udp.itsp.example");
  EXPECT_EQ(asked[0].kind, RecordKind::Srv);
  f.answer(asked[0], records({{20, 0, 5070, "backup.itsp.example"}, {10, 0, 5080, "main.itsp.example"}}, 120s));
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].name, "main.itsp.example");  // priority 10 first
  EXPECT_EQ(asked[1].name, "backup.itsp.example");
  EXPECT_TRUE(f.node.in_failure_operation());  // nothing until both answered
  f.answer(asked[1], addresses({"198.51.100.20"}, 60s));
  EXPECT_TRUE(f.node.in_failure_operation());
  f.answer(asked[0], addresses({"198.51.100.10"}, 90s));
  EXPECT_FALSE(f.node.in_failure_operation());
  EXPECT_EQ(f.itsp_state(0), "Active 198.51.100.10:5080");
  EXPECT_EQ(f.itsp_state(1), "Active 198.51.100.20:5070");
  // Calls and registrations go to the first in SRV order.
  f.pass(1s, {"198.51.100.10:5080", "198.51.100.20:5070"});
  f.receive(alice(), f.register_request(alice()));
  bool to_main = false;
  for (const auto& s : f.take_sent()) {
    to_main |= s.bytes.starts_with("REGISTER") && s.to == Address{"198.51.100.10", 5080};
  }
  EXPECT_TRUE(to_main);
  // The next look-up at the smallest TTL of the answers (60 s).
  f.pass(57s, {"198.51.100.10:5080", "198.51.100.20:5070"});
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s, {"198.51.100.10:5080", "198.51.100.20:5070"});
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].kind, RecordKind::Srv);
}

TEST(ItspResolution, ARefreshReplacesTheSetAndProxiesThatStayKeepTheirHealth) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  f.answer(f.lookups()[0], records({{10, 0, 5060, "a.itsp.example"}, {20, 0, 5060, "b.itsp.example"}}, 60s));
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 2u);
  f.answer(asked[0], addresses({"198.51.100.1"}, 60s));
  f.answer(asked[1], addresses({"198.51.100.2"}, 60s));
  // b does not answer its probes: Inactive.
  f.pass(61s, {"198.51.100.1:5060"});
  EXPECT_EQ(f.itsp_state(1), "Inactive 198.51.100.2:5060");
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  // a moves to .3; b stays where it was (and stays Inactive: its health is kept).
  f.answer(asked[0], records({{10, 0, 5060, "a.itsp.example"}, {20, 0, 5060, "b.itsp.example"}}, 60s));
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 2u);
  f.answer(asked[0], addresses({"198.51.100.3"}, 60s));
  f.answer(asked[1], addresses({"198.51.100.2"}, 60s));
  ASSERT_NE(f.trace.find("itsp.proxy_removed"), nullptr);
  EXPECT_EQ(f.trace.find("itsp.proxy_removed")->field("address"), "198.51.100.1:5060");
  ASSERT_NE(last(f.trace, "itsp.proxy_added"), nullptr);
  EXPECT_EQ(last(f.trace, "itsp.proxy_added")->field("address"), "198.51.100.3:5060");
  const auto probed = f.pass(20s, {"198.51.100.3:5060"});
  EXPECT_TRUE(probed.contains("198.51.100.3:5060"));
  EXPECT_FALSE(probed.contains("198.51.100.1:5060"));  // the one that left is never probed again
  EXPECT_EQ(f.itsp_state(0), "Active 198.51.100.3:5060");  // its slot, reused
  EXPECT_EQ(f.itsp_state(1), "Inactive 198.51.100.2:5060");
  EXPECT_FALSE(f.node.in_failure_operation());
}

TEST(ItspResolution, AFailedRefreshKeepsTheSetAndAFailedTargetKeepsItsAddress) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  f.answer(f.lookups()[0], records({{10, 0, 5060, "a.itsp.example"}, {20, 0, 5060, "b.itsp.example"}}, 60s));
  auto asked = f.lookups();
  f.answer(asked[0], addresses({"198.51.100.1"}, 60s));
  f.answer(asked[1], addresses({"198.51.100.2"}, 60s));
  f.pass(61s, {"198.51.100.1:5060", "198.51.100.2:5060"});
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], error(NameError::Timeout));  // the access link is down
  EXPECT_EQ(f.trace.find("itsp.name_lookup_failed")->field("kept"), "198.51.100.1:5060 198.51.100.2:5060");
  f.pass(29s, {"198.51.100.1:5060", "198.51.100.2:5060"});
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s, {"198.51.100.1:5060", "198.51.100.2:5060"});
  asked = f.lookups();  // dns_retry later
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], records({{10, 0, 5060, "a.itsp.example"}, {20, 0, 5060, "b.itsp.example"}}, 60s));
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 2u);
  f.answer(asked[0], error(NameError::ServerFailure));
  f.answer(asked[1], addresses({"198.51.100.2"}, 60s));
  EXPECT_EQ(f.trace.find("itsp.proxy_removed"), nullptr);  // a keeps the address it had
  EXPECT_EQ(f.itsp_state(0), "Active 198.51.100.1:5060");
}

TEST(ItspResolution, NoSrvRecordsFallBackToTheNamesAddressesWithTheConfiguredPort) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  f.answer(f.lookups()[0], error(NameError::NotFound));
  ASSERT_NE(f.trace.find("itsp.srv_fallback"), nullptr);
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].name, "itsp.example");
  EXPECT_EQ(asked[0].kind, RecordKind::Address);
  f.answer(asked[0], addresses({"198.51.100.10"}));
  EXPECT_EQ(f.itsp_state(0), "Active 198.51.100.10:5060");
  // Without a TTL: again after dns_refresh (5 min), SRV first.
  f.pass(5min - 2s, {"198.51.100.10:5060"});
  EXPECT_TRUE(f.lookups().empty());
  f.pass(3s, {"198.51.100.10:5060"});
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].kind, RecordKind::Srv);
}

TEST(ItspResolution, AnSrvSetOfDotsSaysNoServiceAndChangesNothing) {
  SrvFixture f(by_name(ItspSelection::DnsSrv));
  f.answer(f.lookups()[0], records({{0, 0, 0, "."}}));
  EXPECT_EQ(f.trace.find("itsp.name_lookup_failed")->field("error"), "no_service");
  EXPECT_TRUE(f.lookups().empty());
  EXPECT_TRUE(f.node.in_failure_operation());
}

// An ITSP's OPTIONS to the NAT's outside address is for us: answered here, not forwarded there
// (which would be ourselves again: a loop). The ITSP model of the DNS scenario relies on it to
// answer at its second address before it moves there.
TEST(NatOutsideAddress, AnOptionsToTheOutsideAddressIsAnsweredHere) {
  ProxyConfig c = ProxyFixture::default_config();
  c.itsp.nat_outside_address = "203.0.113.5";
  ProxyFixture f(c);
  const Phone itsp{"itsp", {"198.51.100.10", 5060}};
  f.receive(itsp, sip::make_request("OPTIONS", "sip:203.0.113.5:5060",
                                    {{"Via", itsp.via("z9hG4bKopt1")},
                                     {"Max-Forwards", "70"},
                                     {"From", "<sip:itsp@198.51.100.10>;tag=o1"},
                                     {"To", "<sip:203.0.113.5:5060>"},
                                     {"Call-ID", "opt-1"},
                                     {"CSeq", "1 OPTIONS"}}));
  const auto answer = f.expect_one("SIP/2.0 ");
  EXPECT_TRUE(answer.bytes.starts_with("SIP/2.0 200")) << answer.bytes;
  EXPECT_EQ(answer.to, itsp.address);
}

}  // namespace
}  // namespace resproxy::routing::testing
