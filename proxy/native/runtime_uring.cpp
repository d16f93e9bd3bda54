// NativeRuntime::run() on io_uring (runtime.h ListenConfig::media_io): the relay's data path
// without a system call per datagram and without epoll.
//
//   * Each media port holds one multishot recvmsg. The kernel puts each datagram it receives,
//     with its source and its receive time (SO_TIMESTAMPNS, for the age bound), into a buffer it
//     takes from a ring of provided buffers, and posts one completion per datagram.
//   * Each datagram is one Node input, as on the epoll path (runtime_media.cpp); a forward the
//     node asks for is a sendmsg from the leaving port's socket that points into the same
//     buffer. The buffer goes back to the ring when that send completes (or at once when the
//     datagram is not forwarded).
//   * One io_uring_enter per wake-up submits the sends queued and waits for the next
//     completions, at most until the Node's deadline — run()'s only blocking call. Asio's keys
//     (the eventfd post() writes, the runtime's UDP socket) are multishot polls in the same ring.
//   * Fairness: the kernel receives at most a few dozen datagrams from one socket per turn before
//     it moves on to the next, and the buffers bound what a turn takes from all of them; a port
//     whose receive ended for want of a buffer (ENOBUFS) is armed again after the turn gave
//     buffers back, its datagrams still queued in its socket.
//   * A port closed while its receive is in the ring is cancelled, and the port kept until the
//     receive's last completion: every completion that names it finds it.
//
// Where the kernel refuses io_uring (Linux before 6.0, a seccomp profile such as Docker's
// default, kernel.io_uring_disabled), or this build has no liburing, uring_start() says no and
// run() uses the epoll set.
#include "proxy/native/runtime_impl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string_view>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#ifdef RESPROXY_HAVE_IO_URING
#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#endif

namespace resproxy::native {

#ifdef RESPROXY_HAVE_IO_URING

namespace {

// A completion's user_data: what completed, in the low three bits (a MediaPort is 8-aligned).
constexpr std::uint64_t kTagMask = 7;
constexpr std::uint64_t kTagReceive = 0;  // | the MediaPort*
constexpr std::uint64_t kTagSend = 1;     // | the buffer's id << 3
constexpr std::uint64_t kTagAsio = 2;     // | the descriptor << 3
constexpr std::uint64_t kTagCancel = 3;
constexpr std::uint64_t kTagProbe = 4;

// Buffers a turn can fill: a power of two. 2,048 is 40 ms of 50,000 packets/s.
constexpr unsigned kBuffers = 2048;
constexpr unsigned kSubmissions = 1024;
constexpr unsigned kCompletions = 16384;  // receives and sends of a busy turn, with room to spare
constexpr int kBufferGroup = 0;

}  // namespace

struct NativeRuntime::Impl::MediaUring {
  MediaUring() = default;
  MediaUring(const MediaUring&) = delete;
  MediaUring& operator=(const MediaUring&) = delete;
  ~MediaUring() {
    if (ring_ready) io_uring_queue_exit(&ring);  // cancels what is left in it
    if (buffer_ring != nullptr) ::munmap(buffer_ring, kBuffers * sizeof(io_uring_buf));
  }

