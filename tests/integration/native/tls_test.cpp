// TLS in the native runtime (issue #10 point 10), on real loopback sockets with the test PKI of
// tests/data/tls (make-certs.sh): RFC 5922's name rules on real certificates; a TLS stream
// between two runtimes; a certificate for another name, or not from our CAs, refused before any
// SIP byte is written; a connection the core closes at once never costs a handshake; client
// certificates both ways; unusable certificate files refused at start with their names.
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "proxy/native/runtime.h"
#include "proxy/native/tls.h"
#include "test_node.h"

namespace resproxy::native {
namespace {

using testing::run_until;
using testing::TestNode;
using namespace std::chrono_literals;

const std::string kPki = std::string(RESPROXY_TEST_DATA_DIR) + "/tls/";

constexpr StreamId outbound(std::uint64_t n) { return StreamId{kOutboundStreamBit | n}; }

CertificateNames names_of(const std::string& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen((kPki + file).c_str(), "r"), &std::fclose);
  EXPECT_TRUE(f) << file;
  if (!f) return {};
  X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr);
  EXPECT_NE(cert, nullptr) << file;
  CertificateNames names = certificate_names(cert);
  X509_free(cert);
  return names;
}

TEST(TlsNames, Rfc5922MatchesTheWholeDnsNameCaseInsensitivelyAndNothingElse) {
  const auto itsp = names_of("itsp.pem");  // SAN DNS:itsp.test
  EXPECT_TRUE(matches_sip_identity(itsp, "itsp.test"));
  EXPECT_TRUE(matches_sip_identity(itsp, "ITSP.Test"));
  EXPECT_TRUE(matches_sip_identity(itsp, "itsp.test."));  // the root dot
  EXPECT_FALSE(matches_sip_identity(itsp, "other.test"));
  EXPECT_FALSE(matches_sip_identity(itsp, "test"));        // no suffix match
  EXPECT_FALSE(matches_sip_identity(itsp, "sip.itsp.test"));
  EXPECT_FALSE(matches_sip_identity(itsp, "127.0.0.1"));   // an address needs an iPAddress entry
}

TEST(TlsNames, ASipUriInTheSubjectAltNameNamesItsHost) {
  const auto uri = names_of("itsp-uri.pem");  // SAN URI:sip:itsp.test, CN not-this-name
  EXPECT_EQ(uri.sip_domains, std::vector<std::string>{"itsp.test"});
  EXPECT_TRUE(matches_sip_identity(uri, "itsp.test"));
  EXPECT_FALSE(matches_sip_identity(uri, "not-this-name"));
}

TEST(TlsNames, TheCommonNameCountsOnlyWithoutASubjectAltName) {
  EXPECT_TRUE(matches_sip_identity(names_of("itsp-cn.pem"), "itsp.test"));
  const auto both = names_of("itsp-san-cn.pem");  // SAN DNS:other.test, CN itsp.test
  EXPECT_FALSE(matches_sip_identity(both, "itsp.test"));
  EXPECT_TRUE(matches_sip_identity(both, "other.test"));
}

TEST(TlsNames, AWildcardMatchesOnlyItself) {
  const auto wildcard = names_of("wildcard.pem");  // SAN DNS:*.test
  EXPECT_FALSE(matches_sip_identity(wildcard, "itsp.test"));
  EXPECT_TRUE(matches_sip_identity(wildcard, "*.test"));
}

TEST(TlsNames, AnAddressMatchesAnIpAddressEntry) {
  const auto ours = names_of("resproxy.pem");  // SAN DNS:resproxy.test, IP:127.0.0.1, IP:::1
  EXPECT_TRUE(matches_sip_identity(ours, "127.0.0.1"));
  EXPECT_TRUE(matches_sip_identity(ours, "::1"));
  EXPECT_TRUE(matches_sip_identity(ours, "[0:0::1]"));
  EXPECT_FALSE(matches_sip_identity(ours, "127.0.0.2"));
}

TEST(TlsNames, ANameWithANulInItNeverMatches) {
  CertificateNames forged;
  forged.has_subject_alt_name = true;
  forged.dns_names.push_back(std::string("itsp.test\0.evil.example", 23));
  EXPECT_FALSE(matches_sip_identity(forged, "itsp.test"));
  EXPECT_FALSE(matches_sip_identity(forged, "itsp.test.evil.example"));
}

