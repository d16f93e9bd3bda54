// Q.931 codec (sim_hardware/q931/codec.h): the hand-written vectors of q931_vectors.h decode to
// their typed messages and encode back to their octets; malformed input gives the error and the
// cause Q.931 §5.8 answers with; IEs we do not type survive decode → encode.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim_hardware/q931/codec.h"
#include "sim_hardware/q931/validate.h"
#include "tests/unit/sim_hardware/q931_vectors.h"

namespace resproxy::q931 {
namespace {

using test_vectors::make;
using test_vectors::Vector;

ValidationContext context(Direction direction) {
  return {
      .direction = direction, .first_response_to_setup = false, .first_clearing_message = false};
}

std::string hex(const std::vector<std::uint8_t>& octets) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t o : octets) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[o >> 4]);
    out.push_back(kDigits[o & 0x0F]);
  }
  return out;
}

std::vector<std::uint8_t> octets_of(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

// ---- Every vector: decode and encode ---------------------------------------------------------

class Q931Vector : public ::testing::TestWithParam<Vector> {};

TEST_P(Q931Vector, DecodesToTheTypedMessage) {
  const Vector& v = GetParam();
  SCOPED_TRACE(v.clause);
  auto decoded = decode(v.octets);
  ASSERT_TRUE(decoded.has_value())
      << to_string(decoded.error().kind) << " at " << decoded.error().offset;
  EXPECT_EQ(*decoded, v.message);
}

TEST_P(Q931Vector, EncodesToTheOctets) {
  const Vector& v = GetParam();
  SCOPED_TRACE(v.clause);
  EXPECT_EQ(hex(encode(v.message)), hex(v.octets));
}

TEST_P(Q931Vector, CarriesItsMandatoryIes) {
  const Vector& v = GetParam();
  SCOPED_TRACE(v.clause);
  const auto problem = validate(v.message, context(v.direction));
  if (problem) {
    EXPECT_NE(problem->action, ValidationAction::RejectMessage) << static_cast<int>(problem->cause);
  }
}

INSTANTIATE_TEST_SUITE_P(Q931, Q931Vector, ::testing::ValuesIn(test_vectors::vectors()),
                         [](const ::testing::TestParamInfo<Vector>& info) {
                           return std::string(info.param.name);
                         });

TEST(Q931Vectors, CoverEveryMessageTypeOfIssue12) {
  // The 14 message types issue 12 names, plus STATUS ENQUIRY.
  const std::set<MessageType> wanted = {
      MessageType::Setup,
      MessageType::SetupAcknowledge,
      MessageType::CallProceeding,
      MessageType::Alerting,
      MessageType::Progress,
      MessageType::Connect,
      MessageType::ConnectAcknowledge,
      MessageType::Information,
      MessageType::Disconnect,
      MessageType::Release,
      MessageType::ReleaseComplete,
      MessageType::Status,
      MessageType::Restart,
      MessageType::RestartAcknowledge,
      MessageType::StatusEnquiry,
  };
  std::set<MessageType> covered;
  for (const Vector& v : test_vectors::vectors()) covered.insert(v.message.type);
  EXPECT_EQ(covered, wanted);
}

// ---- Header ----------------------------------------------------------------------------------

TEST(Q931Header, CallReferenceOfLengthOneDecodesForBasicRateInterfaces) {
  // §4.3, Figure 4-5: one octet of value on a basic rate interface; flag in bit 8.
  auto m = decode(octets_of({0x08, 0x01, 0x85, 0x4D}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->call_reference,
            (CallReference{.length = 1, .value = 5, .flag = CallReferenceFlag::ToOriginatingSide}));
  EXPECT_EQ(encode(*m), octets_of({0x08, 0x01, 0x85, 0x4D}));
}

TEST(Q931Header, GlobalAndDummyCallReferencesAreRecognized) {
  // §4.3: value 0 is the global call reference; length 0 the dummy one.
  EXPECT_TRUE(test_vectors::from_originator(0).is_global());
  EXPECT_FALSE(test_vectors::from_originator(0).is_dummy());
  EXPECT_TRUE(test_vectors::dummy_call_reference().is_dummy());
  EXPECT_FALSE(test_vectors::dummy_call_reference().is_global());
  EXPECT_FALSE(test_vectors::from_originator(1).is_global());
}

TEST(Q931Header, MessageTypeNamesAreQ931s) {
  EXPECT_EQ(to_string(MessageType::SetupAcknowledge), "SETUP ACKNOWLEDGE");
  EXPECT_EQ(to_string(MessageType::ReleaseComplete), "RELEASE COMPLETE");
  EXPECT_EQ(to_string(static_cast<MessageType>(0x62)), "UNKNOWN");  // FACILITY: not ours
}

// ---- Malformed input (§5.8) ------------------------------------------------------------------

struct MalformedCase {
  std::string_view name;
  std::vector<std::uint8_t> octets;
  DecodeErrorKind kind;
  std::size_t offset;
  std::optional<CauseValue> cause;  // what the receiver answers with; nullopt: ignore (§5.8.1-3)
  std::uint8_t information_element = 0;
};

TEST(Q931Malformed, EachGivesItsErrorAndTheCauseOfSection5_8) {
  const std::vector<MalformedCase> cases = {
      {"empty: §5.8.2", {}, DecodeErrorKind::MessageTooShort, 0, std::nullopt},
      {"discriminator only: §5.8.2", octets_of({0x08}), DecodeErrorKind::MessageTooShort, 1,
       std::nullopt},
      {"call reference cut: §5.8.2", octets_of({0x08, 0x02, 0x00}),
       DecodeErrorKind::MessageTooShort, 3, std::nullopt},
      {"no message type: §5.8.2", octets_of({0x08, 0x02, 0x00, 0x01}),
       DecodeErrorKind::MessageTooShort, 4, std::nullopt},
      {"X.25 discriminator: §5.8.1", octets_of({0x10, 0x02, 0x00, 0x01, 0x05}),
       DecodeErrorKind::UnknownProtocolDiscriminator, 0, std::nullopt},
      {"call reference length 3: §5.8.3.1", octets_of({0x08, 0x03, 0x00, 0x00, 0x01, 0x05}),
       DecodeErrorKind::InvalidCallReference, 1, std::nullopt},
      {"call reference octet bits 8-5 not 0000: §5.8.3.1",
       octets_of({0x08, 0x12, 0x00, 0x01, 0x05}), DecodeErrorKind::InvalidCallReference, 1,
       std::nullopt},
      {"FACILITY is not ours: §5.8.4", octets_of({0x08, 0x02, 0x00, 0x01, 0x62}),
       DecodeErrorKind::UnknownMessageType, 4, CauseValue::MessageTypeNonExistent},
      {"message type bit 8 set: §4.4, §5.8.4", octets_of({0x08, 0x02, 0x00, 0x01, 0x85}),
       DecodeErrorKind::UnknownMessageType, 4, CauseValue::MessageTypeNonExistent},
      {"IE without its length octet", octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04}),
       DecodeErrorKind::InformationElementTruncated, 5,
       CauseValue::InvalidInformationElementContents, 0x04},
      {"IE length past the end", octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90}),
       DecodeErrorKind::InformationElementTruncated, 5,
       CauseValue::InvalidInformationElementContents, 0x04},
      {"second IE cut",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x1E, 0x02, 0x82, 0x88, 0x08, 0x02, 0x80}),
       DecodeErrorKind::InformationElementTruncated, 9,
       CauseValue::InvalidInformationElementContents, 0x08},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = decode(c.octets);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, c.kind) << to_string(r.error().kind);
    EXPECT_EQ(r.error().offset, c.offset);
    EXPECT_EQ(to_cause(r.error().kind), c.cause);
    EXPECT_EQ(r.error().information_element, c.information_element);
    EXPECT_FALSE(to_string(r.error().kind).empty());
  }
}

