// DTMF between RFC 4733 and the line's audio for one call (line_dtmf.h).
#include "proxy/media/line_dtmf.h"

#include <algorithm>

namespace resproxy::media {
namespace {

constexpr std::int64_t kNsPerSample = 125'000;  // 8 kHz

std::size_t samples_of(Duration d) {
  return static_cast<std::size_t>(std::max<std::int64_t>(d.count() / kNsPerSample, 0));
}

std::uint16_t capped(std::uint64_t samples) {
  return static_cast<std::uint16_t>(std::min<std::uint64_t>(samples, 0xffff));
}

}  // namespace

LineDtmf::LineDtmf(const LineDtmfConfig& config)
    : config_(config),
      receiver_(
          TelephoneEventReceiverConfig{.payload_type = config.payload_type,
                                       .end_timeout = 250ms,
                                       .max_queued = std::max<std::size_t>(config.max_pending, 1)}),
      generator_(config.generator),
      detector_(config.detector) {
  config_.voice_delay_frames = std::min(config_.voice_delay_frames, kMaxVoiceDelay);
  delay_frames_ = config_.voice_delay_frames;
}

void LineDtmf::on_packet(TimePoint now, const RtpPacket& packet) {
  receiver_.on_packet(now, packet);
}

// --- network -> line ---

void LineDtmf::start_next_tone() {
  while (const auto digit = receiver_.next_digit()) {
    if (!generator_.start(digit->digit)) continue;  // guaranteed DTMF by the receiver; be safe
    // from the wire: the press's duration is the sender's word; bounded both ways
    tone_left_ = std::clamp(samples_of(digit->duration), samples_of(config_.min_tone),
                            samples_of(config_.max_tone));
    pause_left_ = samples_of(config_.pause);
    ++stats_.digits_played;
    return;
  }
}

void LineDtmf::to_line(TimePoint now, LineSamples& heard) {
  if (const auto deadline = receiver_.next_deadline(); deadline && now >= *deadline)
    receiver_.on_deadline(now);
  std::size_t at = 0;
  while (at < heard.size()) {
    const std::span<std::int16_t> rest = std::span<std::int16_t>(heard).subspan(at);
    if (tone_left_ > 0) {
      const std::size_t n = std::min(tone_left_, rest.size());
      generator_.fill(rest.first(n));
      tone_left_ -= n;
      if (tone_left_ == 0) generator_.stop();
      at += n;
    } else if (pause_left_ > 0) {
      const std::size_t n = std::min(pause_left_, rest.size());
      std::fill_n(rest.begin(), n, std::int16_t{0});
      pause_left_ -= n;
      at += n;
    } else {
      start_next_tone();
      if (tone_left_ == 0) return;  // nothing to play: the rest of the frame is the voice
    }
  }
}

// --- line -> network ---

void LineDtmf::add(Output& out, const OutgoingEvent& e) {
  if (out.event_count < out.events.size()) out.events[out.event_count++] = e;
}

void LineDtmf::on_detected(const DtmfToneEvent& e, std::uint32_t timestamp) {
  const std::uint64_t k = frame_;
  const std::uint64_t d = delay_frames_;
  const std::uint64_t oldest = k >= d ? k - d : 0;  // the oldest frame not yet sent
  if (e.kind == DtmfToneEvent::Kind::Began) {
    // Silence the tone from its first frame still held back (detection came after it began).
    const std::uint64_t first = std::clamp<std::uint64_t>(e.start / kFrameSamples, oldest, k);
    for (std::uint64_t j = first; j <= k; ++j) delay_[j % (d + 1)].fill(0);
    const auto ahead = static_cast<std::int64_t>(first + d - k);  // frames until `first` leaves
    Sending s{.digit = e.digit,
              .timestamp = timestamp + static_cast<std::uint32_t>(
                                           ahead * static_cast<std::int64_t>(kFrameSamples)),
              .ticks_to_start = ahead,
              .first_sample = first * kFrameSamples};
    if (!sending_) {
      sending_ = s;
    } else {
      next_ = s;  // after the previous digit's end packets; a third in that time replaces it
    }
    return;
  }
  // Ended: the final duration runs from the first silenced frame to the tone's end.
  for (auto* s : {&next_, &sending_}) {
    if (*s && (*s)->digit == e.digit && !(*s)->final_duration) {
      const std::uint64_t length = e.end > (*s)->first_sample ? e.end - (*s)->first_sample : 0;
      (*s)->final_duration = std::max((*s)->duration, capped(length));
      return;
    }
  }
}

void LineDtmf::send_events(std::uint32_t timestamp, Output& out) {
  if (!sending_) return;
  Sending& s = *sending_;
  const auto event = *dtmf_event(s.digit);  // guaranteed: the detector reports DTMF digits only
  const std::uint8_t volume = config_.volume & 0x3f;
  if (!s.started) {
    if (s.ticks_to_start > 0) {
      --s.ticks_to_start;
      return;
    }
    s.started = true;
    s.duration = static_cast<std::uint16_t>(kFrameSamples);
    s.next_update = config_.update_interval;
    ++stats_.digits_sent;
    add(out, {.marker = true,
              .timestamp = s.timestamp,
              .event = {.event = event, .end = false, .volume = volume, .duration = s.duration}});
    return;
  }
  if (s.final_duration) {
    s.final_duration = std::max(*s.final_duration, s.duration);
    add(out,
        {.marker = false,
         .timestamp = s.timestamp,
         .event = {.event = event, .end = true, .volume = volume, .duration = *s.final_duration}});
    if (++s.end_sent >= std::max(config_.end_packets, 1)) {
      sending_ = next_;
      next_.reset();
      if (sending_) sending_->ticks_to_start = 0;  // its first frame has left: start next frame
    }
    return;
  }
  // RFC 3550 timestamps wrap: the distance from the digit's start, through the end of this frame.
  const std::uint64_t elapsed = static_cast<std::uint32_t>(timestamp - s.timestamp) + kFrameSamples;
  if (Duration{static_cast<std::int64_t>(elapsed) * kNsPerSample} >= s.next_update) {
    s.duration = std::max(s.duration, capped(elapsed));
    s.next_update += config_.update_interval;
    add(out, {.marker = false,
              .timestamp = s.timestamp,
              .event = {.event = event, .end = false, .volume = volume, .duration = s.duration}});
  }
}

LineDtmf::Output LineDtmf::from_line(const LineSamples& said, std::uint32_t timestamp) {
  Output out;
  const std::uint64_t k = frame_;
  const std::uint64_t d = delay_frames_;
  detector_.process(said);
  delay_[k % (d + 1)] = said;
  bool detected = false;
  while (const auto e = detector_.next_event()) {
    detected = true;
    on_detected(*e, timestamp);
  }
  if (detected || detector_.current()) delay_[k % (d + 1)].fill(0);
  if (k >= d) out.voice = delay_[(k - d) % (d + 1)];  // before that: silence
  send_events(timestamp, out);
  stats_.event_packets_sent += out.event_count;
  ++frame_;
  return out;
}

LineDtmfStats LineDtmf::stats() const {
  LineDtmfStats s = stats_;
  const auto& r = receiver_.stats();
  s.digits_received = r.digits;
  s.digits_dropped = r.queue_full;
  s.events_ignored = r.ignored;
  return s;
}

}  // namespace resproxy::media
