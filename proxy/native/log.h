#pragma once
// The daemon's human log: one line per message on stderr (or any FILE*), with a UTC timestamp
// and the level, filtered by the configured level. Structured events go to the trace log
// instead (trace_sink.h); this is for operators.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/log_level.h"

namespace resproxy::native {

// The level is a configuration value (proxy/config/log_level.h).
using config::LogLevel;
using config::log_level_from_string;
using config::to_string;

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::Info, std::FILE* out = stderr)
      : level_(level), out_(out) {}

  void set_level(LogLevel level) { level_ = level; }
  [[nodiscard]] LogLevel level() const { return level_; }
  [[nodiscard]] bool enabled(LogLevel level) const { return level <= level_; }

  // "2024-05-01T12:00:00.123Z warn: <message>"; one write per line, flushed.
  void log(LogLevel level, std::string_view message);
  void error(std::string_view message) { log(LogLevel::Error, message); }
  void warn(std::string_view message) { log(LogLevel::Warn, message); }
  void info(std::string_view message) { log(LogLevel::Info, message); }
  void debug(std::string_view message) { log(LogLevel::Debug, message); }

 private:
  LogLevel level_;
  std::FILE* out_;
};

// UTC wall-clock time as "YYYY-MM-DDTHH:MM:SS.mmmmmmZ" (logs only; never reaches the core).
std::string utc_timestamp();

}  // namespace resproxy::native
