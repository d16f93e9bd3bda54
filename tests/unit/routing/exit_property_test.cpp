// The exit rule as a property that cannot regress: ProxyNode driven over every mode and ITSP
// state, every source class (trusted, authenticated, untrusted, the PSTN gateway, the ITSP), a
// spread of methods, with and without Route headers (none, ours, ours with a forged dialog MAC,
// the gateway's, any host's, a TCP host in the LAN), with and without To tags, and Request-URIs
// ours and foreign — and every message it sends is checked against the rule, restated here as
// a table independent of the code (security/exit_rule.h):
//   trusted, authenticated   anywhere (and never refused by the rule)
//   untrusted (internet)     Local: a phone · ViaItsp: the ITSP · Trunk: a phone, the ITSP · Off: —
//   the PSTN gateway         Local: a phone · ViaItsp, Trunk: a phone, the ITSP · Off: —
//   the ITSP                 a phone (never the gateway, never another host) · Off: —
// Responses go back to the sender only. Nothing here carries a valid dialog MAC (no dialog was
// record-routed for these Call-IDs), so "along our dialog" never applies.
#include <gtest/gtest.h>

#include <map>

#include "proxy/native/openssl_crypto.h"
#include "proxy/security/digest.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Address kGw{"192.168.1.5", 5060};
const Address kItsp{"198.51.100.10", 5060};
const Address kFar{"198.51.100.99", 5060};
const Address kLanHost{"10.9.9.9", 8080};

enum class State { Standalone, ViaItspUp, ViaItspDown, TrunkUp, TrunkDown, Off };
enum class Who { Trusted, Authenticated, Untrusted, Gateway, Itsp };
enum class To { Phone, Itsp, Gateway, Elsewhere };

const char* name(State s) {
  switch (s) {
    case State::Standalone: return "standalone";
    case State::ViaItspUp: return "forward_itsp/up";
    case State::ViaItspDown: return "forward_itsp/down";
    case State::TrunkUp: return "sip_trunk/up";
    case State::TrunkDown: return "sip_trunk/down";
    case State::Off: return "off";
  }
  return "?";
}
const char* name(Who w) {
  switch (w) {
    case Who::Trusted: return "trusted";
    case Who::Authenticated: return "authenticated";
    case Who::Untrusted: return "untrusted";
    case Who::Gateway: return "gateway";
    case Who::Itsp: return "itsp";
  }
  return "?";
}
const char* name(To t) {
  switch (t) {
    case To::Phone: return "phone";
    case To::Itsp: return "itsp";
    case To::Gateway: return "gateway";
    case To::Elsewhere: return "elsewhere";
  }
  return "?";
}

// The rule, as a table.
bool may_reach(Who who, State state, To to) {
  if (who == Who::Trusted || who == Who::Authenticated) return true;
  const bool local = state == State::Standalone || state == State::ViaItspDown || state == State::TrunkDown;
  switch (who) {
    case Who::Untrusted:
      if (local) return to == To::Phone;
      if (state == State::ViaItspUp) return to == To::Itsp;
      if (state == State::TrunkUp) return to == To::Phone || to == To::Itsp;
      return false;
    case Who::Gateway:
      if (local) return to == To::Phone;
      if (state == State::ViaItspUp || state == State::TrunkUp) return to == To::Phone || to == To::Itsp;
      return false;
    case Who::Itsp:
      return state != State::Off && to == To::Phone;
    default:
      return false;
  }
}

Phone sender(Who who) {
  switch (who) {
    case Who::Trusted: return bob();                               // in the trusted range
    case Who::Authenticated: return {"6666", {"203.0.113.5", 5060}};  // credentials of user 6666
    case Who::Untrusted: return {"evil", {"203.0.113.66", 5060}};
    case Who::Gateway: return {"gw", kGw};
    case Who::Itsp: return {"itsp", kItsp};
  }
  return {};
}

ProxyConfig config_for(State state) {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = state == State::Standalone ? ProxyMode::Standalone
           : state == State::Off      ? ProxyMode::Off
           : state == State::TrunkUp || state == State::TrunkDown ? ProxyMode::SipTrunk
                                                                  : ProxyMode::ForwardItsp;
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.pstn_gateway.address = kGw;
  c.auth_users.push_back({"6666", "s3cret"});
  ItspTarget t;
  t.name = "itsp.example";
  t.destination = transport::Destination{Transport::Udp, kItsp, StreamId{}};
  c.itsp.monitor.targets.push_back(t);
  c.itsp.monitor.probe_timeout = 1s;
  c.itsp.monitor.health.probe_interval = 30s;
  c.itsp.monitor.health.probe_interval_down = 5s;
  c.itsp.monitor.health.failures_to_down = 2;
  c.itsp.monitor.health.successes_to_up = 1;
  c.itsp.monitor.health.failback_delay = 0s;
  return c;
}

