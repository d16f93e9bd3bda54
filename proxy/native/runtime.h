#pragma once
// NativeRuntime: hosts one sans-I/O Node (proxy/base/node.h) on real sockets and the steady
// clock, with Boost.Asio (ARCHITECTURE.md, STYLE.md §3). It translates and never decides: every
// socket event becomes one Node input carrying `now`; after every input it drains the Node's
// effects and re-arms one timer on next_deadline().
//
//   * UDP and TCP listen on the same address and port (RFC 3261 §18: a SIP server listens on
//     both). Port 0 picks an ephemeral UDP port and binds TCP to the same number.
//   * Symmetric signalling: datagrams leave from the listening UDP socket, so replies and NAT
//     bindings see the port the peer sent to.
//   * TCP: accepted connections are numbered 1, 2, … (never with kOutboundStreamBit); the core
//     opens its own with OpenStream and ids carrying kOutboundStreamBit. Connections stay open
//     until the peer or the core closes them: idle policy is the core's.
//   * Core time is std::chrono::steady_clock's time since its epoch, in nanoseconds.
//
// Threading: single-threaded like the Node. Call everything except inject() and now() from the
// thread that runs the io_context (or before it runs). The one other thread is the store's
// (store_thread.h): StoreWrite effects are committed there, and their outcomes come back to the
// io thread as StoreDone completions, in the order the writes were made. The io_context must outlive the runtime,
// and the Node must outlive it as well.
#include <cstddef>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/time.h"
#include "proxy/native/card_host.h"
#include "proxy/native/store.h"
#include "proxy/native/tls.h"

