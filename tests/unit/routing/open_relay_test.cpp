// The attack review's table, row by row, on the hand clock: an untrusted, unauthenticated source
// ([sipproxy.trust] disable_all, a PSTN gateway configured) must not reach the gateway or any
// host on its own say-so (security/exit_rule.h), while dialogs we record-routed keep working
// for whoever is in them (security/dialog_mac.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy/native/openssl_crypto.h"
#include "proxy/routing/forwarding.h"
#include "proxy/security/digest.h"
#include "proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

const Phone kGateway{"gw", {"192.168.1.5", 5060}};
const Phone kAttacker{"evil", {"203.0.113.66", 5060}};
const Address kVictim{"198.51.100.99", 5060};

ProxyConfig hostile_config(ProxyMode mode = ProxyMode::Standalone) {
  ProxyConfig c = ProxyFixture::default_config();
  c.mode = mode;
  c.trust_defaults = false;  // [sipproxy.trust] disable_all = 1
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));  // the phones
  c.pstn_gateway.address = kGateway.address;
  c.auth_users.push_back({"6666", "s3cret"});
  return c;
}

std::string request(const Phone& from, std::string_view method, std::string_view ruri,
                    std::string_view branch, std::vector<sip::ExtraHeader> extra = {},
                    std::string_view to_tag = {}) {
  std::vector<sip::ExtraHeader> h{{"Via", from.via(branch)}, {"Max-Forwards", "70"}};
  h.insert(h.end(), extra.begin(), extra.end());
  h.push_back({"From", "<sip:" + from.user + "@office.example>;tag=f" + from.user});
  h.push_back({"To", "<" + std::string(ruri) + ">" + (to_tag.empty() ? "" : ";tag=" + std::string(to_tag))});
  h.push_back({"Call-ID", "call-" + std::string(branch)});
  h.push_back({"CSeq", "1 " + std::string(method)});
  h.push_back({"Contact", "<" + from.contact() + ">"});
  return sip::make_request(method, ruri, h);
}

struct HostileFixture : ProxyFixture {
  explicit HostileFixture(ProxyConfig c = hostile_config(), std::vector<StoreRecord> stored = {},
                          std::uint64_t seed = 7)
      : ProxyFixture(std::move(c), std::move(stored), seed) {}

  // Everything sent to `to` (any transport; datagrams starting with `prefix`), and whether a
  // TCP connection was opened anywhere.
  std::size_t sent_to(const Address& to, std::string_view prefix = {}) {
    std::size_t n = 0;
    for (auto& e : out) {
      if (auto* d = std::get_if<SendDatagram>(&e); d && d->remote == to && d->bytes.starts_with(prefix)) ++n;
      if (auto* o = std::get_if<OpenStream>(&e); o && o->remote == to) ++n;
    }
    return n;
  }
  bool opened_a_connection() const {
    return std::any_of(out.begin(), out.end(),
                       [](const Effect& e) { return std::holds_alternative<OpenStream>(e); });
  }
  // The attack is refused with 403 and nothing but that 403 leaves.
  void expect_refused(std::string_view what) {
    auto sent = take_sent();
    ASSERT_EQ(sent.size(), 1u) << what;
    EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 403")) << what << "\n" << sent[0].bytes;
    EXPECT_EQ(sent[0].to, kAttacker.address) << what;
  }
};

TEST(OpenRelay, APreloadedRouteToTheGatewayIsRefused) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:0900123456@office.example", "z9hG4bKa1",
                               {{"Route", "<sip:192.168.1.5;lr>"}}));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  f.expect_refused("Route to the gateway");
  EXPECT_EQ(f.node.counters().to_gateway, 0u);
  EXPECT_EQ(f.node.counters().exit_refused, 1u);
  EXPECT_TRUE(f.trace.contains("security.exit_refused"));
}

TEST(OpenRelay, AForgedToTagToTheGatewayIsRefused) {
  HostileFixture f;
  f.receive(kAttacker,
            request(kAttacker, "INVITE", "sip:0900123456@192.168.1.5", "z9hG4bKa2", {}, "forged"));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  f.expect_refused("To tag, Request-URI at the gateway");
}

TEST(OpenRelay, OurOwnRouteDoesNotCarryARequestToAnyHost) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:victim@198.51.100.99", "z9hG4bKa3",
                               {{"Route", "<sip:192.168.1.10:5060;lr>"}}));
  EXPECT_EQ(f.sent_to(kVictim), 0u);
  f.expect_refused("our Route popped, foreign Request-URI");
  // A Route of ours with a made-up dialog MAC is no better.
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:victim@198.51.100.99", "z9hG4bKa4",
                               {{"Route", "<sip:192.168.1.10:5060;lr;rp=10123456789abcdef>"}}));
  EXPECT_EQ(f.sent_to(kVictim), 0u);
  f.expect_refused("our Route with a forged MAC");
}

