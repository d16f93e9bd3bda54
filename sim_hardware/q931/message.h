#pragma once
// Q.931 message model (ITU-T Q.931 §4, ETSI EN 300 403-1 §4): one layer-3 message of the
// D-channel of an ISDN primary rate interface, typed. The information elements (IEs) that the
// emulated PRI card and the emulated exchange act on are typed fields; every other IE — an
// unrecognized one, one in another codeset, one whose contents are invalid, one repeated where
// repetition is not allowed — stays raw in `other_elements`, so decode → encode keeps it.
// Built by the PRI card and the exchange (sim_hardware/pri/) and by decode() (codec.h); read by
// encode() and validate() (validate.h). No procedures (§5) live here.
//
// Bit positions in the comments follow Q.931: bit 8 is the most significant bit of an octet.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::q931 {

// §4.2: the protocol discriminator of Q.931 user-network call control messages.
inline constexpr std::uint8_t kProtocolDiscriminator = 0x08;

// §4.4, Table 4-2: message types (bit 8 is 0). The ones the PRI card and the exchange use.
enum class MessageType : std::uint8_t {
  Alerting = 0x01,
  CallProceeding = 0x02,
  Progress = 0x03,
  Setup = 0x05,
  Connect = 0x07,
  SetupAcknowledge = 0x0D,
  ConnectAcknowledge = 0x0F,
  Disconnect = 0x45,
  Restart = 0x46,
  Release = 0x4D,
  RestartAcknowledge = 0x4E,
  ReleaseComplete = 0x5A,
  StatusEnquiry = 0x75,
  Information = 0x7B,
  Status = 0x7D,
};
// One of the message types above: decode() answers any other with UnknownMessageType.
[[nodiscard]] bool is_known(MessageType type);
// The Q.931 name in capitals ("SETUP ACKNOWLEDGE"); "UNKNOWN" for any other value.
[[nodiscard]] std::string_view to_string(MessageType type);

// §4.3: the call reference flag (bit 8 of the first octet of the call reference value) says on
// which side the call reference was allocated: 0 in messages sent by the side that allocated it
// (the originating side), 1 in messages sent to that side.
enum class CallReferenceFlag : std::uint8_t { FromOriginatingSide = 0, ToOriginatingSide = 1 };

// §4.3, Figure 4-5: the call reference IE.
struct CallReference {
  // Octets of the call reference value: 2 on a primary rate interface, 1 on a basic rate
  // interface, 0 for the dummy call reference (§4.3, Figure 4-6).
  std::uint8_t length = 2;
  // 15 bits with length 2, 7 bits with length 1; 0 with length > 0 is the global call reference
  // (§4.3: it refers to all call references of the interface; RESTART uses it, §5.5).
  std::uint16_t value = 0;
  CallReferenceFlag flag = CallReferenceFlag::FromOriginatingSide;

  [[nodiscard]] bool is_dummy() const { return length == 0; }
  [[nodiscard]] bool is_global() const { return length > 0 && value == 0; }
  friend bool operator==(const CallReference&, const CallReference&) = default;
};

// §4.5, Table 4-3: IE identifiers of codeset 0 (bit 8 = 0: variable length; bit 8 = 1: a
// single-octet IE, whose identifier is the whole octet for type 2 and the high four bits for
// type 1).
enum class InformationElementId : std::uint8_t {
  SegmentedMessage = 0x00,
  BearerCapability = 0x04,
  Cause = 0x08,
  CallState = 0x14,
  ChannelIdentification = 0x18,
  ProgressIndicator = 0x1E,
  NetworkSpecificFacilities = 0x20,
  NotificationIndicator = 0x27,
  Display = 0x28,
  DateTime = 0x29,
  KeypadFacility = 0x2C,
  Signal = 0x34,
  CallingPartyNumber = 0x6C,
  CallingPartySubaddress = 0x6D,
  CalledPartyNumber = 0x70,
  CalledPartySubaddress = 0x71,
  RestartIndicator = 0x79,
  LowLayerCompatibility = 0x7C,
  HighLayerCompatibility = 0x7D,
  UserUser = 0x7E,
  Shift = 0x90,            // type 1 (1001 xxxx): §4.5.3 locking, §4.5.4 non-locking shift
  MoreData = 0xA0,         // type 2
  SendingComplete = 0xA1,  // type 2, §4.5.27
  CongestionLevel = 0xB0,  // type 1
  RepeatIndicator = 0xD0,  // type 1
};

// Coding standard (octet 3, bits 7-6, of several IEs).
enum class CodingStandard : std::uint8_t {
  Itu = 0,       // ITU-T standardized coding
  IsoIec = 1,    // ISO/IEC standard
  National = 2,  // national standard
  Network = 3,   // standard defined for the network on the network side of the interface
};

