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
// and flushed at once, so the log is complete up to a crash. It holds SIP bodies and
// credentials headers as they travel: keep the file private (it is created 0600).
#include <cstdio>
#include <string>
#include <string_view>

#include "proxy/base/net.h"

namespace resproxy::native {

class SipMessageLog {
 public:
  // `path` "-" is stderr. Appends to an existing file. Throws std::runtime_error naming the
  // path and the OS error if it cannot be opened.
  explicit SipMessageLog(const std::string& path);
  ~SipMessageLog();
  SipMessageLog(const SipMessageLog&) = delete;
  SipMessageLog& operator=(const SipMessageLog&) = delete;

  void write(bool outbound, const Path& path, std::string_view bytes);
  [[nodiscard]] std::uint64_t entries() const { return entries_; }

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::uint64_t entries_ = 0;
};

// The header line of one entry, without the timestamp and newline (for tests).
std::string describe_message(bool outbound, const Path& path, std::size_t size);

}  // namespace resproxy::native
