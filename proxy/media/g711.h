#pragma once
// ITU-T G.711 A-law and µ-law companding of 16-bit linear PCM: one octet per sample at 8 kHz.
// A-law works on the top 13 bits of the sample, µ-law on the top 14 (G.711 Tables 1a/2a), so a
// 16-bit sample is shifted down by 3 or 2 before encoding and decoded values come back in the
// 16-bit range (A-law ±8..±32256, µ-law 0..±32124), each the midpoint of its quantisation step.
// Pure functions: the decoders are 256-entry tables built at compile time, the encoders compute
// the segment from the magnitude's highest set bit.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace resproxy::media {

enum class G711Law : std::uint8_t { ALaw, MuLaw };

// RFC 3551 §6 static payload types: PCMU = 0, PCMA = 8.
inline constexpr std::uint8_t kPayloadTypePcmu = 0;
inline constexpr std::uint8_t kPayloadTypePcma = 8;

std::uint8_t alaw_encode(std::int16_t linear);
std::uint8_t ulaw_encode(std::int16_t linear);

namespace detail {
// A-law octet → 16-bit linear (G.711 Table 1a, decoder output values, scaled by 8).
constexpr std::int16_t alaw_decode_formula(std::uint8_t code) {
  const int v = code ^ 0x55;  // even bits are inverted on the line
  const int segment = (v >> 4) & 7;
  const int step = v & 0x0f;
  // in 13-bit units: segment 0 is linear with step 2; segment s >= 1 starts at 2^(s+4), step 2^s
  const int magnitude13 = segment == 0 ? 2 * step + 1 : ((16 + step) << segment) + (1 << (segment - 1));
  const int magnitude = magnitude13 << 3;
  return static_cast<std::int16_t>((v & 0x80) ? magnitude : -magnitude);  // sign bit 1: positive
}
// µ-law octet → 16-bit linear (G.711 Table 2a, scaled by 4).
constexpr std::int16_t ulaw_decode_formula(std::uint8_t code) {
  const int v = ~code & 0xff;  // all bits are inverted on the line
  const int segment = (v >> 4) & 7;
  const int step = v & 0x0f;
  // in 14-bit units with the bias of 33: segment s spans [2^(s+5), 2^(s+6)), step 2^(s+1)
  const int magnitude14 = ((2 * step + 33) << segment) - 33;
  const int magnitude = magnitude14 << 2;
  return static_cast<std::int16_t>((v & 0x80) ? -magnitude : magnitude);  // sign bit 1: negative
}
template <std::int16_t (*F)(std::uint8_t)>
constexpr std::array<std::int16_t, 256> make_table() {
  std::array<std::int16_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = F(static_cast<std::uint8_t>(i));
  return t;
}
inline constexpr auto kAlawTable = make_table<alaw_decode_formula>();
inline constexpr auto kUlawTable = make_table<ulaw_decode_formula>();
}  // namespace detail

inline std::int16_t alaw_decode(std::uint8_t code) { return detail::kAlawTable[code]; }
inline std::int16_t ulaw_decode(std::uint8_t code) { return detail::kUlawTable[code]; }

inline std::uint8_t g711_encode(G711Law law, std::int16_t linear) {
  return law == G711Law::ALaw ? alaw_encode(linear) : ulaw_encode(linear);
}
inline std::int16_t g711_decode(G711Law law, std::uint8_t code) {
  return law == G711Law::ALaw ? alaw_decode(code) : ulaw_decode(code);
}

// Whole buffers; the shorter of the two spans sets the count.
void g711_encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out);
void g711_decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out);

// The octet of digital silence in each law (encodes 0: A-law 0xD5, µ-law 0xFF).
constexpr std::uint8_t g711_silence(G711Law law) { return law == G711Law::ALaw ? 0xD5 : 0xFF; }

}  // namespace resproxy::media
