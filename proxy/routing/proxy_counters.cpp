#include "proxy/routing/proxy_counters.h"

#include <array>

namespace resproxy::routing {

namespace {

using admin::CounterKind;

#define RESPROXY_PROXY_COUNTER(field, help) \
  CounterSpec { #field, help, CounterKind::Counter, [](const CounterSources& s) { return s.proxy.field; } }
#define RESPROXY_MEDIA_COUNTER(field, help) \
  CounterSpec { #field, help, CounterKind::Counter, [](const CounterSources& s) { return s.field; } }
#define RESPROXY_TRANSPORT_COUNTER(name, field, help) \
  CounterSpec { name, help, CounterKind::Counter, [](const CounterSources& s) { return s.transport.field; } }

constexpr std::array kTable{
    RESPROXY_PROXY_COUNTER(requests, "requests received (retransmissions absorbed by transactions not counted)"),
    RESPROXY_PROXY_COUNTER(forwarded, "requests forwarded"),
    RESPROXY_PROXY_COUNTER(rejected, "requests answered 4xx/5xx here"),
    RESPROXY_PROXY_COUNTER(registers, "REGISTER requests received"),
    RESPROXY_PROXY_COUNTER(not_found, "404: no binding and no route"),
    RESPROXY_PROXY_COUNTER(forbidden, "403: untrusted source"),
    RESPROXY_PROXY_COUNTER(loops, "482: loop detected"),
    RESPROXY_PROXY_COUNTER(too_many_hops, "483: Max-Forwards exhausted"),
    RESPROXY_PROXY_COUNTER(timeouts, "408 synthesized on timer B, F or C"),
    RESPROXY_PROXY_COUNTER(cancels_unanswered, "INVITEs given up: no final response 64*T1 after our CANCEL"),
    RESPROXY_PROXY_COUNTER(store_failures, "registration store writes that failed"),
    RESPROXY_PROXY_COUNTER(to_itsp, "requests and ACKs forwarded to an ITSP proxy"),
    RESPROXY_PROXY_COUNTER(to_gateway, "requests and ACKs forwarded to the PSTN gateway"),
    RESPROXY_PROXY_COUNTER(failovers, "requests the ITSP failed, then served locally"),
    RESPROXY_PROXY_COUNTER(late_answers_hung_up, "2xx from the ITSP after failover: ACKed and hung up"),
    RESPROXY_PROXY_COUNTER(challenged, "401/407 digest challenges sent"),
    RESPROXY_PROXY_COUNTER(throttled, "REGISTER refreshes answered here (registration throttling)"),
    RESPROXY_PROXY_COUNTER(gateway_calls, "new calls (out-of-dialog INVITEs) to the PSTN gateway"),
    RESPROXY_PROXY_COUNTER(exit_refused, "refused by the exit rule (403, or an ACK dropped)"),
    RESPROXY_PROXY_COUNTER(emergency_calls, "new emergency calls forwarded (audit-logged)"),
    RESPROXY_PROXY_COUNTER(gateway_refused, "new gateway calls refused: number class or call limits"),
    CounterSpec{"gateway_open_calls", "calls open through the PSTN gateway", CounterKind::Gauge,
                [](const CounterSources& s) { return s.gateway_open_calls; }},
    RESPROXY_PROXY_COUNTER(auth_failures, "wrong passwords and unknown users from untrusted sources"),
    RESPROXY_PROXY_COUNTER(auth_lockouts, "(source, user) pairs or sources locked out"),
    RESPROXY_PROXY_COUNTER(auth_locked_refusals, "requests refused (403) while locked out"),
    RESPROXY_PROXY_COUNTER(stray_responses_dropped, "responses to no transaction of ours, dropped"),
    RESPROXY_PROXY_COUNTER(flood_dropped, "datagrams dropped over rate or from a banned source"),
    RESPROXY_PROXY_COUNTER(sources_banned, "bans imposed by the flood guard"),
    RESPROXY_PROXY_COUNTER(answered_statelessly, "refusals and challenges sent to unverified sources without state"),
    RESPROXY_PROXY_COUNTER(answers_suppressed, "answers not sent: over the amplification budget"),
    RESPROXY_PROXY_COUNTER(itsp_capped, "503: untrusted requests for the ITSP over its cap"),
    RESPROXY_PROXY_COUNTER(overload_rejected, "503: overload, too many transactions or queued REGISTERs"),
    RESPROXY_PROXY_COUNTER(overload_episodes, "times the receive delay crossed overload_delay"),
    CounterSpec{"server_transactions", "server transactions open", CounterKind::Gauge,
                [](const CounterSources& s) { return s.server_transactions; }},
    CounterSpec{"tcp_open", "TCP and TLS connections open", CounterKind::Gauge,
                [](const CounterSources& s) { return s.streams_open; }},
    RESPROXY_TRANSPORT_COUNTER("tcp_refused", streams_refused, "connections refused: num_sockets or the per-source cap"),
    RESPROXY_TRANSPORT_COUNTER("tls_handshakes_refused", tls_handshakes_refused,
                               "TLS connections closed over tls_handshakes_per_minute"),
    RESPROXY_TRANSPORT_COUNTER("tls_failures", tls_failures, "TLS handshakes or certificate checks that failed"),
    RESPROXY_TRANSPORT_COUNTER("tcp_timed_out", streams_timed_out, "connections closed on the header or idle timeout"),
    CounterSpec{"media_calls_open", "calls whose media a relay (built-in or external) anchors now", CounterKind::Gauge,
                [](const CounterSources& s) { return s.media_calls_open; }},
    RESPROXY_MEDIA_COUNTER(media_calls_anchored, "calls whose offer the media relay took"),
    RESPROXY_MEDIA_COUNTER(media_offers_refused, "offers the media relay could not take (503/488/500)"),
    RESPROXY_MEDIA_COUNTER(media_calls_timed_out, "relayed calls ended for silence (BYE both ways when answered)"),
    RESPROXY_MEDIA_COUNTER(media_packets_forwarded, "RTP and RTCP packets the media relay forwarded"),
    RESPROXY_MEDIA_COUNTER(media_packets_dropped, "packets the media relay dropped (foreign source, not RTP, no destination)"),
    RESPROXY_MEDIA_COUNTER(media_calls_external, "relayed calls an external relay ([media_relay.relay.N]) took"),
    RESPROXY_MEDIA_COUNTER(media_relay_failovers, "new calls an external relay refused or left unanswered, given to the next"),
    RESPROXY_MEDIA_COUNTER(media_relay_failures, "later SDP bodies an external relay did not take"),
    RESPROXY_MEDIA_COUNTER(media_calls_lost, "answered calls ended because their external relay went down or forgot them (BYE, Q.850 38)"),
    RESPROXY_MEDIA_COUNTER(media_calls_forgotten, "answered calls an external relay no longer knew when audited (it restarted; in media_calls_lost)"),
    RESPROXY_MEDIA_COUNTER(media_audit_queries, "ng queries sent to audit external relays' answered calls"),
    CounterSpec{"media_relays_up", "external relays up now (answering ng)", CounterKind::Gauge,
                [](const CounterSources& s) { return s.media_relays_up; }},
    RESPROXY_MEDIA_COUNTER(media_relays_down, "times an external relay went down"),
    RESPROXY_MEDIA_COUNTER(media_ng_timeouts, "ng requests to external relays that got no answer"),
    RESPROXY_MEDIA_COUNTER(media_ng_ignored, "ng datagrams ignored: unknown cookie, wrong source, unsigned, bad signature"),
};

#undef RESPROXY_PROXY_COUNTER
#undef RESPROXY_TRANSPORT_COUNTER
#undef RESPROXY_MEDIA_COUNTER

}  // namespace

std::span<const CounterSpec> counter_table() { return kTable; }

admin::Counters read_counters(const CounterSources& sources) {
  admin::Counters out;
  out.values.reserve(kTable.size());
  for (const auto& spec : kTable) {
    out.values.push_back({spec.name, spec.help, spec.kind, spec.read(sources)});
  }
  return out;
}

}  // namespace resproxy::routing
