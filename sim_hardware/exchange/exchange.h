#pragma once
// The emulated PSTN exchange the office's telephony cards connect to: the network side of each
// of the office's E1 / ISDN PRIs (NetworkSpan, sim_hardware/pri/network_span.h) and the line
// circuit of each of its analogue lines (FxsLine, sim_hardware/fxo/fxs_line.h), behind one
// numbering plan (numbering_plan.h) of subscribers that answer after a delay, are busy, never
// answer or do not exist. It routes the office's calls to them (SETUP on a PRI, digits dialled
// on a line), presents the PSTN's calls to the office's numbers (DDI on a PRI, a line's
// directory number) when a scenario says "subscriber X calls Y now", limits the calls it carries
// for the office (trunk capacity: 34), and plays faults: congestion (every new call 42 for a
// time), layer-1 alarms on a span, a dead analogue line. One CallRecord per call.
//
// Sans-I/O like the spans and lines it owns: every input carries `now`; outputs are taken after
// each input (Q.931 frames and line signals towards the office's cards, ExchangeEvents for the
// runtime); one next_deadline() for everything inside (its own timers, its spans', its lines').
// Randomness (answer delays, hold times drawn from ranges) only from the Rng it is given, drawn
// in input order: the same seed and the same inputs give the same records.
//
// The link to the office: frames and line signals travel per port (PortId, in the order the
// ports were configured); a layer-1 fault is set here (set_span_alarm) and the alarm the office's
// card must see comes out as an OfficeAlarm event, which the runtime hands to the card's
// on_alarm — the one place both ends of a span learn about the same fault.
//
// Choices and their reasons: docs/gateway.md "The emulated exchange".
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/gateway/card.h"
#include "sim_hardware/exchange/numbering_plan.h"
#include "sim_hardware/fxo/fxs_line.h"
#include "sim_hardware/pri/network_span.h"

