#pragma once
// ItspMonitor: probes each configured ITSP proxy with OPTIONS (the seed's accessibility check)
// and keeps one ItspHealth per proxy. Probes go through client non-INVITE transactions, so a
// lost OPTIONS is retransmitted on the standard timers, but each probe also has its own short
// timeout: detection does not wait for a 32 s Timer F. Accepted answers (the seed's list): 2xx,
// 3xx, 401, 404, 407, 483; anything else, a timeout or a transport error is a failed probe.
// Selection among usable proxies: `normal` (the first that is up) or `cyclic` (round robin).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/routing/itsp_health.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::routing {

enum class ItspSelection : std::uint8_t { Normal, Cyclic, DnsSrv };
std::string_view to_string(ItspSelection selection);

struct ItspTarget {
  std::string name;                 // as configured (ipname), for logs and show commands
  transport::Destination destination;
  bool enabled = true;
  // The host name whose address `destination` is, when DNS gave it: looked up again while the
  // daemon runs (ItspMonitorConfig::dns_refresh). Empty: an address, or a LAN hosts entry.
  std::string host{};
  // mode = dnssrv: the SRV owner name (RFC 3263 §4.2, "_sip._udp.itsp.example") this proxy is
  // one of the records of; `host` is then the record's target. The whole set is looked up again
  // and replaced at each refresh (proxy_node_dns.cpp).
  std::string service{};
};

// A target whose destination is a host name, not an address: the runtime did not resolve it at
// start-up (ns-3 never does; natively, its look-up failed). It counts as down and is not probed
// until the core's own look-up gives it an address.
[[nodiscard]] bool is_unresolved(const ItspTarget& target);

// The SRV owner name of a target's host for its transport (RFC 3263 §4.2): "_sip._udp.NAME",
// "_sip._tcp.NAME", "_sips._tcp.NAME" for TLS.
[[nodiscard]] std::string srv_owner(const ItspTarget& target);

// A look-up the proxy asked the runtime for (ResolveName), and what it is for.
struct ItspNameLookup {
  enum class For : std::uint8_t {
    Target,       // the addresses of one target's host
    Service,      // the SRV records of one service
    ServiceHost,  // the addresses of one SRV target of a service
  };
  For what = For::Target;
  std::size_t index = 0;  // the target (Target) or the service (Service, ServiceHost)
  std::string host{};     // ServiceHost: the name asked
};

// mode = dnssrv: one configured ITSP proxy name whose SRV records are the set of ITSP proxies.
struct ItspService {
  std::string owner;      // "_sip._udp.itsp.example"
  std::string host;       // "itsp.example": its A/AAAA (configured port) when it has no SRV
  ItspTarget model;       // the configured entry: name, transport, port, TLS server name
  TimerId timer{};        // the next look-up
  // The look-up in progress (`pending` answers still to come):
  std::vector<SrvRecord> ordered{};  // the records, in RFC 2782 order
  std::vector<std::pair<std::string, NameResolved>> answers{};  // per SRV target name
  std::size_t pending = 0;
  Duration ttl{};         // the smallest TTL seen in this look-up (zero: none)
};

struct ItspMonitorConfig {
  std::vector<ItspTarget> targets;
  bool options_check = true;        // accessibility_check = options; off: "assume down"
  ItspSelection selection = ItspSelection::Normal;
  ItspHealthConfig health;
  Duration probe_timeout = std::chrono::seconds(2);
  // Retransmit a probe at this fixed interval (over UDP) within its timeout, so one lost datagram
  // does not fail it; none: the standard T1 doubling.
  std::optional<Duration> probe_retransmit;
  // options_transport = udp|tcp; none ("default"): each target's own transport.
  std::optional<Transport> probe_transport;
  // The address the probes name in Via and From: the NAT's outside address when the office
  // is behind one (nat_outside_address), so the ITSP's answer comes back through it; empty: our
  // listening address.
  std::string sent_by_host;
  // Host names (ItspTarget::host) are looked up again this long after the last answer, or after
  // the answer's TTL when the runtime reports one (at least dns_refresh_min); zero: only at
  // start-up. A failed look-up keeps the address and is tried again after dns_retry.
  Duration dns_refresh = std::chrono::minutes(5);
  Duration dns_refresh_min = std::chrono::seconds(30);
  Duration dns_retry = std::chrono::seconds(30);
};

