// The dial plan's number patterns and rewrite templates: parse errors with their column, the
// whole-number match of every token, captures, and untrusted numbers.
#include "proxy/gateway/number_pattern.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::gateway {
namespace {

NumberPattern pattern(std::string_view text) {
  auto p = NumberPattern::parse(text);
  EXPECT_TRUE(p.has_value()) << text << ": " << (p ? "" : p.error());
  return p ? *p : NumberPattern{};
}

Rewrite rewrite(std::string_view text) {
  auto r = Rewrite::parse(text);
  EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error());
  return r ? *r : Rewrite{};
}

struct ErrorCase {
  std::string_view name;
  std::string text;
  std::string want_prefix;  // "column N: …"
};

TEST(NumberPattern, ParseErrorsNameTheColumn) {
  const std::vector<ErrorCase> cases = {
      {"empty", "", "column 1: empty pattern"},
      {"token after .", "9.1", "column 3: "},
      {"token after !", "9!X", "column 3: "},
      {"second tail", "9..", "column 3: "},
      {"nested group", "<9<1>>", "column 3: groups may not be nested"},
      {"close without open", "9>", "column 2: '>' without '<'"},
      {"open without close", "9<12", "column 2: '<' without '>'"},
      {"empty group", "9<>", "column 2: empty group"},
      {"unterminated set", "0[12", "column 2: '[' without ']'"},
      {"empty set", "[]", "column 1: empty set"},
      {"backwards range", "[5-1]", "column 2: range 5-1 runs backwards"},
      {"range to a letter", "[1-a]", "column 4: a range must end with a digit"},
      {"range from *", "[*-5]", "column 2: a range must start with a digit"},
      {"dangling dash", "[1-]", "column 3: '-' in a set"},
      {"letter", "9a", "column 2: unexpected 'a'"},
      {"space", "9 1", "column 2: unexpected byte 0x20"},
      {"ten groups", "<1><2><3><4><5><6><7><8><9><0>", "column 28: more than 9 groups"},
      {"longer than any number", std::string(65, 'X'), "column 65: pattern longer"},
      {"longer, then more", std::string(65, 'X') + "1", "column 65: pattern longer"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto p = NumberPattern::parse(c.text);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().substr(0, c.want_prefix.size()), c.want_prefix) << p.error();
  }
}

TEST(NumberPattern, LongestAllowedPatternParses) {
  EXPECT_TRUE(NumberPattern::parse(std::string(64, 'X')).has_value());
}

struct MatchCase {
  std::string_view name;
  std::string_view pattern;
  std::string_view number;
  std::optional<Captures> want;
};

TEST(NumberPattern, MatchesTheWholeNumberTokenByToken) {
  using C = Captures;
  const std::vector<MatchCase> cases = {
      {"literal", "999", "999", C{"999"}},
      {"literal is not a prefix match", "999", "9999", std::nullopt},
      {"literal is not a suffix match", "999", "99", std::nullopt},
      {"* # + are literals", "*#+1", "*#+1", C{"*#+1"}},
      {"X any digit", "1XX", "109", C{"109"}},
      {"X is no *", "1X", "1*", std::nullopt},
      {"Z excludes 0", "Z", "0", std::nullopt},
      {"Z takes 1", "Z", "1", C{"1"}},
      {"N excludes 1", "N", "1", std::nullopt},
      {"N takes 2", "N", "2", C{"2"}},
      {"lowercase z still excludes 0", "xzn", "002", std::nullopt},
      {"lowercase x z n", "xzn", "092", C{"092"}},
      {"set with range and digit", "[1-58]", "4", C{"4"}},
      {"set takes its lone digit", "[1-58]", "8", C{"8"}},
      {"set excludes 6", "[1-58]", "6", std::nullopt},
      {"set with * and #", "[*#]1", "#1", C{"#1"}},
      {". needs one more", "9.", "9", std::nullopt},
      {". takes the rest", "9.", "9123", C{"9123"}},
      {". takes * and #", "9.", "9*#", C{"9*#"}},
      {"! takes nothing", "9!", "9", C{"9"}},
      {"! takes the rest", "9!", "901", C{"901"}},
      {"! alone takes the empty number", "!", "", C{""}},
      {"captures", "<9>0<XX>", "9012", C{"9012", "9", "12"}},
      {"capture of the tail", "9<.>", "90123", C{"90123", "0123"}},
      {"capture of an empty !", "9<!>", "9", C{"9", ""}},
      {"capture spanning the tail", "9<0.>", "9012", C{"9012", "012"}},
      {"tail outside the group", "<9>!", "9012", C{"9012", "9"}},
      {"plus prefix", "+44<Z.>", "+442079460000", C{"+442079460000", "2079460000"}},
      {"empty number, fixed pattern", "X", "", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(pattern(c.pattern).match(c.number), c.want);
  }
}

TEST(NumberPattern, NineGroupsAreCaptured) {
  const auto m = pattern("<1><2><3><4><5><6><7><8><9>").match("123456789");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 10U);
  EXPECT_EQ((*m)[9], "9");
}

