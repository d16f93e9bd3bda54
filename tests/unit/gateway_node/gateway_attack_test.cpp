// The PSTN gateway (proxy/gateway/gateway_node.h) under attack, in the small office of
// office_fixture.h: forged identities, numbers no line can dial, codecs it cannot bridge, floods
// of INVITEs, requests for dialogs and transactions that do not exist. Each must fail safe: the
// RFC's answer, no line seized, nothing left behind.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/gateway/gateway_node.h"
#include "tests/unit/gateway_node/office_fixture.h"

namespace resproxy::gateway {
namespace {

using namespace std::chrono_literals;
using namespace office_test;

const Address kAttacker{"192.0.2.66", 5060};
constexpr std::size_t kDefaultPool = 500;  // 16384..17382, even ports (GatewayConfig defaults)
// Answers after 30 s: every call to it holds its channel for a while.
const std::string kSlowNumber = "901632960500";

// The responses the gateway sent to requests of `method` with `call_id` and `status`.
std::vector<const sip::Message*> responses(const Office& o, std::string_view call_id,
                                           sip::Method method, int status) {
  std::vector<const sip::Message*> out;
  for (const auto& s : o.sent) {
    const auto& m = s.message;
    if (m.is_response() && m.call_id() == call_id && m.cseq().method == method &&
        m.status_code() == status) {
      out.push_back(&m);
    }
  }
  return out;
}

// Nothing seized, nothing held: no line call at the exchange, no channel, no call, no port.
void expect_nothing_seized(const Office& o, std::size_t pool = kDefaultPool) {
  EXPECT_TRUE(o.host->records().empty()) << "no line call was placed";
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->groups().in_use("fxo"), 0u);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), pool);
}

std::string request(std::string_view method, const std::string& call_id, std::string_view from_tag,
                    std::string_view to_tag, int cseq, std::string_view branch) {
  std::string to = "<sip:x@office.test>";
  if (!to_tag.empty()) to += ";tag=" + std::string(to_tag);
  return sip::make_request(method, "sip:gw@127.0.0.1:5080",
                           {{"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-" + std::string(branch)},
                            {"Max-Forwards", "69"},
                            {"From", "<sip:2001@office.test>;tag=" + std::string(from_tag)},
                            {"To", to},
                            {"Call-ID", call_id},
                            {"CSeq", std::to_string(cseq) + " " + std::string(method)}});
}

TEST(GatewayAttack, AnUntrustedInviteAssertingAnEmergencyIdentityIs403AndSeizesNothing) {
  Office o;
  // P-Asserted-Identity is believed from trusted sources only (RFC 3325 §5), and an untrusted
  // source is refused before anything else: not even an emergency number gets through.
  o.from(kAttacker, o.invite("evil", "9999", {{"P-Asserted-Identity", "<sip:999@office.test>"},
                                              {"Privacy", "id"}}));
  o.advance(10s);
  EXPECT_EQ(o.final_status("evil"), 403);
  EXPECT_EQ(o.gw->counters().refused_untrusted, 1u);
  EXPECT_EQ(o.gw->counters().emergency_calls, 0u);
  expect_nothing_seized(o);
}

TEST(GatewayAttack, ARequestUriUserOf200DigitsGets404AndSeizesNothing) {
  Office o;
  // 90 and 198 more digits: the national rule's pattern (90<.>) would take any length, but no
  // number longer than kMaxNumberLength matches any rule.
  o.call("long", "90" + std::string(198, '1'));
  o.advance(10s);
  EXPECT_EQ(o.final_status("long"), 404);
  EXPECT_EQ(o.gw->counters().no_route, 1u);
  expect_nothing_seized(o);
}

