// Bytes from the network are an attacker's: 100,000 random and half-plausible datagrams through
// the RTP parser, the jitter buffer and the telephone-event receiver never crash them and never
// grow the buffer past its capacity.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "proxy/media/jitter_buffer.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/media/telephone_event.h"

namespace resproxy::media {
namespace {

TEST(MediaAttacker, RandomDatagramsNeverCrashAndMemoryStaysBounded) {
  std::mt19937_64 rng(20240601);  // tests may use <random>; the core may not
  JitterBuffer jb;
  TelephoneEventReceiver rx;
  std::int64_t now_ns = 0;
  std::uint64_t parsed = 0;
  std::vector<std::uint8_t> d;
  for (int i = 0; i < 100'000; ++i) {
    d.resize(rng() % 400);
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    if (d.size() >= 12 && rng() % 4 != 0) {
      // Half-plausible: version 2, our payload types, a few SSRCs, nearby numbers.
      d[0] = static_cast<std::uint8_t>(0x80 | (d[0] & (rng() % 4 == 0 ? 0x3f : 0x01)));
      d[1] = static_cast<std::uint8_t>((d[1] & 0x80) | (rng() % 3 == 0 ? 101 : 8));
      d[8] = d[9] = d[10] = 0;
      d[11] = static_cast<std::uint8_t>(rng() % 3);
      if (rng() % 2) d[2] = 0;
    }
    now_ns += static_cast<std::int64_t>(rng() % 30'000'000);
    const TimePoint now = from_ns(now_ns);
    if (const auto p = parse_rtp(d)) {
      ++parsed;
      ASSERT_LE(p->payload.size(), d.size());
      (void)jb.push(now, *p);
      rx.on_packet(now, *p);
    }
    if (rng() % 2) (void)jb.pull(now);
    if (auto deadline = rx.next_deadline(); deadline && *deadline <= now) rx.on_deadline(now);
    while (rx.next_digit()) {
    }
    ASSERT_LE(jb.size(), jb.capacity());
  }
  EXPECT_GT(parsed, 50'000u);
  EXPECT_GT(jb.stats().received, 0u);
}

}  // namespace
}  // namespace resproxy::media
