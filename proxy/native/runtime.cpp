#include "proxy/native/runtime.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "proxy/base/check.h"
#include "proxy/native/host_address.h"
#include "proxy/native/store_thread.h"

namespace resproxy::native {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

// A CloseStream waits this long for queued writes to reach the peer, then closes anyway.
constexpr std::chrono::seconds kCloseFlushTimeout{5};
// Port 0 with UDP and TCP: ephemeral UDP ports whose TCP twin is taken are tried again.
constexpr int kSamePortAttempts = 16;
// Accept errors (EMFILE, ENFILE, ENOBUFS) do not clear at once: wait before accepting again.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::size_t kReadChunk = 16 * 1024;
// Datagrams taken from the socket into one Node input when they are already queued (load).
constexpr int kDatagramBatch = 32;

TimePoint to_core(SteadyClock::time_point t) {
  return TimePoint{std::chrono::duration_cast<Duration>(t.time_since_epoch())};
}
SteadyClock::time_point to_steady(TimePoint t) {
  return SteadyClock::time_point{
      std::chrono::duration_cast<SteadyClock::duration>(t.time_since_epoch())};
}

// IPv4-mapped IPv6 peers (a dual-stack "::" listener) are shown to the core as IPv4.
Address to_address(const asio::ip::address& ip, std::uint16_t port) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return Address{asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6()).to_string(), port};
  }
  return Address{ip.to_string(), port};
}
template <typename Endpoint>
Address to_address(const Endpoint& endpoint) {
  return to_address(endpoint.address(), endpoint.port());
}

std::optional<asio::ip::address> parse_ip(const std::string& text) {
  ErrorCode ec;
  auto ip = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return ip;
}

// The address to give a socket of family `v6_socket`: IPv4 on an IPv6 socket becomes
// IPv4-mapped, IPv4-mapped on an IPv4 socket becomes IPv4; anything else is left alone (the
// send then fails with the OS's family error and is counted).
asio::ip::address for_family(const asio::ip::address& ip, bool v6_socket) {
  if (v6_socket && ip.is_v4()) return asio::ip::make_address_v6(asio::ip::v4_mapped, ip.to_v4());
  if (!v6_socket && ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  }
  return ip;
}

std::string describe(std::string_view transport, const std::string& ip, std::uint16_t port,
                     const ErrorCode& ec) {
  std::string out = "resproxy: cannot listen on ";
  out += transport;
  out += ' ';
  out += Address{ip, port}.to_string();
  out += ": ";
  out += ec.message();
  return out;
}

// One TCP or TLS connection, accepted or opened. Shared with its pending operations.
struct Connection {
  Connection(tcp::socket s, StreamId stream) : socket(std::move(s)), id(stream) {}

  tcp::socket socket;
  // TLS: the SSL stream over `socket` (declared after it: destroyed first).
  std::optional<asio::ssl::stream<tcp::socket&>> tls;
  Transport transport = Transport::Tcp;
  std::string server_name;  // outbound TLS: the name its certificate must carry (or empty)
  std::string name_error;   // outbound TLS: why the certificate's names were refused
  StreamId id;
  Address local;   // for the message log; known once connected (remote: from the start)
  Address remote;
  bool connected = false;
  bool closed = false;       // out of the stream table; late completions do nothing
  bool closing = false;      // the core sent CloseStream: flush the queue, then close
  bool reading = false;
  bool writing = false;
  std::vector<std::string> queued;     // written after the operation in flight
  std::vector<std::string> in_flight;  // the one async_write in progress
  std::size_t queued_bytes = 0;
  std::unique_ptr<asio::steady_timer> flush_timer;  // only while closing with data queued
  std::array<char, kReadChunk> read_buffer{};
};

Path path_of(const Connection& conn) {
  return Path{.transport = conn.transport, .local = conn.local, .remote = conn.remote, .stream = conn.id};
}

// Reads and writes go through the SSL stream on TLS connections, straight to the socket else.
template <typename Buffers, typename Handler>
void read_some(Connection& conn, const Buffers& buffers, Handler&& handler) {
  if (conn.tls) {
    conn.tls->async_read_some(buffers, std::forward<Handler>(handler));
  } else {
    conn.socket.async_read_some(buffers, std::forward<Handler>(handler));
  }
}
template <typename Buffers, typename Handler>
void write_all(Connection& conn, const Buffers& buffers, Handler&& handler) {
  if (conn.tls) {
    asio::async_write(*conn.tls, buffers, std::forward<Handler>(handler));
  } else {
    asio::async_write(conn.socket, buffers, std::forward<Handler>(handler));
  }
}

// Opens, binds and listens; the first error, if any.
ErrorCode listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  ErrorCode ec;
  acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restarted daemon binds again while old connections sit in TIME_WAIT.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

// When the Node hears of a closed stream: at once (from a completion handler) or on the next
// io_context turn (from inside pump(), where no input may start).
enum class Notify { Now, Later };

}  // namespace

class NativeRuntime::Impl : public std::enable_shared_from_this<NativeRuntime::Impl> {
 public:
  Impl(asio::io_context& io, Node& node, ListenConfig config)
      : io_(io),
        node_(node),
        config_(std::move(config)),
        udp_(io),
        acceptor_(io),
        tls_acceptor_(io),
        timer_(io),
        accept_retry_timer_(io),
        tls_accept_retry_timer_(io),
        store_timer_(io),
        interface_timer_(io),
        wall_clock_timer_(io) {}

  void start();
  void stop(bool notify_node);
  void inject(std::function<void(Node&, TimePoint)> input);

  Address local_address() const { return local_; }
  Address tls_local_address() const { return tls_local_; }
  void set_tls_log(TlsLog log) { tls_log_ = std::move(log); }
  Stats stats() const {
    Stats out = stats_;
    out.store_queue_depth = pending_store_ids_.size() + committing_ids_.size();
    return out;
  }
  void set_datagram_filter(std::function<bool(const SendDatagram&)> drop_if) {
    drop_if_ = std::move(drop_if);
  }
  void set_store(KeyValueStore* store) {
    store_thread_.reset();  // finishes what it was given
    store_ = store;
    if (store_ != nullptr) store_thread_ = std::make_unique<StoreThread>(*store_);
  }
  void set_message_log(MessageLog log) { message_log_ = std::move(log); }
  void set_command_replies(CommandReplies replies) { command_replies_ = std::move(replies); }

