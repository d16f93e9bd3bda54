// The simulated DNS server's answers (model/dns_zone.h) and the ns-3 stub resolver's reading of
// them (model/dns_stub.h): records, NODATA, NXDOMAIN, errors, changes, and what the core gets.
#include "model/dns_stub.h"
#include "model/dns_zone.h"

#include <gtest/gtest.h>

namespace resproxy::model {
namespace {

using namespace std::chrono_literals;

DnsRecord a(std::string ip, std::uint32_t ttl = 30) {
  DnsRecord r;
  r.type = kDnsTypeA;
  r.ttl = ttl;
  r.address = std::move(ip);
  return r;
}

DnsRecord srv(std::uint16_t priority, std::uint16_t weight, std::uint16_t port, std::string target,
              std::uint32_t ttl = 60) {
  DnsRecord r;
  r.type = kDnsTypeSrv;
  r.ttl = ttl;
  r.srv = DnsSrvData{priority, weight, port, std::move(target)};
  return r;
}

DnsZone itsp_zone() {
  DnsZone zone;
  zone.set("_sip._udp.itsp.example", kDnsTypeSrv,
           {srv(10, 60, 5060, "sip1.itsp.example"), srv(20, 0, 5070, "sip2.itsp.example", 45)});
  zone.set("sip1.itsp.example", kDnsTypeA, {a("10.0.4.2")});
  zone.set("sip2.itsp.example", kDnsTypeA, {a("10.0.4.3", 20), a("10.0.4.4", 40)});
  return zone;
}

DnsMessage ask(const DnsZone& zone, std::string_view name, std::uint16_t type, std::uint16_t id = 77) {
  auto query = encode_dns_query(id, name, type);
  EXPECT_TRUE(query);
  auto reply = zone.respond(*query);
  EXPECT_TRUE(reply.has_value());
  auto decoded = decode_dns_message(reply.value_or(""));
  EXPECT_TRUE(decoded);
  return decoded ? *decoded : DnsMessage{};
}

TEST(DnsZone, AnswersTheRecordsOfTheAskedNameAndType) {
  const DnsZone zone = itsp_zone();
  const DnsMessage reply = ask(zone, "SIP2.itsp.example", kDnsTypeA);
  EXPECT_EQ(reply.id, 77);
  EXPECT_TRUE(reply.authoritative);
  EXPECT_EQ(reply.rcode, DnsRcode::NoError);
  ASSERT_EQ(reply.answers.size(), 2u);
  EXPECT_EQ(reply.answers[0].address, "10.0.4.3");
  EXPECT_EQ(reply.answers[1].address, "10.0.4.4");
  const DnsAnswer read = interpret_dns_answer(reply, reply.questions.front());
  EXPECT_EQ(read.error, NameError::None);
  EXPECT_EQ(read.addresses, (std::vector<std::string>{"10.0.4.3", "10.0.4.4"}));
  EXPECT_EQ(read.ttl, 20s);  // the smallest TTL
}

TEST(DnsZone, SrvRecordsReachTheCoreAsTheyAre) {
  const DnsMessage reply = ask(itsp_zone(), "_sip._udp.itsp.example", kDnsTypeSrv);
  const DnsAnswer read = interpret_dns_answer(reply, reply.questions.front());
  ASSERT_EQ(read.services.size(), 2u);
  EXPECT_EQ(read.services[0], (SrvRecord{10, 60, 5060, "sip1.itsp.example"}));
  EXPECT_EQ(read.services[1], (SrvRecord{20, 0, 5070, "sip2.itsp.example"}));
  EXPECT_EQ(read.ttl, 45s);
  const NameResolved done = combine_dns_answers(5, {read});
  EXPECT_EQ(done.id, 5u);
  EXPECT_EQ(done.error, NameError::None);
  EXPECT_EQ(done.services.size(), 2u);
  EXPECT_EQ(done.ttl, 45s);
}

TEST(DnsZone, NodataForAnotherTypeNxdomainForAnUnknownName) {
  const DnsZone zone = itsp_zone();
  const DnsMessage nodata = ask(zone, "sip1.itsp.example", kDnsTypeAaaa);
  EXPECT_EQ(nodata.rcode, DnsRcode::NoError);
  EXPECT_TRUE(nodata.answers.empty());
  EXPECT_EQ(interpret_dns_answer(nodata, nodata.questions.front()).error, NameError::NoRecords);
  const DnsMessage nx = ask(zone, "nowhere.example", kDnsTypeA);
  EXPECT_EQ(nx.rcode, DnsRcode::NameError);
  EXPECT_EQ(interpret_dns_answer(nx, nx.questions.front()).error, NameError::NotFound);
}

TEST(DnsZone, AChangeReplacesTheRecordsOfOneNameAndType) {
  DnsZone zone = itsp_zone();
  zone.set("sip1.itsp.example", kDnsTypeA, {a("10.0.4.9", 30)});
  DnsMessage reply = ask(zone, "sip1.itsp.example", kDnsTypeA);
  ASSERT_EQ(reply.answers.size(), 1u);
  EXPECT_EQ(reply.answers[0].address, "10.0.4.9");
  EXPECT_EQ(ask(zone, "_sip._udp.itsp.example", kDnsTypeSrv).answers.size(), 2u);  // untouched
  zone.set("sip1.itsp.example", kDnsTypeA, {});
  EXPECT_EQ(ask(zone, "sip1.itsp.example", kDnsTypeA).rcode, DnsRcode::NameError);
}

TEST(DnsZone, NonQueriesGetErrorsOrNothing) {
  const DnsZone zone = itsp_zone();
  EXPECT_FALSE(zone.respond("garbage"));  // no header: nothing to answer
  // A header that parses but a body that does not: FORMERR with the id.
  std::string broken = *encode_dns_query(0x4242, "sip1.itsp.example", kDnsTypeA);
  broken.resize(broken.size() - 3);
  auto formerr = decode_dns_message(zone.respond(broken).value_or(""));
  ASSERT_TRUE(formerr);
  EXPECT_EQ(formerr->id, 0x4242);
  EXPECT_EQ(formerr->rcode, DnsRcode::FormatError);
  // An answer is never answered.
  auto answer = encode_dns_message(dns_answer(*decode_dns_message(*encode_dns_query(1, "x.example", 1)), {}));
  EXPECT_FALSE(zone.respond(*answer));
  // Another opcode: NOTIMP.
  DnsMessage notify = *decode_dns_message(*encode_dns_query(2, "x.example", 1));
  notify.opcode = 4;
  auto notimp = decode_dns_message(zone.respond(*encode_dns_message(notify)).value_or(""));
  ASSERT_TRUE(notimp);
  EXPECT_EQ(notimp->rcode, DnsRcode::NotImplemented);
}

TEST(DnsStub, ServerErrorsAndTruncationAreServerFailures) {
  const DnsQuestion q{"sip1.itsp.example", kDnsTypeA, kDnsClassIn};
  DnsMessage query;
  query.questions = {q};
  for (auto rcode : {DnsRcode::ServerFailure, DnsRcode::Refused, DnsRcode::FormatError}) {
    EXPECT_EQ(interpret_dns_answer(dns_error_response(query, rcode), q).error, NameError::ServerFailure);
  }
  DnsMessage truncated = dns_answer(query, {});
  truncated.truncated = true;
  EXPECT_EQ(interpret_dns_answer(truncated, q).error, NameError::ServerFailure);
}

TEST(DnsStub, RecordsOfOtherNamesOrTypesDoNotCount) {
  const DnsQuestion q{"sip1.itsp.example", kDnsTypeA, kDnsClassIn};
  DnsMessage query;
  query.questions = {q};
  DnsRecord other = a("192.0.2.66");
  other.name = "evil.example";
  DnsRecord v6;
  v6.name = "sip1.itsp.example";
  v6.type = kDnsTypeAaaa;
  v6.address = "2001:db8::1";
  EXPECT_EQ(interpret_dns_answer(dns_answer(query, {other, v6}), q).error, NameError::NoRecords);
}

TEST(DnsStub, AnAnswerMustMatchTheQuery) {
  const DnsQuestion q{"sip1.itsp.example", kDnsTypeA, kDnsClassIn};
  DnsMessage query;
  query.id = 9;
  query.questions = {q};
  const DnsMessage reply = dns_answer(query, {});
  EXPECT_TRUE(answers_query(reply, 9, q));
  EXPECT_FALSE(answers_query(reply, 10, q));
  EXPECT_FALSE(answers_query(query, 9, q));  // not a response
  EXPECT_FALSE(answers_query(reply, 9, DnsQuestion{"sip2.itsp.example", kDnsTypeA, kDnsClassIn}));
}

TEST(DnsStub, AddressLookUpsCombineIpv4FirstAndTheWorstError) {
  EXPECT_EQ(dns_query_types(RecordKind::Address, false), (std::vector<std::uint16_t>{kDnsTypeA}));
  EXPECT_EQ(dns_query_types(RecordKind::Address, true),
            (std::vector<std::uint16_t>{kDnsTypeA, kDnsTypeAaaa}));
  EXPECT_EQ(dns_query_types(RecordKind::Srv, true), (std::vector<std::uint16_t>{kDnsTypeSrv}));
  DnsAnswer v4{.addresses = {"10.0.4.2"}, .ttl = 30s};
  DnsAnswer v6{.addresses = {"2001:db8::2"}, .ttl = 10s};
  NameResolved both = combine_dns_answers(1, {v4, v6});
  EXPECT_EQ(both.addresses, (std::vector<std::string>{"10.0.4.2", "2001:db8::2"}));
  EXPECT_EQ(both.ttl, 10s);
  DnsAnswer nodata{.error = NameError::NoRecords};
  NameResolved one = combine_dns_answers(2, {v4, nodata});
  EXPECT_EQ(one.error, NameError::None);
  EXPECT_EQ(one.ttl, 30s);
  DnsAnswer timeout{.error = NameError::Timeout};
  EXPECT_EQ(combine_dns_answers(3, {nodata, timeout}).error, NameError::Timeout);
  DnsAnswer nx{.error = NameError::NotFound};
  EXPECT_EQ(combine_dns_answers(4, {nx, nodata}).error, NameError::NotFound);
}

}  // namespace
}  // namespace resproxy::model