TEST(GatewayAttack, LettersAndPercentEscapesInTheNumberGet404AndSeizeNothing) {
  struct Case {
    std::string_view name, number;
  };
  // %-escapes are never decoded into digits: the gateway dials only what reads as plain digits,
  // so the number resproxy routed on and the number on the line cannot differ.
  const auto cases = std::to_array<Case>({
      {.name = "letter O for zero", .number = "9O1632960000"},
      {.name = "a user name", .number = "9alice"},
      {.name = "escaped digits", .number = "9%30%31632960000"},
      {.name = "escaped emergency number", .number = "%39%39%39"},
      {.name = "escaped NUL", .number = "901632960000%00"},
      {.name = "escaped hash", .number = "9%23"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Office o;
    o.call("n", std::string(c.number));
    o.advance(5s);
    EXPECT_EQ(o.final_status("n"), 404);
    expect_nothing_seized(o);
  }
}

TEST(GatewayAttack, AnOfferOfOnlyG729Gets488AndSeizesNothing) {
  Office o;
  const std::string g729 =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
  o.from(kProxy, o.invite("g729", "901632960000", {}, g729));
  o.advance(10s);
  ASSERT_EQ(o.final_status("g729"), 488);
  EXPECT_NE(o.header(*o.last_response("g729"), "Warning").find("305"), std::string::npos);
  expect_nothing_seized(o);
}

TEST(GatewayAttack, AThousandInvitesExhaustTheChannelsWith503AndCancelsFreeEverything) {
  Office o;
  constexpr int kCalls = 1000;
  for (int i = 0; i < kCalls; ++i) o.call("flood" + std::to_string(i), kSlowNumber);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 30u);
  EXPECT_EQ(o.gw->groups().in_use("fxo"), 2u);
  EXPECT_EQ(o.gw->active_calls(), 32u);
  int refused = 0;
  for (int i = 0; i < kCalls; ++i) {
    const sip::Message* final = o.last_response("flood" + std::to_string(i));
    if (final == nullptr) continue;
    ASSERT_EQ(final->status_code(), 503);
    EXPECT_NE(o.header(*final, "Reason").find("cause=34"), std::string::npos);
    ++refused;
  }
  EXPECT_EQ(refused, kCalls - 32);
  EXPECT_EQ(o.gw->counters().blocked_no_channel, static_cast<std::uint64_t>(kCalls - 32));
  for (int i = 0; i < kCalls; ++i) o.cancel("flood" + std::to_string(i));
  o.advance(10s);
  int cancelled = 0;
  for (int i = 0; i < kCalls; ++i) {
    const std::string id = "flood" + std::to_string(i);
    // §9.2: each CANCEL matched its INVITE's transaction: 200, also after a 503.
    EXPECT_EQ(responses(o, id, sip::Method::Cancel, 200).size(), 1u) << id;
    EXPECT_TRUE(responses(o, id, sip::Method::Cancel, 481).empty()) << id;
    if (o.final_status(id) == 487) ++cancelled;
  }
  EXPECT_EQ(cancelled, 32);
  EXPECT_EQ(o.host->records().size(), 32u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->groups().in_use("fxo"), 0u);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), kDefaultPool);
}

TEST(GatewayAttack, AThousandInvitesExhaustTheRtpPortPoolWith503WithoutSeizingLines) {
  GatewayConfig config = gateway_config();
  config.rtp_port_last = config.rtp_port_first + 39;  // 20 ports for 32 channels
  Office o(config);
  constexpr int kCalls = 1000;
  for (int i = 0; i < kCalls; ++i) o.call("flood" + std::to_string(i), kSlowNumber);
  EXPECT_EQ(o.gw->free_rtp_ports(), 0u);
  EXPECT_EQ(o.gw->active_calls(), 20u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 20u) << "a call without a port seizes no channel";
  EXPECT_EQ(o.host->records().size(), 20u);
  int refused = 0;
  for (int i = 0; i < kCalls; ++i) {
    if (o.final_status("flood" + std::to_string(i)) == 503) ++refused;
  }
  EXPECT_EQ(refused, kCalls - 20);
  for (int i = 0; i < kCalls; ++i) o.cancel("flood" + std::to_string(i));
  o.advance(10s);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), 20u);
  // And the gateway serves the next call as if nothing had happened.
  o.call("after", "901632960000");
  o.advance(10s);
  EXPECT_EQ(o.final_status("after"), 200);
}

TEST(GatewayAttack, AByeForAnUnknownDialogGets481) {
  Office o;
  o.from(kProxy, request("BYE", "nobody", "ft-1", "gw-1", 2, "bye-nobody"));
  ASSERT_EQ(responses(o, "nobody", sip::Method::Bye, 481).size(), 1u);
  expect_nothing_seized(o);
}