TEST(OpenRelay, AForgedToTagByeToAnyHostIsRefused) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "BYE", "sip:victim@198.51.100.99", "z9hG4bKa5", {}, "forged"));
  EXPECT_EQ(f.sent_to(kVictim), 0u);
  f.expect_refused("BYE with a forged To tag");
}

TEST(OpenRelay, ATcpRouteIntoTheLanOpensNoConnection) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "MESSAGE", "sip:2001@office.example", "z9hG4bKa6",
                               {{"Route", "<sip:10.9.9.9:8080;transport=tcp;lr>"}}));
  EXPECT_FALSE(f.opened_a_connection());
  f.expect_refused("MESSAGE with a TCP Route (SSRF)");
}

TEST(OpenRelay, ATlsOrSipsRouteIntoTheLanOpensNoConnectionEither) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "MESSAGE", "sip:2001@office.example", "z9hG4bKa6t",
                               {{"Route", "<sip:10.9.9.9:8443;transport=tls;lr>"}}));
  EXPECT_FALSE(f.opened_a_connection());
  f.expect_refused("MESSAGE with a TLS Route (SSRF)");
  f.receive(kAttacker, request(kAttacker, "MESSAGE", "sips:2001@10.9.9.9", "z9hG4bKa6s"));
  EXPECT_FALSE(f.opened_a_connection());
  // Standalone: a user at a host that is not ours is not found here; nothing else leaves.
  const auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 404")) << sent[0].bytes;
  EXPECT_EQ(sent[0].to, kAttacker.address);
}

TEST(OpenRelay, AStrayResponseIsNotRelayedAlongItsVias) {
  HostileFixture f;
  const std::string stray =
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKnotours\r\n"
      "Via: SIP/2.0/UDP 198.51.100.99:5060;branch=z9hG4bKvictim\r\n"
      "From: <sip:a@office.example>;tag=1\r\nTo: <sip:b@office.example>;tag=2\r\n"
      "Call-ID: stray-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  f.receive(kAttacker, stray);
  EXPECT_TRUE(f.take_sent().empty());
  EXPECT_EQ(f.node.counters().stray_responses_dropped, 1u);
}

TEST(OpenRelay, AnUntrustedCallToTheGatewayIsChallengedNotForwarded) {
  HostileFixture f;
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:0900123456@office.example", "z9hG4bKa7"));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  f.expect_one("SIP/2.0 407");
}

TEST(OpenRelay, AnEmergencyCallFromTheLanReachesTheGatewayUnauthenticated) {
  auto c = hostile_config();
  const Phone lan_stranger{"3003", {"192.168.1.77", 5060}};  // on the LAN, not trusted
  HostileFixture f(c);
  f.receive(lan_stranger, request(lan_stranger, "INVITE", "sip:112@office.example", "z9hG4bKe1"));
  EXPECT_EQ(f.sent_to(kGateway.address), 1u);
  EXPECT_EQ(f.node.counters().gateway_calls, 1u);
  const auto* call = f.trace.find("security.gateway_call");
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->field("rule"), "emergency");
  EXPECT_EQ(call->field("number"), "112");
  // From the internet, 112 is no way to the PSTN: asked for credentials (a remote phone of
  // ours would have them), nothing reaches the gateway.
  f.take_sent();
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:112@office.example", "z9hG4bKe2"));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 407")) << sent[0].bytes;
  EXPECT_EQ(sent[0].to, kAttacker.address);
}

// The caller's side of a PSTN call: an untrusted phone that authenticated its INVITE.
struct PstnCall {
  std::string route;      // the Route set it learned from the 200 (our Record-Route)
  std::string contact;    // the gateway's Contact
  std::string call_id;
  std::string to_tag;
};

const Phone kRemote{"6666", {"203.0.113.5", 5060}};

std::string with_header(std::string request, std::string_view name, const std::string& value) {
  request.insert(request.find("\r\n\r\n"), "\r\n" + std::string(name) + ": " + value);
  return request;
}

