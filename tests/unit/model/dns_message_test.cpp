// The DNS wire codec (model/dns_message.h): queries and answers round trip, compressed names
// are read, and every kind of malformed message is an error (never a crash, never a hang).
#include "model/dns_message.h"

#include <gtest/gtest.h>

#include <string>

namespace resproxy::model {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A response header: id 0x1234, QR|AA|RD, the given counts.
std::string header(int qd, int an, int rcode = 0) {
  return bytes({0x12, 0x34, 0x85, rcode, 0, qd, 0, an, 0, 0, 0, 0});
}

// "itsp.example" as labels.
std::string itsp_example() { return bytes({4, 'i', 't', 's', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}); }

DnsRecord a(std::string name, std::string ip, std::uint32_t ttl = 60) {
  DnsRecord r;
  r.name = std::move(name);
  r.type = kDnsTypeA;
  r.ttl = ttl;
  r.address = std::move(ip);
  return r;
}

DnsRecord srv(std::string name, std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
              std::string target) {
  DnsRecord r;
  r.name = std::move(name);
  r.type = kDnsTypeSrv;
  r.ttl = 300;
  r.srv = DnsSrvData{priority, weight, port, std::move(target)};
  return r;
}

TEST(DnsMessage, AQueryIsTheRfc1035WireFormat) {
  auto q = encode_dns_query(0xBEEF, "itsp.example.", kDnsTypeSrv);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, bytes({0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}) + itsp_example() +
                    bytes({0, 33, 0, 1}));
  auto decoded = decode_dns_message(*q);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->id, 0xBEEF);
  EXPECT_FALSE(decoded->response);
  EXPECT_TRUE(decoded->recursion_desired);
  ASSERT_EQ(query_question(*decoded), (DnsQuestion{"itsp.example", kDnsTypeSrv, kDnsClassIn}));
}

TEST(DnsMessage, AnAnswerRoundTripsWithCompressedNames) {
  auto query = decode_dns_message(*encode_dns_query(7, "_sip._udp.itsp.example", kDnsTypeSrv));
  ASSERT_TRUE(query);
  DnsRecord v6;
  v6.name = "sip.itsp.example";
  v6.type = kDnsTypeAaaa;
  v6.ttl = 30;
  v6.address = "2001:0db8:0:0:a:0:0:1";
  const DnsMessage answer = dns_answer(
      *query, {srv("_sip._udp.itsp.example", 10, 60, 5060, "sip.itsp.example"),
               srv("_sip._udp.itsp.example", 20, 0, 5070, "."), a("sip.itsp.example", "10.0.4.2", 45), v6});
  auto wire = encode_dns_message(answer);
  ASSERT_TRUE(wire);
  // The owner names after the question are pointers (0xC0..) to it.
  EXPECT_NE(wire->find(bytes({static_cast<char>(0xC0), 12})), std::string::npos);
  auto back = decode_dns_message(*wire);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->response);
  EXPECT_TRUE(back->authoritative);
  EXPECT_EQ(back->rcode, DnsRcode::NoError);
  ASSERT_EQ(back->answers.size(), 4u);
  EXPECT_EQ(back->answers[0].srv, (DnsSrvData{10, 60, 5060, "sip.itsp.example"}));
  EXPECT_EQ(back->answers[0].ttl, 300u);
  EXPECT_EQ(back->answers[1].srv.target, ".");
  EXPECT_EQ(back->answers[2].address, "10.0.4.2");
  EXPECT_EQ(back->answers[2].ttl, 45u);
  EXPECT_EQ(back->answers[3].address, "2001:db8::a:0:0:1");  // RFC 5952: the first of two runs
  EXPECT_EQ(back->answers[3].name, "sip.itsp.example");
}