// Two runtimes on one io_context: a TLS server presenting `server_cert`, and a client trusting
// the test CA.
struct TlsPair {
  explicit TlsPair(const std::string& server_cert, TlsSettings client_tls = client_settings(),
                   bool verify_client = false) {
    ListenConfig s;
    s.tls.listen = true;
    s.tls.port = 0;
    s.tls.certificate = kPki + server_cert + ".pem";
    s.tls.private_key = kPki + server_cert + "-key.pem";
    s.tls.ca_file = kPki + "ca.pem";
    s.tls.verify_client = verify_client;
    server_runtime = std::make_unique<NativeRuntime>(io, server, s);
    server_runtime->set_tls_log([this](const Address&, bool, std::string_view why) {
      server_log.emplace_back(why);
    });
    server_runtime->start();
    ListenConfig c;
    c.tls = std::move(client_tls);
    client_runtime = std::make_unique<NativeRuntime>(io, client, c);
    client_runtime->set_tls_log([this](const Address&, bool outbound, std::string_view why) {
      EXPECT_TRUE(outbound);
      client_log.emplace_back(why);
    });
    client_runtime->set_message_log([this](bool outbound, const Path& path, std::string_view) {
      if (outbound) client_sent.push_back(path);
    });
    client_runtime->start();
  }
  static TlsSettings client_settings() {
    TlsSettings t;
    t.ca_file = kPki + "ca.pem";
    return t;
  }
  // Opens a TLS stream to the server asking for `name`, writes one message on it.
  void connect(const std::string& name, std::string bytes = "OPTIONS sip:itsp.test SIP/2.0\r\n") {
    client_runtime->inject([this, name, bytes](Node&, TimePoint) {
      client.emit(OpenStream{.stream = outbound(1),
                             .local = client_runtime->local_address(),
                             .remote = server_runtime->tls_local_address(),
                             .transport = Transport::Tls,
                             .server_name = name});
      client.emit(WriteStream{.stream = outbound(1), .bytes = bytes});
    });
  }
  bool settled() {
    return run_until(io, [&] { return !client.opened.empty() || !client.closed.empty(); });
  }

  boost::asio::io_context io;
  TestNode server;
  TestNode client;
  std::unique_ptr<NativeRuntime> server_runtime;
  std::unique_ptr<NativeRuntime> client_runtime;
  std::vector<std::string> server_log;
  std::vector<std::string> client_log;
  std::vector<Path> client_sent;  // the message log's outbound entries
};

TEST(TlsRuntime, CarriesAStreamToAPeerWhoseCertificateNamesIt) {
  TlsPair p("itsp");
  p.server.echo_streams = true;
  const std::string options = "OPTIONS sip:itsp.test SIP/2.0\r\n";
  p.connect("itsp.test", options);
  ASSERT_TRUE(run_until(p.io, [&] { return p.client.stream_bytes[outbound(1).value] == options; }));
  ASSERT_EQ(p.client.opened.size(), 1u);
  EXPECT_EQ(p.client.opened[0].transport, Transport::Tls);
  EXPECT_EQ(p.client.opened[0].remote, p.server_runtime->tls_local_address());
  ASSERT_EQ(p.server.opened.size(), 1u);
  EXPECT_EQ(p.server.opened[0].transport, Transport::Tls);
  EXPECT_EQ(p.server.opened[0].local, p.server_runtime->tls_local_address());
  EXPECT_EQ(p.server.stream_bytes[1], options);
  EXPECT_EQ(p.client_runtime->stats().tls_handshakes, 1u);
  EXPECT_EQ(p.server_runtime->stats().tls_handshakes, 1u);
  EXPECT_TRUE(p.client_log.empty());
  // The message log shows the write once it could leave, from the connection's own port.
  ASSERT_EQ(p.client_sent.size(), 1u);
  EXPECT_EQ(p.client_sent[0].transport, Transport::Tls);
  EXPECT_EQ(p.client_sent[0].local, p.client.opened[0].local);
  EXPECT_NE(p.client_sent[0].local.port, p.client_runtime->local_address().port);
}

TEST(TlsRuntime, ACertificateForAnotherNameIsRefusedBeforeAnySipByteIsSent) {
  TlsPair p("other");  // the test CA's, but for other.test
  p.connect("itsp.test");
  ASSERT_TRUE(p.settled());
  ASSERT_EQ(p.client.closed.size(), 1u);
  EXPECT_EQ(p.client.closed[0].reason, StreamCloseReason::TlsFailed);
  EXPECT_TRUE(p.client.opened.empty());
  ASSERT_EQ(p.client_log.size(), 1u);
  EXPECT_NE(p.client_log[0].find("name mismatch"), std::string::npos) << p.client_log[0];
  EXPECT_NE(p.client_log[0].find("itsp.test"), std::string::npos) << p.client_log[0];
  run_until(p.io, [&] { return !p.server.closed.empty(); });
  EXPECT_TRUE(p.server.stream_bytes.empty());  // the OPTIONS never left
  EXPECT_TRUE(p.client_sent.empty());          // and the message log does not say it did
  EXPECT_EQ(p.client_runtime->stats().tls_failures, 1u);
}

