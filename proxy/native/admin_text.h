#pragma once
// The words of resproxyctl: the operator's command lines to typed admin requests (admin.h), and
// the typed results back to the text the control socket sends (docs/configuration.md "Control
// socket"). The core never sees this text.
//
//   show reg        the registration cache: index user aliases contact source transport expires origin
//   kill reg N      removes entry N of `show reg` (and its durable record)
//   show itsp       each ITSP proxy: state, since when, transitions; the mode
//   show counters   the proxy's counters (name value)
//   show bans       sources banned by the flood guard: source, seconds left, dropped since
//   unban ADDRESS   lifts a ban (IPv6: any address of the /64)
//   help
// (`pstn call` / `pstn calls`, the emulated exchange's, are the daemon's own: control_server.h.)
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/base/admin.h"

namespace resproxy::native {

// What an operator's line asks for: a request for the node, or text to answer at once (help,
// or an error naming the commands).
struct AdminText {
  bool ok = false;
  std::string text;  // lines ending in '\n'
};
using ParsedCommand = std::variant<admin::Request, AdminText>;

// The words of one command line (its line end already removed), split at spaces and tabs.
[[nodiscard]] std::vector<std::string_view> words_of(std::string_view line);
[[nodiscard]] ParsedCommand parse_admin_command(std::string_view line);
// The reply text for a result; ok is false for Refused and Unsupported.
[[nodiscard]] AdminText format_admin_result(const admin::Result& result);

}  // namespace resproxy::native