TEST(NumberPattern, RejectsNumbersLongerThan64Characters) {
  const auto any = pattern("!");
  EXPECT_TRUE(any.match(std::string(64, '1')).has_value());
  EXPECT_FALSE(any.match(std::string(65, '1')).has_value());
  EXPECT_FALSE(any.match(std::string(1 << 20, '1')).has_value());
}

TEST(NumberPattern, RejectsCharactersOutsideTheNumberAlphabet) {
  const auto any = pattern("!");
  const std::vector<std::string_view> bad_numbers = {
      "alice", "12 34", "12-34", std::string_view("12\0" "3", 4), "1a", "(0)20", "\xff"};
  for (std::string_view bad : bad_numbers) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(any.match(bad).has_value());
  }
}

TEST(NumberPattern, ADefaultConstructedPatternMatchesNothing) {
  const NumberPattern never;
  EXPECT_FALSE(never.is_parsed());
  EXPECT_FALSE(never.match("").has_value());
  EXPECT_FALSE(never.match("999").has_value());
}

// Hostile input: random bytes never crash the matcher, and whatever matches is a valid number
// that the pattern's own definition accepts (checked independently of the matcher).
TEST(NumberPattern, RandomBytesNeverCrashAndMatchOnlyValidNumbers) {
  std::mt19937 rng(20240611);  // fixed: the run is reproducible
  const std::string alphabet = "0123456789*#+";
  const auto any = pattern("!");
  const auto outside = pattern("9<0X.>");
  const auto local = pattern("<[1-8]XXX>");
  const auto set_tail = pattern("[*#]<Z!>");
  std::size_t matched = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string s(std::uniform_int_distribution<std::size_t>(0, 80)(rng), '\0');
    const bool mostly_valid = i % 2 == 0;
    for (char& c : s) {
      const bool pick_valid = mostly_valid && std::uniform_int_distribution<int>(0, 49)(rng) != 0;
      c = pick_valid ? alphabet[std::uniform_int_distribution<std::size_t>(0, 12)(rng)]
                     : static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    if (i % 4 == 0 && s.size() > 2) {  // give the outside-line pattern a chance
      s[0] = '9';
      s[1] = '0';
    }
    const bool valid = is_valid_number(s);
    EXPECT_EQ(any.match(s).has_value(), valid) << i;
    const auto o = outside.match(s);
    const bool digit2 = s.size() >= 3 && s[2] >= '0' && s[2] <= '9';
    EXPECT_EQ(o.has_value(), valid && s.size() >= 4 && s.starts_with("90") && digit2) << i;
    if (o) {
      ++matched;
      EXPECT_EQ((*o)[1], s.substr(1));
    }
    const bool local_ok = valid && s.size() == 4 && s[0] >= '1' && s[0] <= '8' &&
                          s.find_first_of("*#+") == std::string::npos;
    EXPECT_EQ(local.match(s).has_value(), local_ok) << i;
    const bool set_ok = valid && s.size() >= 2 && (s[0] == '*' || s[0] == '#') && s[1] >= '1' &&
                        s[1] <= '9';
    EXPECT_EQ(set_tail.match(s).has_value(), set_ok) << i;
  }
  EXPECT_GT(matched, 100U);  // the generator reaches the matching paths, not only rejections
}

TEST(Rewrite, ParseErrorsNameTheColumn) {
  const std::vector<ErrorCase> cases = {
      {"letter", "9a", "column 2: unexpected 'a'"},
      {"capture without number", "9<>", "column 3: '<' must be followed"},
      {"capture at the end", "9<", "column 3: '<' must be followed"},
      {"two-digit capture", "<12>", "column 3: expected '>'"},
      {"unterminated capture", "<1", "column 3: expected '>'"},
      {"pattern token", "<1>X", "column 4: unexpected 'X'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = Rewrite::parse(c.text);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().substr(0, c.want_prefix.size()), c.want_prefix) << r.error();
  }
}

TEST(Rewrite, FormatsLiteralsAndCaptures) {
  const Captures captures{"90201234", "0201234", "020"};
  EXPECT_EQ(rewrite("<1>").format(captures), "0201234");
  EXPECT_EQ(rewrite("+44<2>").format(captures), "+44020");
  EXPECT_EQ(rewrite("<2>*<1>#").format(captures), "020*0201234#");
  EXPECT_EQ(rewrite("<0>").format(captures), "90201234");
  EXPECT_EQ(rewrite("").format(captures), "");
  EXPECT_EQ(rewrite("<5>1").format(captures), "1");  // a capture the pattern lacks: nothing
  EXPECT_EQ(rewrite("<2>9<1>").highest_capture(), 2U);
  EXPECT_EQ(rewrite("123").highest_capture(), std::nullopt);
}

TEST(Rewrite, DefaultIsTheWholeNumberUnchanged) {
  EXPECT_EQ(Rewrite{}.format(Captures{"0123", "1"}), "0123");
  EXPECT_EQ(Rewrite{}.text(), "<0>");
}

TEST(Rewrite, CapturesOfAMatchFeedTheTemplate) {
  const auto m = pattern("9<0.>").match("901632960000");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(rewrite("+44<1>").format(*m), "+4401632960000");
}

}  // namespace
}  // namespace resproxy::gateway
