// The office scenario of issue #3 in ns-3: one resproxy node (the production ProxyNode core in a
// SipNodeApplication, bindings kept in a MemoryStore) and six simulated phones. The phones
// register, call each other through the proxy (INVITE to sip:<user>@office.example, 180, 200,
// ACK, a few seconds of call, BYE), one calls an unregistered user and gets 404, and two runs
// with the same seed give byte-identical traces.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <ns3/csma-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>
#include <ns3/string.h>

#include "model/lossy_link.h"
#include "model/memory_store.h"
#include "model/simulation.h"
#include "model/ua_phone.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/routing/proxy_node.h"

namespace resproxy::model {
namespace {

using namespace std::chrono_literals;

// Explicit ns-3 streams (ns-3 notes §6).
constexpr std::int64_t kProxyRngStream = 1;
constexpr std::int64_t kPhoneRngStream = 10;  // + phone index
constexpr std::int64_t kLinkRngStream = 100;  // star: + 2 * phone index
constexpr std::int64_t kCsmaRngStream = 500;
constexpr std::int64_t kInternetRngStream = 1000;
constexpr int kPhones = 6;
constexpr const char* kRealm = "office.example";

enum class Topology : std::uint8_t {
  Lan,   // proxy and phones on one 100 Mbps CSMA segment
  Star,  // each phone on its own lossy point-to-point link to a router, the proxy on another
};

struct OfficeOptions {
  std::uint32_t seed = 1;
  Transport transport = Transport::Udp;
  Topology topology = Topology::Lan;
  double loss = 0.0;  // Star only: per packet, per direction, on every phone link
};

struct OfficeRun {
  std::vector<std::vector<CallRecord>> calls;  // per phone
  std::vector<bool> registered;
  std::vector<UaCounters> counters;
  Address proxy_address;
  std::size_t bindings = 0;
  routing::ProxyCounters proxy{};
  std::size_t store_size = 0;
  std::uint64_t dropped = 0;
  std::vector<std::string> trace;
  std::string trace_hash;
};

std::string user_of(int i) { return std::to_string(2001 + i); }
std::string aor_of(int i) { return "sip:" + user_of(i) + "@" + kRealm; }

// Phones register at 1 s + 100 ms * i. Round 1 (from 5 s): 2001->2002, 2003->2004, 2005->2006;
// round 2 (from 20 s): 2002->2003, 2004->2005, 2006->2001; at 35 s 2001 calls 2999, who never
// registered. Calls are held 4 s.
OfficeRun run_office(const OfficeOptions& options) {
  OfficeRun out;
  MemoryStore store;  // outlives the simulation (SetStore contract)
  Simulation sim(options.seed, 1);

  ns3::NodeContainer nodes;  // 0: proxy, 1..kPhones: phones, [kPhones + 1: router (Star)]
  nodes.Create(kPhones + (options.topology == Topology::Star ? 2 : 1));
  install_internet(nodes, kInternetRngStream);
  std::vector<Address> addresses;  // 0: proxy, then phones
  std::vector<std::unique_ptr<LossyLink>> links;
  if (options.topology == Topology::Lan) {
    ns3::NodeContainer lan;
    for (int i = 0; i <= kPhones; ++i) lan.Add(nodes.Get(static_cast<std::uint32_t>(i)));
    ns3::CsmaHelper csma;
    csma.SetChannelAttribute("DataRate", ns3::StringValue("100Mbps"));
    csma.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MicroSeconds(50)));
    ns3::NetDeviceContainer devices = csma.Install(lan);
    csma.AssignStreams(devices, kCsmaRngStream);
    ns3::Ipv4AddressHelper ipv4;
    ipv4.SetBase("10.0.0.0", "255.255.255.0");
    const ns3::Ipv4InterfaceContainer interfaces = ipv4.Assign(devices);
    for (std::uint32_t i = 0; i < interfaces.GetN(); ++i) {
      addresses.push_back(to_resproxy(interfaces.GetAddress(i), 5060));
    }
  } else {
    const auto router = nodes.Get(kPhones + 1);
    links.push_back(std::make_unique<LossyLink>(
        router, nodes.Get(0),
        LinkConfig{.data_rate = "100Mbps", .delay = ns3::MilliSeconds(1), .rng_stream = kLinkRngStream},
        "10.0.0.0"));
    addresses.push_back(links.back()->address_b(5060));
    for (int i = 1; i <= kPhones; ++i) {
      links.push_back(std::make_unique<LossyLink>(
          router, nodes.Get(static_cast<std::uint32_t>(i)),
          LinkConfig{.data_rate = "10Mbps",
                     .delay = ns3::MilliSeconds(10),
                     .loss = options.loss,
                     .rng_stream = kLinkRngStream + 2 * i},
          "10.0." + std::to_string(i) + ".0"));
      addresses.push_back(links.back()->address_b(5060));
    }
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  routing::ProxyConfig config;
  out.proxy_address = addresses[0];
  config.realm = kRealm;
  config.local = addresses[0];
  config.trust_defaults = true;  // ns-3's 10.x addresses are private, hence trusted
  auto proxy_owned = std::make_unique<routing::ProxyNode>(
      config, store.load_all(), sim.rng(kProxyRngStream), native::openssl_crypto(),
      sim.trace().sink_for("proxy"));
  routing::ProxyNode& proxy = *proxy_owned;
  const ns3::Time stop = ns3::Seconds(90);
  auto proxy_app = install_sip_node(nodes.Get(0), std::move(proxy_owned), ns3::Seconds(0), stop);
  proxy_app->SetStore(&store);

  std::vector<UaPhone*> phones;
  for (int i = 0; i < kPhones; ++i) {
    auto phone = std::make_unique<UaPhone>(
        UaPhoneConfig{.user = user_of(i),
                      .domain = kRealm,
                      .local = addresses[static_cast<std::size_t>(i) + 1],
                      .outbound_proxy = addresses[0],
                      .transport = options.transport},
        sim.rng(kPhoneRngStream + i), sim.trace().sink_for("phone-" + user_of(i)));
    phone->register_at(TimePoint{1s + i * 100ms});
    phones.push_back(phone.get());
    install_sip_node(nodes.Get(static_cast<std::uint32_t>(i) + 1), std::move(phone),
                     ns3::Seconds(0), stop);
  }
  for (int pair = 0; pair < kPhones / 2; ++pair) {
    const int a = 2 * pair;
    const int b = 2 * pair + 1;
    const int c = (b + 1) % kPhones;
    phones[static_cast<std::size_t>(a)]->schedule_call(
        {.at = TimePoint{5s + pair * 500ms}, .target = aor_of(b), .hold = 4s});
    phones[static_cast<std::size_t>(b)]->schedule_call(
        {.at = TimePoint{20s + pair * 500ms}, .target = aor_of(c), .hold = 4s});
  }
  phones[0]->schedule_call(
      {.at = TimePoint{35s}, .target = std::string("sip:2999@") + kRealm, .hold = 4s});

  sim.run_until(stop);

  for (const UaPhone* phone : phones) {
    out.calls.push_back(phone->calls());
    out.registered.push_back(phone->is_registered());
    out.counters.push_back(phone->counters());
  }
  out.bindings = proxy.binding_count();
  out.proxy = proxy.counters();
  out.store_size = store.size();
  for (const auto& link : links) out.dropped += link->dropped();
  out.trace = sim.trace().lines();
  out.trace_hash = sim.trace().hash_hex();
  return out;
}

std::string describe(const CallRecord& c) {
  std::string s = c.call_id + " " + c.caller + " -> " + c.callee + " " +
                  std::string(to_string(c.role)) + " " + std::string(to_string(c.state)) +
                  " final=" + std::to_string(c.final_status) +
                  " bye=" + std::to_string(c.bye_status) + " failure=" + c.failure;
  s += c.ringing_at ? " 180" : " -";
  s += c.answered_at ? " 200" : " -";
  s += c.ack_at ? " ACK" : " -";
  s += c.bye_at ? " BYE" : " -";
  s += c.bye_ok_at ? " BYE200" : " -";
  return s;
}

// Every event line that mentions `call_id` (the excerpt to show when a call did not complete).
std::string excerpt(const OfficeRun& run, const std::string& call_id) {
  std::string out;
  for (const auto& line : run.trace) {
    if (line.find(call_id) != std::string::npos) out += line + "\n";
  }
  return out;
}

// The office's expectations, shared by every variant.
void expect_office_works(const OfficeRun& run, bool expect_ringing_everywhere) {
  ASSERT_EQ(run.calls.size(), static_cast<std::size_t>(kPhones));
  for (int i = 0; i < kPhones; ++i) {
    EXPECT_TRUE(run.registered[static_cast<std::size_t>(i)]) << user_of(i);
  }
  EXPECT_EQ(run.bindings, static_cast<std::size_t>(kPhones));
  EXPECT_GE(run.proxy.registers, static_cast<std::uint64_t>(kPhones));
  EXPECT_GE(run.store_size, 1u);  // the bindings reached the durable store

  int completed_as_caller = 0;
  int completed_as_callee = 0;
  for (int i = 0; i < kPhones; ++i) {
    for (const CallRecord& c : run.calls[static_cast<std::size_t>(i)]) {
      if (c.callee == std::string("sip:2999@") + kRealm) continue;
      const bool done = expect_ringing_everywhere
                            ? c.is_completed()
                            : c.final_status == 200 && c.answered_at && c.ack_at && c.bye_at &&
                                  c.bye_ok_at && c.failure.empty();
      EXPECT_TRUE(done) << user_of(i) << ": " << describe(c) << "\n" << excerpt(run, c.call_id);
      if (!done) continue;
      (c.role == CallRole::Caller ? completed_as_caller : completed_as_callee) += 1;
      // The proxy Record-Routed: ACK and BYE went through it, not straight to the phone.
      ASSERT_EQ(c.route_set.size(), 1u) << describe(c);
      EXPECT_NE(c.route_set[0].find(run.proxy_address.to_string()), std::string::npos)
          << c.route_set[0];
      EXPECT_NE(c.route_set[0].find(";lr"), std::string::npos) << c.route_set[0];
    }
  }
  EXPECT_EQ(completed_as_caller, kPhones);
  EXPECT_EQ(completed_as_callee, kPhones);

  // 2001's third call went to 2999, who never registered: 404 from the proxy.
  const auto& first = run.calls[0];
  ASSERT_EQ(first.size(), 3u);
  const CallRecord& unknown = first.back();
  EXPECT_EQ(unknown.callee, "sip:2999@office.example");
  EXPECT_EQ(unknown.final_status, 404) << describe(unknown) << "\n" << excerpt(run, unknown.call_id);
  EXPECT_EQ(unknown.failure, "404");
  EXPECT_GE(run.proxy.not_found, 1u);
}

TEST(ProxyScenario, OfficeOnALanRegistersAndCallsThroughTheProxy) {
  const OfficeRun run = run_office({.seed = 1});
  expect_office_works(run, /*expect_ringing_everywhere=*/true);
  // Calls go through the proxy: every dialog's ACK and BYE followed the Record-Route.
  std::size_t forwarded = 0;
  for (const auto& line : run.trace) {
    forwarded += line.find("\"ev\":\"route.forwarded\"") != std::string::npos ? 1 : 0;
  }
  EXPECT_GE(forwarded, static_cast<std::size_t>(kPhones * 2));  // INVITE + BYE per call at least
}

TEST(ProxyScenario, SameSeedGivesByteIdenticalTraces) {
  const OfficeRun first = run_office({.seed = 42});
  const OfficeRun second = run_office({.seed = 42});
  ASSERT_FALSE(first.trace.empty());
  std::string difference;
  for (std::size_t i = 0; i < std::max(first.trace.size(), second.trace.size()); ++i) {
    const std::string a = i < first.trace.size() ? first.trace[i] : "<end of trace>";
    const std::string b = i < second.trace.size() ? second.trace[i] : "<end of trace>";
    if (a != b) {
      difference = "line " + std::to_string(i + 1) + ": " + a + "\n    vs: " + b;
      break;
    }
  }
  EXPECT_EQ(difference, "");
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  expect_office_works(first, true);
}

TEST(ProxyScenario, OfficeOverTcp) {
  const OfficeRun run = run_office({.seed = 3, .transport = Transport::Tcp});
  expect_office_works(run, /*expect_ringing_everywhere=*/true);
}

TEST(ProxyScenario, LossyBranchLinksAreRecoveredByRetransmission) {
  const OfficeRun run =
      run_office({.seed = 5, .topology = Topology::Star, .loss = 0.05});
  EXPECT_GT(run.dropped, 0u);
  // A lost 180 is never retransmitted (no 100rel), so only the rest must hold everywhere.
  expect_office_works(run, /*expect_ringing_everywhere=*/false);
  const OfficeRun again =
      run_office({.seed = 5, .topology = Topology::Star, .loss = 0.05});
  EXPECT_EQ(run.trace_hash, again.trace_hash);
}

}  // namespace
}  // namespace resproxy::model
