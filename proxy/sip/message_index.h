#pragma once
// Message::Index, the parser of message.h's Message: a nested type so that it may fill the
// private members. Shared by message.cpp (Message::parse, Message::first) and message_parser.cpp
// (the parser itself). Internal to proxy/sip.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/sip/message.h"

namespace resproxy::sip {

struct Message::Index {
  static std::optional<ParseError> parse(Message& m, Framing framing);

  // Message::first, inline here: the parser looks up the singleton headers through it and runs
  // in another file than the accessors.
  static const HeaderField* first(const Message& m, HeaderId id) {
    const std::uint16_t index = m.first_[static_cast<std::size_t>(id)];
    return index == kNoIndex ? nullptr : &m.headers_[index];
  }

 private:
  static std::optional<ParseError> parse_start_line(Message& m, std::string_view line);
  static std::optional<ParseError> validate_headers(Message& m);
};

}  // namespace resproxy::sip
