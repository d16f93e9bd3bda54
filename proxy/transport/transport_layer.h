#pragma once
// TransportLayer: the core's side of UDP and TCP (RFC 3261 §18). It turns datagrams and stream
// bytes from the runtime into parsed messages for the layer above, answers what cannot be parsed
// (a stateless 400/505 where the RFC says to answer, silence where it says to drop), answers
// CRLF keep-alive pings with a pong (RFC 5626 §3.5.1), keeps TCP connections open and reuses
// them, and turns "send these bytes there" into runtime effects. It owns no socket: effects out.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/sip/message.h"
#include "proxy/transport/stream_framer.h"

namespace resproxy::transport {

// Where to send: over UDP to `remote`, or over TCP/TLS on `stream` if it is still open, else
// over any open connection of that transport to `remote`, else over a new one.
struct Destination {
  Transport transport = Transport::Udp;
  Address remote;
  StreamId stream{};  // 0: no particular connection
  // TLS: the name the peer's certificate must carry (the ITSP's domain, RFC 5922), sent as SNI;
  // empty: the connection is encrypted but the peer is not verified (a phone's own address).
  std::string server_name{};

  friend auto operator<=>(const Destination&, const Destination&) = default;
};

struct TransportConfig {
  Address local;                      // our listening address (UDP and TCP share the port)
  // Our TLS port on the same address (RFC 3261 §26.2.1: 5061): the sent-by of a TLS Via and the
  // port of a TLS Record-Route. Outbound TLS works whether or not the runtime listens on it.
  std::uint16_t tls_port = 5061;
  std::size_t max_message_size = 65535;
  // TCP limits (0: none). Connections over a cap are accepted and closed at once: a listener
  // that stops accepting lets the kernel's accept queue fill with an attacker's connections.
  std::size_t max_streams = 0;             // inbound connections in all (the seed's num_sockets)
  std::size_t max_streams_per_source = 0;  // per remote address (or group), for sources not exempted
  // An inbound connection with no complete message this long after it opened or after its last
  // message began (idle or half-sent) is closed.
  Duration header_timeout{};
  // An inbound connection that carried nothing this long is closed, unless its source is
  // exempted or something lives on it (a registration: pinned).
  Duration idle_timeout{};
  // TLS handshakes an inbound source (not exempted) may start per minute, in bursts of up to a
  // tenth of that (at least 5); a connection over it is closed before its handshake (the
  // expensive part: public-key operations). 0: no limit.
  std::uint32_t tls_handshakes_per_minute = 0;
};

struct TransportCounters {
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t parse_errors = 0;
  std::uint64_t error_responses = 0;  // stateless 4xx/5xx sent for unparsable requests
  std::uint64_t dropped = 0;          // unparsable responses and unanswerable garbage
  std::uint64_t keepalive_pings = 0;  // double-CRLF pings answered
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_closed = 0;
  std::uint64_t framing_errors = 0;
  std::uint64_t streams_refused = 0;  // over max_streams or max_streams_per_source
  std::uint64_t streams_timed_out = 0;  // header or idle timeout
  std::uint64_t tls_handshakes_refused = 0;  // over tls_handshakes_per_minute
  std::uint64_t tls_failures = 0;            // handshakes or certificate checks that failed
};

class TransportLayer {
 public:
  // Upper-layer callbacks. `on_message` gets every message that parsed; `on_stream_failed` tells
  // the transaction layer that a connection it may be using is gone (RFC 3261 §17.1.4, §17.2.4).
  struct Callbacks {
    std::function<void(TimePoint, sip::Message&&, const Path&)> on_message;
    std::function<void(TimePoint, StreamId)> on_stream_failed;
    // Sources the per-source cap and the idle timeout do not apply to (the office's own).
    std::function<bool(const Path&)> exempt{};
    // Connections that must not be closed for being idle (a registration lives on them).
    std::function<bool(StreamId)> pinned{};
    // The per-source cap counts per this key of the remote address (e.g. an IPv6 /64); unset:
    // the address itself.
    std::function<std::string(const Address&)> source_group{};
  };

  TransportLayer(TransportConfig config, std::deque<Effect>& effects, TimerHeap& heap, Rng& rng,
                 TraceSink& trace);
  void set_callbacks(Callbacks callbacks) { callbacks_ = std::move(callbacks); }
  void set_stream_policy(std::function<bool(const Path&)> exempt,
                         std::function<bool(StreamId)> pinned,
                         std::function<std::string(const Address&)> source_group = {}) {
    callbacks_.exempt = std::move(exempt);
    callbacks_.pinned = std::move(pinned);
    callbacks_.source_group = std::move(source_group);
  }

  // Inputs, forwarded by the Node.
  void on_datagram(TimePoint now, const Path& path, std::string_view bytes);
  void on_stream_opened(TimePoint now, const Path& path);
  void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes);
  void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason);

  // Sends one message. Returns the connection used (TCP) so a transaction can stick to it.
  StreamId send(TimePoint now, const Destination& to, std::string bytes);
  // Sends a double-CRLF keep-alive ping on an open stream (RFC 5626 §3.5.1).
  void send_keepalive_ping(TimePoint now, StreamId stream);
  void close_stream(TimePoint now, StreamId stream);

  [[nodiscard]] const TransportConfig& config() const { return config_; }
  // Our address for a transport: the TLS port for TLS, the listening one otherwise.
  [[nodiscard]] Address local_for(Transport transport) const {
    return transport == Transport::Tls ? Address{config_.local.ip, config_.tls_port} : config_.local;
  }
  // The runtime may learn the bound address only after binding (port 0): set it before the
  // first input.
  void set_local(Address local) { config_.local = std::move(local); }
  [[nodiscard]] const TransportCounters& counters() const { return counters_; }
  [[nodiscard]] bool is_stream_open(StreamId stream) const;
  [[nodiscard]] std::size_t open_streams() const { return streams_.size(); }

 private:
  struct Stream {
    Path path;
    StreamFramer framer;
    bool connected = false;  // outbound streams: OpenStream answered
    bool inbound = false;
    TimePoint last_activity{};
    std::optional<TimePoint> waiting_since{};  // no complete message since then (inbound)
  };
  void sweep(TimePoint now);  // the header and idle timeouts, once a second
  void arm_sweep(TimePoint now);

  void deliver(TimePoint now, std::string_view bytes, sip::Framing framing, const Path& path);
  void reject_unparsable(TimePoint now, std::string_view bytes, sip::ParseError error,
                         const Path& path);
  void emit(TraceEvent event);
  StreamId stream_to(Transport transport, const Address& remote) const;
  // False (and counted) when `group` started too many TLS handshakes lately.
  bool may_handshake(TimePoint now, const std::string& group);

  TransportConfig config_;
  std::deque<Effect>& effects_;
  Rng& rng_;
  TraceSink& trace_;
  Callbacks callbacks_;
  TransportCounters counters_;
  std::map<StreamId, Stream> streams_;
  std::uint64_t next_outbound_ = 1;
  TimerHeap& heap_;
  TimerId sweep_timer_;
  std::size_t inbound_ = 0;
  std::map<std::string, std::size_t, std::less<>> per_source_;  // inbound connections by source group
  struct Bucket {
    double tokens = 0;
    TimePoint updated{};
  };
  std::map<std::string, Bucket, std::less<>> handshakes_;  // TLS handshake budget by source group
  [[nodiscard]] std::string group_of(const Address& remote) const {
    return callbacks_.source_group ? callbacks_.source_group(remote) : remote.ip;
  }
};

}  // namespace resproxy::transport
