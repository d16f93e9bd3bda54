#pragma once
// Number patterns and rewrite templates of the gateway's dial plan (dial_plan.h): the pattern
// language a telephony engineer knows from Asterisk extensions and Vega dial plans, matched in
// time linear in the number's length (no backtracking, no std::regex: numbers come from the wire
// and from the PSTN, both untrusted).
//
// Pattern language (the pattern must match the WHOLE number):
//   0-9 * # +   that character
//   X           any digit 0-9          (x also accepted, as Asterisk does)
//   Z           any digit 1-9          (z also accepted)
//   N           any digit 2-9          (n also accepted)
//   [1-58*]     one character of a set: digits, * # +, and digit ranges a-b with a <= b
//   .           one or more further characters (any of 0-9 * # +); only as the last token
//   !           zero or more further characters; only as the last token
//   < >         delimit a captured group: up to 9, not nested, not empty; a group may end
//               after the final . or ! (`9<.>`: everything after the 9)
//
// Examples: `9<0XXXXXXXXXX>` (an outside line, then a UK national number, captured);
// `<999>` or `<112>` (emergency); `0[1-3]XX.` ; `+44<Z.>`; `!` (any number, even an empty one).
//
// Numbers (what is matched): up to kMaxNumberLength characters from 0-9 * # +. Anything longer,
// or with any other character (a letter, a space, a SIP user name such as "alice"), never
// matches any pattern.
//
// Rewrite templates: literal characters 0-9 * # + and `<N>`, the text of capture N (0 = the whole
// number, 1..9 = the groups in order of their `<`). `9<1>` puts a 9 before group 1; `<0>` is the
// number unchanged; an empty template gives an empty number.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::gateway {

// E.164 allows 15 digits; 64 leaves room for prefixes, access codes and overlap digits while
// bounding what an untrusted number costs.
inline constexpr std::size_t kMaxNumberLength = 64;
inline constexpr std::size_t kMaxCaptureGroups = 9;

// Index 0: the whole number; 1..n: the groups of the pattern, in order of their `<`.
using Captures = std::vector<std::string>;

// True when `number` is at most kMaxNumberLength characters, all from 0-9 * # + (empty is valid).
[[nodiscard]] bool is_valid_number(std::string_view number);

class NumberPattern {
 public:
  // A default-constructed pattern matches nothing (a rule nobody configured routes no call).
  NumberPattern() = default;

  // Parses pattern text (from the configuration file). Error: "column C: what is wrong" with C
  // 1-based in `text`; the configuration loader refuses the file, naming the parameter.
  [[nodiscard]] static Result<NumberPattern, std::string> parse(std::string_view text);

  // The captures when the pattern matches all of `number` (untrusted), nullopt otherwise.
  // Linear in number.size(); a number that is not is_valid_number() never matches.
  [[nodiscard]] std::optional<Captures> match(std::string_view number) const;

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] std::size_t group_count() const { return groups_.size(); }
  [[nodiscard]] bool is_parsed() const { return parsed_; }

  friend bool operator==(const NumberPattern&, const NumberPattern&) = default;

 private:
  enum class Tail : std::uint8_t { None, OneOrMore, ZeroOrMore };
  struct Group {
    std::uint8_t first = 0;  // index of the first token in the group
    std::uint8_t end = 0;    // one past the last token; fixed_.size() + 1 when it holds the tail
    friend bool operator==(const Group&, const Group&) = default;
  };

  std::string text_;
  // One set of allowed characters per single-character token, a bit per character (see the .cpp).
  std::vector<std::uint16_t> fixed_;
  Tail tail_ = Tail::None;
  std::vector<Group> groups_;
  bool parsed_ = false;
};

class Rewrite {
 public:
  // A default-constructed template is `<0>`: the number unchanged.
  Rewrite();

  // Parses template text. Error: "column C: what is wrong", C 1-based.
  [[nodiscard]] static Result<Rewrite, std::string> parse(std::string_view text);

  // The template filled in from `captures` (NumberPattern::match). A capture the pattern does not
  // have gives nothing (check_dial_plan() in dial_plan.h reports such templates at load time).
  [[nodiscard]] std::string format(const Captures& captures) const;

  [[nodiscard]] const std::string& text() const { return text_; }
  // The highest <N> used, or nullopt when the template uses none.
  [[nodiscard]] std::optional<std::size_t> highest_capture() const;

  friend bool operator==(const Rewrite&, const Rewrite&) = default;

 private:
  struct Piece {
    std::string literal;     // used when capture < 0
    std::int8_t capture = -1;
    friend bool operator==(const Piece&, const Piece&) = default;
  };
  std::string text_;
  std::vector<Piece> pieces_;
};

}  // namespace resproxy::gateway
