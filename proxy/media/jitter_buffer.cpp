#include "proxy/media/jitter_buffer.h"

#include <algorithm>
#include <cstdlib>

namespace resproxy::media {
namespace {

constexpr std::int64_t kFrame = static_cast<std::int64_t>(kFrameSamples);
constexpr std::int64_t kNsPerSample = 125'000;  // 8 kHz
// Positions restart here at every anchor, far from 0 so that nothing before it goes negative.
constexpr std::int64_t kBase = std::int64_t{1} << 40;
// The stream is "receiving" while its last packet is at most this old: only then do averages,
// adaptation and slips run (a talkspurt's tail draining into a pause is not clock slip).
constexpr Duration kReceivingWindow = 60ms;

std::int64_t samples_of(Duration d) { return std::max<std::int64_t>(d.count() / kNsPerSample, 0); }
Duration duration_of(std::int64_t samples) { return Duration{samples * kNsPerSample}; }
std::int64_t whole_frames_up(std::int64_t samples) { return (samples + kFrame - 1) / kFrame * kFrame; }

}  // namespace

JitterBuffer::JitterBuffer(const JitterBufferConfig& config) : config_(config) {
  // Sanitise: the core never throws on configuration; it makes the values consistent.
  auto& c = config_;
  c.min_delay = std::max(c.min_delay, Duration{0});
  c.max_delay = std::max(c.max_delay, c.min_delay);
  c.initial_delay = std::clamp(c.initial_delay, c.min_delay, c.max_delay);
  c.slip_band = std::max(c.slip_band, Duration{5ms});
  c.jitter_factor = std::clamp(c.jitter_factor, 1, 16);
  const std::int64_t capacity =
      whole_frames_up(std::max(samples_of(c.capacity), whole_frames_up(samples_of(c.max_delay)) + 4 * kFrame));
  ring_.assign(static_cast<std::size_t>(capacity), 0);
  present_.assign(static_cast<std::size_t>(capacity), 0);
  target_ = desired_target();
  stats_.target_delay = duration_of(target_);
}

std::int64_t JitterBuffer::desired_target() const {
  const std::int64_t from_jitter = config_.jitter_factor * jitter16_ / 16;
  const std::int64_t wanted = std::max(samples_of(config_.initial_delay), from_jitter);
  return std::clamp(whole_frames_up(wanted), whole_frames_up(samples_of(config_.min_delay)),
                    whole_frames_up(samples_of(config_.max_delay)));
}

void JitterBuffer::anchor(std::uint32_t timestamp) {
  std::fill(present_.begin(), present_.end(), 0);
  buffered_ = 0;
  last_timestamp_ = timestamp;
  last_position_ = kBase;
  target_ = desired_target();
  play_ = kBase - target_;
  end_ = play_;
  fill256_ = target_ * 256;
  waiting_ = 0;
  stats_.target_delay = duration_of(target_);
}

void JitterBuffer::start_stream(const RtpPacket& packet, bool keep_jitter) {
  active_ = true;
  ssrc_ = packet.ssrc;
  candidate_.reset();
  sequence_.reset();
  seen_high_ = sequence_.update(packet.sequence_number).extended;
  seen_.reset();
  seen_.set(0);
  if (!keep_jitter) {
    jitter16_ = 0;
    previous_transit_.reset();
  }
  anchor(packet.timestamp);
}

void JitterBuffer::update_jitter(TimePoint now, std::uint32_t timestamp) {
  const std::int64_t arrival = to_ns(now) / kNsPerSample;
  if (previous_transit_) {
    const auto [previous_arrival, previous_timestamp] = *previous_transit_;
    // RFC 3550 §6.4.1: D = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16, J kept scaled by 16.
    const std::int64_t d = (arrival - previous_arrival) - timestamp_distance(previous_timestamp, timestamp);
    jitter16_ += std::min<std::int64_t>(std::abs(d), 1 << 20) - jitter16_ / 16;
  }
  previous_transit_ = std::make_pair(arrival, timestamp);
  stats_.jitter = duration_of(jitter16_ / 16);
}

bool JitterBuffer::mark_seen(std::uint64_t extended) {
  if (extended > seen_high_) {
    const std::uint64_t shift = extended - seen_high_;
    if (shift >= seen_.size()) seen_.reset(); else seen_ <<= static_cast<std::size_t>(shift);
    seen_high_ = extended;
  }
  const std::uint64_t back = seen_high_ - extended;
  if (back >= seen_.size()) return true;  // older than we remember: not a known duplicate
  if (seen_.test(static_cast<std::size_t>(back))) return false;
  seen_.set(static_cast<std::size_t>(back));
  return true;
}

void JitterBuffer::store(std::int64_t position, std::span<const std::uint8_t> payload) {
  const auto capacity = static_cast<std::int64_t>(ring_.size());
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const std::int64_t at = position + static_cast<std::int64_t>(i);
    if (at < play_ || at >= play_ + capacity) continue;  // before playout, or beyond the window
    const auto slot = static_cast<std::size_t>(at % capacity);
    ring_[slot] = payload[i];
    if (!present_[slot]) {
      present_[slot] = 1;
      ++buffered_;
    }
  }
  end_ = std::max(end_, position + static_cast<std::int64_t>(payload.size()));
}

