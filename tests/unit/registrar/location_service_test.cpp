// Bindings as stored records, and the location service's lookups (RFC 3261 §10.3, §19.1.4).
#include <gtest/gtest.h>

#include "proxy/registrar/location_service.h"

namespace resproxy::registrar {
namespace {

using namespace std::chrono_literals;

Binding make(std::string user, std::string contact, TimePoint expires, std::uint64_t sequence) {
  Binding b;
  b.user = std::move(user);
  b.domain = "office.example";
  b.contact = std::move(contact);
  b.call_id = "c1";
  b.cseq = 3;
  b.expires_at = expires;
  b.registered_at = expires - 3600s;
  b.sequence = sequence;
  b.source = Path{Transport::Tcp, {"192.0.2.1", 5060}, {"198.51.100.7", 40000}, StreamId{4}};
  b.user_agent = "Phone/1.0 (with | and : and 12:x)";
  return b;
}

TEST(BindingRecord, RoundTripsEveryFieldAcrossAWallClockOffset) {
  const Binding b = make("2001", "sip:2001@192.0.2.21:5060;transport=tcp", from_ns(7'200'000'000'000), 9);
  const std::string value = encode_binding(b, 1000s);
  // A restart has another core epoch: the same wall-clock instant maps to other core times.
  auto decoded = decode_binding(value, 1000s);
  ASSERT_TRUE(decoded.has_value());
  Binding want = b;
  want.source.stream = StreamId{};  // a connection never survives a restart
  EXPECT_EQ(*decoded, want);
  auto shifted = decode_binding(value, 400s);
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(shifted->expires_at, b.expires_at + 600s);
}

TEST(BindingRecord, ATlsBindingStaysTlsAcrossARestart) {
  Binding b = make("2001", "sip:2001@192.0.2.21:5061;transport=tls", from_ns(7'200'000'000'000), 3);
  b.source.transport = Transport::Tls;
  auto decoded = decode_binding(encode_binding(b, 0s), 0s);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->source.transport, Transport::Tls);  // never reached in the clear after it
}

TEST(BindingRecord, CarriesItsRevisionAndReadsTheFormatBeforeIt) {
  Binding b = make("2001", "sip:2001@192.0.2.21:5060", from_ns(7'200'000'000'000), 4);
  b.revision = 41;
  const std::string value = encode_binding(b, 0s);
  auto decoded = decode_binding(value, 0s);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->revision, 41u);
  // 0.2's records (b2) have no revision: read as 0, so any later write supersedes them.
  std::string b2 = value.substr(0, value.size() - std::string_view("2:41").size());
  b2.replace(0, 4, "2:b2");
  auto old = decode_binding(b2, 0s);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->revision, 0u);
  EXPECT_EQ(old->contact, b.contact);
  // A b3 record without its revision, or a b2 record with one, is refused, not guessed at.
  std::string short_b3 = b2;
  short_b3.replace(0, 4, "2:b3");
  EXPECT_FALSE(decode_binding(short_b3, 0s).has_value());
  std::string long_b2 = value;
  long_b2.replace(0, 4, "2:b2");
  EXPECT_FALSE(decode_binding(long_b2, 0s).has_value());
}

TEST(BindingRecord, TheHigherRevisionSupersedesWhateverItsTimes) {
  Binding a = make("2001", "sip:2001@a", from_ns(9'000'000'000'000), 1);
  Binding b = a;
  b.revision = a.revision + 1;
  b.registered_at = a.registered_at - 60s;  // written by a proxy whose clock is behind
  EXPECT_TRUE(supersedes(b, a));
  EXPECT_FALSE(supersedes(a, b));
  // Equal revisions (two proxies raced): the later registration wins, the same for every reader.
  b.revision = a.revision;
  EXPECT_TRUE(supersedes(a, b));
  EXPECT_FALSE(supersedes(b, a));
  EXPECT_FALSE(supersedes(a, a));
}

TEST(BindingRecord, RejectsGarbageInsteadOfCrashing) {
  for (std::string_view bad : {"", "2:b1", "x", "2:b13:abc", "99999999999:x",
                               "2:b14:20011:x"}) {
    EXPECT_FALSE(decode_binding(bad, {}).has_value()) << bad;
  }
  EXPECT_EQ(binding_key("2001", "sip:2001@h"), "reg/2001/sip:2001@h");
}

TEST(LocationService, LatestIsTheLastRegisteredLiveBinding) {
  LocationService location;
  const TimePoint now = from_ns(1'000'000'000'000);
  location.upsert(make("2001", "sip:2001@a", now + 60s, 1));
  location.upsert(make("2001", "sip:2001@b", now + 60s, 2));
  location.upsert(make("2001", "sip:2001@c", now - 1s, 3));  // expired
  ASSERT_NE(location.latest("2001", now), nullptr);
  EXPECT_EQ(location.latest("2001", now)->contact, "sip:2001@b");
  EXPECT_EQ(location.bindings("2001", now).size(), 2u);
  EXPECT_EQ(location.latest("2002", now), nullptr);
}

TEST(LocationService, MatchesContactsTheWayRfc3261ComparesUris) {
  LocationService location;
  const TimePoint now = from_ns(1'000'000'000'000);
  location.upsert(make("2001", "sip:2001@Phone.Example:5060;transport=tcp", now + 60s, 1));
  EXPECT_NE(location.find_by_contact("sip:2001@phone.example:5060;TRANSPORT=TCP", now), nullptr);
  EXPECT_EQ(location.find_by_contact("sip:2001@phone.example", now), nullptr);  // port matters
  // Refreshing an equal URI replaces the binding rather than adding one.
  location.upsert(make("2001", "sip:2001@phone.example:5060;transport=TCP", now + 120s, 2));
  EXPECT_EQ(location.size(), 1u);
}

TEST(LocationService, TakesExpiredBindingsInExpiryOrder) {
  LocationService location;
  const TimePoint now = from_ns(1'000'000'000'000);
  location.upsert(make("2001", "sip:2001@a", now + 30s, 1));
  location.upsert(make("2002", "sip:2002@a", now + 10s, 2));
  location.upsert(make("2003", "sip:2003@a", now + 90s, 3));
  EXPECT_EQ(location.next_expiry(), now + 10s);
  const auto expired = location.take_expired(now + 30s);
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[0].user, "2002");
  EXPECT_EQ(expired[1].user, "2001");
  EXPECT_EQ(location.size(), 1u);
  EXPECT_EQ(location.next_expiry(), now + 90s);
}

TEST(LocationService, ResolvesAliasesAndTheLocalDirectory) {
  LocationService location;
  location.add_alias("441344784901", "2001");
  location.add_directory_entry("4000", "sip:4000@192.0.2.50");
  EXPECT_EQ(location.resolve_alias("441344784901"), "2001");
  EXPECT_EQ(location.resolve_alias("2002"), "2002");
  ASSERT_NE(location.directory_contact("4000"), nullptr);
  EXPECT_EQ(*location.directory_contact("4000"), "sip:4000@192.0.2.50");
  EXPECT_EQ(location.directory_contact("4001"), nullptr);
}

}  // namespace
}  // namespace resproxy::registrar
