#include "proxy/native/sip_message_log.h"

#include <stdexcept>

#include "proxy/native/log.h"

namespace resproxy::native {

namespace {

LogFile open_log(const std::string& path, LogFile::Options options) {
  try {
    return LogFile(path, options);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("SIP message log: ") + e.what());
  }
}

}  // namespace

SipMessageLog::SipMessageLog(const std::string& path, LogFile::Options options)
    : file_(open_log(path, options)) {}

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
  file_.write(entry);
  ++entries_;
}

}  // namespace resproxy::native
