// ITSP host names looked up again while the proxy runs (proxy_node_dns.cpp): the ResolveName
// effect goes out every dns_refresh (or at the answer's TTL), a changed address moves the ITSP
// proxy there, a failed look-up keeps the address, and a runtime without DNS is asked once.
#include <gtest/gtest.h>

#include <set>

#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Address kItspOld{"198.51.100.10", 5060};
const Address kItspNew{"198.51.100.20", 5060};

ProxyConfig names_config(std::size_t targets = 1) {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = ProxyMode::ForwardItsp;
  for (std::size_t i = 0; i < targets; ++i) {
    ItspTarget t;
    t.name = "itsp.example";
    t.host = "itsp.example";  // DNS gave its address at start-up
    t.destination = transport::Destination{Transport::Udp, i == 0 ? kItspOld : kItspNew, StreamId{}};
    c.itsp.monitor.targets.push_back(t);
  }
  c.itsp.monitor.dns_refresh = std::chrono::minutes(5);
  c.start = TimePoint{std::chrono::hours(1)};  // the fixture's clock at start
  return c;
}

struct NamesFixture : ProxyFixture {
  explicit NamesFixture(ProxyConfig c = names_config()) : ProxyFixture(std::move(c)) {}

  // The look-ups asked for since the last call (other effects are dropped).
  std::vector<ResolveName> lookups() {
    std::vector<ResolveName> found;
    for (auto& e : out) {
      if (auto* r = std::get_if<ResolveName>(&e)) found.push_back(*r);
    }
    out.clear();
    return found;
  }
  // Time passes with the ITSP answering its probes wherever they go; returns where they went.
  std::set<std::string> pass(Duration d) {
    std::set<std::string> probed;
    for (Duration done{}; done < d; done += 1s) {
      advance(1s);
      std::vector<Effect> keep;
      for (auto& e : out) {
        if (auto* sent = std::get_if<SendDatagram>(&e); sent && sent->bytes.starts_with("OPTIONS")) {
          probed.insert(sent->remote.to_string());
          keep_probe.push_back(*sent);
        } else {
          keep.push_back(std::move(e));
        }
      }
      out = std::move(keep);
      for (const auto& probe : keep_probe) {
        on_probe_answer(probe);
      }
      keep_probe.clear();
    }
    return probed;
  }
  void on_probe_answer(const SendDatagram& probe) {
    const Phone itsp{"itsp", probe.remote};
    receive(itsp, sip::make_response(parse(probe.bytes), 200, "OK", "itsp"));
  }
  void answer(const ResolveName& lookup, std::vector<std::string> addresses, Duration ttl = {}) {
    node.on_completion(now, NameResolved{.id = lookup.id, .addresses = std::move(addresses), .ttl = ttl});
    drain();
  }
  void fail(const ResolveName& lookup, NameError error) {
    node.on_completion(now, NameResolved{.id = lookup.id, .error = error});
    drain();
  }
  std::vector<SendDatagram> keep_probe;
};

TEST(ItspNames, AChangedAddressMovesTheItspProxyAndItsProbes) {
  NamesFixture f;
  EXPECT_TRUE(f.pass(4min).contains(kItspOld.to_string()));
  auto asked = f.lookups();
  EXPECT_TRUE(asked.empty());  // not before dns_refresh
  f.pass(61s);
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].name, "itsp.example");
  f.answer(asked[0], {"198.51.100.20"});
  ASSERT_NE(f.trace.find("itsp.readdressed"), nullptr);
  EXPECT_EQ(f.trace.find("itsp.readdressed")->field("from"), "198.51.100.10:5060");
  EXPECT_EQ(f.trace.find("itsp.readdressed")->field("to"), "198.51.100.20:5060");
  const auto probed = f.pass(60s);
  EXPECT_TRUE(probed.contains(kItspNew.to_string()));
  EXPECT_FALSE(probed.contains(kItspOld.to_string()));
  EXPECT_FALSE(f.node.in_failure_operation());
  // A REGISTER now goes to the new address.
  f.receive(alice(), f.register_request(alice()));
  bool to_new = false;
  for (const auto& s : f.take_sent()) to_new |= s.bytes.starts_with("REGISTER") && s.to == kItspNew;
  EXPECT_TRUE(to_new);
  // The next look-up dns_refresh (5 min) after the answer (at 5:01): at 10:01.
  f.lookups();
  f.pass(3min + 50s);  // 9:51
  EXPECT_TRUE(f.lookups().empty());
  f.pass(20s);
  EXPECT_EQ(f.lookups().size(), 1u);
}

