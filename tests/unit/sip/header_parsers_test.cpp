// Lazy header value parsers: lists, name-addr, Via, parameters.
#include "proxy/sip/header_parsers.h"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

struct SplitCase {
  std::string_view name;
  std::string_view value;
  std::vector<std::string_view> want;
};

TEST(SipHeaderParsers, SplitsListsOutsideQuotesAndBrackets) {
  const std::vector<SplitCase> cases = {
      {"simple", "a, b,c", {"a", "b", "c"}},
      {"quoted comma", "\"x, y\" <sip:a>, <sip:b>", {"\"x, y\" <sip:a>", "<sip:b>"}},
      {"escaped quote", "\"x\\\", y\" <sip:a>, b", {"\"x\\\", y\" <sip:a>", "b"}},
      {"bracketed comma", "<sip:a;x=1,2>, b", {"<sip:a;x=1,2>", "b"}},
      {"folded", "application/sdp,\r\n  multipart/mixed", {"application/sdp", "multipart/mixed"}},
      {"empty elements kept", "a,,b,", {"a", "", "b", ""}},
      {"empty", "", {}},
      {"blank", "  ", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(split_values(c.value), c.want);
  }
}

TEST(SipHeaderParsers, NextValueIteratesWithoutAllocating) {
  std::string_view rest = "a, \"b,c\", d";
  std::vector<std::string_view> seen;
  while (auto v = next_value(rest)) seen.push_back(*v);
  EXPECT_EQ(seen, (std::vector<std::string_view>{"a", "\"b,c\"", "d"}));
}

struct NameAddrCase {
  std::string_view name;
  std::string_view value;
  bool valid;
  std::string_view display = {};
  std::string_view uri = {};
  std::string_view params = {};
  bool bracketed = false;
};

TEST(SipHeaderParsers, ParsesNameAddrAndAddrSpec) {
  const auto cases = std::to_array<NameAddrCase>({
      {.name = "quoted", .value = "\"A. G. Bell\" <sip:agb@bell-telephone.com> ;tag=a48s", .valid = true,
       .display = "\"A. G. Bell\"", .uri = "sip:agb@bell-telephone.com", .params = ";tag=a48s", .bracketed = true},
      {.name = "tokens", .value = "Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", .valid = true,
       .display = "Anonymous", .uri = "sip:c8oqz84zk7z@privacy.org", .params = ";tag=hyh8", .bracketed = true},
      {.name = "addr-spec params", .value = "sip:+12125551212@server.phone2net.com;tag=887s", .valid = true,
       .uri = "sip:+12125551212@server.phone2net.com", .params = ";tag=887s"},
      {.name = "brackets only", .value = "<sip:a@b;lr>", .valid = true, .uri = "sip:a@b;lr", .bracketed = true},
      {.name = "glued", .value = "caller<sip:caller@example.com>", .valid = true, .display = "caller",
       .uri = "sip:caller@example.com", .bracketed = true},
      {.name = "non-sip", .value = "<http://www.example.com>", .valid = true, .uri = "http://www.example.com",
       .bracketed = true},
      {.name = "quoted param value", .value = "<sip:a@b>;p=\"x;y,z\"", .valid = true, .uri = "sip:a@b",
       .params = ";p=\"x;y,z\"", .bracketed = true},
      {.name = "unquoted comma", .value = "Bell, Alexander <sip:a@b>", .valid = false},
      {.name = "unbalanced", .value = "\"Mr. J. User <sip:j.user@example.com>", .valid = false},
      {.name = "spaces in brackets", .value = "< sip:a@b >", .valid = false},
      {.name = "unclosed bracket", .value = "<sip:a@b", .valid = false},
      {.name = "empty param", .value = "<sip:a@b>;;", .valid = false},
      {.name = "addr-spec with ?", .value = "sip:a@b?Route=x", .valid = false},
      {.name = "trailing junk", .value = "<sip:a@b> x", .valid = false},
      {.name = "list", .value = "<sip:a@b>, <sip:c@d>", .valid = false},
      {.name = "empty", .value = "", .valid = false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto na = parse_name_addr(c.value);
    ASSERT_EQ(na.has_value(), c.valid);
    if (!c.valid) continue;
    EXPECT_EQ(na->display_name, c.display);
    EXPECT_EQ(na->uri, c.uri);
    EXPECT_EQ(na->params, c.params);
    EXPECT_EQ(na->bracketed, c.bracketed);
  }
}

TEST(SipHeaderParsers, ParsesNameAddrLists) {
  auto list = parse_name_addr_list("\"X, Y\" <sip:a@b>;q=0.7, sip:c@d;expires=60");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].param("q"), "0.7");
  EXPECT_EQ((*list)[1].uri, "sip:c@d");
  EXPECT_EQ((*list)[1].param("expires"), "60");
  EXPECT_FALSE(parse_name_addr_list("<sip:a@b>,,<sip:c@d>").has_value());
  EXPECT_TRUE(is_star(" * "));
  EXPECT_FALSE(is_star("<sip:*@b>"));
}

TEST(SipHeaderParsers, UnquotesQuotedStrings) {
  EXPECT_EQ(unquote("\"J Rosenberg \\\\\\\"\""), "J Rosenberg \\\"");
  EXPECT_EQ(unquote("token"), "token");
  EXPECT_EQ(unquote("\"\""), "");
}

struct ViaCase {
  std::string_view name;
  std::string_view value;
  bool valid;
  std::string_view transport = {};
  std::string_view host = {};
  std::optional<std::uint16_t> port = std::nullopt;
  std::string_view branch = {};
};

TEST(SipHeaderParsers, ParsesVia) {
  const auto cases = std::to_array<ViaCase>({
      {.name = "typical", .value = "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds", .valid = true,
       .transport = "UDP", .host = "pc33.atlanta.com", .port = 5066, .branch = "z9hG4bK776asdhds"},
      {.name = "spaces everywhere", .value = "SIP / 2.0 / TCP  host : 5060 ; branch = z9hG4bK1", .valid = true,
       .transport = "TCP", .host = "host", .port = 5060, .branch = "z9hG4bK1"},
      {.name = "folded", .value = "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", .valid = true,
       .transport = "UDP", .host = "192.0.2.2", .branch = "390skdjuw"},
      {.name = "ipv6", .value = "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3", .valid = true,
       .transport = "UDP", .host = "[2001:db8::9:1]", .port = 6050, .branch = "z9hG4bKas3"},
      {.name = "unknown transport", .value = "SIP/2.0/UNKNOWN t4.example.com", .valid = true,
       .transport = "UNKNOWN", .host = "t4.example.com"},
      {.name = "no transport", .value = "SIP/2.0 host", .valid = false},
      {.name = "no host", .value = "SIP/2.0/UDP ;branch=1", .valid = false},
      {.name = "glued host", .value = "SIP/2.0/UDPhost", .valid = false},
      {.name = "bad port", .value = "SIP/2.0/UDP host:70000", .valid = false},
      {.name = "empty param", .value = "SIP/2.0/UDP host;;branch=1", .valid = false},
      {.name = "valueless branch", .value = "SIP/2.0/UDP host;branch", .valid = false},
      {.name = "bad ttl", .value = "SIP/2.0/UDP host;ttl=256", .valid = false},
      {.name = "two values", .value = "SIP/2.0/UDP a, SIP/2.0/UDP b", .valid = false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = parse_via(c.value);
    ASSERT_EQ(v.has_value(), c.valid);
    if (!c.valid) {
      EXPECT_EQ(v.error(), ParseError::BadVia);
      continue;
    }
    EXPECT_EQ(v->protocol_name, "SIP");
    EXPECT_EQ(v->info.transport, c.transport);
    EXPECT_EQ(v->info.host, c.host);
    EXPECT_EQ(v->info.port, c.port);
    EXPECT_EQ(v->info.branch, c.branch);
  }
}

TEST(SipHeaderParsers, ReadsViaReceivedAndRport) {
  auto v = parse_via("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;rport=5061;maddr=x;ttl=16");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->info.received, "2001:db8::9:255");
  EXPECT_TRUE(v->info.has_rport);
  EXPECT_EQ(v->info.rport, 5061);
  EXPECT_EQ(v->maddr, "x");
  EXPECT_EQ(v->ttl, 16);
  EXPECT_EQ(v->params, ";received=2001:db8::9:255;rport=5061;maddr=x;ttl=16");
  auto bare = parse_via("SIP/2.0/UDP h;rport");
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->info.has_rport);
  EXPECT_FALSE(bare->info.rport.has_value());
}

TEST(SipHeaderParsers, ParsesViaLists) {
  auto list = parse_via_list("SIP/2.0/TCP a;branch=z9hG4bK1 ,\r\n SIP/2.0/UDP b:5070");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].info.port, 5070);
  EXPECT_FALSE(parse_via_list("SIP/2.0/UDP a,").has_value());
}

