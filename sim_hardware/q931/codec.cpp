#include "sim_hardware/q931/codec.h"

#include <algorithm>
#include <array>
#include <tuple>

namespace resproxy::q931 {
namespace {

using Octets = std::span<const std::uint8_t>;

// Bit 8 of an octet in an extendable group (§4.5.1, notes to Figure 4-7): 1 = last octet.
constexpr std::uint8_t kLast = 0x80;
[[nodiscard]] bool is_last(std::uint8_t octet) { return (octet & kLast) != 0; }

template <typename E>
[[nodiscard]] int bits(E value) {
  return static_cast<int>(value);
}
[[nodiscard]] std::uint8_t octet(int value) { return static_cast<std::uint8_t>(value & 0xFF); }
// Octet by octet: g++ 12 at -O2 reports a false -Warray-bounds on a vector::insert that follows
// a push_back into a vector of one element (fixed in later GCCs).
void append(std::vector<std::uint8_t>& out, Octets octets) {
  for (std::uint8_t o : octets) out.push_back(o);
}

constexpr std::uint8_t id_of(InformationElementId id) { return static_cast<std::uint8_t>(id); }

// §4.5.3 / §4.5.4: the shift IE (type 1, 1001 xxxx); bit 4 set: non-locking.
constexpr std::uint8_t kShiftMask = 0xF0;
constexpr std::uint8_t kNonLocking = 0x08;
constexpr std::uint8_t kCodesetMask = 0x07;

// Where encode() puts a raw IE (codec.h): the single-octet IEs of codeset 0, the variable-length
// ones of codeset 0, IEs behind a non-locking shift, IEs behind a locking shift.
enum class Group : std::uint8_t { SingleOctet, Codeset0, NonLocking, Locking };
[[nodiscard]] Group group_of(const RawInformationElement& ie) {
  if (ie.codeset == 0) return ie.is_single_octet() ? Group::SingleOctet : Group::Codeset0;
  return ie.locking_shift ? Group::Locking : Group::NonLocking;
}
// The sort key of that order; equal keys keep the order they were received in.
[[nodiscard]] std::tuple<Group, std::uint8_t, std::uint8_t> order_key(
    const RawInformationElement& ie) {
  const Group g = group_of(ie);
  return {g, g == Group::Codeset0 ? ie.identifier : std::uint8_t{0},
          g == Group::Locking ? ie.codeset : std::uint8_t{0}};
}

void put_element(std::vector<std::uint8_t>& out, std::uint8_t identifier, Octets contents) {
  // The length is one octet (§4.5.1, Figure 4-7): longer contents are cut (codec.h).
  const std::size_t length = std::min<std::size_t>(contents.size(), 255);
  out.push_back(identifier);
  out.push_back(static_cast<std::uint8_t>(length));
  append(out, contents.first(length));
}

void put_raw(std::vector<std::uint8_t>& out, const RawInformationElement& ie) {
  if (ie.is_single_octet()) {
    out.push_back(ie.identifier);
  } else {
    put_element(out, ie.identifier, ie.contents);
  }
}

[[nodiscard]] std::vector<std::uint8_t> encode_ia5(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size());
  for (char c : text) out.push_back(static_cast<std::uint8_t>(c) & 0x7F);
  return out;
}

}  // namespace

// ---- Information element contents ----------------------------------------------------------

// §4.5.5, Figure 4-11: octets 3, 4, 4.1, 5, 5a-5d, 6, 7.
std::vector<std::uint8_t> encode_contents(const BearerCapability& ie) {
  std::vector<std::uint8_t> out;
  out.push_back(octet(kLast | (bits(ie.coding_standard) & 0x03) << 5 |
                      (bits(ie.transfer_capability) & 0x1F)));
  out.push_back(
      octet(kLast | (bits(ie.transfer_mode) & 0x03) << 5 | (bits(ie.transfer_rate) & 0x1F)));
  if (ie.rate_multiplier) out.push_back(octet(kLast | (*ie.rate_multiplier & 0x7F)));
  if (ie.layer1) {
    // Layer identification 01; bit 8 is 0 when octets 5a... follow.
    out.push_back(
        octet((ie.layer1_rate_adaption.empty() ? kLast : 0) | 0x20 | (bits(*ie.layer1) & 0x1F)));
  }
  append(out, ie.layer1_rate_adaption);
  append(out, ie.layer2_and_layer3);
  return out;
}

