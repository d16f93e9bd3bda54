#pragma once
// How much the daemon's human log says ([advanced.sipproxy] log_level, --log-level). A plain
// value, so the configuration needs no logger: proxy/native/log.h filters by it.
#include <optional>
#include <string_view>

namespace resproxy::config {

enum class LogLevel : int { Error = 0, Warn = 1, Info = 2, Debug = 3 };

std::string_view to_string(LogLevel level);
// "error", "warn", "info", "debug" (also "warning"); nullopt otherwise.
std::optional<LogLevel> log_level_from_string(std::string_view text);

}  // namespace resproxy::config
