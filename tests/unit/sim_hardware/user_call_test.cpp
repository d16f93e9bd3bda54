// The PRI card's user-side call control (sim_hardware/pri/user_call.h), one transition or timer a
// test, on a hand-moved clock: Q.931 §5.1 (outgoing), §5.2 (incoming), §5.3 (clearing), §5.8
// (errors). Every message the call sends is checked on the way out: it encodes, decodes back to
// itself and carries its mandatory IEs in the user-to-network direction.
#include "sim_hardware/pri/user_call.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "sim_hardware/q931/codec.h"
#include "tests/unit/sim_hardware/q931_vectors.h"

namespace resproxy::pri {
namespace {

using namespace std::chrono_literals;
using q931::CauseValue;
using q931::Message;
using q931::MessageType;
using State = CallStateValue;

std::vector<MessageType> types(const Output& out) {
  std::vector<MessageType> t;
  for (const auto& m : out.messages) t.push_back(m.type);
  return t;
}

std::vector<IndicationKind> kinds(const Output& out) {
  std::vector<IndicationKind> k;
  for (const auto& i : out.indications) k.push_back(i.kind);
  return k;
}

class UserCallTest : public ::testing::Test {
 protected:
  TimePoint now = from_ns(1'000'000'000);

  // What the call sent must be a valid message on the wire.
  static Output checked(Output out) {
    for (const Message& m : out.messages) {
      SCOPED_TRACE(q931::to_string(m.type));
      auto decoded = q931::decode(q931::encode(m));
      EXPECT_TRUE(decoded.has_value());
      if (decoded) {
        EXPECT_EQ(*decoded, m);
      }
      const q931::ValidationContext context{.direction = q931::Direction::UserToNetwork,
                                            .first_response_to_setup = false,
                                            .first_clearing_message = false};
      const auto problem = q931::validate(m, context);
      EXPECT_FALSE(problem && problem->action == q931::ValidationAction::RejectMessage)
          << static_cast<int>(problem->cause);
    }
    return out;
  }

  // A message of the network on the call's call reference (the flag the other way round).
  static Message from_network(const UserCall& call, MessageType type) {
    Message m;
    m.call_reference = call.call_reference();
    m.call_reference.flag = m.call_reference.flag == q931::CallReferenceFlag::FromOriginatingSide
                                ? q931::CallReferenceFlag::ToOriginatingSide
                                : q931::CallReferenceFlag::FromOriginatingSide;
    m.type = type;
    return m;
  }

  static Message with_channel(Message m, std::uint8_t channel) {
    m.channel_identification = q931::ChannelIdentification::exclusive_b_channel(channel);
    return m;
  }

  static Message with_cause(Message m, CauseValue value) {
    m.cause = q931::test_vectors::cause(q931::Location::PublicNetworkLocalUser, value);
    return m;
  }

  static Message with_in_band(Message m) {
    m.progress_indicators = {q931::test_vectors::progress(
        q931::Location::PublicNetworkLocalUser, q931::ProgressDescription::InBandInformation)};
    return m;
  }

  Output receive(UserCall& call, const Message& m) { return checked(call.on_message(now, m)); }

  // Jump to the running timer's deadline and fire it.
  Output expire(UserCall& call) {
    EXPECT_TRUE(call.deadline().has_value());
    if (call.deadline()) now = *call.deadline();
    return checked(call.on_deadline(now));
  }

  static OutgoingCall speech_call() {
    OutgoingCall c;
    c.bearer_capability = q931::test_vectors::bearer(q931::TransferCapability::Speech,
                                                     q931::Layer1Protocol::G711ALaw);
    c.called_party_number = q931::test_vectors::called(q931::TypeOfNumber::National,
                                                       q931::NumberingPlan::Isdn, "2079460123");
    return c;
  }

  // U0 → U1 → U3 on B-channel 3.
  UserCall proceeding_outgoing_call() {
    UserCall call(1, Origin::Outgoing);
    checked(call.on_setup_request(now, speech_call()));
    receive(call, with_channel(from_network(call, MessageType::CallProceeding), 3));
    return call;
  }

  UserCall active_outgoing_call() {
    UserCall call = proceeding_outgoing_call();
    receive(call, from_network(call, MessageType::Connect));
    return call;
  }

  // U0 → U6: a SETUP from the network naming B-channel 5.
  UserCall present_incoming_call() {
    UserCall call(0x42, Origin::Incoming);
    Message setup = with_channel(from_network(call, MessageType::Setup), 5);
    setup.bearer_capability = q931::test_vectors::bearer(q931::TransferCapability::Speech,
                                                         q931::Layer1Protocol::G711ALaw);
    receive(call, setup);
    return call;
  }
};

// ---- §5.1 outgoing calls ----------------------------------------------------------------------

TEST_F(UserCallTest, SetupRequestSendsSetupAndStartsT303_5_1_1) {
  UserCall call(1, Origin::Outgoing);
  const Output out = checked(call.on_setup_request(now, speech_call()));
  ASSERT_EQ(types(out), std::vector{MessageType::Setup});
  const Message& setup = out.messages[0];
  EXPECT_TRUE(setup.sending_complete);
  EXPECT_EQ(setup.call_reference.flag, q931::CallReferenceFlag::FromOriginatingSide);  // §4.3: ours
  EXPECT_EQ(setup.called_party_number->digits, "2079460123");
  EXPECT_EQ(call.state(), State::CallInitiated);
  EXPECT_EQ(call.running_timer(), Timer::T303);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, T303FirstExpiryRetransmitsTheSetup_5_1_1) {
  UserCall call(1, Origin::Outgoing);
  const Output first = checked(call.on_setup_request(now, speech_call()));
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Setup});
  EXPECT_EQ(out.messages[0], first.messages[0]);
  EXPECT_EQ(call.state(), State::CallInitiated);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, T303SecondExpiryClearsWithCause102_5_1_1) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  expire(call);
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::RecoveryOnTimerExpiry);
  EXPECT_EQ(call.state(), State::Null);
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(call.deadline(), std::nullopt);
}

