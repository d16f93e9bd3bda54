#pragma once
// The `resproxy` command line (docs/configuration.md "Command line"). Parsing only: the daemon
// (resproxy_main.cpp) acts on the result.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "proxy/base/net.h"
#include "proxy/native/log.h"

namespace resproxy::native {

struct CommandLine {
  enum class Action { Run, PrintConfig, PrintConfigReference, CheckConfig, Version, Help };
  Action action = Action::Run;
  std::optional<std::string> config_file;  // --config FILE, or the FILE of --check-config
  std::optional<std::string> data_dir;     // --data-dir DIR
  std::optional<Address> listen;           // --listen ADDR:PORT (port 0: ephemeral)
  std::optional<std::string> pidfile;      // --pidfile FILE
  std::optional<LogLevel> log_level;       // --log-level LEVEL
  std::optional<std::uint64_t> seed;       // --seed N: reproduce a run's Call-IDs, tags, branches
  // --control PATH: the control socket (default <data_dir>/resproxy.ctl); "none": no socket.
  std::optional<std::string> control;
};

// A command line that cannot be obeyed; what() is the message to print before the usage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// argv[0] is the program name. Options take their value as the next argument or after '='.
CommandLine parse_command_line(int argc, const char* const* argv);

// "192.0.2.1:5060", "[2001:db8::1]:5060", "0.0.0.0:0"; nullopt if malformed.
std::optional<Address> parse_listen_address(std::string_view text);

std::string usage_text();

}  // namespace resproxy::native
