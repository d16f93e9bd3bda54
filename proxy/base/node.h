#pragma once
// The runtime contract (ARCHITECTURE.md "The one rule"). A Node is one sans-I/O core instance
// (a proxy, a registrar, a simulated phone, a probe). A runtime — Boost.Asio natively,
// ns3::Simulator in simulation, a hand-stepped clock in tests — feeds it inputs that carry
// `now`, performs the effects it drains, and arms one timer for next_deadline().
//
// Contract for runtimes:
//   * `now` never decreases from one input to the next;
//   * after every input, drain next_effect() until empty, then re-arm the timer on
//     next_deadline() (none: disarm);
//   * call on_deadline(now) once now >= next_deadline();
//   * single-threaded: never two inputs at once.
// Every input, whatever its kind, first runs the timers due at its `now` and then acts
// (SipNode's one input path), so the order of a deadline and an input at the same instant is
// the same in every runtime.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proxy/base/admin.h"
#include "proxy/base/net.h"
#include "proxy/base/time.h"
// The telephony-card vocabulary (header-only types) is part of the contract: card commands are
// effects, card events completions (proxy/gateway/card.h; ARCHITECTURE.md "gateway").
#include "proxy/gateway/card.h"

namespace resproxy {

// --- Effects: what the outside world must do for the core. ---

// Send one datagram from `local` (the listening socket: symmetric signalling) to `remote`.
struct SendDatagram {
  Address local;
  Address remote;
  std::string bytes;
};
// Open a TCP connection from our listening address to `remote`; the id has kOutboundStreamBit.
// Writes to it may follow at once: the runtime queues them until the connection is up.
// On failure the runtime reports on_stream_closed(id, ConnectFailed).
// TLS: the runtime connects, then does the handshake; on_stream_opened comes after it. With a
// `server_name` the runtime sends it as SNI (a host name) and refuses a peer whose certificate
// does not chain to its CAs or does not carry that name (RFC 5922 §7: a DNS name exactly, or an
// IP address): on_stream_closed(id, TlsFailed). Without one it encrypts without verifying. A
// runtime that has no TLS (ns-3) answers on_stream_closed(id, Unsupported).
struct OpenStream {
  StreamId stream;
  Address local;
  Address remote;
  Transport transport = Transport::Tcp;  // Tcp or Tls
  std::string server_name{};
};
struct WriteStream {
  StreamId stream;
  std::string bytes;
};
struct CloseStream {
  StreamId stream;
};

// Durable storage is a key-value table the runtime keeps for the core (SQLite natively, memory
// in ns-3). A StoreWrite is applied atomically — every record or none — and answered with
// a StoreDone completion. The core acts on a write (e.g. answers a REGISTER 200) only after
// that answer, so an acknowledged change survives a crash. The records a runtime loaded at
// start-up reach the core through its constructor.
struct StoreRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt: delete the key
  friend bool operator==(const StoreRecord&, const StoreRecord&) = default;
};
struct StoreWrite {
  std::uint64_t id = 0;
  std::vector<StoreRecord> records;
};
enum class StoreOutcome : std::uint8_t { Ok, Failed };

// Look up a host name: its addresses (A and AAAA records), or its SRV records (RFC 2782; the
// name is the whole owner, e.g. "_sip._udp.itsp.example": the core builds it, RFC 3263 §4.2);
// answered by a NameResolved completion with the same id. The runtime decides where the answer
// comes from (DNS; names it has in a hosts table, addresses only, without asking). A runtime
// without name look-ups (a node with no DNS server configured) answers
// NameResolved{.error = Unsupported} at once.
enum class RecordKind : std::uint8_t {
  Address,  // A and AAAA
  Srv,
};
constexpr std::string_view to_string(RecordKind k) { return k == RecordKind::Srv ? "srv" : "address"; }
struct ResolveName {
  std::uint64_t id = 0;
  std::string name;
  RecordKind kind = RecordKind::Address;
};

