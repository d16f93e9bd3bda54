#pragma once
// Scenario: one scenarios/*.yaml file, read strictly (issue #5, item 3). Unknown keys and bad
// values are errors naming file:line:column (yaml-cpp's Mark); the INI blocks (`resproxy: |`,
// `itsp: |`) are parsed by the daemon's own parse_config, with their errors mapped back to the
// YAML file's lines. Placeholders in the INI text: ${itsp}, ${gateway}, ${resproxy}, ${remote},
// ${itsp2} (the ITSP's second address), ${dns} (the DNS server) — the planned addresses of
// those nodes. Sections the harness fills in when absent: resproxy — [sipproxy.itsp_proxy.1]
// (enable, ipname = the ITSP's address) and [sipproxy.pstn_gw] (address = the office gateway);
// itsp — [sipproxy.pstn_gw] (address = the remote PSTN). With a `dns:` block the INI may name the
// ITSP by host name instead (ipname = itsp.example): resproxy resolves it through the simulated
// DNS server, as natively (its dns_servers, or the DNS node when empty; its LAN hosts table).
//
// Keys (all optional but `resproxy`; defaults in the struct below):
//   title, description, seed, long (true: only with --long / the `long` ctest label),
//   duration_s, sample_s (series interval), ladder_at_s (default: the first fault's start)
//   topology: phones, phones_per_host (phones share a host, one port each), first_number,
//             tcp_share (0..1 of the phones on TCP), domain (phones' AOR domain = both realms),
//             remote_callers, lan|access|core: {rate: 20Mbps, delay_ms: 15, queue: 100p}
//   resproxy: |  the daemon's INI text        itsp: |  the ITSP model's INI (mode standalone)
//   phones: register_start_s, register_spread_s, register_expires_s, ring_delay_ms,
//           answer_delay_ms, gateway_answer_delay_ms,
//           password (digest password of the phones; letters, digits and -_.!~*'()+$,=&),
//           auth_share (0..1 of the phones that have it, spread evenly; default 1; at most 120
//           phones: the auth table's size). When resproxy's INI has no [sipproxy.auth.user.1],
//           the harness adds one [sipproxy.auth.user.N] per phone with the password (username =
//           the phone's number). Phones are untrusted only if the INI says so: [sipproxy.trust]
//           disable_all = 1 plus [sipproxy.trust.N] ranges without 10.100.0.0/16 (phone hosts).
//   traffic: calls_per_phone_per_hour (Poisson), mix: {internal, outbound, emergency} (sum 1),
//            inbound_per_hour (remote callers → phones), hold_mean_s (exponential), start_s,
//            stop_s, scripted: [{at_s, from: <phone>|remote|gateway, to: <user>, hold_s}],
//            transfer_share (0..1 of the internal calls a phone answers that it then transfers
//            by REFER to another office phone, drawn at random; at most 1000 phones),
//            transfer_after_s (answer → REFER, default 10),
//            pstn_inbound_per_hour (Poisson: the office PSTN gateway calls office numbers through
//            resproxy), pstn_unassigned_share (0..1 of those to numbers nobody has: 404 expected)
//   faults: [{kind, target, start_s, end_s, …}] — kinds and their keys in model/fault_schedule.h
//           (outage, flap/random_outages: up_s down_s, loss: rate direction, latency: delay_ms
//           jitter_ms jitter_step_ms, process_dead, process_503 with target itsp|resproxy);
//           link targets: access, itsp, remote, resproxy, gateway, lan (with nat: home, home_lan)
//   expect: ["<metric> <op> <number>[%]", …] — ops >= <= == != > <; metric names are those of
//           results.json's "metrics" (is_known_metric); a metric without data fails.
//   dns: a DNS server node on the ITSP's side of the access link (link "dns"), authoritative for
//        zone: [{name, type: A|AAAA|SRV, ttl_s, address (A, AAAA) | priority weight port target
//        (SRV)}], changed at given times by changes: [{at_s, records: [same as zone]}] (each
//        name and type listed replaces all its records; `remove: true` deletes them). Its
//        metrics: dns_queries, dns_lookups_failed, itsp_address_changes.
//   itsp_moves_at_s: the ITSP's proxy leaves ${itsp} for ${itsp2} at this time (its Via and
//        Record-Route name the new address; the old one stops answering).
//   pstn: the office gateway becomes the real gateway core (proxy/gateway/gateway_node.h) on the
//        same address, with emulated telephony cards in an emulated exchange
//        (sim_hardware/host/telephony_host.h), instead of a phone that answers everything. Keys:
//        e1_spans (E1s of 30 channels, group "e1", spans 1..N; default 1), fxo_lines (analogue
//        lines, group "fxo", one card; default 0), emergency_reserve (E1 channels ordinary calls
//        leave free; default 0), fxo_emergency_reserve (the same for the FXO lines; default 0), hunt (lowest | highest | round_robin), trunk_capacity (calls the
//        exchange carries at once; default: only the ports limit them), represent_to_fxo (calls
//        the E1s refuse with a re-presentation cause, or cannot carry, go to the FXO lines;
//        default true when fxo_lines > 0), subscribers: {answer_share, busy_share,
//        no_answer_share, unallocated_share (shares of the numbers the phones dial, sum 1),
//        answer_delay_s: [min, max]} — outside numbers are 0 + 9 digits, split in that order by
//        share. Dial plan: 0… → e1 (then fxo), emergency numbers → e1 (then fxo), DDI
//        0163296NNNN on the E1s → phone NNNN (phones' numbers must have 4 digits), the FXO
//        lines → the first phone. traffic.pstn_inbound_per_hour becomes PSTN subscribers
//        calling the DDI numbers through the exchange. Faults with it (target: index from 1):
//        e1_los, e1_ais (target: E1 span), fxo_dead (target: FXO line), exchange_congestion
//        (no target). Metrics: pstn_* (docs/results-schema.md).
//   nat: teleworkers — the last phones of topology.phones live in home offices, each home a UDP
//        NAT (model/nat_node.h, RFC 4787) on its own broadband link to the carrier, with its phones
//        on one host behind it (192.168.k.2, ports 5060, 5061, …), reaching resproxy across the
//        access link (model/office_network.h). Keys: link: {rate, delay_ms, queue} (every home's
//        broadband link; default 50Mbps, 10 ms, 100p; the home LAN is topology.lan), homes:
//        [{phones (default 1), mapping, filtering (endpoint_independent | address_dependent |
//        address_and_port_dependent; default endpoint_independent and address_and_port_dependent:
//        a port-restricted cone; both address_and_port_dependent: a symmetric NAT), timeout_s (the
//        UDP mapping timeout, refreshed by outbound traffic; default 300, RFC 4787 REQ-5 wants at
//        least 120 — less is allowed, as cheap routers do), ports: [first, last] (external ports,
//        default [1024, 65535]), register_expires_s (the Expires these phones ask for; default
//        phones.register_expires_s)}], at most 64 homes. The phones at home use UDP (tcp_share
//        must leave them out). Link targets for faults: home, home_lan (every home's). Metrics:
//        nat_*, and lan_calls / nat_calls with their relayed counts (docs/results-schema.md).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/dns_message.h"
#include "model/fault_schedule.h"
#include "model/office_network.h"
#include "proxy/config/daemon_config.h"

