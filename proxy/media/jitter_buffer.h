#pragma once
// The receive side of a G.711 RTP stream towards a telephone line: packets come in from the
// network whenever they arrive (push), the line takes one 20 ms frame (160 samples) every 20 ms
// of its own 8 kHz clock (pull). Between the two, this buffer
//   - reorders packets inside its window and drops late and duplicate ones (counted);
//   - plays each talkspurt `target` behind its first packet; the target starts at the configured
//     initial delay and follows the RFC 3550 §6.4.1 interarrival jitter (jitter_factor × J,
//     whole frames, within [min_delay, max_delay]); it changes only at a talkspurt start (marker
//     bit, or a packet after talkspurt_gap of nothing) or, on a stream that never pauses, one
//     frame at a time while the signal is quiet;
//   - conceals missing frames (Plc, G.711 Appendix I) and plays silence once a gap passes 60 ms;
//   - absorbs clock slip: the sender's sampling clock and the line's differ (±300 ppm and worse),
//     so the fill drifts; when its average leaves target ± slip_band the buffer drops a frame
//     (or inserts a concealed one), waiting up to slip_patience for a quiet frame to do it on;
//   - resets on an SSRC change or a sequence/timestamp jump, each confirmed by the packet that
//     follows it (RFC 3550 A.1 probation), so one stray datagram cannot reset a call.
// Payload sizes: a payload is N samples at 8 kHz, one octet each, whatever N is (10, 20, 30 ms or
// odd sizes); frames are cut at 160 samples from the playout point, so a frame may take samples
// from two packets; a frame is played only if all its samples arrived, else it is concealed
// whole. A payload of 0 octets, or longer than the capacity less one frame, is ignored.
// Sans-I/O: arrival and pull times come in as `now`; fixed memory (capacity octets + flags).
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/media/g711.h"
#include "proxy/media/plc.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media {

using namespace std::chrono_literals;

struct JitterBufferConfig {
  G711Law law = G711Law::ALaw;
  std::uint8_t payload_type = kPayloadTypePcma;  // other payload types are ignored (counted)
  Duration initial_delay = 40ms;
  Duration min_delay = 20ms;
  Duration max_delay = 200ms;
  Duration capacity = 500ms;  // raised to max_delay + 80 ms if smaller; a multiple of 20 ms
  Duration slip_band = 15ms;
  Duration slip_patience = 1s;   // a due slip waits this long for a quiet frame, then happens
  Duration talkspurt_gap = 1s;   // no packet this long and nothing buffered: next one re-anchors
  int jitter_factor = 3;         // target = jitter_factor × J (then rounded up to whole frames)
  int silence_level = 64;        // a frame whose mean |sample| is below this is quiet
};

enum class FrameKind : std::uint8_t {
  Played,     // the received audio
  Concealed,  // a lost or inserted frame, synthesised from the last pitch period
  Silence,    // nothing to play: before the first packet, or a gap past 60 ms
};

inline constexpr std::size_t kFrameSamples = 160;  // 20 ms at 8 kHz

struct Frame {
  FrameKind kind = FrameKind::Silence;
  std::array<std::int16_t, kFrameSamples> samples{};  // 16-bit linear PCM
};

struct JitterBufferStats {
  std::uint64_t received = 0;   // packets accepted into the buffer
  std::uint64_t played = 0;     // frames played from received audio
  std::uint64_t late = 0;       // packets that came after their playout time
  std::uint64_t duplicate = 0;  // packets seen before (same sequence number)
  std::uint64_t lost = 0;       // frames concealed because audio was missing
  std::uint64_t silent = 0;     // frames of silence (no stream, or a gap past 60 ms)
  std::uint64_t slips_dropped = 0;   // clock slip: sender faster, a frame dropped
  std::uint64_t slips_inserted = 0;  // clock slip: sender slower, a frame inserted
  std::uint64_t delay_grown = 0;     // a frame inserted while quiet to raise the delay
  std::uint64_t delay_shrunk = 0;    // a frame dropped while quiet to lower the delay
  std::uint64_t resets = 0;     // new SSRC or confirmed sequence/timestamp jump
  std::uint64_t ignored = 0;    // wrong payload type, empty or oversized payload
  std::uint64_t held = 0;       // dropped pending confirmation of a new SSRC or a jump
  Duration current_delay{};     // average buffered audio after each pull
  Duration target_delay{};
  Duration jitter{};            // RFC 3550 §6.4.1 interarrival jitter J
};

class JitterBuffer {
 public:
  enum class PushResult : std::uint8_t { Accepted, Duplicate, Late, Ignored, Held };

  explicit JitterBuffer(const JitterBufferConfig& config = {});

  // A packet of the stream, parsed; `now` is its arrival time. From the wire: untrusted.
  PushResult push(TimePoint now, const RtpPacket& packet);
  // The line's next 20 ms; call once per 20 ms of the line clock, `now` never decreasing.
  Frame pull(TimePoint now);

  [[nodiscard]] const JitterBufferStats& stats() const { return stats_; }
  [[nodiscard]] std::size_t size() const { return buffered_; }  // samples held
  [[nodiscard]] std::size_t capacity() const { return ring_.size(); }

 private:
  struct Candidate {
    std::uint32_t ssrc;
    std::uint16_t next_sequence;
  };

  [[nodiscard]] std::int64_t desired_target() const;
  void start_stream(const RtpPacket& packet, bool keep_jitter);
  void anchor(std::uint32_t timestamp);
  void update_jitter(TimePoint now, std::uint32_t timestamp);
  bool mark_seen(std::uint64_t extended_sequence);  // false: seen before
  void store(std::int64_t position, std::span<const std::uint8_t> payload);
  void consume_frame();
  [[nodiscard]] std::size_t present_in_frame() const;
  void decode_frame(std::array<std::int16_t, kFrameSamples>& out) const;
  void conceal(Frame& frame, bool count_as_lost);

  JitterBufferConfig config_;
  std::vector<std::uint8_t> ring_;     // octets by extended timestamp modulo capacity
  std::vector<std::uint8_t> present_;  // 1 where ring_ holds a sample not yet played
  std::size_t buffered_ = 0;
  Plc plc_;
  JitterBufferStats stats_;

  bool active_ = false;
  std::uint32_t ssrc_ = 0;
  SequenceExtender sequence_;
  std::bitset<128> seen_;  // bit i: extended sequence seen_high_ - i arrived
  std::uint64_t seen_high_ = 0;
  std::optional<Candidate> candidate_;
  std::uint32_t last_timestamp_ = 0;  // the newest timestamp and its extended position
  std::int64_t last_position_ = 0;
  std::int64_t play_ = 0;  // extended position of the next frame to play
  std::int64_t end_ = 0;   // one past the newest sample received
  TimePoint last_arrival_{};
  // RFC 3550 §6.4.1 jitter, in 1/16 sample; and the previous packet's arrival and timestamp
  std::int64_t jitter16_ = 0;
  std::optional<std::pair<std::int64_t, std::uint32_t>> previous_transit_;
  std::int64_t target_ = 0;    // samples, whole frames
  std::int64_t fill256_ = 0;   // average fill after a pull, in 1/256 sample
  std::int64_t waiting_ = 0;   // pulls a due slip has waited for a quiet frame
  bool last_silent_ = false;  // the last frame played was received and quiet
};

}  // namespace resproxy::media