TEST(Q931Malformed, ErrorsAfterTheHeaderCarryTheCallReferenceToAnswerOn) {
  // §5.8.4: STATUS with cause 97 goes back on the call reference of the unknown message.
  auto r = decode(octets_of({0x08, 0x02, 0x80, 0x07, 0x62}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().call_reference,
            (CallReference{.length = 2, .value = 7, .flag = CallReferenceFlag::ToOriginatingSide}));
  EXPECT_EQ(r.error().message_type, 0x62);
}

TEST(Q931Malformed, EveryPrefixOfEveryVectorDecodesOrFailsCleanly) {
  for (const Vector& v : test_vectors::vectors()) {
    SCOPED_TRACE(v.name);
    for (std::size_t n = 0; n < v.octets.size(); ++n) {
      auto r = decode(std::span(v.octets).first(n));
      if (r) {
        EXPECT_EQ(decode(encode(*r)), r);  // a prefix that is a message round-trips too
      } else {
        EXPECT_LE(r.error().offset, n);
      }
    }
  }
}

// ---- IE contents that do not decode: kept raw (§5.8.6.2, §5.8.7.2) ----------------------------

struct InvalidIeCase {
  std::string_view name;
  std::vector<std::uint8_t> octets;  // the whole message
  std::uint8_t identifier;
};

TEST(Q931InvalidContents, IeThatDoesNotDecodeIsKeptRawAndReEncodedAsReceived) {
  const std::vector<InvalidIeCase> cases = {
      {"§4.5.5 Bearer capability octet 3 extended",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x00, 0x90, 0xA3}), 0x04},
      {"§4.5.5 Bearer capability one octet",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x01, 0x80}), 0x04},
      {"§4.5.5 Bearer capability octets 5a... unterminated",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x04, 0x88, 0x90, 0x21, 0x48}), 0x04},
      {"§4.5.5 Bearer capability multirate without octet 4.1",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x02, 0x88, 0x98}), 0x04},
      {"§4.5.12 Cause without cause value",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x01, 0x80}), 0x08},
      {"§4.5.12 Cause spare bit 5 set",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x02, 0x90, 0x90}), 0x08},
      {"§4.5.12 Cause value octet extended",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x02, 0x80, 0x10}), 0x08},
      {"§4.5.7 Call state of two octets",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x7D, 0x08, 0x02, 0x80, 0x9E, 0x14, 0x02, 0x0A, 0x00}),
       0x14},
      {"§4.5.13 Channel identification spare bit 5 set",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x02, 0x18, 0x03, 0xB9, 0x83, 0x81}), 0x18},
      {"§4.5.13 Channel identification without octet 3.3",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x02, 0x18, 0x02, 0xA9, 0x83}), 0x18},
      {"§4.5.13 Channel identification channel list unterminated",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x02, 0x18, 0x03, 0xA9, 0x83, 0x01}), 0x18},
      {"§4.5.13 Channel identification octets after any channel",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x02, 0x18, 0x02, 0xA3, 0x83}), 0x18},
      {"§4.5.13 Channel identification interface identifier unterminated",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x02, 0x18, 0x02, 0xE9, 0x01}), 0x18},
      {"§4.5.23 Progress indicator of three octets",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x01, 0x1E, 0x03, 0x82, 0x88, 0x00}), 0x1E},
      {"§4.5.23 Progress indicator description extended",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x01, 0x1E, 0x02, 0x82, 0x08}), 0x1E},
      {"§4.5.16 Display with bit 8 set",
       octets_of({0x08, 0x02, 0x80, 0x01, 0x07, 0x28, 0x01, 0xC1}), 0x28},
      {"§4.5.10 Calling party number octet 3a spare bits",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x6C, 0x03, 0x21, 0x84, '1'}), 0x6C},
      {"§4.5.10 Calling party number octet 3a missing",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x6C, 0x01, 0x21}), 0x6C},
      {"§4.5.8 Called party number octet 3 extended",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x70, 0x02, 0x21, '1'}), 0x70},
      {"§4.5.8 Called party number digit with bit 8 set",
       octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x70, 0x02, 0xA1, 0xB1}), 0x70},
      {"§4.5.8 Called party number empty", octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x70, 0x00}),
       0x70},
      {"§4.5.25 Restart indicator spare bits",
       octets_of({0x08, 0x02, 0x00, 0x00, 0x46, 0x79, 0x01, 0x8F}), 0x79},
      {"§4.5.25 Restart indicator extended",
       octets_of({0x08, 0x02, 0x00, 0x00, 0x46, 0x79, 0x01, 0x07}), 0x79},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = decode(c.octets);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->other_elements.size(), 1u);
    EXPECT_EQ(m->other_elements[0].identifier, c.identifier);
    EXPECT_EQ(m->other_elements[0].reason, RawReason::InvalidContents);
    EXPECT_EQ(hex(encode(*m)), hex(c.octets));
  }
}

