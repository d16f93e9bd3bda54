#pragma once
// LogFile: one of the daemon's log files (sip_log, trace_log): private (created 0600, an
// existing file wider than that is narrowed), capped in size with numbered rotation, and
// reopened on request (SIGHUP), so that logrotate's move-then-HUP works as well as our own cap.
//
//   * Each write() is one entry (a SIP message with its header line, one JSON line) and goes to
//     the file in one write(2): nothing is buffered in the process, so the file is complete up
//     to a crash, and an entry is never split between two files.
//   * Rotation: when the next entry would take the file past max_bytes (and the file is not
//     empty), file.(keep-1) → file.keep, …, file → file.1, and a new file is started; the
//     oldest beyond `keep` is overwritten by the rename. keep 0: the file is truncated instead.
//     max_bytes 0: no cap.
//   * A write that fails (a full disk: ENOSPC) is counted and dropped: a log never stops
//     signalling. A rotation or reopen that fails keeps writing to the file already open.
//   * "-" is stderr: never rotated or reopened.
//
// Not thread-safe: the daemon writes its logs from the io thread only.
#include <cstdint>
#include <streambuf>
#include <string>
#include <string_view>

namespace resproxy::native {

class LogFile {
 public:
  struct Options {
    std::uint64_t max_bytes = 10 << 20;  // 0: no cap
    int keep = 5;                        // rotated files kept: file.1 … file.keep
  };

  // Opens (creating 0600) `path` for appending; "-" is stderr. Throws std::runtime_error naming
  // the path and the OS error if it cannot be opened (a start-up error).
  LogFile(std::string path, Options options);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Appends one entry, rotating first if it would pass the cap.
  void write(std::string_view entry);

  // Closes and opens the path again (after logrotate moved the file away, a new one is
  // created). False, with the reason in *error, if it cannot be opened: the old descriptor is
  // kept and written to.
  bool reopen(std::string* error = nullptr);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::uint64_t size() const { return size_; }
  [[nodiscard]] std::uint64_t rotations() const { return rotations_; }
  [[nodiscard]] std::uint64_t write_errors() const { return write_errors_; }

 private:
  int open_file(std::string* error) const;
  void rotate();

  std::string path_;
  Options options_;
  int fd_ = -1;
  bool owned_ = false;
  std::uint64_t size_ = 0;
  std::uint64_t rotations_ = 0;
  std::uint64_t write_errors_ = 0;
};

// A std::streambuf over a LogFile, for writers that speak std::ostream (JsonLinesTraceSink):
// characters are collected until the stream is flushed, and each flush is one LogFile entry.
// Flush once per entry (JsonLinesTraceSink's flush_each_line).
class LogFileStreambuf final : public std::streambuf {
 public:
  explicit LogFileStreambuf(LogFile& file) : file_(file) {}
  ~LogFileStreambuf() override { sync(); }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  LogFile& file_;
  std::string pending_;
};

}  // namespace resproxy::native
