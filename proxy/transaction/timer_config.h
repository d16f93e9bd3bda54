#pragma once
// RFC 3261 §17 timer values. T1, T2 and T4 are configurable (§17.1.1.1: T1 may be changed on
// networks with known RTT); every other timer is derived from them as Table 4 says.
#include <chrono>

#include "proxy/base/time.h"

namespace resproxy::transaction {

struct TimerConfig {
  Duration t1 = std::chrono::milliseconds(500);  // RTT estimate
  Duration t2 = std::chrono::seconds(4);         // cap on non-INVITE and 2xx retransmit interval
  Duration t4 = std::chrono::seconds(5);         // max time a message stays in the network
  Duration timer_d = std::chrono::seconds(32);   // wait for response retransmits (unreliable)

  [[nodiscard]] Duration timer_b() const { return 64 * t1; }  // INVITE transaction timeout
  [[nodiscard]] Duration timer_f() const { return 64 * t1; }  // non-INVITE transaction timeout
  [[nodiscard]] Duration timer_h() const { return 64 * t1; }  // wait for ACK receipt
  [[nodiscard]] Duration timer_j() const { return 64 * t1; }  // wait for non-INVITE retransmits
  [[nodiscard]] Duration timer_l() const { return 64 * t1; }  // RFC 6026: Accepted, server
  [[nodiscard]] Duration timer_m() const { return 64 * t1; }  // RFC 6026: Accepted, client
};

}  // namespace resproxy::transaction
