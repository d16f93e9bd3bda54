// [sipproxy.auth], [sipproxy.auth.user.N], the address tables ([sipproxy.ignore.N],
// [sipproxy.reject.N], [sipproxy.trust] and [sipproxy.trust.N]) and [sipproxy.dos]: who may do
// what, and how much of it.
#include "proxy/config/spec.h"

namespace resproxy::config {

namespace {

std::function<void(Builder&, std::int64_t)> guard_seconds(Duration security::AuthGuardConfig::*field) {
  return [field](Builder& b, std::int64_t v) { b.config.proxy.auth.guard.*field = seconds(v); };
}

std::function<void(Builder&, std::int64_t)> flood_rate(double security::FloodConfig::*field) {
  return [field](Builder& b, std::int64_t v) {
    b.config.proxy.flood.*field = static_cast<double>(v);
  };
}

// [sipproxy.trust.N], [sipproxy.ignore.N], [sipproxy.reject.N]: enable, ipmin, ipmax. The
// reference shows their parameters once, so only the example values differ.
SectionSpec range_table(std::string name, std::map<int, RangeEntry> Builder::*table,
                        std::string comment, std::string example_min, std::string example_max) {
  return {
      .name = std::move(name),
      .indexed = true,
      .comment = std::move(comment),
      .params = {
          enable_flag(table),
          param("ipmin", "an IPv4 or IPv6 address",
                [table](Builder& b, int n, int line, std::string_view v) {
                  auto& entry = (b.*table)[n];
                  entry.ipmin = parse_ip_text(v);
                  entry.ipmin_line = line;
                },
                {.value = std::move(example_min),
                 .comment = "first address",
                 .doc = "first address of the range",
                 .doc_default = std::string(kRequiredWhenEnabled)}),
          param("ipmax", "an IPv4 or IPv6 address of the same family as ipmin",
                [table](Builder& b, int n, int line, std::string_view v) {
                  auto& entry = (b.*table)[n];
                  entry.ipmax = parse_ip_text(v);
                  entry.ipmax_line = line;
                },
                {.value = std::move(example_max),
                 .comment = "last address, same family; default: ipmin",
                 .doc = "last address of the range",
                 .doc_default = "`ipmin`",
                 .doc_allowed = "an address of the same family, ≥ `ipmin`"}),
      },
      .on_header = header_line_of(table)};
}

}  // namespace

SectionSpec auth_section() {
  return {
      .name = "sipproxy.auth",
      .comment = "Digest authentication (RFC 7616) of phones outside the trusted ranges.",
      .params = {
          param("methods", "a comma-separated list of SIP methods (REGISTER, INVITE, BYE, …)",
                [](Builder& b, int, int, std::string_view v) {
                  b.config.proxy.auth.methods = parse_list(v, &parse_method);
                },
                {.value = "REGISTER, INVITE, BYE, SUBSCRIBE, NOTIFY",
                 .comment = "methods challenged from untrusted sources",
                 .doc = "methods that are challenged when credentials are needed; a method not "
                        "listed is treated as unauthenticated",
                 .doc_allowed = "a comma-separated list of REGISTER, INVITE, BYE, SUBSCRIBE, "
                                "NOTIFY, REFER, MESSAGE, OPTIONS, INFO, UPDATE, PUBLISH, PRACK"}),
          integer("nonce_lifetime", 10, 86400, "s",
                  [](Builder& b, std::int64_t v) { b.config.proxy.auth.nonce_lifetime = seconds(v); },
                  {.value = "300",
                   .comment = "10..86400 s: a digest nonce is good this long",
                   .doc = "how long a nonce is good; an older one is answered with `stale=true` "
                          "(the phone retries without asking its user)"}),
          param("algorithms", "a comma-separated list of SHA-256, MD5, SHA-256-sess, MD5-sess",
                [](Builder& b, int, int, std::string_view v) {
                  auto list = parse_list(v, &parse_algorithm);
                  for (std::size_t i = 0; i < list.size(); ++i) {
                    for (std::size_t j = 0; j < i; ++j) {
                      if (list[i] == list[j]) {
                        throw Invalid{std::string(security::to_string(list[i])) +
                                      " is listed twice"};
                      }
                    }
                  }
                  b.config.proxy.auth.algorithms = std::move(list);
                },
                {.value = "SHA-256, MD5",
                 .comment = "offered in this order; leave MD5 out to drop it",
                 .doc = "offered in this order, one challenge each (RFC 8760); an answer with an "
                        "algorithm not listed is refused, so leaving `MD5` out drops it (most "
                        "desk phones and SIPp speak only MD5)",
                 .doc_allowed = "a comma-separated list of `SHA-256`, `MD5`, `SHA-256-sess`, "
                                "`MD5-sess`"}),
          flag("require_qop", [](Builder& b, bool v) { b.config.proxy.auth.require_qop = v; },
               {.value = "1",
                .comment = "0: accept RFC 2069 answers (no qop; replayable)",
                .doc = "refuse RFC 2069 answers (no `qop`, so no client nonce or count: a "
                       "captured answer can be replayed while its nonce lives); `0` for phones "
                       "that cannot do `qop=auth`"}),
          flag("bind_from_user", [](Builder& b, bool v) { b.config.proxy.auth.bind_from_user = v; },
               {.value = "1",
                .comment = "1: an authenticated call must come From its own user or alias",
                .doc = "a call (any out-of-dialog request but REGISTER, which already must be "
                       "for the authenticated user) must come From the authenticated user or "
                       "one of its aliases; otherwise 403"}),
          flag("lockout", [](Builder& b, bool v) { b.config.proxy.auth.guard.enabled = v; },
               {.value = "1",
                .comment = "lock a (source, user) pair out after too many wrong answers",
                .doc = "count wrong answers (wrong password, unknown user) per source and user, "
                       "and lock the pair out"}),
          integer("max_failures", 1, 100, "wrong answers",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.auth.guard.max_failures = static_cast<std::uint32_t>(v);
                  },
                  {.value = "5",
                   .comment = "1..100 wrong answers per pair within failure_window are free",
                   .doc = "wrong answers per (source, user) pair within `failure_window` that "
                          "cost nothing; the next locks the pair"}),
          integer("failure_window", 10, 86400, "s", guard_seconds(&security::AuthGuardConfig::window),
                  {.value = "600",
                   .comment = "10..86400 s: the window wrong answers are counted in",
                   .doc = "the window in which wrong answers are counted"}),
          integer("lockout_time", 1, 86400, "s", guard_seconds(&security::AuthGuardConfig::lockout),
                  {.value = "60",
                   .comment = "1..86400 s: the first lockout; each one in a row doubles it",
                   .doc = "the first lockout; each one that follows another within an hour "
                          "lasts twice as long"}),
          integer("max_lockout_time", 1, 604800, "s",
                  guard_seconds(&security::AuthGuardConfig::max_lockout),
                  {.value = "3600",
                   .comment = "1..604800 s: up to this",
                   .doc = "the longest lockout",
                   .doc_allowed = "`lockout_time`..604800 s"}),
          integer("max_source_failures", 0, 10000, "users",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.auth.guard.max_source_failures = static_cast<std::uint32_t>(v);
                  },
                  {.value = "30",
                   .comment = "0..10000: users failing from one source before it is locked\n"
                              "as a whole (0: never)",
                   .doc = "users failing from one source within `failure_window` before the "
                          "source is locked as a whole (one host trying a dictionary of "
                          "extensions); 0: never"}),
      }};
}