JitterBuffer::PushResult JitterBuffer::push(TimePoint now, const RtpPacket& packet) {
  // from the wire: untrusted; every field below is checked before it moves anything
  const auto length = static_cast<std::int64_t>(packet.payload.size());
  const auto capacity = static_cast<std::int64_t>(ring_.size());
  if (packet.payload_type != config_.payload_type || length == 0 || length > capacity - kFrame) {
    ++stats_.ignored;
    return PushResult::Ignored;
  }
  const bool confirmed = candidate_ && candidate_->ssrc == packet.ssrc &&
                         candidate_->next_sequence == packet.sequence_number;
  if (!active_ || confirmed) {
    if (active_) ++stats_.resets;
    start_stream(packet, /*keep_jitter=*/false);
  } else if (packet.ssrc != ssrc_) {
    candidate_ = Candidate{packet.ssrc, static_cast<std::uint16_t>(packet.sequence_number + 1)};
    ++stats_.held;
    return PushResult::Held;
  } else {
    const auto update = sequence_.update(packet.sequence_number);
    using Verdict = SequenceExtender::Verdict;
    if (update.verdict == Verdict::Jump) {
      ++stats_.held;
      return PushResult::Held;
    }
    if (update.verdict == Verdict::Restarted) {
      ++stats_.resets;
      start_stream(packet, /*keep_jitter=*/false);
    } else {
      if (!mark_seen(update.extended)) {
        ++stats_.duplicate;
        return PushResult::Duplicate;
      }
      const std::int64_t position =
          last_position_ + timestamp_distance(last_timestamp_, packet.timestamp);
      const std::int64_t offset = position - play_;
      const bool pending = end_ > play_;
      const bool pause_over = now - last_arrival_ >= config_.talkspurt_gap;
      if (!pending && (packet.marker || pause_over || offset > capacity - length || offset < -capacity)) {
        // A talkspurt starts (RFC 3551 §4.1: marker bit), or the stream comes back from a pause
        // with no marker: play it `target` from now, the target adapted to the jitter so far.
        anchor(packet.timestamp);
      } else if (offset > capacity - length || offset < -capacity) {
        // A timestamp jump with audio still buffered: believed if the next packet follows it.
        candidate_ = Candidate{packet.ssrc, static_cast<std::uint16_t>(packet.sequence_number + 1)};
        ++stats_.held;
        return PushResult::Held;
      } else {
        if (is_newer_timestamp(packet.timestamp, last_timestamp_)) {
          last_timestamp_ = packet.timestamp;
          last_position_ = position;
        }
        last_arrival_ = now;
        update_jitter(now, packet.timestamp);
        if (offset + length <= 0) {
          ++stats_.late;
          return PushResult::Late;
        }
        store(position, packet.payload);
        ++stats_.received;
        return PushResult::Accepted;
      }
    }
  }
  // The packet starts a stream or a talkspurt: it sits at the anchor.
  last_arrival_ = now;
  update_jitter(now, packet.timestamp);
  store(last_position_, packet.payload);
  ++stats_.received;
  return PushResult::Accepted;
}

std::size_t JitterBuffer::present_in_frame() const {
  const auto capacity = static_cast<std::int64_t>(ring_.size());
  std::size_t n = 0;
  for (std::int64_t i = 0; i < kFrame; ++i) n += present_[static_cast<std::size_t>((play_ + i) % capacity)];
  return n;
}

void JitterBuffer::decode_frame(std::array<std::int16_t, kFrameSamples>& out) const {
  const auto capacity = static_cast<std::int64_t>(ring_.size());
  for (std::int64_t i = 0; i < kFrame; ++i) {
    out[static_cast<std::size_t>(i)] =
        g711_decode(config_.law, ring_[static_cast<std::size_t>((play_ + i) % capacity)]);
  }
}