  static TimePoint now() { return to_core(SteadyClock::now()); }

 private:
  // Inputs: one Node input, then drain effects and re-arm the timer.
  template <typename Input>
  void deliver(Input&& input);
  void pump();
  void rearm_timer();
  void on_timer(const ErrorCode& ec, std::uint64_t generation);

  // Effects.
  void perform(SendDatagram& effect);
  void perform(OpenStream& effect);
  void perform(WriteStream& effect);
  void perform(CloseStream& effect);
  void perform(StoreWrite& effect);
  void perform(CommandReply& effect) {
    if (command_replies_) command_replies_(std::move(effect));
  }
  // Hands the pending writes to the store thread as one transaction.
  void commit_store();
  // Answers refused writes, then commit_store() if no commit is in progress and the commit
  // interval allows it now (else arms store_timer_). True if the Node heard of a write (it may
  // have new effects).
  bool commit_store_when_due();
  void on_store_timer(const ErrorCode& ec);
  // Tells the node the host's interfaces if they changed since last time, then looks again
  // after ListenConfig::interface_poll.
  void watch_interfaces();
  // Tells the node the wall clock if it stepped against the steady clock since last time (and
  // the first time), then looks again after ListenConfig::wall_clock_poll.
  void watch_wall_clock();
  // The store thread's answer to commit_store(), on the io thread.
  void on_store_committed(bool ok);

  // UDP.
  void receive_datagram();
  void on_readable(const ErrorCode& ec);
  // Up to kDatagramBatch waiting datagrams in one recvmmsg, without blocking: how many (-1 with
  // errno: EAGAIN when none is waiting). Slot i is in slots_[i].
  int receive_batch();
  const Address& sender_address(const udp::endpoint& sender);
  void send_datagram_async(std::string bytes, const udp::endpoint& to);

  // TCP and TLS.
  void accept_next(bool tls);
  void on_accept(bool tls, const ErrorCode& ec, tcp::socket socket);
  void on_connect(const std::shared_ptr<Connection>& conn, const ErrorCode& ec);
  // A connected outbound stream: tell the Node, start reading and writing.
  void report_connected(const std::shared_ptr<Connection>& conn);
  // The message log for writes queued before the connection could send (logged only now).
  void log_queued(const Connection& conn);
  void start_handshake(const std::shared_ptr<Connection>& conn, bool outbound);
  void on_handshake(const std::shared_ptr<Connection>& conn, bool outbound, const ErrorCode& ec);
  void bind_tls(const asio::ip::address& ip);
  void start_reading(const std::shared_ptr<Connection>& conn);
  void on_read(const std::shared_ptr<Connection>& conn, const ErrorCode& ec, std::size_t size);
  void start_writing(const std::shared_ptr<Connection>& conn);
  void on_written(const std::shared_ptr<Connection>& conn, const ErrorCode& ec, std::size_t size);
  void finish_close(std::shared_ptr<Connection> conn, Notify notify);
  void close_stream(std::shared_ptr<Connection> conn, StreamCloseReason reason, Notify notify);
  void notify_closed(StreamId id, StreamCloseReason reason, Notify notify);

  bool bind_all(const asio::ip::address& ip, std::uint16_t port, bool last_attempt);

  asio::io_context& io_;
  Node& node_;
  KeyValueStore* store_ = nullptr;
  std::unique_ptr<StoreThread> store_thread_;   // owns store_ while the runtime serves
  StoreWrite pending_store_;                    // records of the StoreWrites not yet committing
  std::vector<std::uint64_t> pending_store_ids_;
  std::vector<std::uint64_t> committing_ids_;   // the one commit on the store thread, if any
  bool committing_ = false;
  std::vector<std::uint64_t> refused_store_ids_;  // beyond store_queue_max: fail at once
  ListenConfig config_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  tcp::acceptor tls_acceptor_;
  asio::steady_timer timer_;
  asio::steady_timer accept_retry_timer_;
  asio::steady_timer tls_accept_retry_timer_;
  std::unique_ptr<TlsContexts> tls_;
  Address tls_local_;  // port 0: not listening for TLS
  TlsLog tls_log_;
  asio::steady_timer store_timer_;  // the next group commit (ListenConfig::store_commit_interval)
  asio::steady_timer interface_timer_;  // the next look at the host's interfaces
  asio::steady_timer wall_clock_timer_;  // the next look at the wall clock
  std::optional<std::chrono::nanoseconds> wall_offset_;  // as last told: wall minus steady
  std::vector<NetInterface> interfaces_;  // as last told to the node
  bool store_timer_armed_ = false;
  SteadyClock::time_point last_commit_{};
  Address local_;

  // recvmmsg's slots: one buffer, source address and control message (the kernel's receive
  // timestamp) per datagram of a batch.
  struct Slot {
    sockaddr_storage from{};
    // The kernel's receive timestamp and the arrival interface (IP_PKTINFO / IPV6_PKTINFO).
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(in_pktinfo)) +
                                  CMSG_SPACE(sizeof(in6_pktinfo))]{};
    iovec iov{};
  };
  std::vector<char> datagram_buffer_;
  std::size_t slot_size_ = 0;
  std::vector<Slot> slots_;
  std::vector<mmsghdr> mmsgs_;
  // The last datagram source and its Address: formatting an address costs more than receiving
  // the datagram, and under load most datagrams come from a few peers.
  udp::endpoint last_sender_;
  Address last_sender_address_;
  std::size_t async_sends_pending_ = 0;
  std::size_t queued_bytes_total_ = 0;  // stream write queues together (the global budget)

  std::map<std::uint64_t, std::shared_ptr<Connection>> streams_;
  std::uint64_t next_inbound_id_ = 1;

  std::function<bool(const SendDatagram&)> drop_if_;
  MessageLog message_log_;
  CommandReplies command_replies_;
  Stats stats_;

  bool started_ = false;
  bool stopped_ = false;
  bool in_input_ = false;
  std::optional<TimePoint> armed_;     // the deadline the timer waits for, if it waits
  std::uint64_t timer_generation_ = 0;  // stale expiries compare unequal
};

