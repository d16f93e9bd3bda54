// NativeRuntime's media relay data path (runtime_impl.h; node.h: OpenMediaPort, CloseMediaPort,
// on_media_packet): one UDP socket per relay port. A readable port is read with recvmmsg in
// batches; each datagram is one Node input whose answer says where the same bytes go; the
// answers of a batch leave together, one sendmmsg per run of them from the same socket.
// Packets never queue: a forward that finds its socket's buffer full is dropped and counted.
// Under run() on io_uring (runtime_uring.cpp) the ports' receives and sends go through the ring
// instead; opening, closing, the Node's verdicts and the forwards' bookkeeping stay here.
#include "proxy/native/runtime_impl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>

#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace resproxy::native {

// --- Opening and closing ports. ---

void NativeRuntime::Impl::perform(OpenMediaPort& effect) {
  // The core asked twice (a re-INVITE keeping its ports): the socket it has is the one it wants.
  if (media_ports_.contains(effect.local)) return;
  const auto ip = parse_ip(effect.local.ip);
  if (!ip) {
    media_port_failed(effect.local, "not an IP address");
    return;
  }
  // Port 0 would bind an ephemeral port the core does not know: its packets' `local` would lie.
  if (effect.local.port == 0) {
    media_port_failed(effect.local, "no port");
    return;
  }
  const udp::endpoint endpoint(*ip, effect.local.port);
  // The port's own descriptor, never an asio socket: asio would register it in its reactor's
  // epoll set too (MediaPort). Non-blocking from the start; owned by the port from here on.
  auto port = std::make_shared<MediaPort>(
      ::socket(endpoint.protocol().family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
      effect.local, ip->is_v6());
  const int fd = port->fd.get();
  const auto refuse = [&](const char* step) {
    media_port_failed(effect.local, std::string(step) + ": " + std::strerror(errno));
  };
  if (fd < 0) return refuse("socket");
  // The pool's ports are ours alone: SO_REUSEADDR stays off, so a port another socket holds
  // (another process, a previous daemon still stopping) fails here, instead of the two
  // splitting its packets. An IPv6 port serves IPv6 only: the same port number stays free for
  // the relay's IPv4 address, and peers are never shown to the core as IPv4-mapped.
  const int one = 1;
  if (ip->is_v6() && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    return refuse("IPV6_V6ONLY");
  }
  set_dscp(fd, ip->is_v6(), effect.dscp);
  if (config_.media_receive_buffer > 0) {  // capped by net.core.rmem_max; a refusal leaves the default
    const int size = static_cast<int>(config_.media_receive_buffer);
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (config_.media_max_age.count() > 0) {  // each datagram's receive time, for the age bound
    (void)::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  }
  if (::bind(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0) return refuse("bind");
  if (media_buffer_.empty()) {
    media_buffer_.resize(kMediaBatch * kMediaDatagramMax);
    media_forwards_.reserve(kMediaBatch);
  }
  if (std::string error; !watch_media_port(*port, error)) {
    media_port_failed(effect.local, error);
    return;
  }
  media_ports_.emplace(effect.local, port);
  wait_media();
}

bool NativeRuntime::Impl::watch_media_port(MediaPort& port, std::string& error) {
  if (uring_) {  // run() on io_uring: the port's receive goes into the ring, not the epoll set
    uring_arm(port);
    return true;
  }
  if (!open_media_epoll(error)) return false;
  // Edge-triggered: reported once per arrival; a port left with datagrams by the fairness bound
  // goes on the backlog (drain_media).
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  event.data.ptr = &port;  // alive while in the set (media_ports_, then media_closed_)
  if (::epoll_ctl(media_epoll_->native_handle(), EPOLL_CTL_ADD, port.fd.get(), &event) != 0) {
    error = std::string("epoll_ctl: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool NativeRuntime::Impl::open_media_epoll(std::string& error) {
  if (media_epoll_) return true;
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return false;
  }
  media_epoll_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  return true;
}

namespace {

// Points `in`'s forwards at `out` (MediaPort::out), keeping `senders` in step.
void set_out(MediaPort& in, MediaPort* out) {
  if (in.out == out) return;
  if (in.out != nullptr) std::erase(in.out->senders, &in);
  in.out = out;
  in.out_fd = out != nullptr ? out->fd.get() : -1;
  in.out_local = out != nullptr ? out->local : Address{};
  in.last_to = Address{};
  if (out != nullptr) out->senders.push_back(&in);
}

// A port leaves the table: no port may go on naming it.
void unlink(MediaPort& port) {
  for (MediaPort* sender : port.senders) {
    sender->out = nullptr;
    sender->out_fd = -1;
  }
  port.senders.clear();
  set_out(port, nullptr);
}

}  // namespace

void NativeRuntime::Impl::perform(CloseMediaPort& effect) {
  const auto it = media_ports_.find(effect.local);
  if (it == media_ports_.end()) return;
  // Forwards queued in this batch were asked for before the close: they go now, as they would
  // have without batching. Its pending wait then ends aborted; it holds the port itself, so
  // nothing is freed under it.
  send_media();
  it->second->closed = true;
  unlink(*it->second);
  if (uring_) uring_release(*it->second);  // its receive cancelled, the forwards submitted
  it->second->fd.close();  // leaves the epoll set with its last descriptor
  // Events of this wake-up may still name it: kept until they are handled.
  if (in_media_events_) media_closed_.push_back(it->second);
  media_ports_.erase(it);
}

void NativeRuntime::Impl::close_media_ports() {
  ErrorCode ignored;
  for (auto& [local, port] : media_ports_) {
    port->closed = true;
    unlink(*port);
    if (uring_) uring_release(*port);
    port->fd.close();
    if (in_media_events_) media_closed_.push_back(port);
  }
  media_ports_.clear();
  // stop() from an input of a batch: its forwards would use closed descriptors.
  stats_.media_send_dropped += media_forwards_.size();
  media_forwards_.clear();
  if (media_epoll_) media_epoll_->close(ignored);
}

void NativeRuntime::Impl::media_port_failed(Address local, std::string error) {
  ++stats_.media_port_failures;
  // Inside the pump that drains the effect: the answer is an input of its own, later.
  post([self = shared_from_this(),
                   failed = MediaPortFailed{.local = std::move(local), .error = std::move(error)}] {
    if (self->stopped_) return;
    self->deliver([&failed](Node& node, TimePoint t) { node.on_completion(t, failed); });
  });
}

// --- Receiving. ---

void NativeRuntime::Impl::wait_media() {
  if (media_direct_ || stopped_ || media_waiting_ || !media_epoll_ || !media_epoll_->is_open()) return;
  media_waiting_ = true;
  // The set's fd is readable while a port in it has an event not taken yet; a port left with
  // datagrams at the per-wake bound is not one (edge-triggered): the backlog reads it
  // (post_media_backlog).
  media_epoll_->async_wait(asio::posix::stream_descriptor::wait_read,
                           [self = shared_from_this()](const ErrorCode& ec) {
                             self->media_waiting_ = false;
                             self->on_media_ready(ec);
                           });
}

void NativeRuntime::Impl::on_media_ready(const ErrorCode& ec) {
  if (stopped_ || !media_epoll_ || !media_epoll_->is_open()) return;
  if (ec) {
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) return;
    ++stats_.media_receive_errors;
    wait_media();
    return;
  }
  handle_media_events(std::max(0, ::epoll_wait(media_epoll_->native_handle(), media_events_.data(),
                                                static_cast<int>(media_events_.size()), 0)));
  post_media_backlog();
  wait_media();
}

void NativeRuntime::Impl::handle_media_events(int n) {
  // Each event names its port (data.ptr). A port the node closes while another is handled stays
  // alive in media_closed_ until the end of this wake-up, marked closed: its event is skipped.
  RESPROXY_CHECK(!in_media_events_);  // not re-entered: inputs never nest
  in_media_events_ = true;
  // The ports of a wake-up are scattered over the heap and cold (a thousand calls, a packet
  // each 20 ms): ask for all of them at once, so that their cache misses overlap instead of
  // coming one per port (perf: the first touch of a port was 2.5 % of the relay's CPU). Only the
  // lines a datagram uses (MediaPort's fields before `senders`, which no packet reads). Then the
  // node's state (a relay's session and legs).
  for (int i = 0; i < n; ++i) {
    prefetch_port(*static_cast<const MediaPort*>(media_events_[static_cast<std::size_t>(i)].data.ptr));
  }
  for (int i = 0; i < n; ++i) {
    node_.prefetch_media(static_cast<const MediaPort*>(media_events_[static_cast<std::size_t>(i)].data.ptr)->local);
  }
  media_clock_.datagrams = kMediaClockDatagrams;  // read again at the first batch
  // The timer is re-armed once, at the end: at 50k packets/s over 1,000 ports a batch is one
  // or two datagrams, and looking at the node's deadline after each was 0.3 % of the CPU.
  rearm_deferred_ = true;
  // Last wake-up's backlog is read after this one's events: a flooded port waits its turn.
  media_backlog_now_.swap(media_backlog_);
  for (int i = 0; i < n && !stopped_; ++i) {
    MediaPort& port = *static_cast<MediaPort*>(media_events_[static_cast<std::size_t>(i)].data.ptr);
    if (!port.closed && drain_media(port)) media_backlog_.push_back(port.shared_from_this());
  }
  for (auto& port : media_backlog_now_) {
    if (stopped_) break;
    // One reported again by an arrival is read twice: the second read finds what is left.
    if (!port->closed && drain_media(*port)) media_backlog_.push_back(std::move(port));
  }
  media_backlog_now_.clear();
  rearm_deferred_ = false;
  if (!stopped_) rearm_timer();
  in_media_events_ = false;
  media_closed_.clear();
}

void NativeRuntime::Impl::post_media_backlog() {
  if (media_backlog_.empty() || media_backlog_posted_ || media_direct_) return;
  media_backlog_posted_ = true;
  post([self = shared_from_this()] {
    self->media_backlog_posted_ = false;
    if (self->stopped_ || self->media_direct_) return;
    self->handle_media_events(0);
    self->post_media_backlog();
  });
}

// --- run(): the io thread's own wait. ---
//
// Under io.run() a wake-up for media costs Asio's epoll_wait, the epoll_ctl with which Asio
// re-arms the media set's fd, and the epoll_wait that takes the ready ports from the set: with
// the recvmmsg and the sendmmsg, five system calls where a relay needs three. run() turns it
// around: the io thread blocks in epoll_wait on the media set itself, which also holds the
// runtime's UDP socket (SIP or ng) and an eventfd that post() writes; Asio's own work (that
// socket, timers, signals, handlers posted from any thread) runs in io.poll(), called only when
// one of those two is ready, the wait timed out at the Node's deadline, or a signal interrupted
// it — and at least every kLoopPollMax (runtime_impl.h), for Asio's timers the loop does not know
// of (interface and wall-clock checks, store commits). runtime_uring.cpp is the same loop on io_uring.

void NativeRuntime::Impl::wake_loop() {
  const int fd = loop_wake_fd_.load(std::memory_order_acquire);
  if (fd < 0) return;
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);  // a full counter (never: 2^64 - 2) already wakes it
}

SteadyClock::time_point NativeRuntime::Impl::loop_asio_turn(LoopTurn& turn, int wake) {
  const auto now = SteadyClock::now();  // one clock read per wake-up (two when Asio's turn comes)
  if (!turn.asio_ready && now - turn.last_poll < kLoopPollMax) return now;
  std::uint64_t drained = 0;
  (void)!::read(wake, &drained, sizeof drained);  // before poll: a post during it wakes again
  io_.poll();
  turn.asio_ready = false;
  return turn.last_poll = SteadyClock::now();
}

std::chrono::milliseconds NativeRuntime::Impl::loop_wait(const LoopTurn& turn,
                                                         SteadyClock::time_point now) const {
  auto wait = kLoopPollMax - std::chrono::duration_cast<std::chrono::milliseconds>(now - turn.last_poll);
  if (armed_) wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(to_steady(*armed_) - now));
  return std::max(wait, std::chrono::milliseconds(0));
}

bool NativeRuntime::Impl::loop_ended() const {
  return io_.stopped() || stopped_ || !media_epoll_ || !media_epoll_->is_open();
}

void NativeRuntime::Impl::run() {
  std::string error;
  if (!loop_wake_ || loop_wake_->get() < 0) loop_wake_.emplace(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  const int wake = loop_wake_->get();
  if (stopped_ || wake < 0 || !open_media_epoll(error)) {
    io_.run();  // no set to wait on: Asio's own loop, as before
    return;
  }
  if (config_.media_io != ListenConfig::MediaIo::Epoll && uring_start(wake)) {
    media_direct_ = true;
    loop_wake_fd_.store(wake, std::memory_order_release);
    run_uring(wake);
    loop_wake_fd_.store(-1, std::memory_order_release);
    uring_stop();  // the open ports back in the epoll set, for io.run() below
  } else if (!run_epoll(wake)) {
    return;  // the set refused the loop's keys: io.run() served it all
  }
  media_direct_ = false;
  if (!io_.stopped()) {  // stop() without io.stop(): Asio's loop finishes what is left
    wait_media();
    io_.run();
  }
}

bool NativeRuntime::Impl::run_epoll(int wake) {
  const int set = media_epoll_->native_handle();
  const auto add = [set](int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kLoopKeyAsio;
    return ::epoll_ctl(set, EPOLL_CTL_ADD, fd, &event) == 0;
  };
  if (!add(wake) || (udp_.is_open() && !add(udp_.native_handle()))) {
    (void)::epoll_ctl(set, EPOLL_CTL_DEL, wake, nullptr);  // the next run() adds it again
    io_.run();
    return false;
  }
  media_direct_ = true;
  media_waiting_ = false;  // a wait Asio had on the set ends aborted: the set is ours now
  ErrorCode ignored;
  media_epoll_->cancel(ignored);
  loop_wake_fd_.store(wake, std::memory_order_release);
  LoopTurn turn{.last_poll = SteadyClock::now() - kLoopPollMax};
  while (true) {
    const auto now = loop_asio_turn(turn, wake);
    if (loop_ended()) break;
    // A backlog to read: look at the set without blocking. The Node's deadline is then noticed
    // here rather than by the wait's timeout.
    const bool backlog = !media_backlog_.empty();
    if (backlog && armed_ && to_steady(*armed_) <= now) turn.asio_ready = true;
    const int timeout = backlog ? 0 : static_cast<int>(loop_wait(turn, now).count());
    const int n = ::epoll_wait(set, media_events_.data(), static_cast<int>(media_events_.size()), timeout);
    if (n < 0 || (n == 0 && !backlog)) {  // the deadline, the poll bound, or a signal (EINTR)
      turn.asio_ready = true;
      continue;
    }
    // Asio's keys leave the list (its work runs after the ports'); the ports are handled as
    // under io.run().
    int ports = 0;
    for (int i = 0; i < n; ++i) {
      if (media_events_[static_cast<std::size_t>(i)].data.u64 == kLoopKeyAsio) {
        turn.asio_ready = true;
      } else {
        media_events_[static_cast<std::size_t>(ports++)] = media_events_[static_cast<std::size_t>(i)];
      }
    }
    handle_media_events(ports);
  }
  loop_wake_fd_.store(-1, std::memory_order_release);
  if (media_epoll_ && media_epoll_->is_open()) {
    (void)::epoll_ctl(set, EPOLL_CTL_DEL, wake, nullptr);
    if (udp_.is_open()) (void)::epoll_ctl(set, EPOLL_CTL_DEL, udp_.native_handle(), nullptr);
  }
  return true;
}

int NativeRuntime::Impl::receive_media_batch(MediaPort& port) {
  // Only the headers the last call filled need setting again (the kernel wrote their lengths
  // and flags); the rest still hold what was set. At 50k packets/s over 1,000 ports a call
  // brings one or two datagrams: this saves writing 32 headers per packet.
  for (std::size_t i = 0; i < media_in_used_; ++i) {
    media_iov_[i] = iovec{media_buffer_.data() + i * kMediaDatagramMax, kMediaDatagramMax};
    msghdr& m = media_in_[i].msg_hdr;
    m = msghdr{};
    m.msg_name = &media_from_[i];
    m.msg_namelen = sizeof media_from_[i];
    m.msg_iov = &media_iov_[i];
    m.msg_iovlen = 1;
    m.msg_control = media_control_[i].bytes;
    m.msg_controllen = sizeof media_control_[i].bytes;
    media_in_[i].msg_len = 0;
  }
  const int n = ::recvmmsg(port.fd.get(), media_in_.data(),
                           static_cast<unsigned>(kMediaBatch), MSG_DONTWAIT, nullptr);
  media_in_used_ = n > 0 ? static_cast<std::size_t>(n) : 0;
  return n;
}

bool NativeRuntime::Impl::drain_media(MediaPort& port_ref) {
  MediaPort* const port = &port_ref;
  // Fairness: a bounded drain (kMediaBatchesPerWake), then back in line behind the others.
  for (int batch = 0; batch < kMediaBatchesPerWake; ++batch) {
    const int n = receive_media_batch(*port);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      // An error the socket held (an ICMP error of an earlier send) is consumed by this read;
      // datagrams may still wait behind it, and no edge will say so: read again next time.
      ++stats_.media_receive_errors;
      return true;
    }
    if (media_clock_.datagrams >= kMediaClockDatagrams) media_clock_ = MediaClock{.now = now(), .datagrams = 0};
    media_clock_.datagrams += static_cast<std::size_t>(n);
    const TimePoint batch_now = media_clock_.now;
    // The age bound (ListenConfig::media_max_age): the wall clock after each read, so that a
    // wait between two batches (the thread preempted, a CPU limit) counts in the next one's
    // ages. The coarse clock costs a few nanoseconds and is at most one kernel tick (1-4 ms)
    // behind: a packet passes as fresh up to one tick past the bound, never is dropped early.
    std::optional<std::chrono::nanoseconds> read_at;
    if (config_.media_max_age.count() > 0) {
      timespec wall{};
      ::clock_gettime(CLOCK_REALTIME_COARSE, &wall);
      read_at = std::chrono::seconds{wall.tv_sec} + std::chrono::nanoseconds{wall.tv_nsec};
    }
    // One input per datagram, effects drained after each (deliver): node.h's contract to the
    // letter; only the timer waits for the wake-up's end (rearm_deferred_). The node may close
    // this very port from one of them (a BYE's timer firing): the rest of the batch is then
    // not its any more.
    for (int i = 0; i < n && !port->closed && !stopped_; ++i) {
      const mmsghdr& m = media_in_[static_cast<std::size_t>(i)];
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++stats_.media_receive_errors;  // not RTP over Ethernet; a cut copy is of no use
        continue;
      }
      if (read_at && too_old(m.msg_hdr, *read_at)) {
        ++stats_.media_stale_dropped;
        continue;
      }
      const std::size_t slot = static_cast<std::size_t>(i);
      relay_datagram(*port, &media_from_[slot], m.msg_hdr.msg_namelen,
                     std::string_view(media_buffer_.data() + slot * kMediaDatagramMax, m.msg_len), slot,
                     batch_now);
    }
    // Sent before the next recvmmsg reuses the buffer.
    send_media();
    if (stopped_ || port->closed) return false;
    // A short batch emptied the queue: the next arrival is a new edge.
    if (static_cast<std::size_t>(n) < kMediaBatch) return false;
  }
  return true;  // the bound: more may wait, and no edge will say so
}

