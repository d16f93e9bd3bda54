// UaPhone on the ns-3 runtime without a proxy: phones call each other's address directly over
// point-to-point links (clean and lossy, UDP and TCP), a busy phone answers 486, and a phone
// registers with a small fake registrar that insists on a Min-Expires (423) and grants less than
// asked. Same seed, same trace. Through the production proxy core (ProxyNode): digest
// authentication (401 on REGISTER, 407 on a call to the PSTN gateway, a refresh reusing the nonce,
// a stale nonce retried, a wrong password failing without a loop) and blind transfer by REFER
// (NOTIFY sipfrag 100 then the new call's final status, the transferor's BYE, the new leg).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>

#include "model/lossy_link.h"
#include "model/memory_store.h"
#include "model/simulation.h"
#include "model/ua_phone.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/routing/proxy_node.h"
#include "proxy/sip/builder.h"

namespace resproxy::model {
namespace {

using namespace std::chrono_literals;

// Explicit ns-3 streams (ns-3 notes §6).
constexpr std::int64_t kCallerRngStream = 1;
constexpr std::int64_t kCalleeRngStream = 2;
constexpr std::int64_t kThirdRngStream = 3;
constexpr std::int64_t kLinkRngStream = 10;  // +1; a second link 20/21
constexpr std::int64_t kInternetRngStream = 1000;

TimePoint at(Duration d) { return TimePoint{d}; }

struct DirectRun {
  std::vector<CallRecord> caller_calls;
  std::vector<CallRecord> callee_calls;
  UaCounters caller_counters;
  UaCounters callee_counters;
  std::uint64_t caller_retransmissions = 0;  // client transactions
  std::uint64_t callee_retransmissions = 0;
  std::uint64_t dropped = 0;
  std::vector<std::string> trace;
  std::string trace_hash;
};

// Phone 2001 (10.1.1.1) calls phone 2002 (10.1.1.2) `calls` times, every 10 s from t = 1 s,
// holding each call 3 s.
DirectRun run_direct(std::uint32_t seed, double loss, Transport transport, int calls) {
  DirectRun out;
  Simulation sim(seed, 1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, kInternetRngStream);
  LossyLink link(nodes.Get(0), nodes.Get(1),
                 {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(5), .loss = loss,
                  .rng_stream = kLinkRngStream},
                 "10.1.1.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  const Address caller_address = link.address_a(5060);
  const Address callee_address = link.address_b(5060);
  auto caller_owned = std::make_unique<UaPhone>(
      UaPhoneConfig{.user = "2001", .domain = "10.1.1.1", .local = caller_address,
                    .transport = transport},
      sim.rng(kCallerRngStream), sim.trace().sink_for("phone-2001"));
  auto callee_owned = std::make_unique<UaPhone>(
      UaPhoneConfig{.user = "2002", .domain = "10.1.1.2", .local = callee_address,
                    .transport = transport},
      sim.rng(kCalleeRngStream), sim.trace().sink_for("phone-2002"));
  UaPhone& caller = *caller_owned;
  UaPhone& callee = *callee_owned;
  std::string target = "sip:2002@" + callee_address.to_string();
  if (transport == Transport::Tcp) target += ";transport=tcp";
  for (int i = 0; i < calls; ++i) {
    caller.schedule_call({.at = at(1s + i * 10s), .target = target, .hold = 3s});
  }
  const ns3::Time stop = ns3::Seconds(10.0 * calls + 60);
  install_sip_node(nodes.Get(0), std::move(caller_owned), ns3::Seconds(0), stop);
  install_sip_node(nodes.Get(1), std::move(callee_owned), ns3::Seconds(0), stop);
  sim.run_until(stop);

  out.caller_calls = caller.calls();
  out.callee_calls = callee.calls();
  out.caller_counters = caller.counters();
  out.callee_counters = callee.counters();
  out.caller_retransmissions = caller.transactions().counters().retransmissions_sent;
  out.callee_retransmissions = callee.transactions().counters().retransmissions_sent;
  out.dropped = link.dropped();
  out.trace = sim.trace().lines();
  out.trace_hash = sim.trace().hash_hex();
  return out;
}

std::string describe(const CallRecord& c) {
  std::string s = c.call_id + " " + std::string(to_string(c.role)) + " " +
                  std::string(to_string(c.state)) + " final=" + std::to_string(c.final_status) +
                  " bye=" + std::to_string(c.bye_status) + " failure=" + c.failure;
  s += c.ringing_at ? " 180" : " -";
  s += c.answered_at ? " 200" : " -";
  s += c.ack_at ? " ACK" : " -";
  s += c.bye_at ? " BYE" : " -";
  s += c.bye_ok_at ? " BYE200" : " -";
  return s;
}

std::size_t count_events(const std::vector<std::string>& lines, std::string_view ev) {
  const std::string needle = "\"ev\":\"" + std::string(ev) + "\"";
  std::size_t n = 0;
  for (const auto& line : lines) n += line.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

TEST(UaPhone, DirectCallCompletesOnACleanLink) {
  const DirectRun run = run_direct(/*seed=*/7, /*loss=*/0.0, Transport::Udp, /*calls=*/1);
  ASSERT_EQ(run.caller_calls.size(), 1u);
  ASSERT_EQ(run.callee_calls.size(), 1u);
  const CallRecord& a = run.caller_calls[0];
  const CallRecord& b = run.callee_calls[0];
  EXPECT_TRUE(a.is_completed()) << describe(a);
  EXPECT_TRUE(b.is_completed()) << describe(b);
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.state, CallState::Terminated);
  EXPECT_TRUE(a.ended_locally);
  EXPECT_FALSE(b.ended_locally);
  EXPECT_EQ(a.caller, "sip:2001@10.1.1.1");
  EXPECT_EQ(b.caller, "sip:2001@10.1.1.1");
  EXPECT_TRUE(a.route_set.empty());  // no proxy: ACK and BYE straight to the Contact
  // Timing on a 5 ms link: INVITE at 1 s; 180 after the 500 ms ring delay; 200 one second
  // later; the ACK at once; BYE after the 3 s hold.
  EXPECT_EQ(*a.invite_at, at(1s));
  EXPECT_GT(*a.ringing_at, at(1500ms));
  EXPECT_LT(*a.ringing_at, at(1600ms));
  EXPECT_GT(*a.answered_at, at(2500ms));
  EXPECT_LT(*a.answered_at, at(2600ms));
  EXPECT_EQ(*a.ack_at, *a.answered_at);
  EXPECT_EQ(*a.bye_at, *a.ack_at + 3s);
  EXPECT_GT(*b.ack_at, *b.answered_at);
  EXPECT_LT(*b.ack_at, *b.answered_at + 100ms);  // no 2xx retransmission needed
  EXPECT_EQ(run.callee_counters.ok_retransmissions, 0u);
  EXPECT_EQ(run.caller_counters.ack_retransmissions, 0u);
  EXPECT_EQ(count_events(run.trace, "ua.call_started"), 2u);
  EXPECT_EQ(count_events(run.trace, "ua.call_answered"), 2u);
  EXPECT_EQ(count_events(run.trace, "ua.call_confirmed"), 1u);
  EXPECT_EQ(count_events(run.trace, "ua.call_ended"), 2u);
  EXPECT_EQ(count_events(run.trace, "ua.call_failed"), 0u);
}

TEST(UaPhone, RetransmissionsRecoverCallsOnALossyLink) {
  constexpr int kCalls = 8;
  const DirectRun run = run_direct(/*seed=*/3, /*loss=*/0.2, Transport::Udp, kCalls);
  EXPECT_GT(run.dropped, 10u);
  ASSERT_EQ(run.caller_calls.size(), static_cast<std::size_t>(kCalls));
  ASSERT_EQ(run.callee_calls.size(), static_cast<std::size_t>(kCalls));
  int caller_ringing = 0;
  for (std::size_t i = 0; i < run.caller_calls.size(); ++i) {
    const CallRecord& a = run.caller_calls[i];
    const CallRecord& b = run.callee_calls[i];
    // A 180 is sent once and never retransmitted (RFC 3261 without 100rel), so the caller may
    // miss one on a lossy link; every other step is recovered by retransmission.
    EXPECT_EQ(a.final_status, 200) << describe(a);
    EXPECT_TRUE(a.answered_at && a.ack_at && a.bye_at && a.bye_ok_at) << describe(a);
    EXPECT_EQ(a.bye_status, 200) << describe(a);
    EXPECT_TRUE(a.failure.empty()) << describe(a);
    EXPECT_TRUE(b.is_completed()) << describe(b);
    caller_ringing += a.ringing_at ? 1 : 0;
  }
  EXPECT_GE(caller_ringing, kCalls / 2);
  // Loss was recovered by the transaction layer and the UA cores' 2xx/ACK retransmission.
  EXPECT_GT(run.caller_retransmissions + run.callee_retransmissions +
                run.callee_counters.ok_retransmissions,
            0u);
  EXPECT_EQ(count_events(run.trace, "ua.call_ended"), 2u * kCalls);
}

TEST(UaPhone, SameSeedGivesTheSameTraceByteForByte) {
  const DirectRun first = run_direct(/*seed=*/11, /*loss=*/0.2, Transport::Udp, 4);
  const DirectRun second = run_direct(/*seed=*/11, /*loss=*/0.2, Transport::Udp, 4);
  ASSERT_FALSE(first.trace.empty());
  EXPECT_EQ(first.trace, second.trace);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  const DirectRun other = run_direct(/*seed=*/12, /*loss=*/0.2, Transport::Udp, 4);
  EXPECT_NE(first.trace_hash, other.trace_hash);
}

TEST(UaPhone, DirectCallOverTcp) {
  const DirectRun run = run_direct(/*seed=*/5, /*loss=*/0.0, Transport::Tcp, 2);
  ASSERT_EQ(run.caller_calls.size(), 2u);
  ASSERT_EQ(run.callee_calls.size(), 2u);
  for (const auto& c : run.caller_calls) EXPECT_TRUE(c.is_completed()) << describe(c);
  for (const auto& c : run.callee_calls) EXPECT_TRUE(c.is_completed()) << describe(c);
  EXPECT_EQ(run.caller_retransmissions, 0u);  // reliable transport: no Timer A/E
}

// Three phones on links to a router: 2001 calls 2002 at 1 s; 2003 calls 2002 at 2 s while the
// first call is up, and gets 486 Busy Here; 2003 calls 2002 again once the line is free.
TEST(UaPhone, BusyPhoneAnswers486) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;  // 0: router, 1..3: phones
  nodes.Create(4);
  install_internet(nodes, kInternetRngStream);
  std::vector<std::unique_ptr<LossyLink>> links;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    links.push_back(std::make_unique<LossyLink>(
        nodes.Get(0), nodes.Get(i),
        LinkConfig{.delay = ns3::MilliSeconds(2), .rng_stream = 10 * static_cast<int>(i)},
        "10.1." + std::to_string(i) + ".0"));
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  std::vector<UaPhone*> phones;
  const std::int64_t streams[] = {kCallerRngStream, kCalleeRngStream, kThirdRngStream};
  for (std::uint32_t i = 1; i <= 3; ++i) {
    const std::string user = "200" + std::to_string(i);
    const Address local = links[i - 1]->address_b(5060);
    auto phone = std::make_unique<UaPhone>(
        UaPhoneConfig{.user = user, .domain = local.ip, .local = local},
        sim.rng(streams[i - 1]), sim.trace().sink_for("phone-" + user));
    phones.push_back(phone.get());
    install_sip_node(nodes.Get(i), std::move(phone), ns3::Seconds(0), ns3::Seconds(60));
  }
  const std::string b = "sip:2002@" + links[1]->address_b(5060).to_string();
  phones[0]->schedule_call({.at = at(1s), .target = b, .hold = 5s});
  phones[2]->schedule_call({.at = at(3s), .target = b, .hold = 2s});
  phones[2]->schedule_call({.at = at(20s), .target = b, .hold = 2s});
  sim.run_until(ns3::Seconds(60));

  ASSERT_EQ(phones[0]->calls().size(), 1u);
  EXPECT_TRUE(phones[0]->calls()[0].is_completed()) << describe(phones[0]->calls()[0]);
  ASSERT_EQ(phones[2]->calls().size(), 2u);
  EXPECT_EQ(phones[2]->calls()[0].final_status, 486);
  EXPECT_EQ(phones[2]->calls()[0].failure, "486");
  EXPECT_TRUE(phones[2]->calls()[1].is_completed()) << describe(phones[2]->calls()[1]);
  EXPECT_EQ(phones[1]->counters().busy_rejected, 1u);
  EXPECT_EQ(phones[1]->calls().size(), 2u);  // the rejected INVITE made no call record
  EXPECT_FALSE(phones[1]->is_busy());
  const auto failed = sim.trace().lines_with_event("ua.call_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].find("\"status\":\"486\""), std::string::npos) << failed[0];
}

// A registrar stand-in: wants Min-Expires 7200 (423) for anything shorter, then grants 300 s on
// the Contact's expires parameter.
class FakeRegistrar final : public transaction::SipNode {
 public:
  using SipNode::SipNode;
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path&) override {
    requests.push_back(std::string(request.bytes()));
    times.push_back(now);
    const sip::HeaderField* expires = request.first(sip::HeaderId::Expires);
    const sip::HeaderField* contact = request.first(sip::HeaderId::Contact);
    if (request.method() != sip::Method::Register || expires == nullptr || contact == nullptr) {
      transactions().send_response(now, id, 400, sip::make_response(request, 400, {}, "r"));
      return;
    }
    if (std::stoi(std::string(expires->value)) < 7200) {
      transactions().send_response(
          now, id, 423,
          sip::make_response(request, 423, "Interval Too Brief", "r", {{"Min-Expires", "7200"}}));
      return;
    }
    transactions().send_response(
        now, id, 200,
        sip::make_response(request, 200, "OK", "r",
                           {{"Contact", std::string(contact->value) + ";expires=300"}}));
  }
  std::vector<std::string> requests;
  std::vector<TimePoint> times;
};

