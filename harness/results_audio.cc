// The audio: block's metrics (results.h: audio_calls, add_audio_metrics).
#include <algorithm>
#include <cmath>
#include <map>

#include "harness/results_audio.h"
#include "harness/results_detail.h"
#include "proxy/media/quality/emodel.h"

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

bool judged(const AudioLegData& leg, double run_end) { return !leg.negotiated || long_enough(leg, run_end); }

}  // namespace

std::optional<double> audio_leg_mos(const AudioLegData& leg) {
  if (!leg.negotiated || leg.expected == 0 || !leg.one_way_delay_ms) return std::nullopt;
  namespace q = media::quality;
  q::EModelInput in;
  in.set_codec(q::kG711Plc);
  const std::uint64_t lost = std::min(leg.lost, leg.expected);
  in.ppl = 100.0 * static_cast<double>(lost) / static_cast<double>(leg.expected);
  in.burst_r = q::burst_ratio(leg.expected, lost, leg.loss_bursts);
  in.ta_ms = *leg.one_way_delay_ms + kAudioPacketMs + std::max(kAudioPlayoutMinMs, 2.0 * leg.jitter_ms);
  return round3(q::emodel(in).mos);
}

double audio_poor_mos() { return media::quality::kPoorMos; }

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
    if (inserted) calls.push_back(AudioCall{.call_id = leg.call_id, .start_s = leg.start_s, .verdict = {}, .legs = {}, .mos = {}});
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
    if (call.verdict != AudioVerdict::TwoWay) continue;
    for (const AudioLegData* leg : call.legs) {
      if (!judged(*leg, run.duration_s)) continue;
      const auto mos = audio_leg_mos(*leg);
      if (!mos) {
        call.mos.reset();
        break;
      }
      call.mos = call.mos ? std::min(*call.mos, *mos) : *mos;
    }
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
    m["calls_poor_audio" + suffix] = 0;
  }
  m["audio_calls_too_short"] = 0;
  // Quality per phase ("" the whole run): MOS of the calls that have one, every side's delay,
  // and per phase also the sides' jitter and loss (the whole run's are below, from every leg).
  struct Quality {
    std::vector<double> mos, delay, jitter;
    double lost = 0, expected = 0;
  };
  std::map<std::string, Quality> quality;
  for (const auto& call : audio_calls(run)) {
    const std::string phase = dotted(phase_of(phases, call.start_s));
    for (const std::string& suffix : {std::string(), phase}) {
      Quality& q = quality[suffix];
      if (call.mos) q.mos.push_back(*call.mos);
      for (const AudioLegData* leg : call.legs) {
        if (leg->one_way_delay_ms) q.delay.push_back(*leg->one_way_delay_ms);
        if (leg->received > 1) q.jitter.push_back(leg->jitter_ms);
        q.lost += static_cast<double>(leg->lost);
        q.expected += static_cast<double>(leg->expected);
      }
    }
    if (call.verdict == AudioVerdict::TooShort) {
      m["audio_calls_too_short"] += 1;
      continue;
    }
    const std::string name = call.verdict == AudioVerdict::TwoWay   ? "audio_calls_two_way"
                             : call.verdict == AudioVerdict::OneWay ? "calls_one_way_audio"
                                                                    : "calls_no_audio";
    const bool poor = call.mos && *call.mos < audio_poor_mos();
    for (const std::string& suffix : {std::string(), phase}) {
      m["audio_calls" + suffix] += 1;
      m[name + suffix] += 1;
      if (poor) m["calls_poor_audio" + suffix] += 1;
    }
  }
  for (auto& [suffix, q] : quality) {
    std::sort(q.mos.begin(), q.mos.end());
    std::sort(q.delay.begin(), q.delay.end());
    std::sort(q.jitter.begin(), q.jitter.end());
    if (!q.mos.empty()) {
      m["audio_mos_median" + suffix] = round3(percentile(q.mos, 0.5));
      m["audio_mos_min" + suffix] = q.mos.front();
    }
    if (!q.delay.empty()) m["audio_one_way_delay_ms.p95" + suffix] = round3(percentile(q.delay, 0.95));
    if (suffix.empty()) continue;  // the whole run's jitter and loss: below, as before
    if (!q.jitter.empty()) m["audio_jitter_ms.p95" + suffix] = round3(percentile(q.jitter, 0.95));
    if (q.expected > 0) m["audio_loss_ratio" + suffix] = round6(q.lost / q.expected);
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
                           {"lost", l->lost}, {"loss_bursts", l->loss_bursts}, {"jitter_ms", l->jitter_ms},
                           {"first_voice_ms", optional_number(l->first_voice_ms)},
                           {"one_way_delay_ms", optional_number(l->one_way_delay_ms)},
                           {"mos", optional_number(audio_leg_mos(*l))}});
    }
    calls.push_back(Json{{"call_id", call.call_id}, {"start_s", call.start_s},
                         {"phase", phase_of(phases, call.start_s)},
                         {"verdict", std::string(to_string(call.verdict))}, {"mos", optional_number(call.mos)},
                         {"sides", std::move(sides)}});
  }
  Json out{{"talk_s", s.audio_talk_s.value_or(0)}, {"min_side_s", kMinAudioLeg},
           {"poor_mos", round3(audio_poor_mos())}, {"calls", std::move(calls)}};
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
