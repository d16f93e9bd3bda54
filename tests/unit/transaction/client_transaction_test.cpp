// Client transactions (RFC 3261 §17.1, RFC 6026): every timer path on a hand-stepped clock.
#include <gtest/gtest.h>

#include "tests/unit/transaction/transaction_fixture.h"

namespace resproxy::transaction::testing {
namespace {

TEST(ClientNonInviteTransaction, RetransmitsOnTimerEDoublingUpToT2ThenTimesOutOnTimerF) {
  TransactionFixture f;
  const TimePoint start = f.now;
  f.send("OPTIONS");
  f.advance(40s);
  // §17.1.2.2: E starts at T1, doubles, capped at T2 (4 s); F fires at 64*T1 = 32 s.
  const std::vector<Duration> want = {0ms,    500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                      15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(f.send_times("OPTIONS", start), want);
  ASSERT_EQ(f.node.client_errors.size(), 1u);
  EXPECT_EQ(f.node.client_errors[0], TransactionError::Timeout);
  EXPECT_EQ(to_sip_status(f.node.client_errors[0]), 408);
  EXPECT_EQ(f.node.transactions().client_count(), 0u);
}

TEST(ClientNonInviteTransaction, ProvisionalResponseMovesRetransmissionsToT2) {
  TransactionFixture f;
  const TimePoint start = f.now;
  f.send("REGISTER");
  f.advance(600ms);  // one retransmission at 500 ms
  f.inject(f.answer_last(100));
  EXPECT_EQ(f.node.transactions().client_state(ClientTransactionId{1}), State::Proceeding);
  f.advance(10s);
  // §17.1.2.2: in Proceeding, E fires every T2 — the pending E (due at 1.5 s) fires, then it
  // re-arms at T2 intervals.
  const std::vector<Duration> want = {0ms, 500ms, 1500ms, 5500ms, 9500ms};
  EXPECT_EQ(f.send_times("REGISTER", start), want);
  ASSERT_EQ(f.node.responses.size(), 1u);
  EXPECT_EQ(f.node.responses[0].status, 100);
}

TEST(ClientNonInviteTransaction, AbsorbsRetransmittedFinalAndTerminatesOnTimerK) {
  TransactionFixture f;
  const auto id = f.send("OPTIONS");
  const std::string ok = f.answer_last(200);
  f.inject(ok);
  EXPECT_EQ(f.node.transactions().client_state(id), State::Completed);
  f.inject(ok);
  f.inject(ok);
  ASSERT_EQ(f.node.responses.size(), 1u);  // retransmissions never reach the TU
  EXPECT_EQ(f.node.responses[0].status, 200);
  f.advance(4999ms);
  EXPECT_EQ(f.node.transactions().client_state(id), State::Completed);
  f.advance(1ms);  // Timer K = T4 = 5 s
  EXPECT_EQ(f.node.transactions().client_state(id), std::nullopt);
  EXPECT_EQ(f.count_sent("OPTIONS"), 1);
  EXPECT_TRUE(f.node.client_errors.empty());
}

TEST(ClientNonInviteTransaction, LateResponseAfterTimerKIsStray) {
  TransactionFixture f;
  f.send("OPTIONS");
  const std::string ok = f.answer_last(200);
  f.inject(ok);
  f.advance(6s);
  f.inject(ok);
  EXPECT_EQ(f.node.strays, 1);
  EXPECT_EQ(f.node.responses.size(), 1u);
}

TEST(ClientNonInviteTransaction, ConfigurableT1ScalesEveryTimer) {
  TransactionFixture f(TimerConfig{.t1 = 100ms, .t2 = 800ms, .t4 = 1s});
  const TimePoint start = f.now;
  f.send("OPTIONS");
  f.advance(10s);
  // E: 100, 300, 700, 1500 (cap 800 from here), 2300, ... F at 64*T1 = 6.4 s.
  const auto times = f.send_times("OPTIONS", start);
  ASSERT_GE(times.size(), 5u);
  EXPECT_EQ(times[1], 100ms);
  EXPECT_EQ(times[2], 300ms);
  EXPECT_EQ(times[3], 700ms);
  EXPECT_EQ(times[4], 1500ms);
  EXPECT_EQ(times[5], 2300ms);
  EXPECT_EQ(times.back(), 6300ms);
  ASSERT_EQ(f.node.client_errors.size(), 1u);
}

TEST(ClientNonInviteTransaction, DoesNotRetransmitOverTcpAndTerminatesAtOnce) {
  TransactionFixture f;
  const auto id = f.send("OPTIONS", Transport::Tcp);
  ASSERT_GE(f.sent.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<OpenStream>(f.sent[0].effect));
  EXPECT_TRUE(std::holds_alternative<WriteStream>(f.sent[1].effect));
  f.advance(31s);
  EXPECT_EQ(f.count_sent("OPTIONS"), 1);  // Timer E is for unreliable transports only
  // The response arrives on the same connection.
  const auto stream = std::get<OpenStream>(f.sent[0].effect).stream;
  const Path tcp{Transport::Tcp, kLocal, kPeer, stream};
  f.node.on_stream_opened(f.now, tcp);
  const std::string ok = f.answer_last(200);
  f.node.on_stream_data(f.now, stream, ok);
  f.drain();
  ASSERT_EQ(f.node.responses.size(), 1u);
  f.advance(0ms);  // Timer K = 0 over TCP
  EXPECT_EQ(f.node.transactions().client_state(id), std::nullopt);
}

TEST(ClientNonInviteTransaction, ConnectFailureIsATransportError) {
  TransactionFixture f;
  f.send("OPTIONS", Transport::Tcp);
  const auto stream = std::get<OpenStream>(f.sent[0].effect).stream;
  f.node.on_stream_closed(f.now, stream, StreamCloseReason::ConnectFailed);
  f.drain();
  ASSERT_EQ(f.node.client_errors.size(), 1u);
  EXPECT_EQ(f.node.client_errors[0], TransactionError::TransportError);
  EXPECT_EQ(to_sip_status(f.node.client_errors[0]), 503);
  EXPECT_EQ(f.node.transactions().client_count(), 0u);
}

TEST(ClientInviteTransaction, RetransmitsOnTimerAWithoutCapAndTimesOutOnTimerB) {
  TransactionFixture f;
  const TimePoint start = f.now;
  f.send("INVITE");
  f.advance(64s);
  // §17.1.1.2: A doubles with no cap: 0.5, 1, 2, 4, 8, 16 → sends at 0, .5, 1.5, 3.5, 7.5,
  // 15.5, 31.5; B at 64*T1 = 32 s.
  const std::vector<Duration> want = {0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms};
  EXPECT_EQ(f.send_times("INVITE", start), want);
  ASSERT_EQ(f.node.client_errors.size(), 1u);
  EXPECT_EQ(f.node.client_errors[0], TransactionError::Timeout);
}

TEST(ClientInviteTransaction, ProvisionalStopsTimerAAndTimerB) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  f.inject(f.answer_last(180));
  f.advance(5min);  // RFC 3261 leaves Proceeding to the TU (Timer C in a proxy)
  EXPECT_EQ(f.count_sent("INVITE"), 1);
  EXPECT_TRUE(f.node.client_errors.empty());
  EXPECT_EQ(f.node.transactions().client_state(id), State::Proceeding);
}

TEST(ClientInviteTransaction, GivingUpAfterAnUnansweredCancelEndsItAndMakesLate2xxAnd1xxStray) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  const std::string late_ok = f.answer_last(200);
  const std::string late_ringing = f.answer_last(183);
  f.inject(f.answer_last(180));
  // §9.1: the TU's CANCEL got no final response for 64·T1; the INVITE is taken as cancelled.
  f.node.transactions().give_up_invite(f.now, id);
  EXPECT_EQ(f.node.transactions().client_count(), 0u);
  EXPECT_TRUE(f.node.client_errors.empty());  // the TU gave up itself: not told again
  const std::size_t responses = f.node.responses.size();
  // A late 2xx is the TU's to forward (§16.7), a 1xx means nothing now: both are stray.
  f.inject(late_ok);
  f.inject(late_ringing);
  EXPECT_EQ(f.node.responses.size(), responses);
  EXPECT_EQ(f.node.strays, 2);
  EXPECT_EQ(f.count_sent("ACK "), 0);  // the 2xx's ACK is end to end, not ours
}

TEST(ClientInviteTransaction, ALateNonSuccessFinalAfterGivingUpIsAckedAsTheTransactionWould) {
  TransactionFixture f;
  const auto id = f.send("INVITE", Transport::Udp,
                         {{"Route", "<sip:p1.example.com;lr>"},
                          {"Route", "<sip:p2.example.com;lr>"}});
  const std::string late = f.answer_last(487, "uas9");
  f.inject(f.answer_last(180, "uas9"));
  f.node.transactions().give_up_invite(f.now, id);
  const std::size_t responses = f.node.responses.size();
  const std::size_t sent_before = f.sent.size();
  f.inject(late);
  // One ACK, to where the INVITE went, built as §17.1.1.3 says: the INVITE's Request-URI, top
  // Via, Route set, From, Call-ID and CSeq number with ACK; the 487's To with its tag.
  ASSERT_EQ(f.count_sent("ACK "), 1);
  ASSERT_EQ(f.sent.size(), sent_before + 1);
  const auto* datagram = std::get_if<SendDatagram>(&f.sent.back().effect);
  ASSERT_NE(datagram, nullptr);
  EXPECT_EQ(datagram->remote, kPeer);
  const auto invite = sip::Message::parse(f.datagrams().front());
  const auto response = sip::Message::parse(late);
  const auto ack = sip::Message::parse(datagram->bytes);
  ASSERT_TRUE(invite.has_value() && response.has_value() && ack.has_value());
  EXPECT_EQ(ack->method(), sip::Method::Ack);
  EXPECT_EQ(ack->request_uri(), invite->request_uri());
  EXPECT_EQ(ack->via_count(), 1u);
  EXPECT_EQ(ack->top_via().branch, invite->top_via().branch);
  EXPECT_EQ(ack->count(sip::HeaderId::Route), 2u);
  EXPECT_EQ(ack->from_tag(), "a1");
  EXPECT_EQ(ack->call_id(), invite->call_id());
  EXPECT_EQ(ack->cseq().number, invite->cseq().number);
  EXPECT_EQ(ack->cseq().method, sip::Method::Ack);
  EXPECT_EQ(ack->to_tag(), "uas9");
  EXPECT_EQ(datagram->bytes, sip::make_ack_for_non2xx(*invite, *response))
      << "the ACK the transaction itself would have sent";
  // Its retransmission (our ACK was lost) is ACKed again; the TU hears of neither.
  f.advance(4s);
  f.inject(late);
  EXPECT_EQ(f.count_sent("ACK "), 2);
  EXPECT_EQ(f.node.responses.size(), responses);
  EXPECT_EQ(f.node.strays, 0);
  EXPECT_EQ(f.node.transactions().counters().late_finals_acked, 2u);
  const auto* traced = f.trace.find("txn.late_final_acked");
  ASSERT_NE(traced, nullptr);
  EXPECT_EQ(traced->fields.back(), (std::pair<std::string, std::string>{"status", "487"}));
}

TEST(ClientInviteTransaction, ALateNonSuccessFinalIsAckedForTheUassTimerHOnlyThenStray) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  const std::string late = f.answer_last(487);
  f.inject(f.answer_last(100));
  f.node.transactions().give_up_invite(f.now, id);
  ASSERT_EQ(f.node.transactions().given_up_lifetime(), 64 * f.node.transactions().timers().t1);
  f.advance(f.node.transactions().given_up_lifetime() - 1ms);
  f.inject(late);
  EXPECT_EQ(f.count_sent("ACK "), 1);
  f.advance(1ms);
  EXPECT_EQ(f.node.transactions().given_up_count(), 0u) << "its timer let it go";
  EXPECT_FALSE(f.node.next_deadline().has_value());
  f.inject(late);
  EXPECT_EQ(f.count_sent("ACK "), 1);
  EXPECT_EQ(f.node.strays, 1);
}

