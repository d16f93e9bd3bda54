#pragma once
// What the daemon's TLS needs to know ([advanced.sipproxy] tls*; proxy/native/tls.h builds
// OpenSSL contexts from it). A plain value, so the configuration needs no TLS headers.
#include <cstdint>
#include <string>

namespace resproxy::config {

struct TlsSettings {
  bool listen = false;        // accept TLS connections on `port`
  std::uint16_t port = 5061;  // 0: an ephemeral port (tests)
  // Our certificate (PEM; the file may hold the chain after it) and its key. Needed to listen.
  std::string certificate;
  std::string private_key;
  // The CAs peers' certificates must chain to (PEM bundle); empty: the system's store.
  std::string ca_file;
  // Outbound: a peer the core names (the ITSP) must present a certificate that chains to the CAs
  // and carries that name; off only for tests against self-made certificates.
  bool verify_server = true;
  // Presented to a server that asks for one (an ITSP that authenticates the trunk by it).
  std::string client_certificate;
  std::string client_private_key;
  // Inbound: require a certificate from the CAs of every TLS client (phones with certificates).
  bool verify_client = false;
  bool tls13_only = false;  // else TLS 1.2 and 1.3; never older (RFC 8996)
};

}  // namespace resproxy::config
