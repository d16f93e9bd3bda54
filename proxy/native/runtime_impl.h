#pragma once
// NativeRuntime's inside (runtime.h), shared by its rooms (one .cpp each): runtime.cpp
// (construction, binding, start and stop, inputs and the effect dispatch, the timer, interface and
// wall-clock polling, the public NativeRuntime), runtime_udp.cpp (datagrams: batched receive,
// receive delay, sends), runtime_streams.cpp (TCP and TLS: accept, connect, handshake, reading,
// write queues and budgets, closing), runtime_store.cpp (the store commit pipeline) and
// runtime_media.cpp (the relay's ports: receive, on_media_packet, forward). Private to them:
// nothing else includes it.
#include "proxy/native/runtime.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "proxy/base/check.h"
#include "proxy/native/dns_thread.h"
#include "proxy/native/owned_fd.h"
#include "proxy/native/store_thread.h"

namespace resproxy::native {

// What Impl is made of and the helpers more than one room uses. A named namespace, not an
// anonymous one: Impl (a class with linkage) holds these types, and a header's anonymous
// namespace would give each room its own. The using-directive below brings them into scope for
// the rooms, the only files that include this header.
namespace runtime_detail {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

inline constexpr std::size_t kReadChunk = 16 * 1024;
// Datagrams taken from the socket into one Node input when they are already queued (load).
inline constexpr int kDatagramBatch = 32;

inline TimePoint to_core(SteadyClock::time_point t) {
  return TimePoint{std::chrono::duration_cast<Duration>(t.time_since_epoch())};
}

inline SteadyClock::time_point to_steady(TimePoint t) {
  return SteadyClock::time_point{
      std::chrono::duration_cast<SteadyClock::duration>(t.time_since_epoch())};
}

// IPv4-mapped IPv6 peers (a dual-stack "::" listener) are shown to the core as IPv4.
inline Address to_address(const asio::ip::address& ip, std::uint16_t port) {
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return Address{asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6()).to_string(), port};
  }
  return Address{ip.to_string(), port};
}
template <typename Endpoint>
Address to_address(const Endpoint& endpoint) {
  return to_address(endpoint.address(), endpoint.port());
}

