#pragma once
// The core's own timer heap: every timer of a Node (transaction timers A–K, keep-alives,
// expiries, probes) lives here, and the Node exposes only the earliest deadline. Equal deadlines
// fire in insertion order, decided here, so the native and ns-3 runtimes cannot disagree.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

#include "proxy/base/time.h"

namespace resproxy {

struct TimerId {
  TimePoint at{};
  std::uint64_t seq = 0;  // 0: no timer
  [[nodiscard]] bool is_set() const { return seq != 0; }
  friend auto operator<=>(const TimerId&, const TimerId&) = default;
};

class TimerHeap {
 public:
  using Callback = std::function<void(TimePoint now)>;

  TimerId schedule(TimePoint at, Callback callback) {
    const TimerId id{at, ++last_seq_};
    timers_.emplace(id, std::move(callback));
    return id;
  }
  // Cancelling an id that already fired or was cancelled is a no-op; resets `id`.
  void cancel(TimerId& id) {
    if (id.is_set()) timers_.erase(id);
    id = TimerId{};
  }
  [[nodiscard]] std::optional<TimePoint> next_deadline() const {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.at;
  }
  // Fires, in (deadline, insertion) order, every timer due at `now`, including timers that the
  // callbacks themselves schedule at or before `now`. Returns how many fired.
  std::size_t fire_due(TimePoint now) {
    std::size_t fired = 0;
    while (!timers_.empty() && timers_.begin()->first.at <= now) {
      auto node = timers_.extract(timers_.begin());
      ++fired;
      node.mapped()(now);
    }
    return fired;
  }
  [[nodiscard]] std::size_t size() const { return timers_.size(); }

 private:
  std::map<TimerId, Callback> timers_;
  std::uint64_t last_seq_ = 0;
};

}  // namespace resproxy