TEST(Q931InvalidContents, MandatoryIeWithInvalidContentsRejectsWithCause100) {
  // §5.8.6.2: DISCONNECT whose Cause does not decode: cause 100, diagnostic the Cause IE.
  auto m = decode(octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x01, 0x80}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(validate(*m, context(Direction::NetworkToUser)),
            (ValidationError{.cause = CauseValue::InvalidInformationElementContents,
                             .information_element = 0x08,
                             .action = ValidationAction::RejectMessage}));
}

TEST(Q931InvalidContents, OptionalIeWithInvalidContentsIsReportedAndTheMessageKept) {
  // §5.8.7.2: ALERTING with a bad Progress indicator: act on it without the IE, STATUS cause 100.
  auto m = decode(octets_of({0x08, 0x02, 0x80, 0x01, 0x01, 0x1E, 0x03, 0x82, 0x88, 0x00}));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->progress_indicators.empty());
  EXPECT_EQ(validate(*m, context(Direction::NetworkToUser)),
            (ValidationError{.cause = CauseValue::InvalidInformationElementContents,
                             .information_element = 0x1E,
                             .action = ValidationAction::ProceedAndReport}));
}

// ---- Typed IE forms beyond the vectors -------------------------------------------------------

TEST(Q931BearerCapability, RateAdaptionAndLayer2And3OctetsRoundTrip) {
  // §4.5.5: unrestricted digital, 64 kbit/s, layer 1 V.110 with octets 5a-5b, layer 2 Q.921
  // (octet 6: 0x42), layer 3 Q.931 (octet 7: 0x62).
  const auto contents = octets_of({0x88, 0x90, 0x21, 0x48, 0xBB, 0xC2, 0xE2});
  auto b = decode_bearer_capability(contents);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->layer1, Layer1Protocol::V110);
  EXPECT_EQ(b->layer1_rate_adaption, octets_of({0x48, 0xBB}));
  EXPECT_EQ(b->layer2_and_layer3, octets_of({0xC2, 0xE2}));
  EXPECT_EQ(encode_contents(*b), contents);
}

