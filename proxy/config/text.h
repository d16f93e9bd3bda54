#pragma once
// Internal to proxy/config: ASCII text helpers shared by the parser, the schema and the
// generators (ASCII only, never the process locale: under tr_TR, lower-casing 'I' is not 'i').
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::config::text {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Lower case; each run of spaces becomes one underscore ("rx port" == "RX_Port").
inline std::string normalize(std::string_view text) {
  text = trim(text);
  std::string out;
  out.reserve(text.size());
  bool in_space = false;
  for (char c : text) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out += '_';
    in_space = false;
    out += lower(c);
  }
  return out;
}

inline std::string quoted(std::string_view value) {
  std::string out = "\"";
  out += value;
  out += '"';
  return out;
}

inline std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// The lines of a text ('\n'-separated; no line for a trailing '\n').
inline std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace resproxy::config::text
