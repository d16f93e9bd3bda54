#include "model/trace_collector.h"

#include <algorithm>
#include <ostream>
#include <utility>

namespace resproxy::model {

namespace {
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

void fnv1a(std::uint64_t& h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
}
}  // namespace

void TraceCollector::NodeSink::emit(const resproxy::TraceEvent& event) {
  collector_.lines_.push_back(resproxy::to_json_line(event, node_name_));
}

resproxy::TraceSink& TraceCollector::sink_for(std::string node_name) {
  return sinks_.emplace_back(*this, std::move(node_name));
}

std::vector<std::string> TraceCollector::lines_with_event(std::string_view event_name) const {
  std::string needle = ",\"ev\":";
  resproxy::append_json_string(needle, event_name);
  std::vector<std::string> out;
  for (const auto& line : lines_) {
    const auto at = line.find(needle);
    // The name must end there: next comes ',' (a field) or '}' (end of the object).
    if (at != std::string::npos && at + needle.size() < line.size() &&
        (line[at + needle.size()] == ',' || line[at + needle.size()] == '}')) {
      out.push_back(line);
    }
  }
  return out;
}

std::string TraceCollector::dump() const {
  std::size_t total = 0;
  for (const auto& line : lines_) total += line.size() + 1;
  std::string out;
  out.reserve(total);
  for (const auto& line : lines_) {
    out += line;
    out.push_back('\n');
  }
  return out;
}

void TraceCollector::write_to(std::ostream& out) const {
  for (const auto& line : lines_) out << line << '\n';
}

std::uint64_t TraceCollector::hash() const {
  std::uint64_t h = kFnvOffset;
  for (const auto& line : lines_) {
    fnv1a(h, line);
    fnv1a(h, "\n");
  }
  return h;
}

std::string TraceCollector::hash_hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::uint64_t h = hash();
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[15 - i] = kHex[(h >> (4 * i)) & 0xf];
  return out;
}

std::string TraceCollector::first_difference(const TraceCollector& a, const TraceCollector& b) {
  const std::size_t n = std::max(a.lines_.size(), b.lines_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string left = i < a.lines_.size() ? a.lines_[i] : "<end of trace>";
    const std::string right = i < b.lines_.size() ? b.lines_[i] : "<end of trace>";
    if (left != right) return "line " + std::to_string(i + 1) + ": " + left + "\n    vs: " + right;
  }
  return {};
}

}  // namespace resproxy::model
