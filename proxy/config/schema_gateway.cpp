// [gateway], [gateway.group.N], [gateway.dialplan.N]: the PSTN gateway the daemon runs beside
// the proxy (gateway/gateway_node.h); [sim_hardware.exchange], [sim_hardware.e1.N],
// [sim_hardware.fxo.N]: the emulated cards and exchange it can drive instead of real cards
// (sim_hardware/host/telephony_host.h). Cross-field rules are in parser.cpp's finish().
#include "proxy/config/spec.h"

namespace resproxy::config {

using text::quoted;

namespace {

constexpr std::string_view kNumberAllowed = "digits (0-9), e.g. 01632960000";
constexpr std::string_view kPatternAllowed =
    "a number pattern: 0-9 * # +, X (any digit), Z (1-9), N (2-9), [1-5] sets, < > captures, "
    "a final . (one or more) or ! (zero or more)";
constexpr std::string_view kRewriteAllowed =
    "a rewrite template: 0-9 * # + and <N> (capture N; <0> the whole number)";
constexpr std::string_view kGroupNameAllowed = "a name of letters, digits, '-' and '_'";

std::string parse_name(std::string_view value) {
  if (value.empty() || value.size() > 32) throw Invalid{quoted(value) + " is not a usable name"};
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) throw Invalid{quoted(value) + " is not a usable name"};
  }
  return std::string(value);
}

std::string parse_number(std::string_view value) {
  if (value.empty() || value.size() > gateway::kMaxNumberLength) {
    throw Invalid{quoted(value) + " is not a number"};
  }
  for (char c : value) {
    if (c < '0' || c > '9') throw Invalid{quoted(value) + " is not a number"};
  }
  return std::string(value);
}

std::uint16_t parse_span(std::string_view value) {
  return static_cast<std::uint16_t>(parse_integer(value, 1, 255));
}

gateway::NumberPattern parse_pattern(std::string_view value) {
  auto pattern = gateway::NumberPattern::parse(value);
  if (!pattern) throw Invalid{quoted(value) + ": " + pattern.error()};
  return std::move(pattern).value();
}

gateway::Rewrite parse_rewrite(std::string_view value) {
  auto rewrite = gateway::Rewrite::parse(value);
  if (!rewrite) throw Invalid{quoted(value) + ": " + rewrite.error()};
  return std::move(rewrite).value();
}

// integer() and flag() of an indexed section: the setter gets the entry's N.
ParamSpec entry_integer(std::string name, std::int64_t min, std::int64_t max,
                        std::string_view unit,
                        std::function<void(Builder&, int, int, std::int64_t)> store, Doc doc) {
  return param(std::move(name), range_text(min, max, unit),
               [min, max, store = std::move(store)](Builder& b, int n, int line,
                                                    std::string_view value) {
                 store(b, n, line, parse_integer(value, min, max));
               },
               std::move(doc));
}

ParamSpec entry_flag(std::string name, std::function<void(Builder&, int, bool)> store, Doc doc) {
  return param(std::move(name), std::string(kBoolAllowed),
               [store = std::move(store)](Builder& b, int n, int, std::string_view value) {
                 store(b, n, parse_bool(value));
               },
               std::move(doc));
}

}  // namespace