// Location (Q.850 §2.2.3; Cause octet 3 and Progress indicator octet 3, bits 4-1).
enum class Location : std::uint8_t {
  User = 0,
  PrivateNetworkLocalUser = 1,
  PublicNetworkLocalUser = 2,
  TransitNetwork = 3,
  PublicNetworkRemoteUser = 4,
  PrivateNetworkRemoteUser = 5,
  InternationalNetwork = 7,
  BeyondInterworkingPoint = 10,
};

// §4.5.5 Bearer capability.
enum class TransferCapability : std::uint8_t {  // octet 3, bits 5-1
  Speech = 0x00,
  UnrestrictedDigital = 0x08,
  RestrictedDigital = 0x09,
  Audio3k1Hz = 0x10,
  UnrestrictedDigitalWithTones = 0x11,
  Video = 0x18,
};
enum class TransferMode : std::uint8_t { Circuit = 0, Packet = 2 };  // octet 4, bits 7-6
enum class TransferRate : std::uint8_t {                             // octet 4, bits 5-1
  PacketMode = 0x00,
  Kbit64 = 0x10,
  Kbit2x64 = 0x11,
  Kbit384 = 0x13,
  Kbit1536 = 0x15,
  Kbit1920 = 0x17,
  Multirate = 0x18,  // octet 4.1 carries the rate multiplier
};
enum class Layer1Protocol : std::uint8_t {  // octet 5, bits 5-1 (layer identification 01)
  V110 = 0x01,
  G711MuLaw = 0x02,
  G711ALaw = 0x03,
  G721 = 0x04,
  H221 = 0x05,
  H223 = 0x06,
  NonItuRateAdaption = 0x07,
  V120 = 0x08,
  X31 = 0x09,
};
struct BearerCapability {
  CodingStandard coding_standard = CodingStandard::Itu;
  TransferCapability transfer_capability = TransferCapability::Speech;
  TransferMode transfer_mode = TransferMode::Circuit;
  TransferRate transfer_rate = TransferRate::Kbit64;
  std::optional<std::uint8_t> rate_multiplier;  // octet 4.1 (7 bits), with Multirate
  std::optional<Layer1Protocol> layer1;         // octet 5: user information layer 1 protocol
  // Octets 5a-5d (rate adaption, as received; the last has bit 8 = 1) and octets 6 and 7
  // (layers 2 and 3, as received). Empty for speech and 3.1 kHz audio.
  std::vector<std::uint8_t> layer1_rate_adaption;
  std::vector<std::uint8_t> layer2_and_layer3;

  friend bool operator==(const BearerCapability&, const BearerCapability&) = default;
};

// §4.5.12 Cause; values from Q.850 Table 1.
enum class CauseValue : std::uint8_t {
  UnallocatedNumber = 1,
  NoRouteToTransitNetwork = 2,
  NoRouteToDestination = 3,
  ChannelUnacceptable = 6,
  NormalCallClearing = 16,
  UserBusy = 17,
  NoUserResponding = 18,
  NoAnswerFromUser = 19,
  CallRejected = 21,
  NumberChanged = 22,
  DestinationOutOfOrder = 27,
  InvalidNumberFormat = 28,
  FacilityRejected = 29,
  ResponseToStatusEnquiry = 30,
  NormalUnspecified = 31,
  NoCircuitChannelAvailable = 34,
  NetworkOutOfOrder = 38,
  TemporaryFailure = 41,
  SwitchingEquipmentCongestion = 42,
  RequestedCircuitChannelNotAvailable = 44,
  ResourceUnavailableUnspecified = 47,
  BearerCapabilityNotAuthorized = 57,
  BearerCapabilityNotPresentlyAvailable = 58,
  ServiceOrOptionNotAvailable = 63,
  BearerCapabilityNotImplemented = 65,
  ChannelTypeNotImplemented = 66,
  InvalidCallReferenceValue = 81,
  IdentifiedChannelDoesNotExist = 82,
  IncompatibleDestination = 88,
  InvalidMessageUnspecified = 95,
  MandatoryInformationElementMissing = 96,
  MessageTypeNonExistent = 97,
  MessageNotCompatibleOrNonExistent = 98,
  InformationElementNonExistent = 99,
  InvalidInformationElementContents = 100,
  MessageNotCompatibleWithCallState = 101,
  RecoveryOnTimerExpiry = 102,
  ProtocolErrorUnspecified = 111,
  InterworkingUnspecified = 127,
};
struct Cause {
  CodingStandard coding_standard = CodingStandard::Itu;
  Location location = Location::User;
  std::optional<std::uint8_t> recommendation;  // octet 3a (7 bits), when present
  CauseValue value = CauseValue::NormalCallClearing;
  std::vector<std::uint8_t> diagnostics;  // octets 5..., as received (Q.850 §2.2.8)

