// ProxyNode in standalone mode (RFC 3261 §10, §16): registration, routing of calls between
// registered phones, the answers it owes, and durability of acknowledged registrations.
#include <gtest/gtest.h>

#include "proxy/registrar/binding.h"
#include "proxy/sip/header_parsers.h"
#include "tests/unit/routing/proxy_fixture.h"

namespace resproxy::routing::testing {
namespace {

TEST(ProxyRegistrar, AnswersRegisterOnlyAfterTheStoreConfirmedIt) {
  ProxyFixture f;
  f.auto_store = false;
  f.receive(alice(), f.register_request(alice()));
  EXPECT_TRUE(f.take_sent().empty());  // nothing acknowledged before the write is durable
  ASSERT_EQ(f.writes.size(), 1u);
  ASSERT_EQ(f.writes[0].records.size(), 1u);
  EXPECT_EQ(f.writes[0].records[0].key, "reg/2001/sip:2001@192.168.1.21:5060");
  EXPECT_EQ(f.node.binding_count(), 0u);
  f.node.on_completion(f.now, StoreDone{f.writes[0].id, StoreOutcome::Ok});
  f.drain();
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  const auto* contact = ok.first(sip::HeaderId::Contact);
  ASSERT_NE(contact, nullptr);
  EXPECT_EQ(contact->value, "<sip:2001@192.168.1.21:5060>;expires=3600");
  EXPECT_EQ(f.node.binding_count(), 1u);
}

TEST(ProxyRegistrar, AnswersServerErrorWithRetryAfterWhenTheStoreFails) {
  ProxyFixture f;
  f.auto_store = false;
  f.receive(alice(), f.register_request(alice()));
  f.node.on_completion(f.now, StoreDone{f.writes[0].id, StoreOutcome::Failed});
  f.drain();
  auto err = parse(f.expect_one("SIP/2.0 500").bytes);
  ASSERT_NE(err.first(sip::HeaderId::RetryAfter), nullptr);
  EXPECT_EQ(f.node.binding_count(), 0u);
  EXPECT_EQ(f.node.counters().store_failures, 1u);
}

TEST(ProxyRegistrar, RefusesTooBriefExpiryWith423AndMinExpires) {
  ProxyFixture f;
  f.receive(alice(), f.register_request(alice(), 20));
  auto brief = parse(f.expect_one("SIP/2.0 423").bytes);
  const auto* min = brief.first(sip::HeaderId::MinExpires);
  ASSERT_NE(min, nullptr);
  EXPECT_EQ(min->value, "60");
}

TEST(ProxyRegistrar, LowersExpiryAboveTheMaximum) {
  ProxyFixture f;
  f.receive(alice(), f.register_request(alice(), 86400));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_EQ(ok.first(sip::HeaderId::Contact)->value, "<sip:2001@192.168.1.21:5060>;expires=7200");
}

TEST(ProxyRegistrar, KeepsSeveralBindingsPerAorAndListsThemAll) {
  ProxyFixture f;
  f.register_phone(alice());
  Phone softphone = alice();
  softphone.address = {"192.168.1.31", 5070};
  f.receive(softphone, f.register_request(softphone, 3600, {}, "reg-soft"));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_EQ(ok.count(sip::HeaderId::Contact), 2u);
  EXPECT_EQ(f.node.binding_count(), 2u);
}

TEST(ProxyRegistrar, StarWithExpiresZeroRemovesEveryBinding) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(alice(), f.register_request(alice(), 0, "*"));
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_EQ(ok.first(sip::HeaderId::Contact), nullptr);
  EXPECT_EQ(f.node.binding_count(), 0u);
  EXPECT_FALSE(f.writes.back().records[0].value.has_value());  // a delete reached the store
}

TEST(ProxyRegistrar, StarWithoutExpiresZeroIsABadRequest) {
  ProxyFixture f;
  f.receive(alice(), f.register_request(alice(), 3600, "*"));
  f.expect_one("SIP/2.0 400");
}

TEST(ProxyRegistrar, RefusesAnOutOfOrderRefreshOfTheSameCallId) {
  ProxyFixture f;
  f.cseq = 10;
  f.register_phone(alice());  // CSeq 11
  f.cseq = 5;                 // the next REGISTER carries CSeq 6 on the same Call-ID
  f.receive(alice(), f.register_request(alice()));
  f.expect_one("SIP/2.0 500");
}

TEST(ProxyRegistrar, ARegisterRightAfterAnUnregisterWaitsForItAndWins) {
  ProxyFixture f;
  f.register_phone(alice());
  f.auto_store = false;
  f.receive(alice(), f.register_request(alice(), 0));     // un-REGISTER: write in flight
  f.receive(alice(), f.register_request(alice(), 3600));  // queued behind it
  ASSERT_EQ(f.writes.size(), 2u);
  f.node.on_completion(f.now, StoreDone{f.writes[1].id, StoreOutcome::Ok});
  f.drain();
  ASSERT_EQ(f.writes.size(), 3u);  // the queued REGISTER's own write
  f.node.on_completion(f.now, StoreDone{f.writes[2].id, StoreOutcome::Ok});
  f.drain();
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 200"));
  EXPECT_TRUE(sent[1].bytes.starts_with("SIP/2.0 200"));
  EXPECT_EQ(f.node.binding_count(), 1u);
}

TEST(ProxyRegistrar, ExpiresBindingsOnTheClockAndDeletesThemFromTheStore) {
  ProxyFixture f;
  f.receive(alice(), f.register_request(alice(), 60));
  f.expect_one("SIP/2.0 200");
  f.advance(59s);
  EXPECT_EQ(f.node.binding_count(), 1u);
  f.advance(1s);
  EXPECT_EQ(f.node.binding_count(), 0u);
  EXPECT_FALSE(f.writes.back().records[0].value.has_value());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKx1"));
  f.expect_one("SIP/2.0 404");
}

TEST(ProxyRegistrar, BindingsFromTheStoreSurviveARestart) {
  std::vector<StoreRecord> stored;
  {
    ProxyFixture first;
    first.register_phone(alice());
    for (const auto& w : first.writes) stored.insert(stored.end(), w.records.begin(), w.records.end());
  }
  ProxyFixture second(ProxyFixture::default_config(), stored);
  EXPECT_EQ(second.node.binding_count(), 1u);
  second.receive(bob(), second.invite(bob(), "sip:2001@office.example", "z9hG4bKr1"));
  auto sent = second.take_sent();
  bool reached = false;
  for (const auto& s : sent) reached |= s.bytes.starts_with("INVITE sip:2001@192.168.1.21:5060 ");
  EXPECT_TRUE(reached);
}

// kill -9 after the binding was committed but before its 200 left: the phone's retransmission
// reaches the restarted proxy, which answers 200 (not 500 Out of Order: it is the same request).
TEST(ProxyRegistrar, ARetransmittedRegisterAfterARestartIsAnswered200) {
  std::vector<StoreRecord> stored;
  std::string reg;
  {
    ProxyFixture first;
    first.cseq = 9;  // CSeq 10
    reg = first.register_request(alice());
    first.receive(alice(), reg);
    for (const auto& w : first.writes) stored.insert(stored.end(), w.records.begin(), w.records.end());
  }
  ProxyFixture second(ProxyFixture::default_config(), stored);
  second.receive(alice(), reg);
  second.expect_one("SIP/2.0 200");
  // An older CSeq of the same Call-ID is still out of order.
  ProxyFixture third(ProxyFixture::default_config(), stored);
  third.receive(alice(), third.register_request(alice()));
  third.expect_one("SIP/2.0 500");
}

TEST(ProxyRouting, ForwardsAnInviteToTheRegisteredContactWithRecordRouteAndOurVia) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKinv1"));
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 100 Trying"));  // at once (§16.2)
  EXPECT_EQ(sent[0].to, bob().address);
  auto fwd = parse(sent[1].bytes);
  EXPECT_EQ(sent[1].to, alice().address);
  EXPECT_EQ(fwd.request_uri(), "sip:2001@192.168.1.21:5060");
  EXPECT_EQ(fwd.max_forwards(), 69u);
  EXPECT_EQ(fwd.via_count(), 2u);
  EXPECT_EQ(fwd.top_via().host, "192.168.1.10");
  EXPECT_TRUE(fwd.top_via().branch.starts_with("z9hG4bK"));
  const auto* rr = fwd.first(sip::HeaderId::RecordRoute);
  ASSERT_NE(rr, nullptr);
  // Our address, loose routing, and the dialog MAC (security/dialog_mac.h).
  EXPECT_TRUE(rr->value.starts_with("<sip:192.168.1.10:5060;lr;rp=")) << rr->value;
  EXPECT_TRUE(rr->value.ends_with(">")) << rr->value;
  EXPECT_EQ(fwd.body(), "v=0\r\n");
}

