#include "proxy/native/sip_message_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "proxy/native/log.h"

namespace resproxy::native {

SipMessageLog::SipMessageLog(const std::string& path) {
  if (path == "-") {
    file_ = stderr;
    return;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0) file_ = ::fdopen(fd, "a");
  if (file_ == nullptr) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot open SIP message log " + path + ": " + std::strerror(error));
  }
  owned_ = true;
}

SipMessageLog::~SipMessageLog() {
  if (owned_) std::fclose(file_);
}

std::string describe_message(bool outbound, const Path& path, std::size_t size) {
  std::string out(to_string(path.transport));
  out += outbound ? " out " : " in ";
  if (path.transport == Transport::Tcp) out += "stream " + std::to_string(path.stream.value) + " ";
  const Address& from = outbound ? path.local : path.remote;
  const Address& to = outbound ? path.remote : path.local;
  out += from.to_string() + " -> " + to.to_string();
  out += " (" + std::to_string(size) + " bytes)";
  return out;
}

void SipMessageLog::write(bool outbound, const Path& path, std::string_view bytes) {
  std::string entry = utc_timestamp();
  entry += ' ';
  entry += describe_message(outbound, path, bytes.size());
  entry += '\n';
  entry += bytes;
  if (!bytes.ends_with('\n')) entry += '\n';
  entry += '\n';
  std::fwrite(entry.data(), 1, entry.size(), file_);
  std::fflush(file_);
  ++entries_;
}

}  // namespace resproxy::native