// --- Start and stop. ---

bool NativeRuntime::Impl::bind_all(const asio::ip::address& ip, std::uint16_t port,
                                   bool last_attempt) {
  ErrorCode ec;
  if (config_.udp) {
    const udp::endpoint endpoint(ip, port);
    // No SO_REUSEADDR on UDP: on Linux it would let a second daemon bind the same port and
    // silently take half of the datagrams. TCP needs it (below), UDP has no TIME_WAIT.
    udp_.open(endpoint.protocol(), ec);
    if (!ec) {
      // A burst must not overflow the kernel's default (~212 KB) receive buffer while the io
      // thread is busy: ask for 4 MiB each way (the kernel caps it at net.core.*mem_max; a
      // refusal is harmless, so its error is ignored).
      ErrorCode ignored;
      udp_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
      udp_.set_option(asio::socket_base::send_buffer_size(4 << 20), ignored);
      // Kernel receive timestamps: how long a datagram waited is the measure of overload.
      const int one = 1;
      (void)::setsockopt(udp_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
      // The interface each datagram arrived on: trust is by interface (security/interfaces.h).
      // IPv4 on an IPv6 socket reports IP_PKTINFO too.
      (void)::setsockopt(udp_.native_handle(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
      if (endpoint.address().is_v6()) {
        (void)::setsockopt(udp_.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
      }
      udp_.bind(endpoint, ec);
    }
    if (ec) throw std::runtime_error(describe("UDP", config_.ip, port, ec));
    port = udp_.local_endpoint().port();
  }
  if (config_.tcp) {
    ec = listen_on(acceptor_, tcp::endpoint(ip, port));
    if (ec) {
      ErrorCode ignored;
      acceptor_.close(ignored);
      udp_.close(ignored);
      const bool retry = config_.port == 0 && config_.udp && !last_attempt &&
                         ec == asio::error::address_in_use;
      if (retry) return false;
      throw std::runtime_error(describe("TCP", config_.ip, port, ec));
    }
    port = acceptor_.local_endpoint().port();
  }
  local_ = to_address(ip, port);
  return true;
}

void NativeRuntime::Impl::bind_tls(const asio::ip::address& ip) {
  const ErrorCode ec = listen_on(tls_acceptor_, tcp::endpoint(ip, config_.tls.port));
  if (ec) {
    ErrorCode ignored;
    tls_acceptor_.close(ignored);
    acceptor_.close(ignored);
    udp_.close(ignored);
    throw std::runtime_error(describe("TLS", config_.ip, config_.tls.port, ec));
  }
  tls_local_ = to_address(ip, tls_acceptor_.local_endpoint().port());
}

void NativeRuntime::Impl::start() {
  if (started_ || stopped_) return;
  if (!config_.udp && !config_.tcp) {
    throw std::runtime_error("resproxy: listen config enables neither UDP nor TCP");
  }
  const auto ip = parse_ip(config_.ip);
  if (!ip) {
    throw std::runtime_error("resproxy: cannot listen on '" + config_.ip +
                             "': not an IPv4 or IPv6 address");
  }
  // Certificates first: a file that cannot be used stops the daemon before it binds anything.
  tls_ = std::make_unique<TlsContexts>(config_.tls);
  int attempt = 1;
  while (!bind_all(*ip, config_.port, /*last_attempt=*/attempt == kSamePortAttempts)) ++attempt;
  if (config_.tls.listen) bind_tls(*ip);
  started_ = true;

  if (config_.udp) {
    ErrorCode ignored;
    // Sends are tried at once and fall back to an asynchronous send only when the socket
    // buffer is full; receives stay asynchronous.
    udp_.non_blocking(true, ignored);
    // One byte more than the largest datagram accepted, to notice a larger one (the kernel
    // truncates silently). No IP datagram carries more than 65535 bytes of UDP payload.
    slot_size_ = std::min<std::size_t>(config_.max_datagram, 65535) + 1;
    datagram_buffer_.resize(slot_size_ * kDatagramBatch);
    slots_.resize(kDatagramBatch);
    mmsgs_.resize(kDatagramBatch);
    receive_datagram();
  }
  if (config_.tcp) accept_next(false);
  if (config_.tls.listen) accept_next(true);
  if (config_.interface_poll.count() > 0) watch_interfaces();
  if (config_.wall_clock_poll.count() > 0) watch_wall_clock();
  // The Node may already have effects or a deadline (probes scheduled at construction).
  asio::post(io_, [self = shared_from_this()] { self->deliver([](Node&, TimePoint) {}); });
}

void NativeRuntime::Impl::stop(bool notify_node) {
  if (stopped_) return;
  stopped_ = true;
  ErrorCode ignored;
  udp_.close(ignored);
  acceptor_.close(ignored);
  tls_acceptor_.close(ignored);
  timer_.cancel();
  accept_retry_timer_.cancel();
  tls_accept_retry_timer_.cancel();
  store_timer_.cancel();
  interface_timer_.cancel();
  wall_clock_timer_.cancel();
  // Writes handed to the store thread are applied (their answers are dropped below, the Node
  // hears nothing more); writes not handed over yet are dropped with the Node's other effects.
  if (store_thread_) store_thread_->finish();
  pending_store_ids_.clear();
  pending_store_.records.clear();
  refused_store_ids_.clear();
  armed_.reset();
  ++timer_generation_;

  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, conn] : streams) {
    conn->closed = true;
    if (conn->flush_timer) conn->flush_timer->cancel();
    conn->socket.close(ignored);
  }
  // A Node input inside another input would break the Node's single-threaded contract: when
  // stop() runs inside one (an injected command), the Node is not told.
  if (notify_node && !in_input_) {
    in_input_ = true;
    const TimePoint t = now();
    for (const auto& [id, conn] : streams) {
      node_.on_stream_closed(t, conn->id, StreamCloseReason::LocalClose);
    }
    while (node_.next_effect()) {
    }  // nowhere to send them any more
    in_input_ = false;
  }
  drop_if_ = nullptr;
  message_log_ = nullptr;
}

void NativeRuntime::Impl::inject(std::function<void(Node&, TimePoint)> input) {
  asio::post(io_, [self = shared_from_this(), input = std::move(input)] { self->deliver(input); });
}

// --- Inputs, effects, the timer. ---

template <typename Input>
void NativeRuntime::Impl::deliver(Input&& input) {
  if (stopped_) return;
  // Inputs come only from completion handlers, which asio never nests; effects that fail
  // synchronously post their input instead of delivering it inside pump().
  RESPROXY_CHECK(!in_input_);
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_input_};
  in_input_ = true;
  input(node_, now());
  pump();
}

void NativeRuntime::Impl::pump() {
  // A commit answers its writes in this same pump, and the answers may bring effects (the 200s)
  // and new writes (queued REGISTERs of the same user): drain again until nothing is left.
  do {
    while (auto effect = node_.next_effect()) {
      if (stopped_) continue;  // an injected stop(): drain and drop
      std::visit([this](auto& e) { perform(e); }, *effect);
    }
    if (stopped_) {
      pending_store_ids_.clear();
      pending_store_.records.clear();
      refused_store_ids_.clear();
      return;
    }
  } while (commit_store_when_due());
  rearm_timer();
}

void NativeRuntime::Impl::rearm_timer() {
  const auto deadline = node_.next_deadline();
  if (!deadline) {
    if (armed_) {
      armed_.reset();
      ++timer_generation_;
      timer_.cancel();
    }
    return;
  }
  if (armed_ == deadline) return;  // already waiting for exactly this
  armed_ = deadline;
  const std::uint64_t generation = ++timer_generation_;
  timer_.expires_at(to_steady(*deadline));  // cancels a previous wait
  timer_.async_wait([self = shared_from_this(), generation](const ErrorCode& ec) {
    self->on_timer(ec, generation);
  });
}

void NativeRuntime::Impl::on_timer(const ErrorCode& ec, std::uint64_t generation) {
  // A wait cancelled by re-arming may already have been queued as a success: the generation
  // tells the current wait from a stale one.
  if (ec || stopped_ || generation != timer_generation_) return;
  armed_.reset();
  deliver([](Node& node, TimePoint now) {
    const auto deadline = node.next_deadline();
    // steady_timer never fires early; if the deadline moved later meanwhile, pump re-arms.
    if (deadline && *deadline <= now) node.on_deadline(now);
  });
}

void NativeRuntime::Impl::perform(SendDatagram& effect) {
  if (drop_if_ && drop_if_(effect)) {
    ++stats_.datagrams_dropped;
    return;
  }
  if (!udp_.is_open()) {
    ++stats_.datagram_errors;
    return;
  }
  // Symmetric signalling: always from the listening socket, which is the `local` the core
  // names (the runtime has exactly one UDP socket). Most datagrams answer the last sender,
  // whose endpoint is at hand; any other address is parsed.
  udp::endpoint to;
  if (effect.remote == last_sender_address_ && !last_sender_address_.ip.empty()) {
    to = last_sender_;
  } else {
    const auto ip = parse_ip(effect.remote.ip);
    if (!ip) {
      ++stats_.datagram_errors;
      return;
    }
    to = udp::endpoint(for_family(*ip, local_.is_ipv6()), effect.remote.port);
  }
  if (message_log_) {
    message_log_(true, Path{.transport = Transport::Udp, .local = local_, .remote = effect.remote,
                            .stream = {}},
                 effect.bytes);
  }
  if (async_sends_pending_ == 0) {  // keep the core's order: never overtake a queued send
    ErrorCode ec;
    const std::size_t sent = udp_.send_to(asio::buffer(effect.bytes), to, 0, ec);
    if (!ec) {
      ++stats_.datagrams_out;
      stats_.bytes_out += sent;
      return;
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) {
      // ECONNREFUSED (an ICMP error from an earlier send), EHOSTUNREACH, EMSGSIZE…: UDP is
      // unreliable anyway and SIP retransmission recovers; count and go on.
      ++stats_.datagram_errors;
      return;
    }
  }
  send_datagram_async(std::move(effect.bytes), to);
}

void NativeRuntime::Impl::send_datagram_async(std::string bytes, const udp::endpoint& to) {
  auto owned = std::make_shared<std::string>(std::move(bytes));
  ++async_sends_pending_;
  udp_.async_send_to(asio::buffer(*owned), to,
                     [self = shared_from_this(), owned](const ErrorCode& ec, std::size_t sent) {
                       --self->async_sends_pending_;
                       if (ec) {
                         if (ec != asio::error::operation_aborted) ++self->stats_.datagram_errors;
                         return;
                       }
                       ++self->stats_.datagrams_out;
                       self->stats_.bytes_out += sent;
                     });
}

void NativeRuntime::Impl::perform(OpenStream& effect) {
  const std::uint64_t id = effect.stream.value;
  if ((id & kOutboundStreamBit) == 0 || streams_.contains(id)) {
    // A core bug: inbound ids are the runtime's, and reporting ConnectFailed for an id in use
    // would tear down the live stream that owns it. Count it and do nothing.
    ++stats_.effects_rejected;
    return;
  }
  auto conn = std::make_shared<Connection>(tcp::socket(io_), effect.stream);
  conn->local = effect.local;
  conn->remote = effect.remote;
  conn->transport = effect.transport;
  if (effect.transport == Transport::Tls) {
    conn->tls.emplace(conn->socket, tls_->client());
    conn->server_name = effect.server_name;
  }
  streams_.emplace(id, conn);

  const auto remote_ip = parse_ip(effect.remote.ip);
  if (!remote_ip) {
    ++stats_.connect_failures;
    close_stream(conn, StreamCloseReason::ConnectFailed, Notify::Later);
    return;
  }
  const tcp::endpoint remote(*remote_ip, effect.remote.port);
  ErrorCode ec;
  conn->socket.open(remote.protocol(), ec);
  // Leave from the address the core names (else the listening one), on an ephemeral port: the
  // listening port itself is taken by the acceptor (RFC 3261 §18.1.1 Via carries that port).
  auto local_ip = parse_ip(effect.local.ip);
  if (!local_ip || local_ip->is_unspecified()) local_ip = parse_ip(local_.ip);
  if (!ec && local_ip && !local_ip->is_unspecified() && local_ip->is_v6() == remote_ip->is_v6()) {
    conn->socket.bind(tcp::endpoint(*local_ip, 0), ec);
  }
  if (ec) {
    ++stats_.connect_failures;
    close_stream(conn, StreamCloseReason::ConnectFailed, Notify::Later);
    return;
  }
  conn->socket.async_connect(remote, [self = shared_from_this(), conn](const ErrorCode& error) {
    self->on_connect(conn, error);
  });
}

void NativeRuntime::Impl::perform(WriteStream& effect) {
  const auto it = streams_.find(effect.stream.value);
  if (it == streams_.end() || it->second->closing) {
    // Closed meanwhile: the core has been or will be told by on_stream_closed.
    ++stats_.stream_writes_dropped;
    return;
  }
  const auto conn = it->second;
  if (effect.bytes.empty()) return;
  // Write-queue budgets: a peer that does not read (a stuck phone, an attacker with a zero
  // window) loses its connection rather than take the process's memory, per stream and — so
  // that num_sockets such peers cannot either — for all streams together.
  if (conn->queued_bytes + effect.bytes.size() > config_.max_queued_bytes_per_stream ||
      queued_bytes_total_ + effect.bytes.size() > config_.max_queued_bytes_total) {
    ++stats_.stream_errors;
    ++stats_.write_budget_exceeded;
    close_stream(conn, StreamCloseReason::Reset, Notify::Later);
    return;
  }
  conn->queued_bytes += effect.bytes.size();
  queued_bytes_total_ += effect.bytes.size();
  // Logged when it can leave: a connection still connecting (or in its handshake) has neither
  // its own local port yet nor the certainty that anything will be sent at all.
  if (message_log_ && conn->connected) message_log_(true, path_of(*conn), effect.bytes);
  conn->queued.push_back(std::move(effect.bytes));
  start_writing(conn);
}

void NativeRuntime::Impl::perform(CloseStream& effect) {
  const auto it = streams_.find(effect.stream.value);
  if (it == streams_.end() || it->second->closing) return;  // already closed or closing
  const auto conn = it->second;
  conn->closing = true;
  if (conn->connected && (conn->writing || !conn->queued.empty())) {
    // Let the last response reach the peer, but not forever.
    conn->flush_timer = std::make_unique<asio::steady_timer>(io_, kCloseFlushTimeout);
    conn->flush_timer->async_wait([self = shared_from_this(), conn](const ErrorCode& ec) {
      if (!ec && !conn->closed) self->close_stream(conn, StreamCloseReason::LocalClose, Notify::Now);
    });
    return;
  }
  // Nothing to flush; or not connected yet, and queued writes are abandoned with the connect.
  finish_close(conn, Notify::Later);
}

// --- UDP. ---

const Address& NativeRuntime::Impl::sender_address(const udp::endpoint& sender) {
  if (sender != last_sender_ || last_sender_address_.ip.empty()) {
    last_sender_ = sender;
    last_sender_address_ = to_address(sender);
  }
  return last_sender_address_;
}

void NativeRuntime::Impl::receive_datagram() {
  if (stopped_ || !udp_.is_open()) return;
  udp_.async_wait(udp::socket::wait_read,
                  [self = shared_from_this()](const ErrorCode& ec) { self->on_readable(ec); });
}

int NativeRuntime::Impl::receive_batch() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    slot.iov = iovec{datagram_buffer_.data() + i * slot_size_, slot_size_};
    msghdr& m = mmsgs_[i].msg_hdr;
    m = msghdr{};
    m.msg_name = &slot.from;
    m.msg_namelen = sizeof slot.from;
    m.msg_iov = &slot.iov;
    m.msg_iovlen = 1;
    m.msg_control = slot.control;
    m.msg_controllen = sizeof slot.control;
    mmsgs_[i].msg_len = 0;
  }
  return ::recvmmsg(udp_.native_handle(), mmsgs_.data(), static_cast<unsigned>(mmsgs_.size()),
                    MSG_DONTWAIT, nullptr);
}