std::optional<BearerCapability> decode_bearer_capability(Octets c) {
  if (c.size() < 2) return std::nullopt;
  // Octets 3 and 4 have no extensions in Q.931 (octets 4a/4b of the 1988 version are gone).
  if (!is_last(c[0]) || !is_last(c[1])) return std::nullopt;
  BearerCapability ie;
  ie.coding_standard = static_cast<CodingStandard>((c[0] >> 5) & 0x03);
  ie.transfer_capability = static_cast<TransferCapability>(c[0] & 0x1F);
  ie.transfer_mode = static_cast<TransferMode>((c[1] >> 5) & 0x03);
  ie.transfer_rate = static_cast<TransferRate>(c[1] & 0x1F);
  std::size_t i = 2;
  if (ie.transfer_rate == TransferRate::Multirate) {  // octet 4.1
    if (i >= c.size() || !is_last(c[i])) return std::nullopt;
    ie.rate_multiplier = static_cast<std::uint8_t>(c[i++] & 0x7F);
  }
  if (i < c.size() && (c[i] & 0x60) == 0x20) {  // octet 5: layer identification 01
    const std::uint8_t o5 = c[i++];
    ie.layer1 = static_cast<Layer1Protocol>(o5 & 0x1F);
    if (!is_last(o5)) {  // octets 5a-5d, through the first with bit 8 = 1
      for (;;) {
        if (i >= c.size()) return std::nullopt;
        const std::uint8_t o = c[i++];
        ie.layer1_rate_adaption.push_back(o);
        if (is_last(o)) break;
      }
    }
  }
  ie.layer2_and_layer3.assign(c.begin() + static_cast<std::ptrdiff_t>(i), c.end());
  return ie;
}

// §4.5.12, Figure 4-17: octets 3, 3a, 4, 5 (diagnostics).
std::vector<std::uint8_t> encode_contents(const Cause& ie) {
  std::vector<std::uint8_t> out;
  out.push_back(octet((ie.recommendation ? 0 : kLast) | (bits(ie.coding_standard) & 0x03) << 5 |
                      (bits(ie.location) & 0x0F)));
  if (ie.recommendation) out.push_back(octet(kLast | (*ie.recommendation & 0x7F)));
  out.push_back(octet(kLast | (bits(ie.value) & 0x7F)));
  append(out, ie.diagnostics);
  return out;
}

std::optional<Cause> decode_cause(Octets c) {
  if (c.size() < 2 || (c[0] & 0x10) != 0) return std::nullopt;  // bit 5 of octet 3 is spare
  Cause ie;
  ie.coding_standard = static_cast<CodingStandard>((c[0] >> 5) & 0x03);
  ie.location = static_cast<Location>(c[0] & 0x0F);
  std::size_t i = 1;
  if (!is_last(c[0])) {  // octet 3a: recommendation
    if (!is_last(c[1])) return std::nullopt;
    ie.recommendation = static_cast<std::uint8_t>(c[1] & 0x7F);
    i = 2;
  }
  if (i >= c.size() || !is_last(c[i])) return std::nullopt;
  ie.value = static_cast<CauseValue>(c[i++] & 0x7F);
  ie.diagnostics.assign(c.begin() + static_cast<std::ptrdiff_t>(i), c.end());
  return ie;
}

// §4.5.7, Figure 4-13: one octet, coding standard (bits 8-7) and state (bits 6-1).
std::vector<std::uint8_t> encode_contents(const CallState& ie) {
  return {octet((bits(ie.coding_standard) & 0x03) << 6 | (bits(ie.value) & 0x3F))};
}

std::optional<CallState> decode_call_state(Octets c) {
  if (c.size() != 1) return std::nullopt;
  return CallState{.coding_standard = static_cast<CodingStandard>(c[0] >> 6),
                   .value = static_cast<CallStateValue>(c[0] & 0x3F)};
}