TEST(ProxyRouting, RelaysProvisionalAndFinalResponsesWithoutItsVia) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKinv2"));
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 180, "Ringing", "callee"));
  auto ringing = parse(f.expect_one("SIP/2.0 180").bytes);
  EXPECT_EQ(ringing.via_count(), 1u);
  EXPECT_EQ(ringing.top_via().branch, "z9hG4bKinv2");
  f.receive(alice(), sip::make_response(fwd, 200, "OK", "callee"));
  auto ok = f.expect_one("SIP/2.0 200");
  EXPECT_EQ(ok.to, bob().address);
  EXPECT_EQ(parse(ok.bytes).via_count(), 1u);
}

TEST(ProxyRouting, AnswersNotFoundForAnUnregisteredUser) {
  ProxyFixture f;
  f.receive(bob(), f.invite(bob(), "sip:2999@office.example", "z9hG4bK404"));
  f.expect_one("SIP/2.0 404");
  EXPECT_EQ(f.node.counters().not_found, 1u);
}

TEST(ProxyRouting, AnswersForbiddenToAnUntrustedSource) {
  ProxyFixture f;
  Phone stranger{"6666", {"203.0.113.5", 5060}};
  f.receive(stranger, f.register_request(stranger));
  f.expect_one("SIP/2.0 403");
  EXPECT_EQ(f.node.binding_count(), 0u);
}

