#pragma once
// DTMF interworking for one bridged call between RFC 4733 telephone-events on the RTP side and
// tones in the audio of a telephone line (ISDN and analogue lines carry DTMF in-band). The
// gateway's media data path (BridgeCore, bridge_core.h) owns one per call that negotiated
// telephone-event, and drives it on its 20 ms line clock:
//
//   network -> line: on_packet() takes the stream's packets of the negotiated payload type (not
//     the jitter buffer); a TelephoneEventReceiver makes one digit per key press, and to_line()
//     plays each as a DTMF tone (dtmf_tone.h) for the press's duration, clamped to
//     [min_tone, max_tone], followed by `pause` of silence, in place of the voice frames. Digits
//     wait in the receiver's queue, bounded by max_pending (more are dropped and counted): a
//     flood of events costs neither memory nor more than one digit per 80 ms of line time.
//   line -> network: from_line() runs the detector over what the line says. A detected digit is
//     sent as RFC 4733 packets (§2.5.1): a start packet with the marker, updates every
//     update_interval on average (the 20 ms clock rounds them), then `end_packets` packets with
//     the E bit one per frame (§2.5.1.4 sends the end three times), all with the timestamp of the
//     digit's first frame. Voice and events share the stream's sequence numbers (the caller
//     numbers them). The tone itself must not reach the far end as well: detection confirms a
//     digit some 35-45 ms after it began, so the voice goes out `voice_delay_frames` (40 ms) late
//     and the frames holding the tone are silenced before they leave.
//   A tone longer than the 16-bit duration field can say (§2.5.1.3) goes out in segments of
//     kSegmentSamples: the frame that fills a segment sends its last packet (duration
//     kSegmentSamples, no E bit), sent `end_packets` times one per frame like an event's end;
//     then the next segment's packets carry the timestamp where it begins (the previous one's
//     plus kSegmentSamples) and the duration since then, without the marker. Only the last
//     segment's end packets have the E bit. The far end's TelephoneEventReceiver joins the
//     segments into one press.
//
// Pure and sans-I/O: time is `now` (for the receiver's end timeout) and the count of frames;
// fixed memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "proxy/base/time.h"
#include "proxy/media/dtmf_tone.h"
#include "proxy/media/jitter_buffer.h"
#include "proxy/media/telephone_event.h"

namespace resproxy::media {

struct LineDtmfConfig {
  std::uint8_t payload_type = 101;  // the call's negotiated telephone-event
  Duration min_tone = 40ms;         // Q.24: a receiver must accept 40 ms
  Duration max_tone = 500ms;        // per press: a stuck or hostile event cannot hold the line
  Duration pause = 40ms;            // between played digits (Q.24's minimum pause)
  std::size_t max_pending = 8;      // digits received and not yet played
  Duration update_interval = 50ms;
  int end_packets = 3;
  std::uint8_t volume = 10;            // -dBm0 in the events we send: our generator's level
  std::size_t voice_delay_frames = 2;  // at most kMaxVoiceDelay
  DtmfDetectorConfig detector{};
  DtmfGeneratorConfig generator{};
};

struct LineDtmfStats {
  std::uint64_t digits_received = 0;  // from RFC 4733 (dtmf_rx)
  std::uint64_t digits_dropped = 0;   // of which not played: the queue was full
  std::uint64_t digits_played = 0;    // tones played to the line
  std::uint64_t digits_sent = 0;      // detected on the line and sent as events (dtmf_tx)
  std::uint64_t event_packets_sent = 0;
  std::uint64_t events_ignored = 0;  // event packets the receiver did not use
};

// One RFC 4733 packet to send before this frame's voice packet.
struct OutgoingEvent {
  bool marker = false;
  std::uint32_t timestamp = 0;
  TelephoneEvent event;
};

class LineDtmf {
 public:
  static constexpr std::size_t kMaxVoiceDelay = 4;
  // RFC 4733 §2.5.1.3 segment length: the whole 20 ms frames that fit in the 16-bit duration
  // field (409 frames, 65,440 samples, 8.18 s) rather than 0xFFFF itself, so that a segment ends
  // where a frame ends. Its last packet then reports exactly the audio sent by that frame, and
  // the next segment's timestamp is a voice packet's timestamp (3GPP TS 26.114 G.2 likewise
  // wants DTMF events to keep RTP timestamps stepping by whole speech frames).
  static constexpr std::uint32_t kSegmentSamples = 0xFFFF / kFrameSamples * kFrameSamples;
  using LineSamples = std::array<std::int16_t, kFrameSamples>;

  explicit LineDtmf(const LineDtmfConfig& config = {});

  // A packet of the telephone-event payload type. From the wire: untrusted.
  void on_packet(TimePoint now, const RtpPacket& packet);
  // The frame the line is about to hear: a digit's tone or pause replaces what is there.
  void to_line(TimePoint now, LineSamples& heard);

  struct Output {
    LineSamples voice{};  // the frame to send as voice now (delayed, the tone silenced)
    std::array<OutgoingEvent, 4> events{};
    std::size_t event_count = 0;
  };
  // What the line said this frame. `timestamp`: the RTP timestamp of this frame's voice packet.
  [[nodiscard]] Output from_line(const LineSamples& said, std::uint32_t timestamp);

  [[nodiscard]] LineDtmfStats stats() const;
  [[nodiscard]] std::uint8_t payload_type() const { return config_.payload_type; }

 private:
  // Lengths below are samples since the digit's first frame began, across segments.
  struct Sending {  // the digit being sent as events
    char digit = 0;
    std::uint32_t timestamp = 0;      // of its first frame (the first segment's)
    std::int64_t ticks_to_start = 0;  // frames until that frame leaves
    std::uint64_t first_sample = 0;   // of that frame, on the line's sample count
    bool started = false;
    std::uint64_t reported = 0;       // the length the packets sent so far report
    std::uint64_t segment_start = 0;  // where the current segment begins (kSegmentSamples steps)
    int segment_end_left = 0;         // repeats of the previous segment's last packet to send
    Duration next_update{};           // since the start
    std::optional<std::uint64_t> final_length = std::nullopt;  // known once the tone ended
    int end_sent = 0;
  };
  void start_next_tone();
  void on_detected(const DtmfToneEvent& e, std::uint32_t timestamp);
  void send_events(std::uint32_t timestamp, Output& out);
  // The packet of segment [segment_start, segment_start + kSegmentSamples) reporting `through`.
  void add_packet(Output& out, std::uint64_t segment_start, std::uint64_t through, bool end,
                  bool marker) const;
  // Sends the current segment's last packet and moves on to the next segment.
  void end_segment(Output& out);
  static void add(Output& out, const OutgoingEvent& e);

  LineDtmfConfig config_;
  TelephoneEventReceiver receiver_;
  DtmfGenerator generator_;
  std::size_t tone_left_ = 0;   // samples of the current tone still to play
  std::size_t pause_left_ = 0;  // then samples of silence
  DtmfDetector detector_;
  std::array<LineSamples, kMaxVoiceDelay + 1> delay_{};
  std::size_t delay_frames_ = 0;
  std::uint64_t frame_ = 0;  // frames said so far
  std::optional<Sending> sending_;
  std::optional<Sending> next_;  // a digit that began while the previous one was still ending
  LineDtmfStats stats_;
};

}  // namespace resproxy::media
