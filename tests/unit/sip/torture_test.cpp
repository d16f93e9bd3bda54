// The RFC 4475 / RFC 5118 torture corpus (tests/data/sip-torture) as one table: every file is
// fed as one UDP datagram and must produce the outcome MANIFEST.tsv names for a stateful proxy.
// Choices where the manifest allows one:
//   lwsstart, trws, badaspec: strict, 400.
//   badbranch: accepted. A branch that is exactly "z9hG4bK" is not an RFC 3261 branch
//              (sip::is_rfc3261_branch() is false), so the transaction layer falls back to the
//              RFC 2543 matching rules (§17.2.3) for it; the proxy forwards it.
//   baddate:   proxied (a proxy does not interpret Date).
//   mismatch02: 400 (the CSeq method differs from the request method: BadCSeq).
//   ipv6-in-sdp: taken literally the body is short: 400; with Content-Length patched: proxied.
//   mult-ip-in-sdp, ipv4-mapped-ipv6: literally proxied with the truncated body; patched: full.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/routing/request_checks.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"
#include "proxy/sip/uri.h"

namespace resproxy::sip {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(RESPROXY_TEST_DATA_DIR) / "sip-torture";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Sets Content-Length to the real length of the body (RFC 5118's arithmetic is off).
std::string with_true_content_length(std::string bytes) {
  const std::size_t header_end = bytes.find("\r\n\r\n");
  const std::size_t body = bytes.size() - (header_end + 4);
  const std::size_t cl = bytes.find("Content-Length: ");
  const std::size_t value = cl + 16;
  const std::size_t eol = bytes.find("\r\n", value);
  bytes.replace(value, eol - value, std::to_string(body));
  return bytes;
}

// The first Via value of raw request bytes, found without the parser under test.
std::string first_via_value(std::string_view bytes) {
  std::size_t pos = bytes.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < bytes.size()) {
    const std::size_t begin = pos + 2;
    const std::size_t end = bytes.find("\r\n", begin);
    const std::string_view line = bytes.substr(begin, end - begin);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      while (!name.empty() && name.back() == ' ') name.pop_back();
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "via" || name == "v") {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        return std::string(value);
      }
    }
    pos = end;
  }
  return {};
}

enum class Action { Proxy, Reply, Drop, ResponseOk };

struct Case {
  std::string file;
  Action action;
  int status = 0;             // for Reply
  bool patch_length = false;  // run with Content-Length set to the real body length
  std::function<void(const Message&)> check = nullptr;
};