// §4.5.13, Figure 4-18: octets 3, 3.1 (interface identifier), 3.2, 3.3.
std::vector<std::uint8_t> encode_contents(const ChannelIdentification& ie) {
  std::vector<std::uint8_t> out;
  out.push_back(octet(kLast | (ie.interface_identifier.empty() ? 0 : 0x40) |
                      (ie.interface_type == InterfaceType::Primary ? 0x20 : 0) |
                      (ie.exclusive ? 0x08 : 0) | (ie.d_channel ? 0x04 : 0) |
                      (bits(ie.selection) & 0x03)));
  append(out, ie.interface_identifier);
  if (ie.interface_type == InterfaceType::Primary &&
      ie.selection == ChannelSelection::AsIndicated) {
    out.push_back(octet(kLast | (bits(ie.coding_standard) & 0x03) << 5 | (ie.slot_map ? 0x10 : 0) |
                        (bits(ie.channel_type) & 0x0F)));
    if (ie.slot_map) {
      append(out, ie.channels);
    } else {
      for (std::size_t n = 0; n < ie.channels.size(); ++n) {  // bit 8 = 1 on the last number
        out.push_back(octet((n + 1 == ie.channels.size() ? kLast : 0) | (ie.channels[n] & 0x7F)));
      }
    }
  }
  return out;
}

std::optional<ChannelIdentification> decode_channel_identification(Octets c) {
  // Octet 3: bit 8 = 1 (no extension), bit 5 spare.
  if (c.empty() || !is_last(c[0]) || (c[0] & 0x10) != 0) return std::nullopt;
  ChannelIdentification ie;
  ie.interface_type = (c[0] & 0x20) != 0 ? InterfaceType::Primary : InterfaceType::Basic;
  ie.exclusive = (c[0] & 0x08) != 0;
  ie.d_channel = (c[0] & 0x04) != 0;
  ie.selection = static_cast<ChannelSelection>(c[0] & 0x03);
  std::size_t i = 1;
  if ((c[0] & 0x40) != 0) {  // octets 3.1, through the first with bit 8 = 1
    for (;;) {
      if (i >= c.size()) return std::nullopt;
      const std::uint8_t o = c[i++];
      ie.interface_identifier.push_back(o);
      if (is_last(o)) break;
    }
  }
  if (ie.interface_type == InterfaceType::Primary &&
      ie.selection == ChannelSelection::AsIndicated) {
    if (i >= c.size() || !is_last(c[i])) return std::nullopt;  // octet 3.2
    ie.coding_standard = static_cast<CodingStandard>((c[i] >> 5) & 0x03);
    ie.slot_map = (c[i] & 0x10) != 0;
    ie.channel_type = static_cast<ChannelType>(c[i] & 0x0F);
    ++i;
    if (i >= c.size()) return std::nullopt;  // octet 3.3
    if (ie.slot_map) {
      ie.channels.assign(c.begin() + static_cast<std::ptrdiff_t>(i), c.end());
      i = c.size();
    } else {
      for (;;) {
        if (i >= c.size()) return std::nullopt;
        const std::uint8_t o = c[i++];
        ie.channels.push_back(static_cast<std::uint8_t>(o & 0x7F));
        if (is_last(o)) break;
      }
    }
  }
  // No channel, any channel, or a basic rate interface: octet 3 (and 3.1) only.
  if (i != c.size()) return std::nullopt;
  return ie;
}

// §4.5.23, Figure 4-29: octet 3 (coding standard, spare, location), octet 4 (description).
std::vector<std::uint8_t> encode_contents(const ProgressIndicator& ie) {
  return {octet(kLast | (bits(ie.coding_standard) & 0x03) << 5 | (bits(ie.location) & 0x0F)),
          octet(kLast | (bits(ie.description) & 0x7F))};
}

