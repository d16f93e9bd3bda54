// Cheap rejection, bans and caps (issue #10 point 6 and 7) on the hand clock: challenges and
// refusals to unverified sources are one datagram each (no Timer G), within the amplification
// budget; a flooding source is banned before parsing while the office goes on; untrusted
// traffic to the ITSP and the number of transactions are capped.
#include <gtest/gtest.h>

#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Phone kAttacker{"evil", {"203.0.113.66", 5060}};
const Address kGw{"192.168.1.5", 5060};
const Address kItspAddr{"198.51.100.10", 5060};

ProxyConfig config(ProxyMode mode = ProxyMode::Standalone) {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = mode;
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.pstn_gateway.address = kGw;
  c.auth_users.push_back({"6666", "s3cret"});
  if (mode != ProxyMode::Standalone) {
    ItspTarget t;
    t.name = "itsp.example";
    t.destination = transport::Destination{Transport::Udp, kItspAddr, StreamId{}};
    c.itsp.monitor.targets.push_back(t);
  }
  return c;
}

std::string call(const Phone& from, std::string_view ruri, std::string_view branch) {
  return sip::make_request(
      "INVITE", ruri,
      {{"Via", from.via(branch)}, {"Max-Forwards", "70"},
       {"From", "<sip:" + from.user + "@office.example>;tag=f" + std::string(branch)},
       {"To", "<" + std::string(ruri) + ">"}, {"Call-ID", "c-" + std::string(branch)},
       {"CSeq", "1 INVITE"}, {"Contact", "<" + from.contact() + ">"}});
}

std::size_t bytes_to(const std::vector<ProxyFixture::Sent>& sent, const Address& to) {
  std::size_t n = 0;
  for (const auto& s : sent) n += s.to == to ? s.bytes.size() : 0;
  return n;
}

TEST(StatelessRejection, AChallengeToAnUnverifiedSourceIsSentOnceNeverRetransmitted) {
  ProxyFixture f(config());
  const std::string invite = call(kAttacker, "sip:0900123456@office.example", "z9hG4bKs1");
  f.receive(kAttacker, invite);
  auto challenge = parse(f.expect_one("SIP/2.0 407").bytes);
  EXPECT_EQ(f.node.counters().answered_statelessly, 1u);
  // Never ACKed: before, Timer G resent the 407 about ten times over 32 s (a UDP reflector).
  f.advance(std::chrono::seconds(40));
  EXPECT_TRUE(f.take_sent().empty());
  // No transaction was kept for it.
  EXPECT_EQ(f.counter("server_transactions"), 0u);
  // Its ACK (our stateless To tag) is recognised and goes nowhere.
  const std::string ack = sip::make_request(
      "ACK", "sip:2001@192.168.1.21:5060",
      {{"Via", kAttacker.via("z9hG4bKs1")}, {"Max-Forwards", "70"},
       {"From", "<sip:evil@office.example>;tag=fz9hG4bKs1"},
       {"To", std::string(challenge.first(sip::HeaderId::To)->value)},
       {"Call-ID", "c-z9hG4bKs1"}, {"CSeq", "1 ACK"}});
  f.receive(kAttacker, ack);
  EXPECT_TRUE(f.take_sent().empty());
  EXPECT_EQ(f.node.counters().exit_refused, 0u);  // absorbed before any routing
  // A retransmitted INVITE is a new question: answered again, once.
  f.receive(kAttacker, invite);
  f.expect_one("SIP/2.0 407");
}

