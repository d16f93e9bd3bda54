#pragma once
// DaemonTraceSink: where the daemon sends the core's trace events (STYLE.md §8): to the trace
// log as JSON lines if one is configured, and to the human log — warning-worthy events
// (failures, drops, unparsable input) at warn level, at most kWarningsPerWindow per event name
// per kWarningWindow, the rest counted and reported as suppressed; every event at debug level.
//
// enabled() is false only when nothing would be written (no trace log and log level error),
// so that the core builds no events at all then; wants(name) is false for the events that would
// be dropped (at the usual warn/info level without a trace log: every non-warning event), so
// that the hot paths build only what is written.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "proxy/base/trace.h"
#include "proxy/native/log.h"
#include "proxy/native/trace_sink.h"

namespace resproxy::native {

class DaemonTraceSink final : public TraceSink {
 public:
  static constexpr int kWarningsPerWindow = 10;
  static constexpr std::chrono::seconds kWarningWindow{10};

  // `json` (may be null: no trace log) and `logger` must outlive the sink.
  DaemonTraceSink(Logger& logger, std::ostream* json, std::string node_name);

  // TraceSink
  [[nodiscard]] bool enabled() const override;
  // Every event with a trace log or at debug level; otherwise only warnings (at warn level).
  [[nodiscard]] bool wants(std::string_view name) const override;
  void emit(const TraceEvent& event) override;

  // Names that are logged at warn level: "…failed", "…dropped…", "…unparsable…", "…bug…",
  // "…marked_inactive", "…overflow…".
  static bool is_warning(std::string_view name);
  // Warn for warnings; Info for ITSP state changes, failovers, late-answer hang-ups and
  // security decisions ("security.…"); Debug for the rest. Warn and info lines are rate-limited
  // per event name (kWarningsPerWindow per kWarningWindow).
  static LogLevel level_of(std::string_view name);

  [[nodiscard]] std::uint64_t events() const { return events_; }
  [[nodiscard]] std::uint64_t warnings() const { return warnings_; }

 private:
  struct Window {
    std::chrono::steady_clock::time_point start{};
    int logged = 0;
    std::uint64_t suppressed = 0;
  };

  Logger& logger_;
  std::unique_ptr<JsonLinesTraceSink> json_;
  std::string node_name_;
  std::map<std::string, Window, std::less<>> windows_;
  struct Verdict {
    const char* data;
    std::size_t size;
    LogLevel level;
  };
  static constexpr std::size_t kVerdictCache = 64;
  mutable std::vector<Verdict> verdicts_;  // wants(): level_of by name address
  std::uint64_t events_ = 0;
  std::uint64_t warnings_ = 0;
};

}  // namespace resproxy::native