  // The ring (deferred task work where the kernel has it: Linux >= 6.1), its provided buffers;
  // false with `why`.
  bool init(bool timestamps, std::string& why) {
    const unsigned flag_sets[] = {
        IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_CQSIZE};
    int r = -ENOSYS;
    for (const unsigned flags : flag_sets) {
      io_uring_params params{};
      params.flags = flags;
      params.cq_entries = kCompletions;
      r = io_uring_queue_init_params(kSubmissions, &ring, &params);
      if (r == 0) {
        // Waits with a timeout need EXT_ARG (5.11); a full completion queue must not drop.
        if ((params.features & IORING_FEAT_EXT_ARG) == 0 || (params.features & IORING_FEAT_NODROP) == 0) {
          io_uring_queue_exit(&ring);
          why = "io_uring: the kernel lacks EXT_ARG or NODROP";
          return false;
        }
        break;
      }
    }
    if (r != 0) {
      why = std::string("io_uring_setup: ") + std::strerror(-r);
      return false;
    }
    ring_ready = true;
    void* mapped = ::mmap(nullptr, kBuffers * sizeof(io_uring_buf), PROT_READ | PROT_WRITE,
                          MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mapped == MAP_FAILED) {
      why = std::string("mmap: ") + std::strerror(errno);
      return false;
    }
    buffer_ring = static_cast<io_uring_buf_ring*>(mapped);
    io_uring_buf_ring_init(buffer_ring);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(buffer_ring);
    reg.ring_entries = kBuffers;
    reg.bgid = kBufferGroup;
    if (const int e = io_uring_register_buf_ring(&ring, &reg, 0); e != 0) {
      why = std::string("io_uring_register_buf_ring: ") + std::strerror(-e);
      return false;
    }
    // Each buffer: the kernel's header, the source, the receive time, the datagram. The source's
    // room is rounded up to 8 bytes: the control part after it is read as cmsghdr, aligned.
    receive_template.msg_namelen = (sizeof(sockaddr_in6) + 7) / 8 * 8;
    receive_template.msg_controllen = timestamps ? CMSG_SPACE(sizeof(timespec)) : 0;
    payload_offset = sizeof(io_uring_recvmsg_out) + receive_template.msg_namelen +
                     receive_template.msg_controllen;
    buffer_size = (payload_offset + kMediaDatagramMax + 63) / 64 * 64;
    storage.reset(new char[kBuffers * buffer_size]);
    sends.resize(kBuffers);
    sending.assign(kBuffers, false);
    for (unsigned id = 0; id < kBuffers; ++id) give_back(id);
    flush_given_back();
    return true;
  }

  char* buffer(unsigned id) { return storage.get() + static_cast<std::size_t>(id) * buffer_size; }

  // Buffer `id` back to the ring; the kernel sees it at the next flush_given_back().
  void give_back(unsigned id) {
    io_uring_buf_ring_add(buffer_ring, buffer(id), static_cast<unsigned>(buffer_size),
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(kBuffers), given_back++);
  }
  void flush_given_back() {
    if (given_back > 0) io_uring_buf_ring_advance(buffer_ring, given_back);
    given_back = 0;
  }

  // A free submission entry: when the queue is full, what it holds goes to the kernel first.
  io_uring_sqe* entry() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) {
      io_uring_submit(&ring);
      sqe = io_uring_get_sqe(&ring);
    }
    return sqe;
  }

  bool arm_receive(int fd, std::uint64_t data) {
    io_uring_sqe* sqe = entry();
    if (sqe == nullptr) return false;
    io_uring_prep_recvmsg_multishot(sqe, fd, &receive_template, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, data);
    return true;
  }

  bool arm_poll(int fd) {
    io_uring_sqe* sqe = entry();
    if (sqe == nullptr) return false;
    io_uring_prep_poll_multishot(sqe, fd, POLLIN);
    io_uring_sqe_set_data64(sqe, kTagAsio | (static_cast<std::uint64_t>(fd) << 3));
    return true;
  }

  // Proves the kernel does all the data path needs — a multishot recvmsg into a provided buffer
  // — with one datagram to a socket of its own on loopback. Leaves the ring as it found it.
  bool probe(std::string& why) {
    OwnedFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof self;
    if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&self), sizeof self) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&self), &size) != 0) {
      why = std::string("probe socket: ") + std::strerror(errno);
      return false;
    }
    if (!arm_receive(fd.get(), kTagProbe)) {
      why = "io_uring: no submission entry";
      return false;
    }
    const char byte = 0;
    if (::sendto(fd.get(), &byte, 1, 0, reinterpret_cast<sockaddr*>(&self), sizeof self) != 1) {
      why = std::string("probe send: ") + std::strerror(errno);
      return false;
    }
    bool received = false;
    bool ended = false;
    std::string error;
    for (int turn = 0; turn < 20 && !ended; ++turn) {
      if (received) {  // the datagram came: cancel the receive and wait for its end
        io_uring_sqe* sqe = entry();
        io_uring_prep_cancel64(sqe, kTagProbe, 0);
        io_uring_sqe_set_data64(sqe, kTagCancel);
      }
      __kernel_timespec wait{.tv_sec = 0, .tv_nsec = 50'000'000};
      io_uring_cqe* cqe = nullptr;
      (void)io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &wait, nullptr);
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring, head, cqe) {
        ++seen;
        if (io_uring_cqe_get_data64(cqe) != kTagProbe) continue;
        if ((cqe->flags & IORING_CQE_F_BUFFER) != 0) {
          give_back(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
          received = received || ((cqe->flags & IORING_CQE_F_MORE) != 0 && cqe->res > 0);
        }
        if ((cqe->flags & IORING_CQE_F_MORE) == 0) {
          ended = true;
          if (!received) error = std::string("multishot recvmsg: ") + std::strerror(-cqe->res);
        }
      }
      io_uring_cq_advance(&ring, seen);
      flush_given_back();
    }
    if (received && ended) return true;
    why = !error.empty() ? error : "multishot recvmsg: no completion within a second";
    return false;
  }

  io_uring ring{};
  bool ring_ready = false;
  io_uring_buf_ring* buffer_ring = nullptr;
  std::unique_ptr<char[]> storage;  // kBuffers of buffer_size
  std::size_t buffer_size = 0;
  std::size_t payload_offset = 0;
  msghdr receive_template{};
  int given_back = 0;  // since the last flush_given_back()
  // A forward's request, one per buffer (a datagram leaves at most once): the kernel reads it
  // when the request is submitted, the bytes it points at until it completes.
  struct Send {
    msghdr header{};
    iovec bytes{};
    sockaddr_storage to{};
  };
  std::vector<Send> sends;
  std::vector<bool> sending;  // the buffer is a forward's until its send completes
  std::vector<std::shared_ptr<MediaPort>> closing;  // receive cancelled, last completion to come
};

