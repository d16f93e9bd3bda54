// [sipproxy.pstn_gw], [sipproxy.itsp_proxy], [sipproxy.itsp_proxy.N] and [sipproxy.lan_hosts.N]:
// the two ways out of the office — the local PSTN gateway and the ITSP — and how the ITSP's
// proxies are found and watched.
#include "proxy/config/spec.h"
#include "proxy/security/ip_range.h"

namespace resproxy::config {

using routing::GatewayFromAction;
using routing::GatewayFromRouting;
using routing::ItspSelection;
using text::quoted;

namespace {

Setter prefixes(std::vector<std::string> security::GatewayPolicyConfig::*field) {
  return [field](Builder& b, int, int, std::string_view v) {
    b.config.proxy.gateway_policy.*field =
        v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_prefix);
  };
}

Setter dialers(security::SenderSet security::GatewayPolicyConfig::*field) {
  return [field](Builder& b, int, int, std::string_view v) {
    b.config.proxy.gateway_policy.*field = parse_dialers(v);
  };
}

std::function<void(Builder&, std::int64_t)> limit(std::uint32_t security::GatewayPolicyConfig::*field) {
  return [field](Builder& b, std::int64_t v) {
    b.config.proxy.gateway_policy.*field = static_cast<std::uint32_t>(v);
  };
}

}  // namespace