SectionSpec gateway_section() {
  return {
      .name = "gateway",
      .comment = "The PSTN gateway: a SIP B2BUA on a port of its own between resproxy and the\n"
                 "office's telephony cards (here the emulated ones of [sim_hardware.*]).",
      .params = {
          flag("enable", [](Builder& b, bool v) { b.config.gateway.enable = v; },
               {.value = "0",
                .comment = "0 or 1: run the gateway beside the proxy",
                .doc = "run the PSTN gateway in this daemon, on the same event loop as the proxy"}),
          integer("port", 0, 65535, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.gateway.port = static_cast<std::uint16_t>(v);
                  },
                  {.value = "5080",
                   .comment = "its SIP port (UDP and TCP), on the proxy's listen address",
                   .doc = "the gateway's SIP port (UDP and TCP) on `listen_address`; point "
                          "`[sipproxy.pstn_gw] address` at it",
                   .doc_allowed = "0..65535 (0: an ephemeral port, logged at start; for tests)"}),
          param("proxy",
                "an IP address with an optional port (default 5060), or empty for this daemon's "
                "proxy",
                [](Builder& b, int, int, std::string_view v) {
                  if (v.empty()) {
                    b.config.gateway.proxy.reset();
                  } else {
                    b.config.gateway.proxy = parse_ip_port(v, 5060);
                  }
                },
                {.value = "",
                 .comment = "where calls from the PSTN go: IP or IP:port; empty = this proxy",
                 .doc = "where calls from the PSTN are sent (and whose requests the gateway "
                        "serves); empty: this daemon's proxy, at its advertised address and `rx_port`",
                 .doc_default = "empty (this proxy)",
                 .doc_allowed = "an IP address with an optional port (`192.0.2.1:5060`), or "
                                "empty"}),
          param("domain", "a host name or IP address",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.gateway.domain = parse_domain(v);
                },
                {.value = "pstn.invalid",
                 .comment = "the host of the URIs of calls from the PSTN",
                 .doc = "the host part of the From and To URIs of calls from the PSTN"}),
          integer("rtp_port_first", 1024, 65534, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.gateway.rtp_port_first = static_cast<std::uint16_t>(v);
                  },
                  {.value = "16384",
                   .comment = "the gateway's RTP ports: first..last (even ones used)",
                   .doc = "the first port of the gateway's RTP pool (even ports are used)"}),
          integer("rtp_port_last", 1024, 65535, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.gateway.rtp_port_last = static_cast<std::uint16_t>(v);
                  },
                  {.value = "17383",
                   .comment = "at least rtp_port_first",
                   .doc = "the last port of the gateway's RTP pool; not below `rtp_port_first`"}),
          integer("max_call_duration", 0, 604800, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.gateway.max_call_duration = seconds(v);
                  },
                  {.value = "0",
                   .comment = "0..604800 s: a connected call is cleared after this; 0 = no limit",
                   .doc = "a connected call is cleared (cause 16) after this long; guards lines "
                          "without disconnect supervision",
                   .doc_allowed = "0..604800 s (0: no limit)"}),
      }};
}

