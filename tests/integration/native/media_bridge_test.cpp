// MediaBridges (proxy/native/media_bridge.h) on real loopback UDP: a test socket plays the far
// end of a gateway call (the phone behind resproxy), sends 20 ms PCMA packets of a 400 Hz tone
// and gets them back through the jitter buffer and the emulated subscriber that echoes what it
// hears. Then the whole path: a GatewayNode on a NativeRuntime with the emulated E1 answers an
// INVITE, bridges the call's media (its MediaBridge effect) and closes the bridge at the BYE.
#include "proxy/native/media_bridge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/native/runtime.h"
#include "proxy/native/telephony_card_host.h"
#include "sim_hardware/host/telephony_host.h"
#include "tests/integration/native/office_support.h"
#include "tests/integration/native/rtp_phone.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using test_support::energy;
using test_support::free_port;
using test_support::gateway_config;
using test_support::header;
using test_support::office;
using Phone = test_support::RtpPhone;  // control_server_fixture.h has a test_support::Phone
using Received = test_support::RtpReceived;
using test_support::request;
using test_support::SipPeer;
using testing::run_for;
using testing::run_until;
using namespace std::chrono_literals;

constexpr gateway::SpanId kSpan = 1;
constexpr gateway::LineCallId kCall = 3;

// 160 samples of a 400 Hz tone at -12 dBFS, continuing the phase of frame `n`.
std::array<std::int16_t, media::kFrameSamples> tone(std::uint32_t n) {
  std::array<std::int16_t, media::kFrameSamples> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(n * media::kFrameSamples + i) / 8000.0;
    out[i] = static_cast<std::int16_t>(8000.0 * std::sin(2 * std::numbers::pi * 400.0 * t));
  }
  return out;
}

std::vector<std::uint8_t> pcma_packet(std::uint16_t seq, std::uint32_t n, std::uint32_t ssrc,
                                      bool marker = false) {
  const auto samples = tone(n);
  std::array<std::uint8_t, media::kFrameSamples> payload{};
  media::g711_encode(media::G711Law::ALaw, samples, payload);
  media::RtpPacket p;
  p.marker = marker;
  p.payload_type = media::kPayloadTypePcma;
  p.sequence_number = seq;
  p.timestamp = 8000 + n * static_cast<std::uint32_t>(media::kFrameSamples);
  p.ssrc = ssrc;
  p.payload = payload;
  auto built = media::build_rtp(p);
  RESPROXY_CHECK(built.has_value());
  return std::move(built).value();
}

// The stream the bridge sends is one RTP stream: one SSRC, sequence + 1 and timestamp + 160 per
// packet, the marker on the first only, the call's payload type.
void expect_one_stream(const std::vector<Received>& received, std::uint8_t payload_type) {
  ASSERT_FALSE(received.empty());
  EXPECT_TRUE(received.front().marker);
  for (std::size_t i = 0; i < received.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(received[i].payload_type, payload_type);
    EXPECT_EQ(received[i].payload.size(), media::kFrameSamples);
    EXPECT_EQ(received[i].ssrc, received.front().ssrc);
    if (i == 0) continue;
    EXPECT_FALSE(received[i].marker);
    EXPECT_EQ(static_cast<std::uint16_t>(received[i].sequence - received[i - 1].sequence), 1);
    EXPECT_EQ(received[i].timestamp - received[i - 1].timestamp, media::kFrameSamples);
  }
}

gateway::MediaBridge bridge_to(const Phone& phone, std::uint16_t port,
                               std::uint8_t payload_type = media::kPayloadTypePcma) {
  return gateway::MediaBridge{.call = kCall, .rtp_port = port, .remote_ip = "127.0.0.1",
                              .remote_port = phone.port(), .payload_type = payload_type};
}

std::vector<std::vector<std::vector<std::uint8_t>>> in_order(int count, std::uint32_t ssrc) {
  std::vector<std::vector<std::vector<std::uint8_t>>> out;
  for (int i = 0; i < count; ++i) {
    const auto n = static_cast<std::uint32_t>(i);
    out.push_back({pcma_packet(static_cast<std::uint16_t>(1000 + i), n, ssrc, i == 0)});
  }
  return out;
}

