#pragma once
// The runtimes' Crypto (proxy/base/crypto.h): OpenSSL's libcrypto (EVP digests, HMAC). A library
// of its own (resproxy_openssl_crypto) so the ns-3 runtime and the tests can use it without the
// native runtime's sockets.
#include "proxy/base/crypto.h"

namespace resproxy::native {

class OpenSslCrypto final : public Crypto {
 public:
  [[nodiscard]] std::optional<std::string> hash(Hash hash, std::string_view data) const override;
  [[nodiscard]] std::optional<std::string> hmac_sha256(std::string_view key,
                                                       std::string_view data) const override;
};

// One shared instance (stateless, thread-safe): for tests and simulations.
[[nodiscard]] const Crypto& openssl_crypto();

}  // namespace resproxy::native
