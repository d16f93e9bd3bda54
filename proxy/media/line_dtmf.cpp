// DTMF between RFC 4733 and the line's audio for one call (line_dtmf.h).
#include "proxy/media/line_dtmf.h"

#include <algorithm>

namespace resproxy::media {
namespace {

constexpr std::int64_t kNsPerSample = 125'000;  // 8 kHz

std::size_t samples_of(Duration d) {
  return static_cast<std::size_t>(std::max<std::int64_t>(d.count() / kNsPerSample, 0));
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
  // Ended: the final length runs from the first silenced frame to the tone's end.
  for (auto* s : {&next_, &sending_}) {
    if (*s && (*s)->digit == e.digit && !(*s)->final_length) {
      const std::uint64_t length = e.end > (*s)->first_sample ? e.end - (*s)->first_sample : 0;
      (*s)->final_length = std::max((*s)->reported, length);
      return;
    }
  }
}

void LineDtmf::add_packet(Output& out, std::uint64_t segment_start, std::uint64_t through,
                          bool end, bool marker) const {
  const Sending& s = *sending_;
  // guaranteed: the detector reports DTMF digits only; through - segment_start is at most
  // kSegmentSamples (send_events ends a segment before it would be more)
  const auto event = *dtmf_event(s.digit);
  add(out, {.marker = marker,
            .timestamp = s.timestamp + static_cast<std::uint32_t>(segment_start),
            .event = {.event = event,
                      .end = end,
                      .volume = static_cast<std::uint8_t>(config_.volume & 0x3f),
                      .duration = static_cast<std::uint16_t>(through - segment_start)}});
}

void LineDtmf::end_segment(Output& out) {
  Sending& s = *sending_;
  // RFC 4733 §2.5.1.3: the segment's last packet reports its full length without the E bit; the
  // next segment starts where it ends. §2.5.1.4 has the final packet of each segment, as of each
  // event, sent three times: the far end joins the next segment to this press only if it saw
  // this full length (TelephoneEventReceiver: next timestamp = this one + this duration).
  s.reported = s.segment_start + kSegmentSamples;
  add_packet(out, s.segment_start, s.reported, /*end=*/false, /*marker=*/false);
  s.segment_start = s.reported;
  s.segment_end_left = std::max(config_.end_packets, 1) - 1;
  // The next segment's updates keep the cadence from where it begins.
  s.next_update =
      Duration{static_cast<std::int64_t>(s.segment_start) * kNsPerSample} + config_.update_interval;
}

void LineDtmf::send_events(std::uint32_t timestamp, Output& out) {
  if (!sending_) return;
  Sending& s = *sending_;
  if (!s.started) {
    if (s.ticks_to_start > 0) {
      --s.ticks_to_start;
      return;
    }
    s.started = true;
    s.reported = kFrameSamples;
    s.next_update = config_.update_interval;
    ++stats_.digits_sent;
    add_packet(out, 0, s.reported, /*end=*/false, /*marker=*/true);
    return;
  }
  if (s.segment_end_left > 0) {  // the previous segment's last packet again
    --s.segment_end_left;
    add_packet(out, s.segment_start - kSegmentSamples, s.segment_start, /*end=*/false,
               /*marker=*/false);
    return;
  }
  if (s.final_length) {
    const std::uint64_t length = std::max(*s.final_length, s.reported);
    if (length - s.segment_start > kSegmentSamples) {
      // The line said the tone ended past this segment before the delayed voice got there.
      end_segment(out);
      return;
    }
    // A tone that ended just where a segment ended has nothing in the next one: the E packets
    // close the segment already sent.
    const std::uint64_t last_segment =
        length == s.segment_start && s.segment_start > 0 ? s.segment_start - kSegmentSamples
                                                         : s.segment_start;
    add_packet(out, last_segment, length, /*end=*/true, /*marker=*/false);
    if (++s.end_sent >= std::max(config_.end_packets, 1)) {
      sending_ = next_;
      next_.reset();
      if (sending_) sending_->ticks_to_start = 0;  // its first frame has left: start next frame
    }
    return;
  }
  // The distance from the segment's start through the end of this frame; measured from the
  // segment (at most kSegmentSamples back), RFC 3550's wrapping timestamps never confuse it.
  const std::uint32_t segment_timestamp = s.timestamp + static_cast<std::uint32_t>(s.segment_start);
  const std::uint64_t elapsed =
      s.segment_start + static_cast<std::uint32_t>(timestamp - segment_timestamp) + kFrameSamples;
  if (elapsed - s.segment_start >= kSegmentSamples) {
    end_segment(out);
    return;
  }
  if (Duration{static_cast<std::int64_t>(elapsed) * kNsPerSample} >= s.next_update) {
    s.reported = std::max(s.reported, elapsed);
    s.next_update += config_.update_interval;
    add_packet(out, s.segment_start, s.reported, /*end=*/false, /*marker=*/false);
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
