#include "model/audio_probe.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <numbers>

#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::model {

namespace {

media::G711Law law_of(std::uint8_t payload_type) {
  return payload_type == media::kPayloadTypePcma ? media::G711Law::ALaw : media::G711Law::MuLaw;
}

constexpr std::int64_t kNsPerSample = 125'000;  // 8 kHz: G.711, payload types 0 and 8

}  // namespace

Duration one_way_delay(const HeardSource& heard, TimePoint first_sent, std::uint32_t first_timestamp) {
  // The sender's first packet would have had transit first_sent (its timestamp is the line's
  // zero), and the heard line starts at heard.first_timestamp: (that − T0) samples later.
  const auto skipped = static_cast<std::int32_t>(heard.first_timestamp - first_timestamp);
  return heard.mean_transit() - first_sent - Duration{std::int64_t{skipped} * kNsPerSample};
}

const HeardSource* AudioStats::main_source() const {
  const HeardSource* best = nullptr;
  for (const auto& h : heard) {
    if (best == nullptr || h.packets > best->packets) best = &h;
  }
  return best;
}

AudioProbe::AudioProbe(Address peer, std::uint8_t payload_type, std::uint32_t ssrc,
                       std::uint16_t first_sequence, std::uint32_t first_timestamp)
    : peer_(std::move(peer)),
      payload_type_(payload_type == media::kPayloadTypePcma ? media::kPayloadTypePcma
                                                            : media::kPayloadTypePcmu),
      ssrc_(ssrc),
      sequence_(first_sequence),
      timestamp_(first_timestamp) {
  stats_.ssrc = ssrc;
  stats_.first_timestamp = first_timestamp;
}

std::vector<std::uint8_t> AudioProbe::next_packet(TimePoint now) {
  std::vector<std::uint8_t> payload(kSamples);
  const media::G711Law law = law_of(payload_type_);
  for (std::size_t i = 0; i < kSamples; ++i) {
    const double t = static_cast<double>(samples_said_ + i) / 8000.0;
    const double v = kToneAmplitude * std::sin(2 * std::numbers::pi * kToneHz * t);
    payload[i] = media::g711_encode(law, static_cast<std::int16_t>(std::lround(v)));
  }
  samples_said_ += kSamples;
  media::RtpPacket packet;
  packet.marker = stats_.sent == 0;
  packet.payload_type = payload_type_;
  packet.sequence_number = sequence_++;
  packet.timestamp = timestamp_;
  timestamp_ += kSamples;
  packet.ssrc = ssrc_;
  packet.payload = payload;
  auto bytes = media::build_rtp(packet);  // valid fields: cannot fail
  ++stats_.sent;
  if (!stats_.first_sent) stats_.first_sent = now;
  return bytes ? std::move(bytes).value() : std::vector<std::uint8_t>{};
}

void AudioProbe::note_transit(TimePoint now, std::uint32_t ssrc, std::uint32_t timestamp) {
  auto it = std::find_if(stats_.heard.begin(), stats_.heard.end(),
                         [ssrc](const HeardSource& h) { return h.ssrc == ssrc; });
  if (it == stats_.heard.end()) {
    stats_.heard.push_back(HeardSource{.ssrc = ssrc,
                                       .packets = 0,
                                       .first_timestamp = timestamp,
                                       .last_timestamp = timestamp,
                                       .timestamp_offset = 0,
                                       .first_transit = now,
                                       .transit_sum = {},
                                       .min_transit = now,
                                       .max_transit = now});
    it = std::prev(stats_.heard.end());
  }
  HeardSource& h = *it;
  h.timestamp_offset += static_cast<std::int32_t>(timestamp - h.last_timestamp);  // unwrapped
  h.last_timestamp = timestamp;
  const TimePoint transit = now - Duration{h.timestamp_offset * kNsPerSample};
  ++h.packets;
  h.transit_sum += transit - h.first_transit;
  h.min_transit = std::min(h.min_transit, transit);
  h.max_transit = std::max(h.max_transit, transit);
}

void AudioProbe::on_datagram(TimePoint now, const Address& source, std::span<const std::uint8_t> bytes) {
  if (source != peer_) {
    ++stats_.foreign;
    return;
  }
  const auto parsed = media::parse_rtp(bytes);
  if (!parsed || parsed.value().payload.empty()) {
    ++stats_.malformed;
    return;
  }
  const media::RtpPacket& p = parsed.value();
  ++stats_.received;
  // A loss burst: a counted packet of the same confirmed source past a gap in the sequence.
  const bool confirmed = receiver_.ssrc() == p.ssrc && !receiver_.in_probation();
  const std::uint64_t highest = receiver_.extended_highest();
  const std::uint64_t restarts = receiver_.source_changes();
  const auto verdict = receiver_.on_packet(now, p.ssrc, p.sequence_number, p.timestamp, bytes.size());
  if (confirmed && verdict == media::relay::StreamStats::Verdict::Counted &&
      receiver_.source_changes() == restarts && receiver_.extended_highest() > highest + 1) {
    ++stats_.loss_bursts;
  }
  note_transit(now, p.ssrc, p.timestamp);
  stats_.expected = static_cast<std::uint64_t>(receiver_.expected());
  stats_.lost_packets = static_cast<std::uint64_t>(std::max<std::int64_t>(0, receiver_.lost()));
  stats_.jitter_ms = static_cast<double>(receiver_.jitter()) * 1000.0 / receiver_.clock_rate();
  if (!stats_.first_received) stats_.first_received = now;
  stats_.last_received = now;
  // Voice: the mean magnitude of the decoded samples, in the payload type the packet says.
  const media::G711Law law = law_of(p.payload_type);
  double sum = 0;
  for (const std::uint8_t code : p.payload) {
    const std::int16_t s = law == media::G711Law::ALaw ? media::alaw_decode(code) : media::ulaw_decode(code);
    sum += std::abs(static_cast<double>(s));
  }
  if (sum / static_cast<double>(p.payload.size()) > kSilenceFloor) {
    ++stats_.voice;
    if (!stats_.first_voice) stats_.first_voice = now;
  }
}

}  // namespace resproxy::model