SectionSpec gateway_group_section() {
  return {
      .name = "gateway.group",
      .indexed = true,
      .comment = "Card groups the dial plan routes to, N = 1..100.",
      .params = {
          enable_flag(&Builder::gateway_groups),
          param("name", std::string(kGroupNameAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.gateway_groups[n].name = parse_name(v);
                  b.gateway_groups[n].name_line = line;
                },
                {.value = "e1",
                 .comment = "the group's name, used by dial plan rules",
                 .doc = "the group's name (each group once), named by `[gateway.dialplan.N]`",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a name of letters, digits, `-` and `_`"}),
          param("spans", "a comma-separated list of span numbers 1..255",
                [](Builder& b, int n, int line, std::string_view v) {
                  b.gateway_groups[n].spans = parse_list(v, &parse_span);
                  b.gateway_groups[n].spans_line = line;
                },
                {.value = "1",
                 .comment = "the spans (E1s, FXO cards) in it",
                 .doc = "the spans whose channels the group hunts, e.g. `1, 2`",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a comma-separated list of span numbers `1`..`255`"}),
          param("hunt", "lowest_free, highest_free, round_robin",
                [](Builder& b, int n, int, std::string_view v) {
                  b.gateway_groups[n].hunt = parse_choice<gateway::HuntPolicy>(
                      v, {{"lowest_free", gateway::HuntPolicy::LowestFree},
                          {"highest_free", gateway::HuntPolicy::HighestFree},
                          {"round_robin", gateway::HuntPolicy::RoundRobin}});
                },
                {.value = "lowest_free",
                 .comment = "lowest_free, highest_free, round_robin",
                 .doc = "how a free channel is chosen",
                 .doc_default = "`lowest_free`"}),
          entry_integer("emergency_reserve", 0, 31, "channels",
                  [](Builder& b, int n, int, std::int64_t v) {
                    b.gateway_groups[n].emergency_reserve = static_cast<std::size_t>(v);
                  },
                  {.value = "0",
                   .comment = "channels ordinary calls leave free for emergency calls",
                   .doc = "channels that ordinary calls leave free for emergency calls",
                   .doc_default = "`0`"}),
          param("incoming_destination", std::string(kNumberAllowed) + ", or empty",
                [](Builder& b, int n, int, std::string_view v) {
                  b.gateway_groups[n].incoming_destination =
                      v.empty() ? std::string{} : parse_user(v);
                },
                {.value = "",
                 .comment = "the called number of calls on it without DDI (FXO lines)",
                 .doc = "the called number of calls presented on the group without a called "
                        "number (FXO lines), e.g. the operator's extension `200`",
                 .doc_allowed = "a user part (e.g. `200`), or empty"}),
      },
      .on_header = header_line_of(&Builder::gateway_groups)};
}

SectionSpec gateway_dialplan_section() {
  return {
      .name = "gateway.dialplan",
      .indexed = true,
      .comment = "The gateway's dial plan, N = 1..100, tried in order of N: the first rule\n"
                 "whose source and numbers match routes the call.",
      .params = {
          enable_flag(&Builder::dial_rules),
          param("name", "any text",
                [](Builder& b, int n, int, std::string_view v) {
                  b.dial_rules[n].rule.name = std::string(v);
                },
                {.value = "national",
                 .comment = "a label for traces and call records",
                 .doc = "a label for traces and call records",
                 .doc_default = "empty"}),
          param("source", "any, sip, or a group name",
                [](Builder& b, int n, int line, std::string_view v) {
                  auto& entry = b.dial_rules[n];
                  entry.source_line = line;
                  entry.source_group.clear();
                  const std::string word = text::normalize(v);
                  if (word == "any" || v.empty()) {
                    entry.rule.source.reset();
                  } else if (word == "sip") {
                    entry.rule.source = gateway::CallSource{};
                  } else {
                    entry.source_group = parse_name(v);
                    entry.rule.source = gateway::CallSource{
                        .kind = gateway::CallSource::Kind::Group, .group = entry.source_group};
                  }
                },
                {.value = "sip",
                 .comment = "any, sip (calls from resproxy), or a group's name",
                 .doc = "where the call comes from: `sip` (resproxy), a group (calls from the "
                        "PSTN on it), or `any`",
                 .doc_default = "`any`",
                 .doc_allowed = "`any`, `sip`, or a `[gateway.group.N]` name"}),
          param("called", std::string(kPatternAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.dial_rules[n].rule.called = parse_pattern(v);
                  b.dial_rules[n].called_set = true;
                },
                {.value = "0.",
                 .comment = "the called number's pattern, e.g. 9<0.> or <999>",
                 .doc = "the pattern the whole called number must match (docs/gateway.md)",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a number pattern: `0-9 * # +`, `X` `Z` `N`, `[1-5]`, `< >`, a "
                                "final `.` or `!`"}),
          param("calling", std::string(kPatternAllowed) + ", or empty for any",
                [](Builder& b, int n, int, std::string_view v) {
                  if (v.empty()) {
                    b.dial_rules[n].rule.calling.reset();
                  } else {
                    b.dial_rules[n].rule.calling = parse_pattern(v);
                  }
                },
                {.value = "",
                 .comment = "the calling number's pattern; empty = any",
                 .doc = "the pattern the calling number must match; empty: any, even none",
                 .doc_allowed = "a number pattern, or empty"}),
          param("called_out", std::string(kRewriteAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.dial_rules[n].rule.called_out = parse_rewrite(v);
                },
                {.value = "<0>",
                 .comment = "the called number sent on: <0> unchanged, <1> capture 1",
                 .doc = "the called number sent on, from the pattern's captures",
                 .doc_allowed = "a rewrite template: `0-9 * # +` and `<N>`"}),
          param("calling_out", std::string(kRewriteAllowed) + ", or empty for unchanged",
                [](Builder& b, int n, int, std::string_view v) {
                  if (v.empty()) {
                    b.dial_rules[n].rule.calling_out.reset();
                  } else {
                    b.dial_rules[n].rule.calling_out = parse_rewrite(v);
                  }
                },
                {.value = "",
                 .comment = "the calling number sent on; empty = unchanged",
                 .doc = "the calling number sent on; empty: unchanged",
                 .doc_allowed = "a rewrite template, or empty"}),
          param("target", "sip, or a group name",
                [](Builder& b, int n, int line, std::string_view v) {
                  auto& entry = b.dial_rules[n];
                  entry.target_line = line;
                  entry.target_set = true;
                  if (text::normalize(v) == "sip") {
                    entry.rule.target = {.kind = gateway::RouteTarget::Kind::Sip, .group = {}};
                  } else {
                    entry.rule.target = {.kind = gateway::RouteTarget::Kind::Group,
                                         .group = parse_name(v)};
                  }
                },
                {.value = "e1",
                 .comment = "a group's name, or sip (to resproxy)",
                 .doc = "where the call goes: a card group, or `sip` (resproxy)",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "`sip`, or a `[gateway.group.N]` name"}),
          entry_flag("emergency",
               [](Builder& b, int n, bool v) { b.dial_rules[n].rule.emergency = v; },
               {.value = "0",
                .comment = "0 or 1: calls matched are emergency calls",
                .doc = "calls matched by this rule are emergency calls (they may use reserved "
                       "channels)"}),
      },
      .on_header = header_line_of(&Builder::dial_rules)};
}

SectionSpec sim_exchange_section() {
  return {
      .name = "sim_hardware.exchange",
      .comment = "The emulated exchange the emulated cards are plugged into. Its subscribers are\n"
                 "those of the numbers sections below, or without any the demo's: 01632\n"
                 "960000-960999 answer after 2-5 s; 999 and 112 after 1 s.",
      .params = {
          integer("trunk_capacity", 0, 10000, "calls",
                  [](Builder& b, std::int64_t v) {
                    auto& cap = b.config.sim_hardware.exchange.trunk_capacity;
                    if (v == 0) {
                      cap.reset();
                    } else {
                      cap = static_cast<std::size_t>(v);
                    }
                  },
                  {.value = "0",
                   .comment = "calls carried at once for the office; 0 = only the ports limit",
                   .doc = "calls the exchange carries for the office at once; beyond it a new "
                          "call is refused with 34",
                   .doc_allowed = "0..10000 calls (0: only the ports limit them)"}),
          flag("in_band_tones",
               [](Builder& b, bool v) { b.config.sim_hardware.exchange.in_band_tones = v; },
               {.value = "1",
                .comment = "0 or 1: busy / unallocated give in-band tones before the clear",
                .doc = "a busy or unallocated number reached over an E1 gives in-band "
                       "information before the DISCONNECT; 0: RELEASE COMPLETE at once"}),
          integer("no_answer_timeout", 1, 3600, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.sim_hardware.exchange.no_answer_timeout = seconds(v);
                  },
                  {.value = "120",
                   .comment = "a call from the office ringing this long is cleared (19)",
                   .doc = "a call from the office that rings this long unanswered is cleared "
                          "with cause 19"}),
          integer("patience", 1, 3600, "s",
                  [](Builder& b, std::int64_t v) {
                    b.config.sim_hardware.exchange.patience = seconds(v);
                  },
                  {.value = "60",
                   .comment = "a PSTN caller gives up after this unanswered",
                   .doc = "a PSTN subscriber calling the office gives up after this long "
                          "unanswered"}),
      }};
}

SectionSpec sim_e1_section() {
  return {
      .name = "sim_hardware.e1",
      .indexed = true,
      .comment = "Emulated E1 (ISDN PRI) cards, each cabled to a port of the exchange, N = 1..100.",
      .params = {
          enable_flag(&Builder::sim_e1),
          param("span", "1..255",
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_e1[n].e1.span = parse_span(v);
                  b.sim_e1[n].span_line = line;
                },
                {.value = "1",
                 .comment = "the card's span number (each span once, E1 and FXO together)",
                 .doc = "the card's span number; each span once across E1 and FXO cards",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "`1`..`255`"}),
          param("name", std::string(kGroupNameAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_e1[n].e1.name = parse_name(v);
                },
                {.value = "e1-1",
                 .comment = "the card's and its exchange port's name",
                 .doc = "the card's name, also its exchange port's",
                 .doc_default = "`e1-SPAN`",
                 .doc_allowed = "a name of letters, digits, `-` and `_`"}),
          param("ddi_first", std::string(kNumberAllowed) + ", or empty",
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_e1[n].e1.ddi_first = v.empty() ? std::string{} : parse_number(v);
                  b.sim_e1[n].ddi_line = line;
                },
                {.value = "01632961000",
                 .comment = "the office's DDI range on it (national numbers)",
                 .doc = "the first of the office's DDI numbers on this E1 (national format)",
                 .doc_allowed = "digits, or empty for no DDI"}),
          param("ddi_last", std::string(kNumberAllowed) + ", or empty",
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_e1[n].e1.ddi_last = v.empty() ? std::string{} : parse_number(v);
                  b.sim_e1[n].ddi_line = line;
                },
                {.value = "01632961099",
                 .comment = "as long as ddi_first, not below it",
                 .doc = "the last DDI number: as long as `ddi_first`, not below it",
                 .doc_allowed = "digits, or empty"}),
          entry_integer("ddi_digits", 0, 15, "digits",
                  [](Builder& b, int n, int, std::int64_t v) {
                    b.sim_e1[n].e1.ddi_digits = static_cast<std::size_t>(v);
                  },
                  {.value = "0",
                   .comment = "digits of the called number sent in SETUP; 0 = all (national)",
                   .doc = "the called number's last digits the exchange sends; 0: the whole "
                          "national number"}),
      },
      .on_header = header_line_of(&Builder::sim_e1)};
}