namespace resproxy::exchange {

using PortId = std::size_t;     // a port of the exchange: index in configuration order
using CallId = std::uint64_t;   // the exchange numbers every call, both directions, from 1

// One of the office's E1s, on the exchange's side.
struct SpanPortConfig {
  std::string name = "e1-1";
  // The office's DDI numbers on this E1 (national format, the same length); empty: none.
  std::string ddi_first;
  std::string ddi_last;
  // The called number the exchange sends in SETUP: the last `ddi_digits` digits (type unknown),
  // or, 0, the whole national number (type national).
  std::size_t ddi_digits = 0;
  pri::NetworkSpanConfig span{};
};

// One of the office's analogue lines, on the exchange's side.
struct LinePortConfig {
  std::string name = "fxo-1";
  std::string directory_number;  // the line's own number (national format)
  // The line circuit. Its number_lengths, when empty, are the exchange's (ExchangeConfig).
  fxo::FxsConfig line{};
};

// Everything a later INI section or scenario YAML maps onto; the defaults are the demo's.
struct ExchangeConfig {
  NumberingPlan plan = demo_numbering_plan();
  std::vector<SpanPortConfig> spans;
  std::vector<LinePortConfig> lines;
  // Calls the exchange carries for the office at once, both directions, every port; beyond it a
  // new call is refused with 34 (congestion tone on a line). nullopt: only the ports limit them.
  std::optional<std::size_t> trunk_capacity;
  // A call the office made that rings this long unanswered is cleared with 19.
  Duration no_answer_timeout = std::chrono::minutes{2};
  // A PSTN subscriber calling the office gives up after this if unanswered (PstnCall overrides).
  Duration patience = std::chrono::minutes{1};
  // A busy or unallocated number reached over a PRI: CALL PROCEEDING, then DISCONNECT with an
  // in-band tone or announcement (Progress indicator 8). false: RELEASE COMPLETE at once.
  bool in_band_tones = true;
  // Fixed number lengths for digits dialled on the office's analogue lines (longest prefix
  // wins); other numbers end at the line's inter-digit timeout.
  std::vector<fxo::FxsConfig::NumberLength> number_lengths = {
      {.prefix = "999", .length = 3}, {.prefix = "112", .length = 3},
      {.prefix = "0", .length = 11}};
};

enum class CallDirection : std::uint8_t {
  FromOffice,  // the office called a PSTN subscriber
  ToOffice,    // a PSTN subscriber called the office
};
[[nodiscard]] std::string_view to_string(CallDirection direction);

enum class CallOutcome : std::uint8_t {
  Pending,    // not answered, not ended
  Answered,
  Busy,       // cause 17
  NoAnswer,   // cause 18 or 19: rang out
  Refused,    // any other cause before answer (1, 34, 38, 42, ...)
  Abandoned,  // the caller gave up before answer
};
[[nodiscard]] std::string_view to_string(CallOutcome outcome);

// Who began the clearing of a call: the first cause's side.
enum class ClearedBy : std::uint8_t {
  Nobody,  // not (yet) cleared
  Office,  // the office's card: DISCONNECT / RELEASE on a PRI, on-hook on a line, a refusal
  Pstn,    // the PSTN: the subscriber hung up, gave up, was refused by the exchange, a fault
};
[[nodiscard]] std::string_view to_string(ClearedBy side);

// One per call, from the first sign of it (a SETUP, a seizure, originate) to its end.
struct CallRecord {
  CallId id = 0;
  CallDirection direction = CallDirection::FromOffice;
  std::string calling;  // digits; on an analogue line the office's call has the line's number
  std::string called;   // as dialled (the whole national number for calls to the office)
  std::string port;     // the port's name
  std::uint16_t channel = 0;  // the B-channel on a PRI; 0 on an analogue line (the port is it)
  TimePoint start{};
  std::optional<TimePoint> answer;
  std::optional<TimePoint> end;
  // The first cause of the clearing, whoever gave it (16 when the office just hung up a line).
  std::optional<std::uint8_t> cause;
  ClearedBy cleared_by = ClearedBy::Nobody;  // whose was that first cause
  CallOutcome outcome = CallOutcome::Pending;
  friend bool operator==(const CallRecord&, const CallRecord&) = default;
};

// "Subscriber X calls the office's number Y now."
struct PstnCall {
  gateway::PartyNumber calling;  // digits national; restricted: withheld (141 / CLIR)
  std::string called;            // an office number: a DDI number or a line's number
  std::optional<Duration> patience;  // nullopt: ExchangeConfig::patience
  // Once answered the subscriber hangs up (16) after this; nullopt: stays until the office clears.
  std::optional<DurationRange> hold_time;
};

// --- Outputs ---
struct PortFrame {  // a Q.931 message for the office's card on this E1
  PortId port = 0;
  pri::Frame frame;
};
struct PortLineSignal {  // a line signal for the office's FXO port on this line
  PortId port = 0;
  fxo::LineSignal signal;
};
// The link: what the office's card on this span must now see (hand it to its on_alarm).
struct OfficeAlarm {
  PortId port = 0;
  gateway::Alarm alarm = gateway::Alarm::None;
  friend bool operator==(const OfficeAlarm&, const OfficeAlarm&) = default;
};
// A call's outcome became known (answered, or ended unanswered): once per call.
struct CallResolved {
  CallId call = 0;
  CallOutcome outcome = CallOutcome::Pending;
  std::optional<std::uint8_t> cause;
  friend bool operator==(const CallResolved&, const CallResolved&) = default;
};
using ExchangeEvent = std::variant<OfficeAlarm, CallResolved>;

class Exchange {
 public:
  Exchange(ExchangeConfig config, Rng& rng, TraceSink& trace);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Powers the analogue lines (battery on).
  void start(TimePoint now);

  [[nodiscard]] std::size_t port_count() const { return ports_.size(); }
  [[nodiscard]] std::optional<PortId> port_id(std::string_view name) const;
  [[nodiscard]] const std::string& port_name(PortId port) const;
  [[nodiscard]] bool is_span(PortId port) const;
  // The exchange's ends, for inspection (tests, status pages). The port must be of that kind.
  [[nodiscard]] const pri::NetworkSpan& span(PortId port) const;
  [[nodiscard]] const fxo::FxsLine& line(PortId port) const;

