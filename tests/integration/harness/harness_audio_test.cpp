// The audio: block (harness/results_audio.cc, harness/scenario_audio.cc): each answered call is
// judged from what its UA sides heard — two-way, one-way, none, or too short to tell — and the
// shipped scenario with audio finds every call of it carrying speech both ways.
#include <gtest/gtest.h>

#include <optional>
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

AudioLegData heard(std::string call_id, double start_s, std::uint64_t expected, std::uint64_t lost,
                   std::uint64_t bursts, double jitter_ms, std::optional<double> delay_ms) {
  AudioLegData l = leg(std::move(call_id), start_s, start_s + 15, expected - lost, expected - lost);
  l.expected = expected;
  l.lost = lost;
  l.loss_bursts = bursts;
  l.jitter_ms = jitter_ms;
  l.one_way_delay_ms = delay_ms;
  return l;
}

TEST(AudioQuality, EachSideGetsAnEModelMosFromItsLossJitterAndDelay) {
  // Clean: 20 ms one way + 20 ms packets + the 20 ms minimum playout: Ta = 60 ms, T = 60,
  // Tr = 120: R = 91.52 (G.107 by hand: Idte 1.52, Idle 0.17), MOS 4.3745.
  EXPECT_NEAR(*audio_leg_mos(heard("a", 10, 500, 0, 0, 0, 20)), 4.3745, 0.001);
  // 5 % random loss (25 single losses; BurstR 1), jitter 15 ms → playout 30: Ta = 70 ms;
  // Ie,eff = 95 · 5 / (5 + 25.1) = 15.78: R = 75.52, MOS 3.844.
  EXPECT_NEAR(*audio_leg_mos(heard("b", 10, 500, 25, 25, 15, 20)), 3.844, 0.001);
  // The same loss in bursts rates lower.
  EXPECT_LT(*audio_leg_mos(heard("c", 10, 500, 25, 5, 15, 20)), 3.844);
  // 20 % lost in runs of 4, 100 ms away: far below "many users dissatisfied".
  EXPECT_LT(*audio_leg_mos(heard("d", 10, 500, 100, 25, 0, 100)), audio_poor_mos());
  EXPECT_NEAR(audio_poor_mos(), 3.597, 1e-9);
  // No MOS without a delay, without a counted packet, or without an SDP.
  EXPECT_FALSE(audio_leg_mos(heard("e", 10, 500, 0, 0, 0, std::nullopt)));
  EXPECT_FALSE(audio_leg_mos(heard("f", 10, 0, 0, 0, 0, 20)));
  AudioLegData unnegotiated = heard("g", 10, 500, 0, 0, 0, 20);
  unnegotiated.negotiated = false;
  EXPECT_FALSE(audio_leg_mos(unnegotiated));
}

TEST(AudioQuality, ACallRatesAsItsWorseSideAndPoorCallsAreCountedPerPhase) {
  RunData run;
  run.duration_s = 100;
  run.audio_legs = {
      heard("clean", 10, 500, 0, 0, 0, 20), heard("clean", 10, 500, 0, 0, 0, 1),
      heard("lossy", 12, 500, 0, 0, 0, 20), heard("lossy", 12, 500, 25, 25, 15, 20),  // 4.37 / 3.84
      heard("awful", 40, 500, 100, 25, 0, 100), heard("awful", 40, 500, 0, 0, 0, 20),
      heard("fine", 45, 500, 0, 0, 2, 30),
      heard("muted", 50, 500, 0, 0, 0, 20), heard("muted", 50, 0, 0, 0, 0, std::nullopt),  // one-way
  };
  const auto calls = audio_calls(run);
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_NEAR(*calls[0].mos, *audio_leg_mos(run.audio_legs[0]), 1e-12) << "the worse of 4.3745 and 4.38";
  EXPECT_NEAR(*calls[1].mos, 3.844, 0.001);
  EXPECT_LT(*calls[2].mos, audio_poor_mos());
  EXPECT_TRUE(calls[3].mos.has_value());
  EXPECT_EQ(calls[4].verdict, AudioVerdict::OneWay);
  EXPECT_FALSE(calls[4].mos) << "a call with a side that heard nothing has no MOS";

  Scenario s;
  s.duration_s = 100;
  s.audio_talk_s = 15;
  FaultSpec outage;
  outage.start_s = 30;
  outage.end_s = 70;
  s.faults.push_back(outage);
  Metrics m;
  add_audio_metrics(s, run, m);
  EXPECT_EQ(m["calls_poor_audio"], 1);
  EXPECT_EQ(m["calls_poor_audio.before"], 0);
  EXPECT_EQ(m["calls_poor_audio.during"], 1);
  EXPECT_EQ(m["calls_poor_audio.after"], 0);
  // before: clean (4.3745) and lossy (3.844): the median is the lower (nearest rank).
  EXPECT_NEAR(m["audio_mos_min.before"], 3.844, 0.001);
  EXPECT_NEAR(m["audio_mos_median.before"], 3.844, 0.001);
  EXPECT_LT(m["audio_mos_min.during"], audio_poor_mos());
  EXPECT_EQ(m["audio_mos_min"], m["audio_mos_min.during"]);
  EXPECT_EQ(m.count("audio_mos_median.after"), 0u) << "no call, no MOS";
  // Delay p95 over every side with one: before 1, 20, 20, 20; during 20, 20, 30, 100.
  EXPECT_EQ(m["audio_one_way_delay_ms.p95.before"], 20);
  EXPECT_EQ(m["audio_one_way_delay_ms.p95.during"], 100);
  EXPECT_EQ(m["audio_one_way_delay_ms.p95"], 100);
  // Loss per phase: before 25 of 2000; during 100 of 2000 (the silent side expected nothing).
  EXPECT_EQ(m["audio_loss_ratio.before"], 0.0125);
  EXPECT_EQ(m["audio_loss_ratio.during"], 0.05);
  EXPECT_EQ(m["audio_loss_ratio"], 0.03125);
  EXPECT_EQ(m["audio_jitter_ms.p95.before"], 15);
  EXPECT_EQ(m["audio_jitter_ms.p95.during"], 2);
  for (const char* name : {"audio_mos_median.during", "audio_one_way_delay_ms.p95.after", "calls_poor_audio",
                           "audio_loss_ratio.before", "audio_jitter_ms.p95.during"}) {
    EXPECT_TRUE(is_known_metric(name)) << name;
  }
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
  // Every side knows how far away what it heard was: phone to phone about the links' delays
  // (0.2 ms LAN hops; 15 ms access + 5 ms core to the PSTN beyond the ITSP), each direction alike;
  // through the E1, half the echo's round trip. And every call sounded good.
  for (const auto& l : run.audio_legs) {
    ASSERT_TRUE(l.one_way_delay_ms) << l.call_id << " " << l.ua;
    EXPECT_GT(*l.one_way_delay_ms, 0.2) << l.call_id << " " << l.ua;
    EXPECT_LT(*l.one_way_delay_ms, 80) << l.call_id << " " << l.ua;
  }
  for (const auto& c : audio_calls(run)) {
    ASSERT_TRUE(c.mos) << c.call_id;
    EXPECT_GT(*c.mos, 4.3) << c.call_id;
    if (c.legs.size() == 2) {
      EXPECT_NEAR(*c.legs[0]->one_way_delay_ms, *c.legs[1]->one_way_delay_ms, 0.01) << "a symmetric path";
    }
  }
  EXPECT_EQ(m["calls_poor_audio"], 0);
}

}  // namespace
}  // namespace resproxy::harness
