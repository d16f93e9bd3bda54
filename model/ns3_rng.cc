#include "model/ns3_rng.h"

#include <cmath>

#include <ns3/integer.h>
#include <ns3/object-factory.h>

namespace resproxy::model {

Ns3Rng::Ns3Rng(std::int64_t stream)
    // The stream goes in as a construction attribute: creating the variable first and calling
    // SetStream afterwards would also consume an automatic stream index (shifting every
    // automatically numbered variable created later in the process).
    : stream_(stream),
      variable_(ns3::CreateObjectWithAttributes<ns3::UniformRandomVariable>(
          "Stream", ns3::IntegerValue(stream))) {}

SipKey Ns3Rng::hash_key() {
  auto variable = ns3::CreateObjectWithAttributes<ns3::UniformRandomVariable>(
      "Stream", ns3::IntegerValue(stream_ + kHashKeyStreamOffset));
  constexpr double kTwo32 = 4294967296.0;
  std::uint64_t words[4];
  for (auto& w : words) w = static_cast<std::uint64_t>(std::floor(variable->GetValue() * kTwo32));
  return SipKey{(words[0] << 32) | words[1], (words[2] << 32) | words[3]};
}

std::uint64_t Ns3Rng::next_u64() {
  // MRG32k3a yields about 32 bits per draw (multiples of 1/(2^32 - 208)): two draws per word.
  constexpr double kTwo32 = 4294967296.0;
  const auto hi = static_cast<std::uint64_t>(std::floor(variable_->GetValue() * kTwo32));
  const auto lo = static_cast<std::uint64_t>(std::floor(variable_->GetValue() * kTwo32));
  return (hi << 32) | (lo & 0xffffffffULL);
}

}  // namespace resproxy::model
