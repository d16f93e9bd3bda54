#pragma once
// TelephonyHost: the office's emulated telephony cards — a PriCard per E1, an FxoCard per group
// of analogue lines — plugged into one emulated Exchange (sim_hardware/exchange/exchange.h), so
// that a runtime (the native daemon's event loop, an ns-3 application, a test) drives all of them
// as one sans-I/O object, as it drives a Node: inputs carry `now`, outputs are taken after each
// input, and there is one next deadline.
//
// Fed with the gateway's commands (gateway::ToCard, routed to the card serving its span), the
// scenario's PSTN calls and faults (originate, congestion, a span's layer-1 alarm, a line's
// battery), and the deadlines; emits the cards' events for the gateway (gateway::FromCard, each
// tagged with its span: cards number the calls they present independently, 2, 4, ...). Inside,
// it carries the Q.931 frames between each PriCard and its E1 port, the line signals between
// each FxoCard line and its line port, and the exchange's OfficeAlarm to the PriCard's on_alarm
// (the link: both ends of a span learn of the same fault).
//
// Every input, in this order:
//   1. runs what is due by `now`, step by step in deadline order, each step at its own deadline
//      (so a runtime that calls late still plays every timer at its own time, and the outputs do
//      not depend on how often on_deadline is called);
//   2. acts (the command, the scenario's action);
//   3. shuttles frames, signals and alarms between the cards and the exchange until nothing
//      moves, all at the same `now`: the D-channel is taken as a reliable, ordered link without
//      delay (Q.921 is not emulated, pri_card.h), a line signal arrives as it is put on the line;
//      at most kMaxShuttleRounds rounds (a round delivers everything queued on both sides);
//      beyond that — a ping-pong between two state machines, a bug — it stops, counts and traces
//      (telephony.shuttle_limit_reached) and the rest moves with the next input;
//   4. runs timers that step 3 made due by `now` (zero-length ones).
// Components are visited in configuration order (the exchange, then the E1 cards, then the FXO
// cards, each list as configured): the same inputs give the same outputs, event for event.
//
// An exchange port no card is plugged into is a cable to nowhere: what the exchange sends there
// is dropped (counted, traced as telephony.signal_unrouted); fault it with set_span_alarm if
// the exchange should know.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/exchange/exchange.h"
#include "sim_hardware/fxo/fxo_card.h"
#include "sim_hardware/pri/pri_card.h"

namespace resproxy::telephony {

// One E1 card: its configuration (its span id names it) and the exchange's E1 port its cable
// goes to (a name in ExchangeConfig::spans).
struct E1CardSlot {
  pri::PriCardConfig card;
  std::string exchange_port;
};

// One FXO card: its configuration and, in line order (line 1 first), the exchange's line port
// each of its `card.lines` lines goes to (names in ExchangeConfig::lines).
struct FxoCardSlot {
  fxo::FxoCardConfig card;
  std::vector<std::string> exchange_ports;
};

struct TelephonyHostConfig {
  std::vector<E1CardSlot> e1;
  std::vector<FxoCardSlot> fxo;
  exchange::ExchangeConfig exchange;
};

// What is wrong with a TelephonyHostConfig; `subject` names the span id or port concerned. The
// caller refuses the configuration (start-up: exit naming it).
enum class HostConfigErrorKind : std::uint8_t {
  SpanZero,           // span id 0: the unset value of ToCard::span / FromCard::span
  DuplicateSpan,      // two cards with the same span id
  DuplicatePortName,  // two exchange ports with the same name: port names must be unique
  UnknownPort,        // a slot names a port the exchange does not have
  NotAnE1Port,        // an E1 card plugged into an analogue line port
  NotALinePort,       // an FXO line plugged into an E1 port
  PortTakenTwice,     // two cards (or two lines) plugged into the same port
  LineCountMismatch,  // an FXO slot's exchange_ports.size() differs from card.lines (or is 0)
};
struct HostConfigError {
  HostConfigErrorKind kind = HostConfigErrorKind::UnknownPort;
  std::string subject;
  friend bool operator==(const HostConfigError&, const HostConfigError&) = default;
};
[[nodiscard]] std::string_view to_string(HostConfigErrorKind kind);
[[nodiscard]] std::string to_string(const HostConfigError& error);  // "unknown port: e1-9"

// Alert-worthy happenings, also traced.
struct HostCounters {
  std::uint64_t commands_unrouted = 0;  // a command for a span no card serves
  std::uint64_t signals_unrouted = 0;   // frames / line signals / alarms for a port with no card
  std::uint64_t shuttle_limit_reached = 0;
  std::uint64_t timer_limit_reached = 0;
};

class TelephonyHost {
 public:
  // Rounds of shuttling per input (step 3 above): a call set-up is a handful of rounds, a RESTART
  // of a whole span one; only a protocol loop (a bug) comes near this.
  static constexpr std::size_t kMaxShuttleRounds = 1000;
  // Timer steps per input (step 1 above). Timers due at one instant fire in one step; this only
  // bounds a component whose deadline does not move when it fires (a bug).
  static constexpr std::size_t kMaxTimerSteps = 100'000;
  // The cause of a PlaceCall for a span no card serves: Q.850 82, identified channel does not
  // exist (what the cards answer for a channel they do not have; the gateway maps it to 500).
  static constexpr std::uint8_t kNoSuchChannelCause = 82;

