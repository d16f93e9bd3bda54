#pragma once
// Lexical building blocks of the RFC 3261 §25 grammar shared by the SIP parsers in proxy/sip:
// character classes as one 256-entry table, whitespace skipping that treats folded line breaks
// as whitespace, and ASCII case-insensitive comparison. Used by the parsers in proxy/sip; other
// layers may use trim / to_lower / iequals (also reachable as sip::trim, …). No policy.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace resproxy::sip::text {

// Character classes (bit flags). Names follow RFC 3261 §25.1.
enum CharClass : std::uint16_t {
  kAlnum = 1 << 0,
  kDigit = 1 << 1,
  kHex = 1 << 2,
  kToken = 1 << 3,       // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kWord = 1 << 4,        // word (Call-ID): token chars plus ( ) < > : \ DQUOTE / [ ] ? { }
  kUnreserved = 1 << 5,  // alphanum / mark
  kUser = 1 << 6,        // unreserved / user-unreserved (escapes are checked separately)
  kPassword = 1 << 7,    // unreserved / "&" / "=" / "+" / "$" / ","
  kParamChar = 1 << 8,   // unreserved / param-unreserved
  kHeaderChar = 1 << 9,  // unreserved / hnv-unreserved
  kUric = 1 << 10,       // reserved / unreserved / "%" / "[" / "]": any absolute-URI character
  kHostChar = 1 << 11,   // alphanum / "-" / "." / "_" (underscore: lenient, common in the wild)
  kSchemeChar = 1 << 12, // ALPHA / DIGIT / "+" / "-" / "."
  kWhitespace = 1 << 13, // SP / HT / CR / LF (CR LF only ever appear inside folded values)
  kParamValue = 1 << 14, // unquoted gen-value: token / host (":" "[" "]") plus "/"
};

constexpr std::array<std::uint16_t, 256> make_char_table() {
  std::array<std::uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, std::uint16_t flags) {
    for (const char c : chars) t[static_cast<unsigned char>(c)] |= flags;
  };
  constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  constexpr std::string_view kDigits = "0123456789";
  const std::uint16_t alnum_flags = kAlnum | kToken | kWord | kUnreserved | kUser | kPassword |
                                    kParamChar | kHeaderChar | kUric | kHostChar | kSchemeChar |
                                    kParamValue;
  add(kLetters, alnum_flags);
  add(kDigits, alnum_flags | kDigit);
  add("0123456789abcdefABCDEF", kHex);
  // token punctuation
  add("-.!%*_+`'~", kToken | kWord | kParamValue);
  add("()<>:\\\"/[]?{}", kWord);
  // mark
  add("-_.!~*'()", kUnreserved | kUser | kPassword | kParamChar | kHeaderChar | kUric);
  add("&=+$,;?/", kUser);
  add("&=+$,", kPassword);
  add("[]/:&+$", kParamChar);
  add("[]/?:+$", kHeaderChar);
  add(";/?:@&=+$,%[]", kUric);
  add("-._", kHostChar);
  add("+-.", kSchemeChar);
  add(" \t\r\n", kWhitespace);
  add(":[]/", kParamValue);
  return t;
}

inline constexpr std::array<std::uint16_t, 256> kCharTable = make_char_table();

constexpr bool is(char c, std::uint16_t flags) {
  return (kCharTable[static_cast<unsigned char>(c)] & flags) != 0;
}
constexpr bool is_ws(char c) { return is(c, kWhitespace); }
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }  // SP / HT only
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_token(char c) { return is(c, kToken); }

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ASCII case-insensitive equality. (The core never asks the process locale: under tr_TR,
// lower-casing 'I' gives a dotless i.)
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// ASCII lower case.
inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = to_lower(c);
  return out;
}

// "[2001:db8::1]" -> "2001:db8::1"; anything else unchanged.
constexpr std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

// Host names and addresses: case-insensitive, IPv6 brackets ignored.
constexpr bool same_host(std::string_view a, std::string_view b) {
  return iequals(strip_brackets(a), strip_brackets(b));
}

// Skips SP / HT / CR / LF from `pos`; returns the first other position (or text.size()).
constexpr std::size_t skip_ws(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_ws(text[pos])) ++pos;
  return pos;
}

// Removes SP / HT / CR / LF on both sides.
constexpr std::string_view trim(std::string_view text) {
  std::size_t b = 0;
  std::size_t e = text.size();
  while (b < e && is_ws(text[b])) ++b;
  while (e > b && is_ws(text[e - 1])) --e;
  return text.substr(b, e - b);
}

// Length of the run of characters of class `flags` starting at `pos`.
constexpr std::size_t span_of(std::string_view text, std::size_t pos, std::uint16_t flags) {
  std::size_t end = pos;
  while (end < text.size() && is(text[end], flags)) ++end;
  return end - pos;
}

// True if every character is in `flags` or is a valid %HH escape; empty text is true.
constexpr bool all_of_escaped(std::string_view text, std::uint16_t flags) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0) {
        return false;
      }
      i += 2;
    } else if (!is(c, flags)) {
      return false;
    }
  }
  return true;
}

// Given text[pos] == '"', returns the position just past the closing quote, honouring
// backslash escapes (quoted-pair), or npos if the quote never closes.
constexpr std::size_t skip_quoted(std::string_view text, std::size_t pos) {
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Parses 1*DIGIT (leading zeros allowed) no greater than `max` (< 2^60); false otherwise.
constexpr bool parse_decimal(std::string_view digits, std::uint64_t max, std::uint64_t& out) {
  if (digits.empty()) return false;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max) return false;  // stops before any overflow: max < 2^64 / 10
  }
  out = value;
  return true;
}

// The first CR or LF in [p, end), or end. One pass, 16 bytes at a time where SSE2 exists (all
// x86-64); never reads outside [p, end).
inline const char* find_line_break(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const int mask =
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, cr), _mm_cmpeq_epi8(chunk, lf)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != '\r' && *p != '\n') ++p;
  return p;
}

}  // namespace resproxy::sip::text

namespace resproxy::sip {
// The general-purpose helpers, for other layers' convenience (registrar, routing).
using text::iequals;
using text::to_lower;
using text::trim;
}  // namespace resproxy::sip
