#pragma once
// The hash functions and MAC the core needs — digest authentication (MD5, SHA-256) and its
// nonces (HMAC-SHA256) — behind an interface injected like Rng. The core links no crypto
// library: it would read openssl.cnf on first use (a file), and a FIPS build refuses MD5, which
// the core must learn as an answer (nullopt), not as a process-wide setting. Runtimes pass an
// implementation (proxy/native/openssl_crypto.h: OpenSSL's libcrypto, natively and in ns-3).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resproxy {

class Crypto {
 public:
  enum class Hash : std::uint8_t { Md5, Sha256 };

  virtual ~Crypto() = default;
  // The raw digest of `data`: 16 bytes for MD5, 32 for SHA-256; nullopt when the implementation
  // refuses the algorithm (MD5 under a FIPS provider).
  [[nodiscard]] virtual std::optional<std::string> hash(Hash hash, std::string_view data) const = 0;
  // HMAC-SHA256 (RFC 2104) of `data` under `key`: 32 bytes; nullopt on failure.
  [[nodiscard]] virtual std::optional<std::string> hmac_sha256(std::string_view key,
                                                               std::string_view data) const = 0;
};

// Equality of two secrets in time that depends on their length only (MACs, digest responses);
// different lengths are simply unequal.
[[nodiscard]] inline bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

}  // namespace resproxy
