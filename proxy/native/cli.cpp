#include "proxy/native/cli.h"

#include <charconv>
#include <vector>

#include "proxy/security/ip_range.h"

namespace resproxy::native {

std::optional<Address> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;  // [v4] is not a form
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (!security::parse_ip(host)) return std::nullopt;
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return std::nullopt;
  }
  return Address{std::string(host), static_cast<std::uint16_t>(value)};
}

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine out;
  std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::optional<CommandLine::Action> action;
  const auto set_action = [&](CommandLine::Action a, std::string_view flag) {
    if (action && *action != a) {
      throw UsageError("resproxy: " + std::string(flag) + " cannot be combined with another action");
    }
    action = a;
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (const auto eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= args.size()) throw UsageError("resproxy: " + std::string(arg) + " needs a value");
      return std::string(args[++i]);
    };
    const auto no_value = [&] {
      if (inline_value) throw UsageError("resproxy: " + std::string(arg) + " takes no value");
    };

    if (arg == "--config" || arg == "-c") {
      if (out.config_file) throw UsageError("resproxy: only one configuration file may be given");
      out.config_file = value();
    } else if (arg == "--check-config") {
      set_action(CommandLine::Action::CheckConfig, arg);
      if (out.config_file) throw UsageError("resproxy: only one configuration file may be given");
      out.config_file = value();
    } else if (arg == "--data-dir") {
      out.data_dir = value();
      if (out.data_dir->empty()) throw UsageError("resproxy: --data-dir needs a directory");
    } else if (arg == "--listen") {
      const std::string text = value();
      out.listen = parse_listen_address(text);
      if (!out.listen) {
        throw UsageError("resproxy: --listen " + text +
                         ": expected ADDR:PORT, e.g. 0.0.0.0:5060, 127.0.0.1:0 or [::1]:5060");
      }
    } else if (arg == "--control") {
      out.control = value();
      if (out.control->empty()) {
        throw UsageError("resproxy: --control needs a socket path, or none");
      }
    } else if (arg == "--pidfile") {
      out.pidfile = value();
      if (out.pidfile->empty()) throw UsageError("resproxy: --pidfile needs a file name");
    } else if (arg == "--log-level") {
      const std::string text = value();
      out.log_level = log_level_from_string(text);
      if (!out.log_level) {
        throw UsageError("resproxy: --log-level " + text + ": allowed: error, warn, info, debug");
      }
    } else if (arg == "--seed") {
      const std::string text = value();
      std::uint64_t seed = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seed);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        throw UsageError("resproxy: --seed " + text + ": expected an unsigned 64-bit number");
      }
      out.seed = seed;
    } else if (arg == "--print-config") {
      no_value();
      set_action(CommandLine::Action::PrintConfig, arg);
    } else if (arg == "--print-config-reference") {
      no_value();
      set_action(CommandLine::Action::PrintConfigReference, arg);
    } else if (arg == "--version" || arg == "-V") {
      no_value();
      set_action(CommandLine::Action::Version, arg);
    } else if (arg == "--help" || arg == "-h") {
      no_value();
      set_action(CommandLine::Action::Help, arg);
    } else {
      throw UsageError("resproxy: unknown argument '" + std::string(args[i]) + "'");
    }
  }
  out.action = action.value_or(CommandLine::Action::Run);
  return out;
}

std::string usage_text() {
  return R"(usage: resproxy [OPTION]...
A SIP resilience proxy: registrar and stateful proxy for a branch office.

With no option, runs in standalone mode on the embedded default configuration: UDP and TCP on
0.0.0.0:5060, registrations in /var/lib/resproxy/registrations.db.

  -c, --config FILE       read the configuration from FILE (INI; see --print-config)
      --data-dir DIR      keep the registration database in DIR (overrides data_dir)
      --listen ADDR:PORT  listen on ADDR:PORT, UDP and TCP (overrides listen_address and
                          rx_port); PORT 0 picks a free port; IPv6 as [ADDR]:PORT
      --log-level LEVEL   error, warn, info or debug (overrides log_level)
      --pidfile FILE      write the process id to FILE once listening; removed at exit
      --control PATH      the control socket for resproxyctl (default DATA_DIR/resproxy.ctl,
                          mode 0600); none: no control socket
      --seed N            seed the random generator with N instead of the OS (reproduce a run)
      --print-config      print the embedded default configuration and exit
      --print-config-reference
                          print every section's parameter table (markdown, as in
                          docs/configuration.md) and exit
      --check-config FILE check FILE and exit: 0 if valid, 2 if not
  -V, --version           print the version and exit
  -h, --help              print this help and exit

Signals: SIGTERM or SIGINT stop the daemon cleanly (exit 0).
Exit status: 0 clean shutdown; 1 start-up failure (data directory, database, socket);
2 bad command line or configuration file.
)";
}

}  // namespace resproxy::native
