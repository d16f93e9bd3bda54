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
  if (!logger_.enabled(LogLevel::Warn)) return false;
  // Event names are string literals: remember each one's verdict by its address.
  for (const auto& [data, size, warning] : verdicts_) {
    if (data == name.data() && size == name.size()) return warning;
  }
  const bool warning = is_warning(name);
  if (verdicts_.size() < kVerdictCache) verdicts_.push_back({name.data(), name.size(), warning});
  return warning;
}

bool DaemonTraceSink::is_warning(std::string_view name) {
  for (const std::string_view word : {"dropped", "unparsable", "bug", "overflow"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return name.ends_with("failed") || name.ends_with("marked_inactive");
}

void DaemonTraceSink::emit(const TraceEvent& event) {
  ++events_;
  if (json_) json_->emit(event);
  if (is_warning(event.name)) {
    ++warnings_;
    if (!logger_.enabled(LogLevel::Warn)) return;
    // Driver code may read the clock: the rate limit is about the operator's screen.
    const auto now = std::chrono::steady_clock::now();
    auto it = windows_.find(event.name);
    if (it == windows_.end()) it = windows_.emplace(event.name, Window{now, 0, 0}).first;
    Window& window = it->second;
    if (now - window.start >= kWarningWindow) {
      if (window.suppressed > 0) {
        logger_.warn(std::to_string(window.suppressed) + " more " + event.name +
                     " events were not logged");
      }
      window = Window{now, 0, 0};
    }
    if (window.logged < kWarningsPerWindow) {
      ++window.logged;
      logger_.warn(to_json_line(event, node_name_));
    } else {
      ++window.suppressed;
    }
    return;
  }
  // ITSP state changes, failovers and late-answer hang-ups are what an operator watches for.
  if (event.name.starts_with("itsp.marked_") || event.name == "itsp.failover" ||
      event.name == "itsp.late_answer_hung_up") {
    if (logger_.enabled(LogLevel::Info)) logger_.info(to_json_line(event, node_name_));
    return;
  }
  if (logger_.enabled(LogLevel::Debug)) logger_.debug(to_json_line(event, node_name_));
}

}  // namespace resproxy::native
