#include "sim_hardware/fxo/caller_id.h"

#include <algorithm>

namespace resproxy::fxo {

namespace {

using namespace caller_id;

bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }
bool is_name_char(std::uint8_t c) { return c >= 0x20 && c <= 0x7E; }

std::size_t max_digits(CallerIdStandard s) { return s == CallerIdStandard::Sin227 ? 20 : 15; }
std::size_t max_name(CallerIdStandard s) { return s == CallerIdStandard::Sin227 ? 50 : 15; }

std::uint8_t reason_octet(AbsenceReason r) { return r == AbsenceReason::Private ? 'P' : 'O'; }
std::optional<AbsenceReason> reason_from(std::uint8_t c) {
  if (c == 'O') return AbsenceReason::Unavailable;
  if (c == 'P') return AbsenceReason::Private;
  return std::nullopt;
}

bool valid(const CallerIdDateTime& t) {
  return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour <= 23 &&
         t.minute <= 59;
}

void append_two_digits(std::vector<std::uint8_t>& out, std::uint8_t v) {
  out.push_back(static_cast<std::uint8_t>('0' + v / 10));
  out.push_back(static_cast<std::uint8_t>('0' + v % 10));
}
std::vector<std::uint8_t> date_time_octets(const CallerIdDateTime& t) {
  std::vector<std::uint8_t> out;
  append_two_digits(out, t.month);
  append_two_digits(out, t.day);
  append_two_digits(out, t.hour);
  append_two_digits(out, t.minute);
  return out;
}
std::optional<CallerIdDateTime> date_time_from(std::span<const std::uint8_t> v) {
  if (v.size() != 8 || !std::all_of(v.begin(), v.end(), is_digit)) return std::nullopt;
  auto two = [&](std::size_t i) { return static_cast<std::uint8_t>((v[i] - '0') * 10 + (v[i + 1] - '0')); };
  CallerIdDateTime t{two(0), two(2), two(4), two(6)};
  if (!valid(t)) return std::nullopt;
  return t;
}

std::optional<CallerIdEncodeError> check_number(const std::string& n, std::size_t limit) {
  if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return is_digit(static_cast<std::uint8_t>(c)); })) {
    return CallerIdEncodeError::InvalidNumber;
  }
  if (n.size() > limit) return CallerIdEncodeError::NumberTooLong;
  return std::nullopt;
}

// Appends message type, length, body and checksum.
Result<std::vector<std::uint8_t>, CallerIdEncodeError> frame(std::uint8_t type,
                                                             const std::vector<std::uint8_t>& body) {
  if (body.size() > 255) return unexpected(CallerIdEncodeError::MessageTooLong);
  std::vector<std::uint8_t> out;
  out.reserve(body.size() + 3);
  out.push_back(type);
  out.push_back(static_cast<std::uint8_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  out.push_back(caller_id_checksum(out));
  return out;
}

void append_parameter(std::vector<std::uint8_t>& body, std::uint8_t type,
                      std::span<const std::uint8_t> value) {
  body.push_back(type);
  body.push_back(static_cast<std::uint8_t>(value.size()));
  body.insert(body.end(), value.begin(), value.end());
}
std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Unexpected<CallerIdDecodeError> fail(CallerIdDecodeErrorKind kind, std::size_t offset) {
  return unexpected(CallerIdDecodeError{kind, offset});
}

Result<CallerIdMessage, CallerIdDecodeError> decode_sdmf_body(std::span<const std::uint8_t> body) {
  // GR-30 SDMF: MMDDHHMM, then the number's digits or a single 'O'/'P'.
  constexpr std::size_t kBodyStart = 2;
  if (body.size() < 9) return fail(CallerIdDecodeErrorKind::InvalidParameter, kBodyStart);
  CallerIdMessage m;
  m.date_time = date_time_from(body.first(8));
  if (!m.date_time) return fail(CallerIdDecodeErrorKind::InvalidParameter, kBodyStart);
  const auto rest = body.subspan(8);
  if (rest.size() == 1 && reason_from(rest[0])) {
    m.number_absent = reason_from(rest[0]);
  } else if (std::all_of(rest.begin(), rest.end(), is_digit)) {
    m.number = std::string(rest.begin(), rest.end());
  } else {
    return fail(CallerIdDecodeErrorKind::InvalidParameter, kBodyStart + 8);
  }
  return m;
}

}  // namespace

