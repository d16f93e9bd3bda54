// ProxyNode in forward_itsp / sip_trunk: forwarding to the ITSP, registration caching, failure
// operation and the failover of live traffic, on a hand clock (proxy_fixture.h).
#include <gtest/gtest.h>

#include "proxy/native/openssl_crypto.h"
#include "proxy/routing/forwarding.h"
#include "proxy/security/digest.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Phone kItsp{"itsp", kTestItspAddress};
const Phone kGateway{"gw", {"192.168.1.5", 5060}};

ProxyConfig itsp_config(ProxyMode mode = ProxyMode::ForwardItsp) {
  ProxyConfig c = itsp_test_config(mode);
  c.pstn_gateway.address = kGateway.address;
  return c;
}

// Sent messages that start with `prefix` and go to `to`.
std::vector<ProxyFixture::Sent> sent_to(std::vector<ProxyFixture::Sent>& sent, std::string_view prefix,
                                        const Address& to) {
  std::vector<ProxyFixture::Sent> out;
  for (auto& s : sent) {
    if (std::string_view(s.bytes).starts_with(prefix) && s.to == to) out.push_back(s);
  }
  return out;
}

struct ItspFixture : ProxyFixture {
  explicit ItspFixture(ProxyConfig c = itsp_config()) : ProxyFixture(std::move(c)) {}

  // Answers every pending OPTIONS probe to the ITSP with `status` (0: drops them).
  void answer_probes(std::vector<Sent>& sent, int status) {
    for (auto& p : sent_to(sent, "OPTIONS", kItsp.address)) {
      if (status != 0) receive(kItsp, sip::make_response(parse(p.bytes), status, "OK", "itsp"));
    }
  }
  // Time passes with the ITSP answering its probes (other messages sent meanwhile are dropped).
  void advance_alive(Duration d) {
    for (Duration done{}; done < d; done += 1s) {
      advance(1s);
      auto sent = take_sent();
      answer_probes(sent, 200);
      take_sent();
    }
  }
  // Takes the ITSP down: probes unanswered until the monitor gives up on it.
  void itsp_goes_dark() {
    for (int i = 0; i < 8 && !node.in_failure_operation(); ++i) advance(5s);
    ASSERT_TRUE(node.in_failure_operation());
    take_sent();
  }
  // A phone registered through the ITSP (its 200 cached).
  void register_via_itsp(const Phone& phone, int granted = 3600) {
    receive(phone, register_request(phone));
    auto sent = take_sent();
    auto fwd = sent_to(sent, "REGISTER", kItsp.address);
    ASSERT_EQ(fwd.size(), 1u);
    auto reg = parse(fwd[0].bytes);
    receive(kItsp, sip::make_response(reg, 200, "OK", "itsp",
                                      {{"Contact", "<" + phone.contact() + ">;expires=" +
                                                       std::to_string(granted)}}));
    auto relayed = expect_one("SIP/2.0 200");
    ASSERT_EQ(relayed.to, phone.address);
  }
};

TEST(Resilience, ProbesTheItspWithOptionsAtStart) {
  ItspFixture f;
  f.advance(1ms);
  auto sent = f.take_sent();
  auto probes = sent_to(sent, "OPTIONS sip:198.51.100.10:5060", kItsp.address);
  EXPECT_EQ(probes.size(), 1u);
  EXPECT_FALSE(f.node.in_failure_operation());
}

TEST(Resilience, NormalOperationForwardsRegisterWithPathAndCachesTheItspsAnswer) {
  ItspFixture f;
  f.receive(alice(), f.register_request(alice()));
  auto sent = f.take_sent();
  auto fwd = sent_to(sent, "REGISTER sip:office.example", kItsp.address);
  ASSERT_EQ(fwd.size(), 1u);
  auto reg = parse(fwd[0].bytes);
  EXPECT_NE(fwd[0].bytes.find("\r\nPath: <sip:192.168.1.10:5060;lr>\r\n"), std::string::npos);
  EXPECT_EQ(f.node.binding_count(), 0u);  // nothing cached before the ITSP said yes
  f.receive(kItsp, sip::make_response(reg, 200, "OK", "itsp",
                                      {{"Contact", "<" + alice().contact() + ">;expires=1800"}}));
  auto ok = f.expect_one("SIP/2.0 200");
  EXPECT_EQ(ok.to, alice().address);
  ASSERT_EQ(f.node.binding_count(), 1u);
  const auto shown = f.show_reg();
  ASSERT_EQ(shown.rows.size(), 1u);
  const auto& row = shown.rows[0];
  EXPECT_EQ(row.user, "2001");
  EXPECT_TRUE(row.aliases.empty());
  EXPECT_EQ(row.contact, "sip:2001@192.168.1.21:5060");
  EXPECT_EQ(row.source, "192.168.1.21:5060");
  EXPECT_EQ(row.transport, "udp");
  EXPECT_EQ(row.expires_in_s, 1800);
  EXPECT_TRUE(row.from_itsp);
  ASSERT_FALSE(f.writes.empty());  // durable: survives a crash during the outage
}

