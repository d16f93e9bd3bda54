#include "proxy/media/g711.h"

#include <algorithm>
#include <bit>

namespace resproxy::media {

std::uint8_t alaw_encode(std::int16_t linear) {
  // Negative samples use the ones' complement (-x - 1) so that x and ~x get mirror codes:
  // the quantiser is symmetric about -0.5 as in G.711's decision tables.
  const bool positive = linear >= 0;
  const int magnitude13 = (positive ? linear : ~linear) >> 3;  // 0..4095
  std::uint8_t code;
  if (magnitude13 < 32) {
    code = static_cast<std::uint8_t>(magnitude13 >> 1);  // segment 0 (and 1 shares its step)
  } else {
    const int segment = std::bit_width(static_cast<unsigned>(magnitude13)) - 5;  // 1..7
    const int step = (magnitude13 >> segment) & 0x0f;
    code = static_cast<std::uint8_t>(segment << 4 | step);
  }
  if (positive) code |= 0x80;
  return code ^ 0x55;
}

std::uint8_t ulaw_encode(std::int16_t linear) {
  constexpr int kBias = 33;
  constexpr int kClip = 8158;  // the largest 14-bit magnitude whose biased value fits segment 7
  const bool negative = linear < 0;
  const int magnitude14 = std::min((negative ? ~linear : linear) >> 2, kClip) + kBias;  // 33..8191
  const int segment = std::bit_width(static_cast<unsigned>(magnitude14)) - 6;            // 0..7
  const int step = (magnitude14 >> (segment + 1)) & 0x0f;
  auto code = static_cast<std::uint8_t>(segment << 4 | step);
  if (negative) code |= 0x80;
  return static_cast<std::uint8_t>(~code);
}

void g711_encode(G711Law law, std::span<const std::int16_t> in, std::span<std::uint8_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  if (law == G711Law::ALaw) {
    for (std::size_t i = 0; i < n; ++i) out[i] = alaw_encode(in[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) out[i] = ulaw_encode(in[i]);
  }
}

void g711_decode(G711Law law, std::span<const std::uint8_t> in, std::span<std::int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  const auto& table = law == G711Law::ALaw ? detail::kAlawTable : detail::kUlawTable;
  for (std::size_t i = 0; i < n; ++i) out[i] = table[in[i]];
}

}  // namespace resproxy::media
