#include "model/audio_probe.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>

#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::model {

namespace {

media::G711Law law_of(std::uint8_t payload_type) {
  return payload_type == media::kPayloadTypePcma ? media::G711Law::ALaw : media::G711Law::MuLaw;
}

}  // namespace

AudioProbe::AudioProbe(Address peer, std::uint8_t payload_type, std::uint32_t ssrc,
                       std::uint16_t first_sequence, std::uint32_t first_timestamp)
    : peer_(std::move(peer)),
      payload_type_(payload_type == media::kPayloadTypePcma ? media::kPayloadTypePcma
                                                            : media::kPayloadTypePcmu),
      ssrc_(ssrc),
      sequence_(first_sequence),
      timestamp_(first_timestamp) {}

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
  (void)receiver_.on_packet(now, p.ssrc, p.sequence_number, p.timestamp, bytes.size());
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
