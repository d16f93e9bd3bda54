// Message::parse: start lines, header forms, framing, eager validation, value semantics.
#include "proxy/sip/message.h"

#include <array>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace resproxy::sip {
namespace {

// A valid request whose parts the table rows replace.
std::string request(std::string_view start_line = "INVITE sip:bob@example.com SIP/2.0",
                    std::string_view extra_headers = "", std::string_view body = "",
                    bool with_length = true) {
  std::string out(start_line);
  out += "\r\n";
  out += "Via: SIP/2.0/UDP pc.example.com:5060;branch=z9hG4bK776asdhds\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "To: Bob <sip:bob@example.com>\r\n";
  out += "From: Alice <sip:alice@example.com>;tag=1928301774\r\n";
  out += "Call-ID: a84b4c76e66710@pc.example.com\r\n";
  out += "CSeq: 314159 ";
  out += start_line.substr(0, start_line.find(' '));
  out += "\r\n";
  out += extra_headers;
  if (with_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

Result<Message, ParseError> parse(std::string bytes, Framing framing = Framing::Datagram) {
  return Message::parse(std::move(bytes), framing);
}

TEST(SipMessage, ParsesATypicalRequest) {
  auto m = parse(request("INVITE sip:bob@example.com SIP/2.0", "", "v=0\r\n"));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_TRUE(m->is_request());
  EXPECT_EQ(m->method(), Method::Invite);
  EXPECT_EQ(m->method_token(), "INVITE");
  EXPECT_EQ(m->request_uri(), "sip:bob@example.com");
  EXPECT_EQ(m->top_via().transport, "UDP");
  EXPECT_EQ(m->top_via().host, "pc.example.com");
  EXPECT_EQ(m->top_via().port, 5060);
  EXPECT_EQ(m->top_via().branch, "z9hG4bK776asdhds");
  EXPECT_EQ(m->via_count(), 1u);
  EXPECT_EQ(m->call_id(), "a84b4c76e66710@pc.example.com");
  EXPECT_EQ(m->cseq().number, 314159u);
  EXPECT_EQ(m->cseq().method, Method::Invite);
  EXPECT_EQ(m->from_tag(), "1928301774");
  EXPECT_EQ(m->to_tag(), "");
  EXPECT_EQ(m->max_forwards(), 70u);
  EXPECT_EQ(m->body(), "v=0\r\n");
  EXPECT_EQ(m->headers().size(), 7u);
  EXPECT_EQ(m->count(HeaderId::Via), 1u);
  ASSERT_NE(m->first(HeaderId::To), nullptr);
  EXPECT_EQ(m->first(HeaderId::To)->raw, "To: Bob <sip:bob@example.com>");
  EXPECT_EQ(m->first(HeaderId::Contact), nullptr);
}

TEST(SipMessage, ParsesAResponse) {
  auto m = parse(
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "To: <sip:b@example.com>;tag=8321234356\r\nFrom: <sip:a@example.com>;tag=9\r\n"
      "Call-ID: x@y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_TRUE(m->is_response());
  EXPECT_EQ(m->status_code(), 180);
  EXPECT_EQ(m->reason_phrase(), "Ringing");
  EXPECT_EQ(m->method(), Method::Invite);  // the CSeq method
  EXPECT_EQ(m->to_tag(), "8321234356");
}

struct StartLineCase {
  std::string_view name;
  std::string_view line;
  std::optional<ParseError> want;  // nullopt: parses
};

TEST(SipMessage, ValidatesTheRequestLineStrictly) {
  const auto cases = std::to_array<StartLineCase>({
      {.name = "plain", .line = "OPTIONS sip:bob@example.com SIP/2.0", .want = std::nullopt},
      {.name = "lower-case sip version", .line = "OPTIONS sip:bob@example.com sip/2.0", .want = std::nullopt},
      {.name = "tel uri", .line = "OPTIONS tel:+1-201-555-0123 SIP/2.0", .want = std::nullopt},
      {.name = "ipv6 uri", .line = "OPTIONS sip:[2001:db8::1]:5070 SIP/2.0", .want = std::nullopt},
      {.name = "two spaces", .line = "OPTIONS  sip:bob@example.com SIP/2.0", .want = ParseError::BadStartLine},
      {.name = "trailing space", .line = "OPTIONS sip:bob@example.com SIP/2.0 ", .want = ParseError::BadStartLine},
      {.name = "space in uri", .line = "OPTIONS sip:bob@example.com; lr SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "angle brackets", .line = "OPTIONS <sip:bob@example.com> SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "headers in uri", .line = "OPTIONS sip:bob@example.com?Subject=x SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "unbracketed ipv6", .line = "OPTIONS sip:2001:db8::10 SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "no scheme", .line = "OPTIONS bob@example.com SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "port too big", .line = "OPTIONS sip:example.com:65536 SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "bad escape", .line = "OPTIONS sip:b%zzb@example.com SIP/2.0", .want = ParseError::BadRequestUri},
      {.name = "version 7", .line = "OPTIONS sip:bob@example.com SIP/7.0", .want = ParseError::BadVersion},
      {.name = "http version", .line = "OPTIONS sip:bob@example.com HTTP/1.1", .want = ParseError::BadStartLine},
      {.name = "two parts", .line = "OPTIONS sip:bob@example.com", .want = ParseError::BadStartLine},
      {.name = "bad method char", .line = "OPT@ONS sip:bob@example.com SIP/2.0", .want = ParseError::BadStartLine},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = parse(request(c.line));
    if (c.want) {
      ASSERT_FALSE(m.has_value());
      EXPECT_EQ(m.error(), *c.want) << to_string(m.error());
    } else {
      EXPECT_TRUE(m.has_value()) << to_string(m.error());
    }
  }
}

TEST(SipMessage, ValidatesTheStatusLine) {
  const auto cases = std::to_array<StartLineCase>({
      {.name = "ok", .line = "SIP/2.0 200 OK", .want = std::nullopt},
      {.name = "empty reason", .line = "SIP/2.0 100 ", .want = std::nullopt},
      {.name = "no reason, no space", .line = "SIP/2.0 100", .want = std::nullopt},
      {.name = "699", .line = "SIP/2.0 699 Whatever", .want = std::nullopt},
      {.name = "700", .line = "SIP/2.0 700 Whatever", .want = ParseError::BadStatusCode},
      {.name = "099", .line = "SIP/2.0 099 Whatever", .want = ParseError::BadStatusCode},
      {.name = "huge", .line = "SIP/2.0 4294967301 x", .want = ParseError::BadStatusCode},
      {.name = "two digits", .line = "SIP/2.0 20 OK", .want = ParseError::BadStatusCode},
      {.name = "no code", .line = "SIP/2.0 OK", .want = ParseError::BadStartLine},
      {.name = "version", .line = "SIP/3.0 200 OK", .want = ParseError::BadVersion},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string bytes(c.line);
    bytes +=
        "\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\nTo: <sip:b@example.com>\r\n"
        "From: <sip:a@example.com>;tag=9\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\n\r\n";
    auto m = parse(bytes);
    if (c.want) {
      ASSERT_FALSE(m.has_value());
      EXPECT_EQ(m.error(), *c.want) << to_string(m.error());
    } else {
      EXPECT_TRUE(m.has_value()) << to_string(m.error());
    }
  }
}

struct HeaderCase {
  std::string_view name;
  std::string_view headers;  // added to the base request
  std::optional<ParseError> want;
};

TEST(SipMessage, ValidatesTheEagerHeaders) {
  const auto cases = std::to_array<HeaderCase>({
      {.name = "unknown header", .headers = "X-Foo: ;;,,\r\n", .want = std::nullopt},
      {.name = "second Via field", .headers = "Via: SIP/2.0/TCP b.example.com\r\n", .want = std::nullopt},
      {.name = "empty via param", .headers = "Via: SIP/2.0/UDP b.example.com;;\r\n", .want = ParseError::BadVia},
      {.name = "empty via element", .headers = "Via: SIP/2.0/UDP b.example.com,,\r\n", .want = ParseError::BadVia},
      {.name = "via without host", .headers = "Via: SIP/2.0/UDP\r\n", .want = ParseError::BadVia},
      {.name = "via rport not a port", .headers = "Via: SIP/2.0/UDP b;rport=x\r\n", .want = ParseError::BadVia},
      {.name = "second To", .headers = "To: <sip:c@example.com>\r\n", .want = ParseError::DuplicateSingletonHeader},
      {.name = "second Call-ID (compact)", .headers = "i: other\r\n", .want = ParseError::DuplicateSingletonHeader},
      {.name = "second Max-Forwards", .headers = "Max-Forwards: 1\r\n", .want = ParseError::DuplicateSingletonHeader},
      {.name = "second Content-Length", .headers = "l: 0\r\n", .want = ParseError::DuplicateSingletonHeader},
      {.name = "contact star", .headers = "Contact: *\r\n", .want = std::nullopt},
      {.name = "contact list", .headers = "m: <sip:a@b>;q=0.5, \"X, Y\" <sip:c@d>\r\n", .want = std::nullopt},
      {.name = "contact addr-spec with headers", .headers = "Contact: sip:a@b?Route=x\r\n", .want = ParseError::BadContact},
      {.name = "contact empty params", .headers = "Contact: <sip:a@b>;;\r\n", .want = ParseError::BadContact},
      {.name = "contact garbage", .headers = "Contact: <sip:a@b> junk\r\n", .want = ParseError::BadContact},
      {.name = "header without colon", .headers = "NoColonHere\r\n", .want = ParseError::BadHeaderLine},
      {.name = "bad name character", .headers = "X@Y: 1\r\n", .want = ParseError::BadHeaderLine},
      {.name = "lone CR in a value", .headers = "X-A: a\rVia: b\r\n", .want = ParseError::BadHeaderLine},
      {.name = "bare LF line end", .headers = "X-A: a\nX-B: b\r\n", .want = ParseError::BadHeaderLine},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = parse(request("INVITE sip:bob@example.com SIP/2.0", c.headers));
    if (c.want) {
      ASSERT_FALSE(m.has_value());
      EXPECT_EQ(m.error(), *c.want) << to_string(m.error());
    } else {
      EXPECT_TRUE(m.has_value()) << to_string(m.error());
    }
  }
}

struct FieldCase {
  std::string_view name;
  std::string_view field;  // replaces one mandatory header line
  std::string_view replaces;
  std::optional<ParseError> want;
};

TEST(SipMessage, ValidatesMandatoryFieldValues) {
  const auto cases = std::to_array<FieldCase>({
      {.name = "cseq max", .field = "CSeq: 4294967295 INVITE", .replaces = "CSeq:", .want = std::nullopt},
      {.name = "cseq folded", .field = "CSeq: 0009\r\n  INVITE", .replaces = "CSeq:", .want = std::nullopt},
      {.name = "cseq too big", .field = "CSeq: 4294967296 INVITE", .replaces = "CSeq:", .want = ParseError::BadCSeq},
      {.name = "cseq method mismatch", .field = "CSeq: 1 BYE", .replaces = "CSeq:", .want = ParseError::BadCSeq},
      {.name = "cseq method case", .field = "CSeq: 1 invite", .replaces = "CSeq:", .want = ParseError::BadCSeq},
      {.name = "cseq no method", .field = "CSeq: 1", .replaces = "CSeq:", .want = ParseError::BadCSeq},
      {.name = "cseq negative", .field = "CSeq: -1 INVITE", .replaces = "CSeq:", .want = ParseError::BadCSeq},
      {.name = "max-forwards 0068", .field = "Max-Forwards: 0068", .replaces = "Max-Forwards:", .want = std::nullopt},
      {.name = "max-forwards 256", .field = "Max-Forwards: 256", .replaces = "Max-Forwards:", .want = ParseError::BadMaxForwards},
      {.name = "max-forwards text", .field = "Max-Forwards: ten", .replaces = "Max-Forwards:", .want = ParseError::BadMaxForwards},
      {.name = "call-id with space", .field = "Call-ID: a b", .replaces = "Call-ID:", .want = ParseError::BadCallId},
      {.name = "call-id empty", .field = "Call-ID:", .replaces = "Call-ID:", .want = ParseError::BadCallId},
      {.name = "from unquoted comma", .field = "From: Bell, A <sip:a@b>;tag=1", .replaces = "From:", .want = ParseError::BadFromTo},
      {.name = "from quoted comma", .field = "From: \"Bell, A\" <sip:a@b>;tag=1", .replaces = "From:", .want = std::nullopt},
      {.name = "from escaped quote", .field = "From: \"A \\\"B\\\"\" <sip:a@b>;tag=1", .replaces = "From:", .want = std::nullopt},
      {.name = "from unbalanced quote", .field = "From: \"A <sip:a@b>;tag=1", .replaces = "From:", .want = ParseError::BadFromTo},
      {.name = "from spaces in brackets", .field = "From: < sip:a@b >;tag=1", .replaces = "From:", .want = ParseError::BadFromTo},
      {.name = "from no scheme", .field = "From: <a@b>;tag=1", .replaces = "From:", .want = ParseError::BadFromTo},
      {.name = "from empty tag", .field = "From: <sip:a@b>;tag=", .replaces = "From:", .want = ParseError::BadFromTo},
      {.name = "to glued display name", .field = "To: bob<sip:bob@example.com>", .replaces = "To:", .want = std::nullopt},
      {.name = "to addr-spec with ?", .field = "To: sip:bob@example.com?x=y", .replaces = "To:", .want = ParseError::BadFromTo},
      {.name = "compact t", .field = "t: sip:bob@example.com ; tag = 5", .replaces = "To:", .want = std::nullopt},
      {.name = "content-length negative", .field = "Content-Length: -1", .replaces = "Content-Length:", .want = ParseError::BadContentLength},
      {.name = "content-length too long", .field = "Content-Length: 1", .replaces = "Content-Length:", .want = ParseError::BadContentLength},
      {.name = "content-length huge", .field = "Content-Length: 99999999999999999999", .replaces = "Content-Length:", .want = ParseError::BadContentLength},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string bytes = request();
    const std::size_t begin = bytes.find(c.replaces);
    ASSERT_NE(begin, std::string::npos);
    bytes.replace(begin, bytes.find("\r\n", begin) - begin, c.field);
    auto m = parse(bytes);
    if (c.want) {
      ASSERT_FALSE(m.has_value());
      EXPECT_EQ(m.error(), *c.want) << to_string(m.error());
    } else {
      EXPECT_TRUE(m.has_value()) << to_string(m.error());
    }
  }
}

TEST(SipMessage, RequiresTheMandatoryHeadersButNotMaxForwards) {
  for (std::string_view name : {"Via:", "To:", "From:", "Call-ID:", "CSeq:"}) {
    SCOPED_TRACE(name);
    std::string bytes = request();
    const std::size_t begin = bytes.find(name);
    bytes.erase(begin, bytes.find("\r\n", begin) + 2 - begin);
    auto m = parse(bytes);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error(), ParseError::MissingMandatoryHeader);
  }
  std::string bytes = request();
  const std::size_t begin = bytes.find("Max-Forwards:");
  bytes.erase(begin, bytes.find("\r\n", begin) + 2 - begin);
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->max_forwards().has_value());
}

TEST(SipMessage, KeepsFoldedAndUnknownHeadersByteExact) {
  auto m = parse(request("INVITE sip:bob@example.com SIP/2.0",
                         "Subject: first line\r\n\tsecond line\r\nX-Odd  :  a,,b ; c \r\n"));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  const HeaderField* subject = m->first(HeaderId::Subject);
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->value, "first line\r\n\tsecond line");
  const HeaderField& odd = m->headers()[7];
  EXPECT_EQ(odd.id, HeaderId::Other);
  EXPECT_EQ(odd.name, "X-Odd  ");
  EXPECT_EQ(odd.value, "a,,b ; c");
  EXPECT_EQ(odd.raw, "X-Odd  :  a,,b ; c ");
}

TEST(SipMessage, CountsViaValuesAcrossFieldsAndTakesTheTopOne) {
  auto m = parse(request("INVITE sip:bob@example.com SIP/2.0",
                         "v: SIP/2.0/TCP b.example.com;received=192.0.2.1;rport=5061, "
                         "SIP/2.0/UDP [2001:db8::1]:5070\r\n"));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->via_count(), 3u);
  EXPECT_EQ(m->count(HeaderId::Via), 2u);
  EXPECT_EQ(m->top_via().host, "pc.example.com");
}

TEST(SipMessage, DatagramDiscardsBytesPastContentLength) {
  std::string bytes = request("INVITE sip:bob@example.com SIP/2.0", "", "body") + "junk";
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->body(), "body");
  EXPECT_TRUE(m->bytes().ends_with("\r\n\r\nbody"));
}

TEST(SipMessage, DatagramWithoutContentLengthTakesTheRest) {
  auto m = parse(request("INVITE sip:bob@example.com SIP/2.0", "", "rest of it", false));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->body(), "rest of it");
}

TEST(SipMessage, StreamFrameMustMatchContentLength) {
  std::string bytes = request("INVITE sip:bob@example.com SIP/2.0", "", "body");
  EXPECT_TRUE(parse(bytes, Framing::Stream).has_value());
  auto m = parse(bytes + "x", Framing::Stream);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), ParseError::BadContentLength);
}