void NativeRuntime::Impl::MediaUringDelete::operator()(MediaUring* uring) const { delete uring; }

bool NativeRuntime::Impl::uring_usable(std::string& why) {
  // Probed once per process, on a ring of its own: the daemon asks before it logs its data path,
  // then every shard's run() before it sets its ring up.
  static const std::string refused = [] {
    std::string reason;
    const std::unique_ptr<MediaUring, MediaUringDelete> uring(new MediaUring());
    return uring->init(false, reason) && uring->probe(reason) ? std::string() : reason;
  }();
  why = refused;
  return refused.empty();
}

bool NativeRuntime::Impl::uring_start(int wake) {
  std::string why;
  if (!uring_usable(why)) return false;
  std::unique_ptr<MediaUring, MediaUringDelete> uring(new MediaUring());
  if (!uring->init(config_.media_max_age.count() > 0, why)) return false;
  if (!uring->arm_poll(wake) || (udp_.is_open() && !uring->arm_poll(udp_.native_handle()))) return false;
  uring_ = std::move(uring);
  // The ports opened before leave the epoll set for the ring; Asio's wait on the set ends.
  media_waiting_ = false;
  ErrorCode ignored;
  media_epoll_->cancel(ignored);
  for (auto& [local, port] : media_ports_) {
    (void)::epoll_ctl(media_epoll_->native_handle(), EPOLL_CTL_DEL, port->fd.get(), nullptr);
    uring_arm(*port);
  }
  media_backlog_.clear();  // the ring's receives read what is queued
  stats_.media_io_uring = 1;
  return true;
}

void NativeRuntime::Impl::uring_stop() {
  if (!uring_) return;
  // The sends that completed since the last turn are counted; the rest ends with the ring.
  (void)io_uring_get_events(&uring_->ring);
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&uring_->ring, head, cqe) {
    ++seen;
    if ((io_uring_cqe_get_data64(cqe) & kTagMask) == kTagSend) count_send(cqe->res);
  }
  io_uring_cq_advance(&uring_->ring, seen);
  uring_.reset();
  stats_.media_io_uring = 0;
  // Ports still open (the io_context stopped, the runtime not): back in the epoll set. What the
  // ring had received from them and not handed out yet is lost with it.
  for (auto& [local, port] : media_ports_) {
    port->uring_armed = false;
    if (std::string error; !watch_media_port(*port, error)) ++stats_.media_receive_errors;
  }
}

void NativeRuntime::Impl::count_send(int result) {
  if (result < 0) {
    ++stats_.media_send_dropped;  // the socket's buffer was full (EAGAIN), no route, …
  } else {
    ++stats_.media_packets_out;
  }
}

