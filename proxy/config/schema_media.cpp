// [media_relay]: the built-in media relay (docs/media-relay.md): where it listens, which ports it
// hands out, which calls it anchors and when it gives a silent call up.
#include "proxy/config/spec.h"

namespace resproxy::config {

namespace {

constexpr std::string_view kPolicyAllowed = "always, nat, never";

sip::MediaRelayPolicy parse_policy(std::string_view v) {
  return parse_choice<sip::MediaRelayPolicy>(v, {{"always", sip::MediaRelayPolicy::Always},
                                                 {"nat", sip::MediaRelayPolicy::WhenNatted},
                                                 {"never", sip::MediaRelayPolicy::Never}});
}

ParamSpec policy(std::string name, sip::MediaRelayPolicy routing::MediaRelaySettings::*field,
                 std::string_view value, std::string doc) {
  return param(std::move(name), std::string(kPolicyAllowed),
               [field](Builder& b, int, int, std::string_view v) {
                 b.config.proxy.media_relay.*field = parse_policy(v);
               },
               {.value = std::string(value),
                .comment = std::string(kPolicyAllowed) + ": " + doc,
                .doc = doc + ": `always`, `nat` (only when an end is behind NAT), `never`",
                .doc_allowed = "`always`, `nat`, `never`"});
}

}  // namespace

SectionSpec media_relay_section() {
  using Settings = routing::MediaRelaySettings;
  return {
      .name = "media_relay",
      .params = {
          flag("enable", [](Builder& b, bool v) { b.config.proxy.media_relay.enabled = v; },
               {.value = "0",
                .comment = "0 or 1: anchor calls' RTP here (symmetric latching, SDP rewrite)",
                .doc = "anchor the RTP of the calls the policies below select: the SDP of "
                       "INVITE, 18x, 2xx, ACK, UPDATE and PRACK is rewritten to our address, "
                       "and we forward each side's packets to where the other side's come from"}),
          param("address", "an IPv4 address, or empty for the proxy's own",
                [](Builder& b, int, int, std::string_view v) {
                  if (v.empty()) {
                    b.config.proxy.media_relay.relay.ipv4_address.reset();
                    return;
                  }
                  const std::string ip = parse_ip_text(v);
                  if (ip.find(':') != std::string::npos) {
                    throw Invalid{"an IPv4 address (IPv6 goes in address6)"};
                  }
                  b.config.proxy.media_relay.relay.ipv4_address = ip;
                },
                {.value = "",
                 .comment = "IPv4 address for IPv4 legs (SDP and sockets); empty = the proxy's",
                 .doc = "our IPv4 address for media: written into SDP and bound. Empty: the "
                        "proxy's own address when it is IPv4",
                 .doc_allowed = "an IPv4 address, or empty"}),
          param("address6", "an IPv6 address, or empty for no IPv6 legs",
                [](Builder& b, int, int, std::string_view v) {
                  if (v.empty()) {
                    b.config.proxy.media_relay.relay.ipv6_address.reset();
                    return;
                  }
                  const std::string ip = parse_ip_text(v);
                  if (ip.find(':') == std::string::npos) throw Invalid{"an IPv6 address (IPv4 goes in address)"};
                  b.config.proxy.media_relay.relay.ipv6_address = ip;
                },
                {.value = "",
                 .comment = "IPv6 address for IPv6 legs; empty = IPv6 media refused (488)",
                 .doc = "our IPv6 address for media. Empty: an IPv6 side's offer is answered "
                        "488. With both, an IPv4 phone and an IPv6 ITSP interwork through us",
                 .doc_allowed = "an IPv6 address, or empty"}),
          integer("port_min", 1024, 65534, "",
                  [](Builder& b, std::int64_t v) {
                    auto& r = b.config.proxy.media_relay.relay;
                    r.ipv4_ports.min = r.ipv6_ports.min = static_cast<std::uint16_t>(v);
                  },
                  {.value = "20000",
                   .comment = "1024..65534: the first port the relay hands out",
                   .doc = "the relay's ports: even/odd pairs (RTP, RTCP) from `port_min` to "
                          "`port_max`, drawn at random, 30 s quarantine after a call"}),
          integer("port_max", 1025, 65535, "",
                  [](Builder& b, std::int64_t v) {
                    auto& r = b.config.proxy.media_relay.relay;
                    r.ipv4_ports.max = r.ipv6_ports.max = static_cast<std::uint16_t>(v);
                  },
                  {.value = "29999",
                   .comment = "1025..65535: the last; (max - min + 1) / 2 calls legs at most",
                   .doc = "the last port; each call takes two pairs (one per side)",
                   .doc_allowed = "`port_min` + 3..65535"}),
          policy("relay_phones", &Settings::phones, "nat", "calls between the office's phones"),
          policy("relay_itsp", &Settings::itsp, "nat", "calls to and from the ITSP"),
          policy("relay_gateway", &Settings::gateway, "never",
                 "calls to and from the PSTN gateway"),
          param("ice", "strip, keep",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.media_relay.ice = parse_choice<sip::IcePolicy>(
                      v, {{"strip", sip::IcePolicy::Strip}, {"keep", sip::IcePolicy::Keep}});
                },
                {.value = "strip",
                 .comment = "strip, keep: ICE attributes of relayed SDP",
                 .doc = "ICE attributes (RFC 8839) of a relayed description: `strip` removes "
                        "them (the peers use the relay), `keep` leaves them (RFC 5245 "
                        "ice-mismatch: the peers still use the relay)",
                 .doc_allowed = "`strip`, `keep`"}),
          integer("inactivity_timeout", 10, 3600, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.relay.inactivity_timeout = seconds(v);
                  },
                  {.value = "60",
                   .comment = "10..3600 s: a side silent this long (no RTP, no RTCP): BYE both ways",
                   .doc = "an answered call one of whose sides sent no RTP or RTCP for this long "
                          "is ended: BYE to both ends (RTCP alone keeps a side alive: silence "
                          "suppression; hold pauses it; a call whose far side died behind a cut "
                          "link ends although our side talks on)"}),
          integer("hold_timeout", 60, 86400, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.relay.hold_timeout = seconds(v);
                  },
                  {.value = "3600",
                   .comment = "60..86400 s: the same for a call on hold (sendonly, inactive)",
                   .doc = "the inactivity timeout of a call on hold, and of a call not answered "
                          "yet"}),
          integer("max_sessions", 1, 100000, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.relay.max_sessions = static_cast<std::size_t>(v);
                  },
                  {.value = "1000",
                   .comment = "1..100000: relayed streams at most (beyond: 503)",
                   .doc = "relayed streams (m= lines) at most; a call beyond gets 503"}),
          integer("dscp", 0, 63, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.dscp = static_cast<std::uint8_t>(v);
                  },
                  {.value = "46",
                   .comment = "0..63: DiffServ code point of relayed RTP (46 = EF)",
                   .doc = "DiffServ code point of the packets we relay (46: EF, RFC 4594)"}),
          integer("builtin_weight", 0, 1000, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.builtin_weight = static_cast<std::uint32_t>(v);
                  },
                  {.value = "1",
                   .comment = "0..1000: the built-in relay's share of new calls next to the\n"
                              "[media_relay.relay.N] weights; 0 = only when no external relay is up",
                   .doc = "the built-in relay's share of new relayed calls among the pool's "
                          "members that are up (smooth weighted round-robin with the "
                          "`[media_relay.relay.N]` weights). `0`: a spare, used only when no "
                          "weighted relay is up; the built-in relay is always up"}),
          integer("ng_timeout_ms", 50, 10000, "ms",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.ng_retransmit = millis(v);
                  },
                  {.value = "500",
                   .comment = "50..10000 ms: an ng request to an external relay is re-sent after this",
                   .doc = "an ng request to an external relay unanswered this long is re-sent "
                          "(the same bytes and cookie; Kamailio's `rtpengine_tout_ms`)"}),
          integer("ng_tries", 1, 10, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.ng_tries = static_cast<unsigned>(v);
                  },
                  {.value = "3",
                   .comment = "1..10: sends of one ng request before the relay is given up for it",
                   .doc = "sends of one ng request; unanswered after the last, a new call goes "
                          "to the next relay and the relay counts a failure"}),
          integer("ng_ping_interval", 1, 3600, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.ng_ping_interval = seconds(v);
                  },
                  {.value = "5",
                   .comment = "1..3600 s: between ng pings to each external relay",
                   .doc = "between ng pings to each external relay (its health)"}),
          integer("ng_failures_to_down", 1, 10, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.ng_failures_to_down = static_cast<unsigned>(v);
                  },
                  {.value = "1",
                   .comment = "1..10: unanswered pings or requests in a row that make a relay down\n"
                              "(its answered calls get BYE both ways, Q.850 cause 38)",
                   .doc = "unanswered ng pings or requests in a row that make an external relay "
                          "down: it gets no new call, and its answered calls are ended (BYE both "
                          "ways, Reason Q.850 cause 38) since their media went with it"}),
          integer("ng_audit_interval", 0, 3600, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.media_relay.ng_audit_interval = seconds(v);
                  },
                  {.value = "10",
                   .comment = "0..3600 s: one answered call per external relay is asked for (ng query)\n"
                              "this often; one the relay no longer knows (it restarted) is ended, and\n"
                              "then every call on that relay is asked for. 0: off",
                   .doc = "how often one answered call of each external relay, in turn, is asked for "
                          "with an ng `query`. A relay that restarted between two pings answers its "
                          "pings but has lost its calls: the first call it no longer knows (\"Unknown "
                          "call-id\") is ended (BYE both ways, Q.850 cause 38), and every other call "
                          "on that relay is asked for at once, up to 16 at a time. 0: no audit"}),
      }};
}