TEST(ProxyRouting, AnswersTooManyHopsWhenMaxForwardsIsZero) {
  ProxyFixture f;
  f.register_phone(alice());
  std::string req = f.invite(bob(), "sip:2001@office.example", "z9hG4bKmf");
  req.replace(req.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  f.receive(bob(), req);
  f.expect_one("SIP/2.0 483");
}

TEST(ProxyRouting, ReachesARegisteredUserThroughAnAlias) {
  auto config = ProxyFixture::default_config();
  config.aliases.push_back({"441344784901", "2001"});
  ProxyFixture f(config);
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:441344784901@office.example", "z9hG4bKalias"));
  f.expect_one("INVITE sip:2001@192.168.1.21:5060 ");
}

TEST(ProxyRouting, CallsTheDeviceThatRegisteredLastWithoutForking) {
  ProxyFixture f;
  f.register_phone(alice());
  Phone softphone = alice();
  softphone.address = {"192.168.1.31", 5070};
  f.receive(softphone, f.register_request(softphone, 3600, {}, "reg-soft"));
  f.take_sent();
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKlast"));
  auto inv = f.expect_one("INVITE ");
  EXPECT_EQ(inv.to, softphone.address);
}

TEST(ProxyRouting, DetectsALoopThroughItself) {
  auto config = ProxyFixture::default_config();
  config.directory.push_back({"9999", "sip:9999@192.168.1.10:5060"});  // points back at us
  ProxyFixture f(config);
  f.receive(bob(), f.invite(bob(), "sip:9999@office.example", "z9hG4bKloop"));
  // Feed every INVITE we send to ourselves back in, as the network would.
  for (int hop = 0; hop < 5; ++hop) {
    auto sent = f.take_sent();
    for (const auto& s : sent) {
      if (s.bytes.starts_with("INVITE") && s.to == kProxy) {
        f.node.on_datagram(f.now, Path{Transport::Udp, kProxy, kProxy, {}}, s.bytes);
        f.drain();
      }
    }
  }
  EXPECT_EQ(f.node.counters().loops, 1u);
}

TEST(ProxyRouting, CancelsDownstreamAfterAProvisionalAndRelaysThe487) {
  ProxyFixture f;
  f.register_phone(alice());
  const std::string invite = f.invite(bob(), "sip:2001@office.example", "z9hG4bKcan");
  f.receive(bob(), invite);
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 180, "Ringing", "callee"));
  f.take_sent();
  auto original = parse(invite);
  f.receive(bob(), sip::make_cancel(original));
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].bytes.starts_with("SIP/2.0 200"));  // for the CANCEL
  auto cancel = parse(sent[1].bytes);
  EXPECT_EQ(cancel.method(), sip::Method::Cancel);
  EXPECT_EQ(cancel.top_via().branch, fwd.top_via().branch);  // §9.1: same branch as the INVITE
  f.receive(alice(), sip::make_response(fwd, 487, "Request Terminated", "callee"));
  auto terminated = f.expect_one("SIP/2.0 487");
  EXPECT_EQ(terminated.to, bob().address);
}

