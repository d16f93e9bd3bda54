#pragma once
// Ns3Rng: the core's Rng (proxy/base/rng.h) drawing from an ns-3 UniformRandomVariable on an
// explicit stream number, so a simulation's draws depend only on (RngSeedManager seed, run,
// stream) — never on how many random variables were created before it in the process.
//
// Construct it after RngSeedManager::SetSeed/SetRun: the stream is bound at construction.
// Give every Ns3Rng (and every other random variable in the simulation) its own stream number.
#include <cstdint>

#include <ns3/ptr.h>
#include <ns3/random-variable-stream.h>

#include "proxy/base/rng.h"

namespace resproxy::model {

class Ns3Rng final : public resproxy::Rng {
 public:
  explicit Ns3Rng(std::int64_t stream);

  // Rng
  std::uint64_t next_u64() override;
  // From a variable on a stream of its own (stream + kHashKeyStreamOffset): no draw of this
  // generator moves, and no automatic stream index is consumed.
  SipKey hash_key() override;
  static constexpr std::int64_t kHashKeyStreamOffset = 1'000'000;

  [[nodiscard]] std::int64_t stream() const { return stream_; }

 private:
  std::int64_t stream_;
  ns3::Ptr<ns3::UniformRandomVariable> variable_;
};

}  // namespace resproxy::model
