#include "proxy/media/telephone_event.h"

#include <algorithm>

namespace resproxy::media {
namespace {

constexpr std::string_view kDigits = "0123456789*#ABCD";
constexpr std::int64_t kNsPerSample = 125'000;  // telephone-event/8000

std::uint16_t samples_capped(Duration d) {
  return static_cast<std::uint16_t>(std::clamp<std::int64_t>(d.count() / kNsPerSample, 0, 0xffff));
}

}  // namespace

std::string_view to_string(TelephoneEventError e) {
  switch (e) {
    case TelephoneEventError::TooShort: return "too_short";
  }
  return "unknown";
}

Result<TelephoneEvent, TelephoneEventError> parse_telephone_event(std::span<const std::uint8_t> p) {
  if (p.size() < kTelephoneEventSize) return unexpected(TelephoneEventError::TooShort);
  TelephoneEvent e;
  e.event = p[0];
  e.end = (p[1] & 0x80) != 0;
  e.volume = p[1] & 0x3f;
  e.duration = static_cast<std::uint16_t>(p[2] << 8 | p[3]);
  return e;
}

std::array<std::uint8_t, kTelephoneEventSize> build_telephone_event(const TelephoneEvent& e) {
  return {e.event, static_cast<std::uint8_t>((e.end ? 0x80 : 0) | (e.volume & 0x3f)),
          static_cast<std::uint8_t>(e.duration >> 8), static_cast<std::uint8_t>(e.duration)};
}

std::optional<char> dtmf_digit(std::uint8_t event) {
  if (event >= kDigits.size()) return std::nullopt;
  return kDigits[event];
}

std::optional<std::uint8_t> dtmf_event(char digit) {
  if (digit >= 'a' && digit <= 'd') digit = static_cast<char>(digit - 'a' + 'A');
  const auto at = kDigits.find(digit);
  if (at == std::string_view::npos) return std::nullopt;
  return static_cast<std::uint8_t>(at);
}

TelephoneEventReceiver::TelephoneEventReceiver(const TelephoneEventReceiverConfig& config)
    : config_(config) {}

void TelephoneEventReceiver::report(Press& press, bool end_seen) {
  press.reported = true;
  ++stats_.digits;
  if (!end_seen) ++stats_.timed_out;
  if (digits_.size() >= config_.max_queued) {
    ++stats_.queue_full;
    return;
  }
  const std::uint64_t samples = press.earlier_segments + press.duration;
  digits_.push_back(DtmfDigit{.digit = *dtmf_digit(press.event),
                              .duration = Duration{static_cast<std::int64_t>(samples) * kNsPerSample},
                              .timestamp = press.first_timestamp,
                              .volume = press.volume,
                              .end_seen = end_seen});
}

void TelephoneEventReceiver::on_packet(TimePoint now, const RtpPacket& packet) {
  // from the wire: untrusted
  if (packet.payload_type != config_.payload_type) {
    ++stats_.ignored;
    return;
  }
  const auto parsed = parse_telephone_event(packet.payload);
  if (!parsed || !dtmf_digit(parsed->event)) {
    ++stats_.ignored;
    return;
  }
  const TelephoneEvent& e = *parsed;
  const bool same_source = press_ && press_->ssrc == packet.ssrc;
  if (same_source && packet.timestamp == press_->timestamp) {
    // An update or a retransmitted end of the current press.
    if (press_->reported || e.event != press_->event) {
      ++stats_.ignored;
      return;
    }
    ++stats_.packets;
    press_->duration = std::max(press_->duration, e.duration);
    press_->volume = e.volume;
    press_->last_seen = now;
    if (e.end) report(*press_, /*end_seen=*/true);
    return;
  }
  if (same_source && !is_newer_timestamp(packet.timestamp, press_->timestamp)) {
    ++stats_.ignored;  // a late packet of an earlier press
    return;
  }
  ++stats_.packets;
  if (same_source && !press_->reported && !packet.marker && e.event == press_->event &&
      timestamp_distance(press_->timestamp, packet.timestamp) == press_->duration) {
    // RFC 4733 §2.5.1.3: the next segment of a long press.
    press_->earlier_segments += press_->duration;
    press_->timestamp = packet.timestamp;
    press_->duration = e.duration;
    press_->volume = e.volume;
    press_->last_seen = now;
    if (e.end) report(*press_, /*end_seen=*/true);
    return;
  }
  if (press_ && !press_->reported) report(*press_, /*end_seen=*/false);  // its end was lost
  press_ = Press{.ssrc = packet.ssrc,
                 .timestamp = packet.timestamp,
                 .first_timestamp = packet.timestamp,
                 .event = e.event,
                 .earlier_segments = 0,
                 .duration = e.duration,
                 .volume = e.volume,
                 .reported = false,
                 .last_seen = now};
  if (e.end) report(*press_, /*end_seen=*/true);
}

std::optional<TimePoint> TelephoneEventReceiver::next_deadline() const {
  if (!press_ || press_->reported) return std::nullopt;
  return press_->last_seen + config_.end_timeout;
}

void TelephoneEventReceiver::on_deadline(TimePoint now) {
  if (const auto deadline = next_deadline(); deadline && now >= *deadline) {
    report(*press_, /*end_seen=*/false);
  }
}

std::optional<DtmfDigit> TelephoneEventReceiver::next_digit() {
  if (digits_.empty()) return std::nullopt;
  DtmfDigit d = digits_.front();
  digits_.pop_front();
  return d;
}

std::vector<ScheduledTelephoneEvent> telephone_event_schedule(char digit, Duration length,
                                                              const TelephoneEventSenderConfig& c) {
  std::vector<ScheduledTelephoneEvent> out;
  const auto event = dtmf_event(digit);
  if (!event) return out;
  const Duration interval = std::max(c.update_interval, Duration{10ms});
  const std::uint8_t volume = c.volume & 0x3f;
  for (Duration at = interval; at < length; at += interval) {
    out.push_back({.at = at,
                   .marker = out.empty(),
                   .event = {.event = *event, .end = false, .volume = volume, .duration = samples_capped(at)}});
  }
  for (int i = 0; i < std::max(c.end_packets, 1); ++i) {
    out.push_back({.at = length + i * c.end_spacing,
                   .marker = out.empty(),
                   .event = {.event = *event, .end = true, .volume = volume, .duration = samples_capped(length)}});
  }
  return out;
}

}  // namespace resproxy::media
