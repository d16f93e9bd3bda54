#pragma once
// Caller-ID messages (the presentation layer of on-hook data transmission) as octets, both ways:
//   - ETSI EN 300 659-3 / BT SIN 227 MDMF (the UK default), and
//   - Telcordia (Bellcore) GR-30 MDMF, and its older SDMF (decoded; encoded for tests).
// The exchange's FXS end encodes, the FXO card decodes; the octets travel in CallerIdData.
//
// MDMF layout (both): message type 0x80 (call set-up), message length (the parameter octets),
// parameters (type, length, value), checksum. The checksum is the two's complement of the
// modulo-256 sum of every octet before it, so that all octets of a message add up to 0 mod 256.
//
// Where the two differ (docs/gateway.md "FXO lines"):
//   - reason for absence of name (0x08) is GR-30's (and EN 300 659-3's); our SIN 227 profile
//     sends only date-time 0x01, calling line identity 0x02, reason for absence 0x04 and name 0x07;
//   - lengths we allow when encoding: SIN 227 up to 20 digits and 50 characters (the maxima of
//     EN 300 659-3), Bellcore up to 15 digits (E.164) and 15 characters (the CNAM name field);
//   - SDMF (message type 0x04: date-time then number or 'O'/'P', no parameter headers) exists
//     only in GR-30;
//   - below this layer: V.23 (SIN 227) against Bell 202 (GR-30) tones, the FSK framing
//     (line_profile.h), and when the burst comes (before the first ring after a line reversal
//     and a Tone Alert Signal, against between the first and second ring).
// Decoding accepts any lengths that fit the octets and keeps parameters it does not interpret
// (EN 300 659-3: a receiver ignores parameter types it does not know).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::fxo {

enum class CallerIdStandard : std::uint8_t { Sin227, Bellcore };
[[nodiscard]] std::string_view to_string(CallerIdStandard standard);

namespace caller_id {
inline constexpr std::uint8_t kMessageCallSetup = 0x80;   // MDMF call set-up
inline constexpr std::uint8_t kMessageSdmf = 0x04;        // GR-30 single data message format
inline constexpr std::uint8_t kParamDateTime = 0x01;
inline constexpr std::uint8_t kParamCallingNumber = 0x02;  // calling line identity
inline constexpr std::uint8_t kParamNumberAbsent = 0x04;   // reason for absence of the number
inline constexpr std::uint8_t kParamName = 0x07;           // calling party name
inline constexpr std::uint8_t kParamNameAbsent = 0x08;     // reason for absence of the name
}  // namespace caller_id

// Reason for absence ('O' / 'P' on the wire).
enum class AbsenceReason : std::uint8_t {
  Unavailable,  // 'O': out of area — the network has no number to give
  Private,      // 'P': withheld by the caller (UK 141, North America *67)
};

// The exchange's local time of the call (MMDDHHMM on the wire); no year.
struct CallerIdDateTime {
  std::uint8_t month = 1;   // 1..12
  std::uint8_t day = 1;     // 1..31
  std::uint8_t hour = 0;    // 0..23
  std::uint8_t minute = 0;  // 0..59
  friend bool operator==(const CallerIdDateTime&, const CallerIdDateTime&) = default;
};

// A parameter this codec does not interpret (e.g. EN 300 659-3's 0x03 called line identity,
// 0x11 call type), kept as it came.
struct CallerIdParameter {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const CallerIdParameter&, const CallerIdParameter&) = default;
};

struct CallerIdMessage {
  std::optional<CallerIdDateTime> date_time;
  std::optional<std::string> number;            // digits 0-9
  std::optional<AbsenceReason> number_absent;   // instead of `number`
  std::optional<std::string> name;              // printable ASCII
  std::optional<AbsenceReason> name_absent;     // instead of `name`
  std::vector<CallerIdParameter> other;         // encoded after the ones above, in this order
  friend bool operator==(const CallerIdMessage&, const CallerIdMessage&) = default;
};

// Why encode() refused: the exchange (its configuration or its driver) asked for a message the
// standard cannot carry. The caller fixes its input; nothing was sent.
enum class CallerIdEncodeError : std::uint8_t {
  InvalidDateTime,        // a field out of range
  InvalidNumber,          // empty, or not all digits 0-9
  NumberTooLong,          // over the standard's limit (20 SIN 227, 15 Bellcore)
  InvalidName,            // empty, or a character outside 0x20-0x7E
  NameTooLong,            // over the standard's limit (50 SIN 227, 15 Bellcore)
  NumberAndAbsence,       // both a number and a reason for its absence
  NameAndAbsence,         // both a name and a reason for its absence
  NameAbsenceNotInSin227, // 0x08 asked for under SIN 227
  ParameterTooLong,       // an `other` value over 255 octets
  MessageTooLong,         // the parameters exceed the 255 octets of the length octet
  NotInSdmf,              // SDMF carries only date-time and number (or its absence)
};
[[nodiscard]] std::string_view to_string(CallerIdEncodeError error);

// Why decode() refused, with the offset of the octet at fault. From the wire: the card counts
// it, traces it, and presents the call without a number (as if no caller ID had come).
enum class CallerIdDecodeErrorKind : std::uint8_t {
  TooShort,             // fewer than message type, length and checksum
  UnknownMessageType,   // not call set-up (nor SDMF under Bellcore): message waiting etc.
  LengthMismatch,       // the length octet disagrees with the number of octets received
  ChecksumMismatch,     // the octets do not add up to 0 mod 256
  ParameterTruncated,   // a parameter's length runs past the end of the message
  InvalidParameter,     // a known parameter with a value it cannot have, or a duplicate
};
[[nodiscard]] std::string_view to_string(CallerIdDecodeErrorKind kind);
struct CallerIdDecodeError {
  CallerIdDecodeErrorKind kind = CallerIdDecodeErrorKind::TooShort;
  std::size_t offset = 0;
  friend bool operator==(const CallerIdDecodeError&, const CallerIdDecodeError&) = default;
};

// MDMF call set-up message, checksum included.
[[nodiscard]] Result<std::vector<std::uint8_t>, CallerIdEncodeError> encode_caller_id(
    const CallerIdMessage& message, CallerIdStandard standard);
// GR-30 SDMF (0x04): date-time (required) and the number or 'O'/'P'.
[[nodiscard]] Result<std::vector<std::uint8_t>, CallerIdEncodeError> encode_sdmf(
    const CallerIdMessage& message);
// from the wire: untrusted. MDMF under both standards; SDMF too under Bellcore.
[[nodiscard]] Result<CallerIdMessage, CallerIdDecodeError> decode_caller_id(
    std::span<const std::uint8_t> octets, CallerIdStandard standard);

// The modulo-256 two's-complement checksum of `octets` (message type to last parameter octet).
[[nodiscard]] std::uint8_t caller_id_checksum(std::span<const std::uint8_t> octets);

}  // namespace resproxy::fxo
