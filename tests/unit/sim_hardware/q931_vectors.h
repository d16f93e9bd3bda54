#pragma once
// Q.931 test vectors: hand-written octet strings, the typed message each one is, and what
// Wireshark's Q.931 dissector must read in it. Shared by the codec's unit tests
// (q931_codec_test.cpp: decode(octets) == message, encode(message) == octets) and the tshark
// oracle (tests/oracle/q931_tshark_test.cpp: every vector in one pcap, read by tshark).
// Clauses are those of ITU-T Q.931 (05/98); ETSI EN 300 403-1 numbers them the same way.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim_hardware/q931/message.h"
#include "sim_hardware/q931/validate.h"

namespace resproxy::q931::test_vectors {

// One field of tshark's Q.931 dissector (`tshark -G fields`) and its value as `tshark -T fields`
// prints it, all occurrences joined with ';' in the order of the message.
struct TsharkField {
  std::string_view field;
  std::string_view value;
};

struct Vector {
  std::string_view name;    // the test's name: message type, clause, what the vector shows
  std::string_view clause;  // the clauses of the message and of its IEs
  Direction direction = Direction::NetworkToUser;
  std::vector<std::uint8_t> octets;
  Message message;
  // Besides the header (protocol discriminator, call reference, message type and its name), which
  // the oracle derives from `message`.
  std::vector<TsharkField> tshark;
};

// GoogleTest names a parameterized test's vector by its name (not by its bytes).
inline void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

// §4.3: the call reference of a call the network allocated (an incoming call) as the network
// sends it, and one the user (the PRI card) allocated as the network sends it.
inline CallReference from_originator(std::uint16_t value) {
  return {.length = 2, .value = value, .flag = CallReferenceFlag::FromOriginatingSide};
}
inline CallReference to_originator(std::uint16_t value) {
  return {.length = 2, .value = value, .flag = CallReferenceFlag::ToOriginatingSide};
}

// §4.3, Figure 4-6: the dummy call reference (length 0).
inline CallReference dummy_call_reference() {
  return {.length = 0, .value = 0, .flag = CallReferenceFlag::FromOriginatingSide};
}

inline BearerCapability bearer(TransferCapability capability,
                               std::optional<Layer1Protocol> layer1) {
  BearerCapability b;
  b.transfer_capability = capability;
  b.layer1 = layer1;
  return b;
}

inline ProgressIndicator progress(Location location, ProgressDescription description) {
  return {.coding_standard = CodingStandard::Itu, .location = location, .description = description};
}

inline CallingPartyNumber calling(TypeOfNumber type, NumberingPlan plan,
                                  std::optional<Presentation> presentation, std::string digits) {
  return {.type = type, .plan = plan, .presentation = presentation, .digits = std::move(digits)};
}

inline CalledPartyNumber called(TypeOfNumber type, NumberingPlan plan, std::string digits) {
  return {.type = type, .plan = plan, .digits = std::move(digits)};
}

inline RawInformationElement unrecognized(std::uint8_t codeset, bool locking_shift,
                                          std::uint8_t identifier,
                                          std::vector<std::uint8_t> contents) {
  return {.codeset = codeset,
          .locking_shift = locking_shift,
          .identifier = identifier,
          .contents = std::move(contents),
          .reason = RawReason::Unrecognized};
}

inline Cause cause(Location location, CauseValue value) {
  Cause c;
  c.location = location;
  c.value = value;
  return c;
}

// A message with the IEs `fill` sets (g++ 12 warns about members left out of designated
// initializers, so the vectors set the IEs they carry one by one).
template <typename Fill>
Message make(CallReference call_reference, MessageType type, Fill fill) {
  Message m;
  m.call_reference = call_reference;
  m.type = type;
  fill(m);
  return m;
}
inline Message make(CallReference call_reference, MessageType type) {
  return make(call_reference, type, [](Message&) {});
}

inline const std::vector<Vector>& vectors() {
  using enum MessageType;
  static const std::vector<Vector> all = {
      {
          .name = "Setup_3_1_14_IncomingSpeechCall",
          .clause = "Q.931 §3.1.14 SETUP (network to user); §4.5.27, §4.5.5, §4.5.13, "
                    "§4.5.23, §4.5.16, §4.5.10, §4.5.8",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2 protocol discriminator: Q.931
                  0x02, 0x00, 0x42,              // §4.3 call reference: length 2, flag 0, 0x42
                  0x05,                          // §4.4 message type: SETUP
                  0xA1,                          // §4.5.27 Sending complete
                  0x04, 0x03, 0x80, 0x90, 0xA3,  // §4.5.5 Bearer capability: ITU-T, speech;
                                                 //   circuit mode, 64 kbit/s; layer 1 G.711 A-law
                  0x18, 0x03, 0xA9, 0x83, 0x81,  // §4.5.13 Channel identification: PRI, exclusive,
                                                 //   as indicated; ITU-T, number, B-channel; 1
                  0x1E, 0x02, 0x82, 0x83,        // §4.5.23 Progress indicator: ITU-T, public
                                                 //   network serving the local user; 3 origination
                                                 //   address is non-ISDN
                  0x28, 0x05, 'A', 'l', 'i', 'c', 'e',  // §4.5.16 Display: "Alice"
                  0x6C, 0x0C, 0x21, 0x83,        // §4.5.10 Calling party number: national, E.164;
                                                 //   3a: presentation allowed, network provided
                  '2', '0', '7', '9', '4', '6', '0', '0', '0', '0',
                  0x70, 0x05, 0xC1, '4', '0', '0', '1',  // §4.5.8 Called party number: subscriber,
                                                         //   E.164, "4001"
              },
          .message = make(from_originator(0x42), Setup, [](Message& m) {
            m.sending_complete = true;
            m.bearer_capability = bearer(TransferCapability::Speech, Layer1Protocol::G711ALaw);
            m.channel_identification = ChannelIdentification::exclusive_b_channel(1);
            m.progress_indicators = {progress(Location::PublicNetworkLocalUser,
                                              ProgressDescription::OriginationNotIsdn)};
            m.display = "Alice";
            m.calling_party_number =
                calling(TypeOfNumber::National, NumberingPlan::Isdn,
                        Presentation{.indicator = PresentationIndicator::Allowed,
                                     .screening = ScreeningIndicator::NetworkProvided},
                        "2079460000");
            m.called_party_number = called(TypeOfNumber::Subscriber, NumberingPlan::Isdn, "4001");
          }),
          .tshark =
              {
                  {"q931.information_element", "4;24;30;40;108;112"},
                  {"q931.sending_complete", "1"},
                  {"q931.information_transfer_capability", "0x00"},
                  {"q931.transfer_mode", "0x00"},
                  {"q931.information_transfer_rate", "0x10"},
                  {"q931.uil1", "0x03"},
                  {"q931.channel.interface_id_present", "0"},
                  {"q931.channel.interface_type", "1"},
                  {"q931.channel.exclusive", "1"},
                  {"q931.channel.dchan", "0"},
                  {"q931.channel.selection", "0x01"},
                  {"q931.channel.map", "0"},
                  {"q931.channel.element_type", "0x03"},
                  {"q931.channel.number", "1"},
                  {"q931.progress_indicator.location", "0x02"},
                  {"q931.progress_indicator.description", "0x03"},
                  {"q931.display_information", "Alice"},
                  {"q931.number_type", "0x02;0x04"},
                  {"q931.numbering_plan", "0x01;0x01"},
                  {"q931.presentation_ind", "0x00"},
                  {"q931.screening_ind", "0x03"},
                  {"q931.calling_party_number.digits", "2079460000"},
                  {"q931.called_party_number.digits", "4001"},
              },
      },
      {
          .name = "Setup_3_1_14_OutgoingAudioAnyChannelRestricted",
          .clause = "Q.931 §3.1.14 SETUP (user to network); §4.5.27, §4.5.5, "
                    "§4.5.13 (any channel), §4.5.10 (octet 3a), §4.5.8",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                          // §4.2 protocol discriminator
                  0x02, 0x00, 0x01,              // §4.3 call reference: flag 0, value 1 (ours)
                  0x05,                          // §4.4 SETUP
                  0xA1,                          // §4.5.27 Sending complete
                  0x04, 0x03, 0x90, 0x90, 0xA2,  // §4.5.5 Bearer capability: 3.1 kHz audio;
                                                 //   circuit mode, 64 kbit/s; G.711 mu-law
                  0x18, 0x01, 0xA3,              // §4.5.13 Channel identification: PRI,
                                                 //   preferred, any channel
                  0x6C, 0x06, 0x01, 0xA1,        // §4.5.10 Calling party number: unknown, E.164;
                                                 //   3a: presentation restricted, user-provided
                                                 //   verified and passed
                  '4', '0', '0', '1',
                  0x70, 0x0B, 0xA1,              // §4.5.8 Called party number: national, E.164
                  '2', '0', '7', '9', '4', '6', '0', '1', '2', '3',
              },
          .message = make(from_originator(0x0001), Setup, [](Message& m) {
            m.sending_complete = true;
            m.bearer_capability =
                bearer(TransferCapability::Audio3k1Hz, Layer1Protocol::G711MuLaw);
            m.channel_identification = ChannelIdentification::any_channel();
            m.calling_party_number = calling(
                TypeOfNumber::Unknown, NumberingPlan::Isdn,
                Presentation{.indicator = PresentationIndicator::Restricted,
                             .screening = ScreeningIndicator::UserProvidedVerifiedAndPassed},
                "4001");
            m.called_party_number =
                called(TypeOfNumber::National, NumberingPlan::Isdn, "2079460123");
          }),
          .tshark =
              {
                  {"q931.information_element", "4;24;108;112"},
                  {"q931.sending_complete", "1"},
                  {"q931.information_transfer_capability", "0x10"},
                  {"q931.information_transfer_rate", "0x10"},
                  {"q931.uil1", "0x02"},
                  {"q931.channel.interface_type", "1"},
                  {"q931.channel.exclusive", "0"},
                  {"q931.channel.selection", "0x03"},
                  {"q931.channel.number", ""},
                  {"q931.number_type", "0x00;0x02"},
                  {"q931.presentation_ind", "0x01"},
                  {"q931.screening_ind", "0x01"},
                  {"q931.calling_party_number.digits", "4001"},
                  {"q931.called_party_number.digits", "2079460123"},
              },
      },
      {
          .name = "Setup_3_1_14_UnrestrictedDigitalPreferredChannel17",
          .clause = "Q.931 §3.1.14 SETUP (user to network); §4.3 (largest call reference value), "
                    "§4.5.5 (no layer 1), §4.5.13 (preferred), §4.5.8",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x7F, 0xFF,              // §4.3 call reference: flag 0, value 0x7FFF
                  0x05,                          // §4.4 SETUP
                  0x04, 0x02, 0x88, 0x90,        // §4.5.5 Bearer capability: unrestricted digital
                                                 //   information; circuit mode, 64 kbit/s
                  0x18, 0x03, 0xA1, 0x83, 0x91,  // §4.5.13 Channel identification: PRI,
                                                 //   preferred, as indicated; B-channel 17
                  0x70, 0x03, 0x80, '1', '2',    // §4.5.8 Called party number: unknown type,
                                                 //   unknown plan, "12"
              },
          .message = make(from_originator(0x7FFF), Setup, [](Message& m) {
            m.bearer_capability =
                bearer(TransferCapability::UnrestrictedDigital, std::nullopt);
            m.channel_identification = ChannelIdentification::preferred_b_channel(17);
            m.called_party_number = called(TypeOfNumber::Unknown, NumberingPlan::Unknown, "12");
          }),
          .tshark =
              {
                  {"q931.information_element", "4;24;112"},
                  {"q931.information_transfer_capability", "0x08"},
                  {"q931.uil1", ""},
                  {"q931.channel.exclusive", "0"},
                  {"q931.channel.selection", "0x01"},
                  {"q931.channel.number", "17"},
                  {"q931.number_type", "0x00"},
                  {"q931.numbering_plan", "0x00"},
                  {"q931.called_party_number.digits", "12"},
              },
      },
      {
          .name = "SetupAcknowledge_3_1_15_OverlapWithDialTone",
          .clause = "Q.931 §3.1.15 SETUP ACKNOWLEDGE (network to user); §4.5.13, §4.5.23",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x80, 0x01,              // §4.3 call reference: flag 1 (to the side
                                                 //   that allocated it: us), value 1
                  0x0D,                          // §4.4 SETUP ACKNOWLEDGE
                  0x18, 0x03, 0xA9, 0x83, 0x81,  // §4.5.13 Channel identification: exclusive, B1
                  0x1E, 0x02, 0x82, 0x88,        // §4.5.23 Progress indicator: public network
                                                 //   serving the local user; 8 in-band
                                                 //   information (dial tone)
              },
          .message = make(to_originator(1), SetupAcknowledge, [](Message& m) {
            m.channel_identification = ChannelIdentification::exclusive_b_channel(1);
            m.progress_indicators = {
                progress(Location::PublicNetworkLocalUser, ProgressDescription::InBandInformation)};
          }),
          .tshark =
              {
                  {"q931.information_element", "24;30"},
                  {"q931.channel.exclusive", "1"},
                  {"q931.channel.number", "1"},
                  {"q931.progress_indicator.location", "0x02"},
                  {"q931.progress_indicator.description", "0x08"},
              },
      },
      {
          .name = "Information_3_1_6_OverlapDigitsAndSendingComplete",
          .clause = "Q.931 §3.1.6 INFORMATION (user to network); §4.5.27, §4.5.8",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                        // §4.2
                  0x02, 0x00, 0x01,            // §4.3 call reference: flag 0, value 1
                  0x7B,                        // §4.4 INFORMATION
                  0xA1,                        // §4.5.27 Sending complete
                  0x70, 0x03, 0x81, '5', '6',  // §4.5.8 Called party number: unknown type,
                                               //   E.164, "56"
              },
          .message = make(from_originator(1), Information, [](Message& m) {
            m.sending_complete = true;
            m.called_party_number = called(TypeOfNumber::Unknown, NumberingPlan::Isdn, "56");
          }),
          .tshark =
              {
                  {"q931.information_element", "112"},
                  {"q931.sending_complete", "1"},
                  {"q931.number_type", "0x00"},
                  {"q931.numbering_plan", "0x01"},
                  {"q931.called_party_number.digits", "56"},
              },
      },
      {
          .name = "CallProceeding_3_1_2_ChannelB1",
          .clause = "Q.931 §3.1.2 CALL PROCEEDING (network to user); §4.5.13",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x80, 0x01,              // §4.3 call reference: flag 1, value 1
                  0x02,                          // §4.4 CALL PROCEEDING
                  0x18, 0x03, 0xA9, 0x83, 0x81,  // §4.5.13 Channel identification: exclusive, B1
              },
          .message = make(to_originator(1), CallProceeding, [](Message& m) {
            m.channel_identification = ChannelIdentification::exclusive_b_channel(1);
          }),
          .tshark =
              {
                  {"q931.information_element", "24"},
                  {"q931.channel.interface_type", "1"},
                  {"q931.channel.exclusive", "1"},
                  {"q931.channel.selection", "0x01"},
                  {"q931.channel.number", "1"},
              },
      },
      {
          .name = "Alerting_3_1_1_InBandRingback",
          .clause = "Q.931 §3.1.1 ALERTING (network to user); §4.5.23",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x80, 0x01,        // §4.3 call reference: flag 1, value 1
                  0x01,                    // §4.4 ALERTING
                  0x1E, 0x02, 0x82, 0x88,  // §4.5.23 Progress indicator: public network serving
                                           //   the local user; 8 in-band information
              },
          .message = make(to_originator(1), Alerting, [](Message& m) {
            m.progress_indicators = {
                progress(Location::PublicNetworkLocalUser, ProgressDescription::InBandInformation)};
          }),
          .tshark =
              {
                  {"q931.information_element", "30"},
                  {"q931.progress_indicator.location", "0x02"},
                  {"q931.progress_indicator.description", "0x08"},
              },
      },
      {
          .name = "Progress_3_1_8_InterworkingTwoProgressIndicators",
          .clause = "Q.931 §3.1.8 PROGRESS (network to user); §4.5.23 twice",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x80, 0x01,        // §4.3 call reference: flag 1, value 1
                  0x03,                    // §4.4 PROGRESS
                  0x1E, 0x02, 0x84, 0x82,  // §4.5.23 Progress indicator: public network serving
                                           //   the remote user; 2 destination is non-ISDN
                  0x1E, 0x02, 0x82, 0x88,  // §4.5.23 Progress indicator: public network serving
                                           //   the local user; 8 in-band information
              },
          .message = make(to_originator(1), Progress, [](Message& m) {
            m.progress_indicators = {
                progress(Location::PublicNetworkRemoteUser,
                         ProgressDescription::DestinationNotIsdn),
                progress(Location::PublicNetworkLocalUser, ProgressDescription::InBandInformation)};
          }),
          .tshark =
              {
                  {"q931.information_element", "30;30"},
                  {"q931.progress_indicator.location", "0x04;0x02"},
                  {"q931.progress_indicator.description", "0x02;0x08"},
              },
      },
      {
          .name = "Connect_3_1_3_AnsweredWithDisplay",
          .clause = "Q.931 §3.1.3 CONNECT (network to user); §4.5.13, §4.5.16",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x80, 0x01,              // §4.3 call reference: flag 1, value 1
                  0x07,                          // §4.4 CONNECT
                  0x18, 0x03, 0xA9, 0x83, 0x81,  // §4.5.13 Channel identification: exclusive, B1
                  0x28, 0x03, 'B', 'o', 'b',     // §4.5.16 Display: "Bob"
              },
          .message = make(to_originator(1), Connect, [](Message& m) {
            m.channel_identification = ChannelIdentification::exclusive_b_channel(1);
            m.display = "Bob";
          }),
          .tshark =
              {
                  {"q931.information_element", "24;40"},
                  {"q931.channel.number", "1"},
                  {"q931.display_information", "Bob"},
              },
      },
      {
          .name = "ConnectAcknowledge_3_1_4",
          .clause = "Q.931 §3.1.4 CONNECT ACKNOWLEDGE (user to network)",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,              // §4.2
                  0x02, 0x00, 0x01,  // §4.3 call reference: flag 0, value 1
                  0x0F,              // §4.4 CONNECT ACKNOWLEDGE
              },
          .message = make(from_originator(1), ConnectAcknowledge),
          .tshark = {{"q931.information_element", ""}},
      },
      {
          .name = "Disconnect_3_1_5_NormalClearingWithTones",
          .clause = "Q.931 §3.1.5 DISCONNECT (network to user); §4.5.12, §4.5.23",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x80, 0x01,        // §4.3 call reference: flag 1, value 1
                  0x45,                    // §4.4 DISCONNECT
                  0x08, 0x02, 0x82, 0x90,  // §4.5.12 Cause: ITU-T, public network serving the
                                           //   local user; 16 normal call clearing
                  0x1E, 0x02, 0x82, 0x88,  // §4.5.23 Progress indicator: 8 in-band information
              },
          .message = make(to_originator(1), Disconnect, [](Message& m) {
            m.cause = cause(Location::PublicNetworkLocalUser, CauseValue::NormalCallClearing);
            m.progress_indicators = {
                progress(Location::PublicNetworkLocalUser, ProgressDescription::InBandInformation)};
          }),
          .tshark =
              {
                  {"q931.information_element", "8;30"},
                  {"q931.cause_location", "2"},
                  {"q931.cause_value", "16"},
                  {"q931.progress_indicator.description", "0x08"},
              },
      },
      {
          .name = "Disconnect_3_1_5_UserBusyWithRecommendation",
          .clause = "Q.931 §3.1.5 DISCONNECT (network to user); §4.5.12 with octet 3a",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x80, 0x01,        // §4.3 call reference: flag 1, value 1
                  0x45,                    // §4.4 DISCONNECT
                  0x08, 0x03, 0x02, 0x80,  // §4.5.12 Cause: public network serving the local
                  0x91,                    //   user, 3a: recommendation Q.931; 17 user busy
              },
          .message = make(to_originator(1), Disconnect, [](Message& m) {
            m.cause = cause(Location::PublicNetworkLocalUser, CauseValue::UserBusy);
            m.cause->recommendation = 0;  // Q.931
          }),
          .tshark =
              {
                  {"q931.information_element", "8"},
                  {"q931.cause_location", "2"},
                  {"q931.cause.recommendation", "0x00"},
                  {"q931.cause_value", "17"},
              },
      },
      {
          .name = "Release_3_1_9_NormalClearing",
          .clause = "Q.931 §3.1.9 RELEASE (user to network); §4.5.12",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x00, 0x01,        // §4.3 call reference: flag 0, value 1
                  0x4D,                    // §4.4 RELEASE
                  0x08, 0x02, 0x80, 0x90,  // §4.5.12 Cause: user; 16 normal call clearing
              },
          .message = make(from_originator(1), Release, [](Message& m) {
            m.cause = cause(Location::User, CauseValue::NormalCallClearing);
          }),
          .tshark =
              {
                  {"q931.information_element", "8"},
                  {"q931.cause_location", "0"},
                  {"q931.cause_value", "16"},
              },
      },
      {
          .name = "ReleaseComplete_3_1_10_MandatoryIeMissingWithDiagnostic",
          .clause = "Q.931 §3.1.10 RELEASE COMPLETE (network to user); §4.5.12 with diagnostic "
                    "(§5.8.6.1: cause 96 names the missing IE)",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x80, 0x01,              // §4.3 call reference: flag 1, value 1
                  0x5A,                          // §4.4 RELEASE COMPLETE
                  0x08, 0x03, 0x82, 0xE0, 0x04,  // §4.5.12 Cause: public network serving the
                                                 //   local user; 96 mandatory IE missing;
                                                 //   diagnostic: Bearer capability (0x04)
              },
          .message = make(to_originator(1), ReleaseComplete, [](Message& m) {
            m.cause = cause(Location::PublicNetworkLocalUser,
                            CauseValue::MandatoryInformationElementMissing);
            m.cause->diagnostics = {0x04};
          }),
          .tshark =
              {
                  // The dissector reads the diagnostic as the IE identifier it names.
                  {"q931.information_element", "8;4"},
                  {"q931.cause_value", "96"},
              },
      },
      {
          .name = "ReleaseComplete_3_1_10_NoCause",
          .clause = "Q.931 §3.1.10 RELEASE COMPLETE (network to user), no IEs",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,              // §4.2
                  0x02, 0x80, 0x2A,  // §4.3 call reference: flag 1, value 42
                  0x5A,              // §4.4 RELEASE COMPLETE
              },
          .message = make(to_originator(42), ReleaseComplete),
          .tshark = {{"q931.information_element", ""}},
      },
      {
          .name = "Status_3_1_16_ResponseToStatusEnquiryActive",
          .clause = "Q.931 §3.1.16 STATUS (user to network); §4.5.12, §4.5.7",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                    // §4.2
                  0x02, 0x00, 0x01,        // §4.3 call reference: flag 0, value 1
                  0x7D,                    // §4.4 STATUS
                  0x08, 0x02, 0x80, 0x9E,  // §4.5.12 Cause: user; 30 response to STATUS ENQUIRY
                  0x14, 0x01, 0x0A,        // §4.5.7 Call state: ITU-T; 10 active
              },
          .message = make(from_originator(1), Status, [](Message& m) {
            m.cause = cause(Location::User, CauseValue::ResponseToStatusEnquiry);
            m.call_state = CallState{.coding_standard = CodingStandard::Itu,
                                     .value = CallStateValue::Active};
          }),
          .tshark =
              {
                  {"q931.information_element", "8;20"},
                  {"q931.cause_value", "30"},
                  {"q931.call_state", "0x0a"},
              },
      },
      {
          .name = "StatusEnquiry_3_1_17",
          .clause = "Q.931 §3.1.17 STATUS ENQUIRY (network to user)",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,              // §4.2
                  0x02, 0x80, 0x01,  // §4.3 call reference: flag 1, value 1
                  0x75,              // §4.4 STATUS ENQUIRY
              },
          .message = make(to_originator(1), StatusEnquiry),
          .tshark = {{"q931.information_element", ""}},
      },
      {
          .name = "Restart_3_4_1_IndicatedChannel5",
          .clause = "Q.931 §3.4.1 RESTART (network to user) on the global call reference (§4.3); "
                    "§4.5.13, §4.5.25",
          .direction = Direction::NetworkToUser,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x00, 0x00,              // §4.3 global call reference, flag 0
                  0x46,                          // §4.4 RESTART
                  0x18, 0x03, 0xA9, 0x83, 0x85,  // §4.5.13 Channel identification: exclusive, B5
                  0x79, 0x01, 0x80,              // §4.5.25 Restart indicator: indicated channels
              },
          .message = make(from_originator(0), Restart, [](Message& m) {
            m.channel_identification = ChannelIdentification::exclusive_b_channel(5);
            m.restart_indicator = RestartIndicator{RestartClass::IndicatedChannels};
          }),
          .tshark =
              {
                  {"q931.information_element", "24;121"},
                  {"q931.channel.number", "5"},
                  {"q931.restart_indicator", "0x00"},
              },
      },
      {
          .name = "Restart_3_4_1_AllInterfaces",
          .clause = "Q.931 §3.4.1 RESTART (user to network) on the global call reference; "
                    "§4.5.25",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,              // §4.2
                  0x02, 0x00, 0x00,  // §4.3 global call reference, flag 0
                  0x46,              // §4.4 RESTART
                  0x79, 0x01, 0x87,  // §4.5.25 Restart indicator: all interfaces
              },
          .message = make(from_originator(0), Restart, [](Message& m) {
            m.restart_indicator = RestartIndicator{RestartClass::AllInterfaces};
          }),
          .tshark =
              {
                  {"q931.information_element", "121"},
                  {"q931.restart_indicator", "0x07"},
              },
      },
      {
          .name = "RestartAcknowledge_3_4_2_IndicatedChannel5",
          .clause = "Q.931 §3.4.2 RESTART ACKNOWLEDGE (user to network) on the global call "
                    "reference; §4.5.13, §4.5.25",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x80, 0x00,              // §4.3 global call reference, flag 1
                  0x4E,                          // §4.4 RESTART ACKNOWLEDGE
                  0x18, 0x03, 0xA9, 0x83, 0x85,  // §4.5.13 Channel identification: exclusive, B5
                  0x79, 0x01, 0x80,              // §4.5.25 Restart indicator: indicated channels
              },
          .message = make(to_originator(0), RestartAcknowledge, [](Message& m) {
            m.channel_identification = ChannelIdentification::exclusive_b_channel(5);
            m.restart_indicator = RestartIndicator{RestartClass::IndicatedChannels};
          }),
          .tshark =
              {
                  {"q931.information_element", "24;121"},
                  {"q931.channel.number", "5"},
                  {"q931.restart_indicator", "0x00"},
              },
      },
      {
          .name = "Setup_4_5_1_UnrecognizedIesAndCodesetShiftsKeptRaw",
          .clause = "Q.931 §3.1.14 SETUP (user to network); §4.5.18 Keypad facility (not typed), "
                    "§4.5.4 non-locking and §4.5.3 locking shift to codeset 6 (§4.5.2)",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                          // §4.2
                  0x02, 0x00, 0x01,              // §4.3 call reference: flag 0, value 1
                  0x05,                          // §4.4 SETUP
                  0x04, 0x03, 0x80, 0x90, 0xA3,  // §4.5.5 Bearer capability: speech, A-law
                  0x18, 0x01, 0xA3,              // §4.5.13 Channel identification: any channel
                  0x2C, 0x02, '1', '2',          // §4.5.18 Keypad facility "12": kept raw
                  0x70, 0x02, 0x81, '3',         // §4.5.8 Called party number: "3"
                  0x9E,                          // §4.5.4 non-locking shift to codeset 6
                  0x28, 0x02, 'A', 'B',          //   IE 0x28 of codeset 6: kept raw
                  0x96,                          // §4.5.3 locking shift to codeset 6
                  0x7F, 0x02, 0x01, 0x02,        //   IE 0x7F of codeset 6: kept raw
              },
          .message = make(from_originator(1), Setup, [](Message& m) {
            m.bearer_capability = bearer(TransferCapability::Speech, Layer1Protocol::G711ALaw);
            m.channel_identification = ChannelIdentification::any_channel();
            m.called_party_number = called(TypeOfNumber::Unknown, NumberingPlan::Isdn, "3");
            m.other_elements = {
                unrecognized(0, false, 0x2C, {'1', '2'}),
                unrecognized(6, false, 0x28, {'A', 'B'}),  // non-locking shift
                unrecognized(6, true, 0x7F, {0x01, 0x02}),  // locking shift
            };
          }),
          .tshark =
              {
                  {"q931.information_element", "4;24;44;112;40;127"},
                  {"q931.keypad_facility", "12"},
                  {"q931.called_party_number.digits", "3"},
                  {"q931.locking_codeset", "6;6"},
              },
      },
      {
          .name = "Information_4_3_DummyCallReferenceKeypad",
          .clause = "Q.931 §3.1.6 INFORMATION (user to network) on the dummy call reference "
                    "(§4.3, Figure 4-6); §4.5.18 Keypad facility kept raw",
          .direction = Direction::UserToNetwork,
          .octets =
              {
                  0x08,                   // §4.2
                  0x00,                   // §4.3 dummy call reference: length 0
                  0x7B,                   // §4.4 INFORMATION
                  0x2C, 0x02, '*', '1',   // §4.5.18 Keypad facility "*1": kept raw
              },
          .message = make(dummy_call_reference(), Information, [](Message& m) {
            m.other_elements = {unrecognized(0, false, 0x2C, {'*', '1'})};
          }),
          .tshark =
              {
                  {"q931.information_element", "44"},
                  {"q931.keypad_facility", "*1"},
              },
      },
  };
  return all;
}

}  // namespace resproxy::q931::test_vectors
