#pragma once
// The ng shared secret of resproxy-media (--ng-secret-file) and resproxy-ngctl (--secret-file):
// the file's first line without its line end. Empty is refused: an empty key signs nothing.
#include <fstream>
#include <optional>
#include <string>

namespace resproxy::native {

// The secret, or none with `error` saying why ("cannot read it", "its first line is empty").
inline std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read it";
    return std::nullopt;
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    error = "its first line is empty";
    return std::nullopt;
  }
  return line;
}

}  // namespace resproxy::native
