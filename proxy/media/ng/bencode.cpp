#include "proxy/media/ng/bencode.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace resproxy::media::ng {

// --- Dict ------------------------------------------------------------------------------------

namespace {

// Raw byte order: std::string_view's compare is char_traits<char>::compare, which compares as
// unsigned char (memcmp), whatever the signedness of char.
bool key_less(const Dict::Entry& e, std::string_view key) { return std::string_view(e.first) < key; }

}  // namespace

Dict::Dict() = default;
Dict::Dict(std::initializer_list<Entry> entries) {
  for (const auto& e : entries) set(e.first, e.second);
}
Dict::Dict(const Dict&) = default;
Dict::Dict(Dict&&) noexcept = default;
Dict& Dict::operator=(const Dict&) = default;
Dict& Dict::operator=(Dict&&) noexcept = default;
Dict::~Dict() = default;

const Value* Dict::find(std::string_view key) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), key, key_less);
  return it != entries_.end() && it->first == key ? &it->second : nullptr;
}

Value* Dict::find(std::string_view key) {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), key, key_less);
  return it != entries_.end() && it->first == key ? &it->second : nullptr;
}

void Dict::set(std::string key, Value value) {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), std::string_view(key), key_less);
  if (it != entries_.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, std::move(key), std::move(value));
  }
}

bool Dict::erase(std::string_view key) {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), key, key_less);
  if (it == entries_.end() || it->first != key) return false;
  entries_.erase(it);
  return true;
}

bool Dict::assign_unsorted(std::vector<Entry> entries) {
  // O(n log n) whatever the wire order (a descending flood of keys costs no quadratic inserts).
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::string_view(a.first) < std::string_view(b.first); });
  const auto dup = std::adjacent_find(entries.begin(), entries.end(),
                                      [](const Entry& a, const Entry& b) { return a.first == b.first; });
  if (dup != entries.end()) return false;
  entries_ = std::move(entries);
  return true;
}

bool operator==(const Dict& a, const Dict& b) { return a.entries_ == b.entries_; }

// --- errors ----------------------------------------------------------------------------------

std::string_view to_string(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::Truncated: return "truncated input";
    case DecodeErrorCode::UnexpectedByte: return "unexpected byte";
    case DecodeErrorCode::BadInteger: return "malformed integer";
    case DecodeErrorCode::BadStringLength: return "malformed string length";
    case DecodeErrorCode::TooDeep: return "nesting too deep";
    case DecodeErrorCode::TooManyElements: return "too many elements";
    case DecodeErrorCode::TrailingBytes: return "trailing bytes";
    case DecodeErrorCode::KeyNotString: return "dictionary key not a string";
    case DecodeErrorCode::DuplicateKey: return "duplicate dictionary key";
  }
  return "malformed bencode";
}

std::string to_string(const DecodeError& error) {
  std::string out(to_string(error.code));
  out += " (offset ";
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), error.offset);
  out.append(buf.data(), r.ptr);
  out += ')';
  return out;
}

// --- encode ----------------------------------------------------------------------------------

namespace {

void append_number(std::string& out, std::int64_t n) {
  std::array<char, 24> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  out.append(buf.data(), r.ptr);
}

void append_string(std::string& out, std::string_view s) {
  append_number(out, static_cast<std::int64_t>(s.size()));
  out += ':';
  out.append(s);
}

}  // namespace

void encode_to(std::string& out, const Value& value) {
  if (const auto* i = value.integer()) {
    out += 'i';
    append_number(out, *i);
    out += 'e';
  } else if (const auto* s = value.string()) {
    append_string(out, *s);
  } else if (const auto* l = value.list()) {
    out += 'l';
    for (const auto& item : *l) encode_to(out, item);
    out += 'e';
  } else if (const auto* d = value.dict()) {
    out += 'd';
    for (const auto& [key, item] : *d) {  // sorted: canonical
      append_string(out, key);
      encode_to(out, item);
    }
    out += 'e';
  }
}

std::string encode(const Value& value) {
  std::string out;
  encode_to(out, value);
  return out;
}

// --- decode ----------------------------------------------------------------------------------

namespace {
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

class Decoder {
 public:
  Decoder(std::string_view input, DecodeLimits limits) : in_(input), limits_(limits) {}

  Result<Value, DecodeError> run() {
    auto v = value(0);
    if (!v) return v;
    if (pos_ != in_.size()) return fail(DecodeErrorCode::TrailingBytes);
    return v;
  }

 private:
  [[nodiscard]] Unexpected<DecodeError> fail(DecodeErrorCode code) const {
    return unexpected(DecodeError{code, pos_});
  }
  [[nodiscard]] bool at_end() const { return pos_ >= in_.size(); }
  // Counts one more value or key against max_elements.
  [[nodiscard]] bool count() { return ++elements_ <= limits_.max_elements; }

