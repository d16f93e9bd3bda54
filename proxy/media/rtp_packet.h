#pragma once
// RTP packets (RFC 3550 §5.1): the fixed header, CSRC list, header extension and padding, parsed
// as a view over a datagram and written into a caller's buffer; plus the modular arithmetic on
// sequence numbers and timestamps that every receiver needs (RFC 3550 Appendix A.1).
// Fed by the runtimes' media data path (the PSTN gateway's RTP endpoint, later the relay); the
// datagram is an attacker's: every length is checked and nothing here can crash or allocate
// more than the packet it builds.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::media {

inline constexpr std::size_t kRtpFixedHeaderSize = 12;  // RFC 3550 §5.1
inline constexpr std::size_t kRtpMaxCsrcCount = 15;     // a 4-bit CC field

enum class RtpError : std::uint8_t {
  TooShort,            // fewer than 12 octets: drop
  BadVersion,          // V != 2 (RFC 3550 §5.1): drop (not RTP; may be STUN or RTCP noise)
  CsrcBeyondEnd,       // CC says more CSRCs than the datagram holds: drop
  ExtensionBeyondEnd,  // X set and the extension header or its words exceed the datagram: drop
  BadPadding,          // P set and the count is 0 or more than what follows the header: drop
  InvalidField,        // build only: PT > 127, CC > 15, extension not whole 32-bit words
  BufferTooSmall,      // build only: the output span cannot hold the packet
};
std::string_view to_string(RtpError e);

// RFC 3550 §5.3.1: profile-defined 16 bits, then a length in 32-bit words, then the words.
struct RtpHeaderExtension {
  std::uint16_t profile = 0;
  std::span<const std::uint8_t> data;  // a whole number of 32-bit words (length * 4 octets)
};

// One packet. After parse_rtp the spans point into the datagram: keep it alive while they live.
struct RtpPacket {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0..127
  std::uint16_t sequence_number = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0;  // 0..15; csrcs beyond it are zero
  std::array<std::uint32_t, kRtpMaxCsrcCount> csrcs{};
  std::optional<RtpHeaderExtension> extension;
  std::span<const std::uint8_t> payload;  // without padding
  std::uint8_t padding_size = 0;          // 0: no P bit; else octets of padding incl. the count
};

// Parses a datagram. Each error above says what failed; the caller drops the datagram and counts
// it (RFC 3550 §6.4.1 / A.1 do not answer bad packets).
[[nodiscard]] Result<RtpPacket, RtpError> parse_rtp(std::span<const std::uint8_t> datagram);
[[nodiscard]] inline Result<RtpPacket, RtpError> parse_rtp(std::span<const std::byte> datagram) {
  return parse_rtp(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(datagram.data()), datagram.size()));
}

// Octets that write_rtp needs for `packet` (no validation).
[[nodiscard]] std::size_t rtp_size(const RtpPacket& packet);
// Writes the packet into `out` (no allocation: the data path's form). Padding octets are zero
// but the last, which holds padding_size. Returns the octets written; InvalidField or
// BufferTooSmall leave `out` unspecified.
[[nodiscard]] Result<std::size_t, RtpError> write_rtp(const RtpPacket& packet,
                                                      std::span<std::uint8_t> out);
// The same into a new vector (tests, senders that own their packets).
[[nodiscard]] Result<std::vector<std::uint8_t>, RtpError> build_rtp(const RtpPacket& packet);

// --- modular arithmetic (RFC 3550 §5.1: both fields wrap; "newer" is the shorter way round) ---

// Signed distance from `from` to `to` modulo 2^16, in [-32768, 32767].
constexpr std::int32_t sequence_distance(std::uint16_t from, std::uint16_t to) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(to - from));
}
constexpr bool is_newer_sequence(std::uint16_t candidate, std::uint16_t reference) {
  return sequence_distance(reference, candidate) > 0;
}
// Signed distance from `from` to `to` modulo 2^32.
constexpr std::int64_t timestamp_distance(std::uint32_t from, std::uint32_t to) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(to - from));
}
constexpr bool is_newer_timestamp(std::uint32_t candidate, std::uint32_t reference) {
  return timestamp_distance(reference, candidate) > 0;
}

// Turns 16-bit sequence numbers into a 64-bit count that never wraps, and recognises a source
// that restarted (RFC 3550 A.1 rules: a step forward below kMaxDropout is in order, even across
// the wrap; a step back below kMaxMisorder is a late or duplicate packet; anything else is a jump,
// believed only when the next packet follows it).
class SequenceExtender {
 public:
  static constexpr std::uint16_t kMaxDropout = 3000;
  static constexpr std::uint16_t kMaxMisorder = 100;

  enum class Verdict : std::uint8_t {
    First,     // the first packet: `extended` starts at 65536 + seq (room for earlier ones)
    InOrder,   // newer than every packet so far; `extended` is the new highest
    Behind,    // not newer (reordered, late or a duplicate); `extended` is its place
    Jump,      // too far either way: no `extended`; the caller drops the packet
    Restarted  // follows the previous Jump: the source restarted; counting starts again here
  };
  struct Update {
    Verdict verdict = Verdict::First;
    std::uint64_t extended = 0;  // meaningless for Jump
  };

  Update update(std::uint16_t seq);
  [[nodiscard]] bool started() const { return started_; }
  [[nodiscard]] std::uint64_t highest() const { return cycles_ + max_; }
  void reset() { *this = SequenceExtender{}; }

 private:
  bool started_ = false;
  std::uint16_t max_ = 0;
  std::uint64_t cycles_ = 0;  // a multiple of 65536
  std::optional<std::uint16_t> bad_next_;  // the sequence number that confirms a Jump
};

}  // namespace resproxy::media
