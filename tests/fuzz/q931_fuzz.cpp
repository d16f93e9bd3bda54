// libFuzzer target for the Q.931 codec (sim_hardware/q931/codec.h; STYLE.md §9: decode → encode
// → decode). Seeds: tests/fuzz/seeds/fuzz_q931 (the vectors of tests/unit/sim_hardware/
// q931_vectors.h, one message a file).
// For any input: decode() gives a message or an error, never a crash or a sanitizer report. An
// error stops inside the input, has a name, and a cause only where §5.8 answers. A message
// encodes; the octets decode to the same message (codec.h: decode(encode(m)) == m for every
// decoded m) and encode to the same octets again; validate() answers in every context; each raw
// IE of codeset 0 decodes through the typed decoders without a crash.
#include "tests/fuzz/fuzz_check.h"
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "sim_hardware/q931/codec.h"
#include "sim_hardware/q931/validate.h"

namespace {

using namespace resproxy::q931;

void exercise_validate(const Message& m) {
  for (Direction direction : {Direction::NetworkToUser, Direction::UserToNetwork}) {
    for (int flags = 0; flags < 4; ++flags) {
      const ValidationContext context{.direction = direction,
                                      .first_response_to_setup = (flags & 1) != 0,
                                      .first_clearing_message = (flags & 2) != 0};
      if (const auto problem = validate(m, context)) {
        const auto cause = static_cast<int>(problem->cause);
        FUZZ_CHECK(cause == 81 || cause == 96 || cause == 99 || cause == 100);
      }
    }
  }
}

void exercise_raw_contents(const Message& m) {
  for (const auto& ie : m.other_elements) {
    const std::span<const std::uint8_t> c(ie.contents);
    if (auto v = decode_bearer_capability(c)) FUZZ_CHECK(encode_contents(*v).size() == c.size());
    if (auto v = decode_cause(c)) FUZZ_CHECK(encode_contents(*v).size() == c.size());
    if (auto v = decode_channel_identification(c))
      FUZZ_CHECK(encode_contents(*v).size() == c.size());
    if (auto v = decode_calling_party_number(c)) FUZZ_CHECK(encode_contents(*v).size() == c.size());
    if (auto v = decode_called_party_number(c)) FUZZ_CHECK(encode_contents(*v).size() == c.size());
    (void)decode_call_state(c);
    (void)decode_progress_indicator(c);
    (void)decode_restart_indicator(c);
    (void)decode_ia5(c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  auto decoded = decode(input);
  if (!decoded) {
    const DecodeError& e = decoded.error();
    FUZZ_CHECK(e.offset <= size);
    FUZZ_CHECK(!to_string(e.kind).empty());
    const bool answered = e.kind == DecodeErrorKind::UnknownMessageType ||
                          e.kind == DecodeErrorKind::InformationElementTruncated;
    FUZZ_CHECK(to_cause(e.kind).has_value() == answered);
    FUZZ_CHECK(e.call_reference.has_value() == answered);
    return 0;
  }
  const Message& m = *decoded;
  const auto octets = encode(m);
  FUZZ_CHECK(octets.size() <= size);  // regrouping drops shift IEs, never adds one
  auto again = decode(octets);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == m);
  FUZZ_CHECK(encode(*again) == octets);
  exercise_validate(m);
  exercise_raw_contents(m);
  return 0;
}