const HeaderField* find_named(const Message& m, std::string_view name) {
  for (const auto& h : m.headers()) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::vector<NameAddr> contacts(const Message& m) {
  std::vector<NameAddr> out;
  for (const auto& h : m.headers()) {
    if (h.id != HeaderId::Contact) continue;
    auto list = parse_name_addr_list(h.value);
    EXPECT_TRUE(list.has_value());
    if (list) out.insert(out.end(), list->begin(), list->end());
  }
  return out;
}

std::vector<Case> cases() {
  return {
      {"rfc4475/wsinv.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.method(), Method::Invite);
         EXPECT_EQ(m.to_tag(), "1918181833n");
         EXPECT_EQ(m.from_tag(), "98asjd8");
         EXPECT_EQ(m.max_forwards(), 68u);
         EXPECT_EQ(m.cseq().number, 9u);
         EXPECT_EQ(m.cseq().method, Method::Invite);
         EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
         EXPECT_EQ(m.via_count(), 3u);
         EXPECT_EQ(m.top_via().transport, "UDP");
         EXPECT_EQ(m.top_via().host, "192.0.2.2");
         EXPECT_EQ(m.top_via().branch, "390skdjuw");
         EXPECT_EQ(m.body().size(), 150u);
         const HeaderField* nf = find_named(m, "NewFangledHeader");
         ASSERT_NE(nf, nullptr);
         EXPECT_EQ(nf->value, "newfangled value\r\n continued newfangled value");
         const HeaderField* odd = find_named(m, "UnknownHeaderWithUnusualValue");
         ASSERT_NE(odd, nullptr);
         EXPECT_EQ(odd->value, ";;,,;;,;");
         const HeaderField* subject = m.first(HeaderId::Subject);
         ASSERT_NE(subject, nullptr);
         EXPECT_EQ(subject->value, "");
         auto vias = parse_via_list(m.headers()[m.headers().size() - 2].value);
         ASSERT_TRUE(vias.has_value());
         ASSERT_EQ(vias->size(), 2u);
         EXPECT_EQ((*vias)[0].info.transport, "TCP");
         EXPECT_EQ((*vias)[1].info.branch, "z9hG4bK30239");
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         EXPECT_EQ(unquote(c[0].display_name), "Quoted string \"\"");
         EXPECT_EQ(c[0].param("q"), "0.33");
         EXPECT_EQ(c[0].param("newparam"), "newvalue");
         EXPECT_EQ(c[0].param("secondparam"), "");
       }},
      {"rfc4475/intmeth.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.method(), Method::Unknown);
         EXPECT_EQ(m.method_token(), "!interesting-Method0123456789_*+`.%indeed'~");
         EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
         EXPECT_EQ(m.from_tag(), "_token~1'+`*%!-.");
         EXPECT_EQ(m.max_forwards(), 255u);
         auto to = parse_name_addr(m.first(HeaderId::To)->value);
         ASSERT_TRUE(to.has_value());
         const std::string display = unquote(to->display_name);
         EXPECT_EQ(display, std::string("BEL:\x07 NUL:", 10) + std::string(1, '\0') + " DEL:\x7f");
         auto ruri = parse_uri(m.request_uri());
         ASSERT_TRUE(ruri.has_value());
         EXPECT_EQ(ruri->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
         EXPECT_EQ(ruri->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
         EXPECT_EQ(ruri->host, "example.com");
         const HeaderField& extension = m.headers()[m.headers().size() - 2];
         EXPECT_EQ(extension.id, HeaderId::Other);
         EXPECT_EQ(extension.name, "extensionHeader-!.%*+_`'~");
       }},
      {"rfc4475/esc01.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto ruri = parse_uri(m.request_uri());
         ASSERT_TRUE(ruri.has_value());
         EXPECT_EQ(percent_decode(ruri->user), "sips:user@example.com");
         EXPECT_EQ(ruri->host, "example.net");
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         auto cu = parse_uri(c[0].uri);
         ASSERT_TRUE(cu.has_value());
         EXPECT_EQ(percent_decode(cu->user), "caller");
         EXPECT_EQ(percent_decode(*cu->param("n%61me")), "value%41");
         EXPECT_TRUE(uri_equal(c[0].uri, "sip:caller@host5.example.net;lr;name=value%2541"));
       }},
      {"rfc4475/escnull.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 2u);
         EXPECT_FALSE(uri_equal(c[0].uri, c[1].uri));
         EXPECT_EQ(percent_decode(parse_uri(c[0].uri)->user), std::string(1, '\0'));
         EXPECT_EQ(percent_decode(parse_uri(c[1].uri)->user), std::string(2, '\0'));
         auto to = parse_name_addr(m.first(HeaderId::To)->value);
         ASSERT_TRUE(to.has_value());
         EXPECT_EQ(percent_decode(parse_uri(to->uri)->user).size(), 11u);
       }},
      {"rfc4475/esc02.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.method(), Method::Unknown);
         EXPECT_EQ(m.method_token(), "RE%47IST%45R");
         EXPECT_EQ(m.count(HeaderId::Contact), 2u);
         const HeaderField* other = find_named(m, "C%6Fntact");
         ASSERT_NE(other, nullptr);
         EXPECT_EQ(other->id, HeaderId::Other);
         EXPECT_EQ(m.top_via().branch, "z9hG4bK209%fzsnel234");
         EXPECT_EQ(unquote(parse_name_addr(m.first(HeaderId::To)->value)->display_name), "%Z%45");
       }},
      {"rfc4475/lwsdisp.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto from = parse_name_addr(m.first(HeaderId::From)->value);
         ASSERT_TRUE(from.has_value());
         EXPECT_EQ(from->display_name, "caller");
         EXPECT_EQ(from->uri, "sip:caller@example.com");
       }},
      {"rfc4475/longreq.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.via_count(), 34u);
         EXPECT_EQ(m.count(HeaderId::Via), 34u);
         EXPECT_EQ(m.top_via().host, "sip33.example.com");
         EXPECT_EQ(m.top_via().transport, "TCP");
       }},
      {"rfc4475/dblreq.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.method(), Method::Register);
         EXPECT_TRUE(m.body().empty());
         EXPECT_EQ(m.bytes().find("INVITE"), std::string_view::npos);
         EXPECT_TRUE(m.bytes().ends_with("Content-Length: 0\r\n\r\n"));
       }},
      {"rfc4475/semiuri.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto ruri = parse_uri(m.request_uri());
         ASSERT_TRUE(ruri.has_value());
         EXPECT_EQ(ruri->user, "user;par=u%40example.net");
         EXPECT_EQ(percent_decode(ruri->user), "user;par=u@example.net");
         EXPECT_EQ(ruri->host, "example.com");
         EXPECT_TRUE(ruri->params.empty());
         EXPECT_EQ(split_values(m.first(HeaderId::Accept)->value).size(), 6u);
       }},
      {"rfc4475/transports.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.via_count(), 5u);
         EXPECT_EQ(m.top_via().transport, "UDP");
         EXPECT_EQ(m.headers()[9].value, "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en");
       }},
      {"rfc4475/mpart01.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.body().size(), 553u);
         EXPECT_NE(m.body().find('\0'), std::string_view::npos);
         EXPECT_TRUE(m.top_via().has_rport);
         EXPECT_FALSE(m.top_via().rport.has_value());
         EXPECT_EQ(m.top_via().port, 5070);
       }},
      {"rfc4475/unreason.sip", Action::ResponseOk, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.status_code(), 200);
         EXPECT_TRUE(m.reason_phrase().starts_with("= 2**3 * 5**2 \xD0\xBD"));
         EXPECT_EQ(m.method(), Method::Invite);
         EXPECT_EQ(m.body().size(), 154u);
       }},
      {"rfc4475/noreason.sip", Action::ResponseOk, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.status_code(), 100);
         EXPECT_EQ(m.reason_phrase(), "");
       }},
      {"rfc4475/badinv01.sip", Action::Reply, 400},
      {"rfc4475/clerr.sip", Action::Reply, 400},
      {"rfc4475/ncl.sip", Action::Reply, 400},
      {"rfc4475/scalar02.sip", Action::Reply, 400},
      {"rfc4475/scalarlg.sip", Action::Drop},
      {"rfc4475/quotbal.sip", Action::Reply, 400},
      {"rfc4475/ltgtruri.sip", Action::Reply, 400},
      {"rfc4475/lwsruri.sip", Action::Reply, 400},
      {"rfc4475/lwsstart.sip", Action::Reply, 400},
      {"rfc4475/trws.sip", Action::Reply, 400},
      {"rfc4475/escruri.sip", Action::Reply, 400},
      {"rfc4475/baddate.sip", Action::Proxy},
      {"rfc4475/regbadct.sip", Action::Reply, 400},
      {"rfc4475/badaspec.sip", Action::Reply, 400},
      {"rfc4475/baddn.sip", Action::Reply, 400},
      {"rfc4475/badvers.sip", Action::Reply, 505},
      {"rfc4475/mismatch01.sip", Action::Reply, 400},
      {"rfc4475/mismatch02.sip", Action::Reply, 400},
      {"rfc4475/bigcode.sip", Action::Drop},
      {"rfc4475/badbranch.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.top_via().branch, "z9hG4bK");
         EXPECT_FALSE(is_rfc3261_branch(m.top_via().branch));
       }},
      {"rfc4475/insuf.sip", Action::Reply, 400},
      {"rfc4475/unkscm.sip", Action::Reply, 416},
      {"rfc4475/novelsc.sip", Action::Reply, 416},
      {"rfc4475/unksm2.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(parse_name_addr(m.first(HeaderId::To)->value)->uri, "isbn:2983792873");
         EXPECT_EQ(parse_name_addr(m.first(HeaderId::From)->value)->uri, "http://www.example.com");
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         EXPECT_EQ(parse_uri(c[0].uri)->scheme_id, UriScheme::Other);
       }},
      {"rfc4475/bext01.sip", Action::Reply, 420},
      {"rfc4475/invut.sip", Action::Proxy, 0, false,
       [](const Message& m) { EXPECT_EQ(m.body().size(), 40u); }},
      {"rfc4475/regaut01.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.first(HeaderId::Authorization)->value, "NoOneKnowsThisScheme opaque-data=here");
       }},
      {"rfc4475/multi01.sip", Action::Reply, 400},
      {"rfc4475/mcl01.sip", Action::Reply, 400},
      {"rfc4475/bcast.sip", Action::ResponseOk, 0, false,
       [](const Message& m) { EXPECT_EQ(m.via_count(), 2u); }},
      {"rfc4475/zeromf.sip", Action::Reply, 483},
      {"rfc4475/cparam01.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         EXPECT_EQ(c[0].uri, "sip:+19725552222@gw1.example.net");
         EXPECT_EQ(c[0].param("unknownparam"), "");
       }},
      {"rfc4475/cparam02.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         EXPECT_EQ(c[0].uri, "sip:+19725552222@gw1.example.net;unknownparam");
         EXPECT_FALSE(c[0].param("unknownparam").has_value());
         EXPECT_EQ(parse_uri(c[0].uri)->param("unknownparam"), "");
       }},
      {"rfc4475/regescrt.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto c = contacts(m);
         ASSERT_EQ(c.size(), 1u);
         auto u = parse_uri(c[0].uri);
         ASSERT_TRUE(u.has_value());
         EXPECT_EQ(u->headers, "Route=%3Csip:sip.example.com%3E");
       }},
      {"rfc4475/sdp01.sip", Action::Proxy},
      {"rfc4475/inv2543.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.body().size(), 105u);
         EXPECT_TRUE(m.bytes().ends_with(m.body()));
         EXPECT_FALSE(m.max_forwards().has_value());
         EXPECT_TRUE(m.top_via().branch.empty());
         EXPECT_TRUE(m.from_tag().empty());
         auto to = parse_name_addr(m.first(HeaderId::To)->value);
         ASSERT_TRUE(to.has_value());
         EXPECT_EQ(to->uri, "sip:+16505552222@ss1.example.net");
         EXPECT_EQ(to->param("user"), "phone");
       }},
      {"rfc5118/ipv6-good.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(parse_uri(m.request_uri())->host, "[2001:db8::10]");
         EXPECT_EQ(m.top_via().host, "[2001:db8::9:1]");
       }},
      {"rfc5118/ipv6-bad.sip", Action::Reply, 400},
      {"rfc5118/port-ambiguous.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto u = parse_uri(m.request_uri());
         EXPECT_EQ(u->host, "[2001:db8::10:5070]");
         EXPECT_FALSE(u->port.has_value());
       }},
      {"rfc5118/port-unambiguous.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         auto u = parse_uri(m.request_uri());
         EXPECT_EQ(u->host, "[2001:db8::10]");
         EXPECT_EQ(u->port, 5070);
       }},
      {"rfc5118/via-received-param-with-delim.sip", Action::Proxy, 0, false,
       [](const Message& m) { EXPECT_EQ(m.top_via().received, "[2001:db8::9:255]"); }},
      {"rfc5118/via-received-param-no-delim.sip", Action::Proxy, 0, false,
       [](const Message& m) { EXPECT_EQ(m.top_via().received, "2001:db8::9:255"); }},
      {"rfc5118/ipv6-in-sdp.sip", Action::Reply, 400},
      {"rfc5118/ipv6-in-sdp.sip", Action::Proxy, 0, true,
       [](const Message& m) { EXPECT_EQ(m.body().size(), 251u); }},
      {"rfc5118/mult-ip-in-header.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.via_count(), 3u);
         EXPECT_EQ(m.top_via().host, "[2001:db8::9:1]");
         EXPECT_EQ(m.top_via().port, 6050);
       }},
      {"rfc5118/mult-ip-in-sdp.sip", Action::Proxy, 0, false,
       [](const Message& m) { EXPECT_EQ(m.body().size(), 181u); }},
      {"rfc5118/mult-ip-in-sdp.sip", Action::Proxy, 0, true,
       [](const Message& m) {
         EXPECT_EQ(m.body().size(), 189u);
         EXPECT_TRUE(m.body().ends_with("a=rtpmap:107 H263-1998/90000\r\n"));
       }},
      {"rfc5118/ipv4-mapped-ipv6.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(m.body().size(), 236u);
         EXPECT_EQ(m.top_via().host, "[::ffff:192.0.2.10]");
         EXPECT_EQ(m.top_via().port, 19823);
       }},
      {"rfc5118/ipv4-mapped-ipv6.sip", Action::Proxy, 0, true,
       [](const Message& m) { EXPECT_EQ(m.body().size(), 245u); }},
      {"rfc5118/ipv6-bug-abnf-3-colons.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(parse_uri(m.request_uri())->host, "[2001:db8:::192.0.2.1]");
       }},
      {"rfc5118/ipv6-correct-abnf-2-colons.sip", Action::Proxy, 0, false,
       [](const Message& m) {
         EXPECT_EQ(parse_uri(m.request_uri())->host, "[2001:db8::192.0.2.1]");
       }},
  };
}