TEST(Resilience, TheItspsRefusalIsRelayedAndNotCached) {
  ItspFixture f;
  f.receive(alice(), f.register_request(alice()));
  auto sent = f.take_sent();
  auto reg = parse(sent_to(sent, "REGISTER", kItsp.address).at(0).bytes);
  f.receive(kItsp, sip::make_response(reg, 401, "Unauthorized", "itsp",
                                      {{"WWW-Authenticate", "Digest realm=\"x\", nonce=\"n\""}}));
  f.expect_one("SIP/2.0 401");
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(Resilience, AnUnregisterAnsweredByTheItspLeavesTheCache) {
  ItspFixture f;
  f.register_via_itsp(alice());
  ASSERT_EQ(f.node.binding_count(), 1u);
  f.receive(alice(), f.register_request(alice(), 0));
  auto sent = f.take_sent();
  auto reg = parse(sent_to(sent, "REGISTER", kItsp.address).at(0).bytes);
  f.receive(kItsp, sip::make_response(reg, 200, "OK", "itsp"));
  f.expect_one("SIP/2.0 200");
  EXPECT_EQ(f.node.binding_count(), 0u);
  // …and a REGISTER right after it is cached again.
  f.register_via_itsp(alice());
  EXPECT_EQ(f.node.binding_count(), 1u);
}

TEST(Resilience, RegForwardingTimeoutDropsTheCacheEntryAndALateAnswerIsRelayedNotCached) {
  auto c = itsp_config();
  c.itsp.answer_timeout = Duration::zero();  // only the seed's timeout
  c.itsp.reg_forwarding_timeout = 10s;
  ItspFixture f(c);
  f.register_via_itsp(alice());
  ASSERT_EQ(f.node.binding_count(), 1u);
  f.receive(alice(), f.register_request(alice()));
  auto sent = f.take_sent();
  auto reg = parse(sent_to(sent, "REGISTER", kItsp.address).at(0).bytes);
  f.advance(10s);
  EXPECT_EQ(f.node.binding_count(), 0u);
  f.take_sent();
  f.receive(kItsp, sip::make_response(reg, 200, "OK", "itsp",
                                      {{"Contact", "<" + alice().contact() + ">;expires=1800"}}));
  EXPECT_EQ(f.expect_one("SIP/2.0 200").to, alice().address);
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(Resilience, NormalOperationSendsEveryCallToTheItspEvenForRegisteredPhones) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKn1"));
  auto sent = f.take_sent();
  auto fwd = sent_to(sent, "INVITE sip:2001@office.example", kItsp.address);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_NE(fwd[0].bytes.find("Record-Route: <sip:192.168.1.10:5060;lr;rp="), std::string::npos);
}

TEST(Resilience, SipTrunkRoutesRegisteredPhonesLocallyAndTheRestToTheItsp) {
  ItspFixture f(itsp_config(ProxyMode::SipTrunk));
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKt1"));
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21", alice().address).size(), 1u);
  f.receive(bob(), f.invite(bob(), "sip:01344784900@office.example", "z9hG4bKt2"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:01344784900@office.example", kItsp.address).size(), 1u);
}

TEST(Resilience, ProbesThatGoUnansweredPutTheProxyInFailureOperation) {
  ItspFixture f;
  f.itsp_goes_dark();
  const auto itsp = f.command_as<admin::ItspStatus>(admin::ShowItsp{});
  EXPECT_TRUE(itsp.failure_operation);
  ASSERT_EQ(itsp.proxies.size(), 1u);
  EXPECT_EQ(itsp.proxies[0].state, "Inactive");
}

TEST(Resilience, FailureOperationServesTheSeedsTable) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.itsp_goes_dark();
  // trusted phone → registered phone: to it
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKf1"));
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address).size(), 1u);
  // trusted phone → unregistered number: to the PSTN gateway
  f.receive(bob(), f.invite(bob(), "sip:01344784900@office.example", "z9hG4bKf2"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:01344784900@192.168.1.5:5060", kGateway.address).size(), 1u);
  // the gateway → unregistered number: 404, never back to the gateway (toll fraud)
  f.receive(kGateway, f.invite(kGateway, "sip:01632960000@office.example", "z9hG4bKf3"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "SIP/2.0 404", kGateway.address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "INVITE", kGateway.address).empty());
  // the gateway → registered phone: to it
  f.receive(kGateway, f.invite(kGateway, "sip:2001@office.example", "z9hG4bKf4"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address).size(), 1u);
  // untrusted → unregistered: 404; untrusted → registered: to it
  Phone stranger{"6666", {"203.0.113.5", 5060}};
  f.receive(stranger, f.invite(stranger, "sip:0900123456@office.example", "z9hG4bKf5"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "SIP/2.0 404", stranger.address).size(), 1u);
  f.receive(stranger, f.invite(stranger, "sip:2001@office.example", "z9hG4bKf6"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address).size(), 1u);
}

TEST(Resilience, FailureOperationRegistersTrustedPhonesLocallyWithTheShortExpiry) {
  ItspFixture f;
  f.itsp_goes_dark();
  f.receive(bob(), f.register_request(bob(), 3600));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  const auto* contact = ok.first(sip::HeaderId::Contact);
  ASSERT_NE(contact, nullptr);
  EXPECT_NE(contact->value.find("expires=60"), std::string::npos) << contact->value;
  Phone stranger{"6666", {"203.0.113.5", 5060}};
  f.receive(stranger, f.register_request(stranger));
  f.expect_one("SIP/2.0 403");
  EXPECT_EQ(f.node.binding_count(), 1u);
}

TEST(Resilience, CachedRegistrationsDoNotExpireWhileTheItspIsDown) {
  ItspFixture f;
  f.register_via_itsp(alice(), 120);
  f.itsp_goes_dark();
  f.advance(10min);
  EXPECT_EQ(f.node.binding_count(), 1u);
  f.take_sent();
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKx1"));
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE", alice().address).size(), 1u);
}

TEST(Resilience, AnInviteTheItspDoesNotAnswerFailsOverWithinTheAnswerTimeout) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKl1"));
  auto sent = f.take_sent();
  ASSERT_EQ(sent_to(sent, "INVITE", kItsp.address).size(), 1u);
  f.advance(1999ms);
  sent = f.take_sent();
  EXPECT_TRUE(sent_to(sent, "INVITE", alice().address).empty());
  f.advance(1ms);
  sent = f.take_sent();
  auto local = sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address);
  ASSERT_EQ(local.size(), 1u);
  EXPECT_EQ(f.node.counters().failovers, 1u);
  // The caller hears the phone's answer.
  auto fwd = parse(local[0].bytes);
  f.receive(alice(), sip::make_response(fwd, 200, "OK", "callee"));
  EXPECT_EQ(f.expect_one("SIP/2.0 200").to, bob().address);
}

