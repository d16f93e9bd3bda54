#pragma once
// Structured trace events: the product of a run. The core never prints; it emits events named
// `layer.noun_verb` (txn.retransmitted, transport.stream_closed, ...) with core time, and each
// runtime renders them (native: JSON lines, ns-3: the run's trace file, tests: a vector).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/time.h"

namespace resproxy {

struct TraceEvent {
  TimePoint t{};
  std::string name;                                          // e.g. "txn.timer_fired"
  std::vector<std::pair<std::string, std::string>> fields;   // insertion order is kept

  TraceEvent& with(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // The value of field `key`, "" if it has none.
  [[nodiscard]] std::string_view field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return {};
  }
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // Cheap check so hot paths build no event when nobody listens.
  [[nodiscard]] virtual bool enabled() const { return true; }
  // Whether an event of this name would be used: a sink that keeps only some events (the
  // daemon at log level warn keeps only warnings) lets hot paths skip building the others.
  [[nodiscard]] virtual bool wants(std::string_view name) const {
    (void)name;
    return enabled();
  }
  virtual void emit(const TraceEvent& event) = 0;
};

// Discards everything; for benchmarks and callers that do not care.
class NullTraceSink final : public TraceSink {
 public:
  [[nodiscard]] bool enabled() const override { return false; }
  [[nodiscard]] bool wants(std::string_view) const override { return false; }
  void emit(const TraceEvent&) override {}
};

// Keeps every event; for tests.
class RecordingTraceSink final : public TraceSink {
 public:
  void emit(const TraceEvent& event) override { events.push_back(event); }
  // The first event of this name, or null.
  [[nodiscard]] const TraceEvent* find(std::string_view name) const {
    for (const auto& e : events) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
  [[nodiscard]] bool contains(std::string_view name) const { return find(name) != nullptr; }
  std::vector<TraceEvent> events;
};

// Emits the event `name` only when `sink` wants it; `fill(TraceEvent&)` adds its fields and runs
// only then, so hot paths build nothing for a sink that would drop the event.
template <typename Fill>
void emit_if_wanted(TraceSink& sink, TimePoint now, std::string_view name, Fill&& fill) {
  if (!sink.wants(name)) return;
  TraceEvent event{now, std::string(name), {}};
  fill(event);
  sink.emit(event);
}

// One JSON object on one line: {"t_ns":…,"node":"…","ev":"…","key":"value",…}.
std::string to_json_line(const TraceEvent& event, std::string_view node);
// JSON string escaping (quotes, backslash, control characters as \u00XX).
void append_json_string(std::string& out, std::string_view text);

}  // namespace resproxy