void NativeRuntime::Impl::uring_arm(MediaPort& port) {
  if (port.uring_armed) return;
  port.uring_armed = uring_->arm_receive(port.fd.get(), reinterpret_cast<std::uint64_t>(&port) | kTagReceive);
  if (!port.uring_armed) ++stats_.media_receive_errors;
}

void NativeRuntime::Impl::uring_release(MediaPort& port) {
  if (port.uring_armed) {
    if (io_uring_sqe* sqe = uring_->entry(); sqe != nullptr) {
      io_uring_prep_cancel64(sqe, reinterpret_cast<std::uint64_t>(&port) | kTagReceive, 0);
      io_uring_sqe_set_data64(sqe, kTagCancel);
    }
    uring_->closing.push_back(port.shared_from_this());
  }
  // Forwards queued from its socket leave before it closes; the cancel runs now, and its
  // completion, run as the kernel's deferred work, lets go of the socket: the port can be bound
  // again at once.
  io_uring_submit(&uring_->ring);
  (void)io_uring_get_events(&uring_->ring);
}

void NativeRuntime::Impl::uring_queue_sends() {
  MediaUring& u = *uring_;
  for (const MediaForward& forward : media_forwards_) {
    const auto id = static_cast<unsigned>(forward.slot);
    MediaUring::Send& send = u.sends[id];
    std::memcpy(&send.to, forward.to.data(), forward.to.size());
    send.bytes = iovec{u.buffer(id) + u.payload_offset, forward.size};
    send.header = msghdr{};
    send.header.msg_name = &send.to;
    send.header.msg_namelen = static_cast<socklen_t>(forward.to.size());
    send.header.msg_iov = &send.bytes;
    send.header.msg_iovlen = 1;
    io_uring_sqe* sqe = u.entry();
    if (sqe == nullptr) {
      ++stats_.media_send_dropped;
      continue;
    }
    // MSG_DONTWAIT: a full socket buffer fails the send (counted, dropped) instead of queueing
    // RTP that would arrive too late to be played.
    io_uring_prep_sendmsg(sqe, forward.fd, &send.header, MSG_DONTWAIT);
    io_uring_sqe_set_data64(sqe, kTagSend | (static_cast<std::uint64_t>(id) << 3));
    u.sending[id] = true;
  }
  media_forwards_.clear();
}

void NativeRuntime::Impl::run_uring(int wake) {
  LoopTurn turn{.last_poll = SteadyClock::now() - kLoopPollMax};
  while (true) {
    const auto now = loop_asio_turn(turn, wake);
    if (loop_ended()) break;
    const auto wait = loop_wait(turn, now);
    __kernel_timespec timeout{.tv_sec = wait.count() / 1000, .tv_nsec = (wait.count() % 1000) * 1'000'000};
    io_uring_cqe* cqe = nullptr;
    const int r = io_uring_submit_and_wait_timeout(&uring_->ring, &cqe, 1, &timeout, nullptr);
    // The deadline, the poll bound or a signal: Asio's turn. Completions that came are handled
    // first all the same.
    if (r == -ETIME || r == -EINTR) turn.asio_ready = true;
    uring_completions(turn);
  }
}

