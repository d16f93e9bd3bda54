// Server transactions (RFC 3261 §17.2, RFC 6026), CANCEL matching (§9.2) and where responses
// go (§18.2.2, RFC 3581): every timer path on a hand-stepped clock.
#include <gtest/gtest.h>

#include "tests/unit/transaction/transaction_fixture.h"

namespace resproxy::transaction::testing {
namespace {

// The TU answers `status` at once.
auto answer_with(TransactionFixture& f, int status) {
  return [&f, status](TimePoint now, ServerTransactionId id, const sip::Message& request) {
    f.node.transactions().send_response(
        now, id, status, sip::make_response(request, status, sip::default_reason(status), "s1"));
  };
}

TEST(ServerNonInviteTransaction, AbsorbsRetransmissionsInTryingAndResendsTheFinalWhenCompleted) {
  TransactionFixture f;
  const std::string options = TransactionFixture::peer_request("OPTIONS", "z9hG4bKsrv1");
  f.inject(options);
  ASSERT_EQ(f.node.requests.size(), 1u);
  f.inject(options);  // Trying: absorbed, nothing sent, TU not told again
  EXPECT_EQ(f.node.requests.size(), 1u);
  EXPECT_TRUE(f.sent.empty());
  const auto id = f.node.requests[0].id;
  const auto* request = f.node.transactions().server_request(id);
  ASSERT_NE(request, nullptr);
  ASSERT_TRUE(f.node.transactions().send_response(f.now, id, 200,
                                                  sip::make_response(*request, 200, "OK", "s1")));
  f.drain();
  EXPECT_EQ(f.count_sent("SIP/2.0 200"), 1);
  // The TU may still read the request until the next message comes in...
  EXPECT_NE(f.node.transactions().server_request(id), nullptr);
  f.inject(options);  // Completed: the final goes out again
  EXPECT_EQ(f.count_sent("SIP/2.0 200"), 2);
  EXPECT_EQ(f.node.requests.size(), 1u);
  // ...then only the key and the response stay for Timer J; the request is released.
  EXPECT_EQ(f.node.transactions().server_request(id), nullptr);
  f.inject(options);
  EXPECT_EQ(f.count_sent("SIP/2.0 200"), 3);
  f.advance(31999ms);
  EXPECT_EQ(f.node.transactions().server_state(id), State::Completed);
  f.advance(1ms);  // Timer J = 64*T1
  EXPECT_EQ(f.node.transactions().server_state(id), std::nullopt);
}

TEST(ServerNonInviteTransaction, ResendsTheLastProvisionalInProceeding) {
  TransactionFixture f;
  f.node.answer = answer_with(f, 100);
  const std::string reg = TransactionFixture::peer_request("REGISTER", "z9hG4bKsrv2");
  f.inject(reg);
  f.inject(reg);
  EXPECT_EQ(f.count_sent("SIP/2.0 100"), 2);
  EXPECT_EQ(f.node.transactions().server_state(f.node.requests[0].id), State::Proceeding);
}

TEST(ServerNonInviteTransaction, RejectsASecondFinalResponse) {
  TransactionFixture f;
  f.node.answer = answer_with(f, 200);
  f.inject(TransactionFixture::peer_request("OPTIONS", "z9hG4bKsrv3"));
  const auto id = f.node.requests[0].id;
  EXPECT_FALSE(f.node.transactions().send_response(f.now, id, 500, "SIP/2.0 500 x\r\n\r\n"));
}

TEST(ServerInviteTransaction, SendsTryingAfter200MsWhenTheTuIsSilent) {
  TransactionFixture f;
  f.inject(TransactionFixture::peer_request("INVITE", "z9hG4bKinv1"));
  f.advance(199ms);
  EXPECT_EQ(f.count_sent("SIP/2.0 100"), 0);
  f.advance(1ms);  // §17.2.1
  EXPECT_EQ(f.count_sent("SIP/2.0 100"), 1);
}

TEST(ServerInviteTransaction, RetransmitsNonSuccessFinalOnTimerGUntilTimerH) {
  TransactionFixture f;
  f.node.answer = answer_with(f, 486);
  const TimePoint start = f.now;
  f.inject(TransactionFixture::peer_request("INVITE", "z9hG4bKinv2"));
  const auto id = f.node.requests[0].id;
  EXPECT_EQ(f.node.transactions().server_state(id), State::Completed);
  f.advance(40s);
  // G: T1 doubling to T2: 0.5, 1.5, 3.5, 7.5, 11.5, ... 31.5; H at 64*T1 = 32 s.
  const std::vector<Duration> want = {0ms,    500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                      15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(f.send_times("SIP/2.0 486", start), want);
  ASSERT_EQ(f.node.server_errors.size(), 1u);
  EXPECT_EQ(f.node.server_errors[0], TransactionError::NoAck);
  EXPECT_EQ(f.node.transactions().server_state(id), std::nullopt);
}

TEST(ServerInviteTransaction, AckConfirmsAndTimerIAbsorbsAckRetransmissions) {
  TransactionFixture f;
  f.node.answer = answer_with(f, 486);
  f.inject(TransactionFixture::peer_request("INVITE", "z9hG4bKinv3"));
  const auto id = f.node.requests[0].id;
  f.advance(700ms);  // one Timer G retransmission
  const std::string ack = TransactionFixture::peer_request("ACK", "z9hG4bKinv3");
  f.inject(ack);
  EXPECT_EQ(f.node.transactions().server_state(id), State::Confirmed);
  f.inject(ack);
  EXPECT_EQ(f.node.acks, 0);  // the ACK of a non-2xx is the transaction's, never the TU's
  f.advance(10s);
  EXPECT_EQ(f.count_sent("SIP/2.0 486"), 2);  // G stopped by the ACK
  EXPECT_EQ(f.node.transactions().server_state(id), std::nullopt);  // Timer I = T4
  EXPECT_TRUE(f.node.server_errors.empty());
}

TEST(ServerInviteTransaction, SuccessEntersAcceptedAbsorbsInviteRetransmissionsUntilTimerL) {
  TransactionFixture f;
  f.node.answer = answer_with(f, 200);
  const std::string invite = TransactionFixture::peer_request("INVITE", "z9hG4bKinv4");
  f.inject(invite);
  const auto id = f.node.requests[0].id;
  EXPECT_EQ(f.node.transactions().server_state(id), State::Accepted);
  f.inject(invite);  // RFC 6026 §8.7: absorbed; the TU retransmits 2xx itself
  EXPECT_EQ(f.count_sent("SIP/2.0 200"), 1);
  EXPECT_EQ(f.node.requests.size(), 1u);
  // The TU may retransmit its 2xx while Accepted.
  const auto* request = f.node.transactions().server_request(id);
  ASSERT_NE(request, nullptr);
  EXPECT_TRUE(f.node.transactions().send_response(f.now, id, 200,
                                                  sip::make_response(*request, 200, "OK", "s1")));
  f.drain();
  EXPECT_EQ(f.count_sent("SIP/2.0 200"), 2);
  // The ACK for a 2xx carries a new branch: no transaction, it goes to the TU.
  f.inject(TransactionFixture::peer_request("ACK", "z9hG4bKack4"));
  EXPECT_EQ(f.node.acks, 1);
  f.advance(32s);  // Timer L
  EXPECT_EQ(f.node.transactions().server_state(id), std::nullopt);
}

TEST(ServerInviteTransaction, CancelIsItsOwnTransactionAndFindsTheInvite) {
  TransactionFixture f;
  f.inject(TransactionFixture::peer_request("INVITE", "z9hG4bKinv5"));
  const std::string cancel_bytes = TransactionFixture::peer_request("CANCEL", "z9hG4bKinv5");
  f.inject(cancel_bytes);
  ASSERT_EQ(f.node.requests.size(), 2u);
  EXPECT_EQ(f.node.requests[1].method, "CANCEL");
  EXPECT_NE(f.node.requests[0].id, f.node.requests[1].id);
  auto cancel = sip::Message::parse(cancel_bytes);
  ASSERT_TRUE(cancel.has_value());
  const auto invite = f.node.transactions().find_invite_for_cancel(*cancel);
  ASSERT_TRUE(invite.has_value());
  EXPECT_EQ(*invite, f.node.requests[0].id);
  // A CANCEL with another branch matches nothing (§9.2).
  auto other = sip::Message::parse(TransactionFixture::peer_request("CANCEL", "z9hG4bKzzz"));
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(f.node.transactions().find_invite_for_cancel(*other).has_value());
}

TEST(ServerTransaction, Rfc2543RequestWithoutMagicCookieStillMatchesItsRetransmission) {
  TransactionFixture f;
  const std::string old = TransactionFixture::peer_request("OPTIONS", "1234", "");
  f.inject(old);
  f.inject(old);
  EXPECT_EQ(f.node.requests.size(), 1u);
}

TEST(ServerTransaction, SameBranchFromAnotherSentByIsAnotherTransaction) {
  TransactionFixture f;
  f.inject(TransactionFixture::peer_request("OPTIONS", "z9hG4bKsame"));
  std::string other = TransactionFixture::peer_request("OPTIONS", "z9hG4bKsame");
  other.replace(other.find("192.0.2.9:5062"), 14, "192.0.2.77:5062");
  f.inject(other);
  EXPECT_EQ(f.node.requests.size(), 2u);
}

TEST(ResponseDestination, UsesSourcePortWithRportAndSentByPortWithout) {
  auto with_rport = sip::Message::parse(TransactionFixture::peer_request("OPTIONS", "z9hG4bK1"));
  auto without = sip::Message::parse(TransactionFixture::peer_request("OPTIONS", "z9hG4bK2", ""));
  ASSERT_TRUE(with_rport.has_value());
  ASSERT_TRUE(without.has_value());
  const Path natted{Transport::Udp, kLocal, Address{"198.51.100.7", 40000}, StreamId{}};
  const auto a = TransactionLayer::response_destination(*with_rport, natted);
  EXPECT_EQ(a.remote, (Address{"198.51.100.7", 40000}));  // RFC 3581 §4
  const auto b = TransactionLayer::response_destination(*without, natted);
  EXPECT_EQ(b.remote, (Address{"198.51.100.7", 5062}));  // §18.2.2: received + sent-by port
  const Path tcp{Transport::Tcp, kLocal, Address{"198.51.100.7", 40001}, StreamId{9}};
  const auto c = TransactionLayer::response_destination(*without, tcp);
  EXPECT_EQ(c.stream, StreamId{9});  // the connection the request came on
}

TEST(TransportLayer, AnswersUnparsableRequestsStatelesslyAndDropsBrokenResponses) {
  TransactionFixture f;
  std::string bad = TransactionFixture::peer_request("OPTIONS", "z9hG4bKbad");
  bad.replace(bad.find("SIP/2.0\r\n"), 7, "SIP/7.0");
  f.inject(bad);
  EXPECT_EQ(f.count_sent("SIP/2.0 505"), 1);
  EXPECT_TRUE(f.node.requests.empty());
  f.inject("SIP/2.0 99999999999 Nonsense\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\n\r\n");
  EXPECT_EQ(f.sent.size(), 1u);  // nothing more
  EXPECT_EQ(f.node.transport().counters().parse_errors, 2u);
  EXPECT_EQ(f.node.transport().counters().dropped, 1u);
}

TEST(TransportLayer, AnswersDoubleCrlfPingWithPongAndClosesOnFramingError) {
  TransactionFixture f;
  const Path tcp{Transport::Tcp, kLocal, kPeer, StreamId{3}};
  f.node.on_stream_opened(f.now, tcp);
  f.node.on_stream_data(f.now, StreamId{3}, "\r\n\r\n");
  f.drain();
  ASSERT_EQ(f.sent.size(), 1u);
  const auto* pong = std::get_if<WriteStream>(&f.sent[0].effect);
  ASSERT_NE(pong, nullptr);
  EXPECT_EQ(pong->bytes, "\r\n");  // RFC 5626 §3.5.1
  f.node.on_stream_data(f.now, StreamId{3}, "OPTIONS sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n");
  f.drain();
  ASSERT_EQ(f.sent.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<CloseStream>(f.sent[1].effect));
  EXPECT_FALSE(f.node.transport().is_stream_open(StreamId{3}));
}

TEST(TransportLayer, ReusesAnOpenConnectionToTheSamePeer) {
  TransactionFixture f;
  f.send("OPTIONS", Transport::Tcp);
  f.send("OPTIONS", Transport::Tcp);
  int opens = 0;
  for (const auto& s : f.sent) opens += std::holds_alternative<OpenStream>(s.effect) ? 1 : 0;
  EXPECT_EQ(opens, 1);
  EXPECT_EQ(f.count_sent("OPTIONS"), 2);
}

}  // namespace
}  // namespace resproxy::transaction::testing
