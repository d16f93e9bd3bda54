// StreamStats (stream_stats.h): RFC 3550 Appendix A.1, A.3 and A.8, as the reference code does.
#include "proxy/media/relay/stream_stats.h"

#include <algorithm>

namespace resproxy::media::relay {

namespace {

constexpr std::uint32_t kSeqMod = 65536;  // RTP_SEQ_MOD

// `now` in units of a `rate` Hz clock, modulo 2^32: A.8 needs only differences of arrivals.
// Whole seconds and the rest apart, in 64 bits (no 128-bit division: the core links no helper
// for it): |rest| * rate < 10^9 * 2^32 fits; the seconds' product may wrap, modulo 2^64 is fine.
std::uint32_t to_timestamp_units(TimePoint now, std::uint32_t rate) {
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  const std::int64_t ns = to_ns(now);
  const std::uint64_t whole = static_cast<std::uint64_t>(ns / kNsPerSecond) * rate;
  const std::int64_t part = (ns % kNsPerSecond) * static_cast<std::int64_t>(rate) / kNsPerSecond;
  return static_cast<std::uint32_t>(whole + static_cast<std::uint64_t>(part));
}

}  // namespace

StreamStats::StreamStats(std::uint32_t clock_rate)
    : clock_rate_(clock_rate == 0 ? kDefaultClockRate : clock_rate) {}

void StreamStats::set_clock_rate(std::uint32_t clock_rate) {
  if (clock_rate == 0) clock_rate = kDefaultClockRate;
  if (clock_rate == clock_rate_) return;
  clock_rate_ = clock_rate;
  have_transit_ = false;  // old transits are in the old units
  jitter_q4_ = 0;
}

StreamStats::Verdict StreamStats::on_packet(TimePoint now, std::uint32_t ssrc,
                                            std::uint16_t sequence_number, std::uint32_t timestamp,
                                            std::size_t size_bytes) {
  ++packets_;
  bytes_ += size_bytes;
  last_packet_ = now;
  if (!ssrc_ || *ssrc_ != ssrc) {
    // A.1: a source heard for the first time waits MIN_SEQUENTIAL packets in sequence.
    if (ssrc_) ++source_changes_;
    ssrc_ = ssrc;
    init_sequence(sequence_number);
    max_seq_ = static_cast<std::uint16_t>(sequence_number - 1);
    probation_ = kMinSequential;
  }
  const bool was_probation = probation_ != 0;
  const Sequence result = update_sequence(sequence_number);
  if (result == Sequence::Invalid) return was_probation ? Verdict::Probation : Verdict::Jump;
  if (result == Sequence::Restarted) ++source_changes_;
  update_jitter(now, timestamp);
  return Verdict::Counted;
}

void StreamStats::init_sequence(std::uint16_t seq) {
  base_seq_ = seq;
  max_seq_ = seq;
  bad_seq_ = kSeqMod + 1;  // so that seq == bad_seq is false
  cycles_ = 0;
  received_ = 0;
  received_prior_ = 0;
  expected_prior_ = 0;
  // A new or restarted source: its timestamps are a new line; jitter starts again.
  have_transit_ = false;
  jitter_q4_ = 0;
}

// A.1 update_seq(), line for line. One deviation: "in sequence" during probation is compared
// modulo 2^16 (the C code's int promotion never sees 65535 -> 0 as in sequence). Invalid is the
// reference code's 0, Valid and Restarted its 1.
StreamStats::Sequence StreamStats::update_sequence(std::uint16_t seq) {
  const auto udelta = static_cast<std::uint16_t>(seq - max_seq_);
  if (probation_ != 0) {
    if (seq == static_cast<std::uint16_t>(max_seq_ + 1)) {  // in sequence
      --probation_;
      max_seq_ = seq;
      if (probation_ == 0) {
        init_sequence(seq);
        ++received_;
        return Sequence::Valid;
      }
    } else {
      probation_ = kMinSequential - 1;
      max_seq_ = seq;
    }
    return Sequence::Invalid;
  }
  if (udelta < kMaxDropout) {  // in order, with a permissible gap
    if (seq < max_seq_) cycles_ += kSeqMod;  // wrapped
    max_seq_ = seq;
  } else if (udelta <= kSeqMod - kMaxMisorder) {  // a very large jump
    if (seq == bad_seq_) {
      // Two sequential packets: the other side restarted without telling us; re-sync.
      init_sequence(seq);
      ++received_;
      return Sequence::Restarted;
    }
    bad_seq_ = (seq + 1u) & (kSeqMod - 1);
    return Sequence::Invalid;
  }
  // else: a duplicate or reordered packet, counted as received (A.3: lost may go negative)
  ++received_;
  return Sequence::Valid;
}

// A.8: D(i-1,i) = (R_i - R_{i-1}) - (S_i - S_{i-1}) = transit_i - transit_{i-1};
// J += (|D| - J) / 16, in the reference code's integer form with J kept times 16.
void StreamStats::update_jitter(TimePoint now, std::uint32_t timestamp) {
  const std::uint32_t transit = to_timestamp_units(now, clock_rate_) - timestamp;
  if (have_transit_) {
    const auto d = static_cast<std::int32_t>(transit - transit_);  // modulo 2^32, signed
    const auto magnitude = static_cast<std::uint64_t>(d < 0 ? -std::int64_t{d} : std::int64_t{d});
    // Never negative: (J + 8) / 16 <= J for every J >= 0. 64 bits: J * 16 of a 2^31 |D|
    // (timestamps from an attacker) overflows 32.
    jitter_q4_ = jitter_q4_ + magnitude - ((jitter_q4_ + 8) >> 4);
  }
  transit_ = transit;
  have_transit_ = true;
}

std::int64_t StreamStats::expected() const {
  if (!ssrc_ || probation_ != 0) return 0;
  return static_cast<std::int64_t>(extended_highest()) - base_seq_ + 1;
}

std::int64_t StreamStats::lost() const {
  return expected() - static_cast<std::int64_t>(received_);
}

Duration StreamStats::jitter_duration() const {
  return Duration{static_cast<std::int64_t>(jitter()) * 1'000'000'000 / clock_rate_};
}

IntervalReport StreamStats::take_interval() {
  IntervalReport r;
  const std::int64_t expected_now = expected();
  r.expected = expected_now - expected_prior_;
  expected_prior_ = expected_now;
  r.received = static_cast<std::int64_t>(received_ - received_prior_);
  received_prior_ = received_;
  const std::int64_t lost = r.expected - r.received;
  if (r.expected > 0 && lost > 0) {
    // All lost gives 256, which the reference code's 8-bit field would wrap to 0: clamp.
    const std::int64_t fraction = std::min<std::int64_t>((lost << 8) / r.expected, 255);
    r.fraction_lost = static_cast<std::uint8_t>(fraction);
  }
  return r;
}

}  // namespace resproxy::media::relay