namespace resproxy::harness {

// A refused scenario file: what() is "FILE:LINE:COL: message".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ScriptedCall {
  double at_s = 0;
  // an office phone's number, "remote" (a caller beyond the ITSP) or "gateway" (the office PSTN
  // gateway, presenting a PSTN caller)
  std::string from;
  std::string to;    // a user part: a phone's number, a PSTN number, an emergency number
  double hold_s = 60;
  int line = 0;
};

struct FaultSpec {
  model::Fault fault;
  // as written: outage, flap, random_outages, loss, latency, process_dead, process_503, and with
  // a pstn: block e1_los, e1_ais, fxo_dead, exchange_congestion
  std::string kind;
  double start_s = 0, end_s = 0;
  std::string detail;  // for the results' faults list
  bool disruptive = true;  // should make resproxy fail over (outage, flap, process faults, loss >= 0.5)
  int line = 0;
};

struct Expectation {
  std::string text;    // as written
  std::string metric;
  std::string op;      // >= <= == != > <
  double value = 0;
  int line = 0;
};

// A change of the DNS zone at a given time: each (name, type) of `records` gets those records.
struct DnsChange {
  double at_s = 0;
  std::vector<model::DnsRecord> records;
  std::vector<std::pair<std::string, std::uint16_t>> removed;  // (name, type) sets deleted
  int line = 0;
};

struct DnsSpec {
  bool enabled = false;  // a `dns:` block: the DNS node exists
  std::vector<model::DnsRecord> zone;
  std::vector<DnsChange> changes;
};