TEST(Q931BearerCapability, MultirateCarriesTheRateMultiplier) {
  // §4.5.5 octet 4.1: 6 x 64 kbit/s.
  const auto contents = octets_of({0x88, 0x98, 0x86});
  auto b = decode_bearer_capability(contents);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->transfer_rate, TransferRate::Multirate);
  EXPECT_EQ(b->rate_multiplier, 6);
  EXPECT_EQ(encode_contents(*b), contents);
}

TEST(Q931ChannelIdentification, SeveralChannelNumbersAndInterfaceIdentifierRoundTrip) {
  // §4.5.13: explicit interface identifier 3 (octet 3.1), channels 1, 2, 3 (bit 8 on the last).
  const auto contents = octets_of({0xE9, 0x83, 0x83, 0x01, 0x02, 0x83});
  auto c = decode_channel_identification(contents);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->interface_identifier, octets_of({0x83}));
  EXPECT_EQ(c->channels, octets_of({1, 2, 3}));
  EXPECT_EQ(encode_contents(*c), contents);
}

TEST(Q931ChannelIdentification, SlotMapIsKeptAsReceived) {
  // §4.5.13 octet 3.2 bit 5 = 1: a slot map follows (H0 channel: 6 time slots).
  const auto contents = octets_of({0xA9, 0x96, 0x00, 0x00, 0x3F});
  auto c = decode_channel_identification(contents);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->slot_map);
  EXPECT_EQ(c->channel_type, ChannelType::H0);
  EXPECT_EQ(c->channels, octets_of({0x00, 0x00, 0x3F}));
  EXPECT_EQ(encode_contents(*c), contents);
}

TEST(Q931ChannelIdentification, NoChannelOnPrimaryRateIsOneOctet) {
  // §4.5.13 octet 3 bits 2-1 = 00: no channel.
  auto c = decode_channel_identification(octets_of({0xA0}));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->selection, ChannelSelection::NoChannel);
  EXPECT_TRUE(c->channels.empty());
}

// ---- Repetitions (§5.8.5.2) and unrecognized IEs (§5.8.7.1) -----------------------------------

TEST(Q931Repetition, OnlyTheFirstCauseIsHandledAndTheSecondKeptRaw) {
  const auto octets =
      octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x02, 0x82, 0x90, 0x08, 0x02, 0x80, 0x91});
  auto m = decode(octets);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->cause->value, CauseValue::NormalCallClearing);
  ASSERT_EQ(m->other_elements.size(), 1u);
  EXPECT_EQ(m->other_elements[0].reason, RawReason::Repeated);
  EXPECT_EQ(hex(encode(*m)), hex(octets));
  EXPECT_EQ(validate(*m, context(Direction::NetworkToUser)),
            std::nullopt);  // ignored silently
}