TEST(ClientInviteTransaction, GivenUpInvitesAreRememberedUpToACapOldestDroppedFirst) {
  TransactionFixture f;
  constexpr std::size_t kCap = TransactionLayer::kMaxGivenUpInvites;
  std::vector<std::string> late;
  late.reserve(kCap + 1);
  for (std::size_t i = 0; i <= kCap; ++i) {
    const auto id = f.send("INVITE");
    late.push_back(f.answer_last(487));
    f.node.transactions().give_up_invite(f.now, id);
  }
  f.sent.clear();
  EXPECT_EQ(f.node.transactions().given_up_count(), kCap);
  EXPECT_EQ(f.node.transactions().counters().given_up_evicted, 1u);
  EXPECT_TRUE(f.trace.contains("txn.given_up_evicted"));
  f.inject(late.front());  // the oldest was dropped: stray
  EXPECT_EQ(f.node.strays, 1);
  EXPECT_EQ(f.count_sent("ACK "), 0);
  f.inject(late[1]);
  f.inject(late.back());
  EXPECT_EQ(f.count_sent("ACK "), 2);
  EXPECT_EQ(f.node.strays, 1);
}

TEST(ClientInviteTransaction, GivingUpLeavesATransactionWithItsFinalResponseAlone) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  f.inject(f.answer_last(486));
  f.node.transactions().give_up_invite(f.now, id);
  // Completed: it still absorbs retransmitted finals with an ACK until Timer D.
  EXPECT_EQ(f.node.transactions().client_state(id), State::Completed);
}

