// builder.h: responses, requests, ACK, CANCEL and stateless error responses.
#include "proxy/sip/builder.h"

#include <string>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1, SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK2\r\n"
    "v: SIP/2.0/UDP host3.example.com;branch=z9hG4bK3\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:p1.example.com;lr>\r\n"
    "Route: <sip:p2.example.com;lr>\r\n"
    "To: Bob <sip:bob@biloxi.com>\r\n"
    "f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Timestamp: 54\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

Message parse_ok(std::string bytes) {
  auto m = Message::parse(std::move(bytes));
  EXPECT_TRUE(m.has_value()) << to_string(m.error());
  return *m;
}

TEST(SipBuilder, ResponseCopiesViasFromToCallIdCSeqAndAddsTheToTag) {
  const Message invite = parse_ok(std::string(kInvite));
  const std::string bytes = make_response(invite, 486, "", "8321234356",
                                          {{.name = "Retry-After", .value = "30"}}, "");
  const Message r = parse_ok(bytes);
  EXPECT_EQ(r.status_code(), 486);
  EXPECT_EQ(r.reason_phrase(), "Busy Here");
  EXPECT_EQ(r.via_count(), 3u);
  EXPECT_EQ(r.count(HeaderId::Via), 2u);
  EXPECT_EQ(r.top_via().branch, "z9hG4bK1");
  EXPECT_EQ(r.from_tag(), "1928301774");
  EXPECT_EQ(r.to_tag(), "8321234356");
  EXPECT_EQ(r.call_id(), invite.call_id());
  EXPECT_EQ(r.cseq().number, 314159u);
  EXPECT_EQ(r.first(HeaderId::RetryAfter)->value, "30");
  EXPECT_EQ(r.first(HeaderId::Timestamp), nullptr);
  EXPECT_EQ(r.first(HeaderId::Route), nullptr);
  EXPECT_EQ(r.body(), "");
  EXPECT_EQ(bytes,
            "SIP/2.0 486 Busy Here\r\n"
            "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1, SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK2\r\n"
            "Via: SIP/2.0/UDP host3.example.com;branch=z9hG4bK3\r\n"
            "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
            "To: Bob <sip:bob@biloxi.com>;tag=8321234356\r\n"
            "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
            "CSeq: 314159 INVITE\r\n"
            "Retry-After: 30\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(SipBuilder, TryingCopiesTimestampAndAddsNoTag) {
  const Message invite = parse_ok(std::string(kInvite));
  const Message r = parse_ok(make_response(invite, 100, "", "abc"));
  EXPECT_EQ(r.reason_phrase(), "Trying");
  EXPECT_EQ(r.to_tag(), "");
  ASSERT_NE(r.first(HeaderId::Timestamp), nullptr);
  EXPECT_EQ(r.first(HeaderId::Timestamp)->value, "54");
}

TEST(SipBuilder, ResponseKeepsAnExistingToTagAndCarriesTheBody) {
  std::string bytes(kInvite);
  bytes.replace(bytes.find("<sip:bob@biloxi.com>"), 20, "<sip:bob@biloxi.com>;tag=old");
  const Message request = parse_ok(bytes);
  const Message r = parse_ok(make_response(request, 200, "Fine", "new", {}, "v=0\r\n"));
  EXPECT_EQ(r.to_tag(), "old");
  EXPECT_EQ(r.reason_phrase(), "Fine");
  EXPECT_EQ(r.body(), "v=0\r\n");
}

TEST(SipBuilder, BuildsARequest) {
  const std::string bytes = make_request(
      "OPTIONS", "sip:itsp.example.com",
      {{"Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKp1"}, {"Max-Forwards", "70"},
       {"From", "<sip:proxy@192.0.2.1>;tag=x1"}, {"To", "<sip:itsp.example.com>"},
       {"Call-ID", "probe1@192.0.2.1"}, {"CSeq", "1 OPTIONS"}});
  const Message m = parse_ok(bytes);
  EXPECT_EQ(m.method(), Method::Options);
  EXPECT_EQ(m.request_uri(), "sip:itsp.example.com");
  EXPECT_TRUE(bytes.ends_with("Content-Length: 0\r\n\r\n"));
}

TEST(SipBuilder, AckForNon2xxUsesTheTopViaRoutesAndTheResponseTo) {
  const Message invite = parse_ok(std::string(kInvite));
  const Message response = parse_ok(make_response(invite, 486, "", "t9"));
  const Message ack = parse_ok(make_ack_for_non2xx(invite, response));
  EXPECT_EQ(ack.method(), Method::Ack);
  EXPECT_EQ(ack.request_uri(), "sip:bob@biloxi.com");
  EXPECT_EQ(ack.via_count(), 1u);
  EXPECT_EQ(ack.top_via().branch, "z9hG4bK1");
  EXPECT_EQ(ack.count(HeaderId::Route), 2u);
  EXPECT_EQ(ack.to_tag(), "t9");
  EXPECT_EQ(ack.from_tag(), "1928301774");
  EXPECT_EQ(ack.cseq().number, 314159u);
  EXPECT_EQ(ack.cseq().method, Method::Ack);
  EXPECT_EQ(ack.max_forwards(), 70u);
  EXPECT_EQ(ack.body(), "");
}

TEST(SipBuilder, AckFromATemplateIsByteForByteTheAckFromTheInvite) {
  const Message invite = parse_ok(std::string(kInvite));
  const Message response = parse_ok(make_response(invite, 487, "", "t9"));
  const AckTemplate ack = make_ack_template(invite);
  EXPECT_EQ(make_ack_for_non2xx(ack, response), make_ack_for_non2xx(invite, response));
  // It keeps nothing of the INVITE the ACK does not need: no other Via, no body.
  EXPECT_EQ(ack.before_to.find("pc33.atlanta.com;branch"), std::string::npos);
  EXPECT_EQ((ack.before_to + ack.after_to).find("v=0"), std::string::npos);
  EXPECT_TRUE(ack.after_to.starts_with("Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"));
}

TEST(SipBuilder, CancelUsesTheRequestsToAndTopVia) {
  const Message invite = parse_ok(std::string(kInvite));
  const Message cancel = parse_ok(make_cancel(invite));
  EXPECT_EQ(cancel.method(), Method::Cancel);
  EXPECT_EQ(cancel.via_count(), 1u);
  EXPECT_EQ(cancel.top_via().branch, "z9hG4bK1");
  EXPECT_EQ(cancel.to_tag(), "");
  EXPECT_EQ(cancel.cseq().method_token, "CANCEL");
  EXPECT_EQ(cancel.count(HeaderId::Route), 2u);
}

struct StatelessCase {
  std::string_view name;
  std::string_view bytes;
  bool answered;
};

TEST(SipBuilder, StatelessErrorResponseAnswersRequestsWithAVia) {
  const std::vector<StatelessCase> cases = {
      {"bad max-forwards", "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\n"
                   "From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nMax-Forwards: 300\r\n\r\n", true},
      {"truncated", "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a", true},
      {"bare LF lines", "INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\nTo: <sip:a@b>\n\n", true},
      {"no via", "INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n", false},
      {"response", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", false},
      {"garbage", "\x01\x02\x03", false},
      {"empty", "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = make_stateless_error_response(c.bytes, 400, "", "st1");
    ASSERT_EQ(r.has_value(), c.answered);
    if (!c.answered) continue;
    EXPECT_TRUE(r->starts_with("SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP h"));
    EXPECT_TRUE(r->ends_with("Content-Length: 0\r\n\r\n"));
  }
  const auto full = make_stateless_error_response(cases[0].bytes, 400, "Bad CSeq", "st1");
  ASSERT_TRUE(full.has_value());
  auto parsed = Message::parse(*full);
  ASSERT_TRUE(parsed.has_value()) << *full;
  EXPECT_EQ(parsed->to_tag(), "st1");
  EXPECT_EQ(parsed->reason_phrase(), "Bad CSeq");
  EXPECT_EQ(parsed->top_via().branch, "z9hG4bK1");
}

TEST(SipBuilder, StatelessErrorResponseNeverGluesTheContinuationOfASkippedHeaderOnto) {
  // RFC 4475 scalar02: a folded Contact after Call-ID must not become part of the Call-ID.
  const auto r = make_stateless_error_response(
      "REGISTER sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nCall-ID: abc\r\n"
      "Max-Forwards: 300\r\nContact: <sip:u@h>\r\n  ;expires=280297596632815\r\n"
      "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 REGISTER\r\n\r\n",
      400, "", "t");
  ASSERT_TRUE(r.has_value());
  auto parsed = Message::parse(*r);
  ASSERT_TRUE(parsed.has_value()) << *r;
  EXPECT_EQ(parsed->call_id(), "abc");
  EXPECT_EQ(r->find("expires"), std::string::npos) << *r;
}

TEST(SipBuilder, StatelessErrorResponseFlattensLoneLineBreaks) {
  const auto r = make_stateless_error_response(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\rInjected: x\r\nCall-ID: c\r\n\r\n", 400, "", "t");
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->find("Via: SIP/2.0/UDP h Injected: x\r\n"), std::string::npos) << *r;
}

TEST(SipBuilder, KnowsStandardReasonPhrases) {
  EXPECT_EQ(default_reason(200), "OK");
  EXPECT_EQ(default_reason(408), "Request Timeout");
  EXPECT_EQ(default_reason(416), "Unsupported URI Scheme");
  EXPECT_EQ(default_reason(420), "Bad Extension");
  EXPECT_EQ(default_reason(483), "Too Many Hops");
  EXPECT_EQ(default_reason(505), "Version Not Supported");
  EXPECT_EQ(default_reason(299), "Unknown");
}

}  // namespace
}  // namespace resproxy::sip