TEST(ItspNames, TheSameAddressChangesNothingAndTheTtlSetsTheNextLookUp) {
  NamesFixture f;
  f.pass(5min + 1s);
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], {"198.51.100.99", "198.51.100.10"}, 45s);
  EXPECT_EQ(f.trace.find("itsp.readdressed"), nullptr);
  f.pass(44s);
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s);
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  // A TTL below the floor (30 s) is raised to it: a zero-TTL name is not looked up in a loop.
  f.answer(asked[0], {"198.51.100.10"}, 1s);
  f.pass(29s);
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s);
  EXPECT_EQ(f.lookups().size(), 1u);
}

TEST(ItspNames, AFailedLookUpKeepsTheAddressAndIsTriedAgainSoon) {
  NamesFixture f;
  f.pass(5min + 1s);
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.fail(asked[0], NameError::Timeout);  // the DNS server is behind the failed link
  ASSERT_NE(f.trace.find("itsp.name_lookup_failed"), nullptr);
  EXPECT_EQ(f.trace.find("itsp.name_lookup_failed")->field("error"), "timeout");
  EXPECT_EQ(f.trace.find("itsp.name_lookup_failed")->field("kept"), "198.51.100.10");
  EXPECT_TRUE(f.pass(29s).contains(kItspOld.to_string()));
  EXPECT_TRUE(f.lookups().empty());
  f.pass(2s);
  asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.answer(asked[0], {});  // an empty answer is a failure too, never "no address"
  EXPECT_TRUE(f.pass(31s).contains(kItspOld.to_string()));
}

TEST(ItspNames, ARuntimeWithoutDnsIsAskedOnceAndTheStartUpAddressStays) {
  NamesFixture f;
  f.pass(5min + 1s);
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 1u);
  f.fail(asked[0], NameError::Unsupported);
  EXPECT_TRUE(f.trace.contains("itsp.name_lookup_unsupported"));
  f.pass(20min);
  EXPECT_TRUE(f.lookups().empty());
}

TEST(ItspNames, AddressesAndZeroRefreshAreNeverLookedUp) {
  ProxyConfig by_address = names_config();
  by_address.itsp.monitor.targets[0].host.clear();
  NamesFixture a(by_address);
  a.pass(11min);
  EXPECT_TRUE(a.lookups().empty());
  ProxyConfig off = names_config();
  off.itsp.monitor.dns_refresh = Duration::zero();
  NamesFixture b(off);
  b.pass(11min);
  EXPECT_TRUE(b.lookups().empty());
}

TEST(ItspNames, ANameWithSeveralProxiesNeverPutsTwoOnOneAddress) {
  NamesFixture f(names_config(2));  // itsp.example gave .10 and .20
  f.pass(5min + 1s);
  auto asked = f.lookups();
  ASSERT_EQ(asked.size(), 2u);
  // .10 is gone: its proxy moves to the first address no other proxy has (.30, not .20).
  f.answer(asked[0], {"198.51.100.20", "198.51.100.30"});
  ASSERT_NE(f.trace.find("itsp.readdressed"), nullptr);
  EXPECT_EQ(f.trace.find("itsp.readdressed")->field("to"), "198.51.100.30:5060");
  f.answer(asked[1], {"198.51.100.20", "198.51.100.30"});  // .20 unchanged
  const auto probed = f.pass(60s);
  EXPECT_TRUE(probed.contains("198.51.100.20:5060"));
  EXPECT_TRUE(probed.contains("198.51.100.30:5060"));
  EXPECT_FALSE(probed.contains("198.51.100.10:5060"));
}

}  // namespace
}  // namespace resproxy::routing::testing