inline std::optional<asio::ip::address> parse_ip(const std::string& text) {
  ErrorCode ec;
  auto ip = asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return ip;
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

// DiffServ code points (RFC 4594): SIP is signalling (CS3); the relay's RTP goes out with the
// code point its OpenMediaPort names (EF by default).
inline constexpr std::uint8_t kSipDscp = 24;

// Marks what `fd` sends with `dscp` (RFC 2474: the upper six bits of the IPv4 TOS / IPv6
// traffic-class byte; ECN's two bits zero, which TCP's kernel then manages itself). An IPv6
// socket gets IP_TOS as well: a dual-stack one sends IPv4 too. Best effort: a refusal costs
// only the marking, never the socket, so errors are ignored.
inline void set_dscp(int fd, bool v6, std::uint8_t dscp) {
  const int tos = (dscp & 0x3f) << 2;
  (void)::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
  if (v6) (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
}

// The relay's data path (runtime_media.cpp). The media ports are in an epoll set of their own,
// each registered once (edge-triggered) when it opens; the io thread waits on that set's fd
// (one wait for every port, not one per port per wake-up) and, when it is readable, takes up to
// kMediaEvents ready ports from it. A ready port is read in batches of kMediaBatch datagrams, at
// most kMediaBatchesPerWake of them: one busy port then waits behind every other socket that
// became readable meanwhile (the other ports, SIP) instead of keeping the io thread to itself.
// Edge-triggered, a port is reported once per arrival, not again while its queue is empty:
// a batch shorter than kMediaBatch drained it; one that stopped at the bound goes on the
// backlog, read again at the next wake-up, which then does not block. (Level-triggered, the
// kernel polled every reported socket a second time to find it empty: perf put those polls,
// each a cache miss on a cold socket, at 6 % of the relay's CPU.) RTP fits an Ethernet frame; a larger
// datagram is truncated by the kernel and dropped.
inline constexpr std::size_t kMediaBatch = 32;
inline constexpr std::size_t kMediaEvents = 256;
inline constexpr int kMediaBatchesPerWake = 4;
inline constexpr std::size_t kMediaDatagramMax = 2048;

// One socket of the relay (OpenMediaPort), shared with its pending wait and with the forwards
// of the batch being handled: CloseMediaPort may come in the middle of either.
//
// Its descriptor is the port's own, not an asio socket's: asio registers every socket it opens
// in its reactor's epoll set, and a media port there cost each datagram a second wake-up
// callback (the reactor's set, besides the media set), and io.poll() a poll of every port that
// had received since — perf put the two at about 4 % of the relay's CPU. perform(OpenMediaPort)
// opens and sets up the socket with system calls of its own.
struct MediaPort : std::enable_shared_from_this<MediaPort> {
  MediaPort(int descriptor, Address l, bool is_v6) : local(std::move(l)), fd(descriptor), v6(is_v6) {}

  // What a datagram arriving on the port reads and writes, first: its lines are the ones
  // prefetched (handle_media_events), up to `senders`. A forward reads only the port it arrived
  // on: the port it leaves from is named here by its descriptor and address, so its object —
  // cold, scattered over the heap like every port — is not touched per packet (perf: reading
  // it was most of queue_media_send, a cache miss per packet the prefetch came too late for).
  Address local;  // as the core named it: the table's key and what on_media_packet is told
  OwnedFd fd;     // the socket, closed with the port (the media set drops it then)
  bool v6;
  bool closed = false;  // out of the table; its wait and queued forwards do nothing
  bool uring_armed = false;  // io_uring: a multishot recvmsg of its own is in the ring
  // The last source: a relay leg talks to one peer, and formatting an address costs more than
  // moving the packet.
  udp::endpoint last_source;
  Address last_source_address;
  // The port its datagrams last left from (the other leg of its call), found without the
  // table: valid while set, since closing a port clears it in every port that names it
  // (`senders`). Not dereferenced per packet: its descriptor and address are copied.
  MediaPort* out = nullptr;
  int out_fd = -1;
  Address out_local;
  // Where its datagrams last went, parsed (cleared when `out` changes: checked against its
  // family again).
  Address last_to;
  udp::endpoint last_to_endpoint;

  // Cold.
  std::vector<MediaPort*> senders;  // the ports whose `out` is this one (usually one)
};

// When the Node hears of a closed stream: at once (from a completion handler) or on the next
// io_context turn (from inside pump(), where no input may start).
enum class Notify { Now, Later };

}  // namespace runtime_detail

using namespace runtime_detail;

class NativeRuntime::Impl : public std::enable_shared_from_this<NativeRuntime::Impl> {
 public:
  Impl(asio::io_context& io, Node& node, ListenConfig config);

  void start();
  void stop(bool notify_node);
  void inject(std::function<void(Node&, TimePoint)> input);
  // NativeRuntime::run (runtime_media.cpp).
  void run();
  // Queues `handler` on the io_context, from any thread, and wakes run()'s wait for it.
  template <typename Handler>
  void post(Handler&& handler) {
    asio::post(io_, std::forward<Handler>(handler));
    wake_loop();
  }

  Address local_address() const { return local_; }
  Address tls_local_address() const { return tls_local_; }
  void set_tls_log(TlsLog log) { tls_log_ = std::move(log); }
  Stats stats() const;
  void set_datagram_filter(std::function<bool(const SendDatagram&)> drop_if) {
    drop_if_ = std::move(drop_if);
  }
  void set_datagram_sender(DatagramSender send) { datagram_sender_ = std::move(send); }
  void set_store(KeyValueStore* store);
  void set_message_log(MessageLog log) { message_log_ = std::move(log); }
  void set_command_replies(CommandReplies replies) { command_replies_ = std::move(replies); }
  void set_name_resolver(DnsThread* dns) { dns_ = dns; }
  void set_card_host(CardHost* host) { card_host_ = host; }
  bool card_host_input(const std::function<void(TimePoint)>& input) {
    if (card_host_ == nullptr || stopped_) return false;
    input(now());
    after_card_input();
    return true;
  }
  void set_media_bridges(MediaBridges* bridges) { media_bridges_ = bridges; }

  static TimePoint now() { return to_core(SteadyClock::now()); }
  // NativeRuntime::media_io_uring_usable (runtime_uring.cpp).
  static bool uring_usable(std::string& why);

 private:
  // Inputs: one Node input, then drain effects and re-arm the timer.
  template <typename Input>
  void deliver(Input&& input);
  // The same at a time read before (no other input since): the packets of one recvmmsg batch
  // share one clock read.
  template <typename Input>
  void deliver_at(TimePoint at, Input&& input);
  void pump();
  void rearm_timer();
  void on_timer(const ErrorCode& ec, std::uint64_t generation);

  // Effects.
  void perform(SendDatagram& effect);
  void perform(OpenStream& effect);
  void perform(WriteStream& effect);
  void perform(CloseStream& effect);
  void perform(StoreWrite& effect);
  void perform(CommandReply& effect);
  void perform(ResolveName& effect);
  void perform(gateway::ToCard& effect);
  // The media relay's sockets (runtime_media.cpp).
  void perform(OpenMediaPort& effect);
  void perform(CloseMediaPort& effect);
  void media_port_failed(Address local, std::string error);
  // Creates the media epoll set (at the first port, or when run() starts); false if it cannot.
  bool open_media_epoll(std::string& error);
  // Has `port` watched by the data path in use: its receive in the io_uring ring under run() on
  // io_uring, else its registration in the epoll set (made with the first port). False with
  // `error`.
  bool watch_media_port(MediaPort& port, std::string& error);
  // Waits for the media epoll set to have a ready port; then on_media_ready. Not under run(),
  // which waits on the set itself.
  void wait_media();
  void on_media_ready(const ErrorCode& ec);
  // The ports of the first `n` media_events_, then the backlog's: drained in turn.
  void handle_media_events(int n);
  // Wakes run()'s epoll_wait (the eventfd in the media set); nothing when run() is not running.
  // Thread-safe.
  void wake_loop();
  // Reads and forwards up to kMediaBatchesPerWake batches from one ready port; true when it
  // stopped at that bound (datagrams may be left: the port goes on the backlog).
  bool drain_media(MediaPort& port);
  // Under io.run(): the backlog is read in a handler of its own, after what else is queued.
  void post_media_backlog();
  // One recvmmsg on `port` into media_in_: how many (-1 with errno).
  int receive_media_batch(MediaPort& port);
  // The datagram in `m` (its SO_TIMESTAMPNS) waited longer than media_max_age before `read_at`
  // (the wall clock at the batch's read).
  [[nodiscard]] bool too_old(const msghdr& m, std::chrono::nanoseconds read_at) const;
  // Asks the CPU for the lines of `port` a datagram uses (up to `senders`): a wake-up's ports
  // are cold, and their misses overlap when asked for at once.
  static void prefetch_port(const MediaPort& port);
  // One datagram that arrived on `port` from `from` (a sockaddr of `from_size` bytes), on either
  // data path: its source remembered, one Node input at `at`, and the forward the node asks for
  // queued from buffer `slot`.
  void relay_datagram(MediaPort& port, const void* from, std::size_t from_size, std::string_view bytes,
                      std::size_t slot, TimePoint at);
  // Queues the forward of datagram `slot` (its bytes) as the node asked, for send_media().
  void queue_media_send(MediaPort& in, const MediaSend& send, std::size_t slot, std::size_t size);
  // Sends the queued forwards: one sendmmsg per run of forwards leaving from the same socket.
  // At the end of each batch, and before a CloseMediaPort: a forward the node asked for before
  // closing the socket leaves as if it had been sent at once.
  void send_media();
  void close_media_ports();
  // run()'s turns of Asio, on either data path: Asio's own work (io.poll()) when one of its keys
  // was ready, the Node's deadline came or kLoopPollMax passed since the last turn.
  static constexpr auto kLoopPollMax = std::chrono::milliseconds(20);
  struct LoopTurn {
    SteadyClock::time_point last_poll;
    bool asio_ready = true;
  };
  // Takes Asio's turn if it is due; returns the time now.
  SteadyClock::time_point loop_asio_turn(LoopTurn& turn, int wake);
  // How long the loop may wait: until the Node's deadline (whole milliseconds, rounded up), at
  // most kLoopPollMax after Asio's last turn.
  [[nodiscard]] std::chrono::milliseconds loop_wait(const LoopTurn& turn, SteadyClock::time_point now) const;
  [[nodiscard]] bool loop_ended() const;
  // false: the set refused the loop's keys, and io.run() served everything instead.
  bool run_epoll(int wake);
  // run() on io_uring (runtime_uring.cpp): sets the ring up and moves the open ports onto it
  // (false: refused, nothing changed); the loop; and back to the epoll set for what follows.
  bool uring_start(int wake);
  void run_uring(int wake);
  void uring_stop();
  // A port's multishot recvmsg into the ring's buffers; at its close, its cancel (the port kept
  // until its last completion) after the forwards queued so far are submitted.
  void uring_arm(MediaPort& port);
  void uring_release(MediaPort& port);
  // The queued forwards (media_forwards_) as sendmsg requests, each from its datagram's buffer.
  void uring_queue_sends();
  // A forward's send completed with `result` (a byte count, or -errno): counted.
  void count_send(int result);
  // The completions of one wake-up.
  void uring_completions(LoopTurn& turn);
  // The card host: after each of its inputs, post its events (each a Node input of its own) and
  // re-arm its timer on its next deadline.
  void after_card_input();
  void rearm_card_timer();
  void on_card_timer(const ErrorCode& ec, std::uint64_t generation);
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

  // The relay's ports by the address the core named, and the one batch being handled (the io
  // thread reads one port at a time): datagrams received, then the forwards the node asked for.
  std::map<Address, std::shared_ptr<MediaPort>> media_ports_;
  // The epoll set of the media ports (created with the first port), and the io_context's wait
  // on it.
  std::unique_ptr<asio::posix::stream_descriptor> media_epoll_;
  bool media_waiting_ = false;
  // run(): the io thread waits on the media set itself, which then also holds the SIP/ng UDP
  // socket and an eventfd that post() writes (keys below, never a port's id). The eventfd is
  // made by the first run() and kept until the runtime ends: a thread that read loop_wake_fd_
  // just before run() returned writes to it, never to a descriptor number reused meanwhile.
  bool media_direct_ = false;
  std::optional<OwnedFd> loop_wake_;
  std::atomic<int> loop_wake_fd_{-1};
  static constexpr std::uint64_t kLoopKeyAsio = 0;  // a port's key is its address, never 0
  std::array<epoll_event, kMediaEvents> media_events_{};
  bool in_media_events_ = false;  // handle_media_events() is running
  // The Node's time for the datagrams being read: read at a wake-up's first batch and again
  // after every kMediaClockDatagrams datagrams, not per batch — at 50k packets/s over 1,000
  // ports a batch is one or two datagrams, and the clock reads were 0.7 % of the relay's CPU.
  // (The age bound reads a clock of its own per batch: drain_media.)
  static constexpr std::size_t kMediaClockDatagrams = 64;
  struct MediaClock {
    TimePoint now{};
    std::size_t datagrams = kMediaClockDatagrams;  // read since; at the bound: read again
  };
  MediaClock media_clock_;
  // pump() leaves the timer to the end of handle_media_events(): the node's deadline is looked
  // at once per wake-up, not once per datagram; nothing waits on it in between.
  bool rearm_deferred_ = false;
  std::vector<std::shared_ptr<MediaPort>> media_closed_;  // closed during it: freed at its end
  // Ports left with datagrams by the per-wake bound (edge-triggered: not reported again).
  std::vector<std::shared_ptr<MediaPort>> media_backlog_;
  std::vector<std::shared_ptr<MediaPort>> media_backlog_now_;  // the one being read (reused)
  bool media_backlog_posted_ = false;
  std::vector<char> media_buffer_;  // kMediaBatch slots of kMediaDatagramMax; on first open
  std::array<sockaddr_storage, kMediaBatch> media_from_{};
  std::array<iovec, kMediaBatch> media_iov_{};
  std::array<mmsghdr, kMediaBatch> media_in_{};
  // Each datagram's kernel receive time (SO_TIMESTAMPNS), for the age bound (media_max_age).
  struct MediaControl {
    alignas(cmsghdr) char bytes[CMSG_SPACE(sizeof(timespec))]{};
  };
  std::array<MediaControl, kMediaBatch> media_control_{};
  std::size_t media_in_used_ = kMediaBatch;  // headers of media_in_ to set before the next read
  // Queued and sent within one drain_media() batch, so the descriptor is open when it is used:
  // a port's close first sends what is queued (perform(CloseMediaPort)), and closing every port
  // drops it (close_media_ports).
  struct MediaForward {
    int fd = -1;  // of the port it leaves from
    udp::endpoint to;
    std::size_t slot = 0;
    std::size_t size = 0;
  };
  std::vector<MediaForward> media_forwards_;
  std::array<iovec, kMediaBatch> media_out_iov_{};
  std::array<mmsghdr, kMediaBatch> media_out_{};
  // run() on io_uring (runtime_uring.cpp): the ring, its buffers and the ports closed while
  // their receive was still in it. Only while run() is on it.
  struct MediaUring;
  struct MediaUringDelete {
    void operator()(MediaUring* uring) const;
  };
  std::unique_ptr<MediaUring, MediaUringDelete> uring_;

  std::map<std::uint64_t, std::shared_ptr<Connection>> streams_;
  std::uint64_t next_inbound_id_ = 1;

  std::function<bool(const SendDatagram&)> drop_if_;
  DatagramSender datagram_sender_;  // set_datagram_sender; none: the UDP socket
  MessageLog message_log_;
  CommandReplies command_replies_;
  DnsThread* dns_ = nullptr;  // set_name_resolver; none: ResolveName answered Unsupported
  CardHost* card_host_ = nullptr;  // set_card_host; none: ToCard answered per no_card_answer
  MediaBridges* media_bridges_ = nullptr;  // set_media_bridges; none: MediaBridge to the card host
  asio::steady_timer card_timer_;  // the card host's next deadline
  std::optional<TimePoint> card_armed_;
  std::uint64_t card_timer_generation_ = 0;
  Stats stats_;

  bool started_ = false;
  bool stopped_ = false;
  bool in_input_ = false;
  std::optional<TimePoint> armed_;     // the deadline the timer waits for, if it waits
  std::uint64_t timer_generation_ = 0;  // stale expiries compare unequal
};

// --- Inputs (defined here: every room delivers inputs). ---

template <typename Input>
void NativeRuntime::Impl::deliver(Input&& input) {
  deliver_at(now(), std::forward<Input>(input));
}

template <typename Input>
void NativeRuntime::Impl::deliver_at(TimePoint at, Input&& input) {
  if (stopped_) return;
  // Inputs come only from completion handlers, which asio never nests; effects that fail
  // synchronously post their input instead of delivering it inside pump().
  RESPROXY_CHECK(!in_input_);
  struct Guard {
    bool& flag;
    ~Guard() { flag = false; }
  } guard{in_input_};
  in_input_ = true;
  input(node_, at);
  pump();
}

}  // namespace resproxy::native