void NativeRuntime::Impl::on_readable(const ErrorCode& ec) {
  if (stopped_) return;
  if (ec) {
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
    ++stats_.datagram_errors;
    receive_datagram();
    return;
  }
  // Everything waiting, up to kDatagramBatch, in one system call and one input: one pump (one
  // timer re-arm, one store commit) serves them all. The node first hears how long the oldest
  // one waited in the kernel.
  const int n = receive_batch();
  if (n < 0) {
    // EAGAIN: spurious wake-up; ECONNREFUSED and friends: an ICMP error about an earlier send.
    if (errno != EAGAIN && errno != EWOULDBLOCK) ++stats_.datagram_errors;
    receive_datagram();
    return;
  }
  deliver([&](Node& node, TimePoint now) {
    for (int i = 0; i < n && !stopped_; ++i) {
      const msghdr& m = mmsgs_[i].msg_hdr;
      const std::size_t size = mmsgs_[i].msg_len;
      if ((m.msg_flags & MSG_TRUNC) != 0 || size > config_.max_datagram) {
        ++stats_.datagram_errors;  // truncated by the kernel; nothing useful can come of it
        continue;
      }
      udp::endpoint sender;
      std::memcpy(sender.data(), &slots_[i].from, std::min<std::size_t>(m.msg_namelen, sender.capacity()));
      sender.resize(m.msg_namelen);
      Path path{.transport = Transport::Udp, .local = local_,
                .remote = sender_address(sender), .stream = {}};
      // One pass over the control messages: the arrival interface of each datagram, and the
      // kernel's receive timestamp of the batch's first (the oldest: the node hears how long
      // it waited before anything else).
      std::optional<std::chrono::nanoseconds> waited;
      for (const cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&m), const_cast<cmsghdr*>(c))) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info{};
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          path.interface = static_cast<std::uint32_t>(info.ipi_ifindex);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo info{};
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          path.interface = info.ipi6_ifindex;
        } else if (i == 0 && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec at{};
          std::memcpy(&at, CMSG_DATA(c), sizeof at);
          timespec wall{};
          ::clock_gettime(CLOCK_REALTIME, &wall);
          waited = std::chrono::nanoseconds{std::max<std::int64_t>(
              (std::int64_t{wall.tv_sec} - at.tv_sec) * 1'000'000'000 + (wall.tv_nsec - at.tv_nsec), 0)};
        }
      }
      if (i == 0) node.on_receive_delay(now, waited.value_or(std::chrono::nanoseconds{0}));
      ++stats_.datagrams_in;
      stats_.bytes_in += size;
      const std::string_view bytes(datagram_buffer_.data() + static_cast<std::size_t>(i) * slot_size_, size);
      if (message_log_) message_log_(false, path, bytes);
      node.on_datagram(now, path, bytes);
    }
  });
  receive_datagram();
}