TEST(UaPhone, RegistersRetriesOn423AndRefreshesAtHalfTheGrantedExpiry) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, kInternetRngStream);
  LossyLink link(nodes.Get(0), nodes.Get(1), {.delay = ns3::MilliSeconds(5)}, "10.1.1.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  auto phone_owned = std::make_unique<UaPhone>(
      UaPhoneConfig{.user = "2001",
                    .domain = "office.example",
                    .local = link.address_a(5060),
                    .outbound_proxy = link.address_b(5060)},
      sim.rng(kCallerRngStream), sim.trace().sink_for("phone-2001"));
  auto registrar_owned = std::make_unique<FakeRegistrar>(
      transaction::SipNodeConfig{.transport = {.local = link.address_b(5060)}, .timers = {}},
      sim.rng(kCalleeRngStream), sim.trace().sink_for("registrar"));
  UaPhone& phone = *phone_owned;
  FakeRegistrar& registrar = *registrar_owned;
  phone.register_at(at(1s));
  install_sip_node(nodes.Get(0), std::move(phone_owned), ns3::Seconds(0), ns3::Seconds(400));
  install_sip_node(nodes.Get(1), std::move(registrar_owned), ns3::Seconds(0), ns3::Seconds(400));
  sim.run_until(ns3::Seconds(400));

  EXPECT_TRUE(phone.is_registered());
  ASSERT_TRUE(phone.granted_expires());
  EXPECT_EQ(*phone.granted_expires(), 300s);
  // 1 s: 3600 -> 423; at once 7200 -> 200 (300 s); refreshes at ~151 s and ~301 s.
  ASSERT_EQ(registrar.requests.size(), 4u);
  EXPECT_NE(registrar.requests[0].find("Expires: 3600"), std::string::npos);
  EXPECT_NE(registrar.requests[1].find("Expires: 7200"), std::string::npos);
  EXPECT_NE(registrar.requests[1].find("Contact: <sip:2001@10.1.1.1:5060>"), std::string::npos);
  EXPECT_NE(registrar.requests[1].find("REGISTER sip:office.example SIP/2.0"), std::string::npos);
  EXPECT_LT(registrar.times[1], at(1100ms));
  EXPECT_GT(registrar.times[2], at(150s));
  EXPECT_LT(registrar.times[2], at(152s));
  EXPECT_GT(registrar.times[3], at(300s));
  EXPECT_LT(registrar.times[3], at(302s));
  // Same Call-ID, increasing CSeq (RFC 3261 §10.2.4).
  const auto call_id = [](const std::string& r) {
    const auto p = r.find("Call-ID: ");
    return r.substr(p, r.find("\r\n", p) - p);
  };
  EXPECT_EQ(call_id(registrar.requests[0]), call_id(registrar.requests[3]));
  EXPECT_NE(registrar.requests[3].find("CSeq: 4 REGISTER"), std::string::npos);
  EXPECT_EQ(phone.counters().registrations_ok, 3u);
  EXPECT_EQ(sim.trace().lines_with_event("ua.registered").size(), 3u);
  EXPECT_EQ(sim.trace().lines_with_event("ua.register_retry").size(), 1u);
}

