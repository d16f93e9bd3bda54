// Bencode (proxy/media/ng/bencode.h): round trips, the canonical key order, and every class of
// malformed input refused with its error — depth and element bombs, impossible lengths, integer
// spellings BEP 3 does not allow, trailing bytes, non-string and duplicate keys, truncation.
#include "proxy/media/ng/bencode.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::string_literals;

TEST(Bencode, ValuesRoundTripThroughTheirCanonicalBytes) {
  struct Case {
    std::string_view name;
    Value value;
    std::string bytes;
  };
  const auto cases = std::to_array<Case>({
      {.name = "zero", .value = Value(0), .bytes = "i0e"},
      {.name = "positive", .value = Value(42), .bytes = "i42e"},
      {.name = "negative", .value = Value(-3), .bytes = "i-3e"},
      {.name = "int64 max", .value = Value(std::int64_t{9223372036854775807}), .bytes = "i9223372036854775807e"},
      {.name = "int64 min", .value = Value(std::int64_t{-9223372036854775807 - 1}),
       .bytes = "i-9223372036854775808e"},
      {.name = "string", .value = Value("spam"), .bytes = "4:spam"},
      {.name = "empty string", .value = Value(""), .bytes = "0:"},
      {.name = "binary string", .value = Value("\0\xff e"s), .bytes = "4:\0\xff e"s},
      {.name = "list", .value = Value(List{Value("spam"), Value(42)}), .bytes = "l4:spami42ee"},
      {.name = "empty list", .value = Value(List{}), .bytes = "le"},
      {.name = "dict", .value = Value(Dict{{"cow", "moo"}, {"spam", "eggs"}}), .bytes = "d3:cow3:moo4:spam4:eggse"},
      {.name = "empty dict", .value = Value(Dict{}), .bytes = "de"},
      {.name = "nested", .value = Value(Dict{{"l", Value(List{Value(Dict{{"x", 1}}), Value(List{})})}}),
       .bytes = "d1:lld1:xi1eeleee"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(encode(c.value), c.bytes);
    const auto decoded = decode(c.bytes);
    ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
    EXPECT_EQ(*decoded, c.value);
  }
}

TEST(Bencode, DictionaryKeysEncodeInRawByteOrder) {
  // Inserted out of order; 'B' (0x42) < 'a' < 'b' < 0xff (a byte above 0x7f compares as unsigned).
  Dict d;
  d.set("b", 2);
  d.set("\xff", 4);
  d.set("a", 1);
  d.set("B", 0);
  d.set("", 5);
  d.set("ab", 3);
  EXPECT_EQ(encode(Value(d)), "d0:i5e1:Bi0e1:ai1e2:abi3e1:bi2e1:\xffi4ee");
}

TEST(Bencode, UnsortedKeysDecodeAndReencodeSorted) {
  // Kamailio's rtpengine module writes keys in the order it adds them; rtpengine accepts that.
  const auto v = decode("d7:command4:ping4:callli1eee");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(encode(*v), "d4:callli1ee7:command4:pinge");
}

TEST(Bencode, DictSetReplacesAndEraseRemoves) {
  Dict d{{"a", 1}, {"b", 2}};
  d.set("a", "x");
  ASSERT_NE(d.find("a"), nullptr);
  EXPECT_EQ(*d.find("a"), Value("x"));
  EXPECT_TRUE(d.erase("b"));
  EXPECT_FALSE(d.erase("b"));
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.find("b"), nullptr);
}

TEST(Bencode, MalformedInputIsRefusedWithItsError) {
  struct Case {
    std::string_view name;
    std::string input;
    DecodeErrorCode want;
  };
  const auto cases = std::to_array<Case>({
      {.name = "empty", .input = "", .want = DecodeErrorCode::Truncated},
      {.name = "unknown type", .input = "x", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "integer leading zero", .input = "i03e", .want = DecodeErrorCode::BadInteger},
      {.name = "integer zero leading zero", .input = "i00e", .want = DecodeErrorCode::BadInteger},
      {.name = "negative leading zero", .input = "i-03e", .want = DecodeErrorCode::BadInteger},
      {.name = "minus zero", .input = "i-0e", .want = DecodeErrorCode::BadInteger},
      {.name = "no digits", .input = "ie", .want = DecodeErrorCode::BadInteger},
      {.name = "minus only", .input = "i-e", .want = DecodeErrorCode::BadInteger},
      {.name = "plus sign", .input = "i+1e", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "space in integer", .input = "i 1e", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "letter in integer", .input = "i1xe", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "int64 max + 1", .input = "i9223372036854775808e", .want = DecodeErrorCode::BadInteger},
      {.name = "int64 min - 1", .input = "i-9223372036854775809e", .want = DecodeErrorCode::BadInteger},
      {.name = "huge integer", .input = "i" + std::string(500, '9') + "e", .want = DecodeErrorCode::BadInteger},
      {.name = "integer truncated", .input = "i42", .want = DecodeErrorCode::Truncated},
      {.name = "length leading zero", .input = "04:spam", .want = DecodeErrorCode::BadStringLength},
      {.name = "huge length", .input = "99999999999999999999999999:x", .want = DecodeErrorCode::BadStringLength},
      {.name = "length 2^64", .input = "18446744073709551616:", .want = DecodeErrorCode::BadStringLength},
      {.name = "length beyond the input", .input = "40:spam", .want = DecodeErrorCode::BadStringLength},
      {.name = "string truncated", .input = "5:spam", .want = DecodeErrorCode::Truncated},
      {.name = "length without colon", .input = "4spam", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "length only", .input = "1", .want = DecodeErrorCode::Truncated},
      {.name = "trailing bytes", .input = "i1ei2e", .want = DecodeErrorCode::TrailingBytes},
      {.name = "trailing newline", .input = "de\n", .want = DecodeErrorCode::TrailingBytes},
      {.name = "integer key", .input = "di1ei2ee", .want = DecodeErrorCode::KeyNotString},
      {.name = "list key", .input = "dle0:e", .want = DecodeErrorCode::KeyNotString},
      {.name = "dict key", .input = "ddee0:e", .want = DecodeErrorCode::KeyNotString},
      {.name = "garbage key", .input = "dxe", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "duplicate key", .input = "d1:ai1e1:ai2ee", .want = DecodeErrorCode::DuplicateKey},
      {.name = "duplicate key out of order", .input = "d1:bi0e1:ai1e1:bi2ee", .want = DecodeErrorCode::DuplicateKey},
      {.name = "open list", .input = "l", .want = DecodeErrorCode::Truncated},
      {.name = "open dict", .input = "d", .want = DecodeErrorCode::Truncated},
      {.name = "key without value", .input = "d1:ae", .want = DecodeErrorCode::UnexpectedByte},
      {.name = "key at end", .input = "d1:a", .want = DecodeErrorCode::Truncated},
      {.name = "list truncated", .input = "l4:spam", .want = DecodeErrorCode::Truncated},
      {.name = "stray end", .input = "e", .want = DecodeErrorCode::UnexpectedByte},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto v = decode(c.input);
    ASSERT_FALSE(v.has_value()) << encode(*v);
    EXPECT_EQ(v.error().code, c.want) << to_string(v.error());
  }
}

TEST(Bencode, ErrorsNameWhereTheyWereFound) {
  const auto v = decode("l4:spami03ee");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error(), (DecodeError{DecodeErrorCode::BadInteger, 10}));
  EXPECT_EQ(to_string(v.error()), "malformed integer (offset 10)");
}

std::string nested_lists(std::size_t depth) { return std::string(depth, 'l') + std::string(depth, 'e'); }

TEST(Bencode, NestingIsBoundedByMaxDepth) {
  EXPECT_TRUE(decode(nested_lists(32)).has_value());
  const auto v = decode(nested_lists(33));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, DecodeErrorCode::TooDeep);
  // Dictionaries count as well.
  std::string dicts;
  for (int i = 0; i < 33; ++i) dicts += "d1:k";
  dicts += "0:" + std::string(33, 'e');
  EXPECT_EQ(decode(dicts).error().code, DecodeErrorCode::TooDeep);
}

