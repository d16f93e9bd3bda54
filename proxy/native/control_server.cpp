#include "proxy/native/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/base/node.h"
#include "proxy/native/admin_text.h"
#include "proxy/native/runtime.h"

namespace resproxy::native {

namespace {

namespace asio = boost::asio;
using Local = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;

constexpr std::size_t kReadChunk = 1024;
constexpr int kBacklog = 16;
constexpr auto kAcceptRetry = std::chrono::milliseconds{100};

bool has_control_characters(std::string_view line) {
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

std::string errno_text(int error) { return std::strerror(error); }

// What lives at `path` before we bind: nothing, a stale socket (removed), or a refusal.
// Returns true if a stale socket was removed.
bool clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    throw std::runtime_error("control socket " + path + ": " + errno_text(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    throw std::runtime_error("control socket " + path +
                             " exists and is not a socket; remove it or choose another --control");
  }
  // A socket file: does a process still answer on it? Non-blocking, so a full backlog (a live
  // but busy daemon) answers EAGAIN instead of blocking start-up.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("control socket " + path + ": " + errno_text(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int error = rc == 0 ? 0 : errno;
  ::close(fd);
  if (error == ECONNREFUSED) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      throw std::runtime_error("cannot remove stale control socket " + path + ": " +
                               errno_text(errno));
    }
    return true;
  }
  if (error == 0 || error == EAGAIN || error == EINPROGRESS) {
    throw std::runtime_error("control socket " + path +
                             " answers: another resproxy is running there (stop it, or give "
                             "this one another --control path or --control none)");
  }
  throw std::runtime_error("control socket " + path + ": cannot tell whether it is in use: " +
                           errno_text(error));
}

}  // namespace

// --- The server. ---

class ControlServer::Impl : public std::enable_shared_from_this<ControlServer::Impl> {
 public:
  Impl(asio::io_context& io, NativeRuntime& runtime, Handler handler, ControlOptions options)
      : io_(io),
        runtime_(runtime),
        handler_(std::move(handler)),
        options_(std::move(options)),
        acceptor_(io),
        accept_retry_(io) {}

  void start();
  void stop();

  const std::string& path() const { return options_.path; }
  bool removed_stale() const { return removed_stale_; }
  std::size_t connection_count() const { return connections_.size(); }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io, std::uint64_t id_, Local::socket s)
        : id(id_), socket(std::move(s)), idle(io) {}
    std::uint64_t id;
    Local::socket socket;
    asio::steady_timer idle;
    std::string in;   // received, not yet executed
    std::string out;  // the reply being written
    std::array<char, kReadChunk> chunk{};
    bool closed = false;
  };
  using ConnectionPtr = std::shared_ptr<Connection>;

  void accept_next();
  void on_accept(const ErrorCode& ec, Local::socket socket);
  void refuse(Local::socket& socket, std::string_view why);
  void arm_idle(const ConnectionPtr& conn);
  void read(const ConnectionPtr& conn);
  void process(const ConnectionPtr& conn);
  void execute(const ConnectionPtr& conn, std::string command);
  void write_reply(const ConnectionPtr& conn, const ControlReply& reply, bool close_after);
  void close(const ConnectionPtr& conn);

  asio::io_context& io_;
  NativeRuntime& runtime_;
  Handler handler_;
  ControlOptions options_;
  Local::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::map<std::uint64_t, ConnectionPtr> connections_;
  std::uint64_t next_id_ = 1;
  bool started_ = false;
  bool stopped_ = false;
  bool removed_stale_ = false;
  // The socket file we created: removed at stop() only if it is still this one.
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

