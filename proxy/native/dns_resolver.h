#pragma once
// DnsResolver: host names of the ITSP proxies to addresses, once, at start-up (issue #4 item 2).
// The LAN hosts table ([sipproxy.lan_hosts.N]) first — the DNS server may be behind the link
// that fails — then DNS through c-ares: A/AAAA records (RFC 1035, RFC 3596), or for
// [sipproxy.itsp_proxy] mode = dnssrv the SRV records `_sip._udp.NAME` / `_sip._tcp.NAME`
// (RFC 3263 §4.2, RFC 2782) ordered by routing::order_srv_records, their targets resolved the
// same way, and A/AAAA of NAME with the configured port when there are no SRV records.
//
// Blocking, on the calling thread, before the event loop runs: every round of look-ups (all
// names at once) waits at most `timeout`, so start-up is bounded whatever DNS does. Names are
// looked up as written: no search domains, no /etc/hosts (that is what the LAN hosts table is
// for). Fed by resproxy_main (resolve_itsp_names); emits ItspTargets for routing::ItspMonitor.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/native/config.h"
#include "proxy/native/log.h"
#include "proxy/routing/itsp_monitor.h"
#include "proxy/routing/srv_order.h"

namespace resproxy::native {

// Why a name gave no usable answer. The caller leaves the ITSP proxy out and logs to_string().
enum class DnsError : std::uint8_t {
  NotFound,            // NXDOMAIN: the name does not exist
  NoRecords,           // the name exists but has no records of the type asked (NODATA)
  NoUsableAddress,     // addresses exist, none of the family the daemon's socket can reach
  ServiceUnavailable,  // SRV target "." (RFC 2782): the domain offers no SIP over this transport
  Timeout,             // no answer within the timeout (server unreachable or silent)
  ServerFailure,       // SERVFAIL, REFUSED, connection refused, a malformed answer
};
std::string_view to_string(DnsError error);

// Which address families are usable: the daemon's socket decides (an IPv4 socket cannot send
// to an IPv6 address; a dual-stack "::" socket reaches both).
enum class AddressFamilies : std::uint8_t { Ipv4, Ipv6, Both };
// Ipv4 for an IPv4 listen address (0.0.0.0 too), Both for "::", Ipv6 for another IPv6 address.
[[nodiscard]] AddressFamilies families_for_listen_address(std::string_view listen_ip);

struct DnsResolverOptions {
  std::vector<LanHost> lan_hosts;
  std::vector<Address> servers;  // empty: the system's (/etc/resolv.conf)
  Duration timeout = std::chrono::seconds(2);  // per round of look-ups
  AddressFamilies families = AddressFamilies::Both;
};

using HostResult = Result<std::vector<std::string>, DnsError>;  // IP addresses, IPv4 first
using SrvResult = Result<std::vector<routing::SrvRecord>, DnsError>;  // as DNS gave them

class DnsResolver {
 public:
  // Throws std::runtime_error if c-ares cannot be set up (no memory, a bad server list): a
  // start-up failure.
  explicit DnsResolver(DnsResolverOptions options);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  // The addresses of each name, in order: a LAN hosts entry if there is one (no query), else
  // the A and AAAA records of the usable families (IPv4 first, each in DNS order). All names
  // not in the table are queried at once; the call returns within options.timeout (plus
  // scheduling slack).
  // `ttls`, when given, gets each name's smallest record TTL (zero: none, or the LAN hosts).
  [[nodiscard]] std::vector<HostResult> resolve_hosts(std::span<const std::string> names,
                                                      std::vector<Duration>* ttls = nullptr);
  [[nodiscard]] HostResult resolve_host(const std::string& name, Duration* ttl = nullptr);

  // The SRV records of each name (e.g. "_sip._udp.example.com"), unordered, all at once,
  // within options.timeout. NotFound / NoRecords: no SRV records (RFC 3263 falls back to A).
  [[nodiscard]] std::vector<SrvResult> query_srv(std::span<const std::string> names);

  // The LAN hosts entry of `name` (case-insensitive), if any.
  [[nodiscard]] const LanHost* lan_host(std::string_view name) const;

  [[nodiscard]] const DnsResolverOptions& options() const { return options_; }
  // DNS queries sent so far (the LAN hosts table answers without one).
  [[nodiscard]] std::uint64_t queries_sent() const { return queries_sent_; }

 private:
  struct Channel;
  DnsResolverOptions options_;
  std::unique_ptr<Channel> channel_;
  std::uint64_t queries_sent_ = 0;
};

// What became of one configured ITSP proxy whose ipname is a host name (or a literal).
struct ItspResolution {
  std::string name;                           // the configured ipname
  std::string source;                         // "address", "LAN hosts", "DNS A/AAAA",
                                              // "DNS SRV _sip._udp.NAME", …
  std::vector<routing::ItspTarget> targets;   // in the order to use; empty: left out
  std::optional<DnsError> error;              // why it is left out
  std::string detail;                         // for the log: SRV targets, the failing name
};

// Resolves every target of `configured` (config order) whose destination is a host name, as
// `selection` says: Normal and Cyclic: one target per address of the name (its port and
// transport); DnsSrv: one target per address of each SRV target, in RFC 2782 order drawn from
// `rng`, with the SRV port. Literal addresses are kept as they are. At most kMaxTargetsPerName
// targets per configured entry. Bounded: at most two rounds of look-ups (SRV, then addresses).
inline constexpr std::size_t kMaxTargetsPerName = 16;
[[nodiscard]] std::vector<ItspResolution> resolve_itsp_targets(
    const std::vector<routing::ItspTarget>& configured, routing::ItspSelection selection,
    DnsResolver& resolver, Rng& rng);

// The daemon's start-up step (resproxy_main): if the mode forwards to the ITSP and any ipname
// is a host name, resolves them and replaces config.proxy.itsp.monitor.targets with the
// result (names kept as configured, duplicates of an address removed), logging each outcome.
// An ipname that does not resolve is an error log and stays as configured, by name: the core
// counts it as down and resolves it itself while running (proxy_node_dns.cpp); with nothing
// resolved the daemon starts in failure operation (every ITSP proxy down). `seed` seeds the SRV weight draws (not
// the core's Rng, whose draws stay as they were). Throws std::runtime_error as DnsResolver.
void resolve_itsp_names(DaemonConfig& config, Logger& logger, std::uint64_t seed);

// The resolver's options from the daemon's configuration (LAN hosts, servers, timeout, the
// families the listen address can reach): the same at start-up and while running.
[[nodiscard]] DnsResolverOptions dns_options_for(const DaemonConfig& config);
// After resolve_itsp_names: whether any ITSP proxy's address came from DNS and is to be looked
// up again while running (dns_refresh > 0), or is still a name to resolve: then the daemon
// starts a DnsThread.
[[nodiscard]] bool needs_name_refresh(const DaemonConfig& config);

}  // namespace resproxy::native