void NativeRuntime::Impl::watch_interfaces() {
  if (stopped_) return;
  auto current = host_interfaces();
  if (current != interfaces_) {
    interfaces_ = std::move(current);
    deliver([this](Node& node, TimePoint now) { node.on_interfaces(now, interfaces_); });
  }
  interface_timer_.expires_after(config_.interface_poll);
  interface_timer_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
    if (!ec) self->watch_interfaces();
  });
}

void NativeRuntime::Impl::watch_wall_clock() {
  if (stopped_) return;
  const auto steady = SteadyClock::now();
  const auto wall = std::chrono::system_clock::now();
  const auto offset = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()) -
                      std::chrono::duration_cast<std::chrono::nanoseconds>(steady.time_since_epoch());
  if (!wall_offset_ || std::chrono::abs(offset - *wall_offset_) >= std::chrono::seconds(1)) {
    wall_offset_ = offset;
    deliver([offset](Node& node, TimePoint now) {
      node.on_wall_clock(now, now.time_since_epoch() + offset);
    });
  }
  wall_clock_timer_.expires_after(config_.wall_clock_poll);
  wall_clock_timer_.async_wait([self = shared_from_this()](const ErrorCode& ec) {
    if (!ec) self->watch_wall_clock();
  });
}

// --- TCP. ---

