// The PSTN gateway (proxy/gateway/gateway_node.h) against the real emulated hardware, in the
// small office of office_fixture.h: one E1 (span 1, group "e1") and two FXO lines (span 2, group
// "fxo") on the emulated exchange, on a hand clock. The test plays resproxy.
#include "proxy/gateway/gateway_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/unit/gateway_node/office_fixture.h"

namespace resproxy::gateway {
namespace {

using namespace std::chrono_literals;
using namespace office_test;

TEST(GatewayNode, OutsideCallOverTheE1IsAnsweredAndClearedByTheCaller) {
  Office o;
  o.call("c1", "901632960000");
  ASSERT_NE(o.last_response("c1", 100), nullptr);
  o.advance(10s);
  const sip::Message* ok = o.last_response("c1", 200);
  ASSERT_NE(ok, nullptr) << "the subscriber answers after 3 s";
  EXPECT_NE(ok->body().find("a=rtpmap:8 PCMA/8000"), std::string_view::npos) << ok->body();
  EXPECT_EQ(o.gw->groups().in_use("e1"), 1u);
  ASSERT_EQ(o.host->records().size(), 1u);
  EXPECT_EQ(o.host->records()[0].called, "01632960000") << "the outside-line prefix is stripped";
  EXPECT_EQ(o.host->records()[0].outcome, exchange::CallOutcome::Answered);
  o.in_dialog("ACK", "c1", 1);
  o.advance(5s);
  o.in_dialog("BYE", "c1", 2);
  o.advance(5s);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u) << "the channel is free once the card released it";
  EXPECT_TRUE(o.host->records()[0].end.has_value());
  EXPECT_EQ(o.host->records()[0].cause, std::optional<std::uint8_t>(16));
  const auto ended = o.events("gw.call_ended");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0]->field("answered"), "1");
  EXPECT_EQ(ended[0]->field("cause"), "16");
  EXPECT_EQ(o.gw->active_calls(), 0u);
}

// RFC 3261 §12.1.1: resproxy's Record-Route comes back in the 18x and the 200, in order, so the
// phone's BYE passes resproxy (which counts open gateway calls per user until that BYE).
TEST(GatewayNode, DialogCreatingAnswersCopyTheInvitesRecordRoute) {
  Office o;
  o.call("rr", "901632960000",
         {{"Record-Route", "<sip:127.0.0.1:5060;lr>"}, {"Record-Route", "<sip:10.0.0.1;lr>"}});
  o.advance(10s);
  const sip::Message* ok = o.last_response("rr", 200);
  ASSERT_NE(ok, nullptr);
  std::vector<std::string> routes;
  for (const auto& f : ok->headers()) {
    if (f.id == sip::HeaderId::RecordRoute) routes.emplace_back(f.value);
  }
  EXPECT_EQ(routes, (std::vector<std::string>{"<sip:127.0.0.1:5060;lr>", "<sip:10.0.0.1;lr>"}));
  const sip::Message* early = o.last_response("rr", 180);
  if (early == nullptr) early = o.last_response("rr", 183);  // in-band progress: early media
  ASSERT_NE(early, nullptr);
  EXPECT_EQ(o.header(*early, "Record-Route"), "<sip:127.0.0.1:5060;lr>");
}

