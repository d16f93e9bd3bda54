// NativeRuntime hosting telephony cards (card_host.h): a GatewayNode on real loopback UDP with
// the emulated office (sim_hardware/host/telephony_host.h: one E1 to the exchange, the demo's
// numbering plan) as its CardHost, and a plain UDP socket in the test playing resproxy.
#include "proxy/native/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/native/admin_text.h"
#include "proxy/native/telephony_card_host.h"
#include "sim_hardware/host/telephony_host.h"
#include "tests/integration/native/office_support.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using test_support::gateway_config;
using test_support::header;
using test_support::office;
using test_support::request;
using test_support::SipPeer;
using testing::run_until;
using namespace std::chrono_literals;

constexpr gateway::SpanId kE1 = 1;

constexpr std::string_view kCallId = "card-host-test-1";

TEST(NativeRuntimeCardHost, PlacesASipCallOnTheEmulatedE1AndClearsItWithBye) {
  asio::io_context io;
  SipPeer proxy(io);
  SeededRng gateway_rng(1);
  SeededRng office_rng(2);
  NullTraceSink trace;
  auto host = telephony::TelephonyHost::create(office(kE1), office_rng, trace);
  ASSERT_TRUE(host.has_value());
  TelephonyCardHost cards(**host);
  gateway::GatewayNode node(gateway_config(proxy.address(), kE1), (*host)->spans(), gateway_rng, trace);
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .tcp = false});
  runtime.set_card_host(&cards);
  runtime.start();
  const Address gw = runtime.local_address();
  // The span comes up (the card's SpanState reaches the gateway as a completion).
  ASSERT_TRUE(run_until(io, [&] { return runtime.stats().card_events > 0; }));

  const std::string uri = "sip:01632960123@" + gw.to_string();
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
  proxy.send_to(gw, request(kCallId, "INVITE", uri, proxy.address(), "z9hG4bKinv1", 1, "<" + uri + ">", sdp));

  ASSERT_TRUE(run_until(io, [&] { return proxy.saw("SIP/2.0 100"); }));
  ASSERT_TRUE(run_until(io, [&] { return proxy.saw("SIP/2.0 180") || proxy.saw("SIP/2.0 183"); }));
  // The demo's subscribers answer after 2-5 s.
  ASSERT_TRUE(run_until(io, [&] { return proxy.saw("SIP/2.0 200"); }, 10s));
  const std::string ok = *proxy.find("SIP/2.0 200");
  EXPECT_NE(header(ok, "Content-Type").find("application/sdp"), std::string::npos);
  EXPECT_NE(ok.find("m=audio "), std::string::npos);
  const std::string to_with_tag = header(ok, "To");
  ASSERT_NE(to_with_tag.find("tag="), std::string::npos);
  EXPECT_EQ(node.active_calls(), 1u);

  // show channels, as the control socket asks it: an input of the gateway's runtime.
  std::optional<admin::Result> channels;
  runtime.set_command_replies([&](CommandReply reply) { channels = std::move(reply.result); });
  runtime.inject([](Node& n, TimePoint t) { n.on_command(t, AdminCommand{7, admin::ShowChannels{}}); });
  ASSERT_TRUE(run_until(io, [&] { return channels.has_value(); }));
  const auto* rows = std::get_if<admin::Channels>(&*channels);
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(rows->rows.size(), 30u);  // E1: B-channels 1-15, 17-31
  const auto busy = std::count_if(rows->rows.begin(), rows->rows.end(),
                                  [](const admin::ChannelRow& r) { return r.since_s >= 0; });
  EXPECT_EQ(busy, 1);
  const auto& first = rows->rows.front();
  EXPECT_EQ(first.span, kE1);
  EXPECT_EQ(first.group, "e1");
  EXPECT_EQ(first.state, "outgoing");  // lowest_free hunting
  EXPECT_TRUE(first.answered);
  EXPECT_EQ(first.called, "01632960123");
  const std::string text = format_admin_result(*channels).text;
  EXPECT_NE(text.find("1 1 e1 outgoing+answered 01632960123 01632961001 "), std::string::npos)
      << text;
  EXPECT_NE(text.find("30 channels, 1 in use\n"), std::string::npos) << text;

  proxy.send_to(gw, request(kCallId, "ACK", uri, proxy.address(), "z9hG4bKack1", 1, to_with_tag));
  const std::size_t before_bye = proxy.received.size();
  proxy.send_to(gw, request(kCallId, "BYE", uri, proxy.address(), "z9hG4bKbye1", 2, to_with_tag));
  ASSERT_TRUE(run_until(io, [&] {
    const auto* answer = proxy.find("SIP/2.0 200", before_bye);
    return answer != nullptr && header(*answer, "CSeq") == "2 BYE";
  }));
  // The line call is cleared and released: the exchange's record is final.
  ASSERT_TRUE(run_until(io, [&] {
    return node.active_calls() == 0 && !(*host)->records().empty() &&
           (*host)->records().back().end.has_value();
  }));
  ASSERT_EQ((*host)->records().size(), 1u);
  const auto& record = (*host)->records().front();
  EXPECT_EQ(record.outcome, exchange::CallOutcome::Answered);
  EXPECT_EQ(record.called, "01632960123");
  EXPECT_EQ(record.direction, exchange::CallDirection::FromOffice);
  EXPECT_GT(runtime.stats().card_commands, 0u);
  runtime.stop();
}

