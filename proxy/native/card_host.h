#pragma once
// CardHost: what NativeRuntime needs of the telephony cards it hosts for its Node (a GatewayNode):
// a sans-I/O object driven like a Node — inputs carry `now`, events are taken after each input,
// one next deadline. The runtime hands it the Node's gateway::ToCard effects and gives the Node
// each gateway::FromCard event it emits as a completion input of its own (never inside the pump
// that drained the command). Emulated cards (sim_hardware/host/telephony_host.h) are adapted to it
// in telephony_card_host.h; a real card driver would implement it the same way. The runtime knows
// nothing of PRI or FXO: only this.
//
// `now` never decreases from one call to the next (the runtime's steady clock).
#include <optional>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/gateway/card.h"

namespace resproxy::native {

class CardHost {
 public:
  virtual ~CardHost() = default;

  // Powers the cards up (their first SpanState events). Called once by the runtime at start,
  // before any other input.
  virtual void start(TimePoint now) = 0;
  // A command for the card serving `command.span`; a span no card serves is the host's to
  // answer per the card contract (gateway::no_card_answer).
  virtual void on_command(TimePoint now, const gateway::ToCard& command) = 0;
  // Call when now >= next_deadline().
  virtual void on_deadline(TimePoint now) = 0;
  [[nodiscard]] virtual std::optional<TimePoint> next_deadline() const = 0;
  // The cards' events since the last call, in the order they happened.
  [[nodiscard]] virtual std::vector<gateway::FromCard> take_events() = 0;
};

}  // namespace resproxy::native
