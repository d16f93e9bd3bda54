// Vocabulary types of the core: the timer heap's ordering, the seeded Rng, trace rendering.
#include <gtest/gtest.h>

#include <set>

#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"

namespace resproxy {
namespace {

using namespace std::chrono_literals;

TEST(TimerHeap, EqualDeadlinesFireInInsertionOrder) {
  TimerHeap heap;
  std::string order;
  const TimePoint t = from_ns(1000);
  heap.schedule(t, [&](TimePoint) { order += 'a'; });
  heap.schedule(t - 1ns, [&](TimePoint) { order += 'z'; });
  heap.schedule(t, [&](TimePoint) { order += 'b'; });
  heap.schedule(t, [&](TimePoint) { order += 'c'; });
  EXPECT_EQ(heap.next_deadline(), t - 1ns);
  EXPECT_EQ(heap.fire_due(t), 4u);
  EXPECT_EQ(order, "zabc");
  EXPECT_FALSE(heap.next_deadline().has_value());
}

TEST(TimerHeap, CancelledTimersNeverFireAndDueTimersScheduledByCallbacksDo) {
  TimerHeap heap;
  int fired = 0;
  auto id = heap.schedule(from_ns(10), [&](TimePoint) { ++fired; });
  heap.cancel(id);
  EXPECT_FALSE(id.is_set());
  heap.cancel(id);  // no-op
  heap.schedule(from_ns(20), [&](TimePoint now) {
    ++fired;
    heap.schedule(now, [&](TimePoint) { ++fired; });  // due at once: same fire_due call
  });
  heap.schedule(from_ns(30), [&](TimePoint) { ++fired; });
  EXPECT_EQ(heap.fire_due(from_ns(25)), 2u);
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(heap.next_deadline(), from_ns(30));
}

TEST(SeededRng, SameSeedSameDrawsOtherSeedOtherDraws) {
  SeededRng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
  }
  EXPECT_NE(SeededRng(7).next_u64(), c.next_u64());
}

TEST(SeededRng, TokensUseTheLowercaseAlphanumericAlphabetAndUniformStaysInBounds) {
  SeededRng rng(1);
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    for (const char ch : rng.token(8)) {
      EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z')) << ch;
      seen.insert(ch);
    }
    EXPECT_LT(rng.uniform(3), 3u);
  }
  EXPECT_EQ(seen.size(), 36u);
}

TEST(Trace, RendersOneJsonLineWithEscapes) {
  TraceEvent event{from_ns(1500), "txn.timer_fired", {}};
  event.with("timer", "A").with("odd", std::string("q\"\\\n\x01", 5));
  EXPECT_EQ(to_json_line(event, "proxy-a"),
            R"({"t_ns":1500,"node":"proxy-a","ev":"txn.timer_fired","timer":"A",)"
            R"("odd":"q\"\\\n\u0001"})");
}

TEST(Address, BracketsIpv6WhenPrinted) {
  EXPECT_EQ((Address{"127.0.0.1", 5060}).to_string(), "127.0.0.1:5060");
  EXPECT_EQ((Address{"::1", 5070}).to_string(), "[::1]:5070");
}

}  // namespace
}  // namespace resproxy