void JitterBuffer::consume_frame() {
  const auto capacity = static_cast<std::int64_t>(ring_.size());
  for (std::int64_t i = 0; i < kFrame; ++i) {
    auto& flag = present_[static_cast<std::size_t>((play_ + i) % capacity)];
    if (flag) {
      flag = 0;
      --buffered_;
    }
  }
  play_ += kFrame;
}

void JitterBuffer::conceal(Frame& frame, bool count_as_lost) {
  const bool audible = plc_.conceal(frame.samples);
  frame.kind = audible ? FrameKind::Concealed : FrameKind::Silence;
  if (!count_as_lost) return;
  if (audible) ++stats_.lost; else ++stats_.silent;
}

Frame JitterBuffer::pull(TimePoint now) {
  Frame frame;
  if (!active_) {
    ++stats_.silent;
    return frame;  // Silence
  }
  const bool receiving = end_ > play_ && now - last_arrival_ <= kReceivingWindow;
  const auto quiet = [this](const std::array<std::int16_t, kFrameSamples>& s) {
    std::int64_t sum = 0;
    for (std::int16_t x : s) sum += std::abs(static_cast<int>(x));
    return sum < static_cast<std::int64_t>(config_.silence_level) * kFrame;
  };
  std::array<std::int16_t, kFrameSamples> decoded{};
  std::size_t present = 0;
  bool complete = false;
  bool silent = false;  // received and below the silence level
  const auto look = [&] {
    present = present_in_frame();
    complete = present == kFrameSamples;
    if (complete) decode_frame(decoded);
    silent = complete && quiet(decoded);
  };
  look();

  if (receiving) {
    const std::int64_t fill = end_ - play_ - kFrame;  // what stays buffered after this pull
    // The average follows played frames only: a frame still missing says nothing about drift.
    if (complete) fill256_ += (fill * 256 - fill256_) / 32;
    const std::int64_t band = samples_of(config_.slip_band);
    const std::int64_t desired = desired_target();
    bool drop = false;
    bool insert = false;
    // Adaptation happens only inside silence (this frame and the last one received and quiet):
    // a frame more or less of it is inaudible.
    if (silent && last_silent_ && desired >= target_ + kFrame) {
      insert = true;  // the jitter grew: one more frame of delay, inserted in a pause
      target_ += kFrame;
      ++stats_.delay_grown;
    } else if (silent && last_silent_ && desired <= target_ - kFrame) {
      drop = true;  // the jitter fell: one frame less, taken from a pause
      target_ -= kFrame;
      ++stats_.delay_shrunk;
    } else if (fill256_ > (target_ + band) * 256 || fill256_ < (target_ - band) * 256) {
      // Clock slip: the fill left the band. Wait for a quiet (or missing) frame, unless waiting
      // longer would let the fill run out or run over.
      const bool over = fill256_ > (target_ + band) * 256;
      const bool urgent = ++waiting_ > samples_of(config_.slip_patience) / kFrame ||
                          (over ? fill256_ > (target_ + 2 * band) * 256
                                : fill256_ < (target_ - 2 * band) * 256);
      // A missing frame is as good as a silent one: dropping it skips a concealment, inserting
      // before it gives its packet 20 ms more.
      if (over && (silent || present == 0 || urgent)) {
        drop = true;
        ++stats_.slips_dropped;
      } else if (!over && ((silent && last_silent_) || present == 0 || urgent)) {
        insert = true;
        ++stats_.slips_inserted;
      }
    } else {
      waiting_ = 0;
    }
    stats_.target_delay = duration_of(target_);
    if (drop || insert) waiting_ = 0;
    if (drop) {
      consume_frame();
      fill256_ -= kFrame * 256;
      look();
    } else if (insert) {
      fill256_ += kFrame * 256;
      conceal(frame, /*count_as_lost=*/false);
      stats_.current_delay = duration_of(std::max<std::int64_t>(fill256_ / 256, 0));
      return frame;  // play_ stays: the frame due now plays at the next pull
    }
  }

  if (complete) {
    plc_.on_good_frame(decoded, frame.samples);
    frame.kind = FrameKind::Played;
    ++stats_.played;
  } else {
    conceal(frame, /*count_as_lost=*/true);
  }
  last_silent_ = silent;
  consume_frame();
  stats_.current_delay = duration_of(std::max<std::int64_t>(fill256_ / 256, 0));
  return frame;
}

}  // namespace resproxy::media