void NativeRuntime::Impl::prefetch_port(const MediaPort& port) {
  const char* p = reinterpret_cast<const char*>(&port);
  const auto hot = static_cast<std::size_t>(reinterpret_cast<const char*>(&port.senders) - p);
  for (std::size_t offset = 0; offset < hot; offset += 64) __builtin_prefetch(p + offset);
}

void NativeRuntime::Impl::relay_datagram(MediaPort& port, const void* from, std::size_t from_size,
                                         std::string_view bytes, std::size_t slot, TimePoint at) {
  udp::endpoint sender;
  const std::size_t name_size = std::min<std::size_t>(from_size, sender.capacity());
  std::memcpy(sender.data(), from, name_size);
  sender.resize(name_size);
  if (sender != port.last_source || port.last_source_address.ip.empty()) {
    port.last_source = sender;
    port.last_source_address = to_address(sender);
  }
  ++stats_.media_packets_in;
  // The answer is queued inside the input, before the effects it caused are performed: a
  // CloseMediaPort among them then sends it first (perform(CloseMediaPort)).
  deliver_at(at, [&](Node& node, TimePoint now) {
    const auto verdict = node.on_media_packet(now, port.local, port.last_source_address, bytes);
    if (verdict) queue_media_send(port, *verdict, slot, bytes.size());
  });
}

