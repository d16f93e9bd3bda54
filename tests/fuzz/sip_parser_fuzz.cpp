// libFuzzer target for the SIP message layer (STYLE.md §9: parse → serialize → parse).
// Seed corpus: tests/data/sip-torture (scripts/fuzz.sh copies it to a scratch directory).
// For any input: parse under both framings; on success exercise every accessor and lazy parser,
// copy and move the Message, re-parse bytes() (same fields), build responses with make_response
// (and CANCEL / ACK for an INVITE) and re-parse them: they must parse. On failure build the
// stateless error response, which must be a response if it is produced at all.
#include "tests/fuzz/fuzz_check.h"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"
#include "proxy/sip/uri.h"

namespace {

using namespace resproxy::sip;

bool inside(std::string_view part, std::string_view whole) {
  if (part.data() == nullptr) return part.empty();
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

void check_views(const Message& m) {
  const std::string_view all = m.bytes();
  FUZZ_CHECK(inside(m.body(), all));
  FUZZ_CHECK(inside(m.call_id(), all));
  FUZZ_CHECK(inside(m.top_via().branch, all));
  FUZZ_CHECK(inside(m.cseq().method_token, all));
  for (const HeaderField& h : m.headers()) {
    FUZZ_CHECK(inside(h.raw, all));
    FUZZ_CHECK(inside(h.value, all));
  }
}

void exercise_lazy_parsers(const Message& m) {
  std::size_t total = 0;
  for (const HeaderField& h : m.headers()) {
    total += split_values(h.value).size();
    switch (h.id) {
      case HeaderId::Via: {
        auto vias = parse_via_list(h.value);
        FUZZ_CHECK(vias.has_value());  // validated eagerly
        for (const Via& v : *vias) total += v.info.host.size() + v.params.size();
        break;
      }
      case HeaderId::Contact:
      case HeaderId::Route:
      case HeaderId::RecordRoute:
      case HeaderId::From:
      case HeaderId::To: {
        if (is_star(h.value)) break;
        auto list = parse_name_addr_list(h.value);
        if (h.id == HeaderId::Contact) FUZZ_CHECK(list.has_value());  // validated eagerly
        if (!list) break;
        for (const NameAddr& na : *list) {
          total += unquote(na.display_name).size();
          auto params = parse_params(na.params);
          FUZZ_CHECK(params.has_value());  // validated while parsing the name-addr
          if (auto uri = parse_uri(na.uri)) {
            FUZZ_CHECK(uri_equal(*uri, *uri));
            total += percent_decode(uri->user).size() + uri->param("transport").has_value();
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (m.is_request()) {
    auto uri = parse_uri(m.request_uri());
    FUZZ_CHECK(uri.has_value());  // validated eagerly
    FUZZ_CHECK(uri_equal(m.request_uri(), m.request_uri()));
  }
  (void)total;
}

void expect_same(const Message& a, const Message& b) {
  FUZZ_CHECK(a.bytes() == b.bytes());
  FUZZ_CHECK(a.is_request() == b.is_request());
  FUZZ_CHECK(a.method_token() == b.method_token());
  FUZZ_CHECK(a.request_uri() == b.request_uri());
  FUZZ_CHECK(a.status_code() == b.status_code());
  FUZZ_CHECK(a.headers().size() == b.headers().size());
  for (std::size_t i = 0; i < a.headers().size(); ++i) {
    FUZZ_CHECK(a.headers()[i].id == b.headers()[i].id);
    FUZZ_CHECK(a.headers()[i].raw == b.headers()[i].raw);
  }
  FUZZ_CHECK(a.call_id() == b.call_id());
  FUZZ_CHECK(a.cseq().number == b.cseq().number);
  FUZZ_CHECK(a.from_tag() == b.from_tag());
  FUZZ_CHECK(a.to_tag() == b.to_tag());
  FUZZ_CHECK(a.top_via().branch == b.top_via().branch);
  FUZZ_CHECK(a.via_count() == b.via_count());
  FUZZ_CHECK(a.max_forwards() == b.max_forwards());
  FUZZ_CHECK(a.body() == b.body());
}

void must_parse_as_response(const std::string& bytes, int status) {
  auto r = Message::parse(bytes);
  if (!r) {
    std::fprintf(stderr, "built response does not parse (%s):\n%s\n",
                 std::string(to_string(r.error())).c_str(), bytes.c_str());
  }
  FUZZ_CHECK(r.has_value());
  FUZZ_CHECK(r->is_response());
  FUZZ_CHECK(r->status_code() == status);
}

void one(std::string_view input, Framing framing) {
  auto parsed = Message::parse(std::string(input), framing);
  if (!parsed) {
    const ParseError e = parsed.error();
    FUZZ_CHECK(!to_string(e).empty());
    const int status = to_sip_status(e);
    FUZZ_CHECK(status == 400 || status == 505 || status == 513);
    if (auto response = make_stateless_error_response(input, status, "", "fz1")) {
      FUZZ_CHECK(response->starts_with("SIP/2.0 "));
      (void)Message::parse(*response);  // may be incomplete: must merely not crash
    }
    return;
  }
  const Message& m = *parsed;
  check_views(m);
  exercise_lazy_parsers(m);
  for (std::size_t i = 0; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    FUZZ_CHECK((m.first(id) != nullptr) == (m.count(id) > 0));
  }

  // Value semantics: copies and moves keep every view valid.
  Message copy = m;
  check_views(copy);
  expect_same(copy, m);
  Message moved = std::move(copy);
  check_views(moved);
  expect_same(moved, m);
  copy = moved;
  expect_same(copy, m);

  // bytes() re-parses to the same message.
  auto again = Message::parse(std::string(m.bytes()), framing);
  FUZZ_CHECK(again.has_value());
  expect_same(*again, m);

  if (m.is_request()) {
    must_parse_as_response(make_response(m, 100, "", "fz1"), 100);
    must_parse_as_response(make_response(m, 200, "OK", "fz1", {{"Contact", "<sip:fz@[::1]>"}}, "v=0\r\n"),
                           200);
    must_parse_as_response(make_response(m, 400, "", "fz1"), 400);
    if (m.method() == Method::Invite) {
      auto cancel = Message::parse(make_cancel(m));
      FUZZ_CHECK(cancel.has_value());
      FUZZ_CHECK(cancel->method() == Method::Cancel);
      auto final_response = Message::parse(make_response(m, 486, "", "fz1"));
      FUZZ_CHECK(final_response.has_value());
      auto ack = Message::parse(make_ack_for_non2xx(m, *final_response));
      FUZZ_CHECK(ack.has_value());
      FUZZ_CHECK(ack->method() == Method::Ack);
      FUZZ_CHECK(ack->to_tag() == final_response->to_tag());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  one(input, Framing::Datagram);
  one(input, Framing::Stream);
  return 0;
}