// --- Through the proxy core: digest authentication and transfer ----------------------------------

constexpr const char* kOffice = "office.example";
std::string office_aor(const std::string& user) { return "sip:" + user + "@" + kOffice; }

// A star around a router: the proxy (standalone, realm office.example), phones 2001.. and
// optionally a PSTN gateway (a multi-line UaPhone), each on its own 10.0.x.0/24 link.
struct ProxiedSetup {
  std::uint32_t seed = 1;
  int phones = 3;
  bool untrusted = false;  // no trusted ranges at all: everyone must authenticate
  std::vector<routing::AuthUser> auth_users{};
  std::vector<std::optional<std::string>> passwords{};  // per phone; missing: none
  bool gateway = false;
  Duration register_expires = std::chrono::seconds(3600);
  Duration nonce_lifetime = std::chrono::seconds(300);
  double stop_s = 60;
};

struct PhoneOutcome {
  std::vector<CallRecord> calls;
  std::vector<RegistrationRecord> registrations;
  std::vector<TransferRecord> transfers;
  UaCounters counters;
  bool registered = false;
  bool busy = false;
  std::size_t in_progress = 0;
};

struct ProxiedRun {
  std::vector<PhoneOutcome> phones;
  PhoneOutcome gateway;
  routing::ProxyCounters proxy{};
  std::string proxy_address;
  std::vector<std::string> trace;
};