TEST(SipMessage, IgnoresCrlfBeforeTheStartLine) {
  auto m = parse("\r\n\r\n" + request());
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_TRUE(m->bytes().starts_with("INVITE "));
}

TEST(SipMessage, ReportsEmptyAndTruncatedInput) {
  EXPECT_EQ(parse("").error(), ParseError::Empty);
  EXPECT_EQ(parse("\r\n\r\n").error(), ParseError::Empty);
  std::string bytes = request();
  bytes.resize(bytes.size() - 2);  // no empty line
  EXPECT_EQ(parse(bytes).error(), ParseError::NoHeaderEnd);
  EXPECT_EQ(parse("INVITE sip:a@b SIP/2.0").error(), ParseError::NoHeaderEnd);
}

TEST(SipMessage, RefusesMessagesAboveTheHardLimit) {
  std::string big = request("INVITE sip:bob@example.com SIP/2.0", "",
                            std::string(kMaxMessageSize, 'x'));
  auto m = parse(big);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error(), ParseError::MessageTooLarge);
  EXPECT_EQ(to_sip_status(m.error()), 513);
}

TEST(SipMessage, MapsErrorsToStatusCodes) {
  EXPECT_EQ(to_sip_status(ParseError::BadVersion), 505);
  EXPECT_EQ(to_sip_status(ParseError::MessageTooLarge), 513);
  EXPECT_EQ(to_sip_status(ParseError::BadVia), 400);
  EXPECT_EQ(to_string(ParseError::BadCSeq), "bad_cseq");
}