  friend bool operator==(const Cause&, const Cause&) = default;
};

// §4.5.7 Call state: the states of §2.1.1 (user side), §2.1.2 (network side; N-states share the
// values) and §2.4 (global call reference).
enum class CallStateValue : std::uint8_t {
  Null = 0,  // U0; REST 0 on the global call reference
  CallInitiated = 1,
  OverlapSending = 2,
  OutgoingCallProceeding = 3,
  CallDelivered = 4,
  CallPresent = 6,
  CallReceived = 7,
  ConnectRequest = 8,
  IncomingCallProceeding = 9,
  Active = 10,
  DisconnectRequest = 11,
  DisconnectIndication = 12,
  SuspendRequest = 15,
  ResumeRequest = 17,
  ReleaseRequest = 19,
  OverlapReceiving = 25,
  RestartRequest = 61,  // REST 1
  Restart = 62,         // REST 2
};
struct CallState {
  CodingStandard coding_standard = CodingStandard::Itu;
  CallStateValue value = CallStateValue::Null;  // 6 bits

  friend bool operator==(const CallState&, const CallState&) = default;
};

// §4.5.13 Channel identification.
enum class InterfaceType : std::uint8_t { Basic = 0, Primary = 1 };  // octet 3, bit 6
// Octet 3, bits 2-1. On a primary rate interface: no channel, as indicated in octets 3.2/3.3,
// or any channel. (On a basic rate interface 1 and 2 mean B1 and B2.)
enum class ChannelSelection : std::uint8_t {
  NoChannel = 0,
  AsIndicated = 1,
  Reserved = 2,
  Any = 3
};
enum class ChannelType : std::uint8_t { BChannel = 3, H0 = 6, H11 = 8, H12 = 9 };  // octet 3.2
struct ChannelIdentification {
  InterfaceType interface_type = InterfaceType::Primary;
  bool exclusive = true;   // octet 3, bit 4: 1 exclusive ("only this channel"), 0 preferred
  bool d_channel = false;  // octet 3, bit 3: the D-channel itself is indicated
  ChannelSelection selection = ChannelSelection::AsIndicated;
  // Octets 3.1 as received (the last has bit 8 = 1); empty: the interface carrying the D-channel.
  std::vector<std::uint8_t> interface_identifier;
  // Octets 3.2 and 3.3: present on a primary rate interface with selection AsIndicated only.
  CodingStandard coding_standard = CodingStandard::Itu;
  bool slot_map = false;  // octet 3.2, bit 5: 0 channel numbers follow, 1 a slot map follows
  ChannelType channel_type = ChannelType::BChannel;
  // slot_map false: the channel numbers (7 bits each; on a 2048 kbit/s interface the time slot
  // numbers 1-15 and 17-31, §4.5.13 note); slot_map true: the slot map's octets as received.
  std::vector<std::uint8_t> channels;

  // The common PRI forms: one B-channel, exclusive or preferred; any channel (preferred).
  [[nodiscard]] static ChannelIdentification exclusive_b_channel(std::uint8_t number);
  [[nodiscard]] static ChannelIdentification preferred_b_channel(std::uint8_t number);
  [[nodiscard]] static ChannelIdentification any_channel();

  friend bool operator==(const ChannelIdentification&, const ChannelIdentification&) = default;
};

// §4.5.23 Progress indicator.
enum class ProgressDescription : std::uint8_t {  // octet 4, bits 7-1
  NotEndToEndIsdn = 1,            // call is not end-to-end ISDN; further progress may be in-band
  DestinationNotIsdn = 2,         // destination address is non-ISDN
  OriginationNotIsdn = 3,         // origination address is non-ISDN
  ReturnedToIsdn = 4,             // call has returned to the ISDN
  InterworkingServiceChange = 5,  // interworking has occurred, telecommunication service change
  InBandInformation = 8,          // in-band information or an appropriate pattern is now available
};
struct ProgressIndicator {
  CodingStandard coding_standard = CodingStandard::Itu;
  Location location = Location::User;
  ProgressDescription description = ProgressDescription::InBandInformation;

  friend bool operator==(const ProgressIndicator&, const ProgressIndicator&) = default;
};

