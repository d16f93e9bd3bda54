// routing::check_request: the RFC 3261 §16.3 checks before forwarding.
#include "proxy/routing/request_checks.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace resproxy::routing {
namespace {

std::string request(std::string_view uri, std::string_view extra) {
  std::string out = "OPTIONS ";
  out += uri;
  out += " SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n"
         "Call-ID: x\r\nCSeq: 1 OPTIONS\r\n";
  out += extra;
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

struct Case {
  std::string_view name;
  std::string_view uri;
  std::string_view extra;
  int want;  // 0: forward
  std::string_view unsupported = {};
};

TEST(RequestChecks, RejectsWhatAProxyMustNotForward) {
  const auto cases = std::to_array<Case>({
      {.name = "sip", .uri = "sip:a@b", .extra = "Max-Forwards: 70\r\n", .want = 0},
      {.name = "sips", .uri = "sips:a@b", .extra = "", .want = 0},
      {.name = "tel", .uri = "tel:+123", .extra = "", .want = 0},
      {.name = "unknown scheme", .uri = "nobodyKnowsThisScheme:x", .extra = "", .want = 416},
      {.name = "http", .uri = "http://example.com", .extra = "", .want = 416},
      {.name = "max-forwards 0", .uri = "sip:a@b", .extra = "Max-Forwards: 0\r\n", .want = 483},
      {.name = "max-forwards 1", .uri = "sip:a@b", .extra = "Max-Forwards: 1\r\n", .want = 0},
      {.name = "scheme before max-forwards", .uri = "x:y", .extra = "Max-Forwards: 0\r\n", .want = 416},
      {.name = "proxy-require", .uri = "sip:a@b", .extra = "Proxy-Require: foo, bar\r\nProxy-Require: baz\r\n",
       .want = 420, .unsupported = "foo, bar, baz"},
      {.name = "require is for the UAS", .uri = "sip:a@b", .extra = "Require: foo\r\n", .want = 0},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = sip::Message::parse(request(c.uri, c.extra));
    ASSERT_TRUE(m.has_value()) << sip::to_string(m.error());
    const auto r = check_request(*m);
    if (c.want == 0) {
      EXPECT_FALSE(r.has_value());
      continue;
    }
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status_code, c.want);
    EXPECT_EQ(r->reason, sip::default_reason(c.want));
    if (!c.unsupported.empty()) {
      ASSERT_EQ(r->headers.size(), 1u);
      EXPECT_EQ(r->headers[0].name, "Unsupported");
      EXPECT_EQ(r->headers[0].value, c.unsupported);
    }
  }
}

TEST(RequestChecks, AcceptsProxyRequireTagsItSupports) {
  auto m = sip::Message::parse(request("sip:a@b", "Proxy-Require: sec-agree, foo\r\n"));
  ASSERT_TRUE(m.has_value());
  const std::array<std::string_view, 1> supported = {"sec-agree"};
  const auto r = check_request(*m, {.supported_proxy_options = supported});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->headers[0].value, "foo");
  const std::array<std::string_view, 2> both = {"sec-agree", "foo"};
  EXPECT_FALSE(check_request(*m, {.supported_proxy_options = both}).has_value());
}

}  // namespace
}  // namespace resproxy::routing