SectionSpec sim_fxo_section() {
  return {
      .name = "sim_hardware.fxo",
      .indexed = true,
      .comment = "Emulated FXO cards: analogue lines to the exchange, N = 1..100.",
      .params = {
          enable_flag(&Builder::sim_fxo),
          param("span", "1..255",
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_fxo[n].fxo.span = parse_span(v);
                  b.sim_fxo[n].span_line = line;
                },
                {.value = "2",
                 .comment = "the card's span number",
                 .doc = "the card's span number; each span once across E1 and FXO cards",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "`1`..`255`"}),
          param("name", std::string(kGroupNameAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_fxo[n].fxo.name = parse_name(v);
                },
                {.value = "fxo-1",
                 .comment = "the card's name; its lines' ports are NAME-1, NAME-2, ...",
                 .doc = "the card's name; the exchange's ports of its lines are `NAME-1`, "
                        "`NAME-2`, …",
                 .doc_default = "`fxo-SPAN`",
                 .doc_allowed = "a name of letters, digits, `-` and `_`"}),
          entry_integer("lines", 1, 32, "lines",
                  [](Builder& b, int n, int line, std::int64_t v) {
                    b.sim_fxo[n].lines = static_cast<std::size_t>(v);
                    b.sim_fxo[n].lines_line = line;
                  },
                  {.value = "4",
                   .comment = "how many lines",
                   .doc = "how many analogue lines the card has",
                   .doc_default = std::string(kRequiredWhenEnabled)}),
          param("directory_numbers", "a comma-separated list of numbers (digits), one per line",
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_fxo[n].fxo.directory_numbers = parse_list(v, &parse_number);
                },
                {.value = "01632961200, 01632961201, 01632961202, 01632961203",
                 .comment = "each line's own number, line 1 first",
                 .doc = "each line's own number (national format), line 1 first; as many as "
                        "`lines`",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a comma-separated list of numbers (digits)"}),
          param("answer_supervision", "polarity_reversal, after_dialling, after_delay",
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_fxo[n].fxo.answer = parse_choice<SimAnswerSupervision>(
                      v, {{"polarity_reversal", SimAnswerSupervision::PolarityReversal},
                          {"after_dialling", SimAnswerSupervision::AfterDialling},
                          {"after_delay", SimAnswerSupervision::AfterDelay}});
                },
                {.value = "polarity_reversal",
                 .comment = "polarity_reversal, after_dialling, after_delay",
                 .doc = "how the card learns that a call it placed was answered: the "
                        "exchange's polarity reversal, or (no supervision) when dialling ends "
                        "or a while after",
                 .doc_default = "`polarity_reversal`"}),
      },
      .on_header = header_line_of(&Builder::sim_fxo)};
}

}  // namespace resproxy::config