// The answer to an AdminCommand (on_command), for the runtime to hand to whoever asked.
struct CommandReply {
  std::uint64_t id = 0;
  admin::Result result;
};

// gateway::ToCard: a command for a telephony card (proxy/gateway/card.h). A runtime that hosts
// no card for its span answers with FromCard{span, CallReleased{call, 38}} for a PlaceCall and
// ignores the rest (there is no call to act on).

// The media relay's ports (#13, docs/media-relay.md): bind one UDP socket on `local` (the
// relay's address and a port of its pool) and hand every datagram that arrives on it to
// on_media_packet. `dscp`: the DiffServ code point its packets go out with (46: EF, RFC 4594
// telephony). A runtime that cannot bind it (port taken, no such address) answers
// MediaPortFailed; one without a media data path (ns-3 today) answers MediaPortFailed too.
struct OpenMediaPort {
  Address local;
  std::uint8_t dscp = 46;
};
// Close the socket on `local` (the call ended, its ports go to quarantine).
struct CloseMediaPort {
  Address local;
};

using Effect = std::variant<SendDatagram, OpenStream, WriteStream, CloseStream, StoreWrite,
                            CommandReply, ResolveName, gateway::ToCard, OpenMediaPort,
                            CloseMediaPort>;

// --- Completions: the runtime's answers to effects that take time, all through one input. ---
struct StoreDone {
  std::uint64_t id = 0;  // StoreWrite::id
  StoreOutcome outcome = StoreOutcome::Ok;
};
enum class NameError : std::uint8_t {
  None,
  NotFound,       // the name does not exist (NXDOMAIN)
  NoRecords,      // it exists but has no usable address
  Timeout,        // no answer in time
  ServerFailure,  // SERVFAIL, REFUSED, a malformed answer
  Unsupported,    // the runtime cannot look names up
};
constexpr std::string_view to_string(NameError e) {
  switch (e) {
    case NameError::None: return "none";
    case NameError::NotFound: return "not_found";
    case NameError::NoRecords: return "no_records";
    case NameError::Timeout: return "timeout";
    case NameError::ServerFailure: return "server_failure";
    case NameError::Unsupported: return "unsupported";
  }
  return "unknown";
}
// One SRV resource record (RFC 2782). From DNS: untrusted, any values.
struct SrvRecord {
  std::uint16_t priority = 0;  // lower is tried first
  std::uint16_t weight = 0;    // share of the picks among records of the same priority
  std::uint16_t port = 0;
  std::string target;          // a host name; "." or empty: "not available" (RFC 2782)

  friend bool operator==(const SrvRecord&, const SrvRecord&) = default;
};
struct NameResolved {
  std::uint64_t id = 0;  // ResolveName::id
  NameError error = NameError::None;
  // RecordKind::Address, error None: not empty, IPv4 first, in DNS order.
  std::vector<std::string> addresses{};
  // How long the answer may be used (the smallest TTL of its records); zero: unknown (the core's
  // own interval).
  Duration ttl{};
  // RecordKind::Srv, error None: not empty, as DNS gave them (unordered; "." targets included).
  std::vector<SrvRecord> services{};
};
// An OpenMediaPort the runtime could not do.
struct MediaPortFailed {
  Address local;
  std::string error;  // e.g. "address in use", "unsupported"
};
// gateway::FromCard: an event of a telephony card (an incoming call, an answer, an alarm…).
using Completion = std::variant<StoreDone, NameResolved, gateway::FromCard, MediaPortFailed>;

// The answer to a media packet (on_media_packet): send the same bytes from our socket `from`
// to `to`.
struct MediaSend {
  Address from;
  Address to;
};

// A management command (admin.h) from the operator's tool; `id` comes back in its CommandReply.
struct AdminCommand {
  std::uint64_t id = 0;
  admin::Request request;
};