  // --- The PSTN side (scenarios, the demo) ---
  // A subscriber calls the office now. Always a record; the outcome comes as CallResolved (at
  // once when refused: 1 not an office number, 42 congestion, 34 capacity, 38 port down,
  // 17 line busy).
  CallId originate(TimePoint now, const PstnCall& call);

  // --- Faults ---
  // Every new call refused with 42 until `until` (calls in progress go on); emergency numbers
  // still pass.
  void start_congestion(TimePoint now, TimePoint until);
  void end_congestion(TimePoint now);
  [[nodiscard]] bool is_congested(TimePoint now) const { return now < congested_until_; }
  // A layer-1 fault on a span, named by what the office sees: Los (the cable is cut: both ends
  // lose signal), Ais (the network sends all ones: the office's RAI comes back), Rai (the network
  // lost the office's signal: it sends RAI and sees LOS itself); None: repaired. Calls on the
  // span end (38) at once; OfficeAlarm follows for the office's card.
  void set_span_alarm(TimePoint now, PortId port, gateway::Alarm office_sees);
  // An analogue line's battery off (a dead line: its call ends with 38) and back on.
  void set_line_battery(TimePoint now, PortId port, bool present);

  // --- The office's side (the runtime carries these from and to the cards) ---
  void on_frame(TimePoint now, PortId port, std::span<const std::uint8_t> octets);
  void on_line_signal(TimePoint now, PortId port, const fxo::LineSignal& signal);
  void on_deadline(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  [[nodiscard]] std::vector<PortFrame> take_frames();
  [[nodiscard]] std::optional<PortLineSignal> next_line_signal();
  [[nodiscard]] std::vector<ExchangeEvent> take_events();

  // --- Results ---
  [[nodiscard]] const std::vector<CallRecord>& records() const { return records_; }
  [[nodiscard]] const CallRecord* record(CallId call) const;
  // Calls holding one of the trunk capacity's places now.
  [[nodiscard]] std::size_t trunk_calls() const { return trunk_calls_; }

 private:
  struct Port;
  struct Call;
  struct Decision;

  [[nodiscard]] Port& port(PortId id);
  [[nodiscard]] Call* find(CallId id);
  [[nodiscard]] Decision decide(TimePoint now, std::string_view called) const;
  [[nodiscard]] std::optional<std::uint8_t> admit(TimePoint now, bool emergency) const;

  Call& new_call(TimePoint now, CallDirection direction, PortId port, std::string calling,
                 std::string called);
  void process(TimePoint now);
  void on_span_event(TimePoint now, PortId port, const pri::NetworkSpanEvent& event);
  void on_line_report(TimePoint now, PortId port, const fxo::FxsReport& report);
  void route_pri_setup(TimePoint now, PortId port, const pri::IncomingSetup& setup);
  void route_line_digits(TimePoint now, PortId port, const std::string& digits);
  void ring_subscriber(TimePoint now, Call& call, const Subscriber& subscriber);
  void subscriber_answers(TimePoint now, CallId id);
  void no_answer(TimePoint now, CallId id);
  void far_party_clears(TimePoint now, CallId id, std::uint8_t cause);
  void office_answered(TimePoint now, CallId id);
  void caller_gives_up(TimePoint now, CallId id);
  void take_trunk(Call& call);
  void set_cause(Call& call, std::uint8_t cause, ClearedBy by);
  void resolve(Call& call, CallOutcome outcome);
  void finish(TimePoint now, CallId id, std::uint8_t cause, ClearedBy by);
  void trace(TimePoint now, std::string name, const Call& call);

  ExchangeConfig config_;
  Rng& rng_;
  TraceSink& trace_;
  TimerHeap timers_;
  std::vector<std::unique_ptr<Port>> ports_;
  std::map<CallId, Call> calls_;  // ordered by id: deterministic iteration
  std::map<std::pair<PortId, pri::ExchangeCallId>, CallId> by_span_call_;
  std::vector<CallRecord> records_;  // index: id - 1
  std::vector<ExchangeEvent> events_;
  CallId next_id_ = 1;
  std::size_t trunk_calls_ = 0;
  TimePoint congested_until_{};
};

}  // namespace resproxy::exchange
