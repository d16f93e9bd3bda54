// [sipproxy] and [advanced.sipproxy]: where the daemon listens, the SIP timers, the logs, the
// registration store, TCP limits and TLS.
#include "proxy/config/spec.h"

namespace resproxy::config {

using routing::ProxyMode;
using routing::RecordRoute;

SectionSpec sipproxy_section() {
  return {
      .name = "sipproxy",
      .params = {
          param("mode", "standalone, forward_itsp, sip_trunk, off",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.mode = parse_choice<ProxyMode>(
                      v, {{"standalone", ProxyMode::Standalone},
                          {"standalone_proxy", ProxyMode::Standalone},  // the seed's wording
                          {"forward_itsp", ProxyMode::ForwardItsp},
                          {"forward_to_itsp", ProxyMode::ForwardItsp},
                          {"sip_trunk", ProxyMode::SipTrunk},
                          {"off", ProxyMode::Off}});
                },
                {.value = "standalone",
                 .comment = "standalone, forward_itsp, sip_trunk, off",
                 .doc = "resilience mode (`forward_itsp` and `sip_trunk` need an enabled "
                        "`[sipproxy.itsp_proxy.N]`)",
                 .doc_allowed = "`standalone`, `forward_itsp`, `sip_trunk`, `off` (also the "
                                "seed's wording: `standalone proxy`, `forward to ITSP`, `sip "
                                "trunk`)"}),
          integer("rx_port", 1, 65535, "",
                  [](Builder& b, std::int64_t v) { b.config.rx_port = static_cast<std::uint16_t>(v); },
                  {.value = "5060",
                   .comment = "1..65535: the SIP port, UDP and TCP",
                   .doc = "SIP port, UDP and TCP"}),
          param("listen_address", "an IPv4 or IPv6 address; 0.0.0.0 or :: for all",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.listen_address = parse_ip_text(v);
                },
                {.value = "0.0.0.0",
                 .comment = "IPv4 or IPv6 address; 0.0.0.0 or :: = every address",
                 .doc = "where to listen",
                 .doc_allowed = "an IPv4 or IPv6 address; `0.0.0.0` or `::` for every address"}),
          param("advertised_address", "an IPv4 or IPv6 address, or empty for automatic",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.advertised_address = v.empty() ? std::string() : parse_ip_text(v);
                },
                {.value = "",
                 .comment = "address put in Via/Record-Route; empty = automatic:\n"
                            "listen_address if specific, else the primary IPv4 address",
                 .doc = "the address put in Via and Record-Route. Empty: `listen_address` if it "
                        "is a specific address, else the host's primary outbound IPv4 address "
                        "(the source address of its default route; 127.0.0.1 if there is none). "
                        "Set it on multi-homed hosts."}),
          param("realm", "a domain name, e.g. office.example.com",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.realm = parse_domain(v);
                },
                {.value = "resproxy.local",
                 .comment = "our SIP domain: users @realm are registered here",
                 .doc = "our SIP domain: users `@realm` register here; also the digest realm"}),
          param("data_dir", "a directory path",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.data_dir = parse_nonempty(v);
                },
                {.value = "/var/lib/resproxy",
                 .comment = "registration database: <data_dir>/registrations.db",
                 .doc = "holds `registrations.db` and the control socket; created mode 0700 if "
                        "missing (an existing directory keeps its mode)"}),
      }};
}

