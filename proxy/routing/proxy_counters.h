#pragma once
// The proxy's counters, and the one table that names them: name, help text, kind. `show
// counters`, results.json and (later) a Prometheus endpoint all read them through the table, so
// a counter added here is exported everywhere, with its help, or nowhere.
#include <cstdint>
#include <span>

#include "proxy/base/admin.h"
#include "proxy/security/admission_counters.h"
#include "proxy/transport/transport_layer.h"

namespace resproxy::routing {

// The admission counters (forbidden, flood_dropped, sources_banned, challenged, auth_failures,
// auth_lockouts, auth_locked_refusals) are the base: admission counts straight into them.
struct ProxyCounters : security::AdmissionCounters {
  std::uint64_t requests = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t rejected = 0;        // answered 4xx/5xx by us
  std::uint64_t registers = 0;
  std::uint64_t not_found = 0;       // 404
  std::uint64_t loops = 0;           // 482
  std::uint64_t too_many_hops = 0;   // 483
  std::uint64_t timeouts = 0;        // 408 synthesized (Timer B/F/C)
  std::uint64_t cancels_unanswered = 0;  // INVITEs given up 64·T1 after our CANCEL (§9.1)
  std::uint64_t store_failures = 0;
  std::uint64_t to_itsp = 0;               // requests (and ACKs) forwarded to an ITSP proxy
  std::uint64_t to_gateway = 0;            // requests (and ACKs) forwarded to the PSTN gateway
  std::uint64_t gateway_calls = 0;         // new calls (out-of-dialog INVITEs) to the gateway
  std::uint64_t exit_refused = 0;          // refused by the exit rule (403, or an ACK dropped)
  std::uint64_t stray_responses_dropped = 0;  // responses to no transaction of ours
  std::uint64_t answered_statelessly = 0;  // refusals and challenges to unverified sources
  std::uint64_t answers_suppressed = 0;    // not answered: over the amplification budget
  std::uint64_t itsp_capped = 0;           // untrusted requests for the ITSP over its cap: 503
  std::uint64_t overload_rejected = 0;     // 503: overload, too many transactions or queued REGISTERs
  std::uint64_t overload_episodes = 0;     // times the receive delay crossed overload_delay
  std::uint64_t failovers = 0;             // requests the ITSP failed, then served locally
  std::uint64_t late_answers_hung_up = 0;  // 2xx from the ITSP after failover: ACK + BYE
  std::uint64_t emergency_calls = 0;       // new emergency calls forwarded (audit-logged)
  std::uint64_t gateway_refused = 0;       // new gateway calls refused: number class or call limits
  std::uint64_t throttled = 0;             // REGISTER refreshes answered here (throttling)
};

// What the table reads: the proxy's own counters and the gauges of the layers below it.
struct CounterSources {
  const ProxyCounters& proxy;
  const transport::TransportCounters& transport;
  std::uint64_t gateway_open_calls = 0;
  std::uint64_t server_transactions = 0;
  std::uint64_t streams_open = 0;
  // The built-in media relay (media_anchor.h; all 0 when it is off).
  std::uint64_t media_calls_open = 0;
  std::uint64_t media_calls_anchored = 0;
  std::uint64_t media_offers_refused = 0;
  std::uint64_t media_calls_timed_out = 0;
  std::uint64_t media_packets_forwarded = 0;
  std::uint64_t media_packets_dropped = 0;
  // External relays over ng (media_anchor.h, media/ng/ng_client.h).
  std::uint64_t media_calls_external = 0;
  std::uint64_t media_relay_failovers = 0;
  std::uint64_t media_relay_failures = 0;
  std::uint64_t media_calls_lost = 0;
  std::uint64_t media_calls_forgotten = 0;
  std::uint64_t media_audit_queries = 0;
  std::uint64_t media_relays_up = 0;
  std::uint64_t media_relays_down = 0;
  std::uint64_t media_ng_timeouts = 0;
  std::uint64_t media_ng_ignored = 0;
};

struct CounterSpec {
  std::string_view name;
  std::string_view help;
  admin::CounterKind kind = admin::CounterKind::Counter;
  std::uint64_t (*read)(const CounterSources&) = nullptr;
};

// Every counter, in the order `show counters` lists them.
[[nodiscard]] std::span<const CounterSpec> counter_table();
[[nodiscard]] admin::Counters read_counters(const CounterSources& sources);

}  // namespace resproxy::routing