// §4.5.10 / §4.5.8 party numbers.
enum class TypeOfNumber : std::uint8_t {  // octet 3, bits 7-5
  Unknown = 0,
  International = 1,
  National = 2,
  NetworkSpecific = 3,
  Subscriber = 4,
  Abbreviated = 6,
};
enum class NumberingPlan : std::uint8_t {  // octet 3, bits 4-1
  Unknown = 0,
  Isdn = 1,  // ISDN/telephony numbering plan (E.164)
  Data = 3,  // X.121
  Telex = 4,
  National = 8,
  Private = 9,
};
enum class PresentationIndicator : std::uint8_t {  // octet 3a, bits 7-6
  Allowed = 0,
  Restricted = 1,
  NotAvailable = 2,  // number not available due to interworking
};
enum class ScreeningIndicator : std::uint8_t {  // octet 3a, bits 2-1
  UserProvidedNotScreened = 0,
  UserProvidedVerifiedAndPassed = 1,
  UserProvidedVerifiedAndFailed = 2,
  NetworkProvided = 3,
};
struct Presentation {  // octet 3a of the calling party number
  PresentationIndicator indicator = PresentationIndicator::Allowed;
  ScreeningIndicator screening = ScreeningIndicator::UserProvidedNotScreened;

  friend bool operator==(const Presentation&, const Presentation&) = default;
};
struct CallingPartyNumber {
  TypeOfNumber type = TypeOfNumber::Unknown;
  NumberingPlan plan = NumberingPlan::Isdn;
  std::optional<Presentation> presentation;  // octet 3a, when present
  std::string digits;                        // IA5 characters (bit 8 is 0)

  friend bool operator==(const CallingPartyNumber&, const CallingPartyNumber&) = default;
};
struct CalledPartyNumber {
  TypeOfNumber type = TypeOfNumber::Unknown;
  NumberingPlan plan = NumberingPlan::Isdn;
  std::string digits;  // IA5 characters (bit 8 is 0)

  friend bool operator==(const CalledPartyNumber&, const CalledPartyNumber&) = default;
};

// §4.5.25 Restart indicator, octet 3 bits 3-1.
enum class RestartClass : std::uint8_t {
  IndicatedChannels = 0,  // the channels named by the Channel identification IE
  SingleInterface = 6,
  AllInterfaces = 7,
};
struct RestartIndicator {
  RestartClass restart_class = RestartClass::AllInterfaces;

  friend bool operator==(const RestartIndicator&, const RestartIndicator&) = default;
};

// Why an IE was kept raw instead of typed.
enum class RawReason : std::uint8_t {
  Unrecognized,     // not a typed IE, or in a codeset other than 0 (§5.8.7.1 if received)
  InvalidContents,  // a typed IE whose contents do not decode (§5.8.6.2 / §5.8.7.2)
  Repeated,         // a repetition Q.931 does not allow: only the first is handled (§5.8.5.2)
};

// An IE kept as received. A single-octet IE (bit 8 of `identifier` set) has no contents.
struct RawInformationElement {
  std::uint8_t codeset = 0;    // §4.5.2; not 0: reached by a shift IE
  bool locking_shift = false;  // codeset != 0: by a locking (§4.5.3) or non-locking (§4.5.4) shift
  std::uint8_t identifier = 0;  // the identifier octet as received
  std::vector<std::uint8_t> contents;
  RawReason reason = RawReason::Unrecognized;

  [[nodiscard]] bool is_single_octet() const { return (identifier & 0x80) != 0; }
  friend bool operator==(const RawInformationElement&, const RawInformationElement&) = default;
};

// One Q.931 message. The typed IEs are in the order of their identifiers (§4.5.1), which is the
// order encode() writes them in; designated initializers follow it.
struct Message {
  CallReference call_reference;
  MessageType type = MessageType::Status;
  bool sending_complete = false;                                // 0xA1, §4.5.27
  std::optional<BearerCapability> bearer_capability;            // 0x04, §4.5.5
  std::optional<Cause> cause;                                   // 0x08, §4.5.12
  std::optional<CallState> call_state;                          // 0x14, §4.5.7
  std::optional<ChannelIdentification> channel_identification;  // 0x18, §4.5.13
  // 0x1E, §4.5.23: up to two in a message (§3.1, e.g. Table 3-2 note: "may be repeated").
  std::vector<ProgressIndicator> progress_indicators;
  std::optional<std::string> display;                      // 0x28, §4.5.16 (IA5)
  std::optional<CallingPartyNumber> calling_party_number;  // 0x6C, §4.5.10
  std::optional<CalledPartyNumber> called_party_number;    // 0x70, §4.5.8
  std::optional<RestartIndicator> restart_indicator;       // 0x79, §4.5.25
  // Everything else, in the order encode() writes it (see codec.h); decode() keeps it there.
  std::vector<RawInformationElement> other_elements;

  friend bool operator==(const Message&, const Message&) = default;
};

// How many instances of a typed IE a message may carry (§5.8.5.2: the rest are ignored).
inline constexpr std::size_t kMaxProgressIndicators = 2;

}  // namespace resproxy::q931
