#pragma once
// StreamStats: receiver statistics of one relayed RTP stream, per RFC 3550 Appendix A — the
// numbers a receiver report block carries (§6.4.1), computed the way the appendix's reference
// code does, so that what we report matches what the phones compute:
//   A.1  the source's sequence state: probation before a new source counts (MIN_SEQUENTIAL
//        packets in sequence), the extended highest sequence number across wraps, and a restart
//        when a jump of more than MAX_DROPOUT ahead (or MAX_MISORDER behind) is followed by the
//        next packet in sequence. An SSRC change is a new source, probation and all.
//   A.3  expected = extended highest - base + 1; cumulative lost = expected - received (negative
//        with duplicates); fraction lost per reporting interval (take_interval()).
//   A.8  interarrival jitter in timestamp units, integer form (J += |D| - (J + 8) / 16, kept
//        times 16), arrival times converted at the stream's clock rate.
// Fed by RelaySessions (session.h) with each accepted RTP packet's fields and `now`; pure and
// sans-I/O like the rest of the core, fixed size whatever the stream does.
//
// Why not SequenceExtender (rtp_packet.h)? It has no probation and counts the first packet,
// which suits a jitter buffer; a receiver report must count as A.1 does. Its thresholds are the
// same constants and shared from there.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "proxy/base/time.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media::relay {

inline constexpr std::uint32_t kDefaultClockRate = 8000;  // G.711 (RFC 3551 §4.5.14)

// What one reporting interval saw (A.3). take_interval() starts the next one.
struct IntervalReport {
  std::uint8_t fraction_lost = 0;  // lost / expected in the interval, as a fraction of 256
  std::int64_t expected = 0;
  std::int64_t received = 0;
};

class StreamStats {
 public:
  static constexpr std::uint32_t kMinSequential = 2;  // A.1 MIN_SEQUENTIAL
  static constexpr std::uint32_t kMaxDropout = SequenceExtender::kMaxDropout;
  static constexpr std::uint32_t kMaxMisorder = SequenceExtender::kMaxMisorder;

  enum class Verdict : std::uint8_t {
    Counted,    // a valid packet of the current source (A.1 update_seq returned 1)
    Probation,  // a new source not yet confirmed: not counted
    Jump,       // a jump not (yet) confirmed by the next packet: not counted
  };

  // clock_rate: the payload's RTP clock (Hz); 0 is taken as 8000 (a clock must advance).
  explicit StreamStats(std::uint32_t clock_rate = kDefaultClockRate);

  // One RTP packet from the leg's accepted source; `now` is its arrival time.
  Verdict on_packet(TimePoint now, std::uint32_t ssrc, std::uint16_t sequence_number,
                    std::uint32_t timestamp, std::size_t size_bytes);
  // The negotiated payload changed to another clock rate: the jitter restarts (its units change).
  void set_clock_rate(std::uint32_t clock_rate);

  // Every packet given to on_packet, whatever the verdict (the relay forwarded them all).
  [[nodiscard]] std::uint64_t packets() const { return packets_; }
  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
  [[nodiscard]] std::optional<TimePoint> last_packet() const { return last_packet_; }
  [[nodiscard]] std::uint64_t source_changes() const { return source_changes_; }  // SSRC or restart
  // The current source (A.1); nullopt before its first packet.
  [[nodiscard]] std::optional<std::uint32_t> ssrc() const { return ssrc_; }
  [[nodiscard]] bool in_probation() const { return probation_ != 0; }
  [[nodiscard]] std::uint64_t received() const { return received_; }
  [[nodiscard]] std::uint32_t base_sequence() const { return base_seq_; }
  // cycles + max_seq: the extended highest sequence number received (A.1, §6.4.1).
  [[nodiscard]] std::uint64_t extended_highest() const { return cycles_ + max_seq_; }
  [[nodiscard]] std::int64_t expected() const;  // A.3; 0 while in probation
  [[nodiscard]] std::int64_t lost() const;      // A.3 cumulative; negative with duplicates
  // Timestamp units (the report block's field); below 2^31 since |D| is.
  [[nodiscard]] std::uint32_t jitter() const { return static_cast<std::uint32_t>(jitter_q4_ >> 4); }
  [[nodiscard]] Duration jitter_duration() const;
  [[nodiscard]] std::uint32_t clock_rate() const { return clock_rate_; }

  // The fraction lost since the previous call (A.3), and starts the next interval.
  IntervalReport take_interval();

 private:
  enum class Sequence : std::uint8_t { Invalid, Valid, Restarted };
  void init_sequence(std::uint16_t seq);
  Sequence update_sequence(std::uint16_t seq);
  void update_jitter(TimePoint now, std::uint32_t timestamp);

  std::uint32_t clock_rate_;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  std::optional<TimePoint> last_packet_;
  std::uint64_t source_changes_ = 0;
  // A.1 source state
  std::optional<std::uint32_t> ssrc_;
  std::uint16_t max_seq_ = 0;
  std::uint64_t cycles_ = 0;   // wraps counted times 65536 (64 bits: a stream never overflows it)
  std::uint32_t base_seq_ = 0;
  std::uint32_t bad_seq_ = 0;  // 65537 (RTP_SEQ_MOD + 1): no jump pending
  std::uint32_t probation_ = 0;
  std::uint64_t received_ = 0;
  std::int64_t expected_prior_ = 0;
  std::uint64_t received_prior_ = 0;
  // A.8
  bool have_transit_ = false;
  std::uint32_t transit_ = 0;  // arrival - timestamp, in timestamp units, modulo 2^32
  std::uint64_t jitter_q4_ = 0;  // J * 16
};

}  // namespace resproxy::media::relay
