// sip::Dialog (RFC 3261 §12): dialog state as the UAC and the UAS build it, requests within the
// dialog, the ACK for a 2xx, CSeq rules and target refresh.
#include "proxy/sip/dialog.h"

#include <string>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

// Alice's INVITE as she sent it (no Record-Route yet).
constexpr std::string_view kInviteSent =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:alice@client.atlanta.example.com>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// The same INVITE as Bob receives it: p1 (Alice's proxy), then p2 (Bob's) record-routed; each
// proxy puts its Record-Route on top, so the one nearest Bob comes first.
constexpr std::string_view kInviteReceived =
    "INVITE sip:bob@client.biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p2.biloxi.example.com;branch=z9hG4bK2\r\n"
    "Via: SIP/2.0/UDP p1.atlanta.example.com;branch=z9hG4bK1\r\n"
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 68\r\n"
    "Record-Route: <sip:p2.biloxi.example.com;lr>\r\n"
    "Record-Route: <sip:p1.atlanta.example.com;lr>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:alice@client.atlanta.example.com>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// Bob's 200 as Alice receives it: the Record-Route values in the request's order (one field).
constexpr std::string_view kOkReceived =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 2 INVITE\r\n"
    "Contact: <sip:bob@client.biloxi.example.com>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

Message parse_ok(std::string_view bytes) {
  auto m = Message::parse(std::string(bytes));
  EXPECT_TRUE(m.has_value()) << to_string(m.error());
  return *m;
}