void ControlServer::Impl::start() {
  if (started_ || stopped_) return;
  const std::string& path = options_.path;
  if (path.empty()) throw std::runtime_error("control socket: empty path");
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.size() > kMaxPath) {
    throw std::runtime_error("control socket path " + path + " is too long (" +
                             std::to_string(path.size()) + " bytes; a Unix socket path has at most " +
                             std::to_string(kMaxPath) + "); choose a shorter --control");
  }
  removed_stale_ = clear_stale_socket(path);

  ErrorCode ec;
  acceptor_.open(Local(), ec);
  if (!ec) {
    // Mode 0600 from the start: the file never exists with looser permissions.
    const mode_t previous = ::umask(0177);
    acceptor_.bind(Local::endpoint(path), ec);
    ::umask(previous);
  }
  if (!ec) acceptor_.listen(kBacklog, ec);
  if (ec) {
    ErrorCode ignored;
    acceptor_.close(ignored);
    throw std::runtime_error("cannot listen on control socket " + path + ": " + ec.message());
  }
  struct stat st {};
  if (::chmod(path.c_str(), 0600) != 0 || ::stat(path.c_str(), &st) != 0) {
    const std::string why = errno_text(errno);
    ErrorCode ignored;
    acceptor_.close(ignored);
    ::unlink(path.c_str());
    throw std::runtime_error("control socket " + path + ": " + why);
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  started_ = true;
  accept_next();
}

void ControlServer::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  ErrorCode ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& [id, conn] : connections) {
    conn->closed = true;
    conn->idle.cancel();
    conn->socket.close(ignored);
  }
  if (started_) {
    struct stat st {};
    if (::lstat(options_.path.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
      ::unlink(options_.path.c_str());
    }
  }
}

