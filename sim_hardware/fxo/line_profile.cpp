#include "sim_hardware/fxo/line_profile.h"

#include <algorithm>

namespace resproxy::fxo {

using std::chrono::milliseconds;

Duration RingCadence::period() const {
  Duration total{};
  for (auto d : pattern) total += d;
  return total;
}

Duration RingCadence::shortest_on() const {
  Duration best = Duration::max();
  for (std::size_t i = 0; i < pattern.size(); i += 2) best = std::min(best, pattern[i]);
  return pattern.empty() ? Duration{} : best;
}

Duration RingCadence::longest_off() const {
  Duration best{};
  for (std::size_t i = 1; i < pattern.size(); i += 2) best = std::max(best, pattern[i]);
  return best;
}

Duration RingCadence::cycle_gap() const {
  if (pattern.size() < 2) return Duration{};
  const Duration last_off = pattern[pattern.size() - 1];
  Duration inner{};
  for (std::size_t i = 1; i + 1 < pattern.size(); i += 2) inner = std::max(inner, pattern[i]);
  return (inner + last_off) / 2;
}

RingCadence uk_ring_cadence() {
  return {{milliseconds(400), milliseconds(200), milliseconds(400), milliseconds(2000)}};
}

RingCadence us_ring_cadence() { return {{milliseconds(2000), milliseconds(4000)}}; }

Duration fsk_burst_duration(std::size_t octets, FskFraming framing) {
  const std::int64_t bits = framing.seizure_bits + framing.mark_bits +
                            kFskBitsPerOctet * static_cast<std::int64_t>(octets);
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  return Duration{(bits * kNsPerSecond + kFskBitsPerSecond - 1) / kFskBitsPerSecond};
}

}  // namespace resproxy::fxo
