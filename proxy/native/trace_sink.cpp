#include "proxy/native/trace_sink.h"

#include <utility>

namespace resproxy::native {

JsonLinesTraceSink::JsonLinesTraceSink(std::ostream& out, std::string node_name,
                                       bool flush_each_line)
    : out_(out), node_name_(std::move(node_name)), flush_each_line_(flush_each_line) {}

void JsonLinesTraceSink::emit(const TraceEvent& event) {
  std::string line = to_json_line(event, node_name_);
  line.push_back('\n');
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  if (flush_each_line_) out_.flush();
  ++lines_written_;
}

void JsonLinesTraceSink::flush() { out_.flush(); }

}  // namespace resproxy::native