PhoneOutcome outcome_of(const UaPhone& phone) {
  PhoneOutcome out;
  out.calls = phone.calls();
  out.registrations = phone.registrations();
  out.transfers = phone.transfers();
  out.counters = phone.counters();
  out.registered = phone.is_registered();
  out.busy = phone.is_busy();
  out.in_progress = phone.calls_in_progress();
  return out;
}

ProxiedRun run_proxied(const ProxiedSetup& setup,
                       const std::function<void(std::vector<UaPhone*>&)>& script) {
  ProxiedRun out;
  MemoryStore store;  // outlives the simulation (SetStore contract)
  Simulation sim(setup.seed, 1);
  ns3::NodeContainer nodes;  // 0: router, 1: proxy, 2: gateway, 3..: phones
  nodes.Create(static_cast<std::uint32_t>(3 + setup.phones));
  install_internet(nodes, kInternetRngStream);
  std::vector<std::unique_ptr<LossyLink>> links;
  const auto leaf = [&](std::uint32_t node, int subnet) {
    links.push_back(std::make_unique<LossyLink>(
        nodes.Get(0), nodes.Get(node),
        LinkConfig{.data_rate = "100Mbps", .delay = ns3::MilliSeconds(2),
                   .rng_stream = kLinkRngStream + 2 * subnet},
        "10.0." + std::to_string(subnet) + ".0"));
    return links.back()->address_b(5060);
  };
  const Address proxy_address = leaf(1, 1);
  const Address gateway_address = leaf(2, 2);
  std::vector<Address> phone_addresses;
  for (int i = 0; i < setup.phones; ++i) {
    phone_addresses.push_back(leaf(static_cast<std::uint32_t>(3 + i), 10 + i));
  }
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  out.proxy_address = proxy_address.to_string();
  const ns3::Time stop = ns3::Seconds(setup.stop_s);

  routing::ProxyConfig config;
  config.realm = kOffice;
  config.local = proxy_address;
  if (setup.untrusted) {
    config.trust_defaults = false;
    config.trusted.clear();
  }
  config.auth_users = setup.auth_users;
  config.auth.nonce_lifetime = setup.nonce_lifetime;
  if (setup.gateway) config.pstn_gateway.address = gateway_address;
  auto proxy_owned = std::make_unique<routing::ProxyNode>(
      config, store.load_all(), sim.rng(kThirdRngStream + 10), native::openssl_crypto(),
      sim.trace().sink_for("proxy"));
  routing::ProxyNode& proxy = *proxy_owned;
  install_sip_node(nodes.Get(1), std::move(proxy_owned), ns3::Seconds(0), stop)->SetStore(&store);

  auto gateway_owned = std::make_unique<UaPhone>(
      UaPhoneConfig{.user = "gateway", .domain = kOffice, .local = gateway_address,
                    .answer_delay = 500ms, .multi_line = true},
      sim.rng(kThirdRngStream + 11), sim.trace().sink_for("gateway"));
  UaPhone& gateway = *gateway_owned;
  install_sip_node(nodes.Get(2), std::move(gateway_owned), ns3::Seconds(0), stop);

  std::vector<UaPhone*> phones;
  for (int i = 0; i < setup.phones; ++i) {
    const std::string user = std::to_string(2001 + i);
    const Address local = phone_addresses[static_cast<std::size_t>(i)];
    UaPhoneConfig c{.user = user, .domain = kOffice, .local = local, .outbound_proxy = proxy_address};
    c.register_expires = setup.register_expires;
    if (static_cast<std::size_t>(i) < setup.passwords.size()) {
      c.password = setup.passwords[static_cast<std::size_t>(i)];
    }
    auto phone = std::make_unique<UaPhone>(std::move(c), sim.rng(kThirdRngStream + 20 + i),
                                           sim.trace().sink_for("phone-" + user));
    phone->register_at(TimePoint{1s + i * 100ms});
    phones.push_back(phone.get());
    install_sip_node(nodes.Get(static_cast<std::uint32_t>(3 + i)), std::move(phone),
                     ns3::Seconds(0), stop);
  }
  script(phones);
  sim.run_until(stop);

  for (const UaPhone* phone : phones) out.phones.push_back(outcome_of(*phone));
  out.gateway = outcome_of(gateway);
  out.proxy = proxy.counters();
  out.trace = sim.trace().lines();
  return out;
}

