#include "proxy/native/os_rng.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
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

void CryptoRng::refill() {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(block_.data()),
                 static_cast<int>(block_.size() * sizeof(block_[0]))) != 1) {
    std::fputs("resproxy: OpenSSL RAND_bytes failed: no secure randomness, stopping\n", stderr);
    std::abort();
  }
  next_ = 0;
}

std::uint64_t CryptoRng::next_u64() {
  if (next_ == block_.size()) refill();
  const std::uint64_t value = block_[next_];
  block_[next_++] = 0;  // a drawn value is not left lying in memory
  return value;
}

}  // namespace resproxy::native