SectionSpec auth_users_section() {
  return {
      .name = "sipproxy.auth.user",
      .indexed = true,
      .comment = "Digest credentials for phones outside the trusted ranges, N = 1..120.",
      .params = {
          enable_flag(&Builder::auth),
          param("username", std::string(kUserAllowed),
                [](Builder& b, int n, int line, std::string_view v) {
                  b.auth[n].username = parse_user(v);
                  b.auth[n].username_line = line;
                },
                {.value = "4900",
                 .comment = "the phone's registration user name",
                 .doc = "must equal the phone's registration user name",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "a user part: no spaces, `@`, `:`, `;`; each username once"}),
          param("password", std::string(kPasswordAllowed),
                [](Builder& b, int n, int, std::string_view v) {
                  b.auth[n].password = parse_nonempty(v);
                },
                {.value = "secret",
                 .comment = "quoted if it contains ';' or '#'",
                 .doc = "its digest password (the realm is `[sipproxy] realm`)",
                 .doc_default = std::string(kRequiredWhenEnabled),
                 .doc_allowed = "any non-empty text; in double quotes if it contains `;` or `#`"}),
      },
      .max_index = kMaxAuthUsers,
      .on_header = header_line_of(&Builder::auth)};
}

SectionSpec ignore_section() {
  return range_table("sipproxy.ignore", &Builder::ignore,
                     "Sources dropped without an answer, N = 1..100 (checked first).",
                     "198.51.100.1", "198.51.100.255");
}