void NativeRuntime::Impl::accept_next(bool tls) {
  tcp::acceptor& acceptor = tls ? tls_acceptor_ : acceptor_;
  if (stopped_ || !acceptor.is_open()) return;
  acceptor.async_accept([self = shared_from_this(), tls](const ErrorCode& ec, tcp::socket socket) {
    self->on_accept(tls, ec, std::move(socket));
  });
}

void NativeRuntime::Impl::on_accept(bool tls, const ErrorCode& ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    ++stats_.accept_errors;
    asio::steady_timer& retry = tls ? tls_accept_retry_timer_ : accept_retry_timer_;
    retry.expires_after(kAcceptRetryDelay);
    retry.async_wait([self = shared_from_this(), tls](const ErrorCode& error) {
      if (!error) self->accept_next(tls);
    });
    return;
  }
  accept_next(tls);

  ErrorCode local_ec;
  ErrorCode remote_ec;
  const auto local = socket.local_endpoint(local_ec);
  const auto remote = socket.remote_endpoint(remote_ec);
  if (local_ec || remote_ec) {  // reset before we looked at it
    ++stats_.accept_errors;
    return;
  }
  ErrorCode ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // SIP messages are whole writes
  // A peer that vanished (power cut, NAT dropped) is found out: probes after 60 s of silence.
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  const int idle = 60, interval = 10, count = 3;
  (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);

  RESPROXY_CHECK(next_inbound_id_ < kOutboundStreamBit);
  auto conn = std::make_shared<Connection>(std::move(socket), StreamId{next_inbound_id_++});
  conn->local = to_address(local);
  conn->remote = to_address(remote);
  if (tls) {
    conn->transport = Transport::Tls;
    conn->tls.emplace(conn->socket, *tls_->server());
  }
  // TLS: not connected until the handshake is done (writes wait for it).
  conn->connected = !tls;
  streams_.emplace(conn->id.value, conn);
  ++stats_.streams_accepted;
  // The Node hears of a TLS connection before its handshake, so that its caps and the
  // handshake budget per source (transport_layer.h) close it before any public-key work.
  const Path path = path_of(*conn);
  deliver([&](Node& node, TimePoint now) { node.on_stream_opened(now, path); });
  if (conn->closed || conn->closing) return;
  if (tls) {
    start_handshake(conn, /*outbound=*/false);
  } else {
    start_reading(conn);
  }
}

void NativeRuntime::Impl::start_handshake(const std::shared_ptr<Connection>& conn, bool outbound) {
  auto& stream = *conn->tls;
  if (outbound) {
    SSL* ssl = stream.native_handle();
    const std::string& name = conn->server_name;
    // SNI carries host names only (RFC 6066 §3), never an address literal.
    if (!name.empty() && !parse_ip(name)) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!name.empty() && config_.tls.verify_server) {
      stream.set_verify_mode(asio::ssl::verify_peer);
      // The chain is OpenSSL's (preverified); the name is RFC 5922's, checked on the peer's
      // own certificate (depth 0). The raw pointer: the stream lives inside the connection.
      Connection* c = conn.get();
      stream.set_verify_callback([c](bool preverified, asio::ssl::verify_context& context) {
        if (!preverified) return false;
        X509_STORE_CTX* store = context.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) > 0) return true;
        if (matches_sip_identity(certificate_names(X509_STORE_CTX_get_current_cert(store)),
                                 c->server_name)) {
          return true;
        }
        c->name_error = "certificate name mismatch: it does not name " + c->server_name;
        // The peer is told why (a bad_certificate alert rather than internal_error).
        X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
        return false;
      });
    } else {
      stream.set_verify_mode(asio::ssl::verify_none);
    }
  }
  stream.async_handshake(
      outbound ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
      [self = shared_from_this(), conn, outbound](const ErrorCode& ec) {
        self->on_handshake(conn, outbound, ec);
      });
}