namespace resproxy::native {

struct ListenConfig {
  std::string ip = "127.0.0.1";  // IPv4 or IPv6, never bracketed; "0.0.0.0" / "::" = any
  std::uint16_t port = 0;        // 0: an ephemeral port, the same for UDP and TCP
  bool udp = true;
  bool tcp = true;
  // Largest datagram delivered to the core; larger ones are dropped and counted.
  std::size_t max_datagram = 65535;
  // Group commit of the store: at most one commit per interval. A write that comes after a
  // quiet interval is committed at once (no added latency); under load the writes of an
  // interval share one SQLite transaction, and their answers (a REGISTER's 200) wait for it,
  // at most this long. Zero: every pump commits what it wrote. Commits run on the store
  // thread, one at a time: the writes that come while one is in progress go into the next.
  std::chrono::microseconds store_commit_interval{0};
  // Writes waiting for the store (queued and committing) at most; a StoreWrite beyond it fails
  // at once (the core answers 500 with Retry-After): a stalled disk never holds up signalling
  // and never grows a queue without end.
  std::size_t store_queue_max = 1000;
  // Tell the core the host's interfaces (host_interfaces()) at start and when they change, this
  // often checked; zero: never (the core then trusts by address ranges alone).
  std::chrono::milliseconds interface_poll{std::chrono::seconds(5)};
  // Tell the core the wall clock at start and whenever it moved a second or more against the
  // steady clock (an NTP step), this often checked; zero: never.
  std::chrono::milliseconds wall_clock_poll{std::chrono::seconds(2)};
  // Write-queue budgets: bytes queued toward one stream, and toward all together; a write that
  // would pass either resets its stream (a peer that does not read).
  std::size_t max_queued_bytes_per_stream = 1 << 20;
  std::size_t max_queued_bytes_total = 32 << 20;
  // SO_RCVBUF of each media relay port (OpenMediaPort); zero: the kernel's default. A port
  // carries a call leg or two, and a packet queued behind seconds of others is useless to RTP:
  // the default suits; tests that queue thousands at once ask for more.
  std::size_t media_receive_buffer = 0;
  // Overload without a cliff: a media datagram that waited in its socket's receive queue longer
  // than this (its kernel receive timestamp against the wall clock) is read and discarded, not
  // forwarded. A relay pushed past what its core can forward then still drains every socket at
  // the cheaper cost of a read, its queues stop growing, and what it forwards is at most this
  // late — every stream keeps flowing with bounded delay, instead of all of them drowning in
  // seconds of backlog. RTP later than a jitter buffer's depth is useless anyway. Zero: off.
  std::chrono::milliseconds media_max_age{50};
  // How run() waits on and moves the relay's datagrams (runtime_media.cpp, runtime_uring.cpp).
  // Auto: io_uring where the kernel allows it (Linux >= 6.0, not refused by a seccomp profile
  // or kernel.io_uring_disabled), else epoll. IoUring: the same, for a caller that checked
  // media_io_uring_usable() first. Epoll: recvmmsg/sendmmsg on an epoll set. io.run() (resproxy's
  // built-in relay) always uses epoll.
  enum class MediaIo { Auto, Epoll, IoUring };
  MediaIo media_io = MediaIo::Auto;
  // TLS (tls.h): a listener on tls.port when tls.listen, and outbound TLS streams for every
  // OpenStream that asks for one. The contexts are built at start(), which throws on a
  // certificate, key or CA file it cannot use.
  TlsSettings tls{};
};

class DnsThread;
class MediaBridges;

class NativeRuntime {
 public:
  // Counters for the management API and tests; never reset.
  struct Stats {
    std::uint64_t datagrams_in = 0;
    std::uint64_t datagrams_out = 0;
    std::uint64_t datagrams_dropped = 0;  // by the datagram filter (a simulated lossy link)
    std::uint64_t datagram_errors = 0;    // send or receive failures, oversize datagrams
    std::uint64_t streams_accepted = 0;
    std::uint64_t streams_opened = 0;     // OpenStream effects that connected
    std::uint64_t connect_failures = 0;
    std::uint64_t stream_errors = 0;      // resets, read and write errors, write queue overflow
    std::uint64_t write_budget_exceeded = 0;  // streams reset for the write-queue budgets
    std::uint64_t stream_writes_dropped = 0;  // WriteStream to a stream that is closed or closing
    std::uint64_t accept_errors = 0;
    std::uint64_t store_failures = 0;     // StoreWrite not applied (no store, the store failed,
                                          // or the queue was full)
    std::uint64_t store_queue_full = 0;   // StoreWrite refused at once: store_queue_max waiting
    std::uint64_t store_queue_depth = 0;  // gauge: writes waiting for the store or committing
    std::uint64_t effects_rejected = 0;   // core bugs: OpenStream with an id in use or inbound
    std::uint64_t bytes_in = 0;           // UDP and TCP payload bytes
    std::uint64_t bytes_out = 0;
    std::uint64_t tls_handshakes = 0;     // completed, both ways
    std::uint64_t tls_failures = 0;       // handshakes that failed (a refused certificate, …)
    std::uint64_t card_commands = 0;      // ToCard effects handed to the card host
    std::uint64_t card_events = 0;        // FromCard events of the card host given to the Node
    // The media data path (set_media_bridges), from MediaBridges::totals(): zero without one.
    std::uint64_t media_commands = 0;     // MediaBridge commands taken by the data path
    std::uint64_t media_bridges_open = 0; // gauge
    std::uint64_t media_bridges_refused = 0;
    std::uint64_t rtp_rx = 0;             // RTP packets received from the bridged remotes
    std::uint64_t rtp_tx = 0;             // RTP packets sent to them
    std::uint64_t rtp_rx_errors = 0;      // datagrams that were not RTP, or from a stranger
    std::uint64_t rtp_concealed = 0;      // frames played to the lines as concealment
    std::uint64_t rtp_late = 0;
    std::uint64_t rtp_slips = 0;
    std::uint64_t rtp_lost = 0;           // frames concealed because their packet never came
    std::uint64_t rtp_tx_errors = 0;      // sends that failed (socket buffer full, no route)
    std::uint64_t dtmf_rx = 0;            // RFC 4733 digits received and played to the lines
    std::uint64_t dtmf_tx = 0;            // digits heard on the lines, sent as RFC 4733
    std::uint64_t dtmf_dropped = 0;       // received digits not played: too many waiting
    // The media relay's ports (OpenMediaPort): datagrams handed to on_media_packet and the
    // forwards it asked for.
    std::uint64_t media_ports_open = 0;     // gauge
    std::uint64_t media_port_failures = 0;  // OpenMediaPort answered MediaPortFailed
    std::uint64_t media_packets_in = 0;
    std::uint64_t media_packets_out = 0;
    // Forwards not sent: the socket's buffer was full (RTP is never queued: a late packet is a
    // lost one), the send failed, or the node named a socket or address we do not have.
    std::uint64_t media_send_dropped = 0;
    std::uint64_t media_receive_errors = 0;  // datagrams over 2048 bytes (dropped), read errors
    // Discarded unforwarded: older than media_max_age when read (the relay was overloaded).
    std::uint64_t media_stale_dropped = 0;
    // Gauge: 1 while run() relays on io_uring, 0 on epoll (or not in run()).
    std::uint64_t media_io_uring = 0;
  };