struct World : ProxyFixture {
  explicit World(State s) : ProxyFixture(config_for(s)), state(s) {}
  State state;
  std::string challenge;  // a Proxy-Authenticate value of this node, for the authenticated sender
  std::uint32_t nc = 0;

  bool itsp_mode() const { return state != State::Standalone && state != State::Off; }

  // Probes: answered (alive) or not (dark), for `d`.
  void run_itsp(Duration d, bool alive) {
    for (Duration done{}; done < d; done += 1s) {
      advance(1s);
      for (auto& s : take_sent()) {
        if (!alive || !s.bytes.starts_with("OPTIONS") || s.to != kItsp) continue;
        receive(Phone{"itsp", kItsp}, sip::make_response(parse(s.bytes), 200, "OK", "itsp"));
      }
    }
  }

  void set_up() {
    if (itsp_mode()) {
      run_itsp(30s, false);
      ASSERT_TRUE(node.in_failure_operation());
    }
    if (state != State::Off) {
      // Alice registers (a trusted phone) and the authenticated sender gets a nonce.
      register_phone(alice());
      const Phone a = sender(Who::Authenticated);
      receive(a, invite(a, "sip:0900123456@office.example", "z9hG4bKnonce"));
      auto reply = parse(expect_one("SIP/2.0 407").bytes);
      ASSERT_NE(reply.first(sip::HeaderId::ProxyAuthenticate), nullptr);
      challenge = std::string(reply.first(sip::HeaderId::ProxyAuthenticate)->value);
    }
    if (state == State::ViaItspUp || state == State::TrunkUp) {
      run_itsp(20s, true);
      ASSERT_FALSE(node.in_failure_operation());
    }
    take_sent();
  }
};

struct Variant {
  std::string method;
  std::string route;  // "" none
  bool to_tag;
  std::string ruri;
};

std::vector<Variant> variants() {
  const std::vector<std::string> methods{"INVITE", "BYE",  "MESSAGE", "OPTIONS",
                                         "SUBSCRIBE", "REFER", "ACK", "REGISTER"};
  const std::vector<std::string> routes{"",
                                        "<sip:192.168.1.10:5060;lr>",
                                        "<sip:192.168.1.10:5060;lr;rp=10123456789abcdef>",
                                        "<sip:192.168.1.5;lr>",
                                        "<sip:198.51.100.99;lr>",
                                        "<sip:10.9.9.9:8080;transport=tcp;lr>"};
  const std::vector<std::string> ruris{"sip:2001@office.example",       "sip:0900123456@office.example",
                                       "sip:112@office.example",        "sip:2001@192.168.1.21:5060",
                                       "sip:0900123456@192.168.1.5:5060", "sip:0900123456@198.51.100.10",
                                       "sip:victim@198.51.100.99",      "sip:x@10.9.9.9:8080;transport=tcp"};
  std::vector<Variant> out;
  for (const auto& m : methods) {
    for (const auto& r : routes) {
      for (bool tag : {false, true}) {
        for (const auto& u : ruris) out.push_back({m, r, tag, u});
      }
    }
  }
  return out;
}

To classify(const Address& to) {
  if (to == kGw) return To::Gateway;
  if (to == kItsp) return To::Itsp;
  if (to == alice().address) return To::Phone;
  return To::Elsewhere;
}

class ExitProperty : public ::testing::TestWithParam<std::tuple<State, Who>> {};