TEST(Resilience, ALate2xxFromTheItspAfterFailoverIsAckedAndHungUpNotRelayed) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKg1"));
  auto sent = f.take_sent();
  auto to_itsp = parse(sent_to(sent, "INVITE", kItsp.address).at(0).bytes);
  f.advance(2s);
  f.take_sent();
  f.receive(kItsp, sip::make_response(to_itsp, 200, "OK", "ghost",
                                      {{"Contact", "<sip:2001@198.51.100.20:5060>"}}));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "ACK sip:2001@198.51.100.20:5060", kItsp.address).size(), 1u);
  EXPECT_EQ(sent_to(sent, "BYE sip:2001@198.51.100.20:5060", kItsp.address).size(), 1u);
  for (const auto& s : sent) EXPECT_FALSE(s.bytes.starts_with("SIP/2.0 200") && s.to == bob().address);
  // Its retransmission is absorbed too.
  f.receive(kItsp, sip::make_response(to_itsp, 200, "OK", "ghost",
                                      {{"Contact", "<sip:2001@198.51.100.20:5060>"}}));
  sent = f.take_sent();
  EXPECT_TRUE(sent_to(sent, "SIP/2.0 200", bob().address).empty());
  EXPECT_EQ(f.node.counters().late_answers_hung_up, 1u);
}