SectionSpec reject_section() {
  return range_table("sipproxy.reject", &Builder::reject,
                     "Sources answered 403 Forbidden, N = 1..100 (checked after ignore).",
                     "198.51.100.1", "198.51.100.255");
}

SectionSpec trust_section() {
  const auto interfaces = [](std::vector<std::string> security::InterfaceConfig::*field) {
    return [field](Builder& b, int, int, std::string_view v) {
      b.config.proxy.interfaces.*field =
          v.empty() ? std::vector<std::string>{} : parse_list(v, &parse_interface_name);
    };
  };
  const std::string interface_doc = "a comma-separated list of interface names (up to 15 "
                                    "characters, no `/`, `:` or blanks), or empty";
  return {
      .name = "sipproxy.trust",
      .params = {
          flag("disable_all", [](Builder& b, bool v) { b.disable_all_trust = v; },
               {.value = "0",
                .comment = "1: no default trust. 0: trust what arrives on the loopback\n"
                           "interface, and on a LAN interface from that interface's own\n"
                           "subnets (never a WAN interface: spoofed LAN sources from outside)",
                .doc = "`1`: no default trust (neither by interface nor by range); only the "
                       "`[sipproxy.trust.N]` entries are trusted"}),
          flag("itsp_requires_trust",
               [](Builder& b, bool v) { b.config.proxy.itsp_requires_trust = v; },
               {.value = "0",
                .comment = "1: nothing from an untrusted, unauthenticated source goes to\n"
                           "the ITSP (for ITSPs that authenticate the trunk by IP address)",
                .doc = "`1`: nothing from an untrusted, unauthenticated source goes to the ITSP "
                       "— it is challenged here (with `[sipproxy.auth.user.N]`) or refused 403. "
                       "Turn it on when the ITSP authenticates the trunk by the office's IP "
                       "address rather than by each phone's credentials: then the ITSP would "
                       "take whatever we relay as the office's own call"}),
          param("lan_interfaces",
                "a comma-separated list of interface names (eth1, br-lan), or empty",
                interfaces(&security::InterfaceConfig::lan_names),
                {.value = "",
                 .comment = "interface names that are the office LAN (eth1, br-lan); empty:\n"
                            "every interface whose addresses are all private (RFC 1918, ULA)",
                 .doc = "the office LAN interfaces; when set, every other interface is WAN; "
                        "empty: by their addresses",
                 .doc_allowed = interface_doc}),
          param("wan_interfaces",
                "a comma-separated list of interface names (eth0, ppp0), or empty",
                interfaces(&security::InterfaceConfig::wan_names),
                {.value = "",
                 .comment = "interface names that are never the LAN (eth0, ppp0)",
                 .doc = "interfaces that are never LAN",
                 .doc_allowed = interface_doc}),
      }};
}

SectionSpec trust_entries() {
  return range_table("sipproxy.trust", &Builder::trust,
                     "Extra trusted sources, N = 1..100 (checked after reject), trusted wherever "
                     "they arrive.\nOther sources must authenticate ([sipproxy.auth.user.N]) "
                     "where a call or a\nregistration needs it, and are refused 403 otherwise.",
                     "203.0.113.10", "203.0.113.20");
}

