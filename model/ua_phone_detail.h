#pragma once
// Helpers shared by the files of UaPhone (ua_phone.cc, ua_phone_calls.cc, ua_phone_transfer.cc).
// Not part of its interface.
#include <algorithm>
#include <string_view>

#include "proxy/sip/message.h"

namespace resproxy::model::ua_detail {

inline constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY";

inline std::string_view header_value(const sip::Message& message, sip::HeaderId id) {
  const sip::HeaderField* field = message.first(id);
  return field == nullptr ? std::string_view{} : field->value;
}

inline bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

}  // namespace resproxy::model::ua_detail