TEST(StatelessRejection, ATrustedPhonesRefusalIsStillRetransmittedUntilAcked) {
  ProxyFixture f(config());
  std::string invite = call(bob(), "sip:2001@office.example", "z9hG4bKt1");
  invite.replace(invite.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  f.receive(bob(), invite);
  f.expect_one("SIP/2.0 483");
  f.advance(std::chrono::milliseconds(600));  // Timer G (T1): the RFC 3261 reliability stays
  f.expect_one("SIP/2.0 483");
  EXPECT_EQ(f.node.counters().answered_statelessly, 0u);
}

TEST(StatelessRejection, WeNeverSendAnUntrustedSourceMoreThanThreeTimesItsBytes) {
  auto c = config();
  c.flood.untrusted_rate = 1000;  // let every request in: the budget is what is tested
  c.flood.untrusted_burst = 1000;
  ProxyFixture f(c);
  std::size_t in = 0, out = 0;
  for (int i = 0; i < 200; ++i) {
    // Small requests, big answers: an OPTIONS-sized INVITE gets a 407 with two challenges.
    const std::string r = sip::make_request(
        "INVITE", "sip:0@office.example",
        {{"Via", "SIP/2.0/UDP 203.0.113.66;branch=z9hG4bK" + std::to_string(i)},
         {"From", "<sip:e@x>;tag=" + std::to_string(i)}, {"To", "<sip:0@x>"},
         {"Call-ID", std::to_string(i)}, {"CSeq", "1 INVITE"}});
    in += r.size();
    f.receive(kAttacker, r);
    out += bytes_to(f.take_sent(), kAttacker.address);
    f.advance(std::chrono::milliseconds(20));
  }
  EXPECT_LE(out, 3 * in) << "in " << in << " out " << out;
  EXPECT_GT(out, 0u);
  EXPECT_GT(f.node.counters().answers_suppressed, 0u);
}

TEST(Flood, AFloodingSourceIsBannedBeforeParsingWhileTheOfficeGoesOn) {
  ProxyFixture f(config());
  f.register_phone(alice());
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    f.node.on_datagram(f.now, kAttacker.path(),
                       call(kAttacker, "sip:0900@office.example", "z9hG4bKf" + std::to_string(i)));
    f.drain();
    answered += static_cast<int>(f.take_sent().size());
  }
  EXPECT_LE(answered, 60);  // its burst
  EXPECT_EQ(f.node.counters().sources_banned, 1u);
  EXPECT_TRUE(f.trace.contains("security.source_banned"));
  const auto bans = f.command_as<admin::Bans>(admin::ShowBans{});
  ASSERT_EQ(bans.rows.size(), 1u);
  EXPECT_EQ(bans.rows[0].source, "203.0.113.66");
  EXPECT_EQ(bans.rows[0].seconds_left, 60);
  // The office's phone is not touched by it.
  f.receive(bob(), call(bob(), "sip:2001@office.example", "z9hG4bKok"));
  EXPECT_EQ(f.expect_one("INVITE sip:2001@192.168.1.21:5060").to, alice().address);
  // Banned: dropped, not answered, for the ban's time; `unban` lifts it.
  f.advance(std::chrono::seconds(30));
  f.take_sent();  // the call to alice's retransmissions meanwhile
  f.receive(kAttacker, call(kAttacker, "sip:0900@office.example", "z9hG4bKlater"));
  EXPECT_TRUE(f.take_sent().empty());
  EXPECT_TRUE(std::holds_alternative<admin::Refused>(f.command(admin::Unban{"203.0.113.67"})));
  EXPECT_TRUE(std::holds_alternative<admin::Done>(f.command(admin::Unban{"203.0.113.66"})));
  f.receive(kAttacker, call(kAttacker, "sip:0900@office.example", "z9hG4bKafter"));
  f.expect_one("SIP/2.0 407");
  EXPECT_TRUE(f.command_as<admin::Bans>(admin::ShowBans{}).rows.empty());
}

TEST(Flood, UntrustedTrafficRelayedToTheItspIsCapped) {
  ProxyFixture f(config(ProxyMode::ForwardItsp));
  int to_itsp = 0, unavailable = 0;
  for (int i = 0; i < 200; ++i) {
    const Phone from{"p", {"203.0.113." + std::to_string(i % 250 + 1), 5060}};
    f.receive(from, call(from, "sip:0900123456@office.example", "z9hG4bKi" + std::to_string(i)));
    for (const auto& s : f.take_sent()) {
      to_itsp += s.to == kItspAddr && s.bytes.starts_with("INVITE");
      unavailable += s.bytes.starts_with("SIP/2.0 503");
    }
  }
  EXPECT_EQ(to_itsp, 50);  // untrusted_to_itsp_rate: 50/s, one second's worth at once
  EXPECT_EQ(unavailable, 150);
  EXPECT_EQ(f.node.counters().itsp_capped, 150u);
  // The office's own calls are not part of that cap.
  f.receive(bob(), call(bob(), "sip:0900123456@office.example", "z9hG4bKbob"));
  bool reached = false;
  for (const auto& s : f.take_sent()) reached |= s.to == kItspAddr && s.bytes.starts_with("INVITE");
  EXPECT_TRUE(reached);
}