// Copies and moves must rebase every view onto their own buffer.
void expect_views_inside(const Message& m) {
  const char* b = m.bytes().data();
  const char* e = b + m.bytes().size();
  auto inside = [&](std::string_view v) { return v.data() >= b && v.data() + v.size() <= e; };
  EXPECT_TRUE(inside(m.call_id()));
  EXPECT_TRUE(inside(m.top_via().branch));
  EXPECT_TRUE(inside(m.cseq().method_token));
  EXPECT_TRUE(inside(m.from_tag()));
  EXPECT_TRUE(inside(m.request_uri()));
  EXPECT_TRUE(inside(m.body()));
  for (const auto& h : m.headers()) EXPECT_TRUE(inside(h.raw));
}

TEST(SipMessage, CopiesAndMovesKeepViewsValid) {
  auto parsed = parse(request("INVITE sip:bob@example.com SIP/2.0", "", "body"));
  ASSERT_TRUE(parsed.has_value());
  Message copy = *parsed;
  EXPECT_NE(copy.bytes().data(), parsed->bytes().data());
  expect_views_inside(copy);
  EXPECT_EQ(copy.call_id(), parsed->call_id());
  Message moved = std::move(copy);
  expect_views_inside(moved);
  EXPECT_EQ(moved.body(), "body");
  Message assigned = *parsed;
  assigned = moved;
  expect_views_inside(assigned);
  {
    Message temporary = *parsed;
    assigned = std::move(temporary);
  }
  expect_views_inside(assigned);
  EXPECT_EQ(assigned.top_via().branch, "z9hG4bK776asdhds");
  std::vector<Message> many;
  for (int i = 0; i < 20; ++i) many.push_back(*parsed);  // reallocations move them
  for (const auto& m : many) expect_views_inside(m);
}

