#pragma once
// TraceCollector: one trace for a whole simulation. Each core Node gets its own TraceSink
// (sink_for("proxy-a")) that renders events with resproxy::to_json_line(event, node_name) and
// appends them, in emission order, to the collector's shared list of lines. Since ns-3 runs one
// event at a time, emission order is simulation order, and the same seed gives the same lines.
//
// The dump is one JSON object per line, newline-terminated: diff two runs with `diff`, or compare
// hash() values (FNV-1a 64 over dump()) as the determinism check.
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/trace.h"

namespace resproxy::model {

class TraceCollector {
 public:
  TraceCollector() = default;
  TraceCollector(const TraceCollector&) = delete;
  TraceCollector& operator=(const TraceCollector&) = delete;

  // A sink tagging every event with `node_name`. The reference stays valid for the collector's
  // lifetime; calling it twice with the same name gives two sinks writing the same tag.
  resproxy::TraceSink& sink_for(std::string node_name);

  [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }
  [[nodiscard]] std::size_t size() const { return lines_.size(); }
  // Lines whose "ev" is exactly `event_name` (a cheap filter for assertions).
  [[nodiscard]] std::vector<std::string> lines_with_event(std::string_view event_name) const;

  [[nodiscard]] std::string dump() const;  // every line + '\n'
  void write_to(std::ostream& out) const;
  [[nodiscard]] std::uint64_t hash() const;
  [[nodiscard]] std::string hash_hex() const;  // 16 lowercase hex digits

  // Empty if equal; otherwise "line N: <a>\n    vs: <b>" for the first difference (a missing
  // line shows as <end of trace>).
  [[nodiscard]] static std::string first_difference(const TraceCollector& a,
                                                    const TraceCollector& b);

  void clear() { lines_.clear(); }

 private:
  class NodeSink final : public resproxy::TraceSink {
   public:
    NodeSink(TraceCollector& collector, std::string node_name)
        : collector_(collector), node_name_(std::move(node_name)) {}
    // TraceSink
    void emit(const resproxy::TraceEvent& event) override;

   private:
    TraceCollector& collector_;
    std::string node_name_;
  };

  std::deque<NodeSink> sinks_;  // deque: stable addresses
  std::vector<std::string> lines_;
};

}  // namespace resproxy::model