TEST(Flood, NewCallsGet503AboveTheTransactionCap) {
  auto c = config();
  c.max_transactions = 5;
  ProxyFixture f(c);
  f.register_phone(alice());
  int unavailable = 0;
  for (int i = 0; i < 10; ++i) {
    f.receive(bob(), call(bob(), "sip:2001@office.example", "z9hG4bKm" + std::to_string(i)));
    for (const auto& s : f.take_sent()) unavailable += s.bytes.starts_with("SIP/2.0 503");
  }
  EXPECT_GT(unavailable, 0);
  EXPECT_EQ(f.node.counters().overload_rejected, static_cast<std::uint64_t>(unavailable));
}

TEST(Overload, NewRequestsGet503WhileDatagramsWaitTooLongAndDialogsGoOn) {
  ProxyFixture f(config());
  f.register_phone(alice());
  f.node.on_receive_delay(f.now, std::chrono::milliseconds(50));  // busy, not overloaded
  EXPECT_FALSE(f.node.overloaded(f.now));
  f.node.on_receive_delay(f.now, std::chrono::milliseconds(350));
  EXPECT_TRUE(f.node.overloaded(f.now));
  // New work from outside waits.
  f.receive(kAttacker, call(kAttacker, "sip:2001@office.example", "z9hG4bKo0"));
  auto busy = parse(f.expect_one("SIP/2.0 503").bytes);
  ASSERT_NE(busy.first(sip::HeaderId::RetryAfter), nullptr);
  // The office's own new call goes on: the flood is not its fault.
  f.receive(bob(), call(bob(), "sip:2001@office.example", "z9hG4bKo1"));
  f.expect_one("INVITE sip:2001@192.168.1.21:5060");
  // Badly overloaded (5x the delay): the office's new work waits too.
  f.node.on_receive_delay(f.now, std::chrono::milliseconds(1200));
  f.receive(bob(), call(bob(), "sip:2001@office.example", "z9hG4bKo1b"));
  f.expect_one("SIP/2.0 503");
  // An in-dialog request goes on.
  f.receive(bob(), sip::make_request(
                       "BYE", "sip:2001@192.168.1.21:5060",
                       {{"Via", bob().via("z9hG4bKo2")}, {"Max-Forwards", "70"},
                        {"From", "<sip:2002@office.example>;tag=a"},
                        {"To", "<sip:2001@office.example>;tag=b"}, {"Call-ID", "d"}, {"CSeq", "2 BYE"}}));
  EXPECT_EQ(f.expect_one("BYE sip:2001@192.168.1.21:5060").to, alice().address);
  // So does an emergency call.
  f.receive(bob(), call(bob(), "sip:112@office.example", "z9hG4bKo3"));
  bool to_gateway = false;
  for (const auto& s : f.take_sent()) to_gateway |= s.to == kGw && s.bytes.starts_with("INVITE");
  EXPECT_TRUE(to_gateway);
  // A second later, without another slow batch, it is over.
  f.advance(std::chrono::milliseconds(1100));
  f.take_sent();
  EXPECT_FALSE(f.node.overloaded(f.now));
  f.receive(bob(), call(bob(), "sip:2001@office.example", "z9hG4bKo4"));
  f.expect_one("INVITE sip:2001@192.168.1.21:5060");
  EXPECT_EQ(f.node.counters().overload_episodes, 1u);
  EXPECT_EQ(f.node.counters().overload_rejected, 2u);
}

}  // namespace
}  // namespace resproxy::routing::testing