TEST(MediaBridges, EchoesFiftyPcmaPacketsAsOneRtpStreamAfterThePlayoutDelay) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port));
  ASSERT_TRUE(bridges.bridge(kSpan, kCall).has_value());
  phone.play(in_order(50, 0x11223344), port);
  ASSERT_TRUE(run_until(io, [&] { return phone.done_playing() && phone.energetic() >= 45; }, 5s))
      << phone.energetic() << " energetic of " << phone.received.size();
  // The last packet may still be on its way to the bridge.
  EXPECT_TRUE(run_until(io, [&] { return bridges.totals().counters.rtp_rx == 50; }));
  expect_one_stream(phone.received, media::kPayloadTypePcma);
  EXPECT_LT(energy(phone.received.front().payload, media::G711Law::ALaw), 100)
      << "before the first packet the line hears silence, and says it back";
  const auto info = bridges.bridge(kSpan, kCall).value();
  EXPECT_EQ(info.counters.rtp_rx, 50u);
  EXPECT_EQ(info.counters.rx_errors, 0u);
  EXPECT_EQ(info.counters.late, 0u);
  EXPECT_EQ(info.counters.duplicate, 0u);
  EXPECT_EQ(info.remote, "127.0.0.1:" + std::to_string(phone.port()));
  EXPECT_GE(info.counters.rtp_tx, phone.received.size());
  EXPECT_LE(info.counters.rtp_tx, phone.received.size() + 2) << "loopback loses nothing";
  const auto totals = bridges.totals();
  EXPECT_EQ(totals.open, 1u);
  EXPECT_EQ(totals.opened, 1u);
  EXPECT_EQ(totals.counters.rtp_rx, 50u);
}

TEST(MediaBridges, PcmuCallsAreEncodedInMuLaw) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port, media::kPayloadTypePcmu));
  ASSERT_TRUE(run_until(io, [&] { return phone.received.size() >= 5; }));
  expect_one_stream(phone.received, media::kPayloadTypePcmu);
  // µ-law silence is 0xFF (A-law's is 0xD5).
  EXPECT_EQ(phone.received.front().payload.front(), media::g711_silence(media::G711Law::MuLaw));
}

TEST(MediaBridges, ReorderedAndDuplicatedPacketsStillPlayAsAudio) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port));
  auto script = in_order(50, 0x55667788);
  // Every fourth slot's packet comes after the next one's; every fifth comes twice.
  for (std::size_t i = 4; i + 1 < script.size(); i += 4) std::swap(script[i], script[i + 1]);
  for (std::size_t i = 5; i < script.size(); i += 5) script[i].push_back(script[i].front());
  phone.play(script, port);
  ASSERT_TRUE(run_until(io, [&] { return phone.done_playing() && phone.energetic() >= 45; }, 5s))
      << phone.energetic() << " energetic of " << phone.received.size();
  EXPECT_TRUE(run_until(io, [&] { return bridges.totals().counters.rtp_rx == 50 + 9; }));
  expect_one_stream(phone.received, media::kPayloadTypePcma);
  const auto info = bridges.bridge(kSpan, kCall).value();
  EXPECT_EQ(info.counters.rtp_rx, 50u + 9u);
  EXPECT_EQ(info.counters.duplicate, 9u);
  EXPECT_LE(info.counters.lost, 2u) << "a packet 20 ms late is inside the 40 ms playout delay";
}

TEST(MediaBridges, GarbageAndStrangersAreCountedAndTheCallGoesOn) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  Phone stranger(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port));
  const std::vector<std::vector<std::uint8_t>> garbage = {
      {},                                                     // empty
      {0x80},                                                 // too short
      std::vector<std::uint8_t>(12, 0x00),                    // version 0
      {0x8f, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1},             // 15 CSRCs, none there
      {0x90, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff},  // extension beyond end
      {0xa0, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x00},      // padding count 0
      std::vector<std::uint8_t>(1800, 0xa5),                  // random-ish, too big for RTP here
  };
  for (const auto& g : garbage) phone.send(port, g);
  // A stranger's well-formed RTP: not the negotiated remote.
  for (int i = 0; i < 5; ++i) stranger.send(port, pcma_packet(static_cast<std::uint16_t>(i), 0, 99));
  phone.play(in_order(50, 0x01020304), port);
  ASSERT_TRUE(run_until(io, [&] { return phone.done_playing() && phone.energetic() >= 45; }, 5s));
  const auto info = bridges.bridge(kSpan, kCall).value();
  EXPECT_EQ(info.counters.rx_errors, garbage.size() - 1) << "the last is a valid header (V=2)";
  EXPECT_EQ(info.counters.foreign, 5u);
  EXPECT_EQ(stranger.datagrams, 0u) << "nothing is sent to a stranger";
  expect_one_stream(phone.received, media::kPayloadTypePcma);
}