// The seed's accepted OPTIONS answers.
bool is_accepted_probe_answer(int status);

class ItspMonitor {
 public:
  // With selection DnsSrv, an unresolved target (is_unresolved) is the placeholder of its SRV
  // set: its `service` is set to srv_owner().
  ItspMonitor(ItspMonitorConfig config, transaction::SipNode& node, TimePoint start);

  // Returns true if the response or error belonged to one of our probes (then it is consumed).
  bool on_response(TimePoint now, transaction::ClientTransactionId id, int status);
  bool on_client_error(TimePoint now, transaction::ClientTransactionId id);
  // Live traffic to target `index` (forwarded requests): failures make it suspect at once.
  void on_traffic_failure(TimePoint now, std::size_t index, TrafficFailure failure);
  void on_traffic_success(TimePoint now, std::size_t index);

  // The proxy to send to now, or nullopt when none is usable (failure operation).
  [[nodiscard]] std::optional<std::size_t> select();
  [[nodiscard]] bool any_usable() const;
  [[nodiscard]] const ItspTarget& target(std::size_t index) const { return config_.targets[index]; }
  [[nodiscard]] const ItspHealth& health(std::size_t index) const { return states_[index].health; }
  [[nodiscard]] std::size_t size() const { return states_.size(); }
  [[nodiscard]] std::uint64_t probes_sent() const { return probes_sent_; }
  // The target whose address and port `remote` is, if any.
  [[nodiscard]] std::optional<std::size_t> find(const Address& remote) const;
  // Target `index` is now reached at `ip` (its host name's address changed); port, transport and
  // health stay. An unresolved target gets its first address: from now on it is probed, and it
  // starts as every target does at start-up (Active, probed at once).
  void readdress(std::size_t index, std::string ip, TimePoint now);
  void readdress(std::size_t index, std::string ip);  // (a target that had an address)
  // The proxies of SRV service `owner` are now `targets`, in the order to use (each with
  // `service` = owner). A proxy that stays (same address, port and transport) keeps its slot and
  // its health; one that left is retired: AdminDisabled, never probed or chosen again, but its
  // address is still known as the ITSP's (late in-dialog requests from it); a new one starts as
  // at start-up in a retired slot of the service or a new one. Returns the slots added and the
  // addresses that left.
  struct SetChange {
    std::vector<std::size_t> added;
    std::vector<Address> removed;
  };
  SetChange replace_service(TimePoint now, const std::string& owner, std::vector<ItspTarget> targets);
  // Whether slot `index` is a retired member of an SRV set (see replace_service).
  [[nodiscard]] bool is_retired(std::size_t index) const { return states_[index].retired; }
  [[nodiscard]] const ItspMonitorConfig& config() const { return config_; }

 private:
  struct TargetState {
    ItspHealth health;
    std::optional<transaction::ClientTransactionId> probe;
    TimerId probe_timer;      // the next probe
    TimerId timeout_timer;    // this probe's own timeout
    std::uint64_t cseq = 0;
    TimePoint changed_at{};   // when the state last changed (for the logged durations)
    std::uint64_t rank = 0;   // the order select() tries targets in (configuration, SRV order)
    bool retired = false;     // left its SRV set (replace_service)
  };

  void send_probe(TimePoint now, std::size_t index);
  void probe_done(TimePoint now, std::size_t index, bool ok, std::string_view why);
  void arm_next(std::size_t index);
  void note_state(TimePoint now, std::size_t index, ItspState before);
  // Slot `index` starts afresh (a new address): its probe stops, its health begins as at start.
  void restart(TimePoint now, std::size_t index, bool usable);
  void sort_order();

  ItspMonitorConfig config_;
  transaction::SipNode& node_;
  std::vector<TargetState> states_;
  std::vector<std::size_t> order_;  // slots by rank: the order select() tries them in
  std::string call_id_prefix_;
  std::string from_tag_;
  std::size_t next_cyclic_ = 0;
  std::uint64_t probes_sent_ = 0;
};

}  // namespace resproxy::routing