TEST(Resilience, ALateProvisionalFromTheItspAfterFailoverIsCancelled) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKp1"));
  auto sent = f.take_sent();
  auto to_itsp = parse(sent_to(sent, "INVITE", kItsp.address).at(0).bytes);
  f.advance(2s);
  f.take_sent();
  f.receive(kItsp, sip::make_response(to_itsp, 180, "Ringing", "late"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "CANCEL", kItsp.address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "SIP/2.0 180", bob().address).empty());
}

TEST(Resilience, BusyAndDeclineFromTheItspAreRelayedNeverFailedOver) {
  for (int status : {486, 603, 404}) {
    ItspFixture f;
    f.register_via_itsp(alice());
    f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKb" + std::to_string(status)));
    auto sent = f.take_sent();
    auto to_itsp = parse(sent_to(sent, "INVITE", kItsp.address).at(0).bytes);
    f.receive(kItsp, sip::make_response(to_itsp, status, "No", "itsp"));
    sent = f.take_sent();
    EXPECT_EQ(sent_to(sent, "SIP/2.0 " + std::to_string(status), bob().address).size(), 1u);
    EXPECT_TRUE(sent_to(sent, "INVITE", alice().address).empty());
    EXPECT_EQ(f.node.counters().failovers, 0u);
  }
}

TEST(Resilience, A503FromTheItspFailsTheCallOverAndMakesTheItspSuspect) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bK5031"));
  auto sent = f.take_sent();
  auto to_itsp = parse(sent_to(sent, "INVITE", kItsp.address).at(0).bytes);
  f.receive(kItsp, sip::make_response(to_itsp, 100, "Trying", ""));
  f.receive(kItsp, sip::make_response(to_itsp, 503, "Service Unavailable", "itsp",
                                      {{"Retry-After", "30"}}));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "SIP/2.0 5", bob().address).empty());
  EXPECT_EQ(f.command_as<admin::ItspStatus>(admin::ShowItsp{}).proxies.at(0).state, "Probing");
}

TEST(Resilience, NoFailoverAfterTheCallerCancelled) {
  ItspFixture f;
  f.register_via_itsp(alice());
  const std::string inv = f.invite(bob(), "sip:2001@office.example", "z9hG4bKc1");
  f.receive(bob(), inv);
  auto sent = f.take_sent();
  auto to_itsp = parse(sent_to(sent, "INVITE", kItsp.address).at(0).bytes);
  f.receive(kItsp, sip::make_response(to_itsp, 180, "Ringing", "itsp"));
  f.receive(bob(), sip::make_cancel(parse(inv)));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "CANCEL", kItsp.address).size(), 1u);
  f.receive(kItsp, sip::make_response(to_itsp, 503, "Service Unavailable", "itsp"));
  sent = f.take_sent();
  EXPECT_TRUE(sent_to(sent, "INVITE", alice().address).empty());
  EXPECT_EQ(f.node.counters().failovers, 0u);
}

TEST(Resilience, ARegisterTheItspDoesNotAnswerIsServedLocally) {
  ItspFixture f;
  f.receive(bob(), f.register_request(bob()));
  auto sent = f.take_sent();
  ASSERT_EQ(sent_to(sent, "REGISTER", kItsp.address).size(), 1u);
  f.advance(2s);
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_NE(ok.first(sip::HeaderId::Contact)->value.find("expires=60"), std::string::npos);
  EXPECT_EQ(f.node.binding_count(), 1u);
}

TEST(Resilience, EmergencyNumbersGoStraightToTheGatewayEvenInNormalOperation) {
  ItspFixture f;
  f.receive(bob(), f.invite(bob(), "sip:112@office.example", "z9hG4bKe1"));
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:112@192.168.1.5:5060", kGateway.address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "INVITE", kItsp.address).empty());
}

TEST(Resilience, TheItspsCallAlongOurPathReachesThePhone) {
  ItspFixture f;
  f.register_via_itsp(alice());
  const std::string inv = sip::make_request(
      "INVITE", alice().contact(),
      {{"Via", kItsp.via("z9hG4bKin1")},
       {"Route", "<sip:192.168.1.10:5060;lr>"},
       {"Max-Forwards", "70"},
       {"From", "<sip:+441632960000@itsp.example>;tag=x"},
       {"To", "<sip:2001@office.example>"},
       {"Call-ID", "inbound-1"},
       {"CSeq", "1 INVITE"},
       {"Contact", "<sip:198.51.100.10:5060>"}});
  f.receive(kItsp, inv);
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:2001@192.168.1.21:5060", alice().address).size(), 1u);
}