std::optional<ProgressIndicator> decode_progress_indicator(Octets c) {
  if (c.size() != 2 || !is_last(c[0]) || (c[0] & 0x10) != 0 || !is_last(c[1])) return std::nullopt;
  return ProgressIndicator{.coding_standard = static_cast<CodingStandard>((c[0] >> 5) & 0x03),
                           .location = static_cast<Location>(c[0] & 0x0F),
                           .description = static_cast<ProgressDescription>(c[1] & 0x7F)};
}

std::optional<std::string> decode_ia5(Octets c) {
  std::string out;
  out.reserve(c.size());
  for (std::uint8_t o : c) {
    if (o & 0x80) return std::nullopt;  // IA5: bit 8 is spare, 0
    out.push_back(static_cast<char>(o));
  }
  return out;
}

// §4.5.10, Figure 4-16: octet 3 (type of number, numbering plan), 3a (presentation, screening),
// then the digits in IA5.
std::vector<std::uint8_t> encode_contents(const CallingPartyNumber& ie) {
  std::vector<std::uint8_t> out;
  out.push_back(
      octet((ie.presentation ? 0 : kLast) | (bits(ie.type) & 0x07) << 4 | (bits(ie.plan) & 0x0F)));
  if (ie.presentation) {
    out.push_back(octet(kLast | (bits(ie.presentation->indicator) & 0x03) << 5 |
                        (bits(ie.presentation->screening) & 0x03)));
  }
  const auto digits = encode_ia5(ie.digits);
  append(out, digits);
  return out;
}

std::optional<CallingPartyNumber> decode_calling_party_number(Octets c) {
  if (c.empty()) return std::nullopt;
  CallingPartyNumber ie;
  ie.type = static_cast<TypeOfNumber>((c[0] >> 4) & 0x07);
  ie.plan = static_cast<NumberingPlan>(c[0] & 0x0F);
  std::size_t i = 1;
  if (!is_last(c[0])) {  // octet 3a; bits 5-3 spare
    if (c.size() < 2 || !is_last(c[1]) || (c[1] & 0x1C) != 0) return std::nullopt;
    ie.presentation =
        Presentation{.indicator = static_cast<PresentationIndicator>((c[1] >> 5) & 0x03),
                     .screening = static_cast<ScreeningIndicator>(c[1] & 0x03)};
    i = 2;
  }
  auto digits = decode_ia5(c.subspan(i));
  if (!digits) return std::nullopt;
  ie.digits = std::move(*digits);
  return ie;
}

// §4.5.8, Figure 4-14: octet 3 (type of number, numbering plan; no extension), the digits.
std::vector<std::uint8_t> encode_contents(const CalledPartyNumber& ie) {
  std::vector<std::uint8_t> out;
  out.push_back(octet(kLast | (bits(ie.type) & 0x07) << 4 | (bits(ie.plan) & 0x0F)));
  const auto digits = encode_ia5(ie.digits);
  append(out, digits);
  return out;
}

std::optional<CalledPartyNumber> decode_called_party_number(Octets c) {
  if (c.empty() || !is_last(c[0])) return std::nullopt;
  auto digits = decode_ia5(c.subspan(1));
  if (!digits) return std::nullopt;
  return CalledPartyNumber{.type = static_cast<TypeOfNumber>((c[0] >> 4) & 0x07),
                           .plan = static_cast<NumberingPlan>(c[0] & 0x0F),
                           .digits = std::move(*digits)};
}

// §4.5.25, Figure 4-31: one octet, bit 8 = 1, bits 7-4 spare, class in bits 3-1.
std::vector<std::uint8_t> encode_contents(const RestartIndicator& ie) {
  return {octet(kLast | (bits(ie.restart_class) & 0x07))};
}

std::optional<RestartIndicator> decode_restart_indicator(Octets c) {
  if (c.size() != 1 || !is_last(c[0]) || (c[0] & 0x78) != 0) return std::nullopt;
  return RestartIndicator{.restart_class = static_cast<RestartClass>(c[0] & 0x07)};
}

// ---- Messages ------------------------------------------------------------------------------

std::string_view to_string(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::MessageTooShort: return "message too short";
    case DecodeErrorKind::UnknownProtocolDiscriminator: return "unknown protocol discriminator";
    case DecodeErrorKind::InvalidCallReference: return "invalid call reference";
    case DecodeErrorKind::UnknownMessageType: return "unknown message type";
    case DecodeErrorKind::InformationElementTruncated: return "information element truncated";
  }
  return "unknown decode error";
}