// The LanScape seed's DoS protection (security/flood_guard.h).
SectionSpec dos_section() {
  using Flood = security::FloodConfig;
  return {
      .name = "sipproxy.dos",
      .comment = "Flood and overload control, checked before any parsing. A source is an IPv4 "
                 "address\nor an IPv6 /64; trusted sources are not limited unless trusted_rate "
                 "is set.",
      .params = {
          flag("enable", [](Builder& b, bool v) { b.config.proxy.flood.enabled = v; },
               {.value = "1",
                .comment = "0 or 1: per-source rate limits and bans, before any parsing",
                .doc = "rate limits, bans and the amplification budget"}),
          integer("untrusted_rate", 1, 100000, "messages/s", flood_rate(&Flood::untrusted_rate),
                  {.value = "20",
                   .comment = "1..100000 messages/s from each untrusted source (IPv6: per /64)",
                   .doc = "per untrusted source"}),
          integer("untrusted_burst", 1, 1000000, "messages", flood_rate(&Flood::untrusted_burst),
                  {.value = "60",
                   .comment = "1..1000000 messages: a source sending this many more into an\n"
                              "empty budget is banned for ban_time",
                   .doc = "messages a source may send at once; a source that sends this many "
                          "more than its rate within 10 s is banned"}),
          integer("untrusted_total_rate", 0, 10000000, "messages/s",
                  flood_rate(&Flood::untrusted_total_rate),
                  {.value = "2000",
                   .comment = "0..10000000 messages/s from all untrusted sources (0: no cap)",
                   .doc = "all untrusted sources together (0: no cap); being cut by it never "
                          "leads to a ban"}),
          integer("trusted_rate", 0, 10000000, "messages/s", flood_rate(&Flood::trusted_rate),
                  {.value = "0",
                   .comment = "0..10000000 messages/s per trusted source (0: unlimited)",
                   .doc = "per trusted source (0: unlimited)"}),
          integer("ban_time", 0, 86400, "s",
                  [](Builder& b, std::int64_t v) { b.config.proxy.flood.ban_time = seconds(v); },
                  {.value = "60",
                   .comment = "0..86400 s (0: drop over the rate, never ban)",
                   .doc = "how long a banned source is dropped (0: never ban)"}),
          integer("amplification", 0, 100, "", flood_rate(&Flood::amplification),
                  {.value = "3",
                   .comment = "0..100: our answers to an untrusted source stay within this\n"
                              "many times its bytes per 10 s (0: no budget)",
                   .doc = "our answers to an untrusted source (UDP) stay within this many times "
                          "its bytes per 10 s (0: no budget)"}),
          integer("max_sources", 100, 10000000, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.flood.max_sources = static_cast<std::size_t>(v);
                  },
                  {.value = "20000",
                   .comment = "100..10000000 sources remembered (least recently seen go)",
                   .doc = "sources remembered; the least recently seen is forgotten first"}),
          integer("untrusted_to_itsp_rate", 0, 1000000, "requests/s",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.untrusted_to_itsp_rate = static_cast<double>(v);
                  },
                  {.value = "50",
                   .comment = "0..1000000 untrusted requests/s relayed to the ITSP (0: no cap)",
                   .doc = "untrusted requests relayed to the ITSP, all together; above: 503 (0: "
                          "no cap)"}),
          integer("max_transactions", 1000, 10000000, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.max_transactions = static_cast<std::size_t>(v);
                  },
                  {.value = "50000",
                   .comment = "1000..10000000: above, new calls and registrations get 503",
                   .doc = "above, new out-of-dialog requests get 503"}),
          integer("max_queued_registers", 10, 1000000, "",
                  [](Builder& b, std::int64_t v) {
                    b.config.proxy.max_queued_registers = static_cast<std::size_t>(v);
                  },
                  {.value = "1000",
                   .comment = "10..1000000 REGISTERs waiting behind one of the same user",
                   .doc = "REGISTERs waiting behind one of the same user; above: 503"}),
          integer("overload_delay_ms", 0, 10000, "ms",
                  [](Builder& b, std::int64_t v) { b.config.proxy.overload_delay = millis(v); },
                  {.value = "200",
                   .comment = "0..10000 ms: datagrams that waited this long in the kernel mean\n"
                              "overload: new calls and registrations get 503 for 1 s (0: off)",
                   .doc = "datagrams that waited this long in the kernel mean overload: for 1 s "
                          "new out-of-dialog requests from untrusted sources get 503 + "
                          "Retry-After, at 5× this long the office's own too; in-dialog "
                          "requests, retransmissions and emergency calls always pass (0: off)"}),
      }};
}

}  // namespace resproxy::config
