#pragma once
// Allocation-free element parsers shared by Message::parse (eager validation) and the public
// lazy parsers in header_parsers.h / uri.h. Internal to proxy/sip.
#include <cstddef>
#include <optional>
#include <string_view>

#include "proxy/sip/header_parsers.h"

namespace resproxy::sip::detail {

// Parses one via-parm starting at text[pos]. On success `pos` is left at the ',' that ends the
// element or at text.size(); anything else after the element is an error.
[[nodiscard]] bool parse_via_at(std::string_view text, std::size_t& pos, Via& out);

// Parses one name-addr / addr-spec starting at text[pos]; `in_list`: a top-level ',' ends the
// element (pos is left on it), otherwise a ',' is an error. If `tag` is given it receives the
// value of the first "tag" parameter ("" if valueless), saving a second pass over the params.
[[nodiscard]] bool parse_name_addr_at(std::string_view text, std::size_t& pos, bool in_list,
                                      NameAddr& out,
                                      std::optional<std::string_view>* tag = nullptr);

// Skips whitespace and one ',' separator after an element. Returns false at the end of text;
// true (pos after the comma) if another element must follow.
[[nodiscard]] bool next_list_element(std::string_view text, std::size_t& pos);

// scheme ":" 1*uric (escapes checked); no whitespace, no '<' '>' '"'.
[[nodiscard]] bool is_absolute_uri(std::string_view uri);

// Parses one ";name[=value]" at text[pos] (text[pos] == ';' on entry, whitespace allowed
// around ';' and '='). On success `pos` is after the parameter.
[[nodiscard]] bool parse_param_at(std::string_view text, std::size_t& pos, Param& out);

}  // namespace resproxy::sip::detail