// bytes() must re-parse to the same message.
void expect_round_trip(const Message& m) {
  auto again = Message::parse(std::string(m.bytes()));
  ASSERT_TRUE(again.has_value()) << to_string(again.error());
  const Message& r = *again;
  EXPECT_EQ(r.bytes(), m.bytes());
  EXPECT_EQ(r.is_request(), m.is_request());
  EXPECT_EQ(r.method(), m.method());
  EXPECT_EQ(r.method_token(), m.method_token());
  EXPECT_EQ(r.request_uri(), m.request_uri());
  EXPECT_EQ(r.status_code(), m.status_code());
  EXPECT_EQ(r.reason_phrase(), m.reason_phrase());
  ASSERT_EQ(r.headers().size(), m.headers().size());
  for (std::size_t i = 0; i < m.headers().size(); ++i) {
    EXPECT_EQ(r.headers()[i].id, m.headers()[i].id);
    EXPECT_EQ(r.headers()[i].raw, m.headers()[i].raw);
    EXPECT_EQ(r.headers()[i].value, m.headers()[i].value);
  }
  EXPECT_EQ(r.top_via().branch, m.top_via().branch);
  EXPECT_EQ(r.top_via().host, m.top_via().host);
  EXPECT_EQ(r.via_count(), m.via_count());
  EXPECT_EQ(r.call_id(), m.call_id());
  EXPECT_EQ(r.cseq().number, m.cseq().number);
  EXPECT_EQ(r.cseq().method_token, m.cseq().method_token);
  EXPECT_EQ(r.from_tag(), m.from_tag());
  EXPECT_EQ(r.to_tag(), m.to_tag());
  EXPECT_EQ(r.max_forwards(), m.max_forwards());
  EXPECT_EQ(r.body(), m.body());
}

