// libFuzzer target for the media data path (proxy/media/): RTP parse → build → parse round trip,
// and a jitter buffer, a telephone-event receiver and a call's DTMF interworking (LineDtmf: events
// played to the line as tones, the line's tones detected and sent as events) fed the parsed
// packets with time, line pulls and line audio chosen by the input — the line echoing what it
// hears, or saying the input's own samples. Seeds: tests/fuzz/seeds/fuzz_rtp (a few well-formed packets).
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
#include "proxy/media/line_dtmf.h"
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
  LineDtmf dtmf;
  LineDtmf::LineSamples line{};
  std::uint32_t timestamp = 0;
  std::int64_t now_ns = 0;
  while (!in.empty()) {
    now_ns += static_cast<std::int64_t>(in.byte()) * 1'000'000;  // 0..255 ms, forwards only
    const TimePoint now = from_ns(now_ns);
    const std::uint8_t op = in.byte();
    if (op % 3 == 0) {
      (void)jb.pull(now);
      // One 20 ms line period: the line hears (tones replace the voice), then says either what
      // it heard (an echo: the detector meets our own tones) or the input's samples.
      dtmf.to_line(now, line);
      if (op & 0x40) {
        const std::string_view raw = in.bytes(sizeof(line));
        std::copy(raw.begin(), raw.end(), reinterpret_cast<char*>(line.data()));
      }
      const LineDtmf::Output out = dtmf.from_line(line, timestamp);
      timestamp += kFrameSamples;
      FUZZ_CHECK(out.event_count <= out.events.size());
      for (std::size_t i = 0; i < out.event_count; ++i) FUZZ_CHECK(out.events[i].event.event <= 15);
    } else {
      const std::string_view bytes = in.bytes(1500);
      const std::span<const std::uint8_t> d(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      if (const auto p = parse_rtp(d)) {
        (void)jb.push(now, *p);
        rx.on_packet(now, *p);
        if (p->payload_type == dtmf.payload_type()) dtmf.on_packet(now, *p);
      }
    }
    if (const auto deadline = rx.next_deadline(); deadline && *deadline <= now) rx.on_deadline(now);
    while (rx.next_digit()) {
    }
    FUZZ_CHECK(jb.size() <= jb.capacity());
    const LineDtmfStats st = dtmf.stats();
    FUZZ_CHECK(st.digits_dropped <= st.digits_received);
    FUZZ_CHECK(st.digits_played <= st.digits_received);
  }
  return 0;
}