namespace {

// [advanced.sipproxy] rows of the main table: proxy behaviour, timers, logs and the store.
std::vector<ParamSpec> advanced_main() {
  return {
      param("record_route", "always, call_setup",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.record_route = parse_choice<RecordRoute>(
                  v, {{"always", RecordRoute::Always}, {"call_setup", RecordRoute::CallSetup}});
            },
            {.value = "always",
             .comment = "always, call_setup",
             .doc = "`always`: Record-Route on every forwarded dialog request; `call_setup`: only "
                    "on dialog-creating requests"}),
      flag("server_header", [](Builder& b, bool v) { b.config.proxy.server_header = v; },
           {.value = "1",
            .comment = "0 or 1: send \"Server: resproxy/<version>\"",
            .doc = "send `Server: resproxy/<version>`"}),
      integer("crlf_keepalive", 0, 180, "s",
              [](Builder& b, std::int64_t v) { b.config.proxy.crlf_keepalive = seconds(v); },
              {.value = "0",
               .comment = "0..180 s: CRLF keep-alive to TCP-registered phones, 0 = off",
               .doc = "CRLF keep-alive to phones registered over TCP; 0 = off"}),
      param("log_level", "error, warn, info, debug",
            [](Builder& b, int, int, std::string_view v) {
              b.config.log_level = parse_choice<LogLevel>(v, {{"error", LogLevel::Error},
                                                              {"warn", LogLevel::Warn},
                                                              {"warning", LogLevel::Warn},
                                                              {"info", LogLevel::Info},
                                                              {"debug", LogLevel::Debug}});
            },
            {.value = "info",
             .comment = "error, warn, info, debug (log on stderr)",
             .doc = "the log on stderr. Warning-worthy trace events (failures, drops, unparsable "
                    "input) are logged at `warn`, at most 10 per event name per 10 s; at `debug` "
                    "every trace event is logged. At `error`, with no `trace_log`, the core "
                    "builds no trace events at all (benchmarks).",
             .doc_allowed = "`error`, `warn` (also `warning`), `info`, `debug`"}),
      param("sip_log", "a file path, - for stderr, or empty for off",
            [](Builder& b, int, int, std::string_view v) { b.config.sip_log = std::string(v); },
            {.value = "",
             .comment = "file for every SIP message in and out; empty = off, - = stderr",
             .doc = "every SIP datagram and TCP chunk in and out, with a UTC timestamp, "
                    "transport, direction and addresses; appended, created mode 0600 (it holds "
                    "credentials headers; an existing file wider than that is narrowed to 0600), "
                    "capped and rotated (`log_max_bytes`, `log_keep`), reopened on `SIGHUP`",
             .doc_allowed = "a file path, `-` for stderr, empty for off"}),
      param("trace_log", "a file path, - for stderr, or empty for off",
            [](Builder& b, int, int, std::string_view v) { b.config.trace_log = std::string(v); },
            {.value = "",
             .comment = "file for trace events as JSON lines; empty = off, - = stderr",
             .doc = "the core's trace events as JSON lines "
                    "(`{\"t_ns\":…,\"node\":\"resproxy\",\"ev\":\"…\",…}`), written per line; "
                    "created 0600, capped and rotated like `sip_log`, reopened on `SIGHUP`",
             .doc_allowed = "a file path, `-` for stderr, empty for off"}),
      integer("log_max_bytes", 0, std::int64_t{1} << 40, "bytes (0: no cap)",
              [](Builder& b, std::int64_t v) {
                b.config.log_max_bytes = static_cast<std::uint64_t>(v);
              },
              {.value = "10485760",
               .comment = "0..2^40 bytes: sip_log and trace_log are rotated when the\n"
                          "next entry would pass this (file -> file.1 -> ...); 0 = no cap",
               .doc = "the cap of `sip_log` and `trace_log`: when the next entry (a SIP message "
                      "with its header line, a JSON line) would take the file past it, the file "
                      "is rotated — `file.(N-1)` → `file.N`, …, `file` → `file.1` — and a new "
                      "`file` is started (mode 0600). Entries are never split; one larger than "
                      "the cap gets a file of its own. 0: no cap (use logrotate)",
               .doc_allowed = "0..2^40 bytes"}),
      integer("log_keep", 0, 100, "",
              [](Builder& b, std::int64_t v) { b.config.log_keep = static_cast<int>(v); },
              {.value = "5",
               .comment = "0..100: rotated files kept (0: the file is truncated instead);\n"
                          "both logs are created 0600 and reopened on SIGHUP",
               .doc = "rotated files kept (`file.1` … `file.N`, the oldest dropped); 0: the file "
                      "is truncated at the cap instead. A write that fails (a full disk) is "
                      "dropped, never stopping signalling"}),
      integer("t1_ms", 10, 10000, "ms",
              [](Builder& b, std::int64_t v) { b.config.proxy.timers.t1 = millis(v); },
              {.value = "500",
               .comment = "10..10000 ms: RFC 3261 T1, round-trip estimate",
               .doc = "RFC 3261 T1, the round-trip estimate"}),
      integer("t2_ms", 100, 60000, "ms",
              [](Builder& b, std::int64_t v) { b.config.proxy.timers.t2 = millis(v); },
              {.value = "4000",
               .comment = "100..60000 ms: RFC 3261 T2, retransmit interval cap (>= T1)",
               .doc = "RFC 3261 T2, the retransmission interval cap",
               .doc_allowed = "100..60000 ms, and ≥ `t1_ms`"}),
      integer("t4_ms", 100, 60000, "ms",
              [](Builder& b, std::int64_t v) { b.config.proxy.timers.t4 = millis(v); },
              {.value = "5000",
               .comment = "100..60000 ms: RFC 3261 T4, max time a message lives",
               .doc = "RFC 3261 T4, how long a message may live in the network"}),
      integer("timer_c", 1, 3600, "s",
              [](Builder& b, std::int64_t v) { b.config.proxy.timer_c = seconds(v); },
              {.value = "180",
               .comment = "1..3600 s: INVITE proxy timer C (RFC 3261 wants > 180)",
               .doc = "RFC 3261 §16.6 INVITE proxy timer C (the RFC asks for more than 180 s; "
                      "shorter values are for tests)"}),
      integer("max_message_size", 1024, 1048576, "bytes",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.max_message_size = static_cast<std::size_t>(v);
              },
              {.value = "65535",
               .comment = "1024..1048576 bytes: larger messages are refused",
               .doc = "larger messages are refused"}),
      param("transport", "udp, tcp, both",
            [](Builder& b, int, int, std::string_view v) {
              const int t = parse_choice<int>(v, {{"udp", 1}, {"tcp", 2}, {"both", 3}});
              b.config.udp = (t & 1) != 0;
              b.config.tcp = (t & 2) != 0;
            },
            {.value = "both",
             .comment = "udp, tcp, both",
             .doc = "which transports listen (TLS has its own switch, `tls`)"}),
      param("store_synchronous", "normal, full",
            [](Builder& b, int, int, std::string_view v) {
              b.config.store_sync_full = parse_choice<bool>(v, {{"normal", false}, {"full", true}});
            },
            {.value = "normal",
             .comment = "normal: survives kill -9; full: survives power loss too",
             .doc = "`normal`: an acknowledged registration survives a crash or `kill -9` of the "
                    "daemon; `full`: it also survives power loss or a kernel crash, at one fsync "
                    "per registration change"}),
      integer("store_commit_interval_us", 0, 100000, "us",
              [](Builder& b, std::int64_t v) {
                b.config.store_commit_interval = std::chrono::microseconds(v);
              },
              {.value = "1000",
               .comment = "0..100000 us: group commit, at most one store commit per\n"
                          "interval; a REGISTER's 200 waits for its commit (0: no batching)",
               .doc = "group commit of the registration store: at most one SQLite commit per "
                      "interval. A change after a quiet interval is committed at once; under "
                      "load the changes of one interval share a transaction (at 4,000 "
                      "REGISTER/s about four per commit, and a third of the WAL writes). A "
                      "REGISTER is answered only after its commit, so it may wait up to this "
                      "long; 0 commits every change on its own. Commits run on the store thread "
                      "one at a time: changes made while one is in progress go into the next"}),
      integer("store_queue_max", 1, 100000, "",
              [](Builder& b, std::int64_t v) {
                b.config.store_queue_max = static_cast<std::size_t>(v);
              },
              {.value = "1000",
               .comment = "1..100000 store writes waiting at most (a stalled disk): a\n"
                          "REGISTER beyond it gets 500 with Retry-After at once",
               .doc = "store writes waiting for the disk (queued and committing) at most. A write "
                      "beyond it fails at once: a REGISTER answered here gets 500 with "
                      "`Retry-After`, while OPTIONS, calls and the ITSP's answers (a 200 to a "
                      "forwarded REGISTER is relayed without waiting for the cache write) go on. "
                      "Only a stalled disk fills it; `resproxyctl show counters` shows "
                      "`runtime.store_queue_depth` and `runtime.store_queue_full`"}),
      integer("itsp_down_reg_expires", 30, 60000, "s",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.itsp.itsp_down_reg_expires = seconds(v);
              },
              {.value = "60",
               .comment = "30..60000 s: expiry granted to phones registering while the\n"
                          "ITSP is down (their cached bindings do not expire meanwhile)",
               .doc = "while the ITSP is down, REGISTERs are answered here with their expiry "
                      "lowered to this, so phones re-register (and reach the ITSP again) soon "
                      "after it returns; cached bindings do not expire meanwhile"}),
      integer("reg_forwarding_timeout", 2, 60, "s",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.itsp.reg_forwarding_timeout = seconds(v);
              },
              {.value = "10",
               .comment = "2..60 s: a forwarded REGISTER unanswered this long is not cached",
               .doc = "a REGISTER forwarded to the ITSP and not answered within this time is not "
                      "cached (its cache entry is removed); a late answer is still forwarded to "
                      "the phone but not cached"}),
      integer("phone_reg_expires", 0, 86400, "s (0: off, else at least 30)",
              [](Builder& b, std::int64_t v) {
                if (v != 0 && v < 30) throw Invalid{std::to_string(v) + " is below 30 s"};
                b.config.proxy.itsp.phone_reg_expires = seconds(v);
              },
              {.value = "0",
               .comment = "0, 30..86400 s: registration throttling: phones are told this\n"
                          "expiry and their refreshes are answered here while the ITSP's\n"
                          "longer grant runs; 0 = off (every REGISTER goes to the ITSP)",
               .doc = "registration throttling (beyond the seed): in normal operation phones are "
                      "told this expiry while the ITSP's longer grant runs, and a refresh from "
                      "the same device (Call-ID, contact, address) is answered here until less "
                      "than twice this expiry is left of the grant — the ITSP sees one REGISTER "
                      "per grant instead of one per phone refresh. 0 = off",
               .doc_allowed = "0, or 30..86400 s"}),
      param("nat_outside_address", std::string(kPeerIpAllowed) + ", or empty for none",
            [](Builder& b, int, int, std::string_view v) {
              b.config.proxy.itsp.nat_outside_address = v.empty() ? std::string() : parse_peer_ip(v);
            },
            {.value = "",
             .comment = "public address put in Via/Record-Route toward the ITSP when\n"
                        "behind NAT; empty = none",
             .doc = "the public address of the office's NAT, put in Via and Record-Route toward "
                    "the ITSP; empty: none (the advertised address is used)",
             .doc_allowed = "an IPv4 or IPv6 address other than `0.0.0.0` and `::`, or empty"}),
  };
}

