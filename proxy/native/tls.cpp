#include "proxy/native/tls.h"

#include <arpa/inet.h>

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::native {

namespace ssl = boost::asio::ssl;

namespace {

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// The host of a sip: URI (RFC 5922 §7.1 uses the URI's host); empty when it is not one.
std::string sip_uri_host(std::string_view text) {
  const auto uri = sip::parse_uri(text);
  if (!uri || uri->scheme_id != sip::UriScheme::Sip) return {};
  return std::string(sip::text::strip_brackets(uri->host));
}

std::string_view without_root_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

bool same_dns_name(std::string_view a, std::string_view b) {
  a = without_root_dot(a);
  b = without_root_dot(b);
  return !a.empty() && sip::text::iequals(a, b);
}

// A name with a NUL in it is a forgery ("itsp.example\0.evil.com"): never matches.
bool clean(const std::string& name) { return name.find('\0') == std::string::npos; }

}  // namespace

CertificateNames certificate_names(X509* certificate) {
  CertificateNames out;
  if (certificate == nullptr) return out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    out.has_subject_alt_name = true;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      switch (name->type) {
        case GEN_DNS: out.dns_names.push_back(asn1_text(name->d.dNSName)); break;
        case GEN_URI:
          if (auto host = sip_uri_host(asn1_text(name->d.uniformResourceIdentifier)); !host.empty()) {
            out.sip_domains.push_back(std::move(host));
          }
          break;
        case GEN_IPADD: {
          const ASN1_OCTET_STRING* ip = name->d.iPAddress;
          char text[INET6_ADDRSTRLEN] = {};
          const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
          if ((ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) &&
              inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text) != nullptr) {
            out.ip_addresses.emplace_back(text);
          }
          break;
        }
        default: break;
      }
    }
    GENERAL_NAMES_free(names);
  }
  X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
  if (index >= 0) {
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    if (length >= 0 && utf8 != nullptr) {
      out.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    }
    OPENSSL_free(utf8);
  }
  return out;
}

bool matches_sip_identity(const CertificateNames& names, std::string_view expected) {
  if (expected.size() >= 2 && expected.front() == '[' && expected.back() == ']') {
    expected = expected.substr(1, expected.size() - 2);
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(expected), ec);
  if (!ec) {
    for (const auto& entry : names.ip_addresses) {
      boost::system::error_code entry_ec;
      if (boost::asio::ip::make_address(entry, entry_ec) == ip && !entry_ec) return true;
    }
    return false;
  }
  if (names.has_subject_alt_name) {
    for (const auto* list : {&names.sip_domains, &names.dns_names}) {
      for (const auto& name : *list) {
        if (clean(name) && same_dns_name(name, expected)) return true;
      }
    }
    return false;
  }
  return clean(names.common_name) && same_dns_name(names.common_name, expected);
}

std::string last_openssl_error() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

namespace {

[[noreturn]] void refuse(std::string_view what, const std::string& file, const std::exception& e) {
  std::string reason = last_openssl_error();
  if (reason.empty()) reason = e.what();
  throw std::runtime_error("resproxy: TLS " + std::string(what) + " " + file + ": " + reason);
}

std::unique_ptr<ssl::context> make_context(ssl::context::method method, const TlsSettings& s) {
  auto context = std::make_unique<ssl::context>(method);
  SSL_CTX* native = context->native_handle();
  // TLS 1.2 and 1.3 only (RFC 8996), no renegotiation (a cheap way to make a server compute),
  // no compression (CRIME).
  SSL_CTX_set_min_proto_version(native, s.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  try {
    if (s.ca_file.empty()) {
      context->set_default_verify_paths();
    } else {
      context->load_verify_file(s.ca_file);
    }
  } catch (const std::exception& e) {
    refuse("CA file", s.ca_file.empty() ? "(system store)" : s.ca_file, e);
  }
  return context;
}

void use_identity(ssl::context& context, const std::string& certificate, const std::string& key) {
  try {
    context.use_certificate_chain_file(certificate);
  } catch (const std::exception& e) {
    refuse("certificate", certificate, e);
  }
  try {
    context.use_private_key_file(key, ssl::context::pem);
  } catch (const std::exception& e) {
    refuse("private key", key, e);
  }
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    throw std::runtime_error("resproxy: TLS private key " + key + " does not belong to certificate " +
                             certificate + ": " + last_openssl_error());
  }
}

}  // namespace

TlsContexts::TlsContexts(const TlsSettings& settings) : settings_(settings) {
  ERR_clear_error();
  if (settings.listen) {
    if (settings.certificate.empty() || settings.private_key.empty()) {
      throw std::runtime_error("resproxy: TLS listening needs tls_certificate and tls_private_key");
    }
    server_ = make_context(ssl::context::tls_server, settings);
    use_identity(*server_, settings.certificate, settings.private_key);
    if (settings.verify_client) {
      server_->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
      server_->set_verify_mode(ssl::verify_none);
    }
  }
  client_ = make_context(ssl::context::tls_client, settings);
  if (!settings.client_certificate.empty()) {
    use_identity(*client_, settings.client_certificate,
                 settings.client_private_key.empty() ? settings.client_certificate
                                                     : settings.client_private_key);
  }
}

}  // namespace resproxy::native