TEST(ProxyRouting, HoldsACancelThatArrivesBeforeAnyProvisional) {
  ProxyFixture f;
  f.register_phone(alice());
  const std::string invite = f.invite(bob(), "sip:2001@office.example", "z9hG4bKearly");
  f.receive(bob(), invite);
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(bob(), sip::make_cancel(parse(invite)));
  f.expect_one("SIP/2.0 200");  // the CANCEL is answered, but not yet sent on (§9.1)
  f.receive(alice(), sip::make_response(fwd, 180, "Ringing", "callee"));
  auto sent = f.take_sent();
  bool cancelled = false;
  for (const auto& s : sent) cancelled |= s.bytes.starts_with("CANCEL ");
  EXPECT_TRUE(cancelled);
}

TEST(ProxyRouting, AnswersTimeoutWhenTheCalleeNeverAnswers) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKsilent"));
  f.take_sent();
  f.advance(33s);  // Timer B
  bool timeout = false;
  for (const auto& s : f.take_sent()) timeout |= s.bytes.starts_with("SIP/2.0 408");
  EXPECT_TRUE(timeout);
}

TEST(ProxyRouting, TurnsADownstream503Into500) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bK503"));
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 503, "Service Unavailable", "callee"));
  f.expect_one("SIP/2.0 500");
}

TEST(ProxyRouting, The500ForADownstream503KeepsItsQ850Reason) {
  // The PSTN gateway's "no circuit" (RFC 3398: 503, Reason cause 34): §16.7 turns it into 500,
  // and the phone still learns the PSTN's cause (RFC 3326).
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bK503r"));
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 503, "Service Unavailable", "callee",
                                        {{"Reason", "Q.850;cause=34;text=\"No circuit/channel available\""}}));
  const auto sent = f.expect_one("SIP/2.0 500");
  EXPECT_NE(sent.bytes.find("Reason: Q.850;cause=34;text=\"No circuit/channel available\""), std::string::npos)
      << sent.bytes;
}

TEST(ProxyRouting, ForwardsTheAckForA2xxAlongTheRouteStatelessly) {
  ProxyFixture f;
  f.register_phone(alice());
  std::string ack = sip::make_request(
      "ACK", "sip:2001@192.168.1.21:5060",
      {{"Via", bob().via("z9hG4bKack1")},
       {"Route", "<sip:192.168.1.10:5060;lr>"},
       {"Max-Forwards", "70"},
       {"From", "<sip:2002@office.example>;tag=f2002"},
       {"To", "<sip:2001@office.example>;tag=callee"},
       {"Call-ID", "call-z9hG4bKinv"},
       {"CSeq", "1 ACK"}});
  f.receive(bob(), ack);
  auto sent = f.expect_one("ACK sip:2001@192.168.1.21:5060 ");
  EXPECT_EQ(sent.to, alice().address);
  auto fwd = parse(sent.bytes);
  EXPECT_EQ(fwd.first(sip::HeaderId::Route), nullptr);  // our Route was consumed
  EXPECT_EQ(fwd.via_count(), 2u);
}