bool NativeRuntime::Impl::too_old(const msghdr& m, std::chrono::nanoseconds read_at) const {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&m), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec at{};
    std::memcpy(&at, CMSG_DATA(c), sizeof at);
    const auto received = std::chrono::seconds{at.tv_sec} + std::chrono::nanoseconds{at.tv_nsec};
    // A wall clock stepped back makes the age negative: fresh. One stepped forward makes every
    // queued packet look old once, for one batch: the same as a short overload.
    return read_at - received > config_.media_max_age;
  }
  return false;  // no timestamp (the option refused): never discarded
}

// --- Forwarding. ---

void NativeRuntime::Impl::queue_media_send(MediaPort& in, const MediaSend& send, std::size_t slot,
                                           std::size_t size) {
  // Only `in` is read (MediaPort): the port the node named is looked up in the table when it
  // is not the one `in` last sent from.
  if (in.out == nullptr || send.from != in.out_local) {
    const auto it = media_ports_.find(send.from);
    set_out(in, it != media_ports_.end() ? it->second.get() : nullptr);
    if (in.out == nullptr) {
      ++stats_.media_send_dropped;  // a port the node no longer has (or never had)
      return;
    }
  }
  if (send.to != in.last_to || in.last_to.ip.empty()) {
    const auto ip = parse_ip(send.to.ip);
    // An IPv6 port is IPv6-only (perform(OpenMediaPort)), an IPv4 one cannot reach IPv6. Only
    // when the destination changes: reading the leaving port then costs nothing that matters.
    if (!ip || ip->is_v6() != in.out->v6 || send.to.port == 0) {
      ++stats_.media_send_dropped;
      return;
    }
    in.last_to = send.to;
    in.last_to_endpoint = udp::endpoint(*ip, send.to.port);
  }
  media_forwards_.push_back(
      MediaForward{.fd = in.out_fd, .to = in.last_to_endpoint, .slot = slot, .size = size});
}