SectionSpec pstn_gw_section() {
  const std::string prefix_list = "a comma-separated list of prefixes (digits, +, *, #), or empty";
  const std::string prefix_doc = "a comma-separated list of prefixes (digits, `+`, `*`, `#`), or empty";
  const std::string dialer_list = "trusted, authenticated (a list), or none";
  const std::string dialer_doc = "a list of `trusted`, `authenticated`, or `none`";
  return {
      .name = "sipproxy.pstn_gw",
      .comment = "The local PSTN gateway (the Vega's own E1/FXO side, or another box on the LAN).",
      .params = {
          param("address",
                "an IP address with an optional port (192.0.2.1, 192.0.2.1:5062, "
                "[2001:db8::1]:5062; default port 5060), or empty for none",
                [](Builder& b, int, int, std::string_view v) {
                  auto& gw = b.config.proxy.pstn_gateway;
                  if (v.empty()) {
                    gw.address.reset();
                  } else {
                    gw.address = parse_ip_port(v, 5060);
                  }
                },
                {.value = "",
                 .comment = "the local PSTN gateway: IP or IP:port (port default 5060),\n"
                            "e.g. 127.0.0.1:5080; empty = no gateway",
                 .doc = "where the gateway is; in failure operation calls to numbers not "
                        "registered here go there, and requests from it are recognised as the "
                        "gateway's",
                 .doc_default = "empty (no gateway)",
                 .doc_allowed = "an IP address with an optional port: `192.0.2.1`, "
                                "`192.0.2.1:5080`, `2001:db8::1`, `[2001:db8::1]:5080`; port "
                                "1..65535, default 5060; not `0.0.0.0` or `::`; or empty"}),
          param("from_action", "trust, auth, reject, ignore",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.pstn_gateway.from_action = parse_choice<GatewayFromAction>(
                      v, {{"trust", GatewayFromAction::Trust},
                          {"auth", GatewayFromAction::Auth},
                          {"reject", GatewayFromAction::Reject},
                          {"ignore", GatewayFromAction::Ignore}});
                },
                {.value = "trust",
                 .comment = "trust, auth, reject, ignore: how requests from it are treated",
                 .doc = "how requests from the gateway are treated: trusted, challenged for "
                        "credentials, answered 403, or dropped silently"}),
          param("emergency_numbers",
                "a comma-separated list of numbers (digits, +, *, #), or empty for none",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.emergency_numbers =
                      v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_dial_string);
                },
                {.value = "112, 999, 911",
                 .comment = "numbers (digits, +, *, #) that always go straight to the\n"
                            "gateway, in every mode and state; empty = none",
                 .doc = "beyond the seed: calls to these numbers go straight to the gateway in "
                        "every mode and state (never via the ITSP, never challenged), except "
                        "calls from the gateway itself",
                 .doc_allowed = "a comma-separated list of numbers (digits, `+`, `*`, `#`; up to "
                                "32 characters each), or empty for none"}),
          param("international_prefixes", prefix_list,
                prefixes(&security::GatewayPolicyConfig::international_prefixes),
                {.value = "00, +",
                 .comment = "numbers starting so are international",
                 .doc = "a dialled number starting so is international",
                 .doc_allowed = prefix_doc}),
          param("premium_prefixes", prefix_list,
                prefixes(&security::GatewayPolicyConfig::premium_prefixes),
                {.value = "",
                 .comment = "premium-rate prefixes of your country, e.g. 09, 0871, 118",
                 .doc = "premium-rate prefixes of your country (UK: `09, 0871, 0872, 0873, 118`; "
                        "Germany: `0900, 0137, 0180, 0190`): a number starting so is premium, "
                        "also when an international prefix matches too but is shorter (`00882` "
                        "premium beside `00`)",
                 .doc_allowed = prefix_doc}),
          param("international_from", dialer_list,
                dialers(&security::GatewayPolicyConfig::international_from),
                {.value = "trusted, authenticated",
                 .comment = "who may dial them: trusted, authenticated, none",
                 .doc = "who may dial international numbers through the gateway",
                 .doc_allowed = dialer_doc}),
          param("premium_from", dialer_list, dialers(&security::GatewayPolicyConfig::premium_from),
                {.value = "trusted",
                 .comment = "remote (authenticated) phones may not dial premium by default",
                 .doc = "who may dial premium numbers through the gateway: by default not "
                        "remote phones, whose passwords are what a fraudster guesses",
                 .doc_allowed = dialer_doc}),
          integer("max_calls_per_user", 0, 1000, "calls",
                  limit(&security::GatewayPolicyConfig::max_calls_per_user),
                  {.value = "4",
                   .comment = "0..1000 open gateway calls per user (0 = no limit)",
                   .doc = "open gateway calls per user (the authenticated user, or a trusted "
                          "phone's From user)",
                   .doc_allowed = "0..1000 (0: no limit)"}),
          integer("max_calls_per_source", 0, 10000, "calls",
                  limit(&security::GatewayPolicyConfig::max_calls_per_source),
                  {.value = "30",
                   .comment = "0..10000 per source address (IPv6: per /64)",
                   .doc = "open gateway calls per source address (IPv6: per /64)"}),
          integer("calls_per_minute_per_user", 0, 10000, "calls/min",
                  limit(&security::GatewayPolicyConfig::calls_per_minute_per_user),
                  {.value = "10",
                   .comment = "0..10000 new gateway calls per minute per user",
                   .doc = "new gateway calls per minute per user"}),
          integer("calls_per_minute_per_source", 0, 100000, "calls/min",
                  limit(&security::GatewayPolicyConfig::calls_per_minute_per_source),
                  {.value = "60",
                   .comment = "0..100000 per source; emergency calls are never limited",
                   .doc = "new gateway calls per minute per source; emergency calls are never "
                          "limited"}),
          param("from_routing", "itsp, regd_ua",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.pstn_gateway.from_routing = parse_choice<GatewayFromRouting>(
                      v, {{"itsp", GatewayFromRouting::Itsp},
                          {"regd_ua", GatewayFromRouting::RegisteredUa},
                          {"registered_ua", GatewayFromRouting::RegisteredUa}});
                },
                {.value = "itsp",
                 .comment = "itsp, regd_ua: its calls go the normal way (to the ITSP while\n"
                            "it is up), or only to phones registered here",
                 .doc = "`itsp`: the gateway's calls are routed the normal way (to the ITSP "
                        "while it is up); `regd_ua`: only to phones registered here, in every "
                        "mode and state: a gateway call to a number not registered here gets 404 "
                        "(never out through the ITSP, never back to the gateway). With `itsp`, "
                        "such a call goes to the ITSP while it is up and gets 404 in standalone "
                        "and failure operation",
                 .doc_allowed = "`itsp`, `regd_ua` (the seed writes `regd ua`)"}),
      }};
}