PstnCall place_pstn_call(HostileFixture& f) {
  const std::string ruri = "sip:0900123456@office.example";
  f.receive(kRemote, request(kRemote, "INVITE", ruri, "z9hG4bKp1"));
  auto challenge = parse(f.expect_one("SIP/2.0 407").bytes);
  auto answer = security::answer_challenge(native::openssl_crypto(), 
      std::string(challenge.first(sip::HeaderId::ProxyAuthenticate)->value), "INVITE", ruri, "6666",
      "s3cret", "c", 1);
  EXPECT_TRUE(answer.has_value());
  f.receive(kRemote, with_header(request(kRemote, "INVITE", ruri, "z9hG4bKp2"), "Proxy-Authorization", *answer));
  auto sent = f.take_sent();
  const auto to_gw = std::find_if(sent.begin(), sent.end(), [](const auto& s) {
    return s.to == kGateway.address && s.bytes.starts_with("INVITE");
  });
  EXPECT_NE(to_gw, sent.end());
  if (to_gw == sent.end()) return {};
  auto invite = parse(to_gw->bytes);
  // The gateway answers with the Record-Route it got (RFC 3261 §12.1.1) and its Contact.
  std::vector<sip::ExtraHeader> extra;
  for (const auto& field : invite.headers()) {
    if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
  }
  extra.push_back({"Contact", "<sip:0900123456@192.168.1.5:5060>"});
  f.receive(kGateway, sip::make_response(invite, 200, "OK", "gwtag", extra));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  PstnCall call;
  call.route = std::string(ok.first(sip::HeaderId::RecordRoute)->value);
  call.contact = "sip:0900123456@192.168.1.5:5060";
  call.call_id = std::string(ok.call_id());
  call.to_tag = "gwtag";
  // The Record-Route value the caller keeps is not the one the gateway keeps: each names the
  // hop toward the other side.
  EXPECT_NE(call.route, std::string(invite.first(sip::HeaderId::RecordRoute)->value));
  return call;
}

std::string in_dialog(const PstnCall& call, std::string_view method, std::string_view branch,
                      std::string_view route, std::string_view ruri, std::string_view call_id = {}) {
  return sip::make_request(
      method, ruri,
      {{"Via", kRemote.via(branch)}, {"Max-Forwards", "70"}, {"Route", std::string(route)},
       {"From", "<sip:6666@office.example>;tag=f6666"},
       {"To", "<sip:0900123456@office.example>;tag=" + call.to_tag},
       {"Call-ID", call_id.empty() ? call.call_id : std::string(call_id)},
       {"CSeq", std::string(method == "ACK" ? "1 " : "2 ") + std::string(method)}});
}

// RFC 3261 §22.4: credentials computed for one Request-URI are no pass to another (a phone's
// answer for a call to an extension, replayed toward a premium number, is challenged again).
TEST(Digest, CredentialsForAnotherRequestUriDoNotReachTheGateway) {
  HostileFixture f;
  const std::string premium = "sip:0900123456@office.example";
  f.receive(kRemote, request(kRemote, "INVITE", premium, "z9hG4bKu1"));
  auto challenge = parse(f.expect_one("SIP/2.0 407").bytes);
  auto for_other = security::answer_challenge(native::openssl_crypto(), 
      std::string(challenge.first(sip::HeaderId::ProxyAuthenticate)->value), "INVITE",
      "sip:2001@office.example", "6666", "s3cret", "c", 1);
  ASSERT_TRUE(for_other.has_value());
  f.receive(kRemote, with_header(request(kRemote, "INVITE", premium, "z9hG4bKu2"), "Proxy-Authorization", *for_other));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  f.expect_one("SIP/2.0 407");
  const auto* checked = f.trace.find("auth.checked");
  ASSERT_NE(checked, nullptr);
  EXPECT_EQ(checked->field("outcome"), "uri_mismatch");
}

TEST(OurDialogs, AnUntrustedPhoneHangsUpItsPstnCallAlongOurRecordRoute) {
  HostileFixture f;
  const PstnCall call = place_pstn_call(f);
  ASSERT_FALSE(call.route.empty());
  f.receive(kRemote, in_dialog(call, "ACK", "z9hG4bKp2", call.route, call.contact));
  EXPECT_EQ(f.expect_one("ACK sip:0900123456@192.168.1.5:5060").to, kGateway.address);
  f.receive(kRemote, in_dialog(call, "BYE", "z9hG4bKp3", call.route, call.contact));
  EXPECT_EQ(f.expect_one("BYE sip:0900123456@192.168.1.5:5060").to, kGateway.address);
  EXPECT_EQ(f.node.counters().gateway_calls, 1u);
  EXPECT_EQ(f.node.counters().to_gateway, 3u);  // INVITE, ACK, BYE
}

TEST(OurDialogs, TheRouteOfOneDialogOpensNoOtherDialogOrHost) {
  HostileFixture f;
  const PstnCall call = place_pstn_call(f);
  ASSERT_FALSE(call.route.empty());
  // Another Call-ID with the genuine Route: the MAC covers the Call-ID.
  f.receive(kRemote, in_dialog(call, "INVITE", "z9hG4bKx1", call.route, call.contact, "other-call"));
  EXPECT_EQ(f.sent_to(kGateway.address), 0u);
  f.expect_one("SIP/2.0 403");
  // The genuine Route and Call-ID toward another host: the MAC covers the next hop.
  f.receive(kRemote, in_dialog(call, "INVITE", "z9hG4bKx2", call.route, "sip:victim@198.51.100.99"));
  EXPECT_EQ(f.sent_to(kVictim), 0u);
  f.expect_one("SIP/2.0 403");
}

