// G.711: resproxy's codec (proxy/media/g711.h) against spandsp's (g711.h), every input: all
// 65,536 linear samples through both encoders, all 256 codes through both decoders, per law. Where
// the encoders differ it says how far each code's value lies from the input (docs/gateway.md,
// "Why not spandsp"). Built and run by bench/dtmf/run.sh.
#include <spandsp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "proxy/media/g711.h"

namespace {

struct Tally {
  int encode_differs = 0;
  int ours_nearer = 0, theirs_nearer = 0, tie = 0;
  int decode_differs = 0;
};

template <typename OurEnc, typename OurDec, typename TheirEnc, typename TheirDec>
Tally compare(OurEnc our_encode, OurDec our_decode, TheirEnc their_encode, TheirDec their_decode) {
  Tally t;
  for (int x = -32768; x <= 32767; ++x) {
    const auto sample = static_cast<std::int16_t>(x);
    const std::uint8_t ours = our_encode(sample);
    const std::uint8_t theirs = their_encode(sample);
    if (ours == theirs) continue;
    ++t.encode_differs;
    const int our_error = std::abs(our_decode(ours) - x);
    const int their_error = std::abs(their_decode(theirs) - x);
    if (our_error < their_error) ++t.ours_nearer;
    else if (their_error < our_error) ++t.theirs_nearer;
    else ++t.tie;
  }
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    if (our_decode(c) != their_decode(c)) ++t.decode_differs;
  }
  return t;
}

void row(const char* law, const Tally& t) {
  std::printf("| %s | %d / 65536 | %d | %d | %d | %d / 256 |\n", law, t.encode_differs, t.tie, t.ours_nearer,
              t.theirs_nearer, t.decode_differs);
}

}  // namespace

int main() {
  using namespace resproxy::media;
  std::printf("| law | encoder outputs that differ | equidistant | ours nearer | spandsp nearer | decoder outputs that differ |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  row("A-law", compare(alaw_encode, alaw_decode, linear_to_alaw, alaw_to_linear));
  row("µ-law", compare(ulaw_encode, ulaw_decode, linear_to_ulaw, ulaw_to_linear));
  return 0;
}