void NativeRuntime::Impl::send_media() {
  if (uring_) {
    uring_queue_sends();
    return;
  }
  const std::size_t total = media_forwards_.size();
  std::size_t first = 0;
  while (first < total) {
    const int fd = media_forwards_[first].fd;
    std::size_t end = first + 1;
    while (end < total && media_forwards_[end].fd == fd) ++end;
    const std::size_t count = end - first;
    for (std::size_t k = 0; k < count; ++k) {
      MediaForward& forward = media_forwards_[first + k];
      media_out_iov_[k] =
          iovec{media_buffer_.data() + forward.slot * kMediaDatagramMax, forward.size};
      msghdr& h = media_out_[k].msg_hdr;
      h = msghdr{};
      h.msg_name = forward.to.data();
      h.msg_namelen = static_cast<socklen_t>(forward.to.size());
      h.msg_iov = &media_out_iov_[k];
      h.msg_iovlen = 1;
      media_out_[k].msg_len = 0;
    }
    std::size_t next = 0;
    while (next < count) {
      const int sent = ::sendmmsg(fd, media_out_.data() + next,
                                  static_cast<unsigned>(count - next), MSG_DONTWAIT);
      if (sent > 0) {
        next += static_cast<std::size_t>(sent);
        stats_.media_packets_out += static_cast<std::uint64_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // The socket's buffer is full: the rest would have to wait for it, and RTP that waits
        // arrives too late to be played. Dropped, like a congested link would.
        stats_.media_send_dropped += count - next;
        break;
      }
      // This one cannot go (no route to it, a refused address); the ones after it may.
      ++stats_.media_send_dropped;
      ++next;
    }
    first = end;
  }
  media_forwards_.clear();
}

}  // namespace resproxy::native