TEST(GatewayNode, ThePstnClearingAnAnsweredCallSendsByeWithItsCause) {
  Office o;
  o.call("c1", "901632960001");  // answers after 3 s, hangs up 5 s later
  o.advance(4s);
  ASSERT_NE(o.last_response("c1", 200), nullptr);
  o.in_dialog("ACK", "c1", 1);
  const auto channel = o.gw->channel_status();
  ASSERT_TRUE(std::any_of(channel.begin(), channel.end(), [](const ChannelStatus& s) {
    return s.answered && s.called == "901632960001";
  }));
  EXPECT_TRUE(o.requests(sip::Method::Bye).empty());
  o.advance(10s);
  const auto byes = o.requests(sip::Method::Bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_NE(o.header(*byes[0], "Reason").find("cause=16"), std::string::npos);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
}

// card.h: MediaBridge with rtp_port 0 disconnects. When the line call is released its audio
// stops: the runtime's data path closes the RTP port of the bridge.
TEST(GatewayNode, TheReleaseOfABridgedLineCallUnbridgesItsMedia) {
  Office o;
  o.call("m1", "901632960000");
  o.advance(10s);
  ASSERT_NE(o.last_response("m1", 200), nullptr);
  auto bridges = o.bridges();
  ASSERT_FALSE(bridges.empty());
  const MediaBridge bridged = bridges.back();
  EXPECT_NE(bridged.rtp_port, 0);
  EXPECT_EQ(bridged.remote_ip, "127.0.0.1");
  EXPECT_EQ(bridged.remote_port, 40000);
  EXPECT_EQ(bridged.payload_type, 8);
  o.in_dialog("ACK", "m1", 1);
  o.in_dialog("BYE", "m1", 2);
  o.advance(5s);
  bridges = o.bridges();
  ASSERT_FALSE(bridges.empty());
  EXPECT_EQ(bridges.back().call, bridged.call);
  EXPECT_EQ(bridges.back().rtp_port, 0) << "the released call is unbridged";
  EXPECT_EQ(std::count_if(bridges.begin(), bridges.end(),
                          [](const MediaBridge& b) { return b.rtp_port == 0; }),
            1);
  // ... after the card's CallReleased, not before: the ClearCall comes first.
  const auto clear = std::find_if(o.commands.begin(), o.commands.end(), [](const ToCard& c) {
    return std::holds_alternative<ClearCall>(c.command);
  });
  const auto unbridge = std::find_if(o.commands.begin(), o.commands.end(), [](const ToCard& c) {
    const auto* b = std::get_if<MediaBridge>(&c.command);
    return b != nullptr && b->rtp_port == 0;
  });
  EXPECT_LT(clear, unbridge);
}

// Early media (183 with the exchange's ringback) bridges before answer; a CANCEL then ends the
// line call, and its release unbridges it like an answered call's.
TEST(GatewayNode, AnEarlyMediaBridgeIsUnbridgedWhenTheCancelledCallIsReleased) {
  Office o;
  o.call("m2", "901632960500");  // a slow subscriber: rings, never answers within the test
  o.advance(3s);
  ASSERT_EQ(o.final_status("m2"), 0);
  ASSERT_NE(o.last_response("m2", 183), nullptr) << "in-band ringback: early media";
  ASSERT_FALSE(o.bridges().empty());
  EXPECT_NE(o.bridges().front().rtp_port, 0);
  o.cancel("m2");
  o.advance(5s);
  EXPECT_EQ(o.final_status("m2"), 487);
  const auto bridges = o.bridges();
  EXPECT_EQ(bridges.back().rtp_port, 0);
  EXPECT_EQ(std::count_if(bridges.begin(), bridges.end(),
                          [](const MediaBridge& b) { return b.rtp_port == 0; }),
            1);
  EXPECT_EQ(o.gw->active_calls(), 0u);
}

TEST(GatewayNode, BusyAndUnallocatedGetTheRfc3398AnswerWithTheQ850Reason) {
  Office o;
  o.call("busy", "901632960100");
  o.call("nobody", "901632960300");
  o.advance(10s);
  const int busy = o.final_status("busy");
  EXPECT_TRUE(busy == 486 || busy == 600) << busy;
  EXPECT_NE(o.header(*o.last_response("busy"), "Reason").find("cause=17"), std::string::npos);
  EXPECT_EQ(o.final_status("nobody"), 404);
  EXPECT_NE(o.header(*o.last_response("nobody"), "Reason").find("cause=1"), std::string::npos);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->active_calls(), 0u);
}

TEST(GatewayNode, ANumberNoRuleRoutesGets404AndNoLineIsSeized) {
  Office o;
  o.call("c1", "12345");
  EXPECT_EQ(o.final_status("c1"), 404);
  EXPECT_TRUE(o.host->records().empty());
}

