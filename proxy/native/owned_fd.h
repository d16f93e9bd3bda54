#pragma once
// OwnedFd: a descriptor owned, closed once — by close() or when its owner ends. For descriptors
// that no asio object holds: a media port's socket once it left asio's reactor
// (runtime_impl.h's MediaPort), resproxyctl's control socket.
#include <unistd.h>

namespace resproxy::native {

class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() { close(); }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  [[nodiscard]] int get() const { return fd_; }  // -1 once closed
  void close() {
    if (fd_ >= 0) (void)::close(fd_);  // Linux frees the descriptor even when close fails
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace resproxy::native