std::string replaced(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

Dialog uac_dialog() {
  auto d = Dialog::uac(parse_ok(kInviteSent), parse_ok(kOkReceived));
  EXPECT_TRUE(d.has_value());
  return *d;
}

Dialog uas_dialog() {
  auto d = Dialog::uas(parse_ok(kInviteReceived), "314159");
  EXPECT_TRUE(d.has_value());
  return *d;
}

TEST(SipDialog, UacTakesLocalValuesFromItsRequestAndRemoteOnesFromThe2xx) {
  const Dialog d = uac_dialog();
  EXPECT_EQ(d.role(), DialogRole::Uac);
  EXPECT_EQ(d.call_id(), "3848276298220188511@atlanta.example.com");
  EXPECT_EQ(d.local_tag(), "9fxced76sl");
  EXPECT_EQ(d.remote_tag(), "314159");
  EXPECT_EQ(d.local_party(), "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl");
  EXPECT_EQ(d.remote_party(), "Bob <sip:bob@biloxi.example.com>;tag=314159");
  EXPECT_EQ(d.local_uri(), "sip:alice@atlanta.example.com");
  EXPECT_EQ(d.remote_uri(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(d.remote_target(), "sip:bob@client.biloxi.example.com");
  EXPECT_EQ(d.local_cseq(), 2u);
  EXPECT_EQ(d.remote_cseq(), std::nullopt);  // §12.1.2: empty until the peer sends a request
  EXPECT_EQ(d.invite_cseq(), 2u);
}

TEST(SipDialog, UacRouteSetIsTheRecordRouteOfThe2xxReversed) {
  EXPECT_EQ(uac_dialog().route_set(), (std::vector<std::string>{
                                          "<sip:p1.atlanta.example.com;lr>",
                                          "<sip:p2.biloxi.example.com;lr>"}));
}

TEST(SipDialog, UasRouteSetIsTheRecordRouteOfTheRequestInOrderAcrossFields) {
  EXPECT_EQ(uas_dialog().route_set(), (std::vector<std::string>{
                                          "<sip:p2.biloxi.example.com;lr>",
                                          "<sip:p1.atlanta.example.com;lr>"}));
}

TEST(SipDialog, UasTakesRemoteValuesFromTheRequestAndAddsItsTagToTheTo) {
  const Dialog d = uas_dialog();
  EXPECT_EQ(d.role(), DialogRole::Uas);
  EXPECT_EQ(d.local_tag(), "314159");
  EXPECT_EQ(d.remote_tag(), "9fxced76sl");
  EXPECT_EQ(d.local_party(), "Bob <sip:bob@biloxi.example.com>;tag=314159");
  EXPECT_EQ(d.remote_party(), "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl");
  EXPECT_EQ(d.local_uri(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(d.remote_uri(), "sip:alice@atlanta.example.com");
  EXPECT_EQ(d.remote_target(), "sip:alice@client.atlanta.example.com");
  EXPECT_EQ(d.local_cseq(), std::nullopt);  // §12.1.1: empty
  EXPECT_EQ(d.remote_cseq(), 2u);
  EXPECT_EQ(d.invite_cseq(), std::nullopt);  // we sent no INVITE
}

TEST(SipDialog, UacByeGoesThroughTheRouteSetWithTheNextCSeq) {
  Dialog d = uac_dialog();
  const auto bye = d.make_request("BYE", "SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bKb1");
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(*bye,
            "BYE sip:bob@client.biloxi.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bKb1\r\n"
            "Max-Forwards: 70\r\n"
            "Route: <sip:p1.atlanta.example.com;lr>\r\n"
            "Route: <sip:p2.biloxi.example.com;lr>\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
            "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
            "CSeq: 3 BYE\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
  EXPECT_TRUE(Message::parse(*bye).has_value());
  EXPECT_EQ(d.local_cseq(), 3u);
}

TEST(SipDialog, UasRequestsGoToTheNearestProxyFirstAndStartTheirOwnCSeqAtOne) {
  Dialog d = uas_dialog();
  const auto bye = d.make_request("BYE", "SIP/2.0/UDP client.biloxi.example.com;branch=z9hG4bKb2");
  ASSERT_TRUE(bye.has_value());
  const Message m = parse_ok(*bye);
  EXPECT_EQ(m.request_uri(), "sip:alice@client.atlanta.example.com");
  EXPECT_EQ(m.first(HeaderId::Route)->value, "<sip:p2.biloxi.example.com;lr>");
  EXPECT_EQ(m.cseq().number, 1u);
  EXPECT_EQ(m.from_tag(), "314159");
  EXPECT_EQ(m.to_tag(), "9fxced76sl");
}

TEST(SipDialog, EachRequestIncrementsTheLocalCSeqByOne) {
  Dialog d = uac_dialog();
  const auto refer = d.make_request("REFER", "SIP/2.0/UDP a;branch=z9hG4bK1",
                                    {{.name = "Refer-To", .value = "<sip:carol@example.com>"}});
  const auto info = d.make_request("INFO", "SIP/2.0/UDP a;branch=z9hG4bK2", {}, "x");
  ASSERT_TRUE(refer.has_value());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(parse_ok(*refer).cseq().number, 3u);
  EXPECT_EQ(parse_ok(*refer).first(HeaderId::ReferTo)->value, "<sip:carol@example.com>");
  EXPECT_EQ(parse_ok(*info).cseq().number, 4u);
  EXPECT_EQ(parse_ok(*info).body(), "x");
  EXPECT_EQ(d.next_cseq(), 5u);
}

TEST(SipDialog, AckForThe2xxCarriesTheInviteCSeqNumberAndConsumesNone) {
  Dialog d = uac_dialog();
  ASSERT_TRUE(d.make_request("INFO", "SIP/2.0/UDP a;branch=z9hG4bK1").has_value());  // CSeq 3
  const auto ack = d.make_ack("SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bKa1");
  ASSERT_TRUE(ack.has_value());
  const Message m = parse_ok(*ack);
  EXPECT_EQ(m.method(), Method::Ack);
  EXPECT_EQ(m.cseq().number, 2u);
  EXPECT_EQ(m.cseq().method, Method::Ack);
  EXPECT_EQ(m.request_uri(), "sip:bob@client.biloxi.example.com");
  EXPECT_EQ(m.count(HeaderId::Route), 2u);
  EXPECT_EQ(m.top_via().branch, "z9hG4bKa1");
  EXPECT_EQ(d.local_cseq(), 3u);
}

TEST(SipDialog, AReInviteBecomesTheInviteTheAckAcknowledges) {
  Dialog d = uac_dialog();
  ASSERT_TRUE(d.make_request("INVITE", "SIP/2.0/UDP a;branch=z9hG4bK1").has_value());
  EXPECT_EQ(d.invite_cseq(), 3u);
  EXPECT_EQ(parse_ok(*d.make_ack("SIP/2.0/UDP a;branch=z9hG4bK2")).cseq().number, 3u);
}

TEST(SipDialog, UasHasNoAckToSendBeforeItSendsAnInvite) {
  const Dialog d = uas_dialog();
  EXPECT_EQ(d.make_ack("SIP/2.0/UDP b;branch=z9hG4bK1").error(), DialogError::NoInvite);
}

TEST(SipDialog, MakeRequestRefusesAckAndCancelWithoutConsumingACSeq) {
  Dialog d = uac_dialog();
  EXPECT_EQ(d.make_request("ACK", "SIP/2.0/UDP a;branch=z9hG4bK1").error(), DialogError::AckOrCancel);
  EXPECT_EQ(d.make_request("CANCEL", "SIP/2.0/UDP a;branch=z9hG4bK1").error(),
            DialogError::AckOrCancel);
  EXPECT_EQ(d.local_cseq(), 2u);
}

TEST(SipDialog, WithoutARouteSetRequestsGoStraightToTheRemoteTarget) {
  const std::string ok = replaced(
      kOkReceived, "Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n", "");
  const auto d = Dialog::uac(parse_ok(kInviteSent), parse_ok(ok));
  ASSERT_TRUE(d.has_value());
  const auto target = d->target();
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->request_uri, "sip:bob@client.biloxi.example.com");
  EXPECT_TRUE(target->routes.empty());
  EXPECT_EQ(target->next_hop, "sip:bob@client.biloxi.example.com");
}

TEST(SipDialog, LooseRoutingKeepsTheRemoteTargetAsRequestUri) {
  const auto target = uac_dialog().target();
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->request_uri, "sip:bob@client.biloxi.example.com");
  EXPECT_EQ(target->routes.size(), 2u);
  EXPECT_EQ(target->next_hop, "sip:p1.atlanta.example.com;lr");
}

TEST(SipDialog, StrictRoutingPutsTheFirstRouteInTheRequestUriAndTheTargetLast) {
  // §12.2.1.1: an RFC 2543 proxy (no ;lr) first in the route set.
  const std::string ok = replaced(kOkReceived, "<sip:p1.atlanta.example.com;lr>",
                                  "<sip:p1.atlanta.example.com>");
  Dialog d = *Dialog::uac(parse_ok(kInviteSent), parse_ok(ok));
  const auto target = d.target();
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->request_uri, "sip:p1.atlanta.example.com");
  EXPECT_EQ(target->routes, (std::vector<std::string>{"<sip:p2.biloxi.example.com;lr>",
                                                      "<sip:bob@client.biloxi.example.com>"}));
  EXPECT_EQ(target->next_hop, "sip:p1.atlanta.example.com");
  const Message bye = parse_ok(*d.make_request("BYE", "SIP/2.0/UDP a;branch=z9hG4bK1"));
  EXPECT_EQ(bye.request_uri(), "sip:p1.atlanta.example.com");
}

TEST(SipDialog, AnUnusableFirstRouteGivesNoTargetAndConsumesNoCSeq) {
  const std::string ok = replaced(kOkReceived, "<sip:p1.atlanta.example.com;lr>", "<not a uri>");
  Dialog d = *Dialog::uac(parse_ok(kInviteSent), parse_ok(ok));
  EXPECT_EQ(d.target().error(), DialogError::BadRouteSet);
  EXPECT_EQ(d.make_request("BYE", "SIP/2.0/UDP a;branch=z9hG4bK1").error(), DialogError::BadRouteSet);
  EXPECT_EQ(d.local_cseq(), 2u);
}

TEST(SipDialog, MatchesRequestsFromThePeerByCallIdAndBothTags) {
  const Dialog d = uac_dialog();
  const std::string bye =
      "BYE sip:alice@client.atlanta.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP client.biloxi.example.com;branch=z9hG4bKx\r\n"
      "From: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
      "To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
      "CSeq: 1 BYE\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_TRUE(d.matches(parse_ok(bye)));
  EXPECT_FALSE(d.matches(parse_ok(replaced(bye, "tag=314159", "tag=other"))));
  EXPECT_FALSE(d.matches(parse_ok(replaced(bye, "tag=9fxced76sl", "tag=other"))));
  EXPECT_FALSE(d.matches(parse_ok(replaced(bye, "Call-ID: 3848", "Call-ID: 9848"))));
  // A response to our own request in the dialog: the tags the other way round.
  EXPECT_TRUE(d.matches(parse_ok(kOkReceived)));
}

TEST(SipDialog, AnOutOfOrderRequestFromThePeerIsRefused) {
  Dialog d = uac_dialog();
  const std::string info =
      "INFO sip:alice@client.atlanta.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP client.biloxi.example.com;branch=z9hG4bKx\r\n"
      "From: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
      "To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
      "CSeq: 10 INFO\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_TRUE(d.accept_remote_cseq(parse_ok(info)));  // empty remote CSeq: taken (§12.2.2)
  EXPECT_EQ(d.remote_cseq(), 10u);
  EXPECT_FALSE(d.accept_remote_cseq(parse_ok(replaced(info, "CSeq: 10 INFO", "CSeq: 9 INFO"))));
  EXPECT_EQ(d.remote_cseq(), 10u);
  EXPECT_TRUE(d.accept_remote_cseq(parse_ok(replaced(info, "CSeq: 10 INFO", "CSeq: 11 INFO"))));
  EXPECT_EQ(d.remote_cseq(), 11u);
}

TEST(SipDialog, AckAndCancelAreNotCheckedAgainstTheRemoteCSeq) {
  Dialog d = uas_dialog();  // remote CSeq 2
  const std::string ack =
      "ACK sip:bob@client.biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bKy\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
      "To: Bob <sip:bob@biloxi.example.com>;tag=314159\r\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
      "CSeq: 1 ACK\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_TRUE(d.accept_remote_cseq(parse_ok(ack)));
  EXPECT_EQ(d.remote_cseq(), 2u);
}

TEST(SipDialog, ATargetRefreshReplacesTheRemoteTargetButNotTheRouteSet) {
  Dialog d = uac_dialog();
  const std::string reinvite_ok = replaced(kOkReceived, "<sip:bob@client.biloxi.example.com>",
                                           "<sip:bob@192.0.2.4:5070>");
  ASSERT_TRUE(d.refresh_target(parse_ok(replaced(reinvite_ok, "CSeq: 2", "CSeq: 3"))));
  EXPECT_EQ(d.remote_target(), "sip:bob@192.0.2.4:5070");
  EXPECT_EQ(d.route_set().size(), 2u);
  EXPECT_EQ(d.route_set().front(), "<sip:p1.atlanta.example.com;lr>");
  // No usable Contact: nothing changes.
  EXPECT_FALSE(d.refresh_target(parse_ok(replaced(kOkReceived, "Contact: <sip:bob@client.biloxi.example.com>\r\n", ""))));
  EXPECT_EQ(d.remote_target(), "sip:bob@192.0.2.4:5070");
}

TEST(SipDialog, A2xxWithoutContactOrToTagStillMakesTheUacDialog) {
  // The UAS broke §12.1.1 (Contact) or is an RFC 2543 one (no tag, §12.1.2): the 2xx is there
  // and must be acknowledged, so the Request-URI stays the target and the remote tag is empty.
  std::string ok = replaced(kOkReceived, "Contact: <sip:bob@client.biloxi.example.com>\r\n", "");
  ok = replaced(ok, ";tag=314159", "");
  const auto d = Dialog::uac(parse_ok(kInviteSent), parse_ok(ok));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->remote_target(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(d->remote_tag(), "");
}

TEST(SipDialog, OnlyA2xxToARequestMakesAUacDialog) {
  const Message invite = parse_ok(kInviteSent);
  const Message ringing = parse_ok(replaced(kOkReceived, "200 OK", "180 Ringing"));
  const Message busy = parse_ok(replaced(kOkReceived, "200 OK", "486 Busy Here"));
  EXPECT_EQ(Dialog::uac(invite, ringing).error(), DialogError::NotASuccess);
  EXPECT_EQ(Dialog::uac(invite, busy).error(), DialogError::NotASuccess);
  EXPECT_EQ(Dialog::uac(parse_ok(kOkReceived), parse_ok(kOkReceived)).error(),
            DialogError::NotARequest);
}

TEST(SipDialog, UasRefusesARequestWithoutContactAlreadyInADialogOrWithoutATag) {
  const Message no_contact = parse_ok(
      replaced(kInviteReceived, "Contact: <sip:alice@client.atlanta.example.com>\r\n", ""));
  EXPECT_EQ(Dialog::uas(no_contact, "1").error(), DialogError::NoContact);
  const Message star = parse_ok(
      replaced(kInviteReceived, "<sip:alice@client.atlanta.example.com>", "*"));
  EXPECT_EQ(Dialog::uas(star, "1").error(), DialogError::NoContact);
  const Message reinvite =
      parse_ok(replaced(kInviteReceived, "To: Bob <sip:bob@biloxi.example.com>", "To: Bob <sip:bob@biloxi.example.com>;tag=7"));
  EXPECT_EQ(Dialog::uas(reinvite, "1").error(), DialogError::AlreadyInDialog);
  EXPECT_EQ(Dialog::uas(parse_ok(kInviteReceived), "").error(), DialogError::NoLocalTag);
  EXPECT_EQ(Dialog::uas(parse_ok(kOkReceived), "1").error(), DialogError::NotARequest);
}

TEST(SipDialog, RecordRouteValuesAreReadAcrossFieldsAndFirstContactSkipsStar) {
  const Message invite = parse_ok(kInviteReceived);
  EXPECT_EQ(record_route_values(invite).size(), 2u);
  EXPECT_EQ(first_contact_uri(invite), "sip:alice@client.atlanta.example.com");
  EXPECT_EQ(first_contact_uri(parse_ok(kInviteSent)), "sip:alice@client.atlanta.example.com");
  EXPECT_TRUE(record_route_values(parse_ok(kInviteSent)).empty());
}

}  // namespace
}  // namespace resproxy::sip