TEST(ClientInviteTransaction, NonSuccessFinalIsAcknowledgedAndItsRetransmissionsReAcked) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  const std::string busy = f.answer_last(486);
  f.inject(busy);
  EXPECT_EQ(f.node.transactions().client_state(id), State::Completed);
  EXPECT_EQ(f.count_sent("ACK "), 1);
  f.inject(busy);
  f.inject(busy);
  EXPECT_EQ(f.count_sent("ACK "), 3);  // §17.1.1.2: every retransmitted final gets the ACK again
  ASSERT_EQ(f.node.responses.size(), 1u);
  EXPECT_EQ(f.node.responses[0].status, 486);
  // The ACK is the same transaction's: same branch, CSeq method ACK, To with the peer's tag.
  const auto acks = f.datagrams();
  auto ack = sip::Message::parse(acks.back());
  ASSERT_TRUE(ack.has_value());
  auto invite = sip::Message::parse(acks.front());
  ASSERT_TRUE(invite.has_value());
  EXPECT_EQ(ack->method(), sip::Method::Ack);
  EXPECT_EQ(ack->top_via().branch, invite->top_via().branch);
  EXPECT_EQ(ack->cseq().number, invite->cseq().number);
  EXPECT_EQ(ack->cseq().method, sip::Method::Ack);
  EXPECT_EQ(ack->to_tag(), "b1");
  f.advance(31s);
  EXPECT_EQ(f.node.transactions().client_state(id), State::Completed);
  f.advance(1s);  // Timer D = 32 s
  EXPECT_EQ(f.node.transactions().client_state(id), std::nullopt);
}

TEST(ClientInviteTransaction, SuccessEntersAcceptedAndPassesRetransmitted2xxToTheTu) {
  TransactionFixture f;
  const auto id = f.send("INVITE");
  const std::string ok = f.answer_last(200);
  f.inject(ok);
  EXPECT_EQ(f.node.transactions().client_state(id), State::Accepted);
  f.inject(ok);
  // RFC 6026 §8.4: the TU sees every 2xx (it must ACK each); the transaction sends no ACK.
  EXPECT_EQ(f.node.responses.size(), 2u);
  EXPECT_EQ(f.count_sent("ACK "), 0);
  f.advance(32s);  // Timer M = 64*T1
  EXPECT_EQ(f.node.transactions().client_state(id), std::nullopt);
  f.inject(ok);
  EXPECT_EQ(f.node.strays, 1);  // after Timer M a 2xx is stray: the TU decides (no ghost call)
}

}  // namespace
}  // namespace resproxy::transaction::testing