TEST_F(UserCallTest, DeadlineDoesNothingBeforeItIsDue) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  const Output out = call.on_deadline(now + 3999ms);
  EXPECT_FALSE(out.accepted);
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(call.running_timer(), Timer::T303);
}

TEST_F(UserCallTest, CallProceedingStopsT303AndStartsT310_5_1_5_1) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  now += 1s;
  const Output out =
      receive(call, with_channel(from_network(call, MessageType::CallProceeding), 3));
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Proceeding});
  EXPECT_EQ(call.state(), State::OutgoingCallProceeding);
  EXPECT_EQ(call.running_timer(), Timer::T310);
  EXPECT_EQ(call.deadline(), now + 30s);
  EXPECT_EQ(call.channel(), 3);
}

TEST_F(UserCallTest, FirstAnswerWithoutChannelIdentificationIsAnsweredWithStatus96_5_8_6_1) {
  // §3.1.2 note: the network's first answer to SETUP names the B-channel.
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  const Output out = receive(call, from_network(call, MessageType::CallProceeding));
  ASSERT_EQ(types(out), std::vector{MessageType::Status});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::MandatoryInformationElementMissing);
  EXPECT_EQ(out.messages[0].cause->diagnostics, std::vector<std::uint8_t>{0x18});
  EXPECT_EQ(call.state(), State::CallInitiated);  // not acted on
}

TEST_F(UserCallTest, T310ExpiryDisconnectsWithCause102_5_1_5_1) {
  UserCall call = proceeding_outgoing_call();
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Disconnect});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::RecoveryOnTimerExpiry);
  EXPECT_EQ(call.state(), State::DisconnectRequest);
  EXPECT_EQ(call.running_timer(), Timer::T305);
}

TEST_F(UserCallTest, SetupAcknowledgeEntersOverlapSendingWithT304_5_1_3) {
  UserCall call(1, Origin::Outgoing);
  OutgoingCall c = speech_call();
  c.sending_complete = false;
  checked(call.on_setup_request(now, c));
  const Output out =
      receive(call, with_channel(from_network(call, MessageType::SetupAcknowledge), 1));
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::MoreInformation});
  EXPECT_EQ(call.state(), State::OverlapSending);
  EXPECT_EQ(call.running_timer(), Timer::T304);
  EXPECT_EQ(call.deadline(), now + 30s);
}

