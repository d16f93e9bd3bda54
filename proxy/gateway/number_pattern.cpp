#include "proxy/gateway/number_pattern.h"

#include <algorithm>

namespace resproxy::gateway {
namespace {

// A character of a number as a bit in a 13-bit set: 0-9 are bits 0-9, * # + bits 10-12.
constexpr std::uint16_t kDigits = 0x03FF;                 // 0-9
constexpr std::uint16_t kDigits1To9 = kDigits & ~0x0001;  // Z
constexpr std::uint16_t kDigits2To9 = kDigits & ~0x0003;  // N
constexpr std::uint16_t kAnyCharacter = 0x1FFF;           // what . and ! consume

std::optional<unsigned> bit_of(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  switch (c) {
    case '*': return 10U;
    case '#': return 11U;
    case '+': return 12U;
    default: return std::nullopt;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The offending character, readable in an error message even when it is a control byte.
std::string shown(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
}

Unexpected<std::string> error_at(std::size_t index, std::string_view what) {
  return unexpected("column " + std::to_string(index + 1) + ": " + std::string(what));
}

// Parses the set that opens with '[' at text[open]: its bits, and the index of its ']'.
Result<std::pair<std::uint16_t, std::size_t>, std::string> parse_set(std::string_view text,
                                                                      std::size_t open) {
  std::uint16_t bits = 0;
  std::size_t i = open + 1;
  for (; i < text.size() && text[i] != ']'; ++i) {
    const char c = text[i];
    const auto bit = bit_of(c);
    if (c == '-') return error_at(i, "'-' in a set must stand between two digits");
    if (!bit) return error_at(i, shown(c) + " cannot stand in a set (digits, * # + and ranges)");
    if (i + 2 < text.size() && text[i + 1] == '-' && text[i + 2] != ']') {
      const char upper = text[i + 2];
      if (!is_digit(c)) return error_at(i, "a range must start with a digit");
      if (!is_digit(upper)) return error_at(i + 2, "a range must end with a digit");
      if (upper < c) return error_at(i, "range " + std::string{c, '-', upper} + " runs backwards");
      for (char d = c; d <= upper; ++d) bits |= static_cast<std::uint16_t>(1U << *bit_of(d));
      i += 2;
      continue;
    }
    bits |= static_cast<std::uint16_t>(1U << *bit);
  }
  if (i >= text.size()) return error_at(open, "'[' without ']'");
  if (bits == 0) return error_at(open, "empty set");
  return std::pair{bits, i};
}

}  // namespace

bool is_valid_number(std::string_view number) {
  return number.size() <= kMaxNumberLength &&
         std::all_of(number.begin(), number.end(), [](char c) { return bit_of(c).has_value(); });
}

Result<NumberPattern, std::string> NumberPattern::parse(std::string_view text) {
  if (text.empty()) return error_at(0, "empty pattern (! matches any number)");
  NumberPattern p;
  p.text_ = std::string(text);
  std::optional<std::size_t> open_group;  // index in text of the '<' of the open group
  std::size_t group_first = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (p.tail_ != Tail::None && c != '>') {
      return error_at(i, shown(c) + " after '.' or '!', which may only end the pattern");
    }
    if (p.fixed_.size() > kMaxNumberLength) {  // text[i - 1] ended one token too many
      return error_at(i - 1, "pattern longer than the longest number (" +
                             std::to_string(kMaxNumberLength) + " characters)");
    }
    switch (c) {
      case '<':
        if (open_group) return error_at(i, "groups may not be nested");
        if (p.groups_.size() == kMaxCaptureGroups) return error_at(i, "more than 9 groups");
        open_group = i;
        group_first = p.fixed_.size();
        continue;
      case '>': {
        if (!open_group) return error_at(i, "'>' without '<'");
        const std::size_t end = p.fixed_.size() + (p.tail_ != Tail::None ? 1 : 0);
        if (end == group_first) return error_at(*open_group, "empty group");
        p.groups_.push_back(
            Group{static_cast<std::uint8_t>(group_first), static_cast<std::uint8_t>(end)});
        open_group.reset();
        continue;
      }
      case '.': p.tail_ = Tail::OneOrMore; continue;
      case '!': p.tail_ = Tail::ZeroOrMore; continue;
      case 'X': case 'x': p.fixed_.push_back(kDigits); continue;
      case 'Z': case 'z': p.fixed_.push_back(kDigits1To9); continue;
      case 'N': case 'n': p.fixed_.push_back(kDigits2To9); continue;
      case '[': {
        auto set = parse_set(text, i);
        if (!set) return unexpected(set.error());
        p.fixed_.push_back(set->first);
        i = set->second;
        continue;
      }
      default: break;
    }
    const auto bit = bit_of(c);
    if (!bit) return error_at(i, "unexpected " + shown(c));
    p.fixed_.push_back(static_cast<std::uint16_t>(1U << *bit));
  }
  if (open_group) return error_at(*open_group, "'<' without '>'");
  if (p.fixed_.size() > kMaxNumberLength) {
    return error_at(text.size() - 1, "pattern longer than the longest number (" +
                                         std::to_string(kMaxNumberLength) + " characters)");
  }
  p.parsed_ = true;
  return p;
}

std::optional<Captures> NumberPattern::match(std::string_view number) const {
  // from the wire or the line: untrusted, any length, any bytes
  if (!parsed_ || number.size() > kMaxNumberLength) return std::nullopt;
  const std::size_t fixed = fixed_.size();
  switch (tail_) {
    case Tail::None: if (number.size() != fixed) return std::nullopt; break;
    case Tail::OneOrMore: if (number.size() < fixed + 1) return std::nullopt; break;
    case Tail::ZeroOrMore: if (number.size() < fixed) return std::nullopt; break;
  }
  for (std::size_t i = 0; i < number.size(); ++i) {
    const auto bit = bit_of(number[i]);
    if (!bit) return std::nullopt;
    const std::uint16_t allowed = i < fixed ? fixed_[i] : kAnyCharacter;
    if ((allowed & (1U << *bit)) == 0) return std::nullopt;
  }
  Captures captures;
  captures.reserve(groups_.size() + 1);
  captures.emplace_back(number);
  for (const Group& g : groups_) {
    // Every token before the tail is one character, so token index = character index.
    const std::size_t end = g.end > fixed ? number.size() : g.end;
    captures.emplace_back(number.substr(g.first, end - g.first));
  }
  return captures;
}

Rewrite::Rewrite() : text_("<0>"), pieces_{Piece{.literal = {}, .capture = 0}} {}

Result<Rewrite, std::string> Rewrite::parse(std::string_view text) {
  Rewrite r;
  r.text_ = std::string(text);
  r.pieces_.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {
      if (i + 1 >= text.size() || !is_digit(text[i + 1])) {
        return error_at(i + 1, "'<' must be followed by a capture number 0-9");
      }
      if (i + 2 >= text.size() || text[i + 2] != '>') return error_at(i + 2, "expected '>'");
      const auto capture = static_cast<std::int8_t>(text[i + 1] - '0');
      r.pieces_.push_back(Piece{.literal = {}, .capture = capture});
      i += 2;
      continue;
    }
    if (!bit_of(c)) return error_at(i, "unexpected " + shown(c) + " (digits, * # + and <N>)");
    if (r.pieces_.empty() || r.pieces_.back().capture >= 0) r.pieces_.push_back(Piece{});
    r.pieces_.back().literal += c;
  }
  return r;
}

std::string Rewrite::format(const Captures& captures) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (piece.capture < 0) {
      out += piece.literal;
    } else if (static_cast<std::size_t>(piece.capture) < captures.size()) {
      out += captures[static_cast<std::size_t>(piece.capture)];
    }
  }
  return out;
}

std::optional<std::size_t> Rewrite::highest_capture() const {
  std::optional<std::size_t> highest;
  for (const Piece& piece : pieces_) {
    if (piece.capture >= 0) {
      highest = std::max(highest.value_or(0), static_cast<std::size_t>(piece.capture));
    }
  }
  return highest;
}

}  // namespace resproxy::gateway
