#pragma once
// The daemon's configuration file: INI sections and parameters named after the Vega Resilience
// Proxy's (`[sipproxy] rx port`, `[advanced.sipproxy] record_route`, …) with spaces written as
// underscores. One schema (schema.h) says what each parameter accepts, its default and what it
// means; the parser, the embedded default file and docs/configuration.md's parameter tables all
// come from it. Plain computation: no I/O, no Asio, no clock (the core's rules apply).
//
// Syntax: `[section]` headers (case-insensitive; spaces inside names equal underscores; the
// seed's spelling "siproxy" is accepted for "sipproxy", and its "options tansport" for
// "options_transport"); indexed sections `[base.N]` with N = 1..100 (1..120 for
// `[sipproxy.auth.user.N]`); `name = value` lines; comments start with ';' or '#', on their own
// line or after a value; a value containing ';' or '#' (a SIP URI with parameters) must be
// written in double quotes. Unknown sections and parameters, repeated sections and parameters,
// bad values and broken cross-field rules (an enabled entry missing a required parameter; mode
// forward_itsp or sip_trunk without an enabled [sipproxy.itsp_proxy.N]) are errors: a file is
// used whole or refused.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/log_level.h"
#include "proxy/config/tls_settings.h"
#include "proxy/gateway/channel_groups.h"
#include "proxy/gateway/dial_plan.h"
#include "proxy/routing/proxy_config.h"