  // The host, or what is wrong with the configuration. `rng` and `trace` must outlive it; the
  // exchange draws from `rng` (answer delays, hold times) in input order.
  [[nodiscard]] static Result<std::unique_ptr<TelephonyHost>, HostConfigError> create(
      TelephonyHostConfig config, Rng& rng, TraceSink& trace);
  [[nodiscard]] static std::optional<HostConfigError> validate(const TelephonyHostConfig& config);

  ~TelephonyHost();
  TelephonyHost(const TelephonyHost&) = delete;
  TelephonyHost& operator=(const TelephonyHost&) = delete;

  // Powers up: the exchange puts battery on its lines, the FXO cards start watching for it; then
  // one SpanState per card (configuration order) with the alarm it has. Call once, first; an
  // input before it starts the host at that input's `now`.
  void start(TimePoint now);
  [[nodiscard]] bool is_started() const { return started_; }

  // What the gateway may use: every card's span, E1 cards first, each list in configuration order.
  [[nodiscard]] std::vector<gateway::SpanInfo> spans() const;

  // --- Inputs; `now` never decreases from one input to the next ---
  // A gateway command for the card serving `command.span` (the card checks the rest: a PlaceCall
  // whose channel names another span is refused by it with 82). No card serves that span: a
  // PlaceCall is answered CallReleased with cause 82 (identified channel does not exist,
  // location private network — what the cards answer for a channel they do not have), every
  // other command is ignored (its call cannot exist there); both counted and traced.
  void on_command(TimePoint now, const gateway::ToCard& command);
  // Call when now >= next_deadline().
  void on_deadline(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  // --- The PSTN and its faults (scenarios, the demo) ---
  // A PSTN subscriber calls an office number (Exchange::originate).
  exchange::CallId originate(TimePoint now, const exchange::PstnCall& call);
  void start_congestion(TimePoint now, TimePoint until);
  void end_congestion(TimePoint now);
  // A layer-1 fault on the E1 of `span`, named by what the office sees (Exchange::set_span_alarm);
  // false (and nothing happens) when no E1 card serves `span`.
  bool set_span_alarm(TimePoint now, gateway::SpanId span, gateway::Alarm office_sees);
  // The battery of line `line` of the FXO card serving `span` off (a dead line) or back on; false
  // when there is no such line.
  bool set_line_battery(TimePoint now, gateway::SpanId span, std::uint16_t line, bool present);
  // Anything else on the exchange, as an input: runs what is due, calls action(exchange), then
  // shuttles what it caused; returns what action returned.
  template <typename Action>
  decltype(auto) on_exchange(TimePoint now, Action&& action) {
    begin_input(now);
    if constexpr (std::is_void_v<std::invoke_result_t<Action, exchange::Exchange&>>) {
      std::invoke(std::forward<Action>(action), exchange_);
      end_input(now);
    } else {
      auto result = std::invoke(std::forward<Action>(action), exchange_);
      end_input(now);
      return result;
    }
  }

  // --- Outputs ---
  // The cards' events since the last call, in the order they happened.
  [[nodiscard]] std::vector<gateway::FromCard> take_events();
  [[nodiscard]] bool has_events() const { return !events_.empty(); }

  // --- Inspection (tests, status pages, results) ---
  [[nodiscard]] const exchange::Exchange& exchange() const { return exchange_; }
  [[nodiscard]] const std::vector<exchange::CallRecord>& records() const {
    return exchange_.records();
  }
  // The card serving `span`, if it is of that kind.
  [[nodiscard]] const pri::PriCard* e1_card(gateway::SpanId span) const;
  [[nodiscard]] const fxo::FxoCard* fxo_card(gateway::SpanId span) const;
  // The exchange port behind a channel: an E1's port (any channel), an FXO line's port.
  [[nodiscard]] std::optional<exchange::PortId> port_of(gateway::ChannelId channel) const;
  [[nodiscard]] const HostCounters& counters() const { return counters_; }

 private:
  struct E1Slot {
    gateway::SpanId span = 0;
    exchange::PortId port = 0;
    std::unique_ptr<pri::PriCard> card;
  };
  struct FxoSlot {
    gateway::SpanId span = 0;
    std::vector<exchange::PortId> ports;  // index: line - 1
    std::unique_ptr<fxo::FxoCard> card;
  };
  // Who is plugged into an exchange port.
  struct PortOwner {
    bool e1 = false;
    std::size_t slot = 0;
    std::uint16_t line = 0;  // FXO: the card's line
  };
  struct SpanRef {
    bool e1 = false;
    std::size_t slot = 0;
  };

  TelephonyHost(TelephonyHostConfig config, Rng& rng, TraceSink& trace);

  void begin_input(TimePoint now);  // starts the host if need be, runs what is due
  void end_input(TimePoint now);    // shuttles, then runs what that made due
  void run_due(TimePoint now);
  void shuttle(TimePoint now);
  [[nodiscard]] bool exchange_to_cards(TimePoint now);
  [[nodiscard]] bool cards_to_exchange(TimePoint now);
  void unrouted(TimePoint now, exchange::PortId port, std::string_view what);
  [[nodiscard]] std::optional<SpanRef> find_span(gateway::SpanId span) const;

  TraceSink& trace_;
  exchange::Exchange exchange_;
  std::vector<E1Slot> e1_;
  std::vector<FxoSlot> fxo_;
  std::vector<std::optional<PortOwner>> owners_;  // index: PortId
  std::map<gateway::SpanId, SpanRef> spans_;
  std::vector<gateway::FromCard> events_;
  HostCounters counters_;
  TimePoint now_{};
  bool started_ = false;
};

}  // namespace resproxy::telephony