// The `pstn:` block: the real gateway with emulated cards and exchange.
struct PstnSpec {
  bool enabled = false;
  std::size_t e1_spans = 1;
  std::size_t fxo_lines = 0;
  std::size_t emergency_reserve = 0;
  std::size_t fxo_emergency_reserve = 0;
  std::string hunt = "lowest";  // lowest | highest | round_robin
  std::optional<std::size_t> trunk_capacity;
  bool represent_to_fxo = false;
  // Outside numbers (0 + 9 digits, uniform): shares in this order, summing to 1.
  double answer_share = 1, busy_share = 0, no_answer_share = 0, unallocated_share = 0;
  double answer_delay_min_s = 3, answer_delay_max_s = 3;
  int line = 0;
  // Channels ordinary outside calls may use: 30 per E1 less the reserve, plus the FXO lines less
  // theirs when calls are re-presented there.
  [[nodiscard]] std::size_t usable_channels() const {
    const std::size_t e1 = 30 * e1_spans;
    const std::size_t fxo = fxo_lines > fxo_emergency_reserve ? fxo_lines - fxo_emergency_reserve : 0;
    return (e1 > emergency_reserve ? e1 - emergency_reserve : 0) + (represent_to_fxo ? fxo : 0);
  }
};

// One home of the `nat:` block: its NAT and its phones.
struct HomeSpec {
  model::NatConfig nat;
  std::size_t phones = 1;
  std::optional<double> register_expires_s;  // none: the scenario's
  int line = 0;
};

struct Scenario {
  std::string file;    // as given on the command line
  std::string name;    // file name without .yaml
  std::string title;
  std::string description;
  std::uint32_t seed = 1;
  bool long_run = false;
  double duration_s = 600;
  double sample_s = 10;

  // topology
  std::size_t phones = 10;
  std::size_t phones_per_host = 1;
  std::uint32_t first_number = 2001;
  double tcp_share = 0;
  std::string domain = "itsp.example";
  std::size_t remote_callers = 2;
  model::OfficeNetworkConfig network;

  // configuration of the two proxies, as the daemon reads it
  config::DaemonConfig resproxy;
  config::DaemonConfig itsp;

  // phones
  double register_start_s = 1;
  double register_spread_s = 10;
  double register_expires_s = 3600;
  double ring_delay_ms = 500;
  double answer_delay_ms = 2000;
  double gateway_answer_delay_ms = 500;
  std::string password;   // "": the phones have no credentials
  double auth_share = 1;  // of the phones, when password is set

  // traffic
  double calls_per_phone_per_hour = 0;
  double mix_internal = 1, mix_outbound = 0, mix_emergency = 0;
  double inbound_per_hour = 0;
  double hold_mean_s = 120;
  double traffic_start_s = 60;
  double traffic_stop_s = -1;  // -1: duration - 90 s
  std::vector<ScriptedCall> scripted;
  double transfer_share = 0;
  double transfer_after_s = 10;
  double pstn_inbound_per_hour = 0;
  double pstn_unassigned_share = 0;

  std::vector<FaultSpec> faults;
  std::vector<Expectation> expectations;
  DnsSpec dns;
  std::optional<double> itsp_moves_at_s;
  PstnSpec pstn;
  // audio: every UA says a tone in 20 ms RTP for at most this long per call and measures what it
  // hears; the gateway bridges its line calls to RTP. None: signalling only.
  std::optional<double> audio_talk_s;
  std::optional<double> ladder_at_s;  // the ladder shows the first call placed at or after this
  std::vector<HomeSpec> homes;        // nat: the last phones, in this order, live at these homes

  // The phones at home (the last ones of `phones`), and which home and slot phone `index` is at
  // (none: an office phone).
  [[nodiscard]] std::size_t phones_at_home() const;
  [[nodiscard]] std::optional<std::pair<std::size_t, std::size_t>> home_of(std::size_t index) const;
};

// Erlang B: the probability that a call offered `erlangs` of traffic finds all `channels` busy,
// by the recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)).
[[nodiscard]] double erlang_b(double erlangs, std::size_t channels);

// Engset: the blocking a call meets when `sources` callers (the office's phones, not an infinite
// population) offer `erlangs` in all to `channels`. A busy phone makes no new call, so with few
// sources per channel blocking is below Erlang B, and nil once channels >= sources. Call
// congestion over the other S = sources − 1 callers, E(0) = 1,
// E(n) = (S−n+1)·β·E(n−1) / (n + (S−n+1)·β·E(n−1)), where β, the traffic of an idle source, solves
// a = β / (1 + β·(1 − E)) for the offered traffic per source a = erlangs / sources (fixed-point
// iteration). NaN when a >= 1 (a source cannot offer more than all its time).
[[nodiscard]] double engset(double erlangs, std::size_t channels, std::size_t sources);

// Whether office phone `index` (0-based) has the digest password (auth_share spread evenly).
bool phone_has_credentials(const Scenario& scenario, std::size_t index);
// Whether office phone `index` uses TCP (tcp_share spread evenly).
bool phone_uses_tcp(const Scenario& scenario, std::size_t index);

// Reads and checks a scenario file. Throws ScenarioError.
Scenario load_scenario(const std::string& path);

// Every metric name an expectation may use (checked at load time).
bool is_known_metric(const std::string& name);

}  // namespace resproxy::harness
