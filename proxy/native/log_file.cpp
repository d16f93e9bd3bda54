#include "proxy/native/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace resproxy::native {

namespace {

constexpr mode_t kPrivate = 0600;

}  // namespace

LogFile::LogFile(std::string path, Options options)
    : path_(std::move(path)), options_(options) {
  if (path_ == "-") {
    fd_ = STDERR_FILENO;
    return;
  }
  std::string error;
  fd_ = open_file(&error);
  if (fd_ < 0) throw std::runtime_error("cannot open log file " + path_ + ": " + error);
  owned_ = true;
  struct stat st {};
  if (::fstat(fd_, &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
}

LogFile::~LogFile() {
  if (owned_) ::close(fd_);
}

int LogFile::open_file(std::string* error) const {
  // The mode asked for is narrowed by the umask, never widened: 0600 at most.
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kPrivate);
  if (fd < 0) {
    if (error) *error = std::strerror(errno);
    return -1;
  }
  // A file that exists already (an older daemon's, or created by hand) may be readable by
  // others; the logs hold SIP messages with credentials headers: make it private.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) (void)::fchmod(fd, st.st_mode & 0700);
  return fd;
}

void LogFile::write(std::string_view entry) {
  if (entry.empty()) return;
  if (owned_ && options_.max_bytes > 0 && size_ > 0 && size_ + entry.size() > options_.max_bytes) {
    rotate();
  }
  std::size_t done = 0;
  while (done < entry.size()) {
    const ssize_t n = ::write(fd_, entry.data() + done, entry.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++write_errors_;  // a full disk: the entry (or its rest) is lost, signalling goes on
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += done;
}

void LogFile::rotate() {
  if (options_.keep <= 0) {
    // No rotated files kept: start the file again.
    if (::ftruncate(fd_, 0) == 0) {
      size_ = 0;
      ++rotations_;
    }
    return;
  }
  // file.(keep-1) → file.keep, …, file.1 → file.2; a missing one is skipped.
  for (int i = options_.keep - 1; i >= 1; --i) {
    const std::string from = path_ + "." + std::to_string(i);
    const std::string to = path_ + "." + std::to_string(i + 1);
    (void)std::rename(from.c_str(), to.c_str());
  }
  if (std::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) return;  // keep writing here
  const int fd = open_file(nullptr);
  if (fd < 0) return;  // the renamed file goes on growing until a reopen succeeds
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  ++rotations_;
}

bool LogFile::reopen(std::string* error) {
  if (!owned_) return true;
  const int fd = open_file(error);
  if (fd < 0) return false;
  ::close(fd_);
  fd_ = fd;
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

LogFileStreambuf::int_type LogFileStreambuf::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) pending_.push_back(traits_type::to_char_type(c));
  return traits_type::not_eof(c);
}

std::streamsize LogFileStreambuf::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<std::size_t>(n));
  return n;
}

int LogFileStreambuf::sync() {
  if (!pending_.empty()) {
    file_.write(pending_);
    pending_.clear();
  }
  return 0;
}

}  // namespace resproxy::native