namespace resproxy::config {

// [sipproxy.lan_hosts.N]: a host name and its address, used instead of DNS (the seed's "Vega
// LAN hosts table": the DNS server may be behind the link that fails). The daemon's
// dns_resolver.h reads it.
struct LanHost {
  std::string name;     // a host name, as written (matched case-insensitively)
  std::string address;  // an IPv4 or IPv6 address, never 0.0.0.0 or ::
};

// [gateway], [gateway.group.N], [gateway.dialplan.N]: the PSTN gateway (gateway/gateway_node.h)
// the daemon runs beside the proxy, on a port of its own, when enabled.
struct GatewaySettings {
  bool enable = false;
  std::uint16_t port = 5080;  // gateway::kDefaultGatewayPort
  // Where calls from the PSTN are sent; nullopt: this daemon's proxy (its rx_port).
  std::optional<Address> proxy;
  std::string domain = "pstn.invalid";
  std::uint16_t rtp_port_first = 16384;
  std::uint16_t rtp_port_last = 17383;
  Duration max_call_duration{};  // zero: no limit
  std::vector<gateway::ChannelGroupConfig> groups;  // in index order
  std::map<std::string, std::string> incoming_destination;  // group name -> called number
  gateway::DialPlanConfig dial_plan;                         // rules in index order
};

// [sim_hardware.exchange], [sim_hardware.e1.N], [sim_hardware.fxo.N]: the emulated telephony
// cards and the exchange they are plugged into (sim_hardware/host/telephony_host.h), for a
// demonstration or a test bench without real cards. Plain values: the daemon builds the
// emulators from them (the configuration layer does not know sim_hardware).
struct SimE1Settings {
  std::uint16_t span = 0;
  std::string name;  // the card's and the exchange port's name
  std::string ddi_first, ddi_last;  // the office's DDI numbers on it (national); empty: none
  std::size_t ddi_digits = 0;       // the called number's last digits sent; 0: the whole number
};
enum class SimAnswerSupervision : std::uint8_t { PolarityReversal, AfterDialling, AfterDelay };
struct SimFxoSettings {
  std::uint16_t span = 0;
  std::string name;
  std::vector<std::string> directory_numbers;  // one per line, line 1 first (national)
  SimAnswerSupervision answer = SimAnswerSupervision::PolarityReversal;
};
struct SimExchangeSettings {
  std::optional<std::size_t> trunk_capacity;  // nullopt: only the ports limit calls
  bool in_band_tones = true;
  Duration no_answer_timeout = std::chrono::minutes(2);
  Duration patience = std::chrono::minutes(1);
};
// [sim_hardware.numbers.N]: one range of the exchange's numbering plan and what its
// subscribers do (sim_hardware/exchange/numbering_plan.h).
enum class SimSubscriberKind : std::uint8_t { Answers, Busy, NoAnswer, Unallocated };
struct SimDurationRange {  // drawn uniformly in [min, max]; min == max: fixed
  Duration min{};
  Duration max{};
  friend bool operator==(const SimDurationRange&, const SimDurationRange&) = default;
};
struct SimNumberRange {
  std::string first, last;  // the same length, first <= last (national numbers, or 999)
  SimSubscriberKind kind = SimSubscriberKind::Answers;
  SimDurationRange answer_after{std::chrono::seconds(3), std::chrono::seconds(3)};
  std::optional<SimDurationRange> hold_time;  // nullopt: stays until the office clears
  bool emergency = false;
};
struct SimHardwareSettings {
  std::vector<SimE1Settings> e1;    // in index order
  std::vector<SimFxoSettings> fxo;  // in index order
  SimExchangeSettings exchange;
  // The exchange's numbering plan, in index order; empty: the demo's (demo_numbering_plan()).
  std::vector<SimNumberRange> numbers;
  [[nodiscard]] bool has_cards() const { return !e1.empty() || !fxo.empty(); }
};

struct DaemonConfig {
  routing::ProxyConfig proxy;  // `local` is left empty: the daemon sets it once bound
  std::string listen_address = "0.0.0.0";
  std::uint16_t rx_port = 5060;
  // The address put in Via and Record-Route; empty: the listen address if it is a specific
  // one, else the primary outbound IPv4 address of the host.
  std::string advertised_address;
  bool udp = true, tcp = true;
  // TLS ([advanced.sipproxy] tls*): the listener and the client side toward the ITSP.
  TlsSettings tls{};
  std::string data_dir = "/var/lib/resproxy";
  // Synchronous::Full in the store: commits survive power loss too (one fsync per write).
  bool store_sync_full = false;
  // Group commit: at most one store commit per this interval (NativeRuntime, ListenConfig).
  std::chrono::microseconds store_commit_interval{1000};
  // Store writes waiting (queued and committing) at most; beyond it a REGISTER answered here
  // gets 500 with Retry-After at once (NativeRuntime, ListenConfig::store_queue_max).
  std::size_t store_queue_max = 1000;
  LogLevel log_level = LogLevel::Info;
  std::string sip_log;    // SIP message log file; empty: off; "-": stderr
  std::string trace_log;  // trace events as JSON lines; empty: off; "-": stderr
  // sip_log and trace_log: rotated when the next entry would take them past log_max_bytes
  // (0: no cap), keeping log_keep older files (file.1 … file.N; 0: truncated instead).
  std::uint64_t log_max_bytes = 10 << 20;
  int log_keep = 5;
  // ITSP proxies named by host name are resolved once at start-up (dns_resolver.h): the LAN
  // hosts table first, then DNS at `dns_servers` ([sipproxy.itsp_proxy]; empty: the system's
  // /etc/resolv.conf), each round of look-ups bounded by `dns_timeout`.
  std::vector<LanHost> lan_hosts;
  std::vector<Address> dns_servers;
  Duration dns_timeout = std::chrono::seconds(2);
  GatewaySettings gateway;
  SimHardwareSettings sim_hardware;
  // Things worth telling the operator that do not make the file invalid (an entry that sets
  // addresses but is not enabled). The daemon logs them at warn level.
  std::vector<std::string> warnings;
};

// A refused configuration file. what() reads
//   FILE:LINE: [section] parameter: <problem>; allowed: <values>
// e.g. `resproxy.ini:12: [advanced.sipproxy] record_route: "sometimes" is not allowed;
// allowed: always, call_setup`. Parts that do not apply are left out. The daemon prints it and
// exits 2; the harness maps it back to the scenario file's line.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string section, std::string parameter,
              std::string problem, std::string allowed);

  std::string file;
  int line = 0;
  std::string section;    // canonical name, e.g. "sipproxy.trust.3"; empty before any section
  std::string parameter;  // canonical name; empty for errors about a whole line or section
  std::string problem;
  std::string allowed;    // empty if there is no useful list
};

// Parses a whole file. `file_name` only labels errors. Throws ConfigError (start-up config
// loading is one of the places exceptions are fine: the caller catches it at the top).
DaemonConfig parse_config(std::string_view text, std::string_view file_name);

// The embedded default configuration, generated from the schema: every section and parameter
// with its default value (indexed sections as a commented-out example) and a comment.
// parse_config(default_config_text(), "<embedded>") gives DaemonConfig{}.
std::string default_config_text();

// docs/configuration.md's parameter tables, generated from the schema: each table between its
// `<!-- BEGIN generated: … -->` and `<!-- END generated -->` lines, the regions that
// scripts/gen-config-doc.sh rewrites (`resproxy --print-config-reference` prints this).
std::string parameter_reference_markdown();

}  // namespace resproxy::config
