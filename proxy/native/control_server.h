#pragma once
// ControlServer: the daemon's local management socket, the one `resproxyctl` talks to (the
// seed's `sipproxy show reg` / `sipproxy kill reg n`). A Unix-domain stream socket on the
// runtime's io_context and thread: every command runs as one Node input through
// NativeRuntime::inject(), so the core stays single-threaded and its effects (kill reg: a
// StoreWrite) are drained exactly as after any other input.
//
// Protocol (docs/configuration.md "Control socket"), line based, several commands per
// connection, one at a time:
//
//   request   one command per line, ending in "\n" ("\r\n" accepted), at most max_line bytes
//             without the line end; blank lines are ignored; "quit" closes the connection.
//   reply     the reply text, one line per "\n", a line starting with '.' sent with one more
//             '.' in front (dot-stuffing as in SMTP, RFC 5321 §4.5.2); then the status line
//             ".ok" or ".error".
//
//   > show reg
//   < index user aliases contact source transport expires origin
//   < 1 2001 - sip:2001@192.0.2.10:5062 192.0.2.10:5062 udp 3597s local
//   < 1 registrations
//   < .ok
//
// Refusals: a line longer than max_line, or a client beyond max_clients, gets one ".error"
// reply and the connection is closed; control characters in a command are an ".error" reply;
// a connection idle for idle_timeout (or not reading its reply) is closed. Nothing here blocks:
// reads and writes are asynchronous, and a command waits behind SIP inputs like any other.
//
// The socket file is created with mode 0600 (only its owner and root may connect, and so kill
// registrations). start() removes a stale socket left by a crash, but refuses to start when a
// live process answers on the path, or when the path is something other than a socket.
//
// Threading: like NativeRuntime; call everything on the io_context's thread (or before it runs).
// The runtime and the handler's captures must outlive the server; pending operations see a
// stopped server and do nothing.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/base/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace resproxy {
class Node;
}  // namespace resproxy

namespace resproxy::native {

class NativeRuntime;

// The daemon's default data directory (DaemonConfig::data_dir; a test keeps them equal), where
// resproxyctl looks for the socket when given neither --socket nor --data-dir.
inline constexpr std::string_view kDefaultDataDir = "/var/lib/resproxy";
// The file name of the control socket inside the data directory.
inline constexpr std::string_view kControlSocketName = "resproxy.ctl";
// `--control none`: no control socket.
inline constexpr std::string_view kControlDisabled = "none";
// Status lines that end every reply.
inline constexpr std::string_view kControlOk = ".ok";
inline constexpr std::string_view kControlError = ".error";

// <data_dir>/resproxy.ctl
inline std::string default_control_path(std::string_view data_dir) {
  return (std::filesystem::path(data_dir) / kControlSocketName).string();
}

struct ControlReply {
  bool ok = false;
  std::string text;  // lines ending in '\n'
};

struct ControlOptions {
  std::string path;                // the socket file
  std::size_t max_line = 1024;     // longest command, without its line end
  std::size_t max_clients = 8;     // connections at once; more are refused
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{60};
};

// The protocol's two halves are inline: resproxyctl includes this header and links nothing.

// The reply as sent: dot-stuffed text, then ".ok" or ".error".
inline std::string encode_control_reply(const ControlReply& reply) {
  std::string out;
  out.reserve(reply.text.size() + 16);
  std::size_t pos = 0;
  while (pos < reply.text.size()) {
    auto end = reply.text.find('\n', pos);
    if (end == std::string::npos) end = reply.text.size();
    if (reply.text[pos] == '.') out += '.';
    out.append(reply.text, pos, end - pos);
    out += '\n';
    pos = end + 1;
  }
  out += reply.ok ? kControlOk : kControlError;
  out += '\n';
  return out;
}

// Reads a reply line by line (resproxyctl, tests).
class ControlReplyDecoder {
 public:
  enum class Status { More, Done, Malformed };
  // `line` without its "\n". Done: the status line arrived; reply() is complete.
  Status feed(std::string_view line) {
    if (line == kControlOk || line == kControlError) {
      reply_.ok = line == kControlOk;
      return Status::Done;
    }
    if (line.starts_with('.')) {
      if (!line.starts_with("..")) return Status::Malformed;
      line.remove_prefix(1);
    }
    reply_.text.append(line);
    reply_.text += '\n';
    return Status::More;
  }
  [[nodiscard]] const ControlReply& reply() const { return reply_; }

 private:
  ControlReply reply_;
};

class ControlServer {
 public:
  // Runs one command on the io thread, inside a Node input (`now` is the input's time). The
  // handler answers through `respond`, exactly once: at once or later (a command that waits for
  // a store write); the connection's next command waits for it.
  using Respond = std::function<void(ControlReply)>;
  using Handler = std::function<void(TimePoint now, std::string_view command, Respond respond)>;

  ControlServer(boost::asio::io_context& io, NativeRuntime& runtime, Handler handler,
                ControlOptions options);
  // stop().
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the socket (removing a stale one) and starts accepting. Throws std::runtime_error
  // naming the path and the reason if it cannot: path too long, not a socket, another process
  // answering on it, bind or listen failure.
  void start();
  // Closes the listening socket and every connection, and removes the socket file if it is
  // still the one start() created. Idempotent.
  void stop();

  [[nodiscard]] const std::string& path() const;
  // True if start() found and removed a stale socket file.
  [[nodiscard]] bool removed_stale() const;
  [[nodiscard]] std::size_t connection_count() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// The daemon's handler: the command line parsed into a typed admin request (admin_text.h), given
// to the node (Node::on_command), and its CommandReply — which the runtime hands back, at once or
// after a store write — formatted as text; `show counters` gets the runtime's own counters
// (NativeRuntime::Stats, as "runtime.NAME VALUE" lines) appended, and with a gateway its media
// data path's (media_bridge.h: "gateway.rtp_rx", "gateway.rtp_tx", …). Takes over the runtime's
// command replies (NativeRuntime::set_command_replies).
// `show channels` goes to the gateway's runtime when the daemon runs one (`gateway`, which must
// outlive the handler; its command replies are taken over too), else is refused.
// `pstn ...` lines (the emulated exchange: GatewayService::pstn_command) go to `pstn`, given
// the line's words, on the io thread; empty: answered with an error (no gateway in this daemon).
// They never reach the core: the emulators are the daemon's, not part of the admin vocabulary.
using PstnCommands = std::function<ControlReply(std::span<const std::string_view> words)>;
ControlServer::Handler proxy_control_handler(Node& node, NativeRuntime& runtime,
                                             NativeRuntime* gateway = nullptr,
                                             PstnCommands pstn = {});

}  // namespace resproxy::native
