// The gateway's media data path in ns-3 (model/media_bridges.h, hosted by SipNodeApplication) and
// a phone's RTP endpoint (model/rtp_audio.h), over a simulated link: a bridged line echoes, so a
// phone hears its own voice exactly when the audio goes both ways; a wrong SDP address, a closed
// bridge and a lossy link show up in what the phone measures.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include <ns3/node-container.h>
#include <ns3/simulator.h>

#include "model/lossy_link.h"
#include "model/rtp_audio.h"
#include "model/simulation.h"
#include "model/sip_node_application.h"
#include "tests/integration/ns3/test_nodes.h"

namespace resproxy::model::test_nodes {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPhonePort = 40000;
constexpr std::uint16_t kBridgePort = 16384;

// Sends the gateway's MediaBridge card commands on demand (Inject).
class BridgeCommander final : public TestNodeBase {
 public:
  using TestNodeBase::TestNodeBase;
  void bridge(std::uint16_t rtp_port, const std::string& remote_ip, std::uint16_t remote_port) {
    effects_.emplace_back(gateway::ToCard{
        .span = 1,
        .command = gateway::MediaBridge{.call = 1, .rtp_port = rtp_port, .remote_ip = remote_ip,
                                        .remote_port = remote_port, .payload_type = 8,
                                        .telephone_event = std::nullopt}});
  }
  void on_completion(resproxy::TimePoint, const resproxy::Completion&) override { ++completions; }
  int completions = 0;
};

struct MediaRun {
  AudioRecord phone;
  MediaBridgeTotals gateway;
};

struct MediaCase {
  std::optional<std::uint16_t> sdp_port = kPhonePort;  // what the gateway's MediaBridge names; none: 0 (latch)
  double loss = 0;
  std::optional<double> close_at_s;  // MediaBridge with port 0
};

// Phone on 10.1.1.1, gateway on 10.1.1.2 (10 ms apart). At 1 s the gateway bridges call 1 on
// port 16384; at 1.2 s the phone's call starts (PCMA to the bridge) and talks for 10 s.
MediaRun run_media(const MediaCase& c) {
  Simulation sim(3, 1);
  ns3::NodeContainer nodes;
  nodes.Create(2);
  install_internet(nodes, 1000);
  LossyLink link(nodes.Get(0), nodes.Get(1),
                 {.data_rate = "10Mbps", .delay = ns3::MilliSeconds(10), .loss = c.loss, .rng_stream = 100, .queue = {}},
                 "10.1.1.0");
  const resproxy::Address phone = link.address_a(kPhonePort);
  const resproxy::Address bridge = link.address_b(kBridgePort);

  auto owned = std::make_unique<BridgeCommander>(sim.trace().sink_for("gw"));
  BridgeCommander& commander = *owned;
  auto gateway = install_sip_node(nodes.Get(1), std::move(owned), ns3::Seconds(0), ns3::Seconds(20));
  gateway->EnableMediaBridges(link.ip_b(), media::JitterBufferConfig{}, sim.rng(7));

  auto audio = ns3::CreateObject<RtpAudioApplication>();
  audio->Configure(phone, 10s, sim.rng(8));
  nodes.Get(0)->AddApplication(audio);
  audio->SetStartTime(ns3::Seconds(0));
  audio->SetStopTime(ns3::Seconds(20));

  const std::string phone_ip = phone.ip;
  const std::uint16_t sdp_port = c.sdp_port.value_or(0);
  ns3::Simulator::Schedule(ns3::Seconds(1), [gateway, phone_ip, sdp_port] {
    gateway->Inject([phone_ip, sdp_port](resproxy::Node& core, resproxy::TimePoint) {
      dynamic_cast<BridgeCommander&>(core).bridge(kBridgePort, sdp_port == 0 ? "0.0.0.0" : phone_ip, sdp_port);
    });
  });
  ns3::Simulator::Schedule(ns3::Seconds(1.2), [audio, bridge] {
    audio->OnMedia(MediaEvent{.kind = MediaEvent::Kind::Start, .at = core_now(), .call_id = "call-1",
                              .remote = bridge, .payload_type = 8});
  });
  if (c.close_at_s) {
    ns3::Simulator::Schedule(ns3::Seconds(*c.close_at_s), [gateway] {
      gateway->Inject([](resproxy::Node& core, resproxy::TimePoint) {
        dynamic_cast<BridgeCommander&>(core).bridge(0, "", 0);
      });
    });
  }
  sim.run_until(ns3::Seconds(20));
  MediaRun out;
  const auto records = audio->Records();
  EXPECT_EQ(records.size(), 1u);
  if (!records.empty()) out.phone = records.front();
  out.gateway = gateway->GetMediaBridges()->Totals();
  EXPECT_EQ(commander.completions, 0) << "a MediaBridge is the runtime's, never the card's: nothing answers it";
  return out;
}

TEST(Ns3Media, APhoneHearsItsOwnVoiceBackThroughABridgedLineThatEchoes) {
  const MediaRun run = run_media({});
  const AudioStats& s = run.phone.stats;
  EXPECT_EQ(s.sent, 500u) << "10 s of 20 ms packets";
  EXPECT_GE(s.voice, 480u) << "what the line heard came back: the audio went both ways";
  EXPECT_EQ(s.foreign, 0u);
  EXPECT_EQ(s.lost(), 0u);
  ASSERT_TRUE(s.first_voice && s.first_sent);
  const auto round_trip = *s.first_voice - *s.first_sent;
  EXPECT_GE(round_trip, 40ms) << "two 10 ms hops and at least a frame at the line";
  EXPECT_LE(round_trip, 200ms);
  EXPECT_EQ(run.gateway.opened, 1u);
  EXPECT_EQ(run.gateway.counters.rtp_rx, 500u);
  EXPECT_EQ(run.gateway.counters.foreign, 0u);
  // The line keeps talking (silence) after the phone stops, until the end of the run.
  EXPECT_GT(run.gateway.counters.rtp_tx, 500u);
}

TEST(Ns3Media, ABridgeToTheWrongSdpAddressDropsThePhoneAndThePhoneHearsNothing) {
  const MediaRun run = run_media({.sdp_port = kPhonePort + 2, .loss = 0, .close_at_s = std::nullopt});
  EXPECT_EQ(run.phone.stats.received, 0u) << "the gateway sends to the address the SDP named";
  EXPECT_EQ(run.phone.stats.voice, 0u);
  EXPECT_EQ(run.gateway.counters.foreign, 500u) << "the phone is not the negotiated remote: dropped";
  EXPECT_EQ(run.gateway.counters.rtp_rx, 0u);
}

TEST(Ns3Media, ABridgeThatKnowsNoAddressLatchesToThePhone) {
  const MediaRun run = run_media({.sdp_port = std::nullopt, .loss = 0, .close_at_s = std::nullopt});
  EXPECT_GE(run.phone.stats.voice, 480u);
  EXPECT_EQ(run.gateway.counters.rtp_rx, 500u);
}

TEST(Ns3Media, AClosedBridgeStopsTheAudioAtOnce) {
  const MediaRun run = run_media({.sdp_port = kPhonePort, .loss = 0, .close_at_s = 5.0});
  EXPECT_EQ(run.gateway.closed, 1u);
  EXPECT_EQ(run.gateway.open, 0u);
  ASSERT_TRUE(run.phone.stats.last_received);
  EXPECT_LE(*run.phone.stats.last_received, resproxy::TimePoint{} + 5s + 20ms)
      << "nothing after the close but what was already on the link";
  EXPECT_LT(run.phone.stats.received, 200u);
}

TEST(Ns3Media, LossOnTheLinkIsWhatThePhoneCounts) {
  const MediaRun run = run_media({.sdp_port = kPhonePort, .loss = 0.05, .close_at_s = std::nullopt});
  const AudioStats& s = run.phone.stats;
  ASSERT_GT(s.expected, 0u);
  const double ratio = static_cast<double>(s.lost()) / static_cast<double>(s.expected);
  EXPECT_GT(ratio, 0.02) << "5 % per direction on the way back";
  EXPECT_LT(ratio, 0.09);
  EXPECT_GT(run.gateway.counters.lost + run.gateway.counters.concealed, 0u) << "the line concealed the lost ones";
  EXPECT_GE(s.voice, 400u) << "concealment keeps the voice going";
}

}  // namespace
}  // namespace resproxy::model::test_nodes