TEST(Q931Repetition, TwoProgressIndicatorsAreHandledAndTheThirdKeptRaw) {
  const auto octets = octets_of({0x08, 0x02, 0x80, 0x01, 0x03, 0x1E, 0x02, 0x84, 0x82, 0x1E, 0x02,
                                 0x82, 0x88, 0x1E, 0x02, 0x82, 0x81});
  auto m = decode(octets);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->progress_indicators.size(), 2u);
  ASSERT_EQ(m->other_elements.size(), 1u);
  EXPECT_EQ(m->other_elements[0].reason, RawReason::Repeated);
  EXPECT_EQ(hex(encode(*m)), hex(octets));
}

TEST(Q931Repetition, AnInvalidFirstInstanceCountsAsTheFirst) {
  // §5.8.5.2: the first Cause (invalid) is the one handled; the valid second one is ignored.
  auto m =
      decode(octets_of({0x08, 0x02, 0x80, 0x01, 0x45, 0x08, 0x01, 0x80, 0x08, 0x02, 0x80, 0x90}));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->cause.has_value());
  ASSERT_EQ(m->other_elements.size(), 2u);
  EXPECT_EQ(m->other_elements[0].reason, RawReason::InvalidContents);
  EXPECT_EQ(m->other_elements[1].reason, RawReason::Repeated);
  EXPECT_EQ(decode(encode(*m)), m);
}

TEST(Q931Repetition, SendingCompleteTwiceKeepsTheSecondRaw) {
  const auto octets = octets_of({0x08, 0x02, 0x00, 0x01, 0x7B, 0xA1, 0xA1});
  auto m = decode(octets);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->sending_complete);
  ASSERT_EQ(m->other_elements.size(), 1u);
  EXPECT_EQ(m->other_elements[0].reason, RawReason::Repeated);
  EXPECT_EQ(hex(encode(*m)), hex(octets));
}

TEST(Q931Unrecognized, UnknownIesOfEveryKindRoundTripByteExact) {
  // §4.5.1: single-octet IEs (more data 0xA0, congestion level 0xB1), an unknown variable-length
  // IE (user-user 0x7E), and codeset 5 reached by a locking shift after codeset 0.
  const auto octets =
      octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0xA0, 0xB1, 0x04, 0x03, 0x80, 0x90, 0xA3, 0x18,
                 0x01, 0xA3, 0x7E, 0x03, 0x04, 0x41, 0x42, 0x95, 0x01, 0x01, 0x00, 0xA5});
  auto m = decode(octets);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->other_elements.size(), 5u);
  EXPECT_EQ(m->other_elements[0].identifier, 0xA0);
  EXPECT_EQ(m->other_elements[1].identifier, 0xB1);
  EXPECT_EQ(m->other_elements[2].identifier, 0x7E);
  EXPECT_EQ(m->other_elements[3].codeset, 5);
  EXPECT_TRUE(m->other_elements[3].locking_shift);
  EXPECT_EQ(m->other_elements[4].identifier, 0xA5);  // a single-octet IE of codeset 5
  EXPECT_EQ(m->other_elements[4].codeset, 5);
  EXPECT_EQ(hex(encode(*m)), hex(octets));
}

TEST(Q931Unrecognized, ComprehensionRequiredIeRejectsTheMessageWithCause96) {
  // §4.5.1 / §5.8.7.1: identifier 0000 1100 (bits 8-5 = 0000) is "comprehension required".
  auto m = decode(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90, 0xA3, 0x0C, 0x01,
                             0x00, 0x18, 0x03, 0xA9, 0x83, 0x81}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(validate(*m, context(Direction::NetworkToUser)),
            (ValidationError{.cause = CauseValue::MandatoryInformationElementMissing,
                             .information_element = 0x0C,
                             .action = ValidationAction::RejectMessage}));
}