TEST_F(UserCallTest, InformationInOverlapSendingRestartsT304_5_1_3) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  receive(call, with_channel(from_network(call, MessageType::SetupAcknowledge), 1));
  now += 10s;
  const Output out = checked(call.on_information_request(now, "45", /*sending_complete=*/true));
  ASSERT_EQ(types(out), std::vector{MessageType::Information});
  EXPECT_TRUE(out.messages[0].sending_complete);
  EXPECT_EQ(out.messages[0].called_party_number->digits, "45");
  EXPECT_EQ(call.deadline(), now + 30s);
}

TEST_F(UserCallTest, T304ExpiryDisconnectsWithCause102_5_1_3) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  receive(call, with_channel(from_network(call, MessageType::SetupAcknowledge), 1));
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Disconnect});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::RecoveryOnTimerExpiry);
  EXPECT_EQ(call.state(), State::DisconnectRequest);
}

TEST_F(UserCallTest, CallProceedingInOverlapSendingStartsT310_5_1_5_2) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  receive(call, with_channel(from_network(call, MessageType::SetupAcknowledge), 1));
  receive(call, from_network(call, MessageType::CallProceeding));
  EXPECT_EQ(call.state(), State::OutgoingCallProceeding);
  EXPECT_EQ(call.running_timer(), Timer::T310);
}

TEST_F(UserCallTest, ProgressStopsT310AndReportsInBandInformation_5_1_6) {
  UserCall call = proceeding_outgoing_call();
  const Output out = receive(call, with_in_band(from_network(call, MessageType::Progress)));
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Progress});
  EXPECT_TRUE(out.indications[0].in_band);
  EXPECT_EQ(call.state(), State::OutgoingCallProceeding);
  EXPECT_EQ(call.running_timer(), std::nullopt);
}

TEST_F(UserCallTest, AlertingStopsT310AndEntersCallDelivered_5_1_7) {
  UserCall call = proceeding_outgoing_call();
  const Output out = receive(call, with_in_band(from_network(call, MessageType::Alerting)));
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Alerting});
  EXPECT_TRUE(out.indications[0].in_band);  // ringback tone on the B-channel
  EXPECT_EQ(call.state(), State::CallDelivered);
  EXPECT_EQ(call.running_timer(), std::nullopt);
}

TEST_F(UserCallTest, ConnectIsAcknowledgedAndTheCallIsActive_5_1_8) {
  UserCall call = proceeding_outgoing_call();
  receive(call, from_network(call, MessageType::Alerting));
  const Output out = receive(call, from_network(call, MessageType::Connect));
  EXPECT_EQ(types(out), std::vector{MessageType::ConnectAcknowledge});
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Connected});
  EXPECT_EQ(call.state(), State::Active);
  EXPECT_EQ(call.channel(), 3);
}

TEST_F(UserCallTest, ConnectAsTheFirstAnswerSkipsProceedingAndAlerting_5_1_8) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  const Output out = receive(call, with_channel(from_network(call, MessageType::Connect), 7));
  EXPECT_EQ(types(out), std::vector{MessageType::ConnectAcknowledge});
  EXPECT_EQ(call.state(), State::Active);
  EXPECT_EQ(call.channel(), 7);
  EXPECT_EQ(call.running_timer(), std::nullopt);
}

TEST_F(UserCallTest, ReleaseCompleteAnsweringTheSetupRejectsTheCall_5_1_1) {
  UserCall call(1, Origin::Outgoing);
  checked(call.on_setup_request(now, speech_call()));
  const Output out = receive(call, with_cause(from_network(call, MessageType::ReleaseComplete),
                                              CauseValue::NoCircuitChannelAvailable));
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(out.indications[0].cause->value, CauseValue::NoCircuitChannelAvailable);
  EXPECT_EQ(call.state(), State::Null);
}