// Issue #11 bug 6: with the realm set to the box's own address (as the seed's examples do), a
// Request-URI at that address and another port is someone else's (a UAS or the PSTN gateway on
// the same box), not ours: an in-dialog BYE to it is forwarded, not answered 404.
TEST(ProxyRouting, TheRealmAsOurAddressWithAnotherPortIsSomeoneElse) {
  ProxyConfig c = ProxyFixture::default_config();
  c.realm = kProxy.ip;
  ProxyFixture f(c);
  const std::string bye = sip::make_request(
      "BYE", "sip:uas@192.168.1.10:5698",
      {{"Via", bob().via("z9hG4bKbye6")},
       {"Route", "<sip:192.168.1.10:5060;lr>"},
       {"Max-Forwards", "70"},
       {"From", "<sip:2002@192.168.1.10>;tag=f2002"},
       {"To", "<sip:uas@192.168.1.10>;tag=uas1"},
       {"Call-ID", "call-bye6"},
       {"CSeq", "2 BYE"}});
  f.receive(bob(), bye);
  const auto fwd = f.expect_one("BYE sip:uas@192.168.1.10:5698 ");
  EXPECT_EQ(fwd.to, (Address{"192.168.1.10", 5698}));
  // The realm without a port, or with ours, is still ours (a REGISTER there is answered here).
  f.receive(alice(), sip::make_request("OPTIONS", "sip:192.168.1.10",
                                       {{"Via", alice().via("z9hG4bKopt6")},
                                        {"Max-Forwards", "70"},
                                        {"From", "<sip:2001@192.168.1.10>;tag=o1"},
                                        {"To", "<sip:192.168.1.10>"},
                                        {"Call-ID", "opt-6"},
                                        {"CSeq", "1 OPTIONS"}}));
  f.expect_one("SIP/2.0 200");
}

// A phone outside the trusted ranges: its ACK for a 2xx goes to a phone registered here, or along
// our Record-Route to the hop its dialog MAC names (open_relay_test.cpp); anything else is
// dropped: we are not a free relay.
TEST(ProxyRouting, RelaysAnUntrustedPhonesAckOnlyWithinOurDialogs) {
  ProxyFixture f;
  f.register_phone(alice());
  const Phone stranger{"6666", {"203.0.113.5", 5060}};
  const auto ack_to = [&](std::string_view ruri, std::string_view route, std::string_view branch) {
    std::vector<sip::ExtraHeader> headers{{"Via", stranger.via(branch)}};
    if (!route.empty()) headers.push_back({"Route", std::string(route)});
    headers.push_back({"Max-Forwards", "70"});
    headers.push_back({"From", "<sip:6666@office.example>;tag=f6666"});
    headers.push_back({"To", "<sip:2003@elsewhere.example>;tag=callee"});
    headers.push_back({"Call-ID", "call-" + std::string(branch)});
    headers.push_back({"CSeq", "1 ACK"});
    return sip::make_request("ACK", ruri, headers);
  };
  // To a phone registered here.
  f.receive(stranger, ack_to("sip:2001@192.168.1.21:5060", "", "z9hG4bKu2"));
  EXPECT_EQ(f.expect_one("ACK sip:2001@192.168.1.21:5060 ").to, alice().address);
  // Along a Route of ours that carries no dialog MAC for this hop, to a host somewhere else.
  f.receive(stranger, ack_to("sip:2003@198.51.100.7:5060", "<sip:192.168.1.10:5060;lr>", "z9hG4bKu1"));
  EXPECT_TRUE(f.take_sent().empty());
  // Neither.
  f.receive(stranger, ack_to("sip:2003@198.51.100.7:5060", "", "z9hG4bKu3"));
  EXPECT_TRUE(f.take_sent().empty());
  EXPECT_EQ(f.node.counters().exit_refused, 2u);
}

