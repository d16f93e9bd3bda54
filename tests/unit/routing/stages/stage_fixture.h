#pragma once
// One request for one stage: the request and where it came from, and the RequestContext a stage
// reads. No ProxyNode: each stage test builds the stage from just what it reads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/routing/stages/stage.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::routing::stages::testing {

using namespace std::chrono_literals;

inline const TimePoint kNow{std::chrono::hours(1)};
inline const Address kProxy{"192.168.1.10", 5060};
inline const Address kPhone{"192.168.1.21", 5060};
inline const Address kOutsider{"203.0.113.9", 5060};

inline sip::Message parse(const std::string& bytes) {
  auto m = sip::Message::parse(bytes);
  EXPECT_TRUE(m.has_value()) << bytes;
  return std::move(m).value();
}

// A request as a phone at `from` sends it: one Via, Max-Forwards 70, CSeq 1, plus `extra`.
// `to_tag` non-empty: an in-dialog request.
inline std::string request_text(std::string_view method, std::string_view ruri, const Address& from,
                                std::vector<sip::ExtraHeader> extra = {}, std::string_view to_tag = {},
                                std::string_view via = {}) {
  std::vector<sip::ExtraHeader> headers = {
      {"Via",
       via.empty() ? "SIP/2.0/UDP " + from.to_string() + ";branch=z9hG4bKst1;rport" : std::string(via)},
      {"Max-Forwards", "70"},
      {"From", "<sip:2001@office.example>;tag=f1"},
      {"To", "<" + std::string(ruri) + ">" + (to_tag.empty() ? "" : ";tag=" + std::string(to_tag))},
      {"Call-ID", "stage-call-1"},
      {"CSeq", "1 " + std::string(method)}};
  // Extra headers that replace a default one (same name) do so; the rest are appended.
  for (auto& e : extra) {
    bool replaced = false;
    for (auto& h : headers) {
      if (h.name == e.name) {
        h.value = e.value;
        replaced = true;
      }
    }
    if (!replaced) headers.push_back(std::move(e));
  }
  return sip::make_request(method, ruri, headers);
}

// The request, its path and the context of one pass through the stages.
struct StageInput {
  StageInput(std::string bytes, Path from) : request(parse(bytes)), path(std::move(from)) {}
  StageInput(const StageInput&) = delete;  // the context refers to this one's request and path
  StageInput& operator=(const StageInput&) = delete;

  sip::Message request;
  Path path;
  RequestContext context{
      .now = kNow, .id = transaction::ServerTransactionId{7}, .request = request, .path = path};
};

inline Path udp_from(const Address& remote) { return Path{Transport::Udp, kProxy, remote, StreamId{}, 0}; }

inline StageInput input(std::string_view method, std::string_view ruri, const Address& from = kPhone,
                        std::vector<sip::ExtraHeader> extra = {}, std::string_view to_tag = {}) {
  return StageInput(request_text(method, ruri, from, std::move(extra), to_tag), udp_from(from));
}

// The value of the header `name` in a decision's response headers ("" if none).
inline std::string header_of(const Decision& d, std::string_view name) {
  for (const auto& h : d.headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

}  // namespace resproxy::routing::stages::testing