  // `depth`: lists and dictionaries open around this value.
  Result<Value, DecodeError> value(std::size_t depth) {
    if (at_end()) return fail(DecodeErrorCode::Truncated);
    if (!count()) return fail(DecodeErrorCode::TooManyElements);
    const char c = in_[pos_];
    if (c == 'i') return integer();
    if (is_digit(c)) {
      auto s = string();
      if (!s) return unexpected(s.error());
      return Value(std::move(*s));
    }
    if (c == 'l' || c == 'd') {
      if (depth + 1 > limits_.max_depth) return fail(DecodeErrorCode::TooDeep);
      return c == 'l' ? list(depth + 1) : dict(depth + 1);
    }
    return fail(DecodeErrorCode::UnexpectedByte);
  }

  Result<Value, DecodeError> integer() {
    ++pos_;  // 'i'
    const bool negative = !at_end() && in_[pos_] == '-';
    if (negative) ++pos_;
    // |INT64_MIN| = INT64_MAX + 1: the magnitude's limit depends on the sign.
    const std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) +
                                (negative ? 1U : 0U);
    const std::size_t first = pos_;
    std::uint64_t magnitude = 0;
    while (!at_end() && is_digit(in_[pos_])) {
      const auto digit = static_cast<std::uint64_t>(in_[pos_] - '0');
      if (magnitude > (limit - digit) / 10) return fail(DecodeErrorCode::BadInteger);  // overflow
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    if (at_end()) return fail(DecodeErrorCode::Truncated);
    const std::size_t digits = pos_ - first;
    if (in_[pos_] != 'e') return fail(DecodeErrorCode::UnexpectedByte);  // "i1x", "i+1e"
    if (digits == 0) return fail(DecodeErrorCode::BadInteger);                       // "ie", "i-e"
    if (digits > 1 && in_[first] == '0') return fail(DecodeErrorCode::BadInteger);   // "i03e"
    if (negative && magnitude == 0) return fail(DecodeErrorCode::BadInteger);        // "i-0e"
    ++pos_;  // 'e'
    if (negative) {
      // magnitude <= 2^63: negate in unsigned arithmetic, then reinterpret (two's complement).
      return Value(static_cast<std::int64_t>(~magnitude + 1));
    }
    return Value(static_cast<std::int64_t>(magnitude));
  }

  Result<std::string, DecodeError> string() {
    const std::size_t first = pos_;
    std::size_t length = 0;
    while (!at_end() && is_digit(in_[pos_])) {
      length = length * 10 + static_cast<std::size_t>(in_[pos_] - '0');
      // Longer than the whole input is impossible; stopping here also keeps `length` from
      // overflowing (it stays below in_.size() * 10 + 9).
      if (length > in_.size()) return fail(DecodeErrorCode::BadStringLength);
      ++pos_;
    }
    if (pos_ - first > 1 && in_[first] == '0') {
      pos_ = first;
      return fail(DecodeErrorCode::BadStringLength);  // "03:abc"
    }
    if (at_end()) return fail(DecodeErrorCode::Truncated);
    if (in_[pos_] != ':') return fail(DecodeErrorCode::UnexpectedByte);
    ++pos_;
    if (length > in_.size() - pos_) return fail(DecodeErrorCode::Truncated);
    std::string out(in_.substr(pos_, length));
    pos_ += length;
    return out;
  }

  Result<Value, DecodeError> list(std::size_t depth) {
    ++pos_;  // 'l'
    List items;
    while (true) {
      if (at_end()) return fail(DecodeErrorCode::Truncated);
      if (in_[pos_] == 'e') break;
      auto item = value(depth);
      if (!item) return item;
      items.push_back(std::move(*item));
    }
    ++pos_;  // 'e'
    return Value(std::move(items));
  }

  Result<Value, DecodeError> dict(std::size_t depth) {
    const std::size_t start = pos_;
    ++pos_;  // 'd'
    std::vector<Dict::Entry> entries;
    while (true) {
      if (at_end()) return fail(DecodeErrorCode::Truncated);
      const char c = in_[pos_];
      if (c == 'e') break;
      if (!is_digit(c)) {
        return fail(c == 'i' || c == 'l' || c == 'd' ? DecodeErrorCode::KeyNotString
                                                     : DecodeErrorCode::UnexpectedByte);
      }
      if (!count()) return fail(DecodeErrorCode::TooManyElements);
      auto key = string();
      if (!key) return unexpected(key.error());
      auto item = value(depth);
      if (!item) return item;
      entries.emplace_back(std::move(*key), std::move(*item));
    }
    ++pos_;  // 'e'
    Dict d;
    if (!d.assign_unsorted(std::move(entries))) return unexpected(DecodeError{DecodeErrorCode::DuplicateKey, start});
    return Value(std::move(d));
  }

  std::string_view in_;
  DecodeLimits limits_;
  std::size_t pos_ = 0;
  std::size_t elements_ = 0;
};

Result<Value, DecodeError> decode(std::string_view input, DecodeLimits limits) {
  return Decoder(input, limits).run();
}

}  // namespace resproxy::media::ng
