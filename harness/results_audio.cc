// The audio: block's metrics (results.h: audio_calls, add_audio_metrics).
#include <algorithm>
#include <cmath>
#include <map>

#include "harness/results_audio.h"
#include "harness/results_detail.h"

namespace resproxy::harness {

namespace {

using detail::dotted;
using detail::percentile;
using detail::phase_of;
using detail::round3;
using detail::round6;

bool long_enough(const AudioLegData& leg, double run_end) {
  return leg.stop_s.value_or(run_end) - leg.start_s >= kMinAudioLeg;
}

}  // namespace

std::string_view to_string(AudioVerdict verdict) {
  switch (verdict) {
    case AudioVerdict::TwoWay: return "two_way";
    case AudioVerdict::OneWay: return "one_way";
    case AudioVerdict::None: return "none";
    case AudioVerdict::TooShort: return "too_short";
  }
  return "?";
}

std::vector<AudioCall> audio_calls(const RunData& run) {
  std::vector<AudioCall> calls;
  std::map<std::string, std::size_t> index;
  for (const auto& leg : run.audio_legs) {
    auto [it, inserted] = index.try_emplace(leg.call_id, calls.size());
    if (inserted) calls.push_back(AudioCall{.call_id = leg.call_id, .start_s = leg.start_s, .verdict = {}, .legs = {}});
    AudioCall& call = calls[it->second];
    call.start_s = std::min(call.start_s, leg.start_s);
    call.legs.push_back(&leg);
  }
  for (auto& call : calls) {
    bool any = false, all_voice = true, any_packet = false;
    for (const AudioLegData* leg : call.legs) {
      if (leg->negotiated && !long_enough(*leg, run.duration_s)) continue;
      any = true;
      all_voice = all_voice && leg->negotiated && leg->voice > 0;
      any_packet = any_packet || leg->received > 0;
    }
    call.verdict = !any        ? AudioVerdict::TooShort
                   : all_voice ? AudioVerdict::TwoWay
                   : any_packet ? AudioVerdict::OneWay
                                : AudioVerdict::None;
  }
  return calls;
}

void add_audio_metrics(const Scenario& s, const RunData& run, Metrics& m) {
  const Phases phases = phases_of(s);
  for (const std::string suffix : {"", ".before", ".during", ".after"}) {
    m["audio_calls" + suffix] = 0;
    m["audio_calls_two_way" + suffix] = 0;
    m["calls_one_way_audio" + suffix] = 0;
    m["calls_no_audio" + suffix] = 0;
  }
  m["audio_calls_too_short"] = 0;
  for (const auto& call : audio_calls(run)) {
    if (call.verdict == AudioVerdict::TooShort) {
      m["audio_calls_too_short"] += 1;
      continue;
    }
    const std::string name = call.verdict == AudioVerdict::TwoWay   ? "audio_calls_two_way"
                             : call.verdict == AudioVerdict::OneWay ? "calls_one_way_audio"
                                                                    : "calls_no_audio";
    for (const std::string& suffix : {std::string(), dotted(phase_of(phases, call.start_s))}) {
      m["audio_calls" + suffix] += 1;
      m[name + suffix] += 1;
    }
  }
  std::vector<double> first_voice, jitter;
  double lost = 0, expected = 0;
  for (const auto& leg : run.audio_legs) {
    if (leg.first_voice_ms) first_voice.push_back(*leg.first_voice_ms);
    if (leg.received > 1) jitter.push_back(leg.jitter_ms);
    lost += static_cast<double>(leg.lost);
    expected += static_cast<double>(leg.expected);
  }
  std::sort(first_voice.begin(), first_voice.end());
  std::sort(jitter.begin(), jitter.end());
  if (!first_voice.empty()) {
    m["audio_first_voice_ms.p50"] = round3(percentile(first_voice, 0.5));
    m["audio_first_voice_ms.p95"] = round3(percentile(first_voice, 0.95));
    m["audio_first_voice_ms.max"] = round3(first_voice.back());
  }
  if (!jitter.empty()) {
    m["audio_jitter_ms.p95"] = round3(percentile(jitter, 0.95));
    m["audio_jitter_ms.max"] = round3(jitter.back());
  }
  if (expected > 0) m["audio_loss_ratio"] = round6(lost / expected);
  // resproxy's media relay ([media_relay]), from its counters at the end of the run.
  for (const auto& [node, table] : run.counters) {
    if (node != "resproxy") continue;
    for (const auto& c : table) {
      if (c.name == "media_calls_anchored") m["relay_calls"] = static_cast<double>(c.value);
      if (c.name == "media_calls_timed_out") m["relay_calls_timed_out"] = static_cast<double>(c.value);
      if (c.name == "media_packets_forwarded") m["relay_packets_forwarded"] = static_cast<double>(c.value);
      if (c.name == "media_packets_dropped") m["relay_packets_dropped"] = static_cast<double>(c.value);
    }
  }
  if (const auto& g = run.gateway_media) {
    m["gateway_bridges_opened"] = static_cast<double>(g->opened);
    m["gateway_bridges_refused"] = static_cast<double>(g->refused);
    m["gateway_rtp_rx"] = static_cast<double>(g->rtp_rx);
    m["gateway_rtp_tx"] = static_cast<double>(g->rtp_tx);
    m["gateway_rtp_foreign"] = static_cast<double>(g->foreign);
    m["gateway_rtp_concealed"] = static_cast<double>(g->concealed);
  }
}

nlohmann::ordered_json audio_json(const Scenario& s, const RunData& run) {
  using Json = nlohmann::ordered_json;
  const Phases phases = phases_of(s);
  const auto optional_number = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  Json calls = Json::array();
  for (const auto& call : audio_calls(run)) {
    Json sides = Json::array();
    for (const AudioLegData* l : call.legs) {
      sides.push_back(Json{{"ua", l->ua}, {"negotiated", l->negotiated}, {"start_s", l->start_s},
                           {"stop_s", optional_number(l->stop_s)}, {"sent", l->sent},
                           {"received", l->received}, {"voice", l->voice}, {"expected", l->expected},
                           {"lost", l->lost}, {"jitter_ms", l->jitter_ms},
                           {"first_voice_ms", optional_number(l->first_voice_ms)}});
    }
    calls.push_back(Json{{"call_id", call.call_id}, {"start_s", call.start_s},
                         {"phase", phase_of(phases, call.start_s)},
                         {"verdict", std::string(to_string(call.verdict))}, {"sides", std::move(sides)}});
  }
  Json out{{"talk_s", s.audio_talk_s.value_or(0)}, {"min_side_s", kMinAudioLeg}, {"calls", std::move(calls)}};
  if (const auto& g = run.gateway_media) {
    out["gateway"] = Json{{"bridges_opened", g->opened}, {"bridges_refused", g->refused},
                          {"rtp_rx", g->rtp_rx},         {"rtp_tx", g->rtp_tx},
                          {"foreign", g->foreign},       {"rx_errors", g->rx_errors},
                          {"tx_errors", g->tx_errors},   {"late", g->late},
                          {"lost", g->lost},             {"concealed", g->concealed},
                          {"slips", g->slips}};
  }
  return out;
}

}  // namespace resproxy::harness