TEST(DnsMessage, ErrorAnswersCarryTheRcodeAndTheQuestion) {
  auto query = decode_dns_message(*encode_dns_query(9, "nowhere.example", kDnsTypeA));
  ASSERT_TRUE(query);
  for (auto rcode : {DnsRcode::NameError, DnsRcode::ServerFailure, DnsRcode::Refused}) {
    auto back = decode_dns_message(*encode_dns_message(dns_error_response(*query, rcode)));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->rcode, rcode);
    EXPECT_EQ(back->id, 9);
    EXPECT_EQ(back->questions, query->questions);
    EXPECT_TRUE(back->answers.empty());
  }
  auto nodata = decode_dns_message(*encode_dns_message(dns_answer(*query, {})));
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->rcode, DnsRcode::NoError);
  EXPECT_TRUE(nodata->answers.empty());
}

TEST(DnsMessage, AuthorityAndAdditionalRecordsAreReadAndOtherTypesKeptRaw) {
  // One question, one CNAME answer, one A record in the additional section.
  std::string m = header(1, 1);
  m[11] = 1;  // ARCOUNT
  m += itsp_example() + bytes({0, 1, 0, 1});
  m += bytes({0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 10, 0, 2, 0xC0, 12});                // CNAME
  m += bytes({0xC0, 12, 0, 1, 0, 1, 0x80, 0, 0, 0, 0, 4, 192, 0, 2, 1});          // TTL top bit
  auto d = decode_dns_message(m);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->answers.size(), 1u);  // additional records are not kept
  EXPECT_EQ(d->answers[0].type, kDnsTypeCname);
  EXPECT_EQ(d->answers[0].raw, bytes({0xC0, 12}));
}

TEST(DnsMessage, TtlWithTheTopBitSetIsZero) {
  std::string m = header(0, 1) + itsp_example() + bytes({0, 1, 0, 1, 0x80, 0, 0, 1, 0, 4, 10, 0, 4, 2});
  auto d = decode_dns_message(m);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->answers[0].ttl, 0u);
  EXPECT_EQ(d->answers[0].address, "10.0.4.2");
}

struct Bad {
  const char* name;
  std::string bytes;
  DnsWireError want;
};

TEST(DnsMessage, MalformedMessagesAreErrors) {
  const std::string q = itsp_example() + bytes({0, 1, 0, 1});
  const std::string a_record = bytes({0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 4, 2});
  const Bad cases[] = {
      {"empty", "", DnsWireError::Truncated},
      {"short header", bytes({0x12, 0x34, 0x85}), DnsWireError::Truncated},
      {"question count beyond the message", header(3, 0) + q, DnsWireError::Truncated},
      {"answer count beyond the message", header(1, 200) + q + a_record, DnsWireError::Truncated},
      {"name ends inside a label", header(1, 0) + bytes({4, 'i', 't'}), DnsWireError::Truncated},
      {"no type after the name", header(1, 0) + itsp_example() + bytes({0}), DnsWireError::Truncated},
      {"pointer to itself", header(1, 0) + bytes({0xC0, 12, 0, 1, 0, 1}), DnsWireError::PointerLoop},
      {"pointer forwards", header(1, 0) + bytes({0xC0, 14, 0, 1, 0, 1, 0}), DnsWireError::PointerLoop},
      {"two pointers in a loop",
       header(1, 1) + bytes({1, 'a', 0xC0, 26, 0, 1, 0, 1}) + bytes({0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4}),
       DnsWireError::PointerLoop},
      {"pointer cut in half", header(1, 0) + bytes({0xC0}), DnsWireError::Truncated},
      {"label type 0x40", header(1, 0) + bytes({0x41, 'a', 0, 0, 1, 0, 1}), DnsWireError::BadLabel},
      {"label type 0x80", header(1, 0) + bytes({0x81, 'a', 0, 0, 1, 0, 1}), DnsWireError::BadLabel},
      {"A with 5 octets", header(1, 1) + q + bytes({0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5}),
       DnsWireError::BadRdata},
      {"AAAA with 4 octets", header(1, 1) + q + bytes({0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4}),
       DnsWireError::BadRdata},
      {"rdata past the end", header(1, 1) + q + bytes({0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2}),
       DnsWireError::Truncated},
      {"SRV target longer than its rdata",
       header(1, 1) + q + bytes({0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 8, 0, 1, 0, 1, 0x13, 0xC4, 3, 'a', 'b', 'c', 0}),
       DnsWireError::BadRdata},
      {"SRV target shorter than its rdata",
       header(1, 1) + q + bytes({0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 9, 0, 1, 0, 1, 0x13, 0xC4, 0, 0, 0}),
       DnsWireError::BadRdata},
      {"SRV rdata too short", header(1, 1) + q + bytes({0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 3, 0, 1, 0}),
       DnsWireError::BadRdata},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto d = decode_dns_message(c.bytes);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error(), c.want) << to_string(d.error());
  }
}