// [advanced.sipproxy] rows of the "TCP limits" table.
std::vector<ParamSpec> advanced_tcp() {
  return {
      integer("num_sockets", 60, 240, "",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.num_sockets = static_cast<std::size_t>(v);
              },
              {.value = "120",
               .comment = "60..240: sockets (mostly TCP connections) open at most",
               .doc = "inbound TCP connections at most (the seed's parameter): one more is "
                      "accepted and closed at once",
               .table = "tcp"}),
      integer("tcp_max_per_source", 0, 1000, "",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.tcp_max_per_source = static_cast<std::size_t>(v);
              },
              {.value = "8",
               .comment = "0..1000 TCP connections from one untrusted address (0: no cap)",
               .doc = "inbound connections from one untrusted source — an IPv4 address, or an "
                      "IPv6 /64 (one host's privacy addresses) — (0: no cap)",
               .table = "tcp"}),
      integer("tcp_header_timeout", 0, 300, "s",
              [](Builder& b, std::int64_t v) { b.config.proxy.tcp_header_timeout = seconds(v); },
              {.value = "5",
               .comment = "0..300 s: a connection with no complete message this long is closed",
               .doc = "a connection with no complete message this long after it opened or after "
                      "its last message began is closed",
               .table = "tcp"}),
      integer("tcp_idle_timeout", 0, 86400, "s",
              [](Builder& b, std::int64_t v) { b.config.proxy.tcp_idle_timeout = seconds(v); },
              {.value = "60",
               .comment = "0..86400 s: an untrusted connection idle this long, with no\n"
                          "registration on it, is closed (0: never)",
               .doc = "an untrusted connection that carried nothing this long, with no "
                      "registration on it, is closed (0: never)",
               .table = "tcp"}),
  };
}

