#pragma once
// How a scenario file is read (scenario.cc, scenario_blocks.cc): strictly — every key known, each
// read once, every value checked, and every refusal naming FILE:LINE:COL and what is allowed.
// Internal to the scenario reader, not an interface.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "harness/scenario.h"

namespace resproxy::harness::scenario_read {

// Where a node sits in the file: "FILE:LINE:COL" (1-based).
inline std::string where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

[[noreturn]] inline void fail(const std::string& file, const YAML::Node& node, const std::string& message) {
  throw ScenarioError(where(file, node.Mark()) + ": " + message);
}

inline std::string scalar_text(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : std::string("<") + (node.IsMap() ? "map" : node.IsSequence() ? "list" : "null") + ">";
}

// A YAML map read strictly: every key must be one of `allowed`, each read at most once.
class Map {
 public:
  Map(const YAML::Node& node, std::string path, const std::string& file,
      std::vector<std::string> allowed)
      : node_(node), path_(std::move(path)), file_(file) {
    if (!node.IsMap()) fail(file_, node, path_ + ": expected a map of keys, got " + scalar_text(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(file_, it->first, "unknown key '" + key + "'" + (path_.empty() ? "" : " in " + path_) +
                                   "; allowed: " + list);
      }
    }
  }

  [[nodiscard]] bool has(const std::string& key) const { return node_[key].IsDefined(); }
  [[nodiscard]] YAML::Node get(const std::string& key) const { return node_[key]; }
  [[nodiscard]] std::string name(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  double number(const std::string& key, double fallback, double min, double max) const {
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) return fallback;
    double v = 0;
    try {
      if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail(file_, n, name(key) + ": expected a number, got \"" + scalar_text(n) + "\"");
    }
    if (!(v >= min && v <= max)) {
      std::ostringstream os;
      os << name(key) << ": " << n.Scalar() << " is out of range; allowed: " << min << ".." << max;
      fail(file_, n, os.str());
    }
    return v;
  }

  std::uint64_t integer(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                        std::uint64_t max) const {
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) return fallback;
    const double v = number(key, 0, static_cast<double>(min), static_cast<double>(max));
    if (std::floor(v) != v) fail(file_, n, name(key) + ": expected a whole number, got " + n.Scalar());
    return static_cast<std::uint64_t>(v);
  }

  std::string text(const std::string& key, const std::string& fallback) const {
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) return fallback;
    if (!n.IsScalar()) fail(file_, n, name(key) + ": expected text, got " + scalar_text(n));
    return n.Scalar();
  }

  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed) const {
    const std::string v = text(key, fallback);
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(file_, node_[key], name(key) + ": \"" + v + "\" is not allowed; allowed: " + list);
    }
    return v;
  }

  bool boolean(const std::string& key, bool fallback) const {
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) return fallback;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(file_, n, name(key) + ": expected true or false, got \"" + scalar_text(n) + "\"");
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  const std::string& file_;
};

// "<digits>[.<digits>]<unit>" with one of `units` (no std::regex: g++ 12 warns falsely on it
// under -O1 with sanitizers, -Wmaybe-uninitialized).
inline bool is_number_with_unit(const std::string& text, const std::vector<std::string>& units, bool fraction) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return false;
  if (fraction && i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return false;
  }
  const std::string unit = text.substr(i);
  return std::find(units.begin(), units.end(), unit) != units.end();
}

inline std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

inline std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The blocks with a reader of their own (scenario_blocks.cc).
// `parent`'s link block `key` ({rate, delay_ms, queue}) over `link`'s values.
model::LinkParams read_link(const Map& parent, const std::string& key, model::LinkParams link,
                            const std::string& file);
// The nat: block, into s.homes and s.network (after topology, phones and traffic are read).
void read_nat(const YAML::Node& node, const std::string& file, Scenario& s);
model::DnsRecord read_dns_record(const YAML::Node& node, const std::string& file, bool& remove);
DnsSpec read_dns(const YAML::Node& node, const std::string& file, double duration);
PstnSpec read_pstn(const YAML::Node& node, const std::string& file, const Scenario& s);
Expectation read_expectation(const YAML::Node& node, const std::string& file);

}  // namespace resproxy::harness::scenario_read