TEST(Bencode, DepthBombIsRefusedWithoutRecursingIntoIt) {
  // A million opening brackets: refused at depth 33, long before the stack could suffer.
  const auto v = decode(std::string(1'000'000, 'l'));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error(), (DecodeError{DecodeErrorCode::TooDeep, 32}));
}

TEST(Bencode, ElementsAreBoundedByMaxElements) {
  auto list_of = [](std::size_t n) {
    std::string s = "l";
    for (std::size_t i = 0; i < n; ++i) s += "i0e";
    return s + "e";
  };
  EXPECT_TRUE(decode(list_of(9'999)).has_value());  // + the list itself: 10,000
  const auto v = decode(list_of(10'000));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, DecodeErrorCode::TooManyElements);
  // Keys count too.
  const auto d = decode("d1:ai0e1:bi0ee", DecodeLimits{.max_depth = 32, .max_elements = 4});
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, DecodeErrorCode::TooManyElements);
  EXPECT_TRUE(decode("d1:ai0e1:bi0ee", DecodeLimits{.max_depth = 32, .max_elements = 5}).has_value());
}

TEST(Bencode, EveryErrorHasAText) {
  for (int c = 0; c <= static_cast<int>(DecodeErrorCode::DuplicateKey); ++c) {
    EXPECT_NE(to_string(static_cast<DecodeErrorCode>(c)), "malformed bencode") << c;
  }
}

}  // namespace
}  // namespace resproxy::media::ng