SectionSpec itsp_proxy_section() {
  const auto health = [](auto field, Duration (*unit)(std::int64_t)) {
    return [field, unit](Builder& b, std::int64_t v) {
      b.config.proxy.itsp.monitor.health.*field = unit(v);
    };
  };
  using Health = routing::ItspHealthConfig;
  return {
      .name = "sipproxy.itsp_proxy",
      .comment = "How the ITSP proxies are checked and chosen.",
      .params = {
          param("accessibility_check", "options, off",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.itsp.monitor.options_check =
                      parse_choice<bool>(v, {{"options", true}, {"off", false}});
                },
                {.value = "options",
                 .comment = "options, off: probe the ITSP proxies with OPTIONS; off = assume\n"
                            "they are down (failure operation)",
                 .doc = "`options`: probe each ITSP proxy with OPTIONS; the answers 2xx, 3xx, "
                        "401, 404, 407, 483 mean \"up\". `off`: assume the ITSP is down (failure "
                        "operation)"}),
          param("options_transport", "udp, tcp, tls, default",
                [](Builder& b, int, int, std::string_view v) {
                  auto& itsp = b.config.proxy.itsp;
                  const int t =
                      parse_choice<int>(v, {{"udp", 0}, {"tcp", 1}, {"default", 2}, {"tls", 3}});
                  itsp.options_transport_default = t == 2;
                  itsp.options_transport = t == 1   ? Transport::Tcp
                                           : t == 3 ? Transport::Tls
                                                    : Transport::Udp;
                },
                {.value = "default",
                 .comment = "udp, tcp, tls, default (= each proxy's own transport)",
                 .doc = "transport of the OPTIONS probes; `default`: each proxy's own "
                        "`transport`"},
                {"options_tansport"}),  // the seed's spelling
          param("mode", "normal, cyclic, dnssrv",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.itsp.monitor.selection = parse_choice<ItspSelection>(
                      v, {{"normal", ItspSelection::Normal},
                          {"cyclic", ItspSelection::Cyclic},
                          {"dnssrv", ItspSelection::DnsSrv},
                          {"dns_srv", ItspSelection::DnsSrv}});
                },
                {.value = "normal",
                 .comment = "normal (first that is up), cyclic (round robin), dnssrv (RFC 3263\n"
                            "SRV records of ipname)",
                 .doc = "`normal`: the first enabled proxy (lowest N) that is up; `cyclic`: "
                        "round robin among those up; `dnssrv`: the proxies are the SRV records "
                        "of `ipname` in RFC 2782 order (priority, then weighted random), the "
                        "first that is up is used — see [ITSP host "
                        "names](#itsp-host-names-lan-hosts-dns-and-srv)"}),
          integer("probe_interval", 5, 3600, "s", health(&Health::probe_interval, seconds),
                  {.value = "30",
                   .comment = "5..3600 s: between probes while the ITSP is up",
                   .doc = "between probes while the ITSP is up"}),
          integer("probe_interval_down", 1, 3600, "s",
                  health(&Health::probe_interval_down, seconds),
                  {.value = "10",
                   .comment = "1..3600 s: between probes while it is suspect or down",
                   .doc = "between probes while it is suspect or down"}),
          integer("probe_timeout_ms", 100, 32000, "ms",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.itsp.monitor.probe_timeout = millis(v);
                  },
                  {.value = "2000",
                   .comment = "100..32000 ms: a probe unanswered this long has failed",
                   .doc = "a probe unanswered this long has failed (its own timeout: detection "
                          "does not wait for Timer F's 32 s)"}),
          integer("failures_to_down", 1, 10, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.itsp.monitor.health.failures_to_down = static_cast<int>(v);
                  },
                  {.value = "2",
                   .comment = "1..10: failed probes in a row that make the ITSP down",
                   .doc = "failed probes in a row that make the proxy down"}),
          integer("successes_to_up", 1, 10, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.itsp.monitor.health.successes_to_up = static_cast<int>(v);
                  },
                  {.value = "3",
                   .comment = "1..10: good probes in a row that bring it back",
                   .doc = "good probes in a row that bring it back …"}),
          integer("failback_delay", 0, 3600, "s", health(&Health::failback_delay, seconds),
                  {.value = "10",
                   .comment = "0..3600 s: ... and it must have answered for this long",
                   .doc = "… the last at least this long after the first (against flapping)"}),
          integer("probe_interval_ms", 200, 3600000, "ms", health(&Health::probe_interval, millis),
                  {.value = "500",
                   .comment = "200..3600000 ms: probe_interval below a second (the fast\n"
                              "settings of docs/resilience.md); the later line wins",
                   .doc = "sub-second form of `probe_interval`; the later line wins",
                   .doc_default = "(= `probe_interval`)",
                   .example = true}),
          integer("probe_interval_down_ms", 0, 3600000, "ms",
                  health(&Health::probe_interval_down, millis),
                  {.value = "500",
                   .comment = "0..3600000 ms: probe_interval_down below a second",
                   .doc = "sub-second form of `probe_interval_down` (0: probe again at once)",
                   .doc_default = "(= `probe_interval_down`)",
                   .example = true}),
          integer("probe_retransmit_ms", 0, 4000, "ms (0: the standard T1 doubling)",
                  [](Builder& b, std::int64_t v) {
                    auto& monitor = b.config.proxy.itsp.monitor;
                    if (v == 0) {
                      monitor.probe_retransmit.reset();
                    } else if (v < 50) {
                      throw Invalid{std::to_string(v) + " is below 50 ms"};
                    } else {
                      monitor.probe_retransmit = millis(v);
                    }
                  },
                  {.value = "0",
                   .comment = "0, 50..4000 ms: resend an unanswered probe at this fixed\n"
                              "interval within its timeout; 0 = the standard T1 doubling",
                   .doc = "resend an unanswered probe at this fixed interval within its timeout, "
                          "so one lost datagram on a lossy link does not fail the probe; 0 = the "
                          "standard T1 doubling",
                   .doc_allowed = "0, or 50..4000 ms"}),
          integer("answer_timeout_ms", 0, 32000, "ms (0: off)",
                  [](Builder& b, std::int64_t v) {
                    if (v != 0 && v < 200) throw Invalid{std::to_string(v) + " is below 200 ms"};
                    b.config.proxy.itsp.answer_timeout = millis(v);
                  },
                  {.value = "2000",
                   .comment = "0, 200..32000 ms: a forwarded request the ITSP does not answer\n"
                              "at all in this time makes it suspect and is served locally;\n"
                              "0 = off",
                   .doc = "live traffic: a forwarded out-of-dialog request (call, REGISTER) the "
                          "ITSP does not answer at all (not even 100 Trying) within this time "
                          "makes it suspect (a probe goes out at once) and is served locally — "
                          "so a call placed in the first seconds of an outage still connects. 0 "
                          "= off",
                   .doc_allowed = "0, or 200..32000 ms"}),
          param("failover_codes", "a comma-separated list of 5xx status codes, or empty for none",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.itsp.failover_codes =
                      v.empty() ? std::vector<int>{} : parse_list(v, &parse_failover_code);
                },
                {.value = "500, 502, 503, 504",
                 .comment = "5xx answers from the ITSP to a call that make it fail over\n"
                            "to local service (486/603/487 never do); empty = none",
                 .doc = "final answers of the ITSP to a call that fail it over to local service; "
                        "408 and transport errors always do; 486, 603, 487 and other 4xx/6xx "
                        "never do, nor anything after the caller cancelled. A 2xx the ITSP sends "
                        "after a failover is acknowledged and hung up (ACK + BYE), never "
                        "relayed"}),
          param("down_other_methods", "local, reject",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.itsp.down_other_methods_local =
                      parse_choice<bool>(v, {{"local", true}, {"reject", false}});
                },
                {.value = "local",
                 .comment = "local, reject: SUBSCRIBE, MESSAGE, … in failure operation are\n"
                            "routed like calls, or answered 480 with Retry-After",
                 .doc = "in failure operation, methods other than INVITE (SUBSCRIBE, MESSAGE, "
                        "PUBLISH, out-of-dialog REFER…) are routed by the failure table like "
                        "calls (`local`), or answered 480 with Retry-After (`reject`)"}),
          param("dns_servers",
                "a comma-separated list of DNS server addresses with optional ports (192.0.2.53, "
                "127.0.0.1:5353, [2001:db8::53]:53; default port 53), or empty for the system's "
                "(/etc/resolv.conf)",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.dns_servers = v.empty() ? std::vector<Address>{}
                                                   : parse_list(v, +[](std::string_view item) {
                                                       return parse_ip_port(item, 53);
                                                     });
                },
                {.value = "",
                 .comment = "DNS servers for ipname host names: IP or IP:port, comma-\n"
                            "separated (e.g. 192.0.2.53, 127.0.0.1:5353); empty =\n"
                            "/etc/resolv.conf",
                 .doc = "the DNS servers asked for `ipname` host names and SRV records (in this "
                        "order, the next when one fails); empty: the system's, from "
                        "`/etc/resolv.conf`",
                 .doc_allowed = "a comma-separated list of IP addresses with optional ports: "
                                "`192.0.2.53`, `127.0.0.1:5353`, `[2001:db8::53]:53`, default "
                                "port 53; or empty"}),
          integer("dns_timeout_ms", 100, 30000, "ms",
                  [](Builder& b, std::int64_t v) { b.config.dns_timeout = millis(v); },
                  {.value = "2000",
                   .comment = "100..30000 ms: the most a round of start-up look-ups may take",
                   .doc = "the most one round of start-up look-ups may take (all names at once; "
                          "at most two rounds: SRV records, then addresses); what has not "
                          "answered by then is a timeout"}),
          integer("dns_refresh", 0, 86400, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.itsp.monitor.dns_refresh = seconds(v);
                  },
                  {.value = "300",
                   .comment = "0..86400 s: ITSP names DNS answered are looked up again this often "
                              "(0: only at start-up)",
                   .doc = "an `ipname` that DNS resolved (not an address, not a LAN hosts entry) "
                          "is looked up again this long after each answer (or at its TTL), on a "
                          "thread of its own; when its address changed, probes and calls go to "
                          "the new one (trace `itsp.readdressed`); with `mode = dnssrv` the SRV "
                          "set is asked for again and the ITSP proxies replaced. A failed look-up "
                          "keeps the address it has and is tried again 30 s later — a DNS server "
                          "behind the failed link never takes the ITSP away. 0: only at start-up"}),
      }};
}