TEST(Resilience, IgnoredSourcesGetNoAnswerAndRejectedOnesGet403) {
  auto c = itsp_config(ProxyMode::Standalone);
  c.ignored.push_back(*security::IpRange::from_bounds("192.168.1.22", "192.168.1.22"));
  c.rejected.push_back(*security::IpRange::from_bounds("192.168.1.21", "192.168.1.21"));
  ItspFixture f(c);
  f.receive(bob(), f.register_request(bob()));
  EXPECT_TRUE(f.take_sent().empty());
  f.receive(alice(), f.register_request(alice()));
  f.expect_one("SIP/2.0 403");
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(Resilience, KillRegRemovesTheEntryAndItsDurableRecord) {
  ItspFixture f;
  f.register_via_itsp(alice());
  f.register_via_itsp(bob());
  const auto before = f.writes.size();
  // Answered only once the record is deleted from the store.
  f.auto_store = false;
  f.node.on_command(f.now, AdminCommand{1, admin::KillRegistration{1}});
  f.drain();
  EXPECT_FALSE(f.take_reply(1).has_value());
  EXPECT_EQ(f.node.binding_count(), 1u);
  ASSERT_EQ(f.writes.size(), before + 1);
  ASSERT_EQ(f.writes.back().records.size(), 1u);
  EXPECT_FALSE(f.writes.back().records[0].value.has_value());
  f.node.on_completion(f.now, StoreDone{f.writes.back().id, StoreOutcome::Ok});
  f.drain();
  const auto done = f.take_reply(1);
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(std::holds_alternative<admin::Done>(*done));
  EXPECT_NE(std::get<admin::Done>(*done).what.find("killed 1 2001"), std::string::npos);
  // A failed delete is said so: the record comes back after a restart.
  f.node.on_command(f.now, AdminCommand{2, admin::KillRegistration{1}});
  f.drain();
  f.node.on_completion(f.now, StoreDone{f.writes.back().id, StoreOutcome::Failed});
  f.drain();
  const auto failed = f.take_reply(2);
  ASSERT_TRUE(failed.has_value());
  ASSERT_TRUE(std::holds_alternative<admin::Refused>(*failed));
  EXPECT_NE(std::get<admin::Refused>(*failed).reason.find("returns after a restart"), std::string::npos);
  EXPECT_EQ(f.node.binding_count(), 0u);
  f.auto_store = true;
  EXPECT_TRUE(std::holds_alternative<admin::Refused>(f.command(admin::KillRegistration{5})));
}

}  // namespace
}  // namespace resproxy::routing::testing