TEST(SipHeaderParsers, KnowsAnRfc3261Branch) {
  EXPECT_TRUE(is_rfc3261_branch("z9hG4bK1"));
  EXPECT_FALSE(is_rfc3261_branch("z9hG4bK"));
  EXPECT_FALSE(is_rfc3261_branch("390skdjuw"));
  EXPECT_FALSE(is_rfc3261_branch(""));
}

struct ParamCase {
  std::string_view name;
  std::string_view text;
  bool valid;
  std::vector<Param> want = {};
};

TEST(SipHeaderParsers, ParsesParameters) {
  const std::vector<ParamCase> cases = {
      {"several", ";tag=1;lr;q = 0.5", true,
       {{"tag", "1", true}, {"lr", "", false}, {"q", "0.5", true}}},
      {"quoted", ";p=\"a;b\"", true, {{"p", "\"a;b\"", true}}},
      {"empty text", "", true, {}},
      {"empty param", ";;", false},
      {"missing value", ";a=", false},
      {"no semicolon", "a=1", false},
      {"unterminated", ";p=\"x", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = parse_params(c.text);
    ASSERT_EQ(p.has_value(), c.valid);
    if (c.valid) {
      EXPECT_EQ(*p, c.want);
    }
  }
  EXPECT_EQ(find_param(";A=1;b", "a"), "1");
  EXPECT_EQ(find_param(";A=1;b", "B"), "");
  EXPECT_FALSE(find_param(";A=1;b", "c").has_value());
}

}  // namespace
}  // namespace resproxy::sip
