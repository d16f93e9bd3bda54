#include "tests/integration/native/test_node.h"

#include <algorithm>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace resproxy::native::testing {

void TestNode::saw(TimePoint now) {
  ++inputs;
  if (last_now_ && now < *last_now_) time_went_backwards = true;
  last_now_ = now;
}

void TestNode::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  saw(now);
  datagrams.push_back({path, std::string(bytes)});
  if (echo_datagrams) {
    emit(SendDatagram{.local = path.local, .remote = path.remote, .bytes = std::string(bytes)});
  }
}

void TestNode::on_stream_opened(TimePoint now, const Path& path) {
  saw(now);
  opened.push_back(path);
  if (refuse_streams) emit(CloseStream{.stream = path.stream});
}

void TestNode::on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) {
  saw(now);
  stream_bytes[stream.value].append(bytes);
  if (echo_streams) emit(WriteStream{.stream = stream, .bytes = std::string(bytes)});
  if (close_after_echo) emit(CloseStream{.stream = stream});
}

void TestNode::on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) {
  saw(now);
  closed.push_back({stream, reason});
}

void TestNode::on_completion(TimePoint now, const Completion& completion) {
  saw(now);
  if (const auto* done = std::get_if<resproxy::StoreDone>(&completion)) {
    stores_done.push_back({done->id, done->outcome, now});
  }
}

void TestNode::on_deadline(TimePoint now) {
  saw(now);
  last_deadline_asked = deadline_;
  if (!deadline_ || now < *deadline_) deadline_called_early = true;
  deadlines_fired.push_back(now);
  deadline_.reset();
}

std::optional<Effect> TestNode::next_effect() {
  if (effects_.empty()) return std::nullopt;
  Effect effect = std::move(effects_.front());
  effects_.pop_front();
  return effect;
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    io.restart();
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds{10}));
  }
  return true;
}

void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  io.restart();
  io.run_for(duration);
}

bool await_kernel_receive_timestamps() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int on = 1;
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof self;
  bool stamped = false;
  if (::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0 &&
      ::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &length) == 0) {
    for (int attempt = 0; attempt < 100 && !stamped; ++attempt) {
      const char probe = 'p';
      if (::sendto(fd, &probe, 1, 0, reinterpret_cast<sockaddr*>(&self), sizeof self) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      char byte = 0;
      iovec iov{&byte, 1};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr m{};
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control;
      m.msg_controllen = sizeof control;
      if (::recvmsg(fd, &m, MSG_DONTWAIT) != 1) break;
      timespec now{};
      ::clock_gettime(CLOCK_REALTIME, &now);
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec at{};
        std::memcpy(&at, CMSG_DATA(c), sizeof at);
        const auto waited = std::chrono::seconds{now.tv_sec - at.tv_sec} +
                            std::chrono::nanoseconds{now.tv_nsec - at.tv_nsec};
        stamped = waited >= std::chrono::milliseconds(20);
      }
    }
  }
  ::close(fd);
  return stamped;
}

}  // namespace resproxy::native::testing