TEST(TlsRuntime, ACertificateNotFromOurCasIsRefused) {
  TlsPair p("self-itsp");  // itsp.test, but self-signed
  p.connect("itsp.test");
  ASSERT_TRUE(p.settled());
  ASSERT_EQ(p.client.closed.size(), 1u);
  EXPECT_EQ(p.client.closed[0].reason, StreamCloseReason::TlsFailed);
  ASSERT_EQ(p.client_log.size(), 1u);
  EXPECT_NE(p.client_log[0].find("certificate verify failed"), std::string::npos) << p.client_log[0];
}

TEST(TlsRuntime, WithoutANameThePeerIsNotVerified) {
  TlsPair p("self-itsp");
  p.connect("");  // a phone's address: encrypted, not verified (node.h)
  ASSERT_TRUE(p.settled());
  EXPECT_EQ(p.client.opened.size(), 1u);
  EXPECT_TRUE(p.client.closed.empty());
}

TEST(TlsRuntime, VerifyServerOffAcceptsAnyCertificate) {
  TlsSettings lab = TlsPair::client_settings();
  lab.verify_server = false;
  TlsPair p("other", lab);
  p.connect("itsp.test");
  ASSERT_TRUE(p.settled());
  EXPECT_EQ(p.client.opened.size(), 1u);
}

TEST(TlsRuntime, AConnectionTheCoreClosesAtOnceCostsNoHandshake) {
  TlsPair p("itsp");
  p.server.refuse_streams = true;  // as the core does over a cap or the handshake budget
  p.connect("itsp.test");
  ASSERT_TRUE(p.settled());
  ASSERT_EQ(p.client.closed.size(), 1u);
  EXPECT_EQ(p.server.opened.size(), 1u);  // told at accept, before the handshake
  EXPECT_EQ(p.server_runtime->stats().tls_handshakes, 0u);
  EXPECT_EQ(p.server_runtime->stats().tls_failures, 0u);
  EXPECT_TRUE(p.server_log.empty());
}

TEST(TlsRuntime, ClientCertificatesWhenTheServerRequiresThem) {
  {
    TlsPair p("itsp", TlsPair::client_settings(), /*verify_client=*/true);
    p.connect("itsp.test");
    ASSERT_TRUE(p.settled());
    run_until(p.io, [&] { return !p.server.closed.empty(); });
    ASSERT_EQ(p.server.closed.size(), 1u);
    EXPECT_EQ(p.server.closed[0].reason, StreamCloseReason::TlsFailed);
    EXPECT_TRUE(p.server.stream_bytes.empty());
  }
  TlsSettings with_cert = TlsPair::client_settings();
  with_cert.client_certificate = kPki + "client.pem";
  with_cert.client_private_key = kPki + "client-key.pem";
  TlsPair p("itsp", with_cert, /*verify_client=*/true);
  p.server.echo_streams = true;
  p.connect("itsp.test", "x");
  ASSERT_TRUE(run_until(p.io, [&] { return p.client.stream_bytes[outbound(1).value] == "x"; }));
  EXPECT_TRUE(p.server.closed.empty());
}

TEST(TlsRuntime, UnusableCertificateFilesAreRefusedAtStartWithTheirNames) {
  const auto start_error = [](TlsSettings tls) -> std::string {
    boost::asio::io_context io;
    TestNode node;
    ListenConfig c;
    c.tls = std::move(tls);
    NativeRuntime runtime(io, node, c);
    try {
      runtime.start();
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  };
  TlsSettings missing;
  missing.listen = true;
  missing.port = 0;
  missing.certificate = kPki + "nope.pem";
  missing.private_key = kPki + "itsp-key.pem";
  EXPECT_NE(start_error(missing).find("nope.pem"), std::string::npos) << start_error(missing);

  TlsSettings mismatched = missing;
  mismatched.certificate = kPki + "itsp.pem";
  mismatched.private_key = kPki + "other-key.pem";
  const std::string e = start_error(mismatched);
  EXPECT_NE(e.find("other-key.pem"), std::string::npos) << e;
  EXPECT_NE(e.find("mismatch"), std::string::npos) << e;

  TlsSettings bad_ca;
  bad_ca.ca_file = kPki + "make-certs.sh";  // not PEM
  EXPECT_NE(start_error(bad_ca).find("make-certs.sh"), std::string::npos);
}

}  // namespace
}  // namespace resproxy::native
