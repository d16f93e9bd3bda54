#pragma once
// Shared by the integration tests that start the real daemon or need a scratch directory: where
// the resproxy binary is, a whole-file read, and a temporary directory removed at the end.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace resproxy::native::test_support {

// $RESPROXY_BINARY, else the resproxy built beside this test binary (build/proxy/native/).
inline std::optional<std::string> daemon_binary() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("RESPROXY_BINARY"); env && *env) return std::string(env);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  const fs::path candidate = self.parent_path().parent_path() / "proxy" / "native" / "resproxy";
  if (fs::exists(candidate)) return candidate.string();
  return std::nullopt;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A fresh directory under the system temporary directory, named <prefix>-XXXXXX (keep the
// prefix short where a Unix socket lives inside: its path has at most 107 bytes).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

}  // namespace resproxy::native::test_support