// Without a card host the contract's answer stands: a PlaceCall is released with 38, and the
// gateway, with no other route, answers the INVITE with a failure.
TEST(NativeRuntimeCardHost, WithoutACardHostAPlacedCallFails) {
  asio::io_context io;
  SipPeer proxy(io);
  SeededRng gateway_rng(1);
  NullTraceSink trace;
  std::vector<gateway::SpanInfo> spans{{.span = kE1, .kind = gateway::SpanKind::E1Pri,
                                        .name = "e1-1", .channels = {1, 2, 3},
                                        .overlap_receiving = false}};
  gateway::GatewayNode node(gateway_config(proxy.address(), kE1), spans, gateway_rng, trace);
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .tcp = false});
  runtime.start();
  const Address gw = runtime.local_address();
  const std::string uri = "sip:01632960123@" + gw.to_string();
  proxy.send_to(gw, request(kCallId, "INVITE", uri, proxy.address(), "z9hG4bKinv2", 1, "<" + uri + ">"));
  ASSERT_TRUE(run_until(io, [&] {
    for (const auto& m : proxy.received) {
      if (m.starts_with("SIP/2.0 ") && !m.starts_with("SIP/2.0 1")) return true;
    }
    return false;
  }));
  EXPECT_FALSE(proxy.saw("SIP/2.0 200"));
  EXPECT_EQ(runtime.stats().card_commands, 0u);
  runtime.stop();
}

