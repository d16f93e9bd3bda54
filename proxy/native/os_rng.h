#pragma once
// The native runtime's randomness (ARCHITECTURE.md: "seeded from the OS once"): the core only
// ever sees a SeededRng; the OS is asked for a seed once, at start-up. Log the seed: running the
// same inputs with SeededRng{seed} reproduces every Call-ID, tag and branch.
#include <cstdint>

#include "proxy/base/rng.h"

namespace resproxy::native {

// 64 bits from std::random_device (the OS entropy source on Linux).
[[nodiscard]] std::uint64_t os_random_seed();

// A SeededRng seeded once with os_random_seed().
[[nodiscard]] SeededRng os_seeded_rng();

}  // namespace resproxy::native