void ControlServer::Impl::accept_next() {
  if (stopped_ || !acceptor_.is_open()) return;
  acceptor_.async_accept([self = shared_from_this()](const ErrorCode& ec, Local::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void ControlServer::Impl::on_accept(const ErrorCode& ec, Local::socket socket) {
  if (stopped_) return;
  if (ec) {
    // Out of descriptors and the like: try again shortly rather than spin or give up.
    accept_retry_.expires_after(kAcceptRetry);
    accept_retry_.async_wait([self = shared_from_this()](const ErrorCode& wait_error) {
      if (!wait_error) self->accept_next();
    });
    return;
  }
  if (connections_.size() >= options_.max_clients) {
    refuse(socket, "error: too many control connections (at most " +
                       std::to_string(options_.max_clients) + "); try again later\n");
  } else {
    const std::uint64_t id = next_id_++;
    auto conn = std::make_shared<Connection>(io_, id, std::move(socket));
    connections_.emplace(id, conn);
    arm_idle(conn);
    read(conn);
  }
  accept_next();
}

// Best effort and never blocking: one non-blocking send of an error reply, then close.
void ControlServer::Impl::refuse(Local::socket& socket, std::string_view why) {
  ControlReply reply;
  reply.text = std::string(why);
  const std::string bytes = encode_control_reply(reply);
  ErrorCode ignored;
  socket.non_blocking(true, ignored);
  socket.send(asio::buffer(bytes), 0, ignored);
  socket.shutdown(Local::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void ControlServer::Impl::arm_idle(const ConnectionPtr& conn) {
  conn->idle.expires_after(options_.idle_timeout);
  conn->idle.async_wait([self = shared_from_this(), conn](const ErrorCode& ec) {
    if (ec || self->stopped_ || conn->closed) return;
    // A re-armed timer may have completed just before: only a real expiry closes.
    if (conn->idle.expiry() > asio::steady_timer::clock_type::now()) return;
    self->close(conn);
  });
}

void ControlServer::Impl::read(const ConnectionPtr& conn) {
  if (stopped_ || conn->closed) return;
  conn->socket.async_read_some(
      asio::buffer(conn->chunk), [self = shared_from_this(), conn](const ErrorCode& ec, std::size_t n) {
        if (self->stopped_ || conn->closed) return;
        if (ec) {  // end of file, reset
          self->close(conn);
          return;
        }
        conn->in.append(conn->chunk.data(), n);
        self->process(conn);
      });
}

// Executes the next complete line, if any; otherwise reads more. One command at a time: the
// next line is looked at only once the reply to this one has been written.
void ControlServer::Impl::process(const ConnectionPtr& conn) {
  const std::string too_long = "error: command longer than " + std::to_string(options_.max_line) +
                               " bytes; connection closed\n";
  while (true) {
    const auto newline = conn->in.find('\n');
    if (newline == std::string::npos) {
      // No end of line yet: allow max_line bytes and a '\r'.
      if (conn->in.size() > options_.max_line + 1) {
        write_reply(conn, ControlReply{false, too_long}, /*close_after=*/true);
      } else {
        read(conn);
      }
      return;
    }
    std::string line = conn->in.substr(0, newline);
    conn->in.erase(0, newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > options_.max_line) {
      write_reply(conn, ControlReply{false, too_long}, /*close_after=*/true);
      return;
    }
    const auto words = words_of(line);
    if (words.empty()) continue;  // a blank line
    if (words.size() == 1 && words[0] == "quit") {
      close(conn);
      return;
    }
    if (has_control_characters(line)) {
      write_reply(conn, ControlReply{false, "error: control characters in the command\n"},
                  /*close_after=*/false);
      return;
    }
    execute(conn, std::move(line));
    return;
  }
}

void ControlServer::Impl::execute(const ConnectionPtr& conn, std::string command) {
  // One Node input on the io thread: the runtime drains the effects and re-arms its timer
  // after it, as after a datagram.
  runtime_.inject([self = shared_from_this(), conn, command = std::move(command)](
                      Node&, TimePoint now) {
    if (self->stopped_ || conn->closed) return;
    const auto respond = [self, conn](ControlReply reply) {
      self->write_reply(conn, reply, /*close_after=*/false);
    };
    try {
      self->handler_(now, command, respond);
    } catch (const std::exception& e) {
      respond(ControlReply{false, std::string("error: ") + e.what() + "\n"});
    }
  });
}

void ControlServer::Impl::write_reply(const ConnectionPtr& conn, const ControlReply& reply,
                                      bool close_after) {
  if (stopped_ || conn->closed) return;
  conn->out = encode_control_reply(reply);
  asio::async_write(conn->socket, asio::buffer(conn->out),
                    [self = shared_from_this(), conn, close_after](const ErrorCode& ec, std::size_t) {
                      if (self->stopped_ || conn->closed) return;
                      if (ec) {
                        self->close(conn);
                        return;
                      }
                      if (close_after) {
                        ErrorCode ignored;
                        conn->socket.shutdown(Local::socket::shutdown_send, ignored);
                        self->close(conn);
                        return;
                      }
                      self->arm_idle(conn);
                      self->process(conn);
                    });
}

void ControlServer::Impl::close(const ConnectionPtr& conn) {
  if (conn->closed) return;
  conn->closed = true;
  ErrorCode ignored;
  conn->idle.cancel();
  conn->socket.close(ignored);
  connections_.erase(conn->id);
}

// --- ControlServer. ---

ControlServer::ControlServer(boost::asio::io_context& io, NativeRuntime& runtime, Handler handler,
                             ControlOptions options)
    : impl_(std::make_shared<Impl>(io, runtime, std::move(handler), std::move(options))) {}

ControlServer::~ControlServer() { impl_->stop(); }

void ControlServer::start() { impl_->start(); }
void ControlServer::stop() { impl_->stop(); }
const std::string& ControlServer::path() const { return impl_->path(); }
bool ControlServer::removed_stale() const { return impl_->removed_stale(); }
std::size_t ControlServer::connection_count() const { return impl_->connection_count(); }

// --- The daemon's handler. ---

namespace {

std::string format_runtime_stats(const NativeRuntime::Stats& s) {
  std::string out;
  const auto line = [&out](std::string_view name, std::uint64_t v) {
    out += "runtime.";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  line("datagrams_in", s.datagrams_in);
  line("datagrams_out", s.datagrams_out);
  line("datagrams_dropped", s.datagrams_dropped);
  line("datagram_errors", s.datagram_errors);
  line("streams_accepted", s.streams_accepted);
  line("streams_opened", s.streams_opened);
  line("connect_failures", s.connect_failures);
  line("stream_errors", s.stream_errors);
  line("write_budget_exceeded", s.write_budget_exceeded);
  line("tls_handshakes", s.tls_handshakes);
  line("stream_writes_dropped", s.stream_writes_dropped);
  line("accept_errors", s.accept_errors);
  line("store_failures", s.store_failures);
  line("store_queue_full", s.store_queue_full);
  line("store_queue_depth", s.store_queue_depth);
  line("effects_rejected", s.effects_rejected);
  line("bytes_in", s.bytes_in);
  line("bytes_out", s.bytes_out);
  line("media_ports_open", s.media_ports_open);
  line("media_port_failures", s.media_port_failures);
  line("media_packets_in", s.media_packets_in);
  line("media_packets_out", s.media_packets_out);
  line("media_send_dropped", s.media_send_dropped);
  line("media_receive_errors", s.media_receive_errors);
  line("media_stale_dropped", s.media_stale_dropped);
  return out;
}

// The gateway's media data path (media_bridge.h), from its runtime's stats.
std::string format_gateway_media(const NativeRuntime::Stats& s) {
  std::string out;
  const auto line = [&out](std::string_view name, std::uint64_t v) {
    out += "gateway.";
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
  };
  line("media_commands", s.media_commands);
  line("media_bridges_open", s.media_bridges_open);
  line("media_bridges_refused", s.media_bridges_refused);
  line("rtp_rx", s.rtp_rx);
  line("rtp_tx", s.rtp_tx);
  line("rtp_rx_errors", s.rtp_rx_errors);
  line("rtp_late", s.rtp_late);
  line("rtp_concealed", s.rtp_concealed);
  line("rtp_slips", s.rtp_slips);
  line("rtp_lost", s.rtp_lost);
  line("rtp_tx_errors", s.rtp_tx_errors);
  line("dtmf_rx", s.dtmf_rx);
  line("dtmf_tx", s.dtmf_tx);
  line("dtmf_dropped", s.dtmf_dropped);
  return out;
}

}  // namespace

ControlServer::Handler proxy_control_handler(Node& node, NativeRuntime& runtime,
                                             NativeRuntime* gateway, PstnCommands pstn) {
  struct Waiting {
    ControlServer::Respond respond;
    bool runtime_stats = false;  // show counters: the runtime's own follow
  };
  struct State {
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, Waiting> waiting;
  };
  auto state = std::make_shared<State>();
  const auto on_reply = [state, &runtime, gateway](CommandReply reply) {
    const auto it = state->waiting.find(reply.id);
    if (it == state->waiting.end()) return;
    Waiting waiting = std::move(it->second);
    state->waiting.erase(it);
    const AdminText text = format_admin_result(reply.result);
    ControlReply out{text.ok, text.text};
    if (waiting.runtime_stats && out.ok) {
      out.text += format_runtime_stats(runtime.stats());
      if (gateway != nullptr) out.text += format_gateway_media(gateway->stats());
    }
    waiting.respond(std::move(out));
  };
  runtime.set_command_replies(on_reply);
  // The gateway's replies come on the same thread (one io_context): one table of ids for both.
  if (gateway != nullptr) gateway->set_command_replies(on_reply);
  return [state, &node, gateway, pstn = std::move(pstn)](TimePoint now, std::string_view command,
                                                         ControlServer::Respond respond) {
    if (const auto words = words_of(command); !words.empty() && words[0] == "pstn") {
      if (!pstn) {
        respond(ControlReply{false, "error: no gateway in this daemon ([gateway] enable = 0)\n"});
        return;
      }
      respond(pstn(words));
      return;
    }
    auto parsed = parse_admin_command(command);
    if (auto* text = std::get_if<AdminText>(&parsed)) {
      respond(ControlReply{text->ok, std::move(text->text)});
      return;
    }
    auto& request = std::get<admin::Request>(parsed);
    if (std::holds_alternative<admin::ShowChannels>(request)) {
      if (gateway == nullptr) {
        respond(ControlReply{false, "error: no gateway in this daemon ([gateway] enable = 0)\n"});
        return;
      }
      const std::uint64_t id = state->next_id++;
      state->waiting[id] = {std::move(respond), false};
      // The gateway's node is another runtime's: the command is an input of that runtime.
      gateway->inject([id](Node& gateway_node, TimePoint t) {
        gateway_node.on_command(t, AdminCommand{id, admin::ShowChannels{}});
      });
      return;
    }
    const std::uint64_t id = state->next_id++;
    state->waiting[id] = {std::move(respond), std::holds_alternative<admin::ShowCounters>(request)};
    node.on_command(now, AdminCommand{id, std::move(request)});
  };
}

}  // namespace resproxy::native