TEST(DnsMessage, NamesOver255OctetsAreRefusedBothWays) {
  std::string labels;
  for (int i = 0; i < 5; ++i) labels += bytes({63}) + std::string(63, 'x');
  auto d = decode_dns_message(header(1, 0) + labels + bytes({0, 0, 1, 0, 1}));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), DnsWireError::NameTooLong);
  // A long name built by pointers is refused as well: questions, each a label and a pointer to
  // the one before; the fifth names 5 * 64 + 1 octets.
  std::string chain = header(5, 0);
  std::size_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    const std::size_t here = chain.size();
    chain += bytes({63}) + std::string(63, 'z');
    chain += i == 0 ? bytes({0}) : bytes({0xC0, static_cast<int>(previous)});
    chain += bytes({0, 1, 0, 1});
    previous = here;
  }
  d = decode_dns_message(chain);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), DnsWireError::NameTooLong);
  std::string long_name(250, 'a');
  long_name[100] = '.';
  EXPECT_FALSE(encode_dns_query(1, long_name + ".example", kDnsTypeA));
  EXPECT_FALSE(encode_dns_query(1, std::string(64, 'a') + ".example", kDnsTypeA));
  EXPECT_FALSE(encode_dns_query(1, "a..example", kDnsTypeA));
}

TEST(DnsMessage, ManyPointersInARowAreRefused) {
  // 70 questions, each a bare pointer to the one before it (the first is the root): every name
  // is legal alone, but the walk of the last one takes more than kMaxPointers jumps.
  std::string m = header(70, 0);
  std::size_t previous = 0;
  for (int i = 0; i < 70; ++i) {
    const std::size_t here = m.size();
    m += i == 0 ? bytes({0}) : bytes({0xC0 | static_cast<int>(previous >> 8), static_cast<int>(previous & 0xFF)});
    m += bytes({0, 1, 0, 1});
    previous = here;
  }
  auto d = decode_dns_message(m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), DnsWireError::PointerLoop);
}

TEST(DnsMessage, EncodingRefusesAnAddressOfTheWrongFamily) {
  DnsMessage m;
  m.answers.push_back(a("x.example", "2001:db8::1"));
  auto e = encode_dns_message(m);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), DnsWireError::BadAddress);
  m.answers[0].address = "not-an-address";
  EXPECT_FALSE(encode_dns_message(m));
}

TEST(DnsMessage, OnlyAPlainQueryHasAQuestionForTheServer) {
  auto q = decode_dns_message(*encode_dns_query(1, "a.example", kDnsTypeA));
  ASSERT_TRUE(q);
  DnsMessage response = *q;
  response.response = true;
  EXPECT_FALSE(query_question(response));
  DnsMessage notify = *q;
  notify.opcode = 4;
  EXPECT_FALSE(query_question(notify));
  DnsMessage two = *q;
  two.questions.push_back(two.questions.front());
  EXPECT_FALSE(query_question(two));
}

TEST(DnsMessage, NamesCompareWithoutCaseAndFinalDot) {
  EXPECT_TRUE(same_dns_name("ITSP.Example.", "itsp.example"));
  EXPECT_FALSE(same_dns_name("itsp.example", "itsp.example.org"));
}

}  // namespace
}  // namespace resproxy::model
