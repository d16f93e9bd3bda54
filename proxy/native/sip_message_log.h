#pragma once
// SipMessageLog: the daemon's SIP message log (`[advanced.sipproxy] sip_log`): every datagram
// and stream chunk in and out, as NativeRuntime::set_message_log reports them, each preceded
// by one header line:
//
//   2024-05-01T12:00:00.123456Z UDP in 192.0.2.10:5060 -> 192.0.2.1:5060 (412 bytes)
//   <the bytes>
//   <a blank line>
//
// TCP headers add the stream id: "TCP out stream 3 192.0.2.1:5060 -> …". Each entry is written
// at once in one write(2), so the log is complete up to a crash. It holds SIP bodies and
// credentials headers as they travel: the file is private (0600), capped and rotated, and
// reopened on SIGHUP (log_file.h).
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/net.h"
#include "proxy/native/log_file.h"

namespace resproxy::native {

class SipMessageLog {
 public:
  // `path` "-" is stderr. Appends to an existing file. Throws std::runtime_error naming the
  // path and the OS error if it cannot be opened.
  explicit SipMessageLog(const std::string& path, LogFile::Options options = {});

  void write(bool outbound, const Path& path, std::string_view bytes);
  // SIGHUP: see LogFile::reopen.
  bool reopen(std::string* error = nullptr) { return file_.reopen(error); }
  [[nodiscard]] std::uint64_t entries() const { return entries_; }
  [[nodiscard]] LogFile& file() { return file_; }
  [[nodiscard]] const LogFile& file() const { return file_; }

 private:
  LogFile file_;
  std::uint64_t entries_ = 0;
};

// The header line of one entry, without the timestamp and newline (for tests).
std::string describe_message(bool outbound, const Path& path, std::size_t size);

}  // namespace resproxy::native