// ---- §5.2 incoming calls ----------------------------------------------------------------------

TEST_F(UserCallTest, SetupFromTheNetworkIsPresented_5_2_1) {
  UserCall call(0x42, Origin::Incoming);
  Message setup = with_channel(from_network(call, MessageType::Setup), 5);
  setup.bearer_capability =
      q931::test_vectors::bearer(q931::TransferCapability::Speech, q931::Layer1Protocol::G711ALaw);
  const Output out = receive(call, setup);
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::IncomingCall});
  EXPECT_EQ(out.indications[0].channel, 5);
  EXPECT_EQ(call.state(), State::CallPresent);
  EXPECT_EQ(call.running_timer(), std::nullopt);
}

TEST_F(UserCallTest, SetupWithoutBearerCapabilityIsRejectedWithCause96_5_8_6_1) {
  UserCall call(0x42, Origin::Incoming);
  const Output out = receive(call, with_channel(from_network(call, MessageType::Setup), 5));
  ASSERT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::MandatoryInformationElementMissing);
  EXPECT_EQ(out.messages[0].cause->diagnostics, std::vector<std::uint8_t>{0x04});
  EXPECT_EQ(out.messages[0].call_reference.flag, q931::CallReferenceFlag::ToOriginatingSide);
  EXPECT_EQ(call.state(), State::Null);
}

TEST_F(UserCallTest, CallProceedingRequestNamesTheChannelInTheFirstAnswer_5_2_5_1) {
  UserCall call = present_incoming_call();
  const Output out = checked(call.on_proceeding_request(now));
  ASSERT_EQ(types(out), std::vector{MessageType::CallProceeding});
  EXPECT_EQ(out.messages[0].channel_identification,
            q931::ChannelIdentification::exclusive_b_channel(5));
  EXPECT_EQ(out.messages[0].call_reference.flag, q931::CallReferenceFlag::ToOriginatingSide);
  EXPECT_EQ(call.state(), State::IncomingCallProceeding);
}

TEST_F(UserCallTest, AlertingAfterCallProceedingCarriesNoChannel_5_2_5_1) {
  UserCall call = present_incoming_call();
  checked(call.on_proceeding_request(now));
  const Output out = checked(call.on_alerting_request(now));
  ASSERT_EQ(types(out), std::vector{MessageType::Alerting});
  EXPECT_FALSE(out.messages[0].channel_identification.has_value());
  EXPECT_EQ(call.state(), State::CallReceived);
}

TEST_F(UserCallTest, AnyChannelSetupNeedsTheCardToPickOne_5_2_3_1) {
  UserCall call(0x42, Origin::Incoming);
  Message setup = from_network(call, MessageType::Setup);
  setup.bearer_capability =
      q931::test_vectors::bearer(q931::TransferCapability::Speech, q931::Layer1Protocol::G711ALaw);
  setup.channel_identification = q931::ChannelIdentification::any_channel();
  receive(call, setup);
  EXPECT_FALSE(call.on_alerting_request(now).accepted);
  const Output out = checked(call.on_alerting_request(now, 9));
  ASSERT_EQ(types(out), std::vector{MessageType::Alerting});
  EXPECT_EQ(out.messages[0].channel_identification,
            q931::ChannelIdentification::exclusive_b_channel(9));
  EXPECT_EQ(call.channel(), 9);
}

TEST_F(UserCallTest, ConnectRequestStartsT313_5_2_6) {
  UserCall call = present_incoming_call();
  checked(call.on_alerting_request(now));
  const Output out = checked(call.on_connect_request(now));
  ASSERT_EQ(types(out), std::vector{MessageType::Connect});
  EXPECT_EQ(call.state(), State::ConnectRequest);
  EXPECT_EQ(call.running_timer(), Timer::T313);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, ConnectAcknowledgeStopsT313AndTheCallIsActive_5_2_7) {
  UserCall call = present_incoming_call();
  checked(call.on_connect_request(now));
  const Output out = receive(call, from_network(call, MessageType::ConnectAcknowledge));
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Connected});
  EXPECT_EQ(call.state(), State::Active);
  EXPECT_EQ(call.running_timer(), std::nullopt);
}

