// IpRange and parse_ip: the textual forms of RFC 4291 §2.2 and dotted quads, CIDR and a-b
// ranges, and the default trusted ranges.
#include "proxy/security/ip_range.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string_view>

namespace resproxy::security {
namespace {

Ip128 ip(std::string_view text) {
  const auto parsed = parse_ip(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(Ip128{});
}

Ip128 bytes(std::initializer_list<int> values) {
  Ip128 out{};
  std::size_t i = 0;
  for (int v : values) out[i++] = static_cast<std::uint8_t>(v);
  return out;
}

TEST(ParseIp, AcceptsEveryTextualForm) {
  struct Case {
    std::string_view name, text;
    Ip128 want;
  };
  const auto cases = std::to_array<Case>({
      {"ipv4", "192.0.2.1", bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1})},
      {"ipv4 zeros", "0.0.0.0", bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0})},
      {"ipv4 max", "255.255.255.255",
       bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255})},
      {"unspecified", "::", Ip128{}},
      {"loopback", "::1", bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})},
      {"full", "2001:0db8:0000:0000:0000:0000:0000:0001",
       bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})},
      {"compressed middle", "2001:db8::1",
       bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})},
      {"compressed end", "fe80::", bytes({0xfe, 0x80})},
      {"compressed one group", "1:2:3:4:5:6:7::",
       bytes({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0})},
      {"compressed first group", "::2:3:4:5:6:7:8",
       bytes({0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8})},
      {"upper case hex", "FE80::ABCD", bytes({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                               0xab, 0xcd})},
      {"mapped ipv4 equals ipv4", "::ffff:192.0.2.1",
       bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1})},
      {"embedded ipv4 after groups", "64:ff9b::192.0.2.33",
       bytes({0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33})},
      {"six groups then ipv4", "1:2:3:4:5:6:1.2.3.4",
       bytes({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4})},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto got = parse_ip(c.text);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParseIp, RefusesMalformedText) {
  const auto cases = std::to_array<std::string_view>({
      "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "01.2.3.4", "1..2.3", "1.2.3.4 ",
      " 1.2.3.4", "a.b.c.d", "1.2.3.4/8", ":", ":::", "1:::2", "1::2::3", ":1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "::1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8::", "12345::", "g::1", "[::1]", "fe80::1%eth0", "::1.2.3", "1.2.3.4::",
      "1:2:3:4:5:6:7:1.2.3.4", "::ffff:256.0.0.1", "example.com",
  });
  for (const auto text : cases) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse_ip(text).has_value());
  }
}

TEST(IpRange, ParsesSingleAddressesCidrAndDashRanges) {
  struct Case {
    std::string_view name, text, min, max;
  };
  const auto cases = std::to_array<Case>({
      {"single v4", "192.0.2.7", "192.0.2.7", "192.0.2.7"},
      {"single v6", "2001:db8::7", "2001:db8::7", "2001:db8::7"},
      {"cidr /8", "10.0.0.0/8", "10.0.0.0", "10.255.255.255"},
      {"cidr /12", "172.16.0.0/12", "172.16.0.0", "172.31.255.255"},
      {"cidr /32", "192.0.2.1/32", "192.0.2.1", "192.0.2.1"},
      {"cidr /0 stays ipv4", "0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
      {"cidr host bits ignored", "10.1.2.3/8", "10.0.0.0", "10.255.255.255"},
      {"cidr v6 /7", "fc00::/7", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"cidr v6 /10", "fe80::/10", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"cidr v6 /128", "::1/128", "::1", "::1"},
      {"cidr v6 /0", "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"dash v4", "192.0.2.10-192.0.2.20", "192.0.2.10", "192.0.2.20"},
      {"dash spaced", " 192.0.2.10 - 192.0.2.20 ", "192.0.2.10", "192.0.2.20"},
      {"dash equal bounds", "192.0.2.10-192.0.2.10", "192.0.2.10", "192.0.2.10"},
      {"dash v6", "2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto range = IpRange::parse(c.text);
    ASSERT_TRUE(range.has_value());
    EXPECT_EQ(range->min, ip(c.min));
    EXPECT_EQ(range->max, ip(c.max));
  }
}

TEST(IpRange, RefusesMalformedRanges) {
  const auto cases = std::to_array<std::string_view>({
      "", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "::/129", "10.0.0.0/8/8",
      "192.0.2.20-192.0.2.10",  // min > max
      "192.0.2.1-2001:db8::1",  // families differ
      "::1-127.0.0.1", "192.0.2.1-", "-192.0.2.1", "bogus",
  });
  for (const auto text : cases) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(IpRange::parse(text).has_value());
  }
}

TEST(IpRange, FromBoundsChecksOrderAndFamily) {
  EXPECT_TRUE(IpRange::from_bounds("10.0.0.1", "10.0.0.9").has_value());
  EXPECT_FALSE(IpRange::from_bounds("10.0.0.9", "10.0.0.1").has_value());
  EXPECT_FALSE(IpRange::from_bounds("10.0.0.1", "::ffff:ffff").has_value());
  EXPECT_TRUE(IpRange::from_bounds("::ffff:10.0.0.1", "10.0.0.9").has_value());  // both IPv4
  EXPECT_FALSE(IpRange::from_bounds("10.0.0.1", "nonsense").has_value());
}

TEST(IpRange, ContainsIsInclusive) {
  const auto range = IpRange::parse("192.0.2.10-192.0.2.20").value();
  EXPECT_FALSE(range.contains(ip("192.0.2.9")));
  EXPECT_TRUE(range.contains(ip("192.0.2.10")));
  EXPECT_TRUE(range.contains(ip("192.0.2.15")));
  EXPECT_TRUE(range.contains(ip("192.0.2.20")));
  EXPECT_FALSE(range.contains(ip("192.0.2.21")));
}

TEST(IpRange, Ipv4RangeNeverMatchesIpv6Addresses) {
  const auto all_v4 = IpRange::parse("0.0.0.0/0").value();
  EXPECT_TRUE(all_v4.contains(ip("203.0.113.9")));
  EXPECT_FALSE(all_v4.contains(ip("::1")));
  EXPECT_FALSE(all_v4.contains(ip("2001:db8::1")));
  EXPECT_FALSE(all_v4.contains(ip("::")));
}

TEST(DefaultTrustedRanges, CoverLoopbackAndPrivateRangesOnly) {
  const auto ranges = default_trusted_ranges();
  struct Case {
    std::string_view ip;
    bool trusted;
  };
  const auto cases = std::to_array<Case>({
      {"127.0.0.1", true},       {"127.255.255.255", true}, {"10.0.0.1", true},
      {"10.255.255.255", true},  {"172.16.0.1", true},      {"172.31.255.255", true},
      {"172.15.255.255", false}, {"172.32.0.0", false},     {"192.168.1.10", true},
      {"192.169.0.1", false},    {"11.0.0.1", false},       {"8.8.8.8", false},
      {"203.0.113.5", false},    {"::1", true},             {"::2", false},
      {"fc00::1", true},         {"fd12:3456::1", true},    {"fe00::1", false},
      {"fe80::1", true},         {"febf::1", true},         {"fec0::1", false},
      {"2001:db8::1", false},    {"::ffff:10.1.2.3", true}, {"::ffff:8.8.8.8", false},
      {"not an ip", false},      {"", false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ip);
    EXPECT_EQ(any_contains(ranges, c.ip), c.trusted);
  }
}

TEST(AnyContains, EmptyListContainsNothing) { EXPECT_FALSE(any_contains({}, "127.0.0.1")); }

}  // namespace
}  // namespace resproxy::security