// [advanced.sipproxy] rows of the "TLS" table.
std::vector<ParamSpec> advanced_tls() {
  const auto path = [](std::string TlsSettings::*field) {
    return [field](Builder& b, int, int, std::string_view v) { b.config.tls.*field = std::string(v); };
  };
  return {
      flag("tls", [](Builder& b, bool v) { b.config.tls.listen = v; },
           {.value = "0",
            .comment = "0 or 1: accept SIP over TLS (RFC 3261 §26) on tls_port",
            .doc = "accept SIP over TLS on `tls_port`",
            .table = "tls"}),
      integer("tls_port", 1, 65535, "",
              [](Builder& b, std::int64_t v) { b.config.tls.port = static_cast<std::uint16_t>(v); },
              {.value = "5061",
               .comment = "1..65535, not rx_port",
               .doc = "the TLS port: also the port in our Via, Record-Route and Path toward TLS "
                      "hops",
               .doc_allowed = "1..65535, not `rx_port`",
               .table = "tls"}),
      param("tls_certificate", "a PEM file path (our certificate, then its chain)",
            path(&TlsSettings::certificate),
            {.value = "",
             .comment = "PEM file: our certificate, then its chain (needed for tls = 1)",
             .doc = "our certificate, then its chain",
             .doc_default = "— (needed for `tls = 1`)",
             .doc_allowed = "a PEM file",
             .table = "tls"}),
      param("tls_private_key", "a PEM file path", path(&TlsSettings::private_key),
            {.value = "",
             .comment = "PEM file: its private key",
             .doc = "its key",
             .doc_default = "— (needed for `tls = 1`)",
             .doc_allowed = "a PEM file",
             .table = "tls"}),
      param("tls_ca_file", "a PEM file path, or empty for the system's CA store",
            path(&TlsSettings::ca_file),
            {.value = "",
             .comment = "PEM file: CAs the ITSP's certificate must chain to; empty = the\n"
                        "system's store (/etc/ssl/certs)",
             .doc = "CAs the ITSP's (and, with `tls_verify_client`, phones') certificates must "
                    "chain to",
             .doc_default = "empty: the system's store",
             .doc_allowed = "a PEM file",
             .table = "tls"}),
      flag("tls_verify_server", [](Builder& b, bool v) { b.config.tls.verify_server = v; },
           {.value = "1",
            .comment = "0 or 1: check the ITSP's certificate chain and name (RFC 5922:\n"
                       "its tls_server_name, else its ipname); 0 only for lab tests",
            .doc = "check the ITSP's certificate: its chain, and its name per RFC 5922 §7 (a "
                   "`sip:` URI or DNS name in subjectAltName equal to "
                   "`tls_server_name`/`ipname`, whole and case-insensitive, no wildcards; the CN "
                   "only without subjectAltName; an address against an iPAddress entry). `0` "
                   "only in a lab",
            .table = "tls"}),
      param("tls_client_certificate", "a PEM file path, or empty for none",
            path(&TlsSettings::client_certificate),
            {.value = "",
             .comment = "PEM file presented to an ITSP that asks for one; empty = none",
             .doc = "presented to an ITSP that asks for a client certificate",
             .doc_allowed = "a PEM file",
             .table = "tls"}),
      param("tls_client_private_key",
            "a PEM file path, or empty for the client certificate's file",
            path(&TlsSettings::client_private_key),
            {.value = "",
             .comment = "its key; empty = in the certificate's file",
             .doc = "its key",
             .doc_default = "empty: in the certificate's file",
             .doc_allowed = "a PEM file",
             .table = "tls"}),
      flag("tls_verify_client", [](Builder& b, bool v) { b.config.tls.verify_client = v; },
           {.value = "0",
            .comment = "0 or 1: require phones' TLS certificates (signed by tls_ca_file)",
            .doc = "require a certificate from `tls_ca_file`'s CAs of every TLS client",
            .table = "tls"}),
      param("tls_min_version", "1.2, 1.3",
            [](Builder& b, int, int, std::string_view v) {
              b.config.tls.tls13_only = parse_choice<bool>(v, {{"1.2", false}, {"1.3", true}});
            },
            {.value = "1.2",
             .comment = "1.2, 1.3",
             .doc = "oldest TLS version accepted",
             .table = "tls"}),
      integer("tls_handshakes_per_minute", 0, 100000, "(0: no limit)",
              [](Builder& b, std::int64_t v) {
                b.config.proxy.tls_handshakes_per_minute = static_cast<std::uint32_t>(v);
              },
              {.value = "60",
               .comment = "0..100000 per untrusted source (IPv6: per /64), in bursts of\n"
                          "a tenth of it (at least 5); over it: closed before the\n"
                          "handshake; 0 = no limit",
               .doc = "TLS handshakes one untrusted source (IPv6: /64) may start per minute, in "
                      "bursts of a tenth of that (at least 5); over it a connection is closed "
                      "before its handshake (0: no limit)",
               .table = "tls"}),
  };
}

}  // namespace

SectionSpec advanced_section() {
  SectionSpec section{.name = "advanced.sipproxy", .params = advanced_main()};
  for (auto* more : {advanced_tcp, advanced_tls}) {
    for (auto& p : more()) section.params.push_back(std::move(p));
  }
  return section;
}

}  // namespace resproxy::config