TEST_F(UserCallTest, T313ExpiryDisconnectsWithCause102_5_2_7) {
  UserCall call = present_incoming_call();
  checked(call.on_connect_request(now));
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Disconnect});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::RecoveryOnTimerExpiry);
  EXPECT_EQ(call.state(), State::DisconnectRequest);
  EXPECT_EQ(call.running_timer(), Timer::T305);
}

TEST_F(UserCallTest, RejectRequestAnswersTheSetupWithReleaseComplete_5_2_5_1) {
  UserCall call = present_incoming_call();
  const Output out = checked(call.on_reject_request(now, CauseValue::UserBusy));
  ASSERT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::UserBusy);
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(call.state(), State::Null);
}

// ---- §5.3 clearing ----------------------------------------------------------------------------

TEST_F(UserCallTest, DisconnectRequestSendsDisconnectAndStartsT305_5_3_3) {
  UserCall call = active_outgoing_call();
  const Output out = checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  ASSERT_EQ(types(out), std::vector{MessageType::Disconnect});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::NormalCallClearing);
  EXPECT_EQ(call.state(), State::DisconnectRequest);
  EXPECT_EQ(call.deadline(), now + 30s);
}

TEST_F(UserCallTest, ReleaseAfterOurDisconnectIsCompleted_5_3_3) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  const Output out = receive(call, from_network(call, MessageType::Release));
  EXPECT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(out.indications[0].cause->value, CauseValue::NormalCallClearing);
  EXPECT_EQ(call.state(), State::Null);
  EXPECT_EQ(call.deadline(), std::nullopt);
}

TEST_F(UserCallTest, T305ExpirySendsReleaseWithTheDisconnectCauseAndStartsT308_5_3_3) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Release});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::NormalCallClearing);
  EXPECT_EQ(call.state(), State::ReleaseRequest);
  EXPECT_EQ(call.running_timer(), Timer::T308);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, T308FirstExpiryRetransmitsTheRelease_5_3_3) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  const Output release = expire(call);
  const Output out = expire(call);
  ASSERT_EQ(types(out), std::vector{MessageType::Release});
  EXPECT_EQ(out.messages[0], release.messages[0]);
  EXPECT_EQ(call.state(), State::ReleaseRequest);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, T308SecondExpiryEndsTheCallAndTheChannelNeedsARestart_5_3_3) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  expire(call);
  expire(call);
  const Output out = expire(call);
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_TRUE(out.indications[0].restart_channel);
  EXPECT_EQ(out.indications[0].channel, 3);
  EXPECT_EQ(call.state(), State::Null);
}

TEST_F(UserCallTest, ReleaseCompleteAnsweringOurReleaseEndsTheCall_5_3_3) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  expire(call);  // T305: RELEASE
  const Output out = receive(call, from_network(call, MessageType::ReleaseComplete));
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_FALSE(out.indications[0].restart_channel);
  EXPECT_EQ(call.state(), State::Null);
  EXPECT_EQ(call.deadline(), std::nullopt);
}

TEST_F(UserCallTest, DisconnectWithoutTonesIsAnsweredWithRelease_5_3_4_2) {
  UserCall call = active_outgoing_call();
  const Output out = receive(call, with_cause(from_network(call, MessageType::Disconnect),
                                              CauseValue::NormalCallClearing));
  EXPECT_EQ(types(out), std::vector{MessageType::Release});
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Disconnected});
  EXPECT_EQ(out.indications[0].cause->value, CauseValue::NormalCallClearing);
  EXPECT_FALSE(out.indications[0].in_band);
  EXPECT_EQ(call.state(), State::ReleaseRequest);
  EXPECT_EQ(call.running_timer(), Timer::T308);
}

