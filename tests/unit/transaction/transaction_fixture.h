#pragma once
// A SipNode on a hand-stepped clock: feed datagrams and stream bytes, jump to deadlines, and look
// at what the node sent. Never sleeps; time only moves when a test moves it.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/sip/builder.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::transaction::testing {

using namespace std::chrono_literals;

inline const Address kLocal{"192.0.2.1", 5060};
inline const Address kPeer{"192.0.2.9", 5062};
inline const Path kUdpPath{Transport::Udp, kLocal, kPeer, StreamId{}};

// The transaction user under test: records everything, answers as the test says.
class RecordingUser final : public SipNode {
 public:
  using SipNode::SipNode;

  struct Request {
    ServerTransactionId id;
    std::string method;
  };
  struct Response {
    ClientTransactionId id;
    int status;
  };

  void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                  const Path&) override {
    requests.push_back({id, std::string(request.method_token())});
    if (answer) answer(now, id, request);
  }
  void on_ack(TimePoint, const sip::Message&, const Path&) override { ++acks; }
  void on_response(TimePoint, ClientTransactionId id, const sip::Message& response) override {
    responses.push_back({id, response.status_code()});
  }
  void on_stray_response(TimePoint, const sip::Message&, const Path&) override { ++strays; }
  void on_client_error(TimePoint, ClientTransactionId, TransactionError error) override {
    client_errors.push_back(error);
  }
  void on_server_error(TimePoint, ServerTransactionId, TransactionError error) override {
    server_errors.push_back(error);
  }

  std::function<void(TimePoint, ServerTransactionId, const sip::Message&)> answer;
  std::vector<Request> requests;
  std::vector<Response> responses;
  std::vector<TransactionError> client_errors;
  std::vector<TransactionError> server_errors;
  int acks = 0;
  int strays = 0;
};

struct Sent {
  TimePoint at;
  Effect effect;
};

class TransactionFixture {
 public:
  explicit TransactionFixture(TimerConfig timers = {})
      : node(SipNodeConfig{.transport = {.local = kLocal}, .timers = timers}, rng, trace) {}

  TimePoint now{std::chrono::seconds(1000)};  // arbitrary epoch, as a runtime would choose
  SeededRng rng{42};
  RecordingTraceSink trace;
  RecordingUser node;
  std::vector<Sent> sent;

  void drain() {
    while (auto effect = node.next_effect()) sent.push_back({now, std::move(*effect)});
  }
  void inject(std::string_view bytes, const Path& path = kUdpPath) {
    node.on_datagram(now, path, bytes);
    drain();
  }
  // Jumps from deadline to deadline up to `until`, then sets the clock there.
  void advance_to(TimePoint until) {
    while (auto deadline = node.next_deadline()) {
      if (*deadline > until) break;
      now = std::max(now, *deadline);
      node.on_deadline(now);
      drain();
    }
    now = until;
  }
  void advance(Duration d) { advance_to(now + d); }

  // Bytes of every datagram sent, in order.
  [[nodiscard]] std::vector<std::string> datagrams() const {
    std::vector<std::string> out;
    for (const auto& s : sent) {
      if (const auto* d = std::get_if<SendDatagram>(&s.effect)) out.push_back(d->bytes);
    }
    return out;
  }
  // Times at which a datagram starting with `prefix` left.
  [[nodiscard]] std::vector<Duration> send_times(std::string_view prefix, TimePoint from) const {
    std::vector<Duration> out;
    for (const auto& s : sent) {
      if (const auto* d = std::get_if<SendDatagram>(&s.effect);
          d != nullptr && std::string_view(d->bytes).starts_with(prefix)) {
        out.push_back(s.at - from);
      }
    }
    return out;
  }
  [[nodiscard]] int count_sent(std::string_view prefix) const {
    int n = 0;
    for (const auto& s : sent) {
      if (const auto* d = std::get_if<SendDatagram>(&s.effect);
          d != nullptr && std::string_view(d->bytes).starts_with(prefix)) {
        ++n;
      }
      if (const auto* w = std::get_if<WriteStream>(&s.effect);
          w != nullptr && std::string_view(w->bytes).starts_with(prefix)) {
        ++n;
      }
    }
    return n;
  }

  // A request from the node (client side) to kPeer; `extra` header fields go after Contact.
  ClientTransactionId send(std::string_view method, Transport transport = Transport::Udp,
                           const std::vector<sip::ExtraHeader>& extra = {}) {
    const std::string branch = node.transactions().new_branch();
    std::vector<sip::ExtraHeader> headers = {
        {"Via", node.via_for(transport, branch)},
        {"Max-Forwards", "70"},
        {"From", "<sip:alice@192.0.2.1>;tag=a1"},
        {"To", "<sip:bob@192.0.2.9>"},
        {"Call-ID", "call-" + std::to_string(++calls_) + "@test"},
        {"CSeq", "1 " + std::string(method)},
        {"Contact", "<sip:alice@192.0.2.1:5060>"}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    std::string bytes = sip::make_request(method, "sip:bob@192.0.2.9:5062", headers);
    auto request = sip::Message::parse(std::move(bytes));
    EXPECT_TRUE(request.has_value());
    const auto id = node.transactions().send_request(
        now, std::move(request).value(),
        transport::Destination{transport, kPeer, StreamId{}});
    drain();
    return id;
  }
  // The peer's answer to the last request the node sent.
  std::string answer_last(int status, std::string_view to_tag = "b1") {
    std::string request_bytes;
    for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
      if (const auto* d = std::get_if<SendDatagram>(&it->effect);
          d != nullptr && !std::string_view(d->bytes).starts_with("ACK") &&
          !std::string_view(d->bytes).starts_with("SIP/")) {
        request_bytes = d->bytes;
        break;
      }
      if (const auto* w = std::get_if<WriteStream>(&it->effect);
          w != nullptr && !std::string_view(w->bytes).starts_with("ACK")) {
        request_bytes = w->bytes;
        break;
      }
    }
    auto request = sip::Message::parse(request_bytes);
    EXPECT_TRUE(request.has_value());
    return sip::make_response(*request, status, sip::default_reason(status), to_tag);
  }

  // A request from the peer to the node.
  static std::string peer_request(std::string_view method, std::string_view branch,
                                  std::string_view extra_via_params = ";rport") {
    return sip::make_request(
        method, "sip:alice@192.0.2.1:5060",
        {{"Via", "SIP/2.0/UDP 192.0.2.9:5062;branch=" + std::string(branch) +
                     std::string(extra_via_params)},
         {"Max-Forwards", "70"},
         {"From", "<sip:bob@192.0.2.9>;tag=p1"},
         {"To", "<sip:alice@192.0.2.1>"},
         {"Call-ID", "peer-call@test"},
         {"CSeq", "7 " + std::string(method)}});
  }

 private:
  int calls_ = 0;
};

}  // namespace resproxy::transaction::testing