std::string_view to_string(CallerIdStandard standard) {
  switch (standard) {
    case CallerIdStandard::Sin227: return "sin227";
    case CallerIdStandard::Bellcore: return "bellcore";
  }
  return "unknown";
}

std::string_view to_string(CallerIdEncodeError error) {
  switch (error) {
    case CallerIdEncodeError::InvalidDateTime: return "invalid_date_time";
    case CallerIdEncodeError::InvalidNumber: return "invalid_number";
    case CallerIdEncodeError::NumberTooLong: return "number_too_long";
    case CallerIdEncodeError::InvalidName: return "invalid_name";
    case CallerIdEncodeError::NameTooLong: return "name_too_long";
    case CallerIdEncodeError::NumberAndAbsence: return "number_and_absence";
    case CallerIdEncodeError::NameAndAbsence: return "name_and_absence";
    case CallerIdEncodeError::NameAbsenceNotInSin227: return "name_absence_not_in_sin227";
    case CallerIdEncodeError::ParameterTooLong: return "parameter_too_long";
    case CallerIdEncodeError::MessageTooLong: return "message_too_long";
    case CallerIdEncodeError::NotInSdmf: return "not_in_sdmf";
  }
  return "unknown";
}

std::string_view to_string(CallerIdDecodeErrorKind kind) {
  switch (kind) {
    case CallerIdDecodeErrorKind::TooShort: return "too_short";
    case CallerIdDecodeErrorKind::UnknownMessageType: return "unknown_message_type";
    case CallerIdDecodeErrorKind::LengthMismatch: return "length_mismatch";
    case CallerIdDecodeErrorKind::ChecksumMismatch: return "checksum_mismatch";
    case CallerIdDecodeErrorKind::ParameterTruncated: return "parameter_truncated";
    case CallerIdDecodeErrorKind::InvalidParameter: return "invalid_parameter";
  }
  return "unknown";
}

std::uint8_t caller_id_checksum(std::span<const std::uint8_t> octets) {
  unsigned sum = 0;
  for (auto o : octets) sum += o;
  return static_cast<std::uint8_t>(0x100 - (sum & 0xFF));
}

Result<std::vector<std::uint8_t>, CallerIdEncodeError> encode_caller_id(
    const CallerIdMessage& m, CallerIdStandard standard) {
  if (m.number && m.number_absent) return unexpected(CallerIdEncodeError::NumberAndAbsence);
  if (m.name && m.name_absent) return unexpected(CallerIdEncodeError::NameAndAbsence);
  if (m.name_absent && standard == CallerIdStandard::Sin227) {
    return unexpected(CallerIdEncodeError::NameAbsenceNotInSin227);
  }
  std::vector<std::uint8_t> body;
  if (m.date_time) {
    if (!valid(*m.date_time)) return unexpected(CallerIdEncodeError::InvalidDateTime);
    append_parameter(body, kParamDateTime, date_time_octets(*m.date_time));
  }
  if (m.number) {
    if (auto e = check_number(*m.number, max_digits(standard))) return unexpected(*e);
    append_parameter(body, kParamCallingNumber, bytes_of(*m.number));
  }
  if (m.number_absent) {
    const std::uint8_t r = reason_octet(*m.number_absent);
    append_parameter(body, kParamNumberAbsent, {&r, 1});
  }
  if (m.name) {
    const auto& n = *m.name;
    if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return is_name_char(static_cast<std::uint8_t>(c)); })) {
      return unexpected(CallerIdEncodeError::InvalidName);
    }
    if (n.size() > max_name(standard)) return unexpected(CallerIdEncodeError::NameTooLong);
    append_parameter(body, kParamName, bytes_of(n));
  }
  if (m.name_absent) {
    const std::uint8_t r = reason_octet(*m.name_absent);
    append_parameter(body, kParamNameAbsent, {&r, 1});
  }
  for (const auto& p : m.other) {
    if (p.value.size() > 255) return unexpected(CallerIdEncodeError::ParameterTooLong);
    append_parameter(body, p.type, p.value);
  }
  return frame(kMessageCallSetup, body);
}

