#pragma once
// RFC 4733 telephone-events for DTMF (events 0-15: 0-9, *, #, A-D; §3.2): the 4-octet payload
// (§2.3), a receiver that turns the packet stream into one digit per key press, and a sender's
// schedule for one digit.
// The receiver is fed the stream's packets of the negotiated telephone-event payload type by the
// runtime's data path (from the wire: untrusted) and emits DtmfDigit values; an event whose end
// packets were all lost ends on a timeout (next_deadline / on_deadline, like the core's timers).
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/base/time.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media {

using namespace std::chrono_literals;

inline constexpr std::size_t kTelephoneEventSize = 4;

// RFC 4733 §2.3: event (8 bits), E (end), R (reserved), volume (6 bits, -dBm0), duration (16 bits,
// timestamp units since the event's start).
struct TelephoneEvent {
  std::uint8_t event = 0;
  bool end = false;
  std::uint8_t volume = 0;  // 0..63; build masks it to 6 bits
  std::uint16_t duration = 0;
  friend bool operator==(const TelephoneEvent&, const TelephoneEvent&) = default;
};

enum class TelephoneEventError : std::uint8_t {
  TooShort,  // fewer than 4 octets: drop the packet
};
std::string_view to_string(TelephoneEventError e);

// Parses the first event block; octets after it (RFC 4733 §2.5.1.5 multiple events arrive as
// RFC 2198 redundancy, another payload type) are ignored. The R bit is ignored (§2.3.3).
[[nodiscard]] Result<TelephoneEvent, TelephoneEventError> parse_telephone_event(
    std::span<const std::uint8_t> payload);
[[nodiscard]] std::array<std::uint8_t, kTelephoneEventSize> build_telephone_event(
    const TelephoneEvent& event);

// 0-9 * # A-D ↔ events 0-15 (§3.2, Table 7); nullopt for anything else.
std::optional<char> dtmf_digit(std::uint8_t event);
std::optional<std::uint8_t> dtmf_event(char digit);

struct DtmfDigit {
  char digit = 0;
  Duration duration{};          // as the sender last reported it
  std::uint32_t timestamp = 0;  // the event's RTP timestamp (its start)
  std::uint8_t volume = 0;
  bool end_seen = true;  // false: every end packet was lost; ended by the timeout
  friend bool operator==(const DtmfDigit&, const DtmfDigit&) = default;
};

struct TelephoneEventReceiverConfig {
  std::uint8_t payload_type = 101;  // as negotiated (a=rtpmap:101 telephone-event/8000)
  Duration end_timeout = 250ms;     // no packet of an unfinished event this long: it ended
  std::size_t max_queued = 32;      // digits not yet taken; more are dropped (counted)
};

struct TelephoneEventReceiverStats {
  std::uint64_t packets = 0;   // accepted event packets (incl. redundant ones)
  std::uint64_t ignored = 0;   // other payload type, too short, not DTMF, stale or mismatched
  std::uint64_t digits = 0;    // digits reported
  std::uint64_t timed_out = 0;     // of which ended by the timeout
  std::uint64_t queue_full = 0;    // digits dropped because nobody took them
};

// One digit per key press: all packets of a press share its RTP timestamp (§2.5.1.1), so the
// timestamp names the press; the first E packet reports it and its retransmissions are ignored.
// A press whose start packets were lost is still one press; one whose end packets were lost
// ends when the next press starts or on the timeout. A long press split in segments (§2.5.1.3:
// same event, next timestamp = previous + its duration, no marker) stays one digit.
class TelephoneEventReceiver {
 public:
  explicit TelephoneEventReceiver(const TelephoneEventReceiverConfig& config = {});

  void on_packet(TimePoint now, const RtpPacket& packet);
  void on_deadline(TimePoint now);  // call when now >= next_deadline()
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;
  [[nodiscard]] std::optional<DtmfDigit> next_digit();  // oldest first

  [[nodiscard]] const TelephoneEventReceiverStats& stats() const { return stats_; }

 private:
  struct Press {
    std::uint32_t ssrc = 0;
    std::uint32_t timestamp = 0;  // of the current segment
    std::uint32_t first_timestamp = 0;
    std::uint8_t event = 0;
    std::uint64_t earlier_segments = 0;  // samples of the segments before this one
    std::uint16_t duration = 0;
    std::uint8_t volume = 0;
    bool reported = false;
    TimePoint last_seen{};
  };
  void report(Press& press, bool end_seen);

  TelephoneEventReceiverConfig config_;
  TelephoneEventReceiverStats stats_;
  std::optional<Press> press_;
  std::deque<DtmfDigit> digits_;
};

// The packets a sender emits for one key press held `length` (RFC 4733 §2.5.1): the first with
// the marker bit once `update_interval` of the tone has passed (duration = that interval, as
// in the RFC's §5 example), then one per update_interval with the growing duration, then
// `end_packets` packets with the E bit and the final duration, `end_spacing` apart. All carry
// the press's RTP timestamp; the caller numbers them. Durations are capped at 0xFFFF (8.19 s).
struct TelephoneEventSenderConfig {
  Duration update_interval = 50ms;
  int end_packets = 3;
  Duration end_spacing = 20ms;
  std::uint8_t volume = 10;  // -10 dBm0
};
struct ScheduledTelephoneEvent {
  Duration at{};  // after the start of the press
  bool marker = false;
  TelephoneEvent event;
};
// Empty if `digit` is not a DTMF digit.
[[nodiscard]] std::vector<ScheduledTelephoneEvent> telephone_event_schedule(
    char digit, Duration length, const TelephoneEventSenderConfig& config = {});

}  // namespace resproxy::media