SectionSpec itsp_proxy_entries() {
  return {
      .name = "sipproxy.itsp_proxy",
      .indexed = true,
      .comment = "ITSP proxies, N = 1..100, in index order. mode = forward_itsp or sip_trunk "
                 "needs one\nenabled.",
      .params = {
          enable_flag(&Builder::itsp),
          param("ipname", std::string(kItspNameAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  auto& entry = b.itsp[n];
                  std::string_view host = v;
                  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
                    host = host.substr(1, host.size() - 2);
                    if (!security::parse_ip(host) || host.find(':') == std::string_view::npos) {
                      throw Invalid{quoted(v) + " is not an IP address or host name"};
                    }
                  }
                  if (!security::parse_ip(host) && !is_host_name(host)) {
                    throw Invalid{quoted(v) + " is not an IP address or host name"};
                  }
                  entry.ipname = std::string(v);
                  entry.host = std::string(host);
                  entry.ipname_line = line;
                },
                {.value = "192.0.2.10",
                 .comment = "IPv4 or IPv6 address, or a host name",
                 .doc = "the proxy; a host name is resolved at start-up: the LAN hosts "
                        "table, else DNS (with `mode = dnssrv` its SRV records), and what DNS "
                        "answered is looked up again every `dns_refresh` — see [ITSP host "
                        "names](#itsp-host-names-lan-hosts-dns-and-srv)",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "an IPv4 or IPv6 address (`192.0.2.10`, `2001:db8::10` or "
                                "`[2001:db8::10]`), not `0.0.0.0` or `::`; or a host name "
                                "(letters, digits, `-`, dots)"}),
          param("port", "1..65535",
                [](Builder& b, int n, int, std::string_view v) {
                  b.itsp[n].port = static_cast<std::uint16_t>(parse_integer(v, 1, 65535));
                  b.itsp[n].port_set = true;
                },
                {.value = "5060",
                 .comment = "1..65535",
                 .doc = "its port",
                 .doc_default = "`5060` (`5061` with `tls`)"}),
          param("transport", "udp, tcp, tls",
                [](Builder& b, int n, int, std::string_view v) {
                  b.itsp[n].transport = parse_choice<Transport>(
                      v, {{"udp", Transport::Udp}, {"tcp", Transport::Tcp}, {"tls", Transport::Tls}});
                },
                {.value = "udp",
                 .comment = "udp, tcp, tls (tls: port default 5061)",
                 .doc = "transport toward it"}),
          param("tls_server_name",
                "a host name or IP address the ITSP's certificate carries, or empty for the ipname",
                [](Builder& b, int n, int, std::string_view v) {
                  if (!v.empty() && !security::parse_ip(v) && !is_host_name(v)) {
                    throw Invalid{quoted(v) + " is not a host name or IP address"};
                  }
                  b.itsp[n].tls_server_name = std::string(v);
                },
                {.value = "",
                 .comment = "the name its certificate must carry; empty = ipname",
                 .doc = "with `transport = tls`: the name the ITSP's certificate must carry (RFC "
                        "5922), sent as SNI when it is a host name — set it when `ipname` is an "
                        "address or an outbound proxy's name differs from the certificate's",
                 .doc_default = "empty: the `ipname`",
                 .doc_allowed = "a host name or IP address"}),
      },
      .on_header = header_line_of(&Builder::itsp)};
}