TEST(GatewayAttack, AByeWithTheCallIdOfACallButAForgedTagGets481AndTheCallStaysUp) {
  Office o;
  o.call("c1", "901632960000");
  o.advance(5s);
  ASSERT_EQ(o.final_status("c1"), 200);
  o.in_dialog("ACK", "c1", 1);
  o.from(kAttacker, request("BYE", "c1", "ft-c1", "forged", 2, "bye-forged"));
  EXPECT_EQ(responses(o, "c1", sip::Method::Bye, 481).size(), 1u);
  o.advance(5s);
  EXPECT_EQ(o.gw->active_calls(), 1u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 1u);
  EXPECT_FALSE(o.host->records()[0].end.has_value()) << "the line call goes on";
}

TEST(GatewayAttack, ACancelForAnUnknownTransactionGets481) {
  Office o;
  o.cancel("nobody");
  ASSERT_EQ(responses(o, "nobody", sip::Method::Cancel, 481).size(), 1u);
  expect_nothing_seized(o);
}

TEST(GatewayAttack, AReInviteBeforeTheAnswerGets500WithRetryAfterAndTheCallGoesOn) {
  Office o;
  o.call("slow", kSlowNumber);
  o.advance(5s);
  // The subscriber rings for 30 s: 180, or 183 with the exchange's ringback in band.
  const sip::Message* ringing = o.last_response("slow", 180);
  if (ringing == nullptr) ringing = o.last_response("slow", 183);
  ASSERT_NE(ringing, nullptr);
  const std::string tag(ringing->to_tag());
  // §14.2: a second INVITE in the dialog before the final answer to the first: 500, Retry-After.
  const std::string reinvite =
      sip::make_request("INVITE", "sip:gw@127.0.0.1:5080",
                        {{"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-reinvite"},
                         {"Max-Forwards", "69"},
                         {"From", "<sip:2001@office.test>;tag=ft-slow"},
                         {"To", "<sip:x@office.test>;tag=" + tag},
                         {"Call-ID", "slow"},
                         {"CSeq", "2 INVITE"},
                         {"Contact", "<sip:2001@127.0.0.1:5062>"},
                         {"Content-Type", "application/sdp"}},
                        Office::kG711Offer);
  o.from(kProxy, reinvite);
  const auto refused = responses(o, "slow", sip::Method::Invite, 500);
  ASSERT_EQ(refused.size(), 1u);
  const std::string retry_after = o.header(*refused[0], "Retry-After");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_LE(std::stoi(retry_after), 10);
  // The first INVITE is untouched: answered when the subscriber answers.
  o.advance(30s);
  EXPECT_EQ(o.last_response("slow")->status_code(), 200);
  EXPECT_EQ(o.gw->active_calls(), 1u);
}

TEST(GatewayAttack, AReInviteWithAForgedTagGets481) {
  Office o;
  o.call("c1", "901632960000");
  o.advance(5s);
  ASSERT_EQ(o.final_status("c1"), 200);
  o.in_dialog("ACK", "c1", 1);
  const std::string forged =
      sip::make_request("INVITE", "sip:gw@127.0.0.1:5080",
                        {{"Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-forged"},
                         {"Max-Forwards", "69"},
                         {"From", "<sip:2001@office.test>;tag=ft-c1"},
                         {"To", "<sip:x@office.test>;tag=forged"},
                         {"Call-ID", "c1"},
                         {"CSeq", "2 INVITE"}});
  o.from(kAttacker, forged);
  EXPECT_EQ(responses(o, "c1", sip::Method::Invite, 481).size(), 1u);
  EXPECT_EQ(o.gw->active_calls(), 1u);
}

TEST(GatewayAttack, ARetransmittedInviteIsAbsorbedAndAMergedCopyGets482) {
  Office o;
  const std::string first = o.invite("dup", kSlowNumber);
  o.from(kProxy, first);
  o.from(kProxy, first);  // a retransmission: the same transaction (§17.2.3)
  EXPECT_EQ(o.host->records().size(), 1u);
  EXPECT_EQ(o.gw->active_calls(), 1u);
  // The same From tag, Call-ID and CSeq on another branch: a request that forked and came back
  // (§8.2.2.2): 482 Loop Detected, and the first call is not disturbed.
  o.from(kProxy, o.invite("dup", kSlowNumber, {}, Office::kG711Offer, "-fork"));
  EXPECT_EQ(responses(o, "dup", sip::Method::Invite, 482).size(), 1u);
  EXPECT_EQ(o.host->records().size(), 1u) << "no second line call";
  EXPECT_EQ(o.gw->groups().in_use("e1"), 1u);
  o.advance(35s);
  EXPECT_EQ(o.last_response("dup")->status_code(), 200);
}

