#pragma once
// Configuration of the proxy core (ProxyNode): everything the daemon's INI file and a scenario
// file can set. Names follow the Vega Resilience Proxy's parameters (`[sipproxy] realm`,
// `[advanced.sipproxy] record_route`, …). Plain values; validated by whoever parses them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/ng_client.h"
#include "proxy/media/relay/session.h"
#include "proxy/routing/itsp_monitor.h"
#include "proxy/security/auth_guard.h"
#include "proxy/security/digest.h"
#include "proxy/security/flood_guard.h"
#include "proxy/security/gateway_policy.h"
#include "proxy/security/interfaces.h"
#include "proxy/security/ip_range.h"
#include "proxy/sip/sdp_rewrite.h"
#include "proxy/transaction/timer_config.h"

namespace resproxy::routing {

enum class ProxyMode : std::uint8_t { Standalone, ForwardItsp, SipTrunk, Off };
std::string_view to_string(ProxyMode mode);

// `always`: every forwarded request that may create a dialog and every in-dialog request gets
// our Record-Route; `call_setup`: only dialog-creating requests (INVITE, SUBSCRIBE, REFER, …).
enum class RecordRoute : std::uint8_t { Always, CallSetup };

// An extra number that reaches a registered user (a PSTN number → a 4-digit extension).
struct Alias {
  std::string alias;  // user part as dialled, e.g. "441344784900"
  std::string user;   // the registered user, e.g. "4900"
};

// A user that always resolves, registered or not (LanScape's local directory).
struct DirectoryEntry {
  std::string user;
  std::string contact;  // a SIP URI, e.g. "sip:4000@192.0.2.50:5060"
};

// [sipproxy.pstn_gw]: the local PSTN gateway (E1/FXO) and how its calls are treated.
enum class GatewayFromAction : std::uint8_t { Trust, Auth, Reject, Ignore };
enum class GatewayFromRouting : std::uint8_t { Itsp, RegisteredUa };
struct PstnGateway {
  std::optional<Address> address;  // none: no gateway configured
  GatewayFromAction from_action = GatewayFromAction::Trust;
  GatewayFromRouting from_routing = GatewayFromRouting::Itsp;
};

// [sipproxy.auth.user.N]: digest credentials for endpoints outside the trusted ranges.
struct AuthUser {
  std::string username;
  std::string password;
};

// [sipproxy.itsp_proxy] and [sipproxy.itsp_proxy.N] (what the monitor needs is in
// ItspMonitorConfig), plus the registration-caching parameters of [advanced.sipproxy].
struct ItspConfig {
  ItspMonitorConfig monitor;
  Transport options_transport = Transport::Udp;  // options_transport = udp|tcp|default
  bool options_transport_default = true;          // "default": the transport of the target
  Duration itsp_down_reg_expires = std::chrono::seconds(60);   // 30 .. 60000 s
  Duration reg_forwarding_timeout = std::chrono::seconds(10);  // 2 .. 60 s
  std::string nat_outside_address;  // used toward the ITSP in Via/Record-Route when set
  // Beyond the seed: live traffic. A forwarded out-of-dialog request the ITSP does not answer at
  // all (not even 100) within this time makes it suspect and is served locally (0: off).
  Duration answer_timeout = std::chrono::seconds(2);
  // Final responses from the ITSP to an INVITE that fail the call over to local service (never
  // 486/603/487, never after the caller cancelled). 408 and transport errors always do.
  std::vector<int> failover_codes{500, 502, 503, 504};
  // What non-call methods (SUBSCRIBE, PUBLISH, MESSAGE, …) get in failure operation: routed by
  // the failure table like calls (`local`), or 480 with Retry-After (`reject`).
  bool down_other_methods_local = true;
  // Registration throttling (0: off): phones are told this expiry while the ITSP's longer grant
  // runs, and their refreshes are answered here until the grant nears its end, so the ITSP sees
  // one REGISTER per grant instead of one per phone refresh.
  Duration phone_reg_expires{};
};

// Digest authentication of endpoints outside the trusted ranges (RFC 7616, RFC 3261 §22).
struct AuthConfig {
  // Methods challenged when the request needs credentials (LanScape's list by default).
  std::vector<std::string> methods{"REGISTER", "INVITE", "BYE", "SUBSCRIBE", "NOTIFY"};
  Duration nonce_lifetime = std::chrono::seconds(300);
  // Offered in this order (RFC 8760: SHA-256 first; most desk phones and SIPp know only MD5).
  // Leaving MD5 out drops it.
  std::vector<security::DigestAlgorithm> algorithms{security::DigestAlgorithm::Sha256,
                                                    security::DigestAlgorithm::Md5};
  bool require_qop = true;  // refuse RFC 2069 answers (no qop: replayable)
  // An authenticated out-of-dialog request must come From its own user (or one of that user's
  // aliases): a remote phone's credentials are no licence to call as another extension.
  bool bind_from_user = true;
  // Failed attempts per (source, user): backoff and lockout (trusted sources are never checked).
  security::AuthGuardConfig guard;
};

struct RegistrarConfig {
  Duration min_expires = std::chrono::seconds(60);      // below: 423 with Min-Expires
  Duration max_expires = std::chrono::seconds(7200);    // above: lowered to this
  Duration default_expires = std::chrono::seconds(3600);
  std::size_t max_bindings_per_aor = 10;
  std::size_t max_bindings = 10000;
};

// [media_relay]: the built-in media relay (docs/media-relay.md). Which calls it anchors: a policy
// per kind of far end — the office's phones, the ITSP, the PSTN gateway. A call takes the policy
// of its most distant end: the ITSP's if either end is the ITSP, else the gateway's if either end
// is the gateway, else the phones'.
struct MediaRelaySettings {
  bool enabled = false;
  // The addresses (written into SDP and bound), ports, timeouts and table bound. An empty IPv4
  // address means the proxy's own (`local`) when that is IPv4.
  media::relay::RelayConfig relay{};
  sip::MediaRelayPolicy phones = sip::MediaRelayPolicy::WhenNatted;
  sip::MediaRelayPolicy itsp = sip::MediaRelayPolicy::WhenNatted;
  sip::MediaRelayPolicy gateway = sip::MediaRelayPolicy::Never;
  sip::IcePolicy ice = sip::IcePolicy::Strip;
  std::uint8_t dscp = 46;  // EF (RFC 4594): the office's thin access link queues voice first
  // External relays driven over ng ([media_relay.relay.N], docs/media-relay.md): rtpengine or
  // resproxy-media. Each new relayed call goes to one member of the pool — the built-in relay
  // with `builtin_weight`, and every external relay that is up with its weight — by smooth
  // weighted round-robin; a weight of 0 makes a spare, used only when no weighted member is up.
  // The built-in relay is always up.
  std::vector<media::ng::RelayTarget> external;
  std::uint32_t builtin_weight = 1;
  // The ng client's timing (Kamailio's rtpengine_tout_ms, rtpengine_retr, ping interval).
  Duration ng_retransmit = std::chrono::milliseconds(500);
  unsigned ng_tries = 3;
  Duration ng_ping_interval = std::chrono::seconds(5);
  unsigned ng_failures_to_down = 1;
  // The audit of an external relay's answered calls (media_anchor.h): every interval one of them,
  // in turn, is asked for with an ng "query"; a relay that answers "Unknown call-id" lost it — it
  // restarted between two pings, or dropped the call — and then every call it holds is asked for.
  // 0: no audit.
  Duration ng_audit_interval = std::chrono::seconds(10);
};

struct ProxyConfig {
  ProxyMode mode = ProxyMode::Standalone;
  // Our domain: requests for users @realm (or @our address) are ours to route.
  std::string realm = "resproxy.local";
  Address local;                     // listening address (Via sent-by, Record-Route)
  RecordRoute record_route = RecordRoute::Always;
  bool server_header = true;         // "Server: resproxy/<version>" on our responses
  Duration crlf_keepalive{};         // 0: off; else ping TCP-registered endpoints this often
  Duration timer_c = std::chrono::minutes(3);  // RFC 3261 §16.6 step 11: INVITE proxy timer
  // Sources allowed to register and call: these ranges, plus, while trust_defaults is set, the
  // loopback and private ranges (127/8, 10/8, 172.16/12, 192.168/16, ::1, fc00::/7, fe80::/10).
  // trust_defaults off and no ranges: nobody is trusted.
  std::vector<security::IpRange> trusted;
  bool trust_defaults = true;        // [sipproxy.trust] disable_all=0
  // [sipproxy.trust] itsp_requires_trust: requests from untrusted, unauthenticated sources never
  // go to the ITSP (challenged or refused here), for ITSPs that authenticate the trunk by its IP
  // address. Off by default: the seed routes untrusted requests via the ITSP, which challenges.
  bool itsp_requires_trust = false;
  // Which interfaces are the office LAN (security/interfaces.h): default trust is the loopback
  // interface and the subnets of LAN interfaces, each only for messages that arrived on it.
  security::InterfaceConfig interfaces;
  // The office LAN for emergency calls by address ranges instead of by interface (tests, or a
  // runtime without interfaces). Empty: by interface (private ranges before any table).
  std::vector<security::IpRange> lan;
  // How often the key of the dialog MACs in our Record-Route is replaced (the previous key
  // still verifies, so a dialog younger than this always does).
  Duration dialog_key_rotation = std::chrono::hours(24);
  // [sipproxy.dos]: per-source rate limits and bans before parsing, the amplification budget.
  security::FloodConfig flood;
  // Requests from untrusted, unauthenticated sources relayed to the ITSP, all together, per
  // second (0: no cap): a flood relayed through us must not get the office banned there.
  double untrusted_to_itsp_rate = 50;
  // Server transactions above which new out-of-dialog requests get 503 (bounded memory).
  std::size_t max_transactions = 50000;
  // REGISTERs waiting for an earlier one of the same user to be stored, all users together.
  std::size_t max_queued_registers = 1000;
  // Overload: when datagrams waited this long in the kernel before we read them, new
  // out-of-dialog requests from untrusted sources get 503 + Retry-After for the next second, and
  // at 5 times this long those of trusted sources too (emergency calls never), while in-dialog
  // requests and retransmissions go on (0: off).
  Duration overload_delay = std::chrono::milliseconds(200);
  std::vector<security::IpRange> ignored;   // [sipproxy.ignore.N]: dropped silently
  std::vector<security::IpRange> rejected;  // [sipproxy.reject.N]: answered 403
  std::vector<AuthUser> auth_users;
  AuthConfig auth;
  PstnGateway pstn_gateway;
  // Beyond the seed: numbers that always go straight to the PSTN gateway, in every mode and
  // state (when a gateway is configured).
  std::vector<std::string> emergency_numbers{"112", "999", "911"};
  // Who may dial international and premium numbers through the gateway, and the per-user and
  // per-source limits on its calls (emergency calls exempt).
  security::GatewayPolicyConfig gateway_policy;
  ItspConfig itsp;
  std::size_t num_sockets = 120;            // [advanced.sipproxy] num_sockets (60 .. 240): inbound TCP connections at most
  std::size_t tcp_max_per_source = 8;       // inbound TCP connections per untrusted address (0: no cap)
  Duration tcp_header_timeout = std::chrono::seconds(5);  // no complete message this long: closed
  Duration tcp_idle_timeout = std::chrono::seconds(60);   // untrusted, nothing sent, no registration
  // TLS (RFC 3261 §26, RFC 5630): our TLS port (Via sent-by, Record-Route, Path of TLS hops;
  // [advanced.sipproxy] tls_port) and the handshakes an untrusted source may start per minute.
  std::uint16_t tls_port = 5061;
  std::uint32_t tls_handshakes_per_minute = 60;
  std::vector<Alias> aliases;
  std::vector<DirectoryEntry> directory;
  RegistrarConfig registrar;
  transaction::TimerConfig timers;
  std::size_t max_message_size = 65535;
  MediaRelaySettings media_relay;
  // Wall clock = core time + this offset (STYLE.md: wall time is core time plus an epoch the
  // driver supplies; on_wall_clock() moves it). Stored expiries are wall-clock, so they survive a
  // restart and a reboot. 0 in ns-3.
  Duration wall_clock_offset{};
  // Core time when the node is created (the runtime's clock at start; 0 in ns-3): where the
  // ITSP states begin, and what records from before wall-clock storage are judged against.
  TimePoint start{};
};

}  // namespace resproxy::routing
