// parse_uri, percent_decode and uri_equal (RFC 3261 §19.1, RFC 5118).
#include "proxy/sip/uri.h"

#include <array>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

struct UriCase {
  std::string_view name;
  std::string_view text;
  bool valid;
  UriScheme scheme = UriScheme::Other;
  std::string_view user = {};
  std::string_view password = {};
  std::string_view host = {};
  std::optional<std::uint16_t> port = std::nullopt;
  std::string_view params = {};
  std::string_view headers = {};
};

TEST(SipUri, SplitsUrisIntoComponents) {
  const auto cases = std::to_array<UriCase>({
      {.name = "full", .text = "sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent",
       .valid = true, .scheme = UriScheme::Sip, .user = "alice", .password = "secret", .host = "atlanta.com",
       .port = 5061, .params = ";transport=tcp;lr", .headers = "subject=project%20x&priority=urgent"},
      {.name = "host only", .text = "sip:example.com", .valid = true, .scheme = UriScheme::Sip, .host = "example.com"},
      {.name = "sips upper case", .text = "SIPS:bob@Biloxi.COM", .valid = true, .scheme = UriScheme::Sips,
       .user = "bob", .host = "Biloxi.COM"},
      {.name = "ipv4 port", .text = "sip:192.0.2.4:5060", .valid = true, .scheme = UriScheme::Sip,
       .host = "192.0.2.4", .port = 5060},
      {.name = "ipv6 port", .text = "sip:[2001:db8::10]:5070", .valid = true, .scheme = UriScheme::Sip,
       .host = "[2001:db8::10]", .port = 5070},
      {.name = "ipv6 ambiguous", .text = "sip:[2001:db8::10:5070]", .valid = true, .scheme = UriScheme::Sip,
       .host = "[2001:db8::10:5070]"},
      {.name = "ipv4-mapped", .text = "sip:ted@[::ffff:192.0.2.2]", .valid = true, .scheme = UriScheme::Sip,
       .user = "ted", .host = "[::ffff:192.0.2.2]"},
      {.name = "user with ; and ?", .text = "sip:a;b?c@example.com", .valid = true, .scheme = UriScheme::Sip,
       .user = "a;b?c", .host = "example.com"},
      {.name = "escaped user", .text = "sip:%61lice@example.com", .valid = true, .scheme = UriScheme::Sip,
       .user = "%61lice", .host = "example.com"},
      {.name = "tel", .text = "tel:+1-201-555-0123;phone-context=example.com", .valid = true,
       .scheme = UriScheme::Tel, .user = "+1-201-555-0123", .params = ";phone-context=example.com"},
      {.name = "other scheme", .text = "soap.beep://192.0.2.103:3002", .valid = true},
      {.name = "unbracketed ipv6", .text = "sip:2001:db8::10", .valid = false},
      {.name = "empty user", .text = "sip:@example.com", .valid = false},
      {.name = "space", .text = "sip:a b@example.com", .valid = false},
      {.name = "bad escape", .text = "sip:%zz@example.com", .valid = false},
      {.name = "empty param", .text = "sip:example.com;;lr", .valid = false},
      {.name = "bracket without colon", .text = "sip:[example]", .valid = false},
      {.name = "no scheme", .text = "example.com", .valid = false},
      {.name = "digit scheme", .text = "1sip:example.com", .valid = false},
      {.name = "empty rest", .text = "sip:", .valid = false},
      {.name = "header without =", .text = "sip:a@b?subject", .valid = false},
      {.name = "port 65536", .text = "sip:a@b:65536", .valid = false},
      {.name = "angle", .text = "<sip:a@b>", .valid = false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto u = parse_uri(c.text);
    ASSERT_EQ(u.has_value(), c.valid);
    if (!c.valid) continue;
    EXPECT_EQ(u->scheme_id, c.scheme);
    if (c.scheme == UriScheme::Other) continue;
    EXPECT_EQ(u->user, c.user);
    EXPECT_EQ(u->password, c.password);
    EXPECT_EQ(u->host, c.host);
    EXPECT_EQ(u->port, c.port);
    EXPECT_EQ(u->params, c.params);
    EXPECT_EQ(u->headers, c.headers);
  }
}

TEST(SipUri, FindsUriParametersByName) {
  auto u = parse_uri("sip:a@b;Transport=TCP;lr;maddr=239.255.255.1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->param("transport"), "TCP");
  EXPECT_EQ(u->param("lr"), "");
  EXPECT_EQ(u->param("maddr"), "239.255.255.1");
  EXPECT_FALSE(u->param("ttl").has_value());
}

TEST(SipUri, PercentDecodingNeverStopsAtNul) {
  EXPECT_EQ(percent_decode("null-%00-null"), std::string("null-\0-null", 11));
  EXPECT_EQ(percent_decode("%00%00").size(), 2u);
  EXPECT_EQ(percent_decode("v%61lue%25%34%31"), "value%41");  // decoded once only
  EXPECT_EQ(percent_decode("%Z%45"), "%ZE");                  // broken escape kept
  EXPECT_EQ(percent_decode("50%"), "50%");
}

struct EqualCase {
  std::string_view name;
  std::string_view a;
  std::string_view b;
  bool equal;
};

TEST(SipUri, ComparesUrisTheRfc3261Way) {
  // RFC 3261 §19.1.4 examples, then the rules one by one.
  const auto cases = std::to_array<EqualCase>({
      {"escaped user, host case, param case", "sip:%61lice@atlanta.com;transport=TCP",
       "sip:alice@AtLanTa.CoM;Transport=tcp", true},
      {"carol", "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
      {"carol security", "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5", true},
      {"biloxi headers", "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
      {"alice header order", "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
       "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
      {"user case", "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false},
      {"port", "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},
      {"transport", "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", true},
      {"port and transport", "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
      {"header in one", "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false},
      {"host vs ip", "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
      {"sip vs sips", "sip:a@b", "sips:a@b", false},
      {"maddr in one", "sip:a@b", "sip:a@b;maddr=c", false},
      {"user param in one", "sip:a@b", "sip:a@b;user=phone", false},
      {"ttl differs", "sip:a@b;ttl=1", "sip:a@b;ttl=2", false},
      {"nul users differ", "sip:%00@h", "sip:%00%00@h", false},
      {"reserved escape stays", "sip:a%40b@h", "sip:a%40b@h", true},
      {"repeated param: first wins", "sip:a@b;x=1;x=2", "sip:a@b;x=1", true},
      {"password", "sip:a:x@h", "sip:a:y@h", false},
      {"other schemes", "urn:x:y", "URN:x:y", true},
      {"tel separators", "tel:+1-201-555-0123", "tel:+12015550123", true},
      {"tel params", "tel:7042;phone-context=example.com", "tel:7042", false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(uri_equal(c.a, c.b), c.equal);
    EXPECT_EQ(uri_equal(c.b, c.a), c.equal);
  }
}

}  // namespace
}  // namespace resproxy::sip
