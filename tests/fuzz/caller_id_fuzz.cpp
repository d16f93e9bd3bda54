// libFuzzer target for the caller-ID codec of the emulated FXO line (sim_hardware/fxo/
// caller_id.h): the octets come off the line, so they are an attacker's. For any input, under
// both standards: decode gives a message or an error inside the input, never a crash or a
// sanitizer report; a decoded message that encodes again decodes to itself, and its octets add
// up to zero (mod 256) with the checksum.
#include "tests/fuzz/fuzz_check.h"
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <span>

#include "sim_hardware/fxo/caller_id.h"

namespace {

using namespace resproxy::fxo;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> octets(data, size);
  for (CallerIdStandard standard : {CallerIdStandard::Sin227, CallerIdStandard::Bellcore}) {
    const auto decoded = decode_caller_id(octets, standard);
    if (!decoded) {
      FUZZ_CHECK(decoded.error().offset <= size);
      FUZZ_CHECK(!to_string(decoded.error().kind).empty());
      continue;
    }
    const auto encoded = encode_caller_id(*decoded, standard);
    if (!encoded) continue;  // e.g. an SDMF message with no MDMF form under these limits
    const unsigned sum = std::accumulate(encoded->begin(), encoded->end(), 0u);
    FUZZ_CHECK(sum % 256 == 0);
    const auto again = decode_caller_id(*encoded, standard);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *decoded);
  }
  return 0;
}
