#pragma once
// The daemons' --pidfile: written at start, removed when the daemon exits normally.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace resproxy::native {

class PidFile {
 public:
  PidFile() = default;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool write(const std::string& path, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      error = std::strerror(errno);
      return false;
    }
    const std::string text = std::to_string(::getpid()) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (!ok) error = std::strerror(errno);
    ::close(fd);
    if (ok) path_ = path;
    return ok;
  }

 private:
  std::string path_;
};

}  // namespace resproxy::native