void NativeRuntime::Impl::uring_completions(LoopTurn& turn) {
  MediaUring& u = *uring_;
  RESPROXY_CHECK(!in_media_events_);
  in_media_events_ = true;
  media_clock_.datagrams = kMediaClockDatagrams;  // read again at the first datagram
  rearm_deferred_ = true;                          // the timer once, at the end (handle_media_events)
  unsigned head = 0;
  io_uring_cqe* cqe = nullptr;
  // The ports of a turn are cold: their lines and their node state asked for at once, so the
  // cache misses overlap (handle_media_events).
  io_uring_for_each_cqe(&u.ring, head, cqe) {
    const std::uint64_t data = io_uring_cqe_get_data64(cqe);
    if ((data & kTagMask) != kTagReceive || (cqe->flags & IORING_CQE_F_BUFFER) == 0) continue;
    const auto& port = *reinterpret_cast<const MediaPort*>(data);
    prefetch_port(port);
    if (!port.closed) node_.prefetch_media(port.local);
  }
  const bool age_bound = config_.media_max_age.count() > 0;
  unsigned seen = 0;
  io_uring_for_each_cqe(&u.ring, head, cqe) {
    ++seen;
    const std::uint64_t data = io_uring_cqe_get_data64(cqe);
    const std::uint64_t tag = data & kTagMask;
    const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
    if (tag == kTagSend) {
      const auto id = static_cast<unsigned>(data >> 3);
      count_send(cqe->res);
      u.sending[id] = false;
      u.give_back(id);
      continue;
    }
    if (tag == kTagAsio) {
      turn.asio_ready = true;
      if (!more && !u.arm_poll(static_cast<int>(data >> 3))) ++stats_.media_receive_errors;
      continue;
    }
    if (tag != kTagReceive) continue;  // a cancel's own completion
    MediaPort& port = *reinterpret_cast<MediaPort*>(data);
    const bool has_buffer = (cqe->flags & IORING_CQE_F_BUFFER) != 0;
    const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) ++stats_.media_receive_errors;
    if (has_buffer) {
      bool forwarded = false;
      if (!port.closed && !stopped_ && cqe->res >= 0) {
        io_uring_recvmsg_out* out = io_uring_recvmsg_validate(u.buffer(id), cqe->res, &u.receive_template);
        if (out == nullptr || (out->flags & MSG_TRUNC) != 0) {
          ++stats_.media_receive_errors;  // not RTP over Ethernet; a cut copy is of no use
        } else {
          if (media_clock_.datagrams >= kMediaClockDatagrams) media_clock_ = MediaClock{.now = now(), .datagrams = 0};
          ++media_clock_.datagrams;
          bool stale = false;
          if (age_bound) {  // the wall clock per datagram: a wait inside the turn counts
            timespec wall{};
            ::clock_gettime(CLOCK_REALTIME_COARSE, &wall);
            msghdr view{};
            view.msg_control = reinterpret_cast<char*>(out + 1) + u.receive_template.msg_namelen;
            view.msg_controllen = out->controllen;
            stale = too_old(view, std::chrono::seconds{wall.tv_sec} + std::chrono::nanoseconds{wall.tv_nsec});
          }
          if (stale) {
            ++stats_.media_stale_dropped;
          } else {
            relay_datagram(port, io_uring_recvmsg_name(out), out->namelen,
                           std::string_view(static_cast<const char*>(io_uring_recvmsg_payload(out, &u.receive_template)),
                                            io_uring_recvmsg_payload_length(out, cqe->res, &u.receive_template)),
                           id, media_clock_.now);
            uring_queue_sends();
            forwarded = u.sending[id];
          }
        }
      }
      if (!forwarded) u.give_back(id);
    }
    if (!more) {  // the receive ended: out of buffers (ENOBUFS), cancelled, or an error
      port.uring_armed = false;
      if (!port.closed && !stopped_) {
        uring_arm(port);  // submitted with the next wait, after this turn's buffers are back
      } else {
        std::erase_if(u.closing, [&port](const auto& p) { return p.get() == &port; });  // may free it
      }
    }
  }
  io_uring_cq_advance(&u.ring, seen);
  u.flush_given_back();
  rearm_deferred_ = false;
  if (!stopped_) rearm_timer();
  in_media_events_ = false;
  media_closed_.clear();
}

#else  // no liburing in this build: run() uses the epoll set.

struct NativeRuntime::Impl::MediaUring {};
void NativeRuntime::Impl::MediaUringDelete::operator()(MediaUring* uring) const { delete uring; }

bool NativeRuntime::Impl::uring_usable(std::string& why) {
  why = "built without liburing";
  return false;
}
bool NativeRuntime::Impl::uring_start(int) { return false; }
void NativeRuntime::Impl::run_uring(int) {}
void NativeRuntime::Impl::uring_stop() {}
void NativeRuntime::Impl::uring_arm(MediaPort&) {}
void NativeRuntime::Impl::uring_release(MediaPort&) {}
void NativeRuntime::Impl::uring_queue_sends() {}
void NativeRuntime::Impl::uring_completions(LoopTurn&) {}

#endif

bool NativeRuntime::media_io_uring_usable(std::string& why) { return Impl::uring_usable(why); }

}  // namespace resproxy::native
