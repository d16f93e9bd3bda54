#include "proxy/native/os_rng.h"

#include <random>

namespace resproxy::native {

std::uint64_t os_random_seed() {
  std::random_device device;
  // random_device yields 32-bit words: two of them make one 64-bit seed.
  const auto high = static_cast<std::uint64_t>(device()) & 0xffffffffULL;
  const auto low = static_cast<std::uint64_t>(device()) & 0xffffffffULL;
  return (high << 32) | low;
}

SeededRng os_seeded_rng() { return SeededRng{os_random_seed()}; }

}  // namespace resproxy::native