namespace resproxy::routing::testing {
namespace {

ProxyConfig auth_config() {
  auto c = itsp_config(ProxyMode::Standalone);
  c.auth_users.push_back({"6666", "s3cret"});
  c.auth_users.push_back({"7777", "other"});
  return c;
}

std::string header_value(const sip::Message& m, sip::HeaderId id) {
  const auto* h = m.first(id);
  return h ? std::string(h->value) : std::string();
}

// The request with an extra credentials header answering `challenge`.
std::string with_credentials(std::string request, std::string_view name, const std::string& value) {
  const auto end = request.find("\r\n\r\n");
  request.insert(end, "\r\n" + std::string(name) + ": " + value);
  return request;
}

const Phone kRemote{"6666", {"203.0.113.5", 5060}};

TEST(Auth, AnUntrustedPhoneRegistersAfterAnsweringTheDigestChallenge) {
  ItspFixture f(auth_config());
  const std::string reg = f.register_request(kRemote);
  f.receive(kRemote, reg);
  auto challenge = parse(f.expect_one("SIP/2.0 401").bytes);
  const std::string www = header_value(challenge, sip::HeaderId::WwwAuthenticate);
  EXPECT_NE(www.find("algorithm=SHA-256"), std::string::npos) << www;
  EXPECT_NE(www.find("realm=\"office.example\""), std::string::npos) << www;
  auto answer = security::answer_challenge(native::openssl_crypto(), www, "REGISTER", "sip:office.example", "6666", "s3cret",
                                           "c0ffee", 1);
  ASSERT_TRUE(answer.has_value());
  const std::string authed = with_credentials(f.register_request(kRemote), "Authorization", *answer);
  f.receive(kRemote, authed);
  f.expect_one("SIP/2.0 200");
  EXPECT_EQ(f.node.binding_count(), 1u);
  // The same credentials again (same nonce, same nc): a replay, challenged with stale=true.
  f.receive(kRemote, with_credentials(f.register_request(kRemote), "Authorization", *answer));
  auto stale = parse(f.expect_one("SIP/2.0 401").bytes);
  EXPECT_NE(header_value(stale, sip::HeaderId::WwwAuthenticate).find("stale=true"), std::string::npos);
}

TEST(Auth, AWrongPasswordIsChallengedAgainAndNothingIsRegistered) {
  ItspFixture f(auth_config());
  f.receive(kRemote, f.register_request(kRemote));
  auto challenge = parse(f.expect_one("SIP/2.0 401").bytes);
  auto answer = security::answer_challenge(native::openssl_crypto(), header_value(challenge, sip::HeaderId::WwwAuthenticate),
                                           "REGISTER", "sip:office.example", "6666", "guess", "c", 1);
  ASSERT_TRUE(answer.has_value());
  f.receive(kRemote, with_credentials(f.register_request(kRemote), "Authorization", *answer));
  f.expect_one("SIP/2.0 401");
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(Auth, AnotherUsersCredentialsDoNotRegisterThisUser) {
  ItspFixture f(auth_config());
  f.receive(kRemote, f.register_request(kRemote));
  auto challenge = parse(f.expect_one("SIP/2.0 401").bytes);
  auto answer = security::answer_challenge(native::openssl_crypto(), header_value(challenge, sip::HeaderId::WwwAuthenticate),
                                           "REGISTER", "sip:office.example", "7777", "other", "c", 1);
  ASSERT_TRUE(answer.has_value());
  f.receive(kRemote, with_credentials(f.register_request(kRemote), "Authorization", *answer));
  f.expect_one("SIP/2.0 403");
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(Auth, AnUntrustedCallerToAnOutsideNumberIsChallengedThenSentToTheGateway) {
  ItspFixture f(auth_config());
  const std::string inv = f.invite(kRemote, "sip:01344784900@office.example", "z9hG4bKa1");
  f.receive(kRemote, inv);
  auto sent = f.take_sent();
  auto challenges = sent_to(sent, "SIP/2.0 407", kRemote.address);
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_TRUE(sent_to(sent, "INVITE", kGateway.address).empty());
  auto answer = security::answer_challenge(native::openssl_crypto(), 
      header_value(parse(challenges[0].bytes), sip::HeaderId::ProxyAuthenticate), "INVITE",
      "sip:01344784900@office.example", "6666", "s3cret", "c", 1);
  ASSERT_TRUE(answer.has_value());
  f.receive(kRemote, with_credentials(f.invite(kRemote, "sip:01344784900@office.example", "z9hG4bKa2"),
                                      "Proxy-Authorization", *answer));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "INVITE sip:01344784900@192.168.1.5:5060", kGateway.address).size(), 1u);
}

TEST(Auth, WithoutAnAuthTableAnUntrustedRegisterIsForbidden) {
  ItspFixture f(itsp_config(ProxyMode::Standalone));
  f.receive(kRemote, f.register_request(kRemote));
  f.expect_one("SIP/2.0 403");
}

}  // namespace
}  // namespace resproxy::routing::testing

namespace resproxy::routing::testing {
namespace {

TEST(Throttling, PhonesGetTheShortExpiryAndTheirRefreshesStayLocalUntilTheGrantNearsItsEnd) {
  auto c = itsp_config();
  c.itsp.phone_reg_expires = 60s;
  ItspFixture f(c);
  // First REGISTER: to the ITSP, which grants 3600 s; the phone is told 60 s.
  f.receive(alice(), f.register_request(alice(), 3600));
  auto sent = f.take_sent();
  auto reg = parse(sent_to(sent, "REGISTER", kItsp.address).at(0).bytes);
  f.receive(kItsp, sip::make_response(reg, 200, "OK", "itsp",
                                      {{"Contact", "<" + alice().contact() + ">;expires=3600"},
                                       {"Expires", "3600"}}));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_NE(header_value(ok, sip::HeaderId::Contact).find(";expires=60"), std::string::npos)
      << header_value(ok, sip::HeaderId::Contact);
  EXPECT_EQ(header_value(ok, sip::HeaderId::Expires), "60");
  // Refreshes every 60 s: answered here while the grant has more than 120 s left.
  int forwarded = 0, local = 0;
  for (int i = 0; i < 60; ++i) {
    f.advance_alive(60s);
    f.receive(alice(), f.register_request(alice(), 3600));
    sent = f.take_sent();
    auto fwd = sent_to(sent, "REGISTER", kItsp.address);
    if (!fwd.empty()) {
      ++forwarded;
      auto r = parse(fwd[0].bytes);
      f.receive(kItsp, sip::make_response(r, 200, "OK", "itsp",
                                          {{"Contact", "<" + alice().contact() + ">;expires=3600"}}));
      f.take_sent();
    } else {
      EXPECT_EQ(sent_to(sent, "SIP/2.0 200", alice().address).size(), 1u);
      ++local;
    }
  }
  EXPECT_EQ(forwarded, 1);  // one hour of refreshes: the ITSP saw one
  EXPECT_EQ(local, 59);
  EXPECT_EQ(f.node.counters().throttled, 59u);
}

TEST(Throttling, AnotherDevicesRegisterForTheSameUserIsNotAnsweredFromTheCache) {
  auto c = itsp_config();
  c.itsp.phone_reg_expires = 60s;
  ItspFixture f(c);
  f.register_via_itsp(alice());
  Phone twin{"2001", {"192.168.1.31", 5060}};
  f.receive(twin, f.register_request(twin, 3600, "", "reg-twin"));
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "REGISTER", kItsp.address).size(), 1u);
}