void NativeRuntime::Impl::on_handshake(const std::shared_ptr<Connection>& conn, bool outbound,
                                       const ErrorCode& ec) {
  if (stopped_ || conn->closed) return;
  if (ec) {
    ++stats_.tls_failures;
    if (outbound) ++stats_.connect_failures;
    if (tls_log_) {
      std::string why = conn->name_error;
      if (why.empty()) {
        const long verify = SSL_get_verify_result(conn->tls->native_handle());
        why = verify != X509_V_OK
                  ? std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify)
                  : ec.message();
      }
      tls_log_(conn->remote, outbound, why);
    }
    close_stream(conn, StreamCloseReason::TlsFailed, Notify::Now);
    return;
  }
  ++stats_.tls_handshakes;
  if (outbound) {
    report_connected(conn);
    return;
  }
  conn->connected = true;
  log_queued(*conn);
  start_reading(conn);
  start_writing(conn);  // what the core wrote while the handshake ran
}

void NativeRuntime::Impl::on_connect(const std::shared_ptr<Connection>& conn,
                                     const ErrorCode& ec) {
  if (stopped_ || conn->closed) return;
  if (ec) {
    ++stats_.connect_failures;
    close_stream(conn, StreamCloseReason::ConnectFailed, Notify::Now);
    return;
  }
  ErrorCode local_ec;
  ErrorCode remote_ec;
  const auto local = conn->socket.local_endpoint(local_ec);
  const auto remote = conn->socket.remote_endpoint(remote_ec);
  if (local_ec || remote_ec) {  // reset between connect and now
    ++stats_.connect_failures;
    close_stream(conn, StreamCloseReason::ConnectFailed, Notify::Now);
    return;
  }
  ErrorCode ignored;
  conn->socket.set_option(tcp::no_delay(true), ignored);
  conn->local = to_address(local);
  conn->remote = to_address(remote);
  if (conn->tls) {
    start_handshake(conn, /*outbound=*/true);
    return;
  }
  report_connected(conn);
}

void NativeRuntime::Impl::log_queued(const Connection& conn) {
  if (!message_log_) return;
  for (const auto& chunk : conn.queued) message_log_(true, path_of(conn), chunk);
}

void NativeRuntime::Impl::report_connected(const std::shared_ptr<Connection>& conn) {
  conn->connected = true;
  log_queued(*conn);
  ++stats_.streams_opened;
  const Path path = path_of(*conn);
  deliver([&](Node& node, TimePoint now) { node.on_stream_opened(now, path); });
  start_reading(conn);
  start_writing(conn);  // what the core wrote before the connection was up
}

void NativeRuntime::Impl::start_reading(const std::shared_ptr<Connection>& conn) {
  if (stopped_ || conn->closed || conn->closing || conn->reading) return;
  conn->reading = true;
  read_some(*conn, asio::buffer(conn->read_buffer),
            [self = shared_from_this(), conn](const ErrorCode& ec, std::size_t size) {
              self->on_read(conn, ec, size);
            });
}

void NativeRuntime::Impl::on_read(const std::shared_ptr<Connection>& conn, const ErrorCode& ec,
                                  std::size_t size) {
  conn->reading = false;
  if (stopped_ || conn->closed || conn->closing) return;  // closing: the core wants no more
  if (size > 0) {
    stats_.bytes_in += size;
    const std::string_view bytes(conn->read_buffer.data(), size);
    if (message_log_) {
      message_log_(false, path_of(*conn), bytes);
    }
    deliver([&](Node& node, TimePoint now) { node.on_stream_data(now, conn->id, bytes); });
    if (conn->closed) return;
  }
  if (ec) {
    // A TLS peer that closes without close_notify ends the stream the same way (SIP has its own
    // framing: a truncation attack can only cut a message short, and the framer discards that).
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      close_stream(conn, StreamCloseReason::PeerClosed, Notify::Now);
    } else {
      ++stats_.stream_errors;
      close_stream(conn, StreamCloseReason::Reset, Notify::Now);
    }
    return;
  }
  start_reading(conn);
}

void NativeRuntime::Impl::start_writing(const std::shared_ptr<Connection>& conn) {
  if (stopped_ || conn->closed || !conn->connected || conn->writing || conn->queued.empty()) {
    return;
  }
  conn->writing = true;
  conn->in_flight.swap(conn->queued);  // queued is now empty; in_flight was
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(conn->in_flight.size());
  for (const auto& chunk : conn->in_flight) buffers.push_back(asio::buffer(chunk));
  write_all(*conn, buffers,
            [self = shared_from_this(), conn](const ErrorCode& ec, std::size_t size) {
              self->on_written(conn, ec, size);
            });
}

void NativeRuntime::Impl::on_written(const std::shared_ptr<Connection>& conn, const ErrorCode& ec,
                                     std::size_t size) {
  conn->writing = false;
  const std::size_t done = std::min(conn->queued_bytes, size);
  conn->queued_bytes -= done;
  queued_bytes_total_ -= std::min(queued_bytes_total_, done);
  conn->in_flight.clear();
  stats_.bytes_out += size;
  if (stopped_ || conn->closed) return;
  if (ec) {
    ++stats_.stream_errors;
    // The core is told now unless it already asked to close the stream.
    close_stream(conn, conn->closing ? StreamCloseReason::LocalClose : StreamCloseReason::Reset,
                 Notify::Now);
    return;
  }
  if (!conn->queued.empty()) {
    start_writing(conn);
  } else if (conn->closing) {
    finish_close(conn, Notify::Now);
  }
}

void NativeRuntime::Impl::finish_close(std::shared_ptr<Connection> conn, Notify notify) {
  // Everything is written: send FIN before closing, so the peer reads to the end.
  ErrorCode ignored;
  if (conn->connected) conn->socket.shutdown(tcp::socket::shutdown_send, ignored);
  close_stream(std::move(conn), StreamCloseReason::LocalClose, notify);
}

void NativeRuntime::Impl::close_stream(std::shared_ptr<Connection> conn, StreamCloseReason reason,
                                       Notify notify) {
  if (conn->closed) return;
  conn->closed = true;
  // What it still had queued leaves the budget with it (nothing more will be written).
  queued_bytes_total_ -= std::min(queued_bytes_total_, conn->queued_bytes);
  conn->queued_bytes = 0;
  ErrorCode ignored;
  if (conn->flush_timer) conn->flush_timer->cancel();
  conn->socket.close(ignored);  // pending operations complete with operation_aborted
  const auto it = streams_.find(conn->id.value);
  if (it != streams_.end() && it->second == conn) streams_.erase(it);
  notify_closed(conn->id, reason, notify);
}

