// The audio: block (harness/results_audio.cc, harness/scenario_audio.cc): each answered call is
// judged from what its UA sides heard — two-way, one-way, none, or too short to tell — and the
// shipped scenario with audio finds every call of it carrying speech both ways.
#include <gtest/gtest.h>

#include <string>

#include "harness/results.h"
#include "harness/scenario.h"
#include "harness/scenario_runner.h"

namespace resproxy::harness {
namespace {

AudioLegData leg(std::string call_id, double start_s, double stop_s, std::uint64_t received, std::uint64_t voice) {
  AudioLegData l;
  l.call_id = std::move(call_id);
  l.ua = "phone";
  l.start_s = start_s;
  l.stop_s = stop_s;
  l.sent = 100;
  l.received = received;
  l.voice = voice;
  return l;
}

AudioVerdict verdict_of(const std::vector<AudioCall>& calls, const std::string& id) {
  for (const auto& c : calls) {
    if (c.call_id == id) return c.verdict;
  }
  ADD_FAILURE() << "no call " << id;
  return AudioVerdict::TooShort;
}

TEST(AudioVerdicts, EachCallIsJudgedFromEverySideThatHadTimeToHear) {
  RunData run;
  run.duration_s = 100;
  run.audio_legs = {
      leg("both", 10, 20, 500, 500), leg("both", 10, 20, 490, 480),    // internal: both heard
      leg("echo", 10, 20, 500, 498),                                   // PSTN: heard itself
      leg("silence", 10, 20, 500, 0),                                  // PSTN: the line never heard us
      leg("half", 10, 20, 500, 500), leg("half", 10, 20, 0, 0),        // one side heard nothing
      leg("dead", 10, 20, 0, 0), leg("dead", 10, 20, 0, 0),            // nobody heard anything
      leg("blip", 10, 10.5, 0, 0),                                     // hung up after 0.5 s
      leg("mixed", 10, 10.5, 0, 0), leg("mixed", 10, 20, 400, 400),    // the short side is left out
  };
  AudioLegData unnegotiated = leg("nosdp", 30, 60, 0, 0);
  unnegotiated.negotiated = false;
  run.audio_legs.push_back(unnegotiated);
  AudioLegData unnegotiated_short = leg("nosdp-short", 30, 30.2, 0, 0);
  unnegotiated_short.negotiated = false;
  run.audio_legs.push_back(unnegotiated_short);

  const auto calls = audio_calls(run);
  EXPECT_EQ(verdict_of(calls, "both"), AudioVerdict::TwoWay);
  EXPECT_EQ(verdict_of(calls, "echo"), AudioVerdict::TwoWay);
  EXPECT_EQ(verdict_of(calls, "silence"), AudioVerdict::OneWay);
  EXPECT_EQ(verdict_of(calls, "half"), AudioVerdict::OneWay);
  EXPECT_EQ(verdict_of(calls, "dead"), AudioVerdict::None);
  EXPECT_EQ(verdict_of(calls, "blip"), AudioVerdict::TooShort);
  EXPECT_EQ(verdict_of(calls, "mixed"), AudioVerdict::TwoWay);
  // Connected without an SDP to send to: no audio, however short.
  EXPECT_EQ(verdict_of(calls, "nosdp"), AudioVerdict::None);
  EXPECT_EQ(verdict_of(calls, "nosdp-short"), AudioVerdict::None);

  Scenario s;
  s.duration_s = 100;
  s.audio_talk_s = 10;
  Metrics m;
  add_audio_metrics(s, run, m);
  EXPECT_EQ(m["audio_calls"], 8);
  EXPECT_EQ(m["audio_calls_two_way"], 3);
  EXPECT_EQ(m["calls_one_way_audio"], 2);
  EXPECT_EQ(m["calls_no_audio"], 3);
  EXPECT_EQ(m["audio_calls_too_short"], 1);
}

TEST(AudioScenario, EveryAnsweredCallOfTheShippedAudioScenarioCarriedSpeechBothWays) {
  const Scenario s = load_scenario(std::string(RESPROXY_SOURCE_DIR) + "/scenarios/pstn-audio.yaml");
  const RunData run = run_scenario(s, s.seed, {});
  Metrics m = compute_metrics(s, run);
  EXPECT_GE(m["calls_via_gateway"], 2) << "calls went out over the E1";
  EXPECT_GE(m["pstn_inbound_total"], 1) << "a PSTN caller came in over the E1";
  EXPECT_EQ(m["audio_calls"], m["calls_answered"]) << "every answered call has its audio judged, once";
  EXPECT_EQ(m["audio_calls_two_way"], m["audio_calls"]);
  ASSERT_TRUE(run.gateway_media.has_value());
  EXPECT_GT(run.gateway_media->rtp_rx, 0u);
  EXPECT_EQ(run.gateway_media->foreign, 0u);
  EXPECT_EQ(run.gateway_media->refused, 0u);
  // Phones in PSTN calls heard their own voice come back from the line.
  std::size_t echoed = 0;
  for (const auto& l : run.audio_legs) echoed += l.first_voice_ms && l.voice > 0 ? 1 : 0;
  EXPECT_EQ(echoed, run.audio_legs.size());
}

}  // namespace
}  // namespace resproxy::harness