TEST_F(UserCallTest, DisconnectWithTonesWaitsForTheCardsRelease_5_3_4_1) {
  UserCall call = proceeding_outgoing_call();
  const Output out = receive(
      call,
      with_in_band(with_cause(from_network(call, MessageType::Disconnect), CauseValue::UserBusy)));
  EXPECT_TRUE(out.messages.empty());
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Disconnected});
  EXPECT_TRUE(out.indications[0].in_band);
  EXPECT_EQ(call.state(), State::DisconnectIndication);
  EXPECT_EQ(call.running_timer(), std::nullopt);  // T310 stopped
  now += 5s;                                      // the busy tone plays
  const Output release = checked(call.on_release_request(now));
  EXPECT_EQ(types(release), std::vector{MessageType::Release});
  EXPECT_EQ(call.state(), State::ReleaseRequest);
  EXPECT_EQ(call.deadline(), now + 4s);
}

TEST_F(UserCallTest, ReleaseFromTheNetworkIsCompleted_5_3_4) {
  UserCall call = active_outgoing_call();
  const Output out = receive(
      call, with_cause(from_network(call, MessageType::Release), CauseValue::NormalCallClearing));
  EXPECT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  ASSERT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(out.indications[0].cause->value, CauseValue::NormalCallClearing);
  EXPECT_EQ(call.state(), State::Null);
}

TEST_F(UserCallTest, DisconnectCollisionIsResolvedWithRelease_5_3_5) {
  UserCall call = active_outgoing_call();
  checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing));
  const Output out = receive(call, with_cause(from_network(call, MessageType::Disconnect),
                                              CauseValue::NormalCallClearing));
  EXPECT_EQ(types(out), std::vector{MessageType::Release});
  EXPECT_TRUE(out.indications.empty());
  EXPECT_EQ(call.state(), State::ReleaseRequest);
  EXPECT_EQ(call.running_timer(), Timer::T308);
}

TEST_F(UserCallTest, ReleaseCollisionEndsTheCallWithoutAnAnswer_5_3_5) {
  UserCall call = active_outgoing_call();
  receive(call,
          with_cause(from_network(call, MessageType::Disconnect), CauseValue::NormalCallClearing));
  ASSERT_EQ(call.state(), State::ReleaseRequest);
  const Output out = receive(call, from_network(call, MessageType::Release));
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(call.state(), State::Null);
}

TEST_F(UserCallTest, DisconnectWithoutCauseIsAnsweredWithReleaseCause96_5_8_6_1) {
  UserCall call = active_outgoing_call();
  const Output out = receive(call, from_network(call, MessageType::Disconnect));
  ASSERT_EQ(types(out), std::vector{MessageType::Release});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::MandatoryInformationElementMissing);
  EXPECT_EQ(out.messages[0].cause->diagnostics, std::vector<std::uint8_t>{0x08});
  EXPECT_EQ(call.state(), State::ReleaseRequest);
}

TEST_F(UserCallTest, FirstReleaseWithoutCauseIsCompletedWithCause96_5_8_6_1) {
  UserCall call = active_outgoing_call();
  const Output out = receive(call, from_network(call, MessageType::Release));
  ASSERT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::MandatoryInformationElementMissing);
  EXPECT_EQ(call.state(), State::Null);
}

// ---- §5.8 status and errors -------------------------------------------------------------------

TEST_F(UserCallTest, StatusEnquiryIsAnsweredWithTheCallState_5_8_10) {
  UserCall call = active_outgoing_call();
  const Output out = receive(call, from_network(call, MessageType::StatusEnquiry));
  ASSERT_EQ(types(out), std::vector{MessageType::Status});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::ResponseToStatusEnquiry);
  EXPECT_EQ(out.messages[0].call_state->value, State::Active);
  EXPECT_EQ(call.state(), State::Active);
}

TEST_F(UserCallTest, UnexpectedMessageIsAnsweredWithStatusCause101_5_8_4) {
  UserCall call = proceeding_outgoing_call();
  const Output out = receive(call, from_network(call, MessageType::ConnectAcknowledge));
  ASSERT_EQ(types(out), std::vector{MessageType::Status});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::MessageNotCompatibleWithCallState);
  EXPECT_EQ(out.messages[0].call_state->value, State::OutgoingCallProceeding);
  EXPECT_EQ(call.state(), State::OutgoingCallProceeding);
  EXPECT_EQ(call.running_timer(), Timer::T310);  // untouched
}

