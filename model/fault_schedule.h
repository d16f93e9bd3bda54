#pragma once
// FaultSchedule: puts a scenario's fault timeline on the ns-3 clock (issue #5, item 1). Each
// fault has a kind, a target and a window [start, end); what it does:
//   outage          the target links drop everything (both directions)
//   flap            down for `down`, up for `up`, repeated, starting down, until `end`
//   random_outages  like flap with exponentially distributed down and up times (means `down`
//                   and `up`), drawn from the schedule's Rng
//   loss            per-packet loss `rate`; `direction` both | up | down (up: office → ITSP,
//                   i.e. toward the link's side b)
//   latency         the channel delay grows by `delay`; with `jitter` > 0 it is redrawn every
//                   `jitter_step` as base + delay + U(0, jitter)
//   process_dead    the target process (a FaultyNode) hangs: drops all input and output
//   process_503     the target process answers 503 to every request
//   e1_los, e1_ais  the office's E1 number `index` (from 1) loses its signal / gets all ones
//   fxo_dead        the office's analogue line number `index` (from 1) loses its battery
//   exchange_congestion  the PSTN exchange refuses new calls with 34
// The telephony kinds act through the hook given to set_telephony (the harness's gateway node);
// their target is "pstn".
// After `end` everything the fault changed is restored (loss to 0, delay to the link's base).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ns3/nstime.h>

#include "model/faulty_node.h"
#include "model/office_network.h"
#include "proxy/base/rng.h"

namespace resproxy::model {

enum class FaultKind : std::uint8_t {
  Outage, Flap, RandomOutages, Loss, Latency, ProcessDead, Process503,
  E1Los, E1Ais, FxoDead, ExchangeCongestion
};
[[nodiscard]] bool is_telephony(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::Outage;
  std::string target;  // a link name (OfficeNetwork) or, for process faults, a process name
  ns3::Time start;
  ns3::Time end;
  double rate = 0.0;                      // loss
  std::string direction = "both";         // loss: both | up | down
  ns3::Time up = ns3::Seconds(10);        // flap, random_outages
  ns3::Time down = ns3::Seconds(10);
  ns3::Time delay;                        // latency
  ns3::Time jitter;                       // latency
  ns3::Time jitter_step = ns3::MilliSeconds(100);
  std::size_t index = 1;                  // e1_los, e1_ais: the E1; fxo_dead: the line
};

// One transition a fault made, in time order per fault (the results' timeline).
struct FaultEvent {
  ns3::Time at;
  std::size_t fault = 0;  // index into the schedule
  std::string what;       // "down", "up", "loss 0.05", "delay 300ms", "dead", "503", "healthy"
};

class FaultSchedule {
 public:
  // `rng`: for random_outages and jitter; must outlive the run. `process(name)` finds a
  // FaultyNode for process faults (nullptr: unknown).
  FaultSchedule(OfficeNetwork& network, Rng& rng,
                std::function<FaultyNode*(const std::string&)> process);

  // Where telephony faults go: called with the fault at its start (active) and end (not).
  using Telephony = std::function<void(const Fault& fault, bool active)>;
  void set_telephony(Telephony telephony) { telephony_ = std::move(telephony); }

  // Schedules `fault` (before Simulator::Run). Returns false if its target is unknown (a
  // telephony fault without set_telephony).
  bool add(const Fault& fault);
  [[nodiscard]] const std::vector<FaultEvent>& events() const { return events_; }

 private:
  void set_down(std::size_t index, const std::vector<LossyLink*>& links, bool down);
  void flap(std::size_t index, std::vector<LossyLink*> links, bool down, bool random);
  double uniform01();

  OfficeNetwork& network_;
  Rng& rng_;
  std::function<FaultyNode*(const std::string&)> process_;
  Telephony telephony_;
  std::vector<Fault> faults_;
  std::vector<bool> down_;  // outage-like faults: is the target down now
  std::vector<FaultEvent> events_;
};

}  // namespace resproxy::model