SectionSpec lan_hosts_section() {
  return {
      .name = "sipproxy.lan_hosts",
      .indexed = true,
      .comment = "LAN hosts: host names resolved without DNS, looked up first, N = 1..100 (DNS "
                 "may be behind\nthe link that fails). One address per name.",
      .params = {
          enable_flag(&Builder::lan_hosts),
          param("name", std::string(kLanHostNameAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  if (!is_host_name(v)) throw Invalid{quoted(v) + " is not a host name"};
                  b.lan_hosts[n].name = std::string(v);
                  b.lan_hosts[n].name_line = line;
                },
                {.value = "itsp.example.com",
                 .comment = "a host name, as written in ipname or an SRV record's target",
                 .doc = "an `ipname` of `[sipproxy.itsp_proxy.N]`, or a target of its SRV "
                        "records; matched case-insensitively; each name once",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a host name (letters, digits, `-`, dots; not an address)"}),
          param("address", std::string(kPeerIpAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  // 0.0.0.0 is the seed's "unset" in a disabled entry; finish() refuses it in an
                  // enabled one.
                  b.lan_hosts[n].address = parse_ip_text(v);
                  b.lan_hosts[n].address_line = line;
                },
                {.value = "192.0.2.10",
                 .comment = "its IPv4 or IPv6 address",
                 .doc = "its address",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "an IPv4 or IPv6 address, not `0.0.0.0` or `::` (the seed's "
                                "`0.0.0.0` is fine in a disabled entry)"}),
      },
      .on_header = header_line_of(&Builder::lan_hosts)};
}

}  // namespace resproxy::config
