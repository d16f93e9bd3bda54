#pragma once
// The `pstn:` block of a scenario turned into the real thing: the emulated cards and exchange
// (sim_hardware/host/telephony_host.h) and the gateway core's configuration (dial plan, channel
// groups) that scenario_runner.cc runs in ns-3 — and the look-ups the results need (which
// subscriber band a dialled number is in, what an exchange call record stands for as a SIP
// answer). Numbers: the office's DDI block is 0163296 + a phone's four digits, its FXO lines are
// 0163297 + the line's four digits; outside numbers are "0" + nine digits, split into bands by the
// answer/busy/no-answer/unallocated shares.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/scenario.h"
#include "proxy/base/net.h"
#include "proxy/gateway/gateway_node.h"
#include "sim_hardware/host/telephony_host.h"

namespace resproxy::harness::runner {

inline constexpr std::string_view kDdiPrefix = "0163296";        // + a phone's 4-digit number
inline constexpr std::string_view kFxoNumberPrefix = "0163297";  // + the line's number, 4 digits

// resproxy's emergency numbers and 999/112, each once.
[[nodiscard]] std::vector<std::string> pstn_emergency_numbers(const Scenario& s);

// The outside numbers split in order answer, busy, no answer, unallocated, by share.
struct SubscriberBand {
  std::uint64_t first = 0, last = 0;  // 9-digit tails, inclusive
  exchange::SubscriberKind kind = exchange::SubscriberKind::Answers;
  std::string name;  // "" (answers), busy, no_answer, unallocated
};
[[nodiscard]] std::vector<SubscriberBand> subscriber_bands(const PstnSpec& p);
// The band name of an outside number ("" when it answers or is not an outside number).
[[nodiscard]] std::string subscriber_of(const std::vector<SubscriberBand>& bands, const std::string& number);

// The cards and the exchange: p.e1_spans E1s (the DDI block on the first), p.fxo_lines lines on
// one FXO card, the subscriber bands and the emergency numbers.
[[nodiscard]] telephony::TelephonyHostConfig pstn_hardware(const Scenario& s);

// Outside calls (0…) and emergency numbers over the E1s, re-presented to the FXO lines; DDI
// calls on the E1s to the phone; FXO line calls to the first phone.
[[nodiscard]] gateway::GatewayConfig pstn_gateway(const Scenario& s, const Address& local, const Address& proxy);

// What an exchange call record stands for as a SIP answer (the PSTN caller has no SIP status):
// 200 when answered, 487 when the caller gave up (the gateway CANCELled), else the RFC 3398
// answer for its cause (gateway/cause_map.h) — one table for the gateway and the results.
[[nodiscard]] std::optional<int> status_of(const exchange::CallRecord& r);

}  // namespace resproxy::harness::runner