std::optional<CauseValue> to_cause(DecodeErrorKind kind) {
  switch (kind) {
    case DecodeErrorKind::MessageTooShort:
    case DecodeErrorKind::UnknownProtocolDiscriminator:
    case DecodeErrorKind::InvalidCallReference: return std::nullopt;
    case DecodeErrorKind::UnknownMessageType: return CauseValue::MessageTypeNonExistent;
    case DecodeErrorKind::InformationElementTruncated:
      return CauseValue::InvalidInformationElementContents;
  }
  return std::nullopt;
}

std::vector<std::uint8_t> encode(const Message& m) {
  std::vector<std::uint8_t> out;
  out.reserve(64);
  // §4.2, §4.3 (Figure 4-5), §4.4.
  out.push_back(kProtocolDiscriminator);
  const std::uint8_t cr_length = std::min<std::uint8_t>(m.call_reference.length, 2);
  out.push_back(cr_length);
  const int flag = m.call_reference.flag == CallReferenceFlag::ToOriginatingSide ? 0x80 : 0;
  if (cr_length == 1) out.push_back(octet(flag | (m.call_reference.value & 0x7F)));
  if (cr_length == 2) {
    out.push_back(octet(flag | (m.call_reference.value >> 8 & 0x7F)));
    out.push_back(octet(m.call_reference.value & 0xFF));
  }
  out.push_back(octet(bits(m.type) & 0x7F));

  // Single-octet IEs of codeset 0.
  if (m.sending_complete) out.push_back(id_of(InformationElementId::SendingComplete));
  for (const auto& ie : m.other_elements) {
    if (group_of(ie) == Group::SingleOctet) out.push_back(ie.identifier);
  }

  // Variable-length IEs of codeset 0, ascending by identifier; typed before raw for one
  // identifier (stable sort of a list that has the typed ones first).
  struct Element {
    std::uint8_t identifier;
    std::vector<std::uint8_t> contents;
  };
  std::vector<Element> elements;
  const auto add = [&elements](InformationElementId id, std::vector<std::uint8_t> contents) {
    elements.push_back({id_of(id), std::move(contents)});
  };
  if (m.bearer_capability)
    add(InformationElementId::BearerCapability, encode_contents(*m.bearer_capability));
  if (m.cause) add(InformationElementId::Cause, encode_contents(*m.cause));
  if (m.call_state) add(InformationElementId::CallState, encode_contents(*m.call_state));
  if (m.channel_identification) {
    add(InformationElementId::ChannelIdentification, encode_contents(*m.channel_identification));
  }
  for (const auto& p : m.progress_indicators)
    add(InformationElementId::ProgressIndicator, encode_contents(p));
  if (m.display) add(InformationElementId::Display, encode_ia5(*m.display));
  if (m.calling_party_number)
    add(InformationElementId::CallingPartyNumber, encode_contents(*m.calling_party_number));
  if (m.called_party_number)
    add(InformationElementId::CalledPartyNumber, encode_contents(*m.called_party_number));
  if (m.restart_indicator)
    add(InformationElementId::RestartIndicator, encode_contents(*m.restart_indicator));
  for (const auto& ie : m.other_elements) {
    if (group_of(ie) == Group::Codeset0) elements.push_back({ie.identifier, ie.contents});
  }
  std::stable_sort(elements.begin(), elements.end(),
                   [](const Element& a, const Element& b) { return a.identifier < b.identifier; });
  for (const auto& e : elements) put_element(out, e.identifier, e.contents);

  // Other codesets: each non-locking one behind its own shift (§4.5.4), then the locking ones,
  // one shift per codeset in ascending order (§4.5.3: a locking shift only goes up).
  for (const auto& ie : m.other_elements) {
    if (group_of(ie) != Group::NonLocking) continue;
    out.push_back(octet(0x90 | kNonLocking | (ie.codeset & kCodesetMask)));
    put_raw(out, ie);
  }
  std::vector<const RawInformationElement*> locked;
  for (const auto& ie : m.other_elements) {
    if (group_of(ie) == Group::Locking) locked.push_back(&ie);
  }
  std::stable_sort(locked.begin(), locked.end(),
                   [](const RawInformationElement* a, const RawInformationElement* b) {
                     return (a->codeset & kCodesetMask) < (b->codeset & kCodesetMask);
                   });
  int active = 0;
  for (const RawInformationElement* ie : locked) {
    const int codeset = ie->codeset & kCodesetMask;
    if (codeset != active) {
      out.push_back(octet(0x90 | codeset));
      active = codeset;
    }
    put_raw(out, *ie);
  }
  return out;
}