TEST(GatewayNode, AnInviteFromAnUntrustedSourceIsRefused403) {
  Office o;
  o.from(Address{"192.0.2.66", 5060}, o.invite("evil", "901632960000"));
  EXPECT_EQ(o.final_status("evil"), 403);
  EXPECT_TRUE(o.host->records().empty()) << "no line was seized for an untrusted source";
  EXPECT_EQ(o.gw->counters().refused_untrusted, 1u);
}

TEST(GatewayNode, CancelBeforeAnswerClearsTheLineAndAnswers487) {
  Office o;
  o.call("slow", "901632960500");
  o.advance(3s);
  ASSERT_EQ(o.final_status("slow"), 0);
  o.cancel("slow");
  o.advance(5s);
  EXPECT_EQ(o.final_status("slow"), 487);
  ASSERT_EQ(o.host->records().size(), 1u);
  EXPECT_FALSE(o.host->records()[0].answer.has_value());
  EXPECT_TRUE(o.host->records()[0].end.has_value());
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
}

TEST(GatewayNode, E1InAlarmRepresentsTheCallToTheFxoLines) {
  Office o;
  ASSERT_TRUE(o.host->set_span_alarm(o.now, kE1, Alarm::Los));
  o.pump();
  o.call("c1", "901632960000");
  o.advance(20s);
  ASSERT_EQ(o.final_status("c1"), 200) << "answered over an analogue line";
  ASSERT_EQ(o.host->records().size(), 1u);
  EXPECT_EQ(o.host->records()[0].port, "fxo-1");
  EXPECT_EQ(o.gw->counters().represented, 1u);
  EXPECT_EQ(o.events("gw.represented").size(), 1u);
}

TEST(GatewayNode, AllChannelsBusyRepresentsToFxoThenAnswers503With34) {
  Office o;
  // 30 calls fill the E1's 30 B-channels, two more the FXO lines.
  o.fill(32);
  o.advance(20s);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 30u);
  EXPECT_EQ(o.gw->groups().in_use("fxo"), 2u);
  o.call("blocked", "901632960000");
  EXPECT_EQ(o.final_status("blocked"), 503);
  EXPECT_NE(o.header(*o.last_response("blocked"), "Reason").find("cause=34"), std::string::npos);
  EXPECT_EQ(o.gw->counters().blocked_no_channel, 1u);
}

TEST(GatewayNode, TheEmergencyReserveLetsA999ThroughWhenOrdinaryCallsAreRefused) {
  GatewayConfig config = gateway_config(/*reserve=*/2);
  config.dial_plan.rules.erase(config.dial_plan.rules.begin() + 4);  // no FXO re-presentation
  Office o(config);
  o.fill(29);
  o.advance(10s);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 28u) << "two channels held back";
  EXPECT_EQ(o.final_status("fill28"), 503);
  o.call("emergency", "9999");
  o.advance(5s);
  EXPECT_EQ(o.final_status("emergency"), 200);
  EXPECT_EQ(o.host->records().back().called, "999");
  EXPECT_EQ(o.gw->counters().emergency_calls, 1u);
}