// Found by fuzz_gateway_node: a BYE in the early dialog left the INVITE without a final answer,
// its server transaction waiting for one for ever.
TEST(GatewayAttack, AByeInTheEarlyDialogEndsTheCallAndThePendingInviteGets487) {
  Office o;
  o.call("early", kSlowNumber);
  o.advance(5s);
  const sip::Message* ringing = o.last_response("early", 180);
  if (ringing == nullptr) ringing = o.last_response("early", 183);
  ASSERT_NE(ringing, nullptr);
  o.from(kProxy, request("BYE", "early", "ft-early", ringing->to_tag(), 2, "bye-early"));
  EXPECT_EQ(responses(o, "early", sip::Method::Bye, 200).size(), 1u);
  EXPECT_EQ(o.final_status("early"), 487) << "§15.1.2: the pending INVITE is answered";
  o.advance(60s);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->transactions().server_count(), 0u);
  EXPECT_TRUE(o.host->records()[0].end.has_value());
}

TEST(GatewayAttack, AnAnswerNeverAcknowledgedIsEndedWithOneByeAndFreesTheLine) {
  Office o;
  o.call("noack", "901632960000");
  o.advance(5s);
  ASSERT_EQ(o.final_status("noack"), 200);
  o.advance(60s);  // no ACK: 64*T1 of 2xx retransmissions, then BYE (§13.3.1.4)
  EXPECT_EQ(o.requests(sip::Method::Bye).size(), 1u) << "one BYE, not one more at the release";
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), kDefaultPool);
}

TEST(GatewayAttack, AnAnswerCrossingTheCancelOfAPstnCallerWhoGaveUpGetsAckAndBye) {
  Office o;
  o.pstn_call("01632961005", /*restricted=*/false, /*patience=*/3s);
  o.advance(1s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u);
  const sip::Message invite = *invites[0];
  o.answer(invite, 180);
  o.advance(5s);  // the caller gives up: the gateway CANCELs
  ASSERT_EQ(o.requests(sip::Method::Cancel).size(), 1u);
  o.answer(invite, 200);  // sent before the CANCEL arrived (§9.1, §15)
  EXPECT_FALSE(o.requests(sip::Method::Ack).empty()) << "the 2xx is acknowledged";
  EXPECT_EQ(o.requests(sip::Method::Bye).size(), 1u) << "and the dialog ended at once";
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), kDefaultPool);
}

TEST(GatewayAttack, APstnCallWhoseCancelIsNeverAnsweredIsForgottenAfter64T1) {
  Office o;
  o.pstn_call("01632961005", /*restricted=*/false, /*patience=*/3s);
  o.advance(1s);
  const auto invites = o.requests(sip::Method::Invite);
  ASSERT_EQ(invites.size(), 1u);
  o.answer(*invites[0], 180);
  o.advance(5s);
  ASSERT_EQ(o.requests(sip::Method::Cancel).size(), 1u);
  EXPECT_EQ(o.gw->active_calls(), 1u) << "waiting for the INVITE's final answer";
  o.advance(40s);
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->free_rtp_ports(), kDefaultPool);
}

// Found by fuzz_gateway_node: an ACK with the Call-ID of a call but another dialog's To tag (an
// earlier call's with the same Call-ID, or a forged one) was taken for the call's ACK: the 2xx
// retransmissions stopped, and with them the BYE that ends an unacknowledged call.
TEST(GatewayAttack, AnAckOfAnotherDialogDoesNotStandInForTheCallsAck) {
  Office o;
  o.call("c1", "901632960000");
  o.advance(5s);
  ASSERT_EQ(o.final_status("c1"), 200);
  o.from(kProxy, request("ACK", "c1", "ft-c1", "not-ours", 1, "ack-foreign"));
  o.advance(60s);
  EXPECT_EQ(o.requests(sip::Method::Bye).size(), 1u) << "never acknowledged: ended (§13.3.1.4)";
  EXPECT_EQ(o.gw->active_calls(), 0u);
  EXPECT_EQ(o.gw->groups().in_use("e1"), 0u);
}

}  // namespace
}  // namespace resproxy::gateway
