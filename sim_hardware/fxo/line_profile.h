#pragma once
// What both ends of an analogue line must agree on: the ringing cadence the exchange drives and
// the office validates, and the framing of the caller-ID FSK burst (whose length is its bits at
// 1200 bit/s). Values and sources: docs/gateway.md "FXO lines".
#include <cstddef>
#include <cstdint>
#include <vector>

#include "proxy/base/time.h"

namespace resproxy::fxo {

// Ringing as the exchange applies it: durations alternating on, off, on, off, ... starting with a
// burst and ending with the long silent interval; the pattern repeats until answer or abandon.
struct RingCadence {
  std::vector<Duration> pattern;

  [[nodiscard]] Duration period() const;
  [[nodiscard]] Duration shortest_on() const;
  // The longest silent interval (the one between cycles).
  [[nodiscard]] Duration longest_off() const;
  // A silent interval at least this long separates two ring cycles; a shorter one is inside a
  // cycle (the 0.2 s of the UK double ring): halfway between the longest off-time inside a cycle
  // and the off-time that ends it. One UK double ring is one ring, as a listener counts it.
  [[nodiscard]] Duration cycle_gap() const;
};

// UK double ring (BT): 0.4 s on, 0.2 s off, 0.4 s on, 2.0 s off.
[[nodiscard]] RingCadence uk_ring_cadence();
// North American standard ringing (Telcordia LSSGR): 2 s on, 4 s off.
[[nodiscard]] RingCadence us_ring_cadence();

// Caller-ID FSK framing: a channel seizure of alternating 0/1 bits, a mark signal of 1 bits,
// then the message, each octet as 1 start bit, 8 data bits (LSB first), 1 stop bit.
struct FskFraming {
  std::uint16_t seizure_bits = 300;
  std::uint16_t mark_bits = 80;
  friend bool operator==(const FskFraming&, const FskFraming&) = default;
};
inline constexpr std::int64_t kFskBitsPerSecond = 1200;  // ITU-T V.23 mode 2 / Bell 202
inline constexpr std::int64_t kFskBitsPerOctet = 10;

// SIN 227: a seizure of 96 to 315 bits and a mark of 55 to 90 bits; we send 300 (the figure of
// EN 300 659-1 and GR-30, inside BT's range) and 80.
[[nodiscard]] constexpr FskFraming sin227_framing() { return {300, 80}; }
// Telcordia GR-30: 300 seizure bits, 180 mark bits.
[[nodiscard]] constexpr FskFraming bellcore_framing() { return {300, 180}; }

// How long the burst carrying `octets` message octets occupies the line: (seizure + mark +
// 10 × octets) bits at 1200 bit/s, rounded up to the nanosecond.
[[nodiscard]] Duration fsk_burst_duration(std::size_t octets, FskFraming framing);

}  // namespace resproxy::fxo