enum class StreamCloseReason : std::uint8_t {
  PeerClosed,     // orderly close (FIN) by the peer
  Reset,          // reset or read/write error
  ConnectFailed,  // an OpenStream could not be established
  LocalClose,     // the runtime closed it on our CloseStream or at shutdown
  TlsFailed,      // the TLS handshake failed (a certificate refused, no common protocol)
  Unsupported,    // the runtime cannot open this kind of stream (TLS in ns-3)
};
constexpr std::string_view to_string(StreamCloseReason r) {
  switch (r) {
    case StreamCloseReason::PeerClosed: return "peer_closed";
    case StreamCloseReason::Reset: return "reset";
    case StreamCloseReason::ConnectFailed: return "connect_failed";
    case StreamCloseReason::LocalClose: return "local_close";
    case StreamCloseReason::TlsFailed: return "tls_failed";
    case StreamCloseReason::Unsupported: return "unsupported";
  }
  return "unknown";
}

class Node {
 public:
  virtual ~Node() = default;

  // Inputs.
  virtual void on_datagram(TimePoint now, const Path& path, std::string_view bytes) = 0;
  // A stream was accepted (inbound id) or an OpenStream completed (outbound id).
  virtual void on_stream_opened(TimePoint now, const Path& path) = 0;
  virtual void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) = 0;
  virtual void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) = 0;
  virtual void on_deadline(TimePoint now) = 0;
  // An effect that took time is done (a StoreWrite committed or failed). Nodes that never ask
  // for one need not override it.
  virtual void on_completion(TimePoint /*now*/, const Completion& /*completion*/) {}
  // A management command. Every node answers with exactly one CommandReply effect: a node that
  // has no management answers admin::Unsupported.
  virtual void on_command(TimePoint /*now*/, const AdminCommand& command) = 0;
  // How long the datagrams about to be delivered waited in the kernel (their receive
  // timestamps): the runtime's measure of overload, reported before each batch. A runtime that
  // cannot tell (ns-3) never calls it.
  virtual void on_receive_delay(TimePoint /*now*/, Duration /*delay*/) {}
  // The host's network interfaces, at start and whenever they change (addresses added or
  // removed, an interface up or down). Runtimes without interfaces never call it.
  virtual void on_interfaces(TimePoint /*now*/, const std::vector<NetInterface>& /*interfaces*/) {}
  // The wall clock (time since the Unix epoch) read at `now`, when it moved against the core's
  // clock: an NTP step on a box without a real-time clock, a manual set. The core keeps its
  // deadlines on its own clock; only what it stores is wall time. Runtimes without a wall clock
  // (ns-3) never call it.
  virtual void on_wall_clock(TimePoint /*now*/, Duration /*since_unix_epoch*/) {}
  // A datagram that arrived on a media port (OpenMediaPort `local`) from `source`. The one input
  // whose answer is synchronous: where to send the same bytes (nullopt: drop it). Packets never
  // travel through the effect queue (a relay forwards tens of thousands a second); effects the
  // input caused (a timer that fired) are drained as after any input. Nodes without a relay
  // never see one.
  [[nodiscard]] virtual std::optional<MediaSend> on_media_packet(TimePoint /*now*/,
                                                                 const Address& /*local*/,
                                                                 const Address& /*source*/,
                                                                 std::string_view /*bytes*/) {
    return std::nullopt;
  }
  // A hint, never an input: packets for the media port `local` come next (the runtime says so
  // for every port of a wake-up before it reads them). A relay may ask the CPU to bring that
  // port's state into its cache (__builtin_prefetch), so that the misses of many ports overlap
  // instead of coming one per packet. No effect on behaviour; the default does nothing.
  virtual void prefetch_media(const Address& /*local*/) const {}

  // Outputs.
  [[nodiscard]] virtual std::optional<Effect> next_effect() = 0;
  [[nodiscard]] virtual std::optional<TimePoint> next_deadline() const = 0;
};

}  // namespace resproxy