Result<std::vector<std::uint8_t>, CallerIdEncodeError> encode_sdmf(const CallerIdMessage& m) {
  if (!m.date_time || !valid(*m.date_time)) return unexpected(CallerIdEncodeError::InvalidDateTime);
  if (m.name || m.name_absent || !m.other.empty() || (!m.number && !m.number_absent)) {
    return unexpected(CallerIdEncodeError::NotInSdmf);
  }
  if (m.number && m.number_absent) return unexpected(CallerIdEncodeError::NumberAndAbsence);
  std::vector<std::uint8_t> body = date_time_octets(*m.date_time);
  if (m.number) {
    if (auto e = check_number(*m.number, max_digits(CallerIdStandard::Bellcore))) return unexpected(*e);
    const auto digits = bytes_of(*m.number);
    body.insert(body.end(), digits.begin(), digits.end());
  } else {
    body.push_back(reason_octet(*m.number_absent));
  }
  return frame(kMessageSdmf, body);
}

Result<CallerIdMessage, CallerIdDecodeError> decode_caller_id(std::span<const std::uint8_t> octets,
                                                              CallerIdStandard standard) {
  if (octets.size() < 3) return fail(CallerIdDecodeErrorKind::TooShort, octets.size());
  const std::uint8_t type = octets[0];
  const bool sdmf = type == kMessageSdmf && standard == CallerIdStandard::Bellcore;
  if (type != kMessageCallSetup && !sdmf) return fail(CallerIdDecodeErrorKind::UnknownMessageType, 0);
  const std::size_t length = octets[1];
  if (octets.size() != length + 3) return fail(CallerIdDecodeErrorKind::LengthMismatch, 1);
  unsigned sum = 0;
  for (auto o : octets) sum += o;
  if ((sum & 0xFF) != 0) return fail(CallerIdDecodeErrorKind::ChecksumMismatch, octets.size() - 1);

  const auto body = octets.subspan(2, length);
  if (sdmf) return decode_sdmf_body(body);

  CallerIdMessage m;
  std::size_t i = 0;
  while (i < body.size()) {
    const std::size_t at = 2 + i;  // offset in `octets`, for the error
    if (i + 2 > body.size()) return fail(CallerIdDecodeErrorKind::ParameterTruncated, at);
    const std::uint8_t ptype = body[i];
    const std::size_t plen = body[i + 1];
    if (i + 2 + plen > body.size()) return fail(CallerIdDecodeErrorKind::ParameterTruncated, at);
    const auto value = body.subspan(i + 2, plen);
    const auto invalid = fail(CallerIdDecodeErrorKind::InvalidParameter, at);
    switch (ptype) {
      case kParamDateTime:
        if (m.date_time) return invalid;
        m.date_time = date_time_from(value);
        if (!m.date_time) return invalid;
        break;
      case kParamCallingNumber:
        if (m.number || value.empty() || !std::all_of(value.begin(), value.end(), is_digit)) return invalid;
        m.number = std::string(value.begin(), value.end());
        break;
      case kParamNumberAbsent:
        if (m.number_absent || value.size() != 1 || !reason_from(value[0])) return invalid;
        m.number_absent = reason_from(value[0]);
        break;
      case kParamName:
        if (m.name || value.empty() || !std::all_of(value.begin(), value.end(), is_name_char)) return invalid;
        m.name = std::string(value.begin(), value.end());
        break;
      case kParamNameAbsent:
        if (m.name_absent || value.size() != 1 || !reason_from(value[0])) return invalid;
        m.name_absent = reason_from(value[0]);
        break;
      default:
        m.other.push_back(CallerIdParameter{ptype, std::vector<std::uint8_t>(value.begin(), value.end())});
        break;
    }
    i += 2 + plen;
  }
  if (m.number && m.number_absent) return fail(CallerIdDecodeErrorKind::InvalidParameter, 2);
  return m;
}

}  // namespace resproxy::fxo