std::string describe_registrations(const std::vector<RegistrationRecord>& records) {
  std::string s;
  for (const auto& r : records) {
    s += std::to_string(r.status) + (r.with_credentials ? "+cred" : "") +
         (r.challenged ? "+challenged" : "") + (r.failure.empty() ? "" : "+" + r.failure) + " ";
  }
  return s;
}

std::vector<int> statuses(const std::vector<RegistrationRecord>& records) {
  std::vector<int> out;
  for (const auto& r : records) out.push_back(r.status);
  return out;
}

std::size_t count_fields(const std::vector<std::string>& lines, std::string_view event,
                         std::string_view fragment) {
  const std::string needle = "\"ev\":\"" + std::string(event) + "\"";
  std::size_t n = 0;
  for (const auto& line : lines) {
    n += line.find(needle) != std::string::npos && line.find(fragment) != std::string::npos ? 1 : 0;
  }
  return n;
}

// An untrusted phone registers: 401, then the same REGISTER with credentials (CSeq + 1) is
// accepted. Refreshes reuse the nonce (nc 2, 3: no challenge) until the proxy calls it stale,
// then one 401 stale=true is answered with the new nonce.
TEST(UaPhoneAuth, RegisterIsChallengedThenAcceptedAndRefreshesReuseTheNonce) {
  const ProxiedRun run = run_proxied(
      {.phones = 1,
       .untrusted = true,
       .auth_users = {{"2001", "s3cret"}},
       .passwords = {std::string("s3cret")},
       .register_expires = 60s,
       .nonce_lifetime = 45s,
       .stop_s = 100},
      [](std::vector<UaPhone*>&) {});
  const PhoneOutcome& phone = run.phones[0];
  EXPECT_TRUE(phone.registered);
  // 1 s: 401, 200; ~31 s: 200 (nc 2); ~61 s: nonce 60 s old > 45 s: 401 stale, 200; ~91 s: 200.
  EXPECT_EQ(statuses(phone.registrations), (std::vector<int>{401, 200, 200, 401, 200, 200}))
      << describe_registrations(phone.registrations);
  ASSERT_EQ(phone.registrations.size(), 6u);
  EXPECT_FALSE(phone.registrations[0].with_credentials);
  EXPECT_TRUE(phone.registrations[0].challenged);
  EXPECT_TRUE(phone.registrations[1].with_credentials);
  EXPECT_TRUE(phone.registrations[2].with_credentials);  // the cached nonce, no round trip
  EXPECT_FALSE(phone.registrations[2].challenged);
  EXPECT_TRUE(phone.registrations[3].with_credentials);  // stale nonce
  EXPECT_TRUE(phone.registrations[3].challenged);
  for (const auto& r : phone.registrations) EXPECT_EQ(r.failure, "");
  EXPECT_EQ(phone.counters.auth_challenges, 2u);
  EXPECT_EQ(phone.counters.auth_failures, 0u);
  EXPECT_EQ(phone.counters.registrations_failed, 0u);
  EXPECT_EQ(run.proxy.challenged, 2u);
  EXPECT_EQ(count_fields(run.trace, "ua.auth_challenged", "\"stale\":\"1\""), 1u);
  EXPECT_EQ(count_fields(run.trace, "auth.checked", "\"outcome\":\"ok\""), 4u);
  EXPECT_EQ(count_fields(run.trace, "auth.checked", "\"outcome\":\"stale\""), 1u);
}

