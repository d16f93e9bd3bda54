// NativeRuntime's TCP and TLS streams (runtime_impl.h): accepting on the listeners, the
// OpenStream, WriteStream and CloseStream effects (connect, write queues and their budgets,
// flush and close), the TLS handshake, reading, and telling the Node of closed streams.
#include "proxy/native/runtime_impl.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace resproxy::native {

namespace {

// A CloseStream waits this long for queued writes to reach the peer, then closes anyway.
constexpr std::chrono::seconds kCloseFlushTimeout{5};
// Accept errors (EMFILE, ENFILE, ENOBUFS) do not clear at once: wait before accepting again.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

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

}  // namespace

// --- TCP. ---

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
  if (!ec) set_dscp(conn->socket.native_handle(), remote.address().is_v6(), kSipDscp);
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
  // Inherited from the listener on Linux; set again so that no platform's default decides.
  set_dscp(socket.native_handle(), local.address().is_v6(), kSipDscp);

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
      post([self = shared_from_this(), input] { self->deliver(input); });
      break;
  }
}

}  // namespace resproxy::native
