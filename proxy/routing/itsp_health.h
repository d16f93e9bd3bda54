#pragma once
// ItspHealth: the health state machine of one ITSP proxy (issue #4, item 3). It only decides:
// probe outcomes and live-traffic signals come in with `now`, the state and the time of the next
// probe come out. The ItspMonitor sends the probes; routing asks is_usable().
//
//   Active ──(N failed probes, or a live-traffic failure)──▶ Probing ──(N failures)──▶ Inactive
//     ▲                                                        │ success                 │
//     └────────────────────────────────────────────────────────┘                         │
//     └──(M successes in a row, the last at least failback_delay after the first)────────┘
//   AdminDisabled: configured off; never probed, never used.
//
// Never disabled for good by itself: Inactive keeps probing for as long as it lasts.
#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/base/time.h"

namespace resproxy::routing {

enum class ItspState : std::uint8_t { Active, Probing, Inactive, AdminDisabled };
std::string_view to_string(ItspState state);

// What made the proxy doubt an ITSP (beyond the seed, live traffic counts too).
enum class TrafficFailure : std::uint8_t {
  TransportError,     // RFC 3261 §16.9: the connection or the send failed
  Unavailable,        // a 503 (with or without Retry-After)
  NoAnswer,           // a forwarded INVITE/REGISTER got no response within the configured time
};
std::string_view to_string(TrafficFailure failure);

struct ItspHealthConfig {
  Duration probe_interval = std::chrono::seconds(30);       // while Active
  Duration probe_interval_down = std::chrono::seconds(10);  // while Probing or Inactive
  int failures_to_down = 2;      // N
  int successes_to_up = 3;       // M
  Duration failback_delay = std::chrono::seconds(10);  // stable for this long before failback
};

class ItspHealth {
 public:
  // `admin_enabled` false: AdminDisabled for good (configured off).
  ItspHealth(ItspHealthConfig config, bool admin_enabled, TimePoint now);

  void on_probe_success(TimePoint now);
  void on_probe_failure(TimePoint now);
  void on_traffic_failure(TimePoint now, TrafficFailure failure);
  void on_traffic_success(TimePoint now);  // a final response from the ITSP: it is alive

  [[nodiscard]] ItspState state() const { return state_; }
  // Traffic may go there: while Active, and while Probing — a doubt is not an outage: requests
  // still go there, each guarded by the live-traffic timeout, so one lost probe on a lossy link
  // fails nothing over. Only Inactive (N failures) is failure operation.
  [[nodiscard]] bool is_usable() const {
    return state_ == ItspState::Active || state_ == ItspState::Probing;
  }
  // When the next probe is due (none while AdminDisabled).
  [[nodiscard]] std::optional<TimePoint> next_probe_at() const;
  void probe_sent(TimePoint now);  // the monitor sent one: schedule the next
  [[nodiscard]] TimePoint state_since() const { return since_; }
  [[nodiscard]] std::uint64_t transitions() const { return transitions_; }

 private:
  void enter(ItspState next, TimePoint now);

  ItspHealthConfig config_;
  ItspState state_;
  TimePoint since_;
  TimePoint next_probe_;
  int failures_ = 0;
  int successes_ = 0;
  TimePoint first_success_{};
  std::uint64_t transitions_ = 0;
};

}  // namespace resproxy::routing