TEST_F(UserCallTest, StatusReportingNullEndsTheCall_5_8_11) {
  UserCall call = active_outgoing_call();
  Message status =
      with_cause(from_network(call, MessageType::Status), CauseValue::InvalidCallReferenceValue);
  status.call_state =
      q931::CallState{.coding_standard = q931::CodingStandard::Itu, .value = State::Null};
  const Output out = receive(call, status);
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Released});
  EXPECT_EQ(call.state(), State::Null);
}

TEST_F(UserCallTest, OptionalIeWithInvalidContentsIsReportedAndTheMessageActedOn_5_8_7_2) {
  UserCall call = proceeding_outgoing_call();
  Message alerting = from_network(call, MessageType::Alerting);
  alerting.other_elements.push_back({.codeset = 0,
                                     .locking_shift = false,
                                     .identifier = 0x1E,
                                     .contents = {0x82},
                                     .reason = q931::RawReason::InvalidContents});
  const Output out = receive(call, alerting);
  ASSERT_EQ(types(out), std::vector{MessageType::Status});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::InvalidInformationElementContents);
  EXPECT_EQ(kinds(out), std::vector{IndicationKind::Alerting});
  EXPECT_EQ(call.state(), State::CallDelivered);
}

TEST_F(UserCallTest, MessageForACallThatIsNoMoreIsAnsweredWithCause81_5_8_3_2) {
  UserCall call(1, Origin::Outgoing);
  const Output out = receive(call, from_network(call, MessageType::Connect));
  ASSERT_EQ(types(out), std::vector{MessageType::ReleaseComplete});
  EXPECT_EQ(out.messages[0].cause->value, CauseValue::InvalidCallReferenceValue);
  EXPECT_TRUE(receive(call, from_network(call, MessageType::ReleaseComplete)).messages.empty());
}

TEST_F(UserCallTest, RequestsTheStateDoesNotAllowAreRefused) {
  UserCall call(1, Origin::Outgoing);
  EXPECT_FALSE(call.on_connect_request(now).accepted);
  EXPECT_FALSE(call.on_disconnect_request(now, CauseValue::NormalCallClearing).accepted);
  EXPECT_FALSE(call.on_release_request(now).accepted);
  EXPECT_FALSE(call.on_information_request(now, "1", true).accepted);
  checked(call.on_setup_request(now, speech_call()));
  EXPECT_FALSE(call.on_setup_request(now, speech_call()).accepted);
  EXPECT_FALSE(UserCall(2, Origin::Incoming).on_setup_request(now, speech_call()).accepted);
  EXPECT_EQ(call.state(), State::CallInitiated);
}

TEST_F(UserCallTest, WholeOutgoingCallFromSetupToNullTakesTheExpectedMessages) {
  // §5.1 then §5.3.3: SETUP, CALL PROCEEDING, ALERTING, CONNECT / CONNECT ACK, DISCONNECT,
  // RELEASE / RELEASE COMPLETE.
  UserCall call(0x1234, Origin::Outgoing);
  std::vector<MessageType> sent;
  const auto record = [&](const Output& out) {
    for (const auto t : types(out)) sent.push_back(t);
  };
  record(checked(call.on_setup_request(now, speech_call())));
  record(receive(call, with_channel(from_network(call, MessageType::CallProceeding), 1)));
  record(receive(call, with_in_band(from_network(call, MessageType::Alerting))));
  record(receive(call, from_network(call, MessageType::Connect)));
  record(checked(call.on_disconnect_request(now, CauseValue::NormalCallClearing)));
  record(receive(call, from_network(call, MessageType::Release)));
  EXPECT_EQ(sent, (std::vector{MessageType::Setup, MessageType::ConnectAcknowledge,
                               MessageType::Disconnect, MessageType::ReleaseComplete}));
  EXPECT_EQ(call.state(), State::Null);
  EXPECT_EQ(call.deadline(), std::nullopt);
}

}  // namespace
}  // namespace resproxy::pri
