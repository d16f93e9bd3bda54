#include "proxy/native/openssl_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace resproxy::native {

std::optional<std::string> OpenSslCrypto::hash(Hash hash, std::string_view data) const {
  const EVP_MD* type = hash == Hash::Md5 ? EVP_md5() : EVP_sha256();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (type == nullptr || EVP_Digest(data.data(), data.size(), md, &size, type, nullptr) != 1) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(md), size);
}

std::optional<std::string> OpenSslCrypto::hmac_sha256(std::string_view key,
                                                      std::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size) == nullptr) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

const Crypto& openssl_crypto() {
  static const OpenSslCrypto instance;
  return instance;
}

}  // namespace resproxy::native