namespace resproxy::config {

namespace {

constexpr std::string_view kAnswerAfterAllowed =
    "seconds 0..600, fixed (3) or a range drawn uniformly (2-5)";
constexpr std::string_view kHoldTimeAllowed =
    "0 (stays until the office clears), or seconds 1..86400, fixed (120) or a range (60-300)";

// "3" or "2-5": whole seconds min..max, the range's low end not above its high end.
SimDurationRange parse_seconds_range(std::string_view value, std::int64_t min, std::int64_t max) {
  const auto dash = value.find('-');
  const std::int64_t low = parse_integer(value.substr(0, dash), min, max);
  const std::int64_t high =
      dash == std::string_view::npos ? low : parse_integer(value.substr(dash + 1), min, max);
  if (high < low) throw Invalid{quoted(value) + " is a range whose end is below its start"};
  return {std::chrono::seconds(low), std::chrono::seconds(high)};
}

}  // namespace

SectionSpec sim_numbers_section() {
  return {
      .name = "sim_hardware.numbers",
      .indexed = true,
      .comment = "The emulated exchange's numbering plan, N = 1..100: what the subscribers of each\n"
                 "range do when called. Any enabled entry replaces the demo plan.",
      .params = {
          enable_flag(&Builder::sim_numbers),
          param("first", std::string(kNumberAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_numbers[n].range.first = parse_number(v);
                  b.sim_numbers[n].first_line = line;
                },
                {.value = "01632960000",
                 .comment = "the range's first number (national format; 999 for one number)",
                 .doc = "the first number of the range (national format)",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "digits"}),
          param("last", std::string(kNumberAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.sim_numbers[n].range.last = parse_number(v);
                  b.sim_numbers[n].last_line = line;
                },
                {.value = "01632960999",
                 .comment = "as long as first, not below it",
                 .doc = "the last number of the range: as long as `first`, not below it",
                 .doc_default = "`first` (a single number)",
                 .doc_allowed = "digits"}),
          param("kind", "answers, busy, no_answer, unallocated",
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_numbers[n].range.kind = parse_choice<SimSubscriberKind>(
                      v, {{"answers", SimSubscriberKind::Answers},
                          {"busy", SimSubscriberKind::Busy},
                          {"no_answer", SimSubscriberKind::NoAnswer},
                          {"unallocated", SimSubscriberKind::Unallocated}});
                },
                {.value = "answers",
                 .comment = "answers, busy (17), no_answer (rings out), unallocated (1)",
                 .doc = "what a subscriber of the range does when called: answers, is busy "
                        "(cause 17), rings without answer (the caller gives up, or 19), or "
                        "does not exist (cause 1)"}),
          param("answer_after", std::string(kAnswerAfterAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.sim_numbers[n].range.answer_after = parse_seconds_range(v, 0, 600);
                },
                {.value = "2-5",
                 .comment = "seconds of ringing before a subscriber answers: 3, or a range 2-5",
                 .doc = "how long a subscriber who answers lets it ring, in seconds; a range is "
                        "drawn per call from the exchange's seeded random numbers",
                 .doc_default = "`3`",
                 .doc_allowed = "seconds `0`..`600`: fixed (`3`) or a range (`2-5`)"}),
          param("hold_time", std::string(kHoldTimeAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  auto& hold = b.sim_numbers[n].range.hold_time;
                  if (v == "0") {
                    hold.reset();
                  } else {
                    hold = parse_seconds_range(v, 1, 86400);
                  }
                },
                {.value = "0",
                 .comment = "seconds an answered subscriber stays before hanging up (16);\n"
                            "0 = until the office clears",
                 .doc = "how long an answered subscriber stays before hanging up (cause 16), "
                        "in seconds, fixed or a range; 0: until the office clears",
                 .doc_allowed = "`0`, or seconds `1`..`86400`: fixed (`120`) or a range "
                                "(`60-300`)"}),
          entry_flag("emergency",
                     [](Builder& b, int n, bool v) { b.sim_numbers[n].range.emergency = v; },
                     {.value = "0",
                      .comment = "0 or 1: an emergency number (always answers, passes congestion)",
                      .doc = "an emergency number: always answers (`kind` is ignored) and is "
                             "not refused by congestion"}),
      },
      .on_header = header_line_of(&Builder::sim_numbers)};
}

}  // namespace resproxy::config
