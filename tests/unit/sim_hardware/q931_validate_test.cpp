// Mandatory IEs per message and direction (Q.931 §3.1, §3.4) and the answers of §5.8
// (sim_hardware/q931/validate.h).
#include <gtest/gtest.h>

#include "sim_hardware/q931/validate.h"
#include "tests/unit/sim_hardware/q931_vectors.h"

namespace resproxy::q931 {
namespace {

using test_vectors::bearer;
using test_vectors::from_originator;
using test_vectors::to_originator;

using test_vectors::make;

ValidationContext context(Direction direction, bool first_response_to_setup = false,
                          bool first_clearing_message = false) {
  return {.direction = direction,
          .first_response_to_setup = first_response_to_setup,
          .first_clearing_message = first_clearing_message};
}
const ValidationContext kFromNetwork = context(Direction::NetworkToUser);
const ValidationContext kFromUser = context(Direction::UserToNetwork);

ValidationError missing(InformationElementId id) {
  return {.cause = CauseValue::MandatoryInformationElementMissing,
          .information_element = static_cast<std::uint8_t>(id),
          .action = ValidationAction::RejectMessage};
}

Message setup_from_network() {
  return make(from_originator(0x42), MessageType::Setup, [](Message& m) {
    m.bearer_capability = bearer(TransferCapability::Speech, Layer1Protocol::G711ALaw);
    m.channel_identification = ChannelIdentification::exclusive_b_channel(1);
  });
}

TEST(Q931Validate, SetupFromTheNetworkNeedsBearerCapability_3_1_14) {
  Message m = setup_from_network();
  EXPECT_EQ(validate(m, kFromNetwork), std::nullopt);
  m.bearer_capability.reset();
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::BearerCapability));
}

TEST(Q931Validate, SetupFromTheNetworkNeedsChannelIdentificationButFromTheUserNot_3_1_14) {
  Message m = setup_from_network();
  m.channel_identification.reset();
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::ChannelIdentification));
  EXPECT_EQ(validate(m, kFromUser), std::nullopt);
}

TEST(Q931Validate, SetupAcknowledgeFromTheNetworkNeedsChannelIdentification_3_1_15) {
  Message m = make(to_originator(1), MessageType::SetupAcknowledge);
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::ChannelIdentification));
  EXPECT_EQ(validate(m, kFromUser), std::nullopt);
}

TEST(Q931Validate, FirstAnswerToSetupFromTheNetworkNeedsChannelIdentification_3_1_1_to_3_1_3) {
  for (MessageType type :
       {MessageType::Alerting, MessageType::CallProceeding, MessageType::Connect}) {
    SCOPED_TRACE(to_string(type));
    Message m = make(to_originator(1), type);
    EXPECT_EQ(validate(m, kFromNetwork), std::nullopt);  // after SETUP ACKNOWLEDGE named it
    EXPECT_EQ(validate(m, context(Direction::NetworkToUser, /*first_response_to_setup=*/true)),
              missing(InformationElementId::ChannelIdentification));
  }
}

TEST(Q931Validate, ProgressNeedsProgressIndicator_3_1_8) {
  Message m = make(to_originator(1), MessageType::Progress);
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::ProgressIndicator));
}

TEST(Q931Validate, DisconnectNeedsCause_3_1_5) {
  Message m = make(to_originator(1), MessageType::Disconnect);
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::Cause));
  EXPECT_EQ(validate(m, kFromUser), missing(InformationElementId::Cause));
}

TEST(Q931Validate, ReleaseNeedsCauseOnlyAsTheFirstClearingMessage_3_1_9_3_1_10) {
  for (MessageType type : {MessageType::Release, MessageType::ReleaseComplete}) {
    SCOPED_TRACE(to_string(type));
    Message m = make(to_originator(1), type);
    EXPECT_EQ(validate(m, kFromNetwork), std::nullopt);
    EXPECT_EQ(
        validate(m, context(Direction::NetworkToUser, false, /*first_clearing_message=*/true)),
        missing(InformationElementId::Cause));
  }
}

TEST(Q931Validate, StatusNeedsCauseAndCallState_3_1_16) {
  Message m = make(to_originator(1), MessageType::Status);
  EXPECT_EQ(validate(m, kFromUser), missing(InformationElementId::Cause));
  m.cause = test_vectors::cause(Location::User, CauseValue::ResponseToStatusEnquiry);
  EXPECT_EQ(validate(m, kFromUser), missing(InformationElementId::CallState));
}

TEST(Q931Validate, RestartNeedsRestartIndicator_3_4_1) {
  Message m = make(from_originator(0), MessageType::Restart);
  EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::RestartIndicator));
  m.restart_indicator = RestartIndicator{.restart_class = RestartClass::AllInterfaces};
  EXPECT_EQ(validate(m, kFromNetwork), std::nullopt);
}

TEST(Q931Validate, RestartOfIndicatedChannelsNeedsChannelIdentification_5_5_1) {
  for (MessageType type : {MessageType::Restart, MessageType::RestartAcknowledge}) {
    SCOPED_TRACE(to_string(type));
    Message m = make(from_originator(0), type);
    m.restart_indicator = RestartIndicator{.restart_class = RestartClass::IndicatedChannels};
    EXPECT_EQ(validate(m, kFromNetwork), missing(InformationElementId::ChannelIdentification));
  }
}

TEST(Q931Validate, GlobalCallReferenceOnACallMessageIsCause81_5_8_3_2) {
  Message m = setup_from_network();
  m.call_reference = from_originator(0);
  EXPECT_EQ(validate(m, kFromNetwork),
            (ValidationError{.cause = CauseValue::InvalidCallReferenceValue,
                             .information_element = 0,
                             .action = ValidationAction::RejectMessage}));
}

TEST(Q931Validate, RestartOnACallReferenceOfACallIsCause81_5_5_1) {
  Message m = make(from_originator(5), MessageType::Restart);
  m.restart_indicator = RestartIndicator{.restart_class = RestartClass::AllInterfaces};
  EXPECT_EQ(validate(m, kFromNetwork)->cause, CauseValue::InvalidCallReferenceValue);
}

TEST(Q931Validate, StatusOnTheGlobalCallReferenceIsFine_5_8_3_2) {
  Message m = make(to_originator(0), MessageType::Status);
  m.cause = test_vectors::cause(Location::User, CauseValue::InvalidCallReferenceValue);
  m.call_state = CallState{.coding_standard = CodingStandard::Itu, .value = CallStateValue::Null};
  EXPECT_EQ(validate(m, kFromUser), std::nullopt);
}

TEST(Q931Validate, IesOfOtherCodesetsAreNotReported_4_5_2) {
  Message m = setup_from_network();
  m.other_elements.push_back({.codeset = 6,
                              .locking_shift = true,
                              .identifier = 0x7F,
                              .contents = {0x00},
                              .reason = RawReason::Unrecognized});
  EXPECT_EQ(validate(m, kFromNetwork), std::nullopt);
}

TEST(Q931Validate, MandatoryElementsAreListedAscending) {
  const auto ids = mandatory_elements(MessageType::Setup, kFromNetwork);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], InformationElementId::BearerCapability);
  EXPECT_EQ(ids[1], InformationElementId::ChannelIdentification);
  EXPECT_TRUE(mandatory_elements(MessageType::ConnectAcknowledge, kFromUser).empty());
}

}  // namespace
}  // namespace resproxy::q931
