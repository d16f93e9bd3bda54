// RFC 3261 §18.2.1 and RFC 3581 §4: the server transport stamps received and rport.
#include <gtest/gtest.h>

#include "proxy/transport/via_stamp.h"
#include "tests/unit/sip/same_message.h"

namespace resproxy::transport {
namespace {

std::string request_with_via(std::string_view via) {
  return "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: " + std::string(via) +
         ", SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKlower\r\nMax-Forwards: 70\r\n"
         "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

struct Case {
  std::string_view name;
  std::string_view via;
  Address source;
  std::optional<std::string_view> want;  // the stamped top via-parm; nullopt: unchanged
};

TEST(StampTopVia, AddsReceivedAndRportOnlyWhereTheRfcsSay) {
  const Case cases[] = {
      {"same host, no rport", "SIP/2.0/UDP 192.0.2.9:5062;branch=z9hG4bK1", {"192.0.2.9", 5062},
       std::nullopt},
      {"other host", "SIP/2.0/UDP phone.example:5062;branch=z9hG4bK1", {"192.0.2.9", 5062},
       "SIP/2.0/UDP phone.example:5062;branch=z9hG4bK1;received=192.0.2.9"},
      {"rport asked", "SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK1", {"198.51.100.7", 40000},
       "SIP/2.0/UDP 10.0.0.5:5060;rport=40000;branch=z9hG4bK1;received=198.51.100.7"},
      {"rport asked, same host", "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1;rport",
       {"192.0.2.9", 5060}, "SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK1;rport=5060;received=192.0.2.9"},
      {"stale received replaced", "SIP/2.0/UDP h.example;received=1.2.3.4;branch=z9hG4bK1",
       {"192.0.2.9", 5060}, "SIP/2.0/UDP h.example;branch=z9hG4bK1;received=192.0.2.9"},
      {"ipv6 reference matches", "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1",
       {"2001:db8::9", 5060}, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto request = sip::Message::parse(request_with_via(c.via));
    ASSERT_TRUE(request.has_value());
    const auto stamped = stamped_top_via(*request, c.source);
    ASSERT_EQ(stamped.has_value(), c.want.has_value());
    if (stamped) {
      EXPECT_EQ(*stamped, *c.want);
    }

    // In place: the bytes the RFCs want, and a message identical to a parse of them.
    const sip::Message before = *request;
    EXPECT_EQ(stamp_top_via(*request, c.source), c.want.has_value());
    if (!c.want) {
      sip::testing::expect_same_message(*request, before);
      continue;
    }
    EXPECT_EQ(request->bytes(), request_with_via(*c.want));
    auto reparsed = sip::Message::parse(request_with_via(*c.want));
    ASSERT_TRUE(reparsed.has_value());
    sip::testing::expect_same_message(*request, *reparsed);
    EXPECT_EQ(request->top_via().received, std::optional<std::string_view>(c.source.ip));
    EXPECT_EQ(request->via_count(), 2u);
  }
}

TEST(StampTopVia, FoldedAndCompactViasStampLikeAReparse) {
  const std::string bytes =
      "REGISTER sip:x SIP/2.0\r\n"
      "v: SIP / 2.0 / UDP\r\n phone.example:5062\r\n ;rport\r\n ;branch=z9hG4bK7 ,"
      " SIP/2.0/TCP 10.0.0.9;branch=z9hG4bK8\r\n"
      "From: <sip:u@x>;tag=1\r\nTo: <sip:u@x>\r\nCall-ID: c3\r\nCSeq: 3 REGISTER\r\n"
      "Contact: <sip:u@10.0.0.1:5062>\r\nContent-Length: 0\r\n\r\n";
  auto request = sip::Message::parse(bytes);
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(stamp_top_via(*request, Address{"198.51.100.7", 40000}));
  auto reparsed = sip::Message::parse(std::string(request->bytes()));
  ASSERT_TRUE(reparsed.has_value());
  sip::testing::expect_same_message(*request, *reparsed);
  EXPECT_EQ(request->top_via().rport, 40000);
  EXPECT_EQ(request->top_via().received, "198.51.100.7");
  EXPECT_EQ(request->top_via().host, "phone.example");
  EXPECT_EQ(request->via_count(), 2u);
  // The fold before the first parameter goes with the whitespace; the later one is rewritten.
  EXPECT_EQ(*stamped_top_via(sip::Message::parse(bytes).value(), Address{"198.51.100.7", 40000}),
            "SIP / 2.0 / UDP\r\n phone.example:5062;rport=40000;branch=z9hG4bK7;"
            "received=198.51.100.7");
}

}  // namespace
}  // namespace resproxy::transport