TEST(Q931Unrecognized, OtherUnknownIeIsReportedWithCause99) {
  auto m = decode(octets_of({0x08, 0x02, 0x80, 0x01, 0x01, 0x7E, 0x01, 0x00}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(validate(*m, context(Direction::NetworkToUser)),
            (ValidationError{.cause = CauseValue::InformationElementNonExistent,
                             .information_element = 0x7E,
                             .action = ValidationAction::ProceedAndReport}));
}

// ---- Order and codesets (§4.5.1-§4.5.4) ------------------------------------------------------

TEST(Q931Order, OutOfSequenceIesAreAcceptedAndEncodedAscending) {
  // §5.8.5.1: Called party number before Bearer capability; encode puts them in order.
  auto m = decode(octets_of(
      {0x08, 0x02, 0x00, 0x01, 0x05, 0x70, 0x02, 0x81, '1', 0x04, 0x03, 0x80, 0x90, 0xA3}));
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->bearer_capability.has_value());
  ASSERT_TRUE(m->called_party_number.has_value());
  EXPECT_EQ(hex(encode(*m)), hex(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90,
                                            0xA3, 0x70, 0x02, 0x81, '1'})));
}

TEST(Q931Order, RawIesMergeIntoAscendingOrder) {
  Message m = make(test_vectors::from_originator(1), MessageType::Setup);
  m.called_party_number =
      CalledPartyNumber{.type = TypeOfNumber::Unknown, .plan = NumberingPlan::Isdn, .digits = "1"};
  m.bearer_capability = test_vectors::bearer(TransferCapability::Speech, Layer1Protocol::G711ALaw);
  m.other_elements.push_back({.codeset = 0,
                              .locking_shift = false,
                              .identifier = 0x2C,
                              .contents = {'9'},
                              .reason = RawReason::Unrecognized});
  EXPECT_EQ(hex(encode(m)), hex(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90,
                                           0xA3, 0x2C, 0x01, '9', 0x70, 0x02, 0x81, '1'})));
}

TEST(Q931Codeset, NonLockingShiftToCodeset0FromALockedCodesetGivesATypedIe) {
  // §4.5.4: 0x98 applies codeset 0 to the next IE only, even inside locked codeset 6.
  auto m = decode(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x96, 0x7F, 0x01, 0x00, 0x98, 0x04, 0x03,
                             0x80, 0x90, 0xA3, 0x7E, 0x01, 0x00}));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->bearer_capability.has_value());
  ASSERT_EQ(m->other_elements.size(), 2u);
  EXPECT_EQ(m->other_elements[0].codeset, 6);
  EXPECT_EQ(m->other_elements[1].codeset, 6);  // 0x7E after the non-locking shift: codeset 6 again
  EXPECT_EQ(decode(encode(*m)), m);
}

TEST(Q931Codeset, LockingShiftToALowerCodesetIsIgnored) {
  // §4.5.3: a locking shift only goes to a higher codeset; 0x95 after 0x96 changes nothing.
  auto m = decode(
      octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x96, 0x7F, 0x01, 0x00, 0x95, 0x7E, 0x01, 0x00}));
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->other_elements.size(), 2u);
  EXPECT_EQ(m->other_elements[1].codeset, 6);
  EXPECT_EQ(
      hex(encode(*m)),
      hex(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x96, 0x7F, 0x01, 0x00, 0x7E, 0x01, 0x00})));
}

TEST(Q931Codeset, IesOfSeveralLockedCodesetsAreGroupedAscending) {
  auto m = decode(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x95, 0x01, 0x00, 0x97, 0x02, 0x00}));
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->other_elements.size(), 2u);
  EXPECT_EQ(m->other_elements[0].codeset, 5);
  EXPECT_EQ(m->other_elements[1].codeset, 7);
  EXPECT_EQ(hex(encode(*m)),
            hex(octets_of({0x08, 0x02, 0x00, 0x01, 0x05, 0x95, 0x01, 0x00, 0x97, 0x02, 0x00})));
}

TEST(Q931Encode, ValuesWiderThanTheirFieldsAreCut) {
  // codec.h: a call reference value over 15 bits loses the bits the flag would take.
  Message m = make({.length = 2, .value = 0x8001, .flag = CallReferenceFlag::FromOriginatingSide},
                   MessageType::StatusEnquiry);
  EXPECT_EQ(hex(encode(m)), "08 02 00 01 75");
  m.display = std::string(300, 'x');
  const auto octets = encode(m);
  ASSERT_EQ(octets.size(), 5u + 2u + 255u);
  EXPECT_EQ(octets[6], 255);
}

}  // namespace
}  // namespace resproxy::q931