SectionSpec media_relay_entries() {
  return {
      .name = "media_relay.relay",
      .indexed = true,
      .comment = "External media relays (rtpengine, resproxy-media) driven over ng, N = 1..100.",
      .params = {
          enable_flag(&Builder::media_relays),
          param("address", "IP:PORT of the relay's ng control socket (UDP)",
                [](Builder& b, int n, int, std::string_view v) {
                  b.media_relays[n].address = parse_ip_port(v, 2223);
                },
                {.value = "127.0.0.1:2223",
                 .comment = "the relay's ng control address (rtpengine --listen-ng)",
                 .doc = "the relay's ng control address, UDP (rtpengine's and resproxy-media's "
                        "`--listen-ng`); port 2223 when none is written",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "an IP address with an optional `:port`"}),
          param("weight", "0..1000",
                [](Builder& b, int n, int, std::string_view v) {
                  b.media_relays[n].weight = static_cast<std::uint32_t>(parse_integer(v, 0, 1000));
                },
                        {.value = "1",
                         .comment = "0..1000: its share of new calls; 0 = a spare",
                         .doc = "its share of new relayed calls while it is up; `0`: a spare, "
                                "used only when no weighted relay is up",
                         .doc_default = "`1`"}),
          param("secret", "8..256 printable characters, or empty for plain ng",
                [](Builder& b, int n, int, std::string_view v) {
                  if (!v.empty() && (v.size() < 8 || v.size() > 256)) {
                    throw Invalid{"8..256 printable characters, or empty for plain ng"};
                  }
                  for (const char c : v) {
                    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
                      throw Invalid{"8..256 printable characters, or empty for plain ng"};
                    }
                  }
                  b.media_relays[n].secret = std::string(v);
                },
                {.value = "",
                 .comment = "shared secret for authenticated ng (resproxy-media --ng-secret-file);\n"
                            "empty = plain ng (rtpengine: accepted from trusted addresses only)",
                 .doc = "the shared secret of authenticated control: requests are signed (HMAC "
                        "over the message, timestamp and nonce) and replies must be signed, or "
                        "they are ignored. Empty: plain ng, for rtpengine",
                 .doc_default = "empty",
                 .doc_allowed = "8..256 printable characters, or empty"}),
      },
      .on_header = header_line_of(&Builder::media_relays)};
}

}  // namespace resproxy::config
