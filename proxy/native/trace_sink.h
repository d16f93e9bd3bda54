#pragma once
// JsonLinesTraceSink: the native rendering of the core's trace (STYLE.md §8): one JSON object
// per line, {"t_ns":…,"node":"…","ev":"…",…}, written to any std::ostream (a log file, stdout,
// a std::ostringstream in tests). Times are core time, so two runs diff cleanly.
#include <cstdint>
#include <ostream>
#include <string>

#include "proxy/base/trace.h"

namespace resproxy::native {

class JsonLinesTraceSink final : public TraceSink {
 public:
  // `out` must outlive the sink. With flush_each_line, every event reaches the stream's target
  // before emit() returns (a crash loses nothing), at the cost of one write per event.
  JsonLinesTraceSink(std::ostream& out, std::string node_name, bool flush_each_line = false);

  // TraceSink
  void emit(const TraceEvent& event) override;

  void flush();
  [[nodiscard]] std::uint64_t lines_written() const { return lines_written_; }

 private:
  std::ostream& out_;
  std::string node_name_;
  bool flush_each_line_;
  std::uint64_t lines_written_ = 0;
};

}  // namespace resproxy::native
