#include "harness/scenario_audio.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "harness/run_recorder.h"  // seconds_of, round3

namespace resproxy::harness::runner {

std::uint16_t AudioRig::next_port(const ns3::Ptr<ns3::Node>& node) {
  auto [it, inserted] = next_port_.try_emplace(node->GetId(), kFirstMediaPort);
  const std::uint16_t port = it->second;
  it->second = static_cast<std::uint16_t>(port + 2);  // RTP even, RTCP odd (RFC 3550 §11)
  return port;
}

void AudioRig::attach(model::UaPhone& ua, const std::string& name, ns3::Ptr<ns3::Node> node,
                      const std::string& ip, std::uint16_t port) {
  auto app = ns3::CreateObject<model::RtpAudioApplication>();
  app->Configure(Address{ip, port}, talk_for_, rng_);
  node->AddApplication(app);
  app->SetStartTime(ns3::Seconds(0));
  app->SetStopTime(stop_);
  model::RtpAudioApplication* raw = ns3::PeekPointer(app);
  ua.set_media_listener([raw](const model::MediaEvent& event) { raw->OnMedia(event); });
  attached_.push_back({&ua, name, app});
}

void AudioRig::bridge_gateway(model::SipNodeApplication& app, const std::string& ip) {
  const auto bind = model::parse_ipv4(ip);
  if (!bind) return;
  app.EnableMediaBridges(*bind, media::JitterBufferConfig{}, rng_);
  gateway_ = &app;
}

namespace {

// The one-way delay of what `r` heard (ms), or nullopt. When the source it heard most is another
// probe of the same call — phone to phone, directly or through a relay that forwards RTP
// unchanged — its mean transit less the speaker's first send (model/audio_probe.h). Otherwise
// (the PSTN gateway's own stream, its line echoing us) half the echo's round trip: from our first
// packet to the first voice heard.
std::optional<double> one_way_delay_ms(const model::AudioRecord& r,
                                       const std::multimap<std::string, const model::AudioRecord*>& by_call) {
  const model::HeardSource* heard = r.stats.main_source();
  if (heard == nullptr) return std::nullopt;
  const auto [from, to] = by_call.equal_range(r.call_id);
  for (auto it = from; it != to; ++it) {
    const model::AudioRecord& peer = *it->second;
    if (&peer == &r || peer.stats.ssrc != heard->ssrc || !peer.stats.first_sent) continue;
    const Duration d = model::one_way_delay(*heard, *peer.stats.first_sent, peer.stats.first_timestamp);
    return round3(static_cast<double>(d.count()) / 1e6);
  }
  if (r.stats.first_voice && r.stats.first_sent) {
    return round3(static_cast<double>(to_ns(*r.stats.first_voice) - to_ns(*r.stats.first_sent)) / 2e6);
  }
  return std::nullopt;
}

}  // namespace

void AudioRig::collect(RunData& out) const {
  // Every UA's records first: a leg's delay needs the speaker's record, at another UA.
  std::vector<std::vector<model::AudioRecord>> records;
  records.reserve(attached_.size());
  std::multimap<std::string, const model::AudioRecord*> by_call;
  for (const auto& a : attached_) records.push_back(a.app->Records());
  for (const auto& list : records) {
    for (const auto& r : list) by_call.emplace(r.call_id, &r);
  }
  std::vector<std::pair<double, AudioLegData>> legs;
  for (std::size_t i = 0; i < attached_.size(); ++i) {
    const Attached& a = attached_[i];
    // A call this UA answered whose 2xx was never acknowledged (the caller never heard it: a cut
    // link) never connected; its caller's record says how it failed. Not judged for audio.
    std::set<std::string> unconfirmed;
    for (const auto& c : a.ua->calls()) {
      if (c.role == model::CallRole::Callee && c.answered_at && !c.ack_at) unconfirmed.insert(c.call_id);
    }
    std::set<std::string> heard;
    for (const auto& r : records[i]) {
      heard.insert(r.call_id);
      if (unconfirmed.contains(r.call_id)) continue;
      AudioLegData d;
      d.call_id = r.call_id;
      d.ua = a.name;
      d.start_s = round3(seconds_of(r.started_at));
      if (r.stopped_at) d.stop_s = round3(seconds_of(*r.stopped_at));
      d.sent = r.stats.sent;
      d.received = r.stats.received;
      d.voice = r.stats.voice;
      d.expected = r.stats.expected;
      d.lost = r.stats.lost();
      d.jitter_ms = round3(r.stats.jitter_ms);
      d.loss_bursts = r.stats.loss_bursts;
      d.one_way_delay_ms = one_way_delay_ms(r, by_call);
      if (r.stats.first_voice && r.stats.first_sent) {
        d.first_voice_ms = round3(static_cast<double>(to_ns(*r.stats.first_voice) - to_ns(*r.stats.first_sent)) / 1e6);
      }
      legs.emplace_back(d.start_s, std::move(d));
    }
    // Answered calls that gave the phone nothing to send to: connected without audio.
    for (const auto& c : a.ua->calls()) {
      if (!c.answered_at || heard.contains(c.call_id) || unconfirmed.contains(c.call_id)) continue;
      AudioLegData d;
      d.call_id = c.call_id;
      d.ua = a.name;
      d.negotiated = false;
      d.start_s = round3(seconds_of(*c.answered_at));
      if (c.ended_at) d.stop_s = round3(seconds_of(*c.ended_at));
      legs.emplace_back(d.start_s, std::move(d));
    }
  }
  std::stable_sort(legs.begin(), legs.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& l : legs) out.audio_legs.push_back(std::move(l.second));
  if (const model::Ns3MediaBridges* bridges = gateway_ != nullptr ? gateway_->GetMediaBridges() : nullptr) {
    const model::MediaBridgeTotals t = bridges->Totals();
    out.gateway_media = GatewayMediaData{.opened = t.opened,
                                         .refused = t.refused,
                                         .rtp_rx = t.counters.rtp_rx,
                                         .rtp_tx = t.counters.rtp_tx,
                                         .foreign = t.counters.foreign,
                                         .rx_errors = t.counters.rx_errors,
                                         .tx_errors = t.counters.tx_errors,
                                         .late = t.counters.late,
                                         .lost = t.counters.lost,
                                         .concealed = t.counters.concealed,
                                         .slips = t.counters.slips};
  }
}

}  // namespace resproxy::harness::runner
