#pragma once
// TLS for the native runtime (RFC 3261 §26, RFC 5630, RFC 5922) with Boost.Asio's SSL stream
// over OpenSSL: the settings, the two OpenSSL contexts built from them, and the certificate
// name check of RFC 5922 §7. The core never sees any of it: it asks for a TLS stream to an
// address with the name its certificate must carry (OpenStream::server_name) and hears
// on_stream_opened, or on_stream_closed(TlsFailed).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <openssl/types.h>

#include "proxy/native/tls_settings.h"

namespace resproxy::native {

// The SIP identities a certificate offers (RFC 5922 §7.1).
struct CertificateNames {
  bool has_subject_alt_name = false;
  std::vector<std::string> sip_domains;  // host parts of subjectAltName URIs with scheme sip
  std::vector<std::string> dns_names;    // subjectAltName dNSName
  std::vector<std::string> ip_addresses; // subjectAltName iPAddress, textual ("127.0.0.1", "::1")
  std::string common_name;               // the subject's CN (used only without subjectAltName)
};

[[nodiscard]] CertificateNames certificate_names(X509* certificate);

// RFC 5922 §7.2: does the certificate carry `expected` (a SIP domain, or an IP address when the
// peer is known only by one)? DNS names compare case-insensitively and in their entirety: no
// suffix match and no wildcards ("*.example.com" matches only itself). With a subjectAltName,
// its sip: URIs and dNSNames count and the CN does not; without one, only the CN. An IP address
// matches an iPAddress entry of the same address.
[[nodiscard]] bool matches_sip_identity(const CertificateNames& names, std::string_view expected);

// The server and client contexts. Throws std::runtime_error naming the file and OpenSSL's
// reason when a certificate, key or CA file cannot be used (a start-up error).
class TlsContexts {
 public:
  explicit TlsContexts(const TlsSettings& settings);
  [[nodiscard]] boost::asio::ssl::context* server() { return server_.get(); }  // null: not listening
  [[nodiscard]] boost::asio::ssl::context& client() { return *client_; }
  [[nodiscard]] const TlsSettings& settings() const { return settings_; }

 private:
  TlsSettings settings_;
  std::unique_ptr<boost::asio::ssl::context> server_;
  std::unique_ptr<boost::asio::ssl::context> client_;
};

// OpenSSL's reason for the last failure on this thread's error queue ("" if none), cleared.
[[nodiscard]] std::string last_openssl_error();

}  // namespace resproxy::native
