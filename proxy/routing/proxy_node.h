#pragma once
// ProxyNode: the resproxy core — a stateful proxy (RFC 3261 §16) with a registrar and location
// service (§10) — as one Node. In standalone mode it registers the office's phones and routes
// calls between them; later modes add the ITSP (issue #4). Inputs come from a runtime; durable
// bindings go out as StoreWrite effects and come back at start-up as `stored`.
#include <memory>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/routing/proxy_config.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::routing {

struct ProxyCounters {
  std::uint64_t requests = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t rejected = 0;        // answered 4xx/5xx by us
  std::uint64_t registers = 0;
  std::uint64_t not_found = 0;       // 404
  std::uint64_t forbidden = 0;       // 403 (untrusted)
  std::uint64_t loops = 0;           // 482
  std::uint64_t too_many_hops = 0;   // 483
  std::uint64_t timeouts = 0;        // 408 synthesized (Timer B/F/C)
  std::uint64_t store_failures = 0;
  std::uint64_t to_itsp = 0;               // requests (and ACKs) forwarded to an ITSP proxy
  std::uint64_t to_gateway = 0;            // requests (and ACKs) forwarded to the PSTN gateway
  std::uint64_t gateway_calls = 0;         // new calls (out-of-dialog INVITEs) to the gateway
  std::uint64_t exit_refused = 0;          // refused by the exit rule (403, or an ACK dropped)
  std::uint64_t stray_responses_dropped = 0;  // responses to no transaction of ours
  std::uint64_t flood_dropped = 0;         // datagrams dropped over rate or from a banned source
  std::uint64_t sources_banned = 0;        // bans imposed
  std::uint64_t answered_statelessly = 0;  // refusals and challenges to unverified sources
  std::uint64_t answers_suppressed = 0;    // not answered: over the amplification budget
  std::uint64_t itsp_capped = 0;           // untrusted requests for the ITSP over its cap: 503
  std::uint64_t overload_rejected = 0;     // 503: overload, too many transactions or queued REGISTERs
  std::uint64_t overload_episodes = 0;     // times the receive delay crossed overload_delay
  std::uint64_t failovers = 0;             // requests the ITSP failed, then served locally
  std::uint64_t late_answers_hung_up = 0;  // 2xx from the ITSP after failover: ACK + BYE
  std::uint64_t challenged = 0;            // 401/407 digest challenges sent
  std::uint64_t auth_failures = 0;         // wrong passwords and unknown users (untrusted sources)
  std::uint64_t auth_lockouts = 0;         // (source, user) pairs or sources locked out
  std::uint64_t auth_locked_refusals = 0;  // requests refused (403) while locked out
  std::uint64_t emergency_calls = 0;       // new emergency calls forwarded (audit-logged)
  std::uint64_t gateway_refused = 0;       // new gateway calls refused: number class or call limits
  std::uint64_t throttled = 0;             // REGISTER refreshes answered here (throttling)
};

class ProxyNode final : public transaction::SipNode {
 public:
  // `stored`: the records the runtime loaded from the durable store at start-up.
  ProxyNode(ProxyConfig config, std::vector<StoreRecord> stored, Rng& rng, TraceSink& trace);
  ~ProxyNode() override;

  // The listening address may be known only after the runtime bound it (port 0).
  void set_local_address(Address local);

  // Node
  void on_store_done(TimePoint now, std::uint64_t id, StoreOutcome outcome) override;
  void on_receive_delay(TimePoint now, Duration delay) override;
  void on_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) override;
  void on_wall_clock(TimePoint now, Duration since_unix_epoch) override;
  [[nodiscard]] bool overloaded(TimePoint now) const;

  // TransactionUser
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;
  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) override;
  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override;
  void on_stray_response(TimePoint now, const sip::Message& response, const Path& path) override;
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError error) override;
  void on_server_error(TimePoint now, transaction::ServerTransactionId id,
                       transaction::TransactionError error) override;

  [[nodiscard]] const ProxyCounters& counters() const;
  [[nodiscard]] const ProxyConfig& config() const;
  // One line of text per binding, as `show reg` lists them (tests, simulations).
  [[nodiscard]] std::vector<std::string> describe_bindings(TimePoint now) const;
  [[nodiscard]] std::size_t binding_count() const;
  // Failure operation: forward_itsp or sip_trunk with no usable ITSP proxy.
  [[nodiscard]] bool in_failure_operation() const;

  // Management (resproxyctl, the seed's `sipproxy show reg` / `sipproxy kill reg n`):
  //   show reg        the registration cache: index, user, aliases, contact, source, transport,
  //                   expiry, learned from the ITSP or local
  //   kill reg N      removes entry N of `show reg` (and its durable record)
  //   show itsp       each ITSP proxy: state, since when, probes, transitions; the mode
  //   show counters   the proxy's counters
  //   show bans       sources banned by the flood guard: source, seconds left, dropped since
  //   unban ADDRESS   lifts a ban (IPv6: any address of the /64)
  //   help
  // Runs on the node's thread like every other input; may emit effects (kill reg: a StoreWrite).
  struct ControlReply {
    bool ok = false;
    std::string text;  // lines separated by '\n', ending with one
  };
  ControlReply control(TimePoint now, std::string_view command);

 private:
  [[nodiscard]] bool admits(TimePoint now, const Path& path, std::size_t bytes) override;
  void emit_store(StoreWrite write);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace resproxy::routing
