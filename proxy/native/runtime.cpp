// NativeRuntime (runtime.h): construction, binding, start and stop, inputs and the effect
// dispatch, the timer, the interface and wall-clock polls, and the public class. The other rooms
// (runtime_impl.h): runtime_udp.cpp, runtime_streams.cpp, runtime_store.cpp.
#include "proxy/native/runtime_impl.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/asio/post.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include "proxy/native/host_address.h"
#include "proxy/native/media_bridge.h"

namespace resproxy::native {

namespace {

// Port 0 with UDP and TCP: ephemeral UDP ports whose TCP twin is taken are tried again.
constexpr int kSamePortAttempts = 16;

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

// Opens, binds and listens; the first error, if any.
ErrorCode listen_on(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  ErrorCode ec;
  acceptor.open(endpoint.protocol(), ec);
  // Accepted connections inherit the marking, and the SYN-ACK already carries it.
  if (!ec) set_dscp(acceptor.native_handle(), endpoint.address().is_v6(), kSipDscp);
  // SO_REUSEADDR: a restarted daemon binds again while old connections sit in TIME_WAIT.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

}  // namespace

// --- Construction. ---

NativeRuntime::Impl::Impl(asio::io_context& io, Node& node, ListenConfig config)
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
      wall_clock_timer_(io),
      card_timer_(io) {}

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
      set_dscp(udp_.native_handle(), endpoint.address().is_v6(), kSipDscp);
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
  const bool sockets = config_.udp || config_.tcp;
  if (!sockets && !datagram_sender_) {
    throw std::runtime_error("resproxy: listen config enables neither UDP nor TCP");
  }
  const auto ip = parse_ip(config_.ip);
  if (!ip) {
    throw std::runtime_error("resproxy: cannot listen on '" + config_.ip +
                             "': not an IPv4 or IPv6 address");
  }
  // Certificates first: a file that cannot be used stops the daemon before it binds anything.
  tls_ = std::make_unique<TlsContexts>(config_.tls);
  if (sockets) {
    int attempt = 1;
    while (!bind_all(*ip, config_.port, /*last_attempt=*/attempt == kSamePortAttempts)) ++attempt;
  } else {
    local_ = to_address(*ip, config_.port);  // the shared socket's address (set_datagram_sender)
  }
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
  post([self = shared_from_this()] { self->deliver([](Node&, TimePoint) {}); });
  // The cards power up after the Node's first pump: their SpanState events follow as inputs.
  if (card_host_ != nullptr) {
    post([self = shared_from_this()] {
      if (self->stopped_) return;
      self->card_host_->start(now());
      self->after_card_input();
    });
  }
}

void NativeRuntime::Impl::stop(bool notify_node) {
  if (stopped_) return;
  stopped_ = true;
  ErrorCode ignored;
  udp_.close(ignored);
  acceptor_.close(ignored);
  tls_acceptor_.close(ignored);
  close_media_ports();
  timer_.cancel();
  accept_retry_timer_.cancel();
  tls_accept_retry_timer_.cancel();
  store_timer_.cancel();
  interface_timer_.cancel();
  wall_clock_timer_.cancel();
  card_timer_.cancel();
  card_armed_.reset();
  ++card_timer_generation_;
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
  post([self = shared_from_this(), input = std::move(input)] { self->deliver(input); });
}

// --- Inputs, effects, the timer. ---
// (deliver(), a template, is in runtime_impl.h.)

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
  if (!rearm_deferred_) rearm_timer();
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

void NativeRuntime::Impl::perform(CommandReply& effect) {
  if (command_replies_) command_replies_(std::move(effect));
}

void NativeRuntime::Impl::perform(ResolveName& effect) {
  // Answered later, as an input of its own (never inside the pump that drains this effect).
  const std::uint64_t id = effect.id;
  if (dns_ == nullptr) {
    post([self = shared_from_this(), id] {
      if (self->stopped_) return;
      self->deliver([id](Node& node, TimePoint t) {
        node.on_completion(t, NameResolved{.id = id, .error = NameError::Unsupported});
      });
    });
    return;
  }
  const RecordKind kind = effect.kind;
  dns_->resolve(id, std::move(effect.name), [self = shared_from_this()](NameResolved answer) mutable {
    // On the DNS thread: only post.
    Impl& impl = *self;
    impl.post([self = std::move(self), answer = std::move(answer)]() mutable {
      if (self->stopped_) return;
      self->deliver([&answer](Node& node, TimePoint t) { node.on_completion(t, answer); });
    });
  }, kind);
}

void NativeRuntime::Impl::perform(gateway::ToCard& effect) {
  if (media_bridges_ != nullptr) {
    if (const auto* bridge = std::get_if<gateway::MediaBridge>(&effect.command)) {
      // Audio is the runtime's data path, never the card's (card.h): nothing to answer.
      ++stats_.media_commands;
      media_bridges_->on_command(effect.span, *bridge);
      return;
    }
  }
  if (card_host_ != nullptr) {
    // Inside the pump: the host acts now, its events reach the Node later, as inputs of their own.
    ++stats_.card_commands;
    card_host_->on_command(now(), effect);
    after_card_input();
    return;
  }
  // No telephony card is hosted here: the contract's answer, later, as an input of its own.
  auto answer = gateway::no_card_answer(effect);
  if (!answer) return;
  post([self = shared_from_this(), answer = std::move(*answer)] {
    if (self->stopped_) return;
    self->deliver([&answer](Node& node, TimePoint t) { node.on_completion(t, answer); });
  });
}

void NativeRuntime::Impl::after_card_input() {
  auto events = card_host_->take_events();
  if (media_bridges_ != nullptr) {
    // The line call is over: its audio stops now, whatever the Node does next.
    for (const auto& event : events) {
      if (const auto* released = std::get_if<gateway::CallReleased>(&event.event)) {
        media_bridges_->close(event.span, released->call);
      }
    }
  }
  if (!events.empty()) {
    // One posted handler per batch keeps the host's order; each event is one Node input.
    post([self = shared_from_this(), events = std::move(events)] {
      for (const auto& event : events) {
        if (self->stopped_) return;
        ++self->stats_.card_events;
        self->deliver([&event](Node& node, TimePoint t) {
          node.on_completion(t, Completion{event});
        });
      }
    });
  }
  rearm_card_timer();
}

void NativeRuntime::Impl::rearm_card_timer() {
  if (stopped_) return;
  const auto deadline = card_host_->next_deadline();
  if (!deadline) {
    if (card_armed_) {
      card_armed_.reset();
      ++card_timer_generation_;
      card_timer_.cancel();
    }
    return;
  }
  if (card_armed_ == deadline) return;
  card_armed_ = deadline;
  const std::uint64_t generation = ++card_timer_generation_;
  card_timer_.expires_at(to_steady(*deadline));
  card_timer_.async_wait([self = shared_from_this(), generation](const ErrorCode& ec) {
    self->on_card_timer(ec, generation);
  });
}

void NativeRuntime::Impl::on_card_timer(const ErrorCode& ec, std::uint64_t generation) {
  if (ec || stopped_ || generation != card_timer_generation_) return;
  card_armed_.reset();
  const TimePoint t = now();
  const auto deadline = card_host_->next_deadline();
  if (deadline && *deadline <= t) card_host_->on_deadline(t);
  after_card_input();
}

// --- The host's interfaces and the wall clock. ---

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

// --- Accessors. ---

NativeRuntime::Stats NativeRuntime::Impl::stats() const {
  Stats out = stats_;
  out.store_queue_depth = pending_store_ids_.size() + committing_ids_.size();
  out.media_ports_open = media_ports_.size();
  if (media_bridges_ != nullptr) {
    const MediaBridgeTotals media = media_bridges_->totals();
    out.media_bridges_open = media.open;
    out.media_bridges_refused = media.refused;
    out.rtp_rx = media.counters.rtp_rx;
    out.rtp_tx = media.counters.rtp_tx;
    out.rtp_rx_errors = media.counters.rx_errors + media.counters.foreign;
    out.rtp_concealed = media.counters.concealed;
    out.rtp_late = media.counters.late;
    out.rtp_slips = media.counters.slips;
    out.rtp_lost = media.counters.lost;
    out.rtp_tx_errors = media.counters.tx_errors;
    out.dtmf_rx = media.counters.dtmf_rx;
    out.dtmf_tx = media.counters.dtmf_tx;
    out.dtmf_dropped = media.counters.dtmf_dropped;
  }
  return out;
}

void NativeRuntime::Impl::set_store(KeyValueStore* store) {
  store_thread_.reset();  // finishes what it was given
  store_ = store;
  if (store_ != nullptr) store_thread_ = std::make_unique<StoreThread>(*store_);
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
void NativeRuntime::run() { impl_->run(); }

void NativeRuntime::inject(std::function<void(Node&, TimePoint)> input) {
  impl_->inject(std::move(input));
}
void NativeRuntime::set_datagram_filter(std::function<bool(const SendDatagram&)> drop_if) {
  impl_->set_datagram_filter(std::move(drop_if));
}
void NativeRuntime::set_datagram_sender(DatagramSender send) { impl_->set_datagram_sender(std::move(send)); }
void NativeRuntime::set_store(KeyValueStore* store) { impl_->set_store(store); }
void NativeRuntime::set_message_log(MessageLog log) { impl_->set_message_log(std::move(log)); }
void NativeRuntime::set_command_replies(CommandReplies replies) {
  impl_->set_command_replies(std::move(replies));
}
void NativeRuntime::set_name_resolver(DnsThread* dns) { impl_->set_name_resolver(dns); }
void NativeRuntime::set_card_host(CardHost* host) { impl_->set_card_host(host); }
bool NativeRuntime::card_host_input(const std::function<void(TimePoint)>& input) {
  return impl_->card_host_input(input);
}
void NativeRuntime::set_media_bridges(MediaBridges* bridges) { impl_->set_media_bridges(bridges); }
NativeRuntime::Stats NativeRuntime::stats() const { return impl_->stats(); }

}  // namespace resproxy::native