TEST(Forwarding, CapRegisterExpiryCapsEveryContactAndTheExpiresHeader) {
  const auto request = parse(sip::make_request(
      "REGISTER", "sip:x", {{"Via", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa"}, {"From", "<sip:a@x>;tag=1"},
                            {"To", "<sip:a@x>"}, {"Call-ID", "c"}, {"CSeq", "1 REGISTER"}}));
  const auto response = parse(sip::make_response(
      request, 200, "OK", "t",
      {{"Contact", "\"A\" <sip:a@10.0.0.1>;expires=3600;+sip.instance=\"<urn:x>\", <sip:a@10.0.0.2>;expires=30"},
       {"Contact", "<sip:a@10.0.0.3>"},
       {"Expires", "1800"}}));
  const auto capped = parse(cap_register_expiry(response, 60));
  std::vector<std::string> contacts;
  for (const auto& h : capped.headers()) {
    if (h.id == sip::HeaderId::Contact) contacts.emplace_back(h.value);
  }
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(contacts[0], "\"A\" <sip:a@10.0.0.1>;expires=60;+sip.instance=\"<urn:x>\", <sip:a@10.0.0.2>;expires=30");
  EXPECT_EQ(contacts[1], "<sip:a@10.0.0.3>;expires=60");
  EXPECT_EQ(header_value(capped, sip::HeaderId::Expires), "60");
}

}  // namespace
}  // namespace resproxy::routing::testing

namespace resproxy::routing::testing {
namespace {

TEST(Gateway, FromActionAuthMakesTheGatewayAuthenticateBeforeItIsTreatedAsTheGateway) {
  auto c = itsp_config(ProxyMode::Standalone);
  c.pstn_gateway.from_action = GatewayFromAction::Auth;
  c.auth_users.push_back({"gw", "trunkpass"});
  c.trust_defaults = false;  // the gateway's LAN address is not trusted by range
  ItspFixture f(c);
  // Without credentials, a call from the gateway to an outside number is challenged…
  f.receive(kGateway, f.invite(kGateway, "sip:01344784900@office.example", "z9hG4bKga1"));
  auto sent = f.take_sent();
  auto challenge = sent_to(sent, "SIP/2.0 407", kGateway.address);
  ASSERT_EQ(challenge.size(), 1u);
  // …and with them it is the gateway: an unregistered number is still 404, never looped back.
  auto answer = security::answer_challenge(native::openssl_crypto(), 
      header_value(parse(challenge[0].bytes), sip::HeaderId::ProxyAuthenticate), "INVITE",
      "sip:01344784900@office.example", "gw", "trunkpass", "c", 1);
  ASSERT_TRUE(answer.has_value());
  f.receive(kGateway, with_credentials(f.invite(kGateway, "sip:01344784900@office.example", "z9hG4bKga2"),
                                       "Proxy-Authorization", *answer));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "SIP/2.0 404", kGateway.address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "INVITE", kGateway.address).empty());
}

TEST(Gateway, FromActionIgnoreDropsItAndRejectAnswers403) {
  auto c = itsp_config(ProxyMode::Standalone);
  c.pstn_gateway.from_action = GatewayFromAction::Ignore;
  {
    ItspFixture f(c);
    f.receive(kGateway, f.invite(kGateway, "sip:2001@office.example", "z9hG4bKgi"));
    EXPECT_TRUE(f.take_sent().empty());
  }
  c.pstn_gateway.from_action = GatewayFromAction::Reject;
  ItspFixture f(c);
  f.receive(kGateway, f.invite(kGateway, "sip:2001@office.example", "z9hG4bKgr"));
  f.expect_one("SIP/2.0 403");
}