// The PSTN calls the office from outside the runtime's inputs (the daemon's `pstn call`):
// card_host_input runs the exchange's originate and hands the cards' events (IncomingCall) to
// the gateway at once — nothing else would: the idle emulated office has no timer due soon. The
// gateway's INVITE carries the caller's number; the "proxy" refuses it 404, and the exchange's
// record says the PSTN call was refused with cause 1 (RFC 3398: 404 -> 1).
TEST(NativeRuntimeCardHost, AnOutsideInputReachesTheGatewayAndA404ClearsTheLineWithCause1) {
  asio::io_context io;
  SipPeer proxy(io);
  SeededRng gateway_rng(1);
  SeededRng office_rng(2);
  NullTraceSink trace;
  auto host = telephony::TelephonyHost::create(office(kE1), office_rng, trace);
  ASSERT_TRUE(host.has_value());
  TelephonyCardHost cards(**host);
  auto config = gateway_config(proxy.address(), kE1);
  config.domain = "office.example";
  gateway::DialPlanRule to_sip;
  to_sip.name = "ddi";
  to_sip.source = gateway::CallSource{.kind = gateway::CallSource::Kind::Group, .group = "e1"};
  to_sip.called = gateway::NumberPattern::parse("0.").value();
  to_sip.target = {.kind = gateway::RouteTarget::Kind::Sip, .group = {}};
  config.dial_plan.rules.insert(config.dial_plan.rules.begin(), to_sip);
  gateway::GatewayNode node(config, (*host)->spans(), gateway_rng, trace);
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .tcp = false});
  runtime.set_card_host(&cards);
  runtime.start();
  ASSERT_TRUE(run_until(io, [&] { return runtime.stats().card_events > 0; }));
  testing::run_for(io, 200ms);  // the span's start-up is over: nothing of the cards is pending
  const auto events_before = runtime.stats().card_events;

  exchange::PstnCall call;
  call.calling.digits = "01632960555";
  call.called = "01632961050";
  exchange::CallId id = 0;
  const bool ran = runtime.card_host_input(
      [&](TimePoint now) { id = (*host)->originate(now, call); });
  ASSERT_TRUE(ran);
  ASSERT_EQ(id, 1u);
  ASSERT_TRUE(run_until(io, [&] { return proxy.saw("INVITE "); }, 1000ms));
  EXPECT_GT(runtime.stats().card_events, events_before);
  const std::string invite = *proxy.find("INVITE ");
  EXPECT_TRUE(invite.starts_with("INVITE sip:01632961050@office.example SIP/2.0\r\n")) << invite;
  EXPECT_NE(header(invite, "From").find("sip:01632960555@office.example"), std::string::npos)
      << invite;

  std::string not_found = "SIP/2.0 404 Not Found\r\n";
  for (const char* name : {"Via", "From", "Call-ID", "CSeq"}) {
    not_found += std::string(name) + ": " + header(invite, name) + "\r\n";
  }
  not_found += "To: " + header(invite, "To") + ";tag=proxy404\r\nContent-Length: 0\r\n\r\n";
  proxy.send_to(runtime.local_address(), not_found);
  ASSERT_TRUE(run_until(io, [&] {
    const auto* record = (*host)->exchange().record(id);
    return record != nullptr && record->end.has_value();
  }));
  const auto& record = *(*host)->exchange().record(id);
  EXPECT_EQ(record.direction, exchange::CallDirection::ToOffice);
  EXPECT_EQ(record.calling, "01632960555");
  EXPECT_EQ(record.cause, std::optional<std::uint8_t>{1});
  EXPECT_EQ(record.outcome, exchange::CallOutcome::Refused);
  EXPECT_TRUE(run_until(io, [&] { return proxy.saw("ACK "); }));  // the 404 acknowledged

  runtime.stop();
  EXPECT_FALSE(runtime.card_host_input([](TimePoint) { ADD_FAILURE() << "ran after stop()"; }));
}

TEST(NativeRuntimeCardHost, WithoutACardHostNoCardInputRuns) {
  asio::io_context io;
  SeededRng rng(1);
  NullTraceSink trace;
  gateway::GatewayNode node(gateway_config(Address{"127.0.0.1", 9}, kE1), {}, rng, trace);
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .tcp = false});
  runtime.start();
  EXPECT_FALSE(runtime.card_host_input([](TimePoint) { ADD_FAILURE() << "ran without a host"; }));
  runtime.stop();
}

TEST(NativeRuntimeCardHost, ShowChannelsIsACommandOfItsOwn) {
  const auto parsed = parse_admin_command("show channels");
  ASSERT_TRUE(std::holds_alternative<admin::Request>(parsed));
  EXPECT_TRUE(std::holds_alternative<admin::ShowChannels>(std::get<admin::Request>(parsed)));
}

}  // namespace
}  // namespace resproxy::native
