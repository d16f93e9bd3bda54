#pragma once
// Shared by the native tests that run a GatewayNode on the emulated office (card_host_test.cpp,
// media_bridge_test.cpp, media_bridge_dtmf_test.cpp): the office's cards, the gateway's
// configuration for it, resproxy played by hand on a loopback UDP socket, and a free UDP port.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/gateway/gateway_node.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::native::test_support {

// The office: E1 "e1-1" on `span` (DDI 01632 961000-961099), the demo's PSTN (01632 960xxx
// answer after 2-5 s).
inline telephony::TelephonyHostConfig office(gateway::SpanId span) {
  telephony::TelephonyHostConfig c;
  c.exchange.spans.push_back({.name = "e1-1", .ddi_first = "01632961000",
                              .ddi_last = "01632961099", .ddi_digits = 0, .span = {}});
  telephony::E1CardSlot e1;
  e1.card.span = span;
  e1.card.name = "e1-1";
  e1.exchange_port = "e1-1";
  c.e1.push_back(e1);
  return c;
}

// A gateway on loopback that sends every national number ("0.") to group "e1" (the office's
// E1 on `span`) and its own requests to `proxy`.
inline gateway::GatewayConfig gateway_config(const Address& proxy, gateway::SpanId span) {
  gateway::GatewayConfig c;
  c.sip.transport.local = Address{"127.0.0.1", 0};
  c.proxy = proxy;
  gateway::DialPlanRule rule;
  rule.name = "national";
  rule.called = gateway::NumberPattern::parse("0.").value();
  rule.target = {.kind = gateway::RouteTarget::Kind::Group, .group = "e1"};
  c.dial_plan.rules.push_back(rule);
  c.groups.push_back({.name = "e1", .spans = {span}, .hunt = gateway::HuntPolicy::LowestFree,
                      .emergency_reserve = 0, .reserve_applies_to_incoming = true});
  c.media_address = "127.0.0.1";
  return c;
}

// resproxy, played by hand: sends requests, collects what comes back.
struct SipPeer {
  explicit SipPeer(boost::asio::io_context& io)
      : socket(io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    receive();
  }
  void send_to(const Address& to, const std::string& bytes) {
    socket.send_to(boost::asio::buffer(bytes),
                   boost::asio::ip::udp::endpoint(boost::asio::ip::make_address(to.ip), to.port));
  }
  void receive() {
    socket.async_receive_from(boost::asio::buffer(buffer), sender,
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec) return;
                                received.emplace_back(buffer.data(), n);
                                receive();
                              });
  }
  Address address() const { return Address{"127.0.0.1", socket.local_endpoint().port()}; }
  // The first message received whose start line begins with `start`, from index `from` on.
  const std::string* find(std::string_view start, std::size_t from = 0) const {
    for (std::size_t i = from; i < received.size(); ++i) {
      if (received[i].starts_with(start)) return &received[i];
    }
    return nullptr;
  }
  bool saw(std::string_view start) const { return find(start) != nullptr; }

  boost::asio::ip::udp::socket socket;
  std::array<char, 65536> buffer{};
  boost::asio::ip::udp::endpoint sender;
  std::vector<std::string> received;
};

// The value of header `name` in `message` ("" when absent).
inline std::string header(const std::string& message, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ":";
  const auto at = message.find(key);
  if (at == std::string::npos) return {};
  auto begin = at + key.size();
  while (begin < message.size() && message[begin] == ' ') ++begin;
  return message.substr(begin, message.find("\r\n", begin) - begin);
}

// A request of the one dialog `call_id` from resproxy at `from` (an SDP body if not empty).
inline std::string request(std::string_view call_id, std::string_view method,
                           const std::string& uri, const Address& from, const std::string& branch,
                           int cseq, const std::string& to_header, const std::string& body = {}) {
  std::string m = std::string(method) + " " + uri + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP " + from.to_string() + ";branch=" + branch + "\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <sip:01632961001@office.example>;tag=resproxy1\r\n";
  m += "To: " + to_header + "\r\n";
  m += "Call-ID: " + std::string(call_id) + "\r\n";
  m += "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n";
  m += "Contact: <sip:resproxy@" + from.to_string() + ">\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return m;
}

// A UDP port free a moment ago (the bridge binds the port the gateway names; tests never use
// fixed ports).
inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::udp::socket s(
      io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

}  // namespace resproxy::native::test_support
