#pragma once
// The native runtime's randomness. The core draws every secret through the one Rng interface
// (proxy/base/rng.h): digest nonce keys and opaque values, the dialog MAC key, the SipHash keys
// of the flood and lockout tables, and Call-IDs, tags and branches (which an attacker who could
// predict them would use to inject into a dialog). Natively they come from CryptoRng — OpenSSL's
// DRBG, seeded and reseeded by the OS — so nothing about them can be learnt from a log or from
// earlier draws. `--seed N` swaps in SeededRng (xoshiro256**) to reproduce a run; only then is a
// seed logged. ns-3 stays seeded from its own RNG stream: deterministic by design.
#include <array>
#include <cstddef>
#include <cstdint>

#include "proxy/base/rng.h"

namespace resproxy::native {

// 64 bits from the OS entropy source (getrandom via std::random_device).
[[nodiscard]] std::uint64_t os_random_seed();

// A SeededRng seeded once with os_random_seed(): reproducible from its seed, not for secrets.
[[nodiscard]] SeededRng os_seeded_rng();

// Cryptographically secure draws from OpenSSL's RAND_bytes, in blocks (one call per 32 draws).
// Not reproducible. Aborts the process if the DRBG fails (no entropy): a proxy that cannot make
// unpredictable keys must not run.
class CryptoRng final : public Rng {
 public:
  CryptoRng() = default;
  std::uint64_t next_u64() override;

 private:
  void refill();
  std::array<std::uint64_t, 32> block_{};
  std::size_t next_ = block_.size();
};

}  // namespace resproxy::native