void NativeRuntime::Impl::notify_closed(StreamId id, StreamCloseReason reason, Notify notify) {
  const auto input = [id, reason](Node& node, TimePoint now) {
    node.on_stream_closed(now, id, reason);
  };
  switch (notify) {
    case Notify::Now: deliver(input); break;
    case Notify::Later:  // inside pump(): no input may start until it returns
      asio::post(io_, [self = shared_from_this(), input] { self->deliver(input); });
      break;
  }
}

void NativeRuntime::Impl::perform(StoreWrite& effect) {
  // A stalled disk must not stall signalling: the writes waiting for the store (pending and
  // committing) are bounded, and one beyond the bound fails at once (the core answers 500 with
  // Retry-After) instead of queueing without end.
  if (store_ != nullptr &&
      pending_store_ids_.size() + committing_ids_.size() >= config_.store_queue_max) {
    refused_store_ids_.push_back(effect.id);
    ++stats_.store_queue_full;
    return;
  }
  // Collected and committed once at the end of the pump (commit_store): under load several
  // REGISTERs (every datagram of a batch) share one SQLite transaction.
  pending_store_ids_.push_back(effect.id);
  for (auto& record : effect.records) pending_store_.records.push_back(std::move(record));
}

bool NativeRuntime::Impl::commit_store_when_due() {
  bool answered = false;
  if (!refused_store_ids_.empty()) {
    std::vector<std::uint64_t> ids;
    ids.swap(refused_store_ids_);
    stats_.store_failures += ids.size();
    const TimePoint t = now();
    for (const auto id : ids) node_.on_completion(t, StoreDone{id, StoreOutcome::Failed});
    answered = true;
  }
  if (pending_store_ids_.empty()) return answered;
  if (store_ == nullptr) {
    std::vector<std::uint64_t> ids;
    ids.swap(pending_store_ids_);
    pending_store_.records.clear();
    stats_.store_failures += ids.size();
    const TimePoint t = now();
    for (const auto id : ids) node_.on_completion(t, StoreDone{id, StoreOutcome::Failed});
    return true;
  }
  // One commit at a time: what comes meanwhile waits and goes, all of it, into the next one
  // (group commit by the disk's own pace), which on_store_committed starts.
  if (committing_) return answered;
  const auto interval = config_.store_commit_interval;
  const auto steady_now = SteadyClock::now();
  if (interval.count() <= 0 || steady_now - last_commit_ >= interval) {
    last_commit_ = steady_now;
    commit_store();
    return answered;
  }
  if (!store_timer_armed_) {
    store_timer_armed_ = true;
    store_timer_.expires_at(last_commit_ + interval);
    store_timer_.async_wait(
        [self = shared_from_this()](const ErrorCode& ec) { self->on_store_timer(ec); });
  }
  return answered;
}

void NativeRuntime::Impl::on_store_timer(const ErrorCode& ec) {
  store_timer_armed_ = false;
  if (ec || stopped_) return;
  deliver([](Node&, TimePoint) {});  // its pump commits what is pending
}

void NativeRuntime::Impl::commit_store() {
  // On the store thread, as one transaction; the records keep their order, so a later write of
  // a key wins. The Node hears of it (on_store_committed) only then: a REGISTER is answered 200
  // only after its binding is committed.
  committing_ = true;
  committing_ids_.swap(pending_store_ids_);
  StoreWrite batch;
  batch.records.swap(pending_store_.records);
  store_thread_->submit(std::move(batch), [self = shared_from_this()](bool ok) mutable {
    // On the store thread: only post. The reference moves into the handler, so this thread
    // never holds the last one (the runtime is never destroyed here).
    asio::io_context& io = self->io_;
    asio::post(io, [self = std::move(self), ok] { self->on_store_committed(ok); });
  });
}

void NativeRuntime::Impl::on_store_committed(bool ok) {
  committing_ = false;
  std::vector<std::uint64_t> ids;
  ids.swap(committing_ids_);
  if (!ok) stats_.store_failures += ids.size();
  const auto outcome = ok ? StoreOutcome::Ok : StoreOutcome::Failed;
  // In the order they were written; its pump starts the next commit if writes came meanwhile.
  deliver([&ids, outcome](Node& node, TimePoint t) {
    for (const auto id : ids) node.on_completion(t, StoreDone{id, outcome});
  });
}

// --- NativeRuntime. ---

NativeRuntime::NativeRuntime(boost::asio::io_context& io, Node& node, ListenConfig config)
    : impl_(std::make_shared<Impl>(io, node, std::move(config))) {}

NativeRuntime::~NativeRuntime() { impl_->stop(/*notify_node=*/false); }

void NativeRuntime::start() { impl_->start(); }
void NativeRuntime::stop() { impl_->stop(/*notify_node=*/true); }
Address NativeRuntime::local_address() const { return impl_->local_address(); }
Address NativeRuntime::tls_local_address() const { return impl_->tls_local_address(); }
void NativeRuntime::set_tls_log(TlsLog log) { impl_->set_tls_log(std::move(log)); }
TimePoint NativeRuntime::now() const { return Impl::now(); }
void NativeRuntime::inject(std::function<void(Node&, TimePoint)> input) {
  impl_->inject(std::move(input));
}
void NativeRuntime::set_datagram_filter(std::function<bool(const SendDatagram&)> drop_if) {
  impl_->set_datagram_filter(std::move(drop_if));
}
void NativeRuntime::set_store(KeyValueStore* store) { impl_->set_store(store); }
void NativeRuntime::set_message_log(MessageLog log) { impl_->set_message_log(std::move(log)); }
void NativeRuntime::set_command_replies(CommandReplies replies) {
  impl_->set_command_replies(std::move(replies));
}
NativeRuntime::Stats NativeRuntime::stats() const { return impl_->stats(); }

}  // namespace resproxy::native