// A call from an untrusted phone to a number nobody registered would go to the PSTN gateway: the
// proxy wants credentials (407). The phone sends the INVITE again with Proxy-Authorization and
// CSeq 2 and the gateway answers the same call. (The ACK for the 2xx is checked against a fake
// UAS below; the proxy's relaying of an untrusted phone's ACK has its own unit test,
// ProxyRouting.RelaysAnUntrustedPhonesAckOnlyWithinOurDialogs.)
TEST(UaPhoneAuth, InviteIsChallenged407ThenCompletedThroughTheGateway) {
  const ProxiedRun run = run_proxied(
      {.phones = 1,
       .untrusted = true,
       .auth_users = {{"2001", "s3cret"}},
       .passwords = {std::string("s3cret")},
       .gateway = true,
       .stop_s = 30},
      [](std::vector<UaPhone*>& phones) {
        phones[0]->schedule_call(
            {.at = TimePoint{5s}, .target = office_aor("0123456789"), .hold = 4s});
      });
  const PhoneOutcome& phone = run.phones[0];
  ASSERT_EQ(phone.calls.size(), 1u);
  const CallRecord& call = phone.calls[0];
  EXPECT_TRUE(call.is_completed()) << describe(call);
  EXPECT_EQ(call.auth_challenges, 1);
  EXPECT_EQ(phone.counters.invites_sent, 2u);
  EXPECT_EQ(phone.counters.auth_challenges, 2u);  // the REGISTER's 401 and the INVITE's 407
  ASSERT_EQ(run.gateway.calls.size(), 1u);
  const CallRecord& answered = run.gateway.calls[0];
  EXPECT_EQ(answered.call_id, call.call_id);  // the same call, not a new one
  EXPECT_EQ(answered.final_status, 200) << describe(answered);
  EXPECT_TRUE(answered.bye_ok_at) << describe(answered);  // the BYE (in dialog) got through
  EXPECT_EQ(count_fields(run.trace, "ua.auth_challenged", "\"status\":\"407\""), 1u);
  EXPECT_EQ(count_fields(run.trace, "route.decided", "\"action\":\"challenge\""), 1u);
  EXPECT_EQ(count_fields(run.trace, "route.decided", "\"action\":\"gateway\""), 1u);
}

// A wrong password: each request is answered once with credentials, the second challenge is a
// failure (status 401/407, failure "auth"): two REGISTERs and two INVITEs, no more. A phone
// without a password fails at the first challenge.
TEST(UaPhoneAuth, WrongPasswordIsRecordedAsAnAuthFailureWithoutALoop) {
  const ProxiedRun run = run_proxied(
      {.phones = 2,
       .untrusted = true,
       .auth_users = {{"2001", "s3cret"}, {"2002", "other"}},
       .passwords = {std::string("wrong"), std::nullopt},
       .gateway = true,
       .stop_s = 25},  // before the 30 s register retry
      [](std::vector<UaPhone*>& phones) {
        phones[0]->schedule_call(
            {.at = TimePoint{5s}, .target = office_aor("0123456789"), .hold = 4s});
      });
  const PhoneOutcome& wrong = run.phones[0];
  EXPECT_FALSE(wrong.registered);
  EXPECT_EQ(wrong.counters.registers_sent, 2u);
  EXPECT_EQ(statuses(wrong.registrations), (std::vector<int>{401, 401}))
      << describe_registrations(wrong.registrations);
  ASSERT_EQ(wrong.registrations.size(), 2u);
  EXPECT_TRUE(wrong.registrations[0].challenged);
  EXPECT_EQ(wrong.registrations[1].failure, "auth");
  ASSERT_EQ(wrong.calls.size(), 1u);
  EXPECT_EQ(wrong.calls[0].final_status, 407) << describe(wrong.calls[0]);
  EXPECT_EQ(wrong.calls[0].failure, "auth");
  EXPECT_EQ(wrong.calls[0].state, CallState::Terminated);
  EXPECT_EQ(wrong.counters.invites_sent, 2u);
  EXPECT_EQ(wrong.counters.auth_failures, 2u);
  EXPECT_TRUE(run.gateway.calls.empty());

  const PhoneOutcome& none = run.phones[1];
  EXPECT_FALSE(none.registered);
  EXPECT_EQ(statuses(none.registrations), (std::vector<int>{401}));
  EXPECT_EQ(none.registrations[0].failure, "auth");
  EXPECT_EQ(none.counters.auth_challenges, 0u);
  EXPECT_EQ(none.counters.auth_failures, 1u);
  EXPECT_EQ(run.proxy.challenged, 2u + 2u + 1u);  // 2001: REGISTER x2, INVITE x2; 2002: once
}