TEST(OurDialogs, DialogsSurviveARestartWithTheStoredKey) {
  std::vector<StoreRecord> stored;
  PstnCall call;
  {
    HostileFixture f;
    call = place_pstn_call(f);
    for (const auto& w : f.startup_writes) stored.insert(stored.end(), w.records.begin(), w.records.end());
    for (const auto& w : f.writes) stored.insert(stored.end(), w.records.begin(), w.records.end());
  }
  ASSERT_FALSE(call.route.empty());
  HostileFixture after(hostile_config(), stored);
  after.receive(kRemote, in_dialog(call, "BYE", "z9hG4bKr1", call.route, call.contact));
  EXPECT_EQ(after.expect_one("BYE sip:0900123456@192.168.1.5:5060").to, kGateway.address);
  // Without the stored key (a new installation, another key) the same BYE is refused.
  HostileFixture fresh(hostile_config(), {}, 8);
  fresh.receive(kRemote, in_dialog(call, "BYE", "z9hG4bKr2", call.route, call.contact));
  fresh.expect_one("SIP/2.0 403");
}

TEST(OurDialogs, TheKeyRotatesDailyAndYesterdaysDialogsStillVerify) {
  HostileFixture f;
  const PstnCall call = place_pstn_call(f);
  ASSERT_FALSE(call.route.empty());
  const std::size_t writes_before = f.writes.size();
  f.advance(std::chrono::hours(24) + 1s);
  ASSERT_GT(f.writes.size(), writes_before);
  EXPECT_TRUE(f.trace.contains("security.dialog_key_rotated"));
  f.receive(kRemote, in_dialog(call, "BYE", "z9hG4bKk1", call.route, call.contact));
  EXPECT_EQ(f.expect_one("BYE sip:0900123456@192.168.1.5:5060").to, kGateway.address);
}

TEST(Identity, AnUntrustedSourceCannotChooseTheCallingNumber) {
  auto c = hostile_config();
  HostileFixture f(c);
  f.register_phone(alice());
  const std::vector<sip::ExtraHeader> asserted{
      {"P-Asserted-Identity", "<sip:+441344784900@office.example>"},
      {"Remote-Party-ID", "<sip:+441344784900@office.example>;party=calling"},
      {"Diversion", "<sip:+441344784900@office.example>;reason=unconditional"}};
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:2001@office.example", "z9hG4bKi1", asserted));
  auto fwd = f.expect_one("INVITE sip:2001@192.168.1.21:5060");
  EXPECT_EQ(fwd.bytes.find("P-Asserted-Identity"), std::string::npos) << fwd.bytes;
  EXPECT_EQ(fwd.bytes.find("Remote-Party-ID"), std::string::npos);
  EXPECT_EQ(fwd.bytes.find("Diversion"), std::string::npos);
  // A trusted phone's assertion stands.
  f.receive(bob(), request(bob(), "INVITE", "sip:2001@office.example", "z9hG4bKi2", asserted));
  fwd = f.expect_one("INVITE sip:2001@192.168.1.21:5060");
  EXPECT_NE(fwd.bytes.find("P-Asserted-Identity"), std::string::npos);
  EXPECT_NE(fwd.bytes.find("Diversion"), std::string::npos);
}

TEST(ItspRequiresTrust, UntrustedRequestsNeverReachTheItsp) {
  auto c = hostile_config(ProxyMode::ForwardItsp);
  ItspTarget t;
  t.name = "itsp.example";
  t.destination = transport::Destination{Transport::Udp, {"198.51.100.10", 5060}, StreamId{}};
  c.itsp.monitor.targets.push_back(t);
  c.itsp_requires_trust = true;
  HostileFixture f(c);
  f.receive(kAttacker, request(kAttacker, "INVITE", "sip:0900123456@office.example", "z9hG4bKt1"));
  EXPECT_EQ(f.sent_to(t.destination.remote, "INVITE"), 0u);
  EXPECT_FALSE(f.take_sent().empty());  // 403 or a challenge, never the ITSP
  // Without the option the seed routes it via the ITSP, which challenges it.
  c.itsp_requires_trust = false;
  HostileFixture g(c);
  g.receive(kAttacker, request(kAttacker, "INVITE", "sip:0900123456@office.example", "z9hG4bKt2"));
  EXPECT_EQ(g.sent_to(t.destination.remote, "INVITE"), 1u);
}

}  // namespace
}  // namespace resproxy::routing::testing
