#pragma once
// Rng: the only source of randomness the core may use (Call-IDs, tags, branches, jitter).
// The runtime injects it: seeded once from the OS natively, from an ns-3 stream in simulation,
// from a fixed seed in tests. Same seed, same draws, same trace.
#include <cstdint>
#include <string>

#include "proxy/base/siphash.h"

namespace resproxy {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual std::uint64_t next_u64() = 0;

  // Uniform in [0, bound); bound > 0. Lemire's multiply-shift (bias < 2^-32 for small bounds).
  std::uint64_t uniform(std::uint64_t bound);
  // `length` characters from [0-9a-z]: for tags, branch suffixes and Call-IDs.
  std::string token(std::size_t length);
  // The key of the hash tables keyed by wire data (KeyedStringHash). From a stream of its own
  // where the generator is seeded, so that taking it moves no other draw (same seed, same
  // trace); by default two draws (an OS-seeded generator has no trace to keep).
  virtual SipKey hash_key() { return SipKey{next_u64(), next_u64()}; }
};

// xoshiro256** seeded through splitmix64: fast, 256-bit state, deterministic everywhere.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed);
  std::uint64_t next_u64() override;
  SipKey hash_key() override;  // derived from the seed: no draw moves

 private:
  std::uint64_t s_[4];
  std::uint64_t seed_;
};

}  // namespace resproxy