TEST(Modes, OffAnswersEverything503) {
  ItspFixture f(itsp_config(ProxyMode::Off));
  f.receive(bob(), f.register_request(bob()));
  f.expect_one("SIP/2.0 503");
}

TEST(Modes, DownOtherMethodsRejectAnswers480WhileTheItspIsDown) {
  auto c = itsp_config();
  c.itsp.down_other_methods_local = false;
  ItspFixture f(c);
  f.register_via_itsp(alice());
  f.itsp_goes_dark();
  const std::string msg = sip::make_request(
      "MESSAGE", "sip:2001@office.example",
      {{"Via", bob().via("z9hG4bKm1")}, {"Max-Forwards", "70"},
       {"From", "<sip:2002@office.example>;tag=m"}, {"To", "<sip:2001@office.example>"},
       {"Call-ID", "msg-1"}, {"CSeq", "1 MESSAGE"}});
  f.receive(bob(), msg);
  auto reply = parse(f.expect_one("SIP/2.0 480").bytes);
  EXPECT_FALSE(header_value(reply, sip::HeaderId::RetryAfter).empty());
}

}  // namespace
}  // namespace resproxy::routing::testing

namespace resproxy::routing::testing {
namespace {

// The BYE of a call that went through the ITSP, coming back to us last along its route set, to
// a Contact that is not a registered one (here the gateway's): it goes to its Request-URI, never
// 404 — when our Record-Route's dialog MAC names that hop; a Route of ours without one is no
// way to the gateway.
TEST(InDialog, ARequestForAnUnregisteredContactAfterOurRouteGoesToItsRequestUri) {
  ItspFixture f;
  f.advance_alive(2s);
  // The gateway calls out through the ITSP (normal operation, from_routing = itsp).
  f.receive(kGateway, f.invite(kGateway, "sip:01344784900@office.example", "z9hG4bKgwo"));
  auto sent = f.take_sent();
  auto out = sent_to(sent, "INVITE", kItsp.address);
  ASSERT_EQ(out.size(), 1u);
  const auto invite = parse(out[0].bytes);
  const std::string route(invite.first(sip::HeaderId::RecordRoute)->value);  // the ITSP's route set
  const auto bye = [&](std::string_view with_route, std::string_view branch) {
    return sip::make_request(
        "BYE", "sip:gw@192.168.1.5:5060",
        {{"Via", kItsp.via(branch)},
         {"Route", std::string(with_route)},
         {"Max-Forwards", "69"},
         {"From", "<sip:01344784900@office.example>;tag=b"},
         {"To", "<sip:gw@office.example>;tag=fgw"},
         {"Call-ID", std::string(invite.call_id())},
         {"CSeq", "2 BYE"}});
  };
  f.receive(kItsp, bye(route, "z9hG4bKbye1"));
  sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "BYE sip:gw@192.168.1.5:5060", kGateway.address).size(), 1u);
  EXPECT_TRUE(sent_to(sent, "SIP/2.0 404", kItsp.address).empty());
  f.receive(kItsp, bye("<sip:192.168.1.10:5060;lr>", "z9hG4bKbye2"));
  sent = f.take_sent();
  EXPECT_TRUE(sent_to(sent, "BYE", kGateway.address).empty());
  EXPECT_EQ(sent_to(sent, "SIP/2.0 403", kItsp.address).size(), 1u);
}

TEST(InDialog, AnInDialogRequestWithoutOurRouteAlsoGoesToItsRequestUri) {
  ItspFixture f(itsp_config(ProxyMode::Standalone));
  const std::string bye = sip::make_request(
      "BYE", "sip:192.168.1.22:5062",
      {{"Via", alice().via("z9hG4bKbye2")},
       {"Max-Forwards", "70"},
       {"From", "<sip:2001@office.example>;tag=a"},
       {"To", "<sip:2002@office.example>;tag=b"},
       {"Call-ID", "dialog-2"},
       {"CSeq", "2 BYE"}});
  f.receive(alice(), bye);
  auto sent = f.take_sent();
  EXPECT_EQ(sent_to(sent, "BYE sip:192.168.1.22:5062", bob().address).size(), 1u);
}

}  // namespace
}  // namespace resproxy::routing::testing
