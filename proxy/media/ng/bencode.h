#pragma once
// Bencode (BitTorrent BEP 3), the encoding of rtpengine's "ng" control protocol (ng_message.h):
// a value model, a canonical encoder and a strict, bounded decoder for untrusted input (the
// control port's datagrams). Fed by the ng codec with each datagram's body; emits values.
//
// The four types: integers "i42e", byte strings "4:spam", lists "l…e", dictionaries "d…e" whose
// keys are byte strings. encode() is canonical (BEP 3): dictionary keys in raw byte order
// (memcmp order of the bytes as unsigned), integers without leading zeros, so two equal values
// encode to the same bytes — what ng_auth.h's MAC relies on.
//
// decode() is strict where BEP 3 has one spelling and bounded for attacker input:
//   - integers: an optional '-', then digits; no leading zero ("i03e"), no "-0", no empty
//     digits, and the value fits int64_t;
//   - string lengths: digits without leading zeros ("03:abc" is refused: one spelling per value),
//     and never longer than the input that is left (checked digit by digit: no overflow);
//   - nesting: at most max_depth open lists/dictionaries (default 32), elements: at most
//     max_elements values and keys in the whole document (default 10,000);
//   - the whole input is one value: trailing bytes are an error;
//   - dictionary keys must be strings; a key twice in one dictionary is an error (DuplicateKey),
//     since two readers could disagree on which one counts and the MAC covers one meaning only;
//   - keys in any order are accepted (Unsorted is NOT an error): rtpengine's own documentation
//     says it does not honour BEP 3's sorted-key requirement, and Kamailio's rtpengine module
//     writes keys in the order it adds them ("supports", "sdp", …, "command", "flags"). The
//     decoded Dict is sorted whatever the wire order was.
// Memory: a decoded value costs O(input size): every element consumes at least two input bytes.
// Recursion depth is bounded by max_depth.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::media::ng {

class Value;
using List = std::vector<Value>;

// A bencode dictionary: entries kept sorted by key in raw byte order (std::string's operator<
// compares as unsigned char), unique keys. A sorted vector rather than std::map: std::map of an
// incomplete type is not guaranteed by the standard, and ng dictionaries are small.
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;

  Dict();
  Dict(std::initializer_list<Entry> entries);  // later duplicates replace earlier ones
  Dict(const Dict&);
  Dict(Dict&&) noexcept;
  Dict& operator=(const Dict&);
  Dict& operator=(Dict&&) noexcept;
  ~Dict();

  [[nodiscard]] const Value* find(std::string_view key) const;
  [[nodiscard]] Value* find(std::string_view key);
  [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Inserts or replaces.
  void set(std::string key, Value value);
  // True if the key was there.
  bool erase(std::string_view key);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] bool empty() const;
  // In key order.
  [[nodiscard]] const Entry* begin() const;
  [[nodiscard]] const Entry* end() const;

  friend bool operator==(const Dict& a, const Dict& b);

 private:
  friend class Decoder;
  // Takes entries in any order; false (and *this unchanged) if a key repeats.
  bool assign_unsorted(std::vector<Entry> entries);
  std::vector<Entry> entries_;
};

class Value {
 public:
  using Variant = std::variant<std::int64_t, std::string, List, Dict>;

  Value() : v_(std::int64_t{0}) {}
  Value(int i) : v_(std::int64_t{i}) {}                       // NOLINT: implicit by design
  Value(std::int64_t i) : v_(i) {}                            // NOLINT
  Value(std::string s) : v_(std::move(s)) {}                  // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}           // NOLINT
  Value(const char* s) : v_(std::string(s)) {}                // NOLINT
  Value(List l) : v_(std::move(l)) {}                         // NOLINT
  Value(Dict d) : v_(std::move(d)) {}                         // NOLINT

  [[nodiscard]] bool is_integer() const { return std::holds_alternative<std::int64_t>(v_); }
  [[nodiscard]] bool is_string() const { return std::holds_alternative<std::string>(v_); }
  [[nodiscard]] bool is_list() const { return std::holds_alternative<List>(v_); }
  [[nodiscard]] bool is_dict() const { return std::holds_alternative<Dict>(v_); }
  // nullptr when the value has another type.
  [[nodiscard]] const std::int64_t* integer() const { return std::get_if<std::int64_t>(&v_); }
  [[nodiscard]] const std::string* string() const { return std::get_if<std::string>(&v_); }
  [[nodiscard]] const List* list() const { return std::get_if<List>(&v_); }
  [[nodiscard]] const Dict* dict() const { return std::get_if<Dict>(&v_); }
  [[nodiscard]] Dict* dict() { return std::get_if<Dict>(&v_); }
  [[nodiscard]] const Variant& variant() const { return v_; }

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  Variant v_;
};

// Dict's members that need Value complete.
inline std::size_t Dict::size() const { return entries_.size(); }
inline bool Dict::empty() const { return entries_.empty(); }
inline const Dict::Entry* Dict::begin() const { return entries_.data(); }
inline const Dict::Entry* Dict::end() const { return entries_.data() + entries_.size(); }

enum class DecodeErrorCode : std::uint8_t {
  Truncated,        // the input ended inside a value (or was empty)
  UnexpectedByte,   // a byte that starts no value ('x'), or a bad byte inside an integer/length
  BadInteger,       // empty digits, a leading zero, "-0", or a value outside int64_t
  BadStringLength,  // a leading zero in a length, or a length beyond the end of the input
  TooDeep,          // more than max_depth nested lists/dictionaries
  TooManyElements,  // more than max_elements values and keys
  TrailingBytes,    // bytes after the one top-level value
  KeyNotString,     // a dictionary key that is an integer, list or dictionary
  DuplicateKey,     // the same key twice in one dictionary
};
struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::Truncated;
  std::size_t offset = 0;  // where in the input the problem was found
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};
[[nodiscard]] std::string_view to_string(DecodeErrorCode code);
[[nodiscard]] std::string to_string(const DecodeError& error);  // "integer with … (offset 12)"

struct DecodeLimits {
  std::size_t max_depth = 32;
  std::size_t max_elements = 10'000;
};

// The canonical encoding (keys sorted, shortest integers). Never fails.
[[nodiscard]] std::string encode(const Value& value);
// Appends the encoding of `value` to `out`.
void encode_to(std::string& out, const Value& value);

// Decodes exactly one value spanning all of `input` (from the wire: untrusted). Each error names
// the first problem; the caller answers the ng request with an error reply (ng_message.h) or
// drops it.
[[nodiscard]] Result<Value, DecodeError> decode(std::string_view input, DecodeLimits limits = {});

}  // namespace resproxy::media::ng