namespace {

// One variable-length IE of codeset 0: typed, or raw with the reason (§5.8.5.2, §5.8.6.2).
void decode_codeset0_element(Message& m, std::uint8_t identifier, Octets contents,
                             std::array<std::uint8_t, 128>& seen) {
  const auto keep_raw = [&](RawReason reason) {
    m.other_elements.push_back({.codeset = 0,
                                .locking_shift = false,
                                .identifier = identifier,
                                .contents = {contents.begin(), contents.end()},
                                .reason = reason});
  };
  const auto id = static_cast<InformationElementId>(identifier);
  switch (id) {
    case InformationElementId::BearerCapability:
    case InformationElementId::Cause:
    case InformationElementId::CallState:
    case InformationElementId::ChannelIdentification:
    case InformationElementId::ProgressIndicator:
    case InformationElementId::Display:
    case InformationElementId::CallingPartyNumber:
    case InformationElementId::CalledPartyNumber:
    case InformationElementId::RestartIndicator: break;
    default: keep_raw(RawReason::Unrecognized); return;
  }
  // §5.8.5.2: only the first instance (the first two Progress indicators) is handled; an
  // instance with invalid contents counts.
  std::uint8_t& count = seen[identifier & 0x7F];
  if (count < 255) ++count;
  const std::size_t allowed =
      id == InformationElementId::ProgressIndicator ? kMaxProgressIndicators : 1;
  if (count > allowed) {
    keep_raw(RawReason::Repeated);
    return;
  }
  bool valid = false;
  const auto take = [&valid](auto decoded, auto& field) {
    if (decoded) {
      field = std::move(*decoded);
      valid = true;
    }
  };
  switch (id) {
    case InformationElementId::BearerCapability:
      take(decode_bearer_capability(contents), m.bearer_capability);
      break;
    case InformationElementId::Cause: take(decode_cause(contents), m.cause); break;
    case InformationElementId::CallState: take(decode_call_state(contents), m.call_state); break;
    case InformationElementId::ChannelIdentification:
      take(decode_channel_identification(contents), m.channel_identification);
      break;
    case InformationElementId::ProgressIndicator:
      if (auto p = decode_progress_indicator(contents)) {
        m.progress_indicators.push_back(*p);
        valid = true;
      }
      break;
    case InformationElementId::Display: take(decode_ia5(contents), m.display); break;
    case InformationElementId::CallingPartyNumber:
      take(decode_calling_party_number(contents), m.calling_party_number);
      break;
    case InformationElementId::CalledPartyNumber:
      take(decode_called_party_number(contents), m.called_party_number);
      break;
    case InformationElementId::RestartIndicator:
      take(decode_restart_indicator(contents), m.restart_indicator);
      break;
    default: break;
  }
  if (!valid) keep_raw(RawReason::InvalidContents);
}

}  // namespace