  NativeRuntime(boost::asio::io_context& io, Node& node, ListenConfig config);
  // Closes everything without calling the Node (it may already be gone); see stop().
  ~NativeRuntime();
  NativeRuntime(const NativeRuntime&) = delete;
  NativeRuntime& operator=(const NativeRuntime&) = delete;

  // Binds the listening sockets and starts receiving; then gives the Node a first chance to
  // emit effects and a deadline. Throws std::runtime_error naming the address, the port, the
  // transport and the OS error if a socket cannot be bound (start-up errors are fatal).
  void start();

  // Closes the listening sockets and the timer; closes every stream and reports each to the
  // Node as on_stream_closed(LocalClose) (effects it emits in answer are discarded). After
  // stop() the Node gets no more inputs. Idempotent.
  void stop();

  // The bound address (port resolved when 0 was asked); valid after start().
  [[nodiscard]] Address local_address() const;
  // The bound TLS address; port 0 when not listening for TLS.
  [[nodiscard]] Address tls_local_address() const;

  // Core time now: steady_clock since its epoch. Thread-safe.
  [[nodiscard]] TimePoint now() const;

  // Runs the io_context on this thread until it is stopped, as io.run() would, but waits on the
  // media relay's ports itself: on io_uring (ListenConfig::media_io; runtime_uring.cpp) one
  // io_uring_enter per wake-up and no system call per datagram, else on their epoll set, one
  // epoll_wait instead of Asio's wait and re-arm on top of it (runtime_media.cpp). For an
  // io_context run by this one thread only.
  // The runtime's timers, its UDP socket and whatever is posted to it run as under io.run(); an
  // io_context object of someone else's that it shares (a signal set) is served at least every
  // 20 ms. Call after start().
  void run();

  // Whether run() can relay on io_uring here: this build has it (liburing) and the kernel sets
  // up a ring that does all the data path needs (a multishot recvmsg into provided buffers,
  // proven with one datagram on loopback). False with the reason in `why` (e.g.
  // "io_uring_setup: Operation not permitted" under a seccomp profile that refuses it).
  static bool media_io_uring_usable(std::string& why);

  // Runs `input` on the io_context's thread as one more Node input, then drains effects and
  // re-arms the timer (management commands, tests). Thread-safe. Ignored after stop().
  void inject(std::function<void(Node&, TimePoint)> input);

  // Fault injection for demos and tests: a datagram for which drop_if returns true is not sent,
  // as if lost on the link, and counted in datagrams_dropped. Empty function: drop nothing.
  void set_datagram_filter(std::function<bool(const SendDatagram&)> drop_if);

