// resproxyctl: sends one command to a running resproxy over its control socket
// (control_server.h has the protocol) and prints the reply: on stdout if the daemon ran it, on
// stderr if it refused it.
//
// Exit status: 0 ok; 1 the daemon answered with an error, or a bad command line; 2 the daemon
// could not be reached (no socket, nobody listening, no permission, no complete reply within
// the timeout).
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/native/control_server.h"
#include "proxy/native/owned_fd.h"

namespace {

using resproxy::native::ControlReplyDecoder;
using resproxy::native::OwnedFd;

constexpr int kExitOk = 0;
constexpr int kExitCommand = 1;
constexpr int kExitUnreachable = 2;
constexpr int kTimeoutSeconds = 10;

std::string usage_text() {
  return std::string(R"(usage: resproxyctl [--socket PATH | --data-dir DIR] COMMAND
Sends COMMAND to a running resproxy over its control socket and prints the reply.

  --socket PATH    the control socket (resproxy --control PATH)
  --data-dir DIR   the daemon's data directory: the socket is DIR/resproxy.ctl
                   (default )") +
         std::string(resproxy::native::kDefaultDataDir) + R"()
  -h, --help       print this help and exit

Commands (run by the daemon; `resproxyctl help` asks it for its list):
  show reg         the registration cache: index, user, aliases, contact, source,
                   transport, seconds left, origin (local or itsp)
  kill reg N       remove entry N of `show reg`, and its record in the database
  show itsp        the mode and the ITSP proxies' state
  show counters    the proxy's counters and the runtime's (runtime.*)
  show channels    the gateway's E1 channels and analogue lines: span, channel,
                   group, state, called, calling, seconds since the call began
  pstn call FROM TO [hold S] [patience S]
                   the emulated exchange ([sim_hardware.*]) calls the office now:
                   FROM a national number or `withheld`, TO a DDI number or an
                   analogue line's number; hold S: the caller hangs up S seconds
                   after the answer (else stays); patience S: gives up unanswered
                   after S seconds. Prints `call ID` (the exchange's call id)
  pstn calls       the emulated exchange's call records: id, direction, calling,
                   called, port, channel, age_s, answer_s and end_s (seconds after
                   the start), Q.850 cause, cleared_by (office or pstn), outcome
  help             the daemon's list of commands

Exit status: 0 ok; 1 the daemon refused the command, or a bad command line;
2 the daemon cannot be reached.
)";
}

int usage_error(const std::string& message) {
  std::fprintf(stderr, "resproxyctl: %s\n\n%s", message.c_str(), usage_text().c_str());
  return kExitCommand;
}

int unreachable(const std::string& path, const std::string& why) {
  std::fprintf(stderr, "resproxyctl: cannot talk to resproxy on control socket %s: %s\n",
               path.c_str(), why.c_str());
  return kExitUnreachable;
}

int run(const std::string& path, const std::string& command) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return unreachable(path, "path too long for a Unix socket (at most " +
                                 std::to_string(sizeof(addr.sun_path) - 1) + " bytes)");
  }
  const OwnedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return unreachable(path, std::strerror(errno));
  // Bounds connect (a full backlog), send and every receive.
  timeval timeout{};
  timeout.tv_sec = kTimeoutSeconds;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    std::string why = std::strerror(error);
    if (error == ENOENT || error == ECONNREFUSED) {
      why += " (is resproxy running? --socket or --data-dir name another socket)";
    } else if (error == EACCES) {
      why += " (the socket is for its owner and root only)";
    }
    return unreachable(path, why);
  }

  // A daemon that refuses us (too many clients) answers and closes at once: a failed send is
  // not the end, its reply may be waiting.
  const std::string request = command + "\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }

  ControlReplyDecoder decoder;
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      return unreachable(path, error == EAGAIN || error == EWOULDBLOCK
                                   ? "no reply within " + std::to_string(kTimeoutSeconds) + " s"
                                   : std::string(std::strerror(error)));
    }
    if (n == 0) return unreachable(path, "connection closed before the reply ended");
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto newline = pending.find('\n'); newline != std::string::npos;
         newline = pending.find('\n', start)) {
      const std::string_view line(pending.data() + start, newline - start);
      start = newline + 1;
      switch (decoder.feed(line)) {
        case ControlReplyDecoder::Status::More: break;
        case ControlReplyDecoder::Status::Malformed:
          return unreachable(path, "malformed reply line '" + std::string(line) + "'");
        case ControlReplyDecoder::Status::Done: {
          const auto& reply = decoder.reply();
          std::fputs(reply.text.c_str(), reply.ok ? stdout : stderr);
          std::fflush(stdout);
          return reply.ok ? kExitOk : kExitCommand;
        }
      }
    }
    pending.erase(0, start);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::string socket_path;
  std::string data_dir;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("-")) break;
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text().c_str(), stdout);
      return kExitOk;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (name != "--socket" && name != "--data-dir") {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error(std::string(name) + " needs a value");
      value = args[++i];
    }
    if (value->empty()) return usage_error(std::string(name) + " needs a non-empty value");
    (name == "--socket" ? socket_path : data_dir) = std::string(*value);
  }
  if (!socket_path.empty() && !data_dir.empty()) {
    return usage_error("give --socket or --data-dir, not both");
  }
  std::string command;
  for (; i < args.size(); ++i) {
    if (args[i].find_first_of("\r\n") != std::string_view::npos) {
      return usage_error("a command is one line");
    }
    if (!command.empty()) command += ' ';
    command += args[i];
  }
  if (command.find_first_not_of(" \t") == std::string::npos) return usage_error("no command");
  if (socket_path.empty()) {
    socket_path = resproxy::native::default_control_path(
        data_dir.empty() ? resproxy::native::kDefaultDataDir : std::string_view(data_dir));
  }
  return run(socket_path, command);
}