TEST(MediaBridges, AnUnknownRemoteLatchesToTheFirstRtpSource) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  auto command = bridge_to(phone, port);
  command.remote_ip = "0.0.0.0";
  bridges.on_command(kSpan, command);
  run_for(io, 100ms);
  EXPECT_EQ(bridges.bridge(kSpan, kCall)->remote, "latching");
  EXPECT_EQ(phone.datagrams, 0u) << "nowhere to send before the first packet";
  phone.send(port, {0x00, 0x01});  // not RTP: no latch
  phone.play(in_order(20, 7), port);
  ASSERT_TRUE(run_until(io, [&] { return phone.done_playing() && phone.energetic() >= 15; }, 5s));
  EXPECT_EQ(bridges.bridge(kSpan, kCall)->remote, "127.0.0.1:" + std::to_string(phone.port()));
  expect_one_stream(phone.received, media::kPayloadTypePcma);
}

TEST(MediaBridges, PortZeroClosesTheBridgeAndFreesThePort) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  Phone phone(io);
  const std::uint16_t port = free_port();
  bridges.on_command(kSpan, bridge_to(phone, port));
  phone.play(in_order(10, 1), port);
  ASSERT_TRUE(run_until(io, [&] {
    return phone.energetic() >= 3 && bridges.totals().counters.rtp_rx == 10;
  }));
  bridges.on_command(kSpan, gateway::MediaBridge{.call = kCall, .rtp_port = 0, .remote_ip = {}, .remote_port = 0, .payload_type = 8});
  EXPECT_FALSE(bridges.bridge(kSpan, kCall).has_value());
  run_for(io, 60ms);  // what was in flight
  const std::size_t before = phone.datagrams;
  phone.play(in_order(10, 1), port);
  run_for(io, 300ms);
  EXPECT_EQ(phone.datagrams, before) << "a closed bridge answers nothing";
  // The port is free again: we can bind it ourselves.
  boost::system::error_code ec;
  udp::socket again(io);
  again.open(udp::v4(), ec);
  again.bind(udp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_FALSE(ec) << ec.message();
  const auto totals = bridges.totals();
  EXPECT_EQ(totals.open, 0u);
  EXPECT_EQ(totals.closed, 1u);
  EXPECT_GE(totals.counters.rtp_rx, 10u) << "a closed bridge's counters stay in the totals";
}

TEST(MediaBridges, CloseOnReleaseAndTheCapAndNonG711AreRefusedCleanly) {
  asio::io_context io;
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1", .max_bridges = 2});
  Phone phone(io);
  bridges.on_command(kSpan, gateway::MediaBridge{.call = 1, .rtp_port = free_port(),
                                                 .remote_ip = "127.0.0.1", .remote_port = phone.port()});
  bridges.on_command(kSpan, gateway::MediaBridge{.call = 2, .rtp_port = free_port(),
                                                 .remote_ip = "127.0.0.1", .remote_port = phone.port()});
  bridges.on_command(kSpan, gateway::MediaBridge{.call = 5, .rtp_port = free_port(),
                                                 .remote_ip = "127.0.0.1", .remote_port = phone.port()});
  bridges.on_command(2, gateway::MediaBridge{.call = 1, .rtp_port = free_port(), .remote_ip = "127.0.0.1",
                                             .remote_port = phone.port(), .payload_type = 18});
  EXPECT_EQ(bridges.bridges().size(), 2u);
  EXPECT_EQ(bridges.totals().refused, 2u);
  bridges.close(kSpan, 1);
  EXPECT_EQ(bridges.bridges().size(), 1u);
  bridges.close(kSpan, 99);  // no such bridge: nothing
  ASSERT_TRUE(run_until(io, [&] { return phone.received.size() >= 10; }));
  bridges.close_all();
  EXPECT_EQ(bridges.totals().open, 0u);
}

// --- The whole path: gateway, emulated E1, runtime, media bridges. ---

constexpr std::string_view kCallId = "media-bridge-test-1";

