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
//
// Pure and sans-I/O: time is `now` (for the receiver's end timeout) and the count of frames;
// fixed memory. Durations past 0xFFFF samples (8.19 s) stay at 0xFFFF (no §2.5.1.3 segments).
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
  struct Sending {  // the digit being sent as events
    char digit = 0;
    std::uint32_t timestamp = 0;      // of its first frame
    std::int64_t ticks_to_start = 0;  // frames until that frame leaves
    std::uint64_t first_sample = 0;   // of that frame, on the line's sample count
    bool started = false;
    std::uint16_t duration = 0;                                  // the last one sent
    Duration next_update{};                                      // since the start
    std::optional<std::uint16_t> final_duration = std::nullopt;  // known once the tone ended
    int end_sent = 0;
  };
  void start_next_tone();
  void on_detected(const DtmfToneEvent& e, std::uint32_t timestamp);
  void send_events(std::uint32_t timestamp, Output& out);
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
