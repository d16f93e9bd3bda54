#include "proxy/routing/itsp_health.h"

namespace resproxy::routing {

std::string_view to_string(ItspState state) {
  switch (state) {
    case ItspState::Active: return "Active";
    case ItspState::Probing: return "Probing";
    case ItspState::Inactive: return "Inactive";
    case ItspState::AdminDisabled: return "AdminDisabled";
  }
  return "unknown";
}

std::string_view to_string(TrafficFailure failure) {
  switch (failure) {
    case TrafficFailure::TransportError: return "transport_error";
    case TrafficFailure::Unavailable: return "unavailable";
    case TrafficFailure::NoAnswer: return "no_answer";
  }
  return "unknown";
}

ItspHealth::ItspHealth(ItspHealthConfig config, bool admin_enabled, TimePoint now)
    : config_(config),
      state_(admin_enabled ? ItspState::Active : ItspState::AdminDisabled),
      since_(now),
      next_probe_(now) {}

void ItspHealth::enter(ItspState next, TimePoint now) {
  if (next == state_) return;
  state_ = next;
  since_ = now;
  ++transitions_;
  failures_ = 0;
  successes_ = 0;
}

std::optional<TimePoint> ItspHealth::next_probe_at() const {
  if (state_ == ItspState::AdminDisabled) return std::nullopt;
  return next_probe_;
}

void ItspHealth::probe_sent(TimePoint now) {
  next_probe_ = now + (state_ == ItspState::Active ? config_.probe_interval
                                                   : config_.probe_interval_down);
}

void ItspHealth::on_probe_success(TimePoint now) {
  switch (state_) {
    case ItspState::Active:
      failures_ = 0;
      return;
    case ItspState::Probing:
      // A doubt that one probe clears: it never went down, so no failback delay applies.
      enter(ItspState::Active, now);
      next_probe_ = now + config_.probe_interval;
      return;
    case ItspState::Inactive:
      if (successes_ == 0) first_success_ = now;
      ++successes_;
      if (successes_ >= config_.successes_to_up && now - first_success_ >= config_.failback_delay) {
        enter(ItspState::Active, now);
        next_probe_ = now + config_.probe_interval;
      }
      return;
    case ItspState::AdminDisabled:
      return;
  }
}

void ItspHealth::on_probe_failure(TimePoint now) {
  switch (state_) {
    case ItspState::Active:
    case ItspState::Probing:
      if (++failures_ >= config_.failures_to_down) {
        enter(ItspState::Inactive, now);
      } else if (state_ == ItspState::Active) {
        const int failures = failures_;
        enter(ItspState::Probing, now);  // probe again soon instead of in probe_interval
        failures_ = failures;
      }
      next_probe_ = now + config_.probe_interval_down;
      return;
    case ItspState::Inactive:
      successes_ = 0;  // flapping: the M successes must come in a row
      return;
    case ItspState::AdminDisabled:
      return;
  }
}

void ItspHealth::on_traffic_failure(TimePoint now, TrafficFailure) {
  if (state_ != ItspState::Active) return;
  // Live traffic says what a probe would only say later: stop sending there now, probe at once.
  enter(ItspState::Probing, now);
  failures_ = 1;
  next_probe_ = now;
}

void ItspHealth::on_traffic_success(TimePoint now) {
  if (state_ == ItspState::Probing) {
    enter(ItspState::Active, now);
    next_probe_ = now + config_.probe_interval;
  }
}

}  // namespace resproxy::routing