// An INVITE with `offer_telephone_event`: RTP/AVP 8 96 with 96 telephone-event/8000; else 8 only.
void gateway_call_carries_rtp_both_ways_until_the_bye(bool offer_telephone_event) {
  asio::io_context io;
  SipPeer proxy(io);
  Phone phone(io);
  SeededRng gateway_rng(1);
  SeededRng office_rng(2);
  NullTraceSink trace;
  auto host = telephony::TelephonyHost::create(office(kSpan), office_rng, trace);
  ASSERT_TRUE(host.has_value());
  TelephonyCardHost cards(**host);
  gateway::GatewayConfig config = gateway_config(proxy.address(), kSpan);
  const std::uint16_t rtp_port = free_port();
  config.rtp_port_first = rtp_port;
  config.rtp_port_last = static_cast<std::uint16_t>(rtp_port + 1);
  gateway::GatewayNode node(config, (*host)->spans(), gateway_rng, trace);
  MediaBridges bridges(io, MediaBridgeConfig{.bind_ip = "127.0.0.1"});
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .tcp = false});
  runtime.set_card_host(&cards);
  runtime.set_media_bridges(&bridges);
  runtime.start();
  const Address gw = runtime.local_address();
  ASSERT_TRUE(run_until(io, [&] { return runtime.stats().card_events > 0; }));

  const std::string uri = "sip:01632960123@" + gw.to_string();
  const std::string sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                          "m=audio " + std::to_string(phone.port()) +
                          (offer_telephone_event ? " RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\n"
                                                   "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n"
                                                 : " RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n");
  proxy.send_to(gw, request(kCallId, "INVITE", uri, proxy.address(), "z9hG4bKinv1", 1, "<" + uri + ">", sdp));
  ASSERT_TRUE(run_until(io, [&] { return proxy.find("SIP/2.0 200") != nullptr; }, 10s));
  const std::string ok = *proxy.find("SIP/2.0 200");
  EXPECT_NE(ok.find("m=audio " + std::to_string(rtp_port) + " "), std::string::npos) << ok;
  ASSERT_TRUE(run_until(io, [&] { return runtime.stats().media_bridges_open == 1; }));
  EXPECT_GE(runtime.stats().media_commands, 1u);
  // RFC 4733 is answered with the offer's payload type, and bridged with it; or not at all.
  ASSERT_EQ(bridges.bridges().size(), 1u);
  if (offer_telephone_event) {
    EXPECT_NE(ok.find("m=audio " + std::to_string(rtp_port) + " RTP/AVP 8 96\r\n"), std::string::npos) << ok;
    EXPECT_NE(ok.find("a=rtpmap:96 telephone-event/8000"), std::string::npos) << ok;
    EXPECT_EQ(bridges.bridges().front().telephone_event, std::optional<std::uint8_t>(96));
  } else {
    EXPECT_EQ(ok.find("telephone-event"), std::string::npos) << ok;
    EXPECT_EQ(bridges.bridges().front().telephone_event, std::nullopt);
  }

  phone.play(in_order(50, 0xabcdef01), rtp_port);
  ASSERT_TRUE(run_until(io, [&] { return phone.done_playing() && phone.energetic() >= 40; }, 5s))
      << phone.energetic() << " energetic of " << phone.received.size();
  EXPECT_TRUE(run_until(io, [&] { return runtime.stats().rtp_rx == 50; }));
  expect_one_stream(phone.received, media::kPayloadTypePcma);
  EXPECT_GE(runtime.stats().rtp_tx, phone.received.size());

  const std::string to_with_tag = header(ok, "To");
  proxy.send_to(gw, request(kCallId, "ACK", uri, proxy.address(), "z9hG4bKack1", 1, to_with_tag));
  proxy.send_to(gw, request(kCallId, "BYE", uri, proxy.address(), "z9hG4bKbye1", 2, to_with_tag));
  ASSERT_TRUE(run_until(io, [&] { return node.active_calls() == 0; }));
  EXPECT_EQ(runtime.stats().media_bridges_open, 0u) << "the released call's bridge is closed";
  EXPECT_EQ(bridges.totals().closed, 1u);
  run_for(io, 60ms);
  const std::size_t after = phone.datagrams;
  run_for(io, 200ms);
  EXPECT_EQ(phone.datagrams, after) << "no RTP after the call";
  runtime.stop();
}

TEST(MediaBridges, AGatewayCallOnTheEmulatedE1CarriesRtpBothWaysUntilTheBye) {
  gateway_call_carries_rtp_both_ways_until_the_bye(false);
}

TEST(MediaBridges, AGatewayCallOfferingTelephoneEventBridgesItWithTheOffersPayloadType) {
  gateway_call_carries_rtp_both_ways_until_the_bye(true);
}

}  // namespace
}  // namespace resproxy::native
