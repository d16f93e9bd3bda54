// libFuzzer target for the media data path (proxy/media/): RTP parse → build → parse round trip,
// and a jitter buffer plus a telephone-event receiver fed the parsed packets with time and line
// pulls chosen by the input. Seeds: tests/fuzz/seeds/fuzz_rtp (a few well-formed packets).
// For any input: parse_rtp gives a packet or an error, never a crash or a sanitizer report; a
// parsed packet builds to the same octets it came from (padding octets aside) and parses to the
// same fields; the buffer never holds more than its capacity.
#include "tests/fuzz/fuzz_check.h"
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "proxy/media/jitter_buffer.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/media/telephone_event.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using namespace resproxy::media;

void check_round_trip(std::span<const std::uint8_t> datagram, const RtpPacket& p) {
  const auto built = build_rtp(p);
  FUZZ_CHECK(built.has_value());
  FUZZ_CHECK(built->size() == datagram.size());
  // Everything but the padding's zero-filled octets is reproduced exactly.
  const std::size_t kept = datagram.size() - p.padding_size;
  FUZZ_CHECK(std::equal(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(kept), built->begin()));
  const auto again = parse_rtp(*built);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->sequence_number == p.sequence_number && again->timestamp == p.timestamp);
  FUZZ_CHECK(again->payload.size() == p.payload.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The whole input as one datagram first.
  const std::span<const std::uint8_t> whole(data, size);
  if (const auto p = parse_rtp(whole)) check_round_trip(whole, *p);
  else FUZZ_CHECK(!to_string(p.error()).empty());

  // Then as a stream of choices: time steps, pulls and datagrams.
  fuzz::FuzzInput in(data, size);
  JitterBuffer jb;
  TelephoneEventReceiver rx;
  std::int64_t now_ns = 0;
  while (!in.empty()) {
    now_ns += static_cast<std::int64_t>(in.byte()) * 1'000'000;  // 0..255 ms, forwards only
    const TimePoint now = from_ns(now_ns);
    const std::uint8_t op = in.byte();
    if (op % 3 == 0) {
      (void)jb.pull(now);
    } else {
      const std::string_view bytes = in.bytes(1500);
      const std::span<const std::uint8_t> d(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      if (const auto p = parse_rtp(d)) {
        (void)jb.push(now, *p);
        rx.on_packet(now, *p);
      }
    }
    if (const auto deadline = rx.next_deadline(); deadline && *deadline <= now) rx.on_deadline(now);
    while (rx.next_digit()) {
    }
    FUZZ_CHECK(jb.size() <= jb.capacity());
  }
  return 0;
}
