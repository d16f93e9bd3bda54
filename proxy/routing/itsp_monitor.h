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
  // health stay.
  void readdress(std::size_t index, std::string ip);
  [[nodiscard]] const ItspMonitorConfig& config() const { return config_; }

 private:
  struct TargetState {
    ItspHealth health;
    std::optional<transaction::ClientTransactionId> probe;
    TimerId probe_timer;      // the next probe
    TimerId timeout_timer;    // this probe's own timeout
    std::uint64_t cseq = 0;
    TimePoint changed_at{};   // when the state last changed (for the logged durations)
  };

  void send_probe(TimePoint now, std::size_t index);
  void probe_done(TimePoint now, std::size_t index, bool ok, std::string_view why);
  void arm_next(std::size_t index);
  void note_state(TimePoint now, std::size_t index, ItspState before);

  ItspMonitorConfig config_;
  transaction::SipNode& node_;
  std::vector<TargetState> states_;
  std::string call_id_prefix_;
  std::string from_tag_;
  std::size_t next_cyclic_ = 0;
  std::uint64_t probes_sent_ = 0;
};

}  // namespace resproxy::routing
