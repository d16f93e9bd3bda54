// Everything from the network is an attacker's: a flood of packets from random sources, to a
// relay port and to random ports, allocates nothing in RelaySessions::on_packet, moves no latch
// and does not stop the phone's stream; random datagrams of every shape never crash it.
//
// The allocation count comes from replacing the global allocation functions for this test's own
// binary (unit_media_alloc): they count only while `g_counting` is set, around the calls under test.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "proxy/media/relay/session.h"
#include "proxy/media/rtp_packet.h"
#include "tests/unit/media/media_support.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
}  // namespace

// The whole family of replaceable allocation functions ([new.delete]) is replaced, so that every
// new-expression and every delete in this binary pairs ours with ours — also under ASan, whose
// own operator new would otherwise meet our operator delete (alloc-dealloc-mismatch). This test
// has its binary to itself (unit_media_alloc) so that no other test runs on these.
namespace {
void* counted(std::size_t size) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
void* counted_aligned(std::size_t size, std::align_val_t align) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  const auto a = static_cast<std::size_t>(align);
  return std::aligned_alloc(a, (size + a - 1) / a * a);  // a multiple of the alignment
}
void* or_throw(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

// Out of line: inlined into a new-expression's caller, g++ 12 would pair the builtin operator
// new with the free() inside and call it a mismatch (-Wmismatched-new-delete).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
[[gnu::noinline]] void* operator new(std::size_t n) { return or_throw(counted(n)); }
[[gnu::noinline]] void* operator new[](std::size_t n) { return or_throw(counted(n)); }
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a) { return or_throw(counted_aligned(n, a)); }
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a) { return or_throw(counted_aligned(n, a)); }
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_aligned(n, a);
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_aligned(n, a);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace resproxy::media::relay {
namespace {

using namespace std::chrono_literals;
using test::at_ms;

const SessionKey kCall{"flood@office", "f1"};
const Address kAlice{"198.51.100.20", 40000};
const Address kBob{"203.0.113.30", 50000};

std::vector<std::uint8_t> rtp(std::uint16_t seq) {
  static const std::array<std::uint8_t, 160> kSilence{};
  RtpPacket p;
  p.payload_type = 8;
  p.sequence_number = seq;
  p.ssrc = 0xa11ce;
  p.payload = kSilence;
  return build_rtp(p).value();
}

LegMedia media(const Address& a) {
  LegMedia m;
  m.family = family_of(a);
  m.rtp = a;
  return m;
}

RelayConfig config() {
  RelayConfig c;
  c.ipv4_address = "192.0.2.1";
  c.ipv6_address = "2001:db8::1";
  return c;
}

TEST(RelayFlood, PacketsFromRandomSourcesCostNoMemoryAndMoveNoLatch) {
  SeededRng rng(7);
  RelaySessions relay(config(), rng);
  TimePoint now = at_ms(1000);
  const auto ports = relay.offer(now, kCall, media(kAlice), Family::Ipv4).value();
  (void)relay.answer(now, kCall, "b1", media(kBob));
  std::uint16_t seq = 1;
  (void)relay.on_packet(now, ports.a.rtp, kAlice, rtp(seq++));
  now = at_ms(5000);  // locked

  // The flood's sources and datagrams exist before counting: only the relay's work is measured.
  std::mt19937_64 script(99);
  constexpr int kFlood = 100'000;
  std::vector<Address> sources;
  sources.reserve(1000);
  for (int i = 0; i < 1000; ++i) {
    const bool v6 = script() % 4 == 0;
    std::string ip = v6 ? "2001:db8:" + std::to_string(script() % 65536) + "::" +
                              std::to_string(script() % 65536)
                        : std::to_string(script() % 224) + "." + std::to_string(script() % 256) +
                              ".0." + std::to_string(script() % 256);
    sources.push_back(Address{std::move(ip), static_cast<std::uint16_t>(script())});
  }
  const auto packet = rtp(500);
  const std::vector<std::uint8_t> rtcp{0x80, 200, 0, 1, 1, 2, 3, 4};
  const Address random_port{"192.0.2.1", 31337};

  std::size_t allocations = 0;
  for (int i = 0; i < kFlood; ++i) {
    const Address& from = sources[script() % sources.size()];
    const Address& to = (i % 10 == 0) ? random_port : ((i % 2 == 0) ? ports.a.rtp : ports.b.rtp);
    g_allocations = 0;
    g_counting = true;
    const PacketVerdict v = relay.on_packet(now, to, from, i % 3 == 0 ? rtcp : packet);
    g_counting = false;
    allocations += g_allocations;
    ASSERT_TRUE(std::holds_alternative<Drop>(v));
    if (i % 100 == 0) {  // the phone keeps talking through it
      const auto own = relay.on_packet(now, ports.a.rtp, kAlice, rtp(seq++));
      ASSERT_EQ(own, PacketVerdict(Forward{kBob, ports.b.rtp}));
    }
    now += 10us;
  }
  EXPECT_EQ(allocations, 0u);
  const RelaySession* s = relay.find(kCall);
  EXPECT_EQ(s->leg(Side::A).rtp_latch.latched, kAlice);
  EXPECT_EQ(s->leg(Side::B).rtp_latch.latched, std::nullopt);  // Bob has not sent; nobody else may
  EXPECT_EQ(relay.counters().dropped_for(DropReason::Foreign) +
                relay.counters().dropped_for(DropReason::UnknownPort),
            static_cast<std::uint64_t>(kFlood));
  EXPECT_EQ(relay.size(), 1u);
}

TEST(RelayFlood, TheAllocationCounterSeesAnAllocationSoItsZeroAboveMeansSomething) {
  g_allocations = 0;
  g_counting = true;
  auto text = std::make_unique<std::string>(100, 'x');  // a heap string: two allocations
  g_counting = false;
  EXPECT_GE(g_allocations.load(), 2u);
  EXPECT_EQ(text->size(), 100u);
}

TEST(RelayFlood, RandomDatagramsToEveryPortNeverCrashTheRelay) {
  SeededRng rng(8);
  RelaySessions relay(config(), rng);
  std::mt19937_64 script(2024);
  TimePoint now = at_ms(0);
  std::vector<SessionPorts> calls;
  for (int c = 0; c < 20; ++c) {
    const SessionKey key{"call-" + std::to_string(c), "t"};
    LegMedia caller = media(Address{"198.51.100." + std::to_string(c), 40000});
    caller.address_usable = c % 2 == 0;
    caller.rtcp_mux = c % 3 == 0;
    const Family callee = c % 4 == 0 ? Family::Ipv6 : Family::Ipv4;
    (void)relay.offer(now, key, caller, callee);
    const Address bob = callee == Family::Ipv6 ? Address{"2001:db8:2::30", 50000} : kBob;
    calls.push_back(relay.answer(now, key, "b", media(bob)).value());
  }
  std::vector<std::uint8_t> d;
  for (int i = 0; i < 50'000; ++i) {
    now += std::chrono::microseconds(script() % 5000);
    const SessionPorts& call = calls[script() % calls.size()];
    const LocalMedia& side = script() % 2 ? call.a : call.b;
    const Address& local = script() % 2 ? side.rtp : side.rtcp;
    d.resize(script() % 300);
    for (auto& b : d) b = static_cast<std::uint8_t>(script());
    if (d.size() >= 12 && script() % 2) d[0] = 0x80;  // half of them look like RTP or RTCP
    const Address from{"198.51.100." + std::to_string(script() % 25),
                       static_cast<std::uint16_t>(40000 + script() % 3)};
    (void)relay.on_packet(now, local, from, d);
    if (auto deadline = relay.next_deadline(); deadline && *deadline <= now) {
      (void)relay.on_deadline(now);
    }
  }
  const auto& counters = relay.counters();
  std::uint64_t dropped = 0;
  for (auto n : counters.dropped) dropped += n;
  EXPECT_EQ(counters.forwarded + dropped, 50'000u);
  EXPECT_GT(counters.forwarded, 0u);
}

}  // namespace
}  // namespace resproxy::media::relay
