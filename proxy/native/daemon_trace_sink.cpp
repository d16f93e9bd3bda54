#include "proxy/native/daemon_trace_sink.h"

#include <utility>

namespace resproxy::native {

DaemonTraceSink::DaemonTraceSink(Logger& logger, std::ostream* json, std::string node_name)
    : logger_(logger), node_name_(std::move(node_name)) {
  // Each line flushed: the trace log is complete up to a crash.
  if (json) json_ = std::make_unique<JsonLinesTraceSink>(*json, node_name_, true);
}

bool DaemonTraceSink::enabled() const {
  return json_ != nullptr || logger_.enabled(LogLevel::Warn);
}

bool DaemonTraceSink::wants(std::string_view name) const {
  if (json_ != nullptr || logger_.enabled(LogLevel::Debug)) return true;
  // Event names are string literals: remember each one's level by its address.
  for (const auto& [data, size, level] : verdicts_) {
    if (data == name.data() && size == name.size()) return logger_.enabled(level);
  }
  const LogLevel level = level_of(name);
  if (verdicts_.size() < kVerdictCache) verdicts_.push_back({name.data(), name.size(), level});
  return logger_.enabled(level);
}

bool DaemonTraceSink::is_warning(std::string_view name) {
  for (const std::string_view word : {"dropped", "unparsable", "bug", "overflow"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return name.ends_with("failed") || name.ends_with("marked_inactive") || name == "media.relay_marked_down" ||
         name == "media.relay_forgot_call";
}

LogLevel DaemonTraceSink::level_of(std::string_view name) {
  if (is_warning(name)) return LogLevel::Warn;
  // ITSP state changes, failovers and late-answer hang-ups are what an operator watches for;
  // so are security decisions: every new call to the PSTN gateway (who, by which rule) and
  // every request refused at the exit.
  if (name.starts_with("itsp.marked_") || name == "itsp.failover" ||
      name == "itsp.late_answer_hung_up" || name.starts_with("security.") ||
      name == "media.relay_marked_up" || name == "media.relay_lost") {
    return LogLevel::Info;
  }
  return LogLevel::Debug;
}

void DaemonTraceSink::emit(const TraceEvent& event) {
  ++events_;
  if (json_) json_->emit(event);
  const LogLevel level = level_of(event.name);
  if (level == LogLevel::Warn) ++warnings_;
  if (!logger_.enabled(level)) return;
  if (level == LogLevel::Debug) {
    logger_.debug(to_json_line(event, node_name_));
    return;
  }
  // Warnings and info events are rate-limited per name: a flood must not flood the log.
  // Driver code may read the clock: the rate limit is about the operator's screen.
  const auto now = std::chrono::steady_clock::now();
  auto it = windows_.find(event.name);
  if (it == windows_.end()) it = windows_.emplace(event.name, Window{now, 0, 0}).first;
  Window& window = it->second;
  const auto write = [&](const std::string& line) {
    if (level == LogLevel::Warn) {
      logger_.warn(line);
    } else {
      logger_.info(line);
    }
  };
  if (now - window.start >= kWarningWindow) {
    if (window.suppressed > 0) {
      write(std::to_string(window.suppressed) + " more " + event.name + " events were not logged");
    }
    window = Window{now, 0, 0};
  }
  if (window.logged < kWarningsPerWindow) {
    ++window.logged;
    write(to_json_line(event, node_name_));
  } else {
    ++window.suppressed;
  }
}

}  // namespace resproxy::native