TEST_P(ExitProperty, EveryMessageLeavesOnlyWhereTheRuleAllows) {
  const auto [state, who] = GetParam();
  World w(state);
  w.set_up();
  if (::testing::Test::HasFatalFailure()) return;
  const Phone from = sender(who);
  const std::uint64_t refused_before = w.node.counters().exit_refused;
  std::map<std::uint64_t, Address> streams;  // outbound TCP streams we were asked to open
  int n = 0;
  std::size_t forwarded = 0;
  for (const auto& v : variants()) {
    const std::string branch = "z9hG4bKprop" + std::to_string(++n);
    std::vector<sip::ExtraHeader> h{{"Via", from.via(branch)}, {"Max-Forwards", "70"}};
    if (!v.route.empty()) h.push_back({"Route", v.route});
    h.push_back({"From", "<sip:" + from.user + "@office.example>;tag=f" + from.user});
    h.push_back({"To", "<" + v.ruri + ">" + (v.to_tag ? ";tag=forged" : "")});
    h.push_back({"Call-ID", "prop-" + std::to_string(n)});
    h.push_back({"CSeq", "1 " + v.method});
    h.push_back({"Contact", "<" + from.contact() + ">"});
    if (who == Who::Authenticated && !w.challenge.empty()) {
      // An ACK carries its INVITE's credentials (RFC 3261 §13.2.2.4): computed for INVITE.
      auto answer = security::answer_challenge(native::openssl_crypto(), w.challenge, v.method == "ACK" ? "INVITE" : v.method, v.ruri,
                                               "6666", "s3cret",
                                               "c" + std::to_string(n), ++w.nc);
      ASSERT_TRUE(answer.has_value());
      h.push_back({v.method == "REGISTER" ? "Authorization" : "Proxy-Authorization", *answer});
    }
    w.receive(from, sip::make_request(v.method, v.ruri, h));
    const std::string what = std::string(name(state)) + " " + name(who) + ": " + v.method + " " +
                             v.ruri + (v.route.empty() ? "" : " Route " + v.route) +
                             (v.to_tag ? " (To tag)" : "");
    for (auto& e : w.out) {
      if (auto* o = std::get_if<OpenStream>(&e)) {
        streams[o->stream.value] = o->remote;
        EXPECT_TRUE(may_reach(who, state, classify(o->remote)))
            << what << " → opened TCP to " << o->remote.to_string();
        continue;
      }
      std::string bytes;
      Address to;
      if (auto* d = std::get_if<SendDatagram>(&e)) {
        bytes = d->bytes;
        to = d->remote;
      } else if (auto* ws = std::get_if<WriteStream>(&e)) {
        bytes = ws->bytes;
        to = streams.count(ws->stream.value) ? streams[ws->stream.value] : Address{};
      } else {
        continue;
      }
      auto m = sip::Message::parse(bytes);
      if (!m || !m->call_id().starts_with("prop-")) continue;  // probes and the like: not ours
      if (m->is_response()) {
        EXPECT_EQ(to, from.address) << what << " → a response went to " << to.to_string();
        continue;
      }
      ++forwarded;
      EXPECT_TRUE(may_reach(who, state, classify(to)))
          << what << " → " << name(classify(to)) << " " << to.to_string();
    }
    w.out.clear();
    // A stray 200 with our Via on top, naming any host below it: relayed nowhere.
    w.receive(from, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKstray" +
                        std::to_string(n) +
                        "\r\nVia: SIP/2.0/UDP 198.51.100.99:5060;branch=z9hG4bKv\r\n"
                        "From: <sip:a@office.example>;tag=1\r\nTo: <sip:b@office.example>;tag=2\r\n"
                        "Call-ID: prop-stray\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(w.take_sent().empty()) << what << ": a stray response was relayed";
  }
  // (In mode off nobody is challenged: the "authenticated" sender has no credentials there.)
  if (who == Who::Trusted || (who == Who::Authenticated && !w.challenge.empty())) {
    EXPECT_EQ(w.node.counters().exit_refused, refused_before)
        << "trusted and authenticated senders keep their freedom";
  }
  // The property is not vacuous: the matrix makes the proxy forward something in every state
  // but off (a registered phone, the ITSP or the gateway is always somebody's exit).
  if (state != State::Off && who != Who::Untrusted) {
    EXPECT_GT(forwarded, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllStatesAndSenders, ExitProperty,
    ::testing::Combine(::testing::Values(State::Standalone, State::ViaItspUp, State::ViaItspDown,
                                         State::TrunkUp, State::TrunkDown, State::Off),
                       ::testing::Values(Who::Trusted, Who::Authenticated, Who::Untrusted,
                                         Who::Gateway, Who::Itsp)),
    [](const auto& info) {
      std::string s = std::string(name(std::get<0>(info.param))) + "_" + name(std::get<1>(info.param));
      for (auto& c : s) {
        if (c == '/') c = '_';
      }
      return s;
    });

}  // namespace
}  // namespace resproxy::routing::testing