// A proxy stand-in that challenges every INVITE without Proxy-Authorization (407) and answers
// the one with credentials 200; it keeps every request it sees, ACKs included.
class FakeChallenger final : public transaction::SipNode {
 public:
  using SipNode::SipNode;
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path&) override {
    requests.push_back(std::string(request.bytes()));
    if (request.method() == sip::Method::Bye) {
      transactions().send_response(now, id, 200, sip::make_response(request, 200, "OK"));
      return;
    }
    if (request.first(sip::HeaderId::ProxyAuthorization) == nullptr) {
      transactions().send_response(
          now, id, 407,
          sip::make_response(request, 407, "Proxy Authentication Required", "p",
                             {{"Proxy-Authenticate",
                               "Digest realm=\"office.example\", qop=\"auth\", "
                               "algorithm=SHA-256, nonce=\"n1\", opaque=\"o\""}}));
      return;
    }
    transactions().send_response(
        now, id, 200,
        sip::make_response(request, 200, "OK", "callee",
                           {{"Contact", "<sip:2002@" + local.to_string() + ">"},
                            {"Content-Type", "application/sdp"}},
                           "v=0\r\n"));
  }
  void on_ack(TimePoint, const sip::Message& ack, const Path&) override {
    requests.push_back(std::string(ack.bytes()));
  }
  Address local;
  std::vector<std::string> requests;
};

std::string header_line(const std::string& message, const std::string& name) {
  const auto at = message.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const auto start = at + 2;
  return message.substr(start, message.find("\r\n", start) - start);
}

// The phone's side of a 407, precisely: the second INVITE has the same Call-ID and From tag,
// CSeq 2, a new branch and Proxy-Authorization for the challenge (SHA-256, qop=auth, nc=00000001);
// the ACK for the 2xx says CSeq 2 ACK.
TEST(UaPhoneAuth, AnsweredChallengeKeepsCallIdAndTagAndAcksTheNewCSeq) {
  Simulation sim(1, 1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, kInternetRngStream);
  LossyLink link(nodes.Get(0), nodes.Get(1), {.delay = ns3::MilliSeconds(5)}, "10.1.1.0");
  ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  auto phone_owned = std::make_unique<UaPhone>(
      UaPhoneConfig{.user = "2001", .domain = "office.example", .local = link.address_a(5060),
                    .outbound_proxy = link.address_b(5060), .password = std::string("pw")},
      sim.rng(kCallerRngStream), sim.trace().sink_for("phone-2001"));
  auto fake_owned = std::make_unique<FakeChallenger>(
      transaction::SipNodeConfig{.transport = {.local = link.address_b(5060)}, .timers = {}},
      sim.rng(kCalleeRngStream), sim.trace().sink_for("fake"));
  fake_owned->local = link.address_b(5060);
  UaPhone& phone = *phone_owned;
  FakeChallenger& fake = *fake_owned;
  phone.schedule_call({.at = at(1s), .target = "sip:2002@office.example", .hold = 2s});
  install_sip_node(nodes.Get(0), std::move(phone_owned), ns3::Seconds(0), ns3::Seconds(20));
  install_sip_node(nodes.Get(1), std::move(fake_owned), ns3::Seconds(0), ns3::Seconds(20));
  sim.run_until(ns3::Seconds(20));

  ASSERT_EQ(fake.requests.size(), 4u);  // INVITE, INVITE with credentials, ACK, BYE
  const std::string& first = fake.requests[0];
  const std::string& second = fake.requests[1];
  const std::string& ack = fake.requests[2];
  EXPECT_EQ(header_line(first, "CSeq"), "CSeq: 1 INVITE");
  EXPECT_EQ(header_line(second, "CSeq"), "CSeq: 2 INVITE");
  EXPECT_EQ(header_line(first, "Call-ID"), header_line(second, "Call-ID"));
  EXPECT_EQ(header_line(first, "From"), header_line(second, "From"));
  EXPECT_NE(header_line(first, "Via"), header_line(second, "Via"));  // a new branch
  const std::string credentials = header_line(second, "Proxy-Authorization");
  EXPECT_NE(credentials.find("Digest "), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("username=\"2001\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("nonce=\"n1\""), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("nc=00000001"), std::string::npos) << credentials;
  EXPECT_NE(credentials.find("algorithm=SHA-256"), std::string::npos) << credentials;
  EXPECT_EQ(header_line(ack, "CSeq"), "CSeq: 2 ACK");
  EXPECT_NE(fake.requests[3].find("BYE "), std::string::npos);
  EXPECT_EQ(header_line(fake.requests[3], "CSeq"), "CSeq: 3 BYE");
  ASSERT_EQ(phone.calls().size(), 1u);
  EXPECT_EQ(phone.calls()[0].auth_challenges, 1);
  EXPECT_EQ(phone.calls()[0].final_status, 200);
  EXPECT_EQ(phone.calls()[0].bye_status, 200);
}

// 2001 calls 2002 through the proxy; 8 s later 2002 transfers 2001 to `target` (REFER). Trusted
// phones: no authentication here.
ProxiedRun run_transfer(const std::string& target) {
  return run_proxied({.phones = 3, .stop_s = 60}, [target](std::vector<UaPhone*>& phones) {
    phones[0]->schedule_call({.at = TimePoint{3s}, .target = office_aor("2002"), .hold = 30s});
    phones[1]->schedule_transfer(TimePoint{8s}, target);
  });
}

