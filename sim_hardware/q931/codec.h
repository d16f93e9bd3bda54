#pragma once
// Q.931 codec (ITU-T Q.931 §4; ETSI EN 300 403-1 §4): a Message to and from the octets of one
// layer-3 message, the information field of one Q.921 I-frame on the D-channel. Fed by the
// emulated PRI card and exchange with the octets their D-channel carried; no I/O.
//
// Encoding order (§4.5.1): the single-octet IEs of codeset 0 first (Sending complete, where the
// SETUP and INFORMATION tables of §3.1 list it; §4.5.1 lets single-octet IEs stand anywhere),
// then the variable-length IEs of codeset 0 in ascending order of identifier (typed before raw
// for one identifier, so the first instance stays the one that is handled), then each raw IE of
// another codeset reached by a non-locking shift, behind its own non-locking shift (§4.5.4), then
// the raw IEs reached by locking shifts, grouped by codeset in ascending order, each group behind
// one locking shift (§4.5.3). decode() sorts `other_elements` into that order, so for every
// decoded message m, decode(encode(m)) == m; when the input was already in that order (every
// conforming message is), encode(decode(octets)) == octets.
//
// Decoding is strict about every bit the model does not keep: a typed IE whose spare bits are
// not 0, whose extension bits end early or late, or whose length is not the IE's, is kept raw
// with RawReason::InvalidContents (validate() then names cause 100 when it was mandatory) — so the
// typed IEs always re-encode to the octets they came from. Out-of-sequence IEs (§5.8.5.1) are
// accepted and handled.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "sim_hardware/q931/message.h"

namespace resproxy::q931 {

// What stopped decode(). The errors that leave no message to act on.
enum class DecodeErrorKind : std::uint8_t {
  // §5.8.2: shorter than protocol discriminator, call reference and message type. Ignore it.
  MessageTooShort,
  // §5.8.1: octet 1 is not 0x08 (Q.931). Ignore it: it is another protocol's message.
  UnknownProtocolDiscriminator,
  // §5.8.3.1: bits 8-5 of the call reference's length octet are not 0000, or the length is
  // over 2 (the longest a PRI uses). Ignore it.
  InvalidCallReference,
  // §5.8.4: a message type that is not one of MessageType (or has bit 8 set). Answer with
  // cause 97 on the call reference in the error (STATUS; RELEASE COMPLETE in the Null state).
  UnknownMessageType,
  // An IE's length octet is missing or its length runs past the end of the message: the
  // contents cannot be read. Answer with cause 100 (§5.8.6.2), the IE identifier as diagnostic.
  InformationElementTruncated,
};
[[nodiscard]] std::string_view to_string(DecodeErrorKind kind);
// The cause the receiver answers with; nullopt: the message is ignored without an answer.
[[nodiscard]] std::optional<CauseValue> to_cause(DecodeErrorKind kind);

struct DecodeError {
  DecodeErrorKind kind = DecodeErrorKind::MessageTooShort;
  std::size_t offset = 0;  // the octet at which decoding stopped
  // Decoded before the error (kinds UnknownMessageType and InformationElementTruncated): the
  // answer goes on this call reference, with the flag inverted.
  std::optional<CallReference> call_reference;
  std::uint8_t message_type = 0;         // the octet, once reached
  std::uint8_t information_element = 0;  // InformationElementTruncated: its identifier

  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

// The octets of `message`. Total: every Message encodes. Values wider than their field are cut to
// the field (a call reference value of 0x8001 with length 2 is sent as 0x0001), contents longer
// than 255 octets to 255: callers keep within the fields (every decoded message does).
[[nodiscard]] std::vector<std::uint8_t> encode(const Message& message);

// One message from the octets of one I-frame's information field (from the wire: untrusted; any
// octets give a message or an error, never a crash). Trailing octets belong to IEs.
[[nodiscard]] Result<Message, DecodeError> decode(std::span<const std::uint8_t> octets);

// The contents octets of one typed IE, as encode() writes them (without identifier and length).
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const BearerCapability& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const Cause& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const CallState& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const ChannelIdentification& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const ProgressIndicator& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const CallingPartyNumber& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const CalledPartyNumber& ie);
[[nodiscard]] std::vector<std::uint8_t> encode_contents(const RestartIndicator& ie);

// The contents of one typed IE from its contents octets; nullopt when they are invalid.
[[nodiscard]] std::optional<BearerCapability> decode_bearer_capability(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<Cause> decode_cause(std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<CallState> decode_call_state(std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<ChannelIdentification> decode_channel_identification(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<ProgressIndicator> decode_progress_indicator(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<CallingPartyNumber> decode_calling_party_number(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<CalledPartyNumber> decode_called_party_number(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<RestartIndicator> decode_restart_indicator(
    std::span<const std::uint8_t> c);
[[nodiscard]] std::optional<std::string> decode_ia5(std::span<const std::uint8_t> c);

}  // namespace resproxy::q931