TEST(ProxyRouting, RoutesInDialogRequestsToThePhoneOverItsOwnTcpConnection) {
  ProxyFixture f;
  Phone tcp_alice = alice();
  f.open_tcp(tcp_alice, 5);
  f.receive(tcp_alice, f.register_request(tcp_alice));
  f.expect_one("SIP/2.0 200");
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKtcp"));
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].stream, StreamId{5});  // the connection the phone registered over
  auto fwd = parse(sent[1].bytes);
  EXPECT_EQ(fwd.top_via().transport, "TCP");
  // Transports differ: two Record-Routes, each naming its side's transport (RFC 5658).
  EXPECT_EQ(fwd.count(sip::HeaderId::RecordRoute), 2u);
}

TEST(ProxyTransport, PingsTcpRegisteredPhonesEveryCrlfKeepaliveInterval) {
  auto config = ProxyFixture::default_config();
  config.crlf_keepalive = 30s;
  ProxyFixture f(config);
  Phone tcp_alice = alice();
  f.open_tcp(tcp_alice, 5);
  f.receive(tcp_alice, f.register_request(tcp_alice));
  f.take_sent();
  f.register_phone(bob());  // UDP: never pinged
  f.take_sent();
  f.advance(29s);
  EXPECT_TRUE(f.take_sent().empty());
  f.advance(1s);
  auto sent = f.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].bytes, "\r\n\r\n");
  EXPECT_EQ(sent[0].stream, StreamId{5});
  f.advance(30s);
  EXPECT_EQ(f.take_sent().size(), 1u);
}

TEST(ProxyRouting, ReachesATcpPhoneWhoseConnectionDroppedAtItsContactAddress) {
  ProxyFixture f;
  Phone tcp_alice = alice();
  f.open_tcp(tcp_alice, 5);
  f.receive(tcp_alice, f.register_request(tcp_alice));
  f.take_sent();
  f.node.on_stream_closed(f.now, StreamId{5}, StreamCloseReason::PeerClosed);
  f.drain();
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKre"));
  bool opened = false;
  for (const auto& e : f.out) {
    if (const auto* o = std::get_if<OpenStream>(&e)) {
      opened = true;
      EXPECT_EQ(o->remote, alice().address);  // the Contact's host:port
    }
  }
  EXPECT_TRUE(opened);
}

TEST(ProxyRouting, SendsToTheContactPortWhenThePhoneRegisteredFromAnotherPort) {
  ProxyFixture f;
  Phone ephemeral = alice();
  ephemeral.address.port = 40123;  // REGISTER from an ephemeral port, Contact on 5060
  f.receive(ephemeral, f.register_request(ephemeral, 3600, "<sip:2001@192.168.1.21:5060>"));
  f.take_sent();
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKport"));
  auto inv = f.expect_one("INVITE ");
  EXPECT_EQ(inv.to, (Address{"192.168.1.21", 5060}));
}

TEST(ProxyRouting, SendsToTheReceivedAddressWhenThePhoneIsBehindNat) {
  ProxyFixture f;
  Phone natted{"2001", {"192.168.1.99", 61000}};  // the NAT's public side
  f.receive(natted, f.register_request(natted, 3600, "<sip:2001@10.9.9.9:5060>"));
  f.take_sent();
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKnat"));
  auto inv = f.expect_one("INVITE ");
  EXPECT_EQ(inv.to, natted.address);
}

TEST(ProxyRouting, AnswersOptionsForItselfLocally) {
  ProxyFixture f;
  std::string options = sip::make_request(
      "OPTIONS", "sip:192.168.1.10:5060",
      {{"Via", bob().via("z9hG4bKopt")},
       {"Max-Forwards", "70"},
       {"From", "<sip:2002@office.example>;tag=o"},
       {"To", "<sip:192.168.1.10:5060>"},
       {"Call-ID", "opt-1"},
       {"CSeq", "1 OPTIONS"}});
  f.receive(bob(), options);
  auto ok = parse(f.expect_one("SIP/2.0 200").bytes);
  EXPECT_NE(ok.first(sip::HeaderId::Allow), nullptr);
  EXPECT_NE(ok.first(sip::HeaderId::Server), nullptr);
}

}  // namespace
}  // namespace resproxy::routing::testing