TEST(UaPhoneTransfer, BlindTransferByReferCompletes) {
  const ProxiedRun run = run_transfer(office_aor("2003"));
  const PhoneOutcome& transferee = run.phones[0];
  const PhoneOutcome& transferor = run.phones[1];
  const PhoneOutcome& target = run.phones[2];

  ASSERT_EQ(transferor.transfers.size(), 1u);
  const TransferRecord& t = transferor.transfers[0];
  EXPECT_EQ(t.outcome, "ok") << t.failure;
  EXPECT_EQ(t.target, office_aor("2003"));
  EXPECT_EQ(t.refer_status, 202);
  EXPECT_TRUE(t.accepted_at);
  EXPECT_EQ(t.notified, (std::vector<int>{100, 200}));  // message/sipfrag status lines
  EXPECT_EQ(t.final_status, 200);
  ASSERT_TRUE(t.done_at);
  EXPECT_GT(*t.done_at, t.refer_at);

  // The transferor hung the original call up on the final NOTIFY.
  ASSERT_EQ(transferor.calls.size(), 1u);
  const CallRecord& original_b = transferor.calls[0];
  EXPECT_TRUE(original_b.is_completed()) << describe(original_b);
  EXPECT_TRUE(original_b.ended_locally);
  EXPECT_TRUE(original_b.transferred);
  EXPECT_GE(*original_b.bye_at, *t.done_at);
  EXPECT_LT(*original_b.bye_at, at(20s));  // not the caller's 30 s hold

  // The transferee: the original call ended by the transferor, then the transfer leg.
  ASSERT_EQ(transferee.calls.size(), 2u);
  const CallRecord& original_a = transferee.calls[0];
  EXPECT_TRUE(original_a.is_completed()) << describe(original_a);
  EXPECT_FALSE(original_a.ended_locally);
  EXPECT_TRUE(original_a.transferred);
  const CallRecord& leg = transferee.calls[1];
  EXPECT_TRUE(leg.is_completed()) << describe(leg);
  EXPECT_EQ(leg.transfer_of, original_a.call_id);
  EXPECT_EQ(leg.referred_by, office_aor("2002"));
  EXPECT_EQ(leg.callee, office_aor("2003"));
  EXPECT_TRUE(leg.ended_locally);  // the transferee hangs up after the hold time
  EXPECT_EQ(transferee.counters.refers_received, 1u);
  EXPECT_EQ(transferee.counters.notifies_sent, 2u);
  EXPECT_EQ(transferor.counters.notifies_received, 2u);

  ASSERT_EQ(target.calls.size(), 1u);
  EXPECT_TRUE(target.calls[0].is_completed()) << describe(target.calls[0]);
  EXPECT_EQ(target.calls[0].caller, office_aor("2001"));
  EXPECT_EQ(target.calls[0].call_id, leg.call_id);

  // REFER and NOTIFY went through the proxy along the dialog's route set.
  EXPECT_EQ(original_b.route_set.size(), 1u);
  EXPECT_EQ(count_fields(run.trace, "route.forwarded", "\"method\":\"REFER\""), 1u);
  EXPECT_EQ(count_fields(run.trace, "route.forwarded", "\"method\":\"NOTIFY\""), 2u);
  for (const auto& p : run.phones) {
    EXPECT_EQ(p.in_progress, 0u);
    EXPECT_FALSE(p.busy);
  }
}

TEST(UaPhoneTransfer, TransferToAnUnregisteredTargetReportsTheFailureAndEndsTheCall) {
  const ProxiedRun run = run_transfer(office_aor("2999"));
  const PhoneOutcome& transferee = run.phones[0];
  const PhoneOutcome& transferor = run.phones[1];

  ASSERT_EQ(transferor.transfers.size(), 1u);
  const TransferRecord& t = transferor.transfers[0];
  EXPECT_EQ(t.outcome, "failed");
  EXPECT_EQ(t.refer_status, 202);
  EXPECT_EQ(t.notified, (std::vector<int>{100, 404}));
  EXPECT_EQ(t.final_status, 404);
  EXPECT_EQ(t.failure, "404");

  ASSERT_EQ(transferee.calls.size(), 2u);
  EXPECT_EQ(transferee.calls[1].final_status, 404) << describe(transferee.calls[1]);
  EXPECT_EQ(transferee.calls[1].transfer_of, transferee.calls[0].call_id);
  // The original call still ends cleanly on both sides: BYE from the transferor, 200.
  EXPECT_TRUE(transferee.calls[0].is_completed()) << describe(transferee.calls[0]);
  ASSERT_EQ(transferor.calls.size(), 1u);
  EXPECT_TRUE(transferor.calls[0].is_completed()) << describe(transferor.calls[0]);
  EXPECT_TRUE(transferor.calls[0].ended_locally);
  EXPECT_EQ(transferor.calls[0].bye_status, 200);
  EXPECT_TRUE(run.phones[2].calls.empty());
  for (const auto& p : run.phones) {
    EXPECT_EQ(p.in_progress, 0u);
    EXPECT_FALSE(p.busy);
  }
}

}  // namespace
}  // namespace resproxy::model
