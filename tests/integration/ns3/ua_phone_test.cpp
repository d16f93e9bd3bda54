// UaPhone on the ns-3 runtime without a proxy: phones call each other's address directly over
// point-to-point links (clean and lossy, UDP and TCP), a busy phone answers 486, and a phone
// registers with a small fake registrar that insists on a Min-Expires (423) and grants less than
// asked. Same seed, same trace.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/node-container.h>

#include "model/lossy_link.h"
#include "model/simulation.h"
#include "model/ua_phone.h"
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

}  // namespace
}  // namespace resproxy::model