Result<Message, DecodeError> decode(Octets in) {
  DecodeError error;
  const auto fail = [&error](DecodeErrorKind kind, std::size_t offset) {
    error.kind = kind;
    error.offset = offset;
    return unexpected(error);
  };
  if (in.empty()) return fail(DecodeErrorKind::MessageTooShort, 0);
  if (in[0] != kProtocolDiscriminator)
    return fail(DecodeErrorKind::UnknownProtocolDiscriminator, 0);
  if (in.size() < 2) return fail(DecodeErrorKind::MessageTooShort, 1);
  // §4.3: octet 2 is 0000 and the length of the call reference value.
  if ((in[1] & 0xF0) != 0 || (in[1] & 0x0F) > 2)
    return fail(DecodeErrorKind::InvalidCallReference, 1);
  const std::size_t cr_length = in[1] & 0x0F;
  if (in.size() < 3 + cr_length) return fail(DecodeErrorKind::MessageTooShort, in.size());

  Message m;
  m.call_reference.length = static_cast<std::uint8_t>(cr_length);
  if (cr_length > 0) {
    m.call_reference.flag = is_last(in[2]) ? CallReferenceFlag::ToOriginatingSide
                                           : CallReferenceFlag::FromOriginatingSide;
    m.call_reference.value = static_cast<std::uint16_t>(in[2] & 0x7F);
    if (cr_length == 2)
      m.call_reference.value = static_cast<std::uint16_t>(m.call_reference.value << 8 | in[3]);
  }
  std::size_t pos = 2 + cr_length;
  const auto type = static_cast<MessageType>(in[pos]);
  error.call_reference = m.call_reference;
  error.message_type = in[pos];
  if (!is_known(type)) return fail(DecodeErrorKind::UnknownMessageType, pos);  // also bit 8 set
  m.type = type;
  ++pos;

  std::uint8_t locked = 0;                // §4.5.3: the active codeset
  std::optional<std::uint8_t> next_only;  // §4.5.4: the codeset of the next IE only
  std::array<std::uint8_t, 128> seen{};   // instances of each variable-length IE of codeset 0
  while (pos < in.size()) {
    const std::size_t at = pos;
    const std::uint8_t identifier = in[pos];
    if ((identifier & kShiftMask) == id_of(InformationElementId::Shift)) {  // in every codeset
      ++pos;
      const auto target = static_cast<std::uint8_t>(identifier & kCodesetMask);
      if ((identifier & kNonLocking) != 0) {
        next_only = target;
      } else if (target > locked) {
        locked = target;
        next_only.reset();
      }
      // else: §4.5.3 allows a locking shift to a higher codeset only; that one is ignored.
      continue;
    }
    const std::uint8_t codeset = next_only.value_or(locked);
    const bool by_locking_shift = codeset != 0 && !next_only.has_value();
    next_only.reset();

    if ((identifier & 0x80) != 0) {  // a single-octet IE (§4.5.1, Figure 4-7)
      ++pos;
      if (codeset == 0 && identifier == id_of(InformationElementId::SendingComplete)) {
        if (!m.sending_complete) {
          m.sending_complete = true;
          continue;
        }
        m.other_elements.push_back({.codeset = 0,
                                    .locking_shift = false,
                                    .identifier = identifier,
                                    .contents = {},
                                    .reason = RawReason::Repeated});
        continue;
      }
      m.other_elements.push_back({.codeset = codeset,
                                  .locking_shift = by_locking_shift,
                                  .identifier = identifier,
                                  .contents = {},
                                  .reason = RawReason::Unrecognized});
      continue;
    }
    // from the wire: untrusted length, may run past the end
    if (pos + 2 > in.size() || pos + 2 + in[pos + 1] > in.size()) {
      error.information_element = identifier;
      return fail(DecodeErrorKind::InformationElementTruncated, at);
    }
    const Octets contents = in.subspan(pos + 2, in[pos + 1]);
    pos += 2 + contents.size();
    if (codeset != 0) {
      m.other_elements.push_back({.codeset = codeset,
                                  .locking_shift = by_locking_shift,
                                  .identifier = identifier,
                                  .contents = {contents.begin(), contents.end()},
                                  .reason = RawReason::Unrecognized});
      continue;
    }
    decode_codeset0_element(m, identifier, contents, seen);
  }
  // The order encode() writes (codec.h), so that decode(encode(m)) == m.
  std::stable_sort(m.other_elements.begin(), m.other_elements.end(),
                   [](const RawInformationElement& a, const RawInformationElement& b) {
                     return order_key(a) < order_key(b);
                   });
  return m;
}

}  // namespace resproxy::q931