TEST(GatewayNode, APstnCallToADdiNumberReachesResproxyAndIsAnswered) {
  Office o;
  o.pstn_call("01632961005");
  o.advance(1s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_NE(std::string(invites[0]->request_uri()).find("sip:2005@office.test"), std::string::npos)
      << invites[0]->request_uri();
  EXPECT_NE(o.header(*invites[0], "P-Asserted-Identity").find("01632960777"), std::string::npos);
  o.answer(*invites[0], 180);
  o.advance(1s);
  o.answer(*invites[0], 200);
  o.advance(1s);
  EXPECT_FALSE(o.requests(sip::Method::Ack).empty()) << "the 2xx is acknowledged";
  ASSERT_EQ(o.host->records().size(), 1u);
  EXPECT_EQ(o.host->records()[0].outcome, exchange::CallOutcome::Answered);
}

TEST(GatewayNode, AnAnswerThatRenumbersTelephoneEventGetsEventsSentWithItsNumberAndOursHeard) {
  // RFC 3264 §5.1: our offer's 101 is what we receive, the answer's 96 what we send.
  for (const int answered : {96, 101}) {
    SCOPED_TRACE(answered);
    Office o;
    o.pstn_call("01632961005");
    o.advance(1s);
    const auto invites = o.requests(sip::Method::Invite);
    ASSERT_EQ(invites.size(), 1u);
    EXPECT_NE(std::string(invites[0]->body()).find("a=rtpmap:101 telephone-event/8000"), std::string::npos);
    o.answer(*invites[0], 200, answered);
    o.advance(1s);
    const auto bridges = o.bridges();
    ASSERT_FALSE(bridges.empty());
    EXPECT_EQ(bridges.back().telephone_event, std::optional<std::uint8_t>(answered));
    EXPECT_EQ(bridges.back().telephone_event_rx,
              answered == 101 ? std::nullopt : std::optional<std::uint8_t>(101));
  }
}

TEST(GatewayNode, AWithheldPstnNumberGoesOutAnonymousWithPrivacyId) {
  Office o;
  o.pstn_call("01632961005", /*restricted=*/true);
  o.advance(1s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u);
  EXPECT_NE(o.header(*invites[0], "From").find("anonymous"), std::string::npos);
  EXPECT_EQ(o.header(*invites[0], "Privacy"), "id");
}

TEST(GatewayNode, ASipRefusalClearsThePstnCallWithTheMappedCause) {
  Office o;
  o.pstn_call("01632961005");
  o.advance(1s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u);
  o.answer(*invites[0], 404);
  o.advance(2s);
  ASSERT_EQ(o.host->records().size(), 1u);
  EXPECT_EQ(o.host->records()[0].cause, std::optional<std::uint8_t>(1)) << "404 -> cause 1";
  EXPECT_EQ(o.gw->active_calls(), 0u);
}

TEST(GatewayNode, RingingOnAnFxoLineReachesTheLinesConfiguredDestination) {
  Office o;
  o.pstn_call("01632961200");
  o.advance(10s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u) << "an FXO line has no DDI: its configured destination, 2000";
  EXPECT_NE(std::string(invites[0]->request_uri()).find("sip:2000@office.test"), std::string::npos);
  EXPECT_NE(o.header(*invites[0], "P-Asserted-Identity").find("01632960777"), std::string::npos)
      << "the caller ID the line's FSK carried";
}

TEST(GatewayNode, A200NeverAcknowledgedEndsTheCallAfter64T1) {
  Office o;
  o.call("c1", "901632960000");
  o.advance(4s);
  ASSERT_NE(o.last_response("c1", 200), nullptr);
  const std::size_t oks_before = o.sent.size();
  o.advance(40s);  // no ACK: 200 resent from T1 doubling to T2, given up after 64*T1 (§13.3.1.4)
  EXPECT_GT(o.sent.size(), oks_before);
  const auto byes = o.requests(sip::Method::Bye);
  ASSERT_EQ(byes.size(), 1u);
  EXPECT_NE(o.header(*byes[0], "Reason").find("cause=102"), std::string::npos);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->active_calls(), 0u);
}

TEST(GatewayNode, APstnClearBeforeTheAckEndsTheCallOnceTheAckComes) {
  Office o;
  o.call("c1", "901632960001");  // answers after 3 s, hangs up 5 s later
  o.advance(4s);
  ASSERT_NE(o.last_response("c1", 200), nullptr);
  o.advance(6s);  // the subscriber hung up; our 200 is still unacknowledged
  ASSERT_EQ(o.requests(sip::Method::Bye).size(), 1u);
  EXPECT_EQ(o.gw->active_calls(), 1u) << "the 200 is still being resent";
  o.in_dialog("ACK", "c1", 1);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.events("gw.call_ended").size(), 1u);
}

}  // namespace
}  // namespace resproxy::gateway