  // Where SendDatagram effects go instead of the runtime's UDP socket, for a runtime that shares
  // a control socket someone else owns and reads (a shard of resproxy-media: media_shards.h,
  // whose datagrams come in through inject()). With one set, the ListenConfig may enable neither
  // UDP nor TCP: start() then binds no listening socket, and local_address() is the config's ip
  // and port as given. Called on the io thread, after the datagram filter and the message log;
  // the datagram counts as sent. Set before start(). Empty function: the UDP socket.
  using DatagramSender = std::function<void(const SendDatagram&)>;
  void set_datagram_sender(DatagramSender send);

  // Observes every SIP byte in and out, for the daemon's SIP message log: each datagram
  // received and sent (after the datagram filter), each chunk read from a stream and each
  // WriteStream queued on one. Stream chunks are as they came or went, not framed into
  // messages. Called on the io thread, synchronously: keep it cheap. Empty function: off.
  using MessageLog = std::function<void(bool outbound, const Path& path, std::string_view bytes)>;
  void set_message_log(MessageLog log);
  // Where the Node's CommandReply effects go (the control socket; AdminCommands reach the Node
  // through inject()). Called on the io thread while effects are drained. Empty: dropped.
  using CommandReplies = std::function<void(CommandReply)>;
  void set_command_replies(CommandReplies replies);
  // Where the Node's ResolveName effects are looked up (a thread of the daemon's); it must
  // outlive the runtime's run. None: each is answered NameResolved{Unsupported}.
  void set_name_resolver(DnsThread* dns);

  // Told of every failed TLS handshake (on the io thread): the peer, which way, and OpenSSL's
  // or the name check's reason ("certificate verify failed: certificate has expired",
  // "certificate name mismatch: expected itsp.example"). Empty function: off.
  using TlsLog = std::function<void(const Address& remote, bool outbound, std::string_view why)>;
  void set_tls_log(TlsLog log);

  // The durable table StoreWrite effects go to; must outlive the runtime. From here on the
  // runtime's store thread uses it, and nothing else may until the runtime is stopped or
  // destroyed (stop() applies the writes already handed to that thread, then joins it).
  // Without one every StoreWrite fails.
  void set_store(KeyValueStore* store);

  // The telephony cards the Node's gateway::ToCard effects go to (card_host.h); must outlive the
  // runtime; set before start(). The runtime starts the host at start(), arms one timer of its
  // own on the host's next_deadline(), and gives the Node every event the host emits as a
  // completion input of its own, in order. None: every ToCard is answered per the "no card"
  // contract (gateway::no_card_answer: a PlaceCall is released with 38).
  void set_card_host(CardHost* host);
  // An input to the card host from outside the runtime — the operator's `pstn call` making the
  // emulated exchange originate (gateway_service.h) — run now, on the io_context's thread, with
  // the runtime's `now`; then, as after every input of the host's, its events are posted to the
  // Node and its timer re-armed. Without this the events the input caused would wait for the
  // host's next timer or command. False (and `input` not run) without a card host or after
  // stop(). Call on the io_context's thread only.
  bool card_host_input(const std::function<void(TimePoint now)>& input);
  // The data path of the gateway's media (media_bridge.h); must outlive the runtime's run. When
  // set, every gateway::MediaBridge effect goes to it instead of the card host (a card has no
  // audio of its own: the runtime moves the frames), and each CallReleased event of the card
  // host closes that call's bridge before the Node hears of it — the card contract's "every
  // call ends with one CallReleased" is the one end signal that cannot be missed. None:
  // MediaBridge goes to the card host like every other command.
  void set_media_bridges(MediaBridges* bridges);
  [[nodiscard]] Stats stats() const;

 private:
  class Impl;
  // Shared with the pending asynchronous operations, which may outlive this object by a few
  // io_context turns; they see the runtime stopped and do nothing.
  std::shared_ptr<Impl> impl_;
};

}  // namespace resproxy::native