void expect_same_top_via(const Message& response, const Message& request) {
  EXPECT_EQ(response.via_count(), request.via_count());
  EXPECT_EQ(response.top_via().transport, request.top_via().transport);
  EXPECT_EQ(response.top_via().host, request.top_via().host);
  EXPECT_EQ(response.top_via().port, request.top_via().port);
  EXPECT_EQ(response.top_via().branch, request.top_via().branch);
}

void run_case(const Case& c) {
  std::string bytes = read_file(kCorpus / c.file);
  ASSERT_FALSE(bytes.empty()) << "missing " << c.file;
  if (c.patch_length) bytes = with_true_content_length(bytes);
  auto parsed = Message::parse(bytes);
  switch (c.action) {
    case Action::Proxy: {
      ASSERT_TRUE(parsed.has_value()) << to_string(parsed.error());
      EXPECT_TRUE(parsed->is_request());
      const auto rejection = routing::check_request(*parsed);
      EXPECT_FALSE(rejection.has_value()) << rejection->status_code;
      break;
    }
    case Action::ResponseOk:
      ASSERT_TRUE(parsed.has_value()) << to_string(parsed.error());
      EXPECT_TRUE(parsed->is_response());
      break;
    case Action::Drop:
      ASSERT_FALSE(parsed.has_value());
      EXPECT_FALSE(make_stateless_error_response(bytes, 400, "", "t1").has_value());
      break;
    case Action::Reply:
      if (!parsed) {
        EXPECT_EQ(to_sip_status(parsed.error()), c.status) << to_string(parsed.error());
        const auto response = make_stateless_error_response(bytes, c.status, "", "t1");
        ASSERT_TRUE(response.has_value());
        EXPECT_TRUE(response->starts_with("SIP/2.0 " + std::to_string(c.status) + " "));
        const std::string via = first_via_value(bytes);
        ASSERT_FALSE(via.empty());
        EXPECT_NE(response->find("\r\nVia: " + via + "\r\n"), std::string::npos) << *response;
        // If what we could copy is a complete response, it parses as one.
        if (auto reparsed = Message::parse(*response)) {
          EXPECT_EQ(reparsed->status_code(), c.status);
        }
      } else {
        ASSERT_TRUE(parsed->is_request());
        const auto rejection = routing::check_request(*parsed);
        ASSERT_TRUE(rejection.has_value());
        EXPECT_EQ(rejection->status_code, c.status);
        const std::string response = make_response(*parsed, rejection->status_code,
                                                   rejection->reason, "t1", rejection->headers);
        auto reparsed = Message::parse(response);
        ASSERT_TRUE(reparsed.has_value()) << to_string(reparsed.error()) << response;
        EXPECT_EQ(reparsed->status_code(), c.status);
        EXPECT_EQ(reparsed->to_tag(), "t1");
        expect_same_top_via(*reparsed, *parsed);
      }
      break;
  }
  if (parsed) {
    expect_round_trip(*parsed);
    if (c.check) c.check(*parsed);
  }
}

