#pragma once
// Test helper: two parsed messages answer every accessor alike (bytes, start line, each header
// field's id/name/value/raw, every eagerly parsed value). Used to check that an in-place edit
// (Message::replace_top_via) leaves exactly what Message::parse of the new bytes gives.
#include <string>

#include <gtest/gtest.h>

#include "proxy/sip/message.h"

namespace resproxy::sip::testing {

inline void expect_same_message(const Message& got, const Message& want) {
  EXPECT_EQ(got.bytes(), want.bytes());
  EXPECT_EQ(got.is_request(), want.is_request());
  EXPECT_EQ(got.method(), want.method());
  EXPECT_EQ(got.method_token(), want.method_token());
  EXPECT_EQ(got.request_uri(), want.request_uri());
  EXPECT_EQ(got.status_code(), want.status_code());
  EXPECT_EQ(got.reason_phrase(), want.reason_phrase());
  ASSERT_EQ(got.headers().size(), want.headers().size());
  for (std::size_t i = 0; i < got.headers().size(); ++i) {
    SCOPED_TRACE("header " + std::to_string(i));
    const HeaderField& a = got.headers()[i];
    const HeaderField& b = want.headers()[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.value, b.value);
    EXPECT_EQ(a.raw, b.raw);
  }
  for (std::size_t id = 0; id < kHeaderIdCount; ++id) {
    const auto h = static_cast<HeaderId>(id);
    EXPECT_EQ(got.count(h), want.count(h));
    EXPECT_EQ(got.first(h) == nullptr, want.first(h) == nullptr);
    if (got.first(h) != nullptr && want.first(h) != nullptr) {
      EXPECT_EQ(got.first(h) - got.headers().data(), want.first(h) - want.headers().data());
    }
  }
  const ViaInfo& va = got.top_via();
  const ViaInfo& vb = want.top_via();
  EXPECT_EQ(va.transport, vb.transport);
  EXPECT_EQ(va.host, vb.host);
  EXPECT_EQ(va.port, vb.port);
  EXPECT_EQ(va.branch, vb.branch);
  EXPECT_EQ(va.received, vb.received);
  EXPECT_EQ(va.has_rport, vb.has_rport);
  EXPECT_EQ(va.rport, vb.rport);
  EXPECT_EQ(got.via_count(), want.via_count());
  EXPECT_EQ(got.call_id(), want.call_id());
  EXPECT_EQ(got.cseq().number, want.cseq().number);
  EXPECT_EQ(got.cseq().method, want.cseq().method);
  EXPECT_EQ(got.cseq().method_token, want.cseq().method_token);
  EXPECT_EQ(got.from_tag(), want.from_tag());
  EXPECT_EQ(got.to_tag(), want.to_tag());
  EXPECT_EQ(got.max_forwards(), want.max_forwards());
  EXPECT_EQ(got.body(), want.body());
  // Every view points into the message's own bytes.
  const char* begin = got.bytes().data();
  const char* end = begin + got.bytes().size();
  for (const HeaderField& h : got.headers()) {
    EXPECT_TRUE(h.raw.data() >= begin && h.raw.data() + h.raw.size() <= end);
  }
  if (!va.host.empty()) {
    EXPECT_TRUE(va.host.data() >= begin && va.host.data() < end);
  }
}

}  // namespace resproxy::sip::testing