struct NameCase {
  std::string_view name;
  HeaderId want;
};

TEST(SipMessage, IdentifiesLongAndCompactHeaderNames) {
  const auto cases = std::to_array<NameCase>({
      {"Via", HeaderId::Via}, {"v", HeaderId::Via}, {"VIA", HeaderId::Via},
      {"i", HeaderId::CallId}, {"call-id", HeaderId::CallId}, {"m", HeaderId::Contact},
      {"e", HeaderId::ContentEncoding}, {"l", HeaderId::ContentLength}, {"f", HeaderId::From},
      {"t", HeaderId::To}, {"s", HeaderId::Subject}, {"k", HeaderId::Supported},
      {"c", HeaderId::ContentType}, {"o", HeaderId::Event}, {"r", HeaderId::ReferTo},
      {"b", HeaderId::ReferredBy}, {"u", HeaderId::AllowEvents}, {"x", HeaderId::Other},
      {"WWW-Authenticate", HeaderId::WwwAuthenticate}, {"proxy-authorization", HeaderId::ProxyAuthorization},
      {"Proxy-Authenticate", HeaderId::ProxyAuthenticate}, {"Record-Route", HeaderId::RecordRoute},
      {"Max-Forwards", HeaderId::MaxForwards}, {"Min-Expires", HeaderId::MinExpires},
      {"Retry-After", HeaderId::RetryAfter}, {"Referred-By", HeaderId::ReferredBy},
      {"Via  ", HeaderId::Via}, {"C%6Fntact", HeaderId::Other}, {"Vias", HeaderId::Other},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(header_id_from_name(c.name), c.want);
  }
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(header_id_from_name(canonical_name(id)), id) << canonical_name(id);
  }
}

TEST(SipMessage, MethodTokensAreCaseSensitive) {
  EXPECT_EQ(method_from_token("INVITE"), Method::Invite);
  EXPECT_EQ(method_from_token("invite"), Method::Unknown);
  EXPECT_EQ(method_from_token("SUBSCRIBE"), Method::Subscribe);
  for (int i = 1; i <= static_cast<int>(Method::Update); ++i) {
    const auto m = static_cast<Method>(i);
    EXPECT_EQ(method_from_token(to_string(m)), m);
  }
}

}  // namespace
}  // namespace resproxy::sip