TEST(SipTorture, EveryFileGetsTheOutcomeItsManifestRowNames) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.file + (c.patch_length ? " (Content-Length patched)" : ""));
    run_case(c);
  }
}

struct ManifestRow {
  std::string file;
  std::string expectation;
  std::string proxy_action;
};

std::vector<ManifestRow> read_manifest() {
  std::ifstream in(kCorpus / "MANIFEST.tsv", std::ios::binary);
  std::vector<ManifestRow> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::size_t pos = 0;
    while (true) {
      const std::size_t tab = line.find('\t', pos);
      cols.push_back(line.substr(pos, tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    if (cols.size() >= 4) rows.push_back({cols[0], cols[2], cols[3]});
  }
  return rows;
}

TEST(SipTorture, TableCoversEveryManifestRowAndEveryFile) {
  const auto rows = read_manifest();
  EXPECT_EQ(rows.size(), 61u);
  std::map<std::string, const Case*> literal;
  const auto table = cases();
  for (const Case& c : table) {
    if (!c.patch_length) {
      EXPECT_TRUE(literal.emplace(c.file, &c).second) << "two literal rows for " << c.file;
    }
  }
  std::set<std::string> in_manifest;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.file);
    in_manifest.insert(row.file);
    const auto it = literal.find(row.file);
    ASSERT_NE(it, literal.end()) << "manifest row without a test row";
    const Case& c = *it->second;
    // The manifest's action and ours agree, except for the documented choices above.
    const std::string& action = row.proxy_action;
    if (action.starts_with("reply ") && std::isdigit(static_cast<unsigned char>(action[6]))) {
      const int status = std::stoi(action.substr(6, 3));
      const bool documented_choice = row.file == "rfc4475/badbranch.sip" ||
                                     (row.file == "rfc4475/mismatch02.sip" && c.status == 400);
      if (!documented_choice) {
        EXPECT_EQ(c.action, Action::Reply);
        EXPECT_EQ(c.status, status);
      }
    } else if (action.starts_with("discard")) {
      EXPECT_EQ(c.action, Action::Drop);
    } else if (row.expectation == "invalid" && row.file != "rfc4475/baddate.sip") {
      ADD_FAILURE() << "invalid message without a reply or discard: " << action;
    }
  }
  EXPECT_EQ(literal.size(), rows.size());
  // Every .sip on disk is in the manifest.
  for (const char* dir : {"rfc4475", "rfc5118"}) {
    for (const auto& entry : fs::directory_iterator(kCorpus / dir)) {
      if (entry.path().extension() != ".sip") continue;
      const std::string rel = std::string(dir) + "/" + entry.path().filename().string();
      EXPECT_TRUE(in_manifest.contains(rel)) << rel << " is not in MANIFEST.tsv";
    }
  }
}

}  // namespace
}  // namespace resproxy::sip