namespace resproxy::routing::testing {
namespace {

// Stored records carry a revision (binding.h), ready for a store two proxies share: each write
// of a binding — created, refreshed, changed — carries the next one.
TEST(ProxyNode, EachWriteOfABindingCarriesTheNextRevision) {
  ProxyFixture f;
  f.register_phone(alice());
  f.register_phone(alice());
  f.register_phone(alice());
  std::vector<std::uint64_t> revisions;
  for (const auto& w : f.writes) {
    for (const auto& r : w.records) {
      if (r.key != registrar::binding_key("2001", alice().contact()) || !r.value) continue;
      auto b = registrar::decode_binding(*r.value, Duration::zero());
      ASSERT_TRUE(b.has_value());
      revisions.push_back(b->revision);
    }
  }
  EXPECT_EQ(revisions, (std::vector<std::uint64_t>{1, 2, 3}));
}

// RFC 3261 §9.1: a callee that rings and then never answers our CANCEL's INVITE must not hold the
// call for ever — 64·T1 after the CANCEL the proxy gives the INVITE up and answers the caller.
TEST(ProxyRouting, GivesUpAnInviteWhoseCancelNeverBringsAFinalResponse) {
  ProxyFixture f;
  f.register_phone(alice());
  const std::string invite = f.invite(bob(), "sip:2001@office.example", "z9hG4bKmute");
  f.receive(bob(), invite);
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 180, "Ringing", "callee"));
  f.take_sent();
  const std::size_t clients_while_ringing = f.node.transactions().client_count();
  f.receive(bob(), sip::make_cancel(parse(invite)));
  f.take_sent();  // 200 for the CANCEL, our CANCEL downstream
  f.receive(alice(), sip::make_response(parse(sip::make_cancel(fwd)), 200, "OK", "callee"));
  f.advance(31s);
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("SIP/2.0 487")) << s.bytes;
  f.advance(1s);  // 64·T1 = 32 s after the CANCEL (then Timer G retransmits it to the caller)
  auto terminated = f.expect_one("SIP/2.0 487");
  EXPECT_EQ(terminated.to, bob().address);
  EXPECT_EQ(f.node.counters().cancels_unanswered, 1u);
  EXPECT_LT(f.node.transactions().client_count(), clients_while_ringing);
  // The callee's late 487 is now a stray response: nothing is relayed twice.
  f.take_sent();
  f.receive(alice(), sip::make_response(fwd, 487, "Request Terminated", "callee"));
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("SIP/2.0 487")) << s.bytes;
}

// Timer C's CANCEL (§16.8) gets the same guard; the caller learns of it as a timeout.
TEST(ProxyRouting, AnswersTimeoutWhenTimerCsCancelBringsNoFinalResponse) {
  ProxyFixture f;
  f.register_phone(alice());
  f.receive(bob(), f.invite(bob(), "sip:2001@office.example", "z9hG4bKtimerc"));
  auto fwd = parse(f.take_sent()[1].bytes);
  f.receive(alice(), sip::make_response(fwd, 180, "Ringing", "callee"));
  f.take_sent();
  f.advance(181s);  // Timer C (3 min by default): CANCEL downstream
  bool cancelled = false;
  for (const auto& s : f.take_sent()) cancelled |= s.bytes.starts_with("CANCEL ");
  ASSERT_TRUE(cancelled);
  f.advance(30s);  // now 211 s; the CANCEL left at 180 s
  for (const auto& s : f.take_sent()) EXPECT_FALSE(s.bytes.starts_with("SIP/2.0 408")) << s.bytes;
  f.advance(1s);  // 212 s: 64·T1 after the CANCEL
  auto timeout = f.expect_one("SIP/2.0 408");
  EXPECT_EQ(timeout.to, bob().address);
  EXPECT_EQ(f.node.counters().cancels_unanswered, 1u);
}

}  // namespace
}  // namespace resproxy::routing::testing
