// NativeRuntime's datagrams (runtime_impl.h): the SendDatagram effect (a send at once, else an
// asynchronous one), and receiving: batches of datagrams in one recvmmsg, with the kernel's
// receive timestamp (how long they waited) and the arrival interface.
#include "proxy/native/runtime_impl.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include <boost/asio/buffer.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace resproxy::native {

namespace {

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

}  // namespace

// --- UDP. ---

void NativeRuntime::Impl::perform(SendDatagram& effect) {
  if (drop_if_ && drop_if_(effect)) {
    ++stats_.datagrams_dropped;
    return;
  }
  if (datagram_sender_) {
    if (message_log_) {
      message_log_(true, Path{.transport = Transport::Udp, .local = local_, .remote = effect.remote,
                              .stream = {}},
                   effect.bytes);
    }
    ++stats_.datagrams_out;
    stats_.bytes_out += effect.bytes.size();
    datagram_sender_(effect);
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

}  // namespace resproxy::native
