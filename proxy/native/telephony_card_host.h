#pragma once
// TelephonyCardHost: the emulated cards of sim_hardware/host/telephony_host.h as a CardHost
// (card_host.h) for NativeRuntime. Header-only on purpose: resproxy_native does not link the
// emulators; the daemon and the tests that host emulated cards include this and link
// resproxy_telephony_host themselves.
#include <optional>
#include <vector>

#include "proxy/native/card_host.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::native {

class TelephonyCardHost final : public CardHost {
 public:
  // `host` must outlive this adapter.
  explicit TelephonyCardHost(telephony::TelephonyHost& host) : host_(host) {}

  // CardHost
  void start(TimePoint now) override {
    if (!host_.is_started()) host_.start(now);
  }
  void on_command(TimePoint now, const gateway::ToCard& command) override {
    host_.on_command(now, command);
  }
  void on_deadline(TimePoint now) override { host_.on_deadline(now); }
  [[nodiscard]] std::optional<TimePoint> next_deadline() const override {
    return host_.next_deadline();
  }
  [[nodiscard]] std::vector<gateway::FromCard> take_events() override {
    return host_.take_events();
  }

 private:
  telephony::TelephonyHost& host_;
};

}  // namespace resproxy::native
