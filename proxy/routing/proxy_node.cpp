#include "proxy/routing/proxy_node.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <set>

#include "proxy/registrar/registrar.h"
#include "proxy/routing/forwarding.h"
#include "proxy/routing/itsp_monitor.h"
#include "proxy/routing/request_checks.h"
#include "proxy/routing/routing_table.h"
#include "proxy/security/dialog_mac.h"
#include "proxy/security/digest.h"
#include "proxy/security/exit_rule.h"
#include "proxy/security/flood_guard.h"
#include "proxy/security/gateway_policy.h"
#include "proxy/security/interfaces.h"
#include "proxy/security/ip_range.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::routing {

using transaction::ClientTransactionId;
using transaction::ServerTransactionId;
using transaction::TransactionError;

std::string_view to_string(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::Standalone: return "standalone";
    case ProxyMode::ForwardItsp: return "forward_itsp";
    case ProxyMode::SipTrunk: return "sip_trunk";
    case ProxyMode::Off: return "off";
  }
  return "unknown";
}

namespace {

constexpr std::string_view kServer = "resproxy/0.1";
// The durable record of the dialog MAC keys (security/dialog_mac.h).
constexpr std::string_view kDialogMacKey = "security/dialog_mac";

// The next hop a URI names, as the dialog MAC covers it; nullopt for anything but sip/sips.
std::optional<std::string> hop_of_uri(std::string_view text) {
  auto uri = sip::parse_uri(text);
  if (!uri || !uri->is_sip()) return std::nullopt;
  return security::canonical_hop(*uri);
}

// The same for a Route, Record-Route or Contact value (a name-addr).
std::optional<std::string> hop_of_value(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  if (!na) return std::nullopt;
  return hop_of_uri(na->uri);
}

// The first value of header `id`, as a next hop.
std::optional<std::string> first_hop(const sip::Message& m, sip::HeaderId id) {
  const auto* field = m.first(id);
  if (field == nullptr) return std::nullopt;
  std::string_view rest = field->value;
  auto v = sip::next_value(rest);
  if (!v) return std::nullopt;
  return hop_of_value(*v);
}

// Our Record-Route value with `tag` as its dialog MAC (replacing the one it has).
std::optional<std::string> with_dialog_tag(std::string_view value, std::string_view tag) {
  const auto close = value.rfind('>');
  if (close == std::string_view::npos) return std::nullopt;
  std::string out(value.substr(0, close));
  const std::string marker = ";" + std::string(security::kDialogMacParam) + "=";
  if (const auto at = out.find(marker); at != std::string::npos) {
    const auto end = out.find_first_of(";>?", at + marker.size());
    out.erase(at, (end == std::string::npos ? out.size() : end) - at);
  }
  out += marker;
  out += tag;
  out += value.substr(close);
  return out;
}

using sip::text::same_host;
using sip::text::strip_brackets;

// Whole seconds from `now` to `at`, rounded up, as trace text.
std::string seconds_until(TimePoint at, TimePoint now) {
  return std::to_string(std::chrono::ceil<std::chrono::seconds>(at - now).count());
}

std::string unbracket(std::string_view host) { return sip::text::lowercase(strip_brackets(host)); }

bool is_ip_literal(std::string_view host) {
  return security::parse_ip(unbracket(host)).has_value();
}

// Methods whose out-of-dialog request creates a dialog (RFC 3261 §12, RFC 6665, RFC 3515).
bool creates_dialog(sip::Method m) {
  return m == sip::Method::Invite || m == sip::Method::Subscribe || m == sip::Method::Refer ||
         m == sip::Method::Notify;
}

registrar::RegistrarLimits limits_of(const RegistrarConfig& c) {
  registrar::RegistrarLimits l;
  l.min_expires = c.min_expires;
  l.max_expires = c.max_expires;
  l.default_expires = c.default_expires;
  l.max_bindings_per_aor = c.max_bindings_per_aor;
  l.max_bindings = c.max_bindings;
  return l;
}

// Failure operation: phones get the short expiry so they come back to the ITSP soon after it
// returns (the seed's itsp_down_reg_expires).
registrar::RegistrarLimits failure_limits(const ProxyConfig& c) {
  registrar::RegistrarLimits l = limits_of(c.registrar);
  l.max_expires = c.itsp.itsp_down_reg_expires;
  l.min_expires = std::min(l.min_expires, c.itsp.itsp_down_reg_expires);
  l.default_expires = c.itsp.itsp_down_reg_expires;
  return l;
}

// Caching what the ITSP granted: its word on expiry, no limits of ours but the table's size.
registrar::RegistrarLimits cache_limits(const ProxyConfig& c) {
  registrar::RegistrarLimits l = limits_of(c.registrar);
  l.min_expires = Duration::zero();
  l.max_expires = std::chrono::hours(24 * 365);
  return l;
}

}  // namespace


struct ProxyNode::Impl {
  enum class Kind : std::uint8_t { Local, Itsp, ItspRegister };
  struct Forward {
    ServerTransactionId server;
    ClientTransactionId client;
    Kind kind = Kind::Local;
    std::size_t itsp = 0;          // the ITSP proxy it went to (Itsp, ItspRegister)
    SourceClass source = SourceClass::Untrusted;
    Path from;                     // where the request came from (to serve it locally instead)
    TimerId answer_timer;          // live traffic: no answer at all in time → suspect, fail over
    TimerId reg_timer;             // reg_forwarding_timeout
    bool answered = false;         // any response from downstream
    bool abandoned = false;        // failed over: late answers are cancelled or hung up
    bool reg_late = false;         // REGISTER: past reg_forwarding_timeout, do not cache
    bool is_invite = false;
    bool provisional_seen = false;
    bool final_sent = false;
    bool cancel_pending = false;  // CANCEL arrived before any provisional (§9.1: wait)
    bool cancelled = false;
    bool recorded = false;        // we Record-Routed it: our value in its answers gets a dialog MAC
    bool gateway_call = false;    // a new call the gateway limiter counts until it ends
    bool established = false;     // its 2xx was relayed: the call ends with a BYE
    std::string call_id;          // of a gateway call
    transport::Destination dest;
    TimerId timer_c;
  };
  struct PendingRegister {
    ServerTransactionId server;
    registrar::RegisterPlan plan;
  };
  // How a destination was found, for the exit rule (security/exit_rule.h).
  enum class Hop : std::uint8_t {
    Table,      // the seed's routing tables chose it (the ITSP, the gateway)
    Binding,    // a registered phone's binding
    Directory,  // a static directory entry
    Named,      // the request named it itself: a Route, or its Request-URI
  };
  struct ExitCheck {
    Hop hop = Hop::Named;
    const registrar::Binding* binding = nullptr;  // Hop::Binding
    bool our_dialog = false;    // along our Record-Route, its MAC naming this next hop
    bool emergency = false;     // an emergency number, to the gateway by the tables
    bool local_forced = false;  // served locally although the monitor still has the ITSP up
    // The tables' classification when the request went through them (digest checked then);
    // nullopt: not classified yet, credentials not looked at.
    std::optional<SourceClass> source{};
  };

  Impl(ProxyNode& node, ProxyConfig cfg)
      : self(node),
        config(std::move(cfg)),
        flood(config.flood, node.rng()),
        registrar(limits_of(config.registrar), location),
        failure_registrar(failure_limits(config), location),
        cache_registrar(cache_limits(config), location) {
    if (forwards_to_itsp()) {
      // Start time 0: the first probe is due at once, whatever the runtime's epoch.
      itsp = std::make_unique<ItspMonitor>(config.itsp.monitor, self, config.start);
    }
    trusted = config.trusted;
    if (!config.auth_users.empty()) {
      security::DigestConfig dc;
      dc.realm = config.realm;
      dc.nonce_lifetime = config.auth.nonce_lifetime;
      dc.algorithms = config.auth.algorithms;
      dc.require_qop = config.auth.require_qop;
      for (const auto& u : config.auth_users) dc.users.push_back({u.username, u.password});
      auto created = security::DigestAuthenticator::create(std::move(dc), self.rng());
      if (created) {
        digest.emplace(std::move(created).value());
        auth_guard.emplace(config.auth.guard, self.rng());
      }
      // A bad table was refused by the config parser; if one slips through, nobody is challenged.
    }
    for (const auto& a : config.aliases) location.add_alias(a.alias, a.user);
    for (const auto& d : config.directory) location.add_directory_entry(d.user, d.contact);
  }

  ProxyNode& self;
  ProxyConfig config;
  security::FloodGuard flood;
  security::TokenBucket untrusted_to_itsp{config.untrusted_to_itsp_rate, config.untrusted_to_itsp_rate};
  // While a request from a source nobody has verified is being handled: its refusals and
  // challenges are answered statelessly, within the amplification budget.
  bool unverified = false;
  Path unverified_source;
  Transport unverified_transport = Transport::Udp;
  TimePoint overload_until{};  // overloaded while now < this: new work from outsiders waits
  TimePoint severe_until{};    // badly overloaded: new work from the office waits too
  std::size_t queued_register_count = 0;
  registrar::LocationService location{self.rng().hash_key()};
  registrar::Registrar registrar;
  registrar::Registrar failure_registrar;
  registrar::Registrar cache_registrar;
  std::unique_ptr<ItspMonitor> itsp;  // forward_itsp and sip_trunk only
  std::optional<security::DigestAuthenticator> digest;  // when [sipproxy.auth.user.N] exist
  std::optional<security::AuthGuard> auth_guard;        // with `digest`
  security::GatewayCallLimiter gateway_limiter{config.gateway_policy};
  // While a request is handled: the user its credentials proved (empty: none checked or good).
  std::string authenticated_user;
  // Set by may_exit when it admitted a new gateway call; forward() hands it to its Forward.
  bool admitted_gateway_call = false;
  std::vector<security::IpRange> trusted;  // [sipproxy.trust.N]: wherever they arrive
  // The default trust before the runtime told us its interfaces (the simulated runtime, tests).
  std::vector<security::IpRange> legacy_defaults = security::default_trusted_ranges();
  security::InterfaceTable interfaces;
  std::optional<security::DialogMac> dialog_mac;  // set by the constructor (stored or new)
  TimerId dialog_key_timer;
  ProxyCounters counters;
  TimerId expiry_timer;
  TimerId keepalive_timer;
  std::uint64_t next_store_id = 1;
  std::map<std::uint64_t, PendingRegister> pending_store;
  // kill reg commands waiting for their store write: store id -> (command id, what was killed)
  std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> pending_kills;
  std::map<std::string, std::deque<std::pair<ServerTransactionId, Path>>, std::less<>> queued_registers;
  std::set<std::string, std::less<>> users_in_flight;
  std::map<std::uint64_t, Forward> by_client;
  std::map<std::uint64_t, std::uint64_t> by_server;
  bool rerouting = false;
  std::deque<std::pair<std::string, TimePoint>> hung_up;  // late ITSP answers we hung up

  // --- helpers ---------------------------------------------------------------------------

  // By reference: call sites pass the TraceEvent& that .with() returns; a by-value parameter
  // copied every event on the hot path.
  // `fill` adds the event's fields, and runs only when the sink keeps events of this name.
  template <typename Fill>
  void trace(TimePoint now, std::string_view name, Fill&& fill) {
    if (!self.trace().wants(name)) return;
    TraceEvent event{now, std::string(name), {}};
    fill(event);
    self.trace().emit(event);
  }

  // Trusted: inside a configured [sipproxy.trust.N] range, or — the default — vouched for by
  // the interface it arrived on (security/interfaces.h; the private ranges while the runtime
  // has given no interface table).
  bool is_trusted(const Path& path) const {
    // Most messages come from the few addresses that sent the last ones: remember the last answer
    // (ranges and interfaces change rarely; on_interfaces() forgets it) instead of parsing the
    // address again.
    if (path.remote.ip != trust_cache_ip || path.interface != trust_cache_interface ||
        (path.interface == 0 && path.local.ip != trust_cache_local)) {
      trust_cache_ip = path.remote.ip;
      trust_cache_interface = path.interface;
      trust_cache_local = path.local.ip;
      trust_cache_value =
          security::any_contains(trusted, path.remote.ip) ||
          (config.trust_defaults &&
           (interfaces.known() ? interfaces.vouches_for(path)
                               : security::any_contains(legacy_defaults, path.remote.ip)));
    }
    return trust_cache_value;
  }
  mutable std::string trust_cache_ip{"-"};  // never an address
  mutable std::uint32_t trust_cache_interface = 0;
  mutable std::string trust_cache_local;
  mutable bool trust_cache_value = false;

  // On the office LAN (emergency calls): by the interface it arrived on.
  bool from_lan(const Path& path) const {
    if (!config.lan.empty()) return security::any_contains(config.lan, path.remote.ip);
    return interfaces.known() ? interfaces.on_lan(path)
                              : security::any_contains(legacy_defaults, path.remote.ip);
  }

  // The office's own: trusted ranges, the PSTN gateway, the ITSP proxies (their own budget).
  bool is_office(const Path& path) const {
    return is_trusted(path) || is_gateway(path.remote) || (itsp && itsp->find(path.remote));
  }

  bool admit(TimePoint now, const Path& path, std::size_t bytes) {
    const auto verdict = flood.admit(now, path.remote.ip, is_office(path), bytes);
    if (verdict == security::Admission::Admit) return true;
    ++counters.flood_dropped;
    if (verdict == security::Admission::NewlyBanned) {
      ++counters.sources_banned;
      trace(now, "security.source_banned", [&](TraceEvent& e) {
        e.with("source", path.remote.ip)
            .with("ban_s", seconds_until(now + config.flood.ban_time, now));
      });
    }
    return false;
  }

  bool stream_pinned(StreamId stream) const {
    for (const registrar::Binding* b : location.all()) {
      if (is_stream(b->source.transport) && b->source.stream == stream) return true;
    }
    return false;
  }

  bool forwards_to_itsp() const {
    return config.mode == ProxyMode::ForwardItsp || config.mode == ProxyMode::SipTrunk;
  }
  bool itsp_usable() const { return itsp && itsp->any_usable(); }
  bool failure_operation() const { return forwards_to_itsp() && !itsp_usable(); }

  bool is_gateway(const Address& source) const {
    const auto& gw = config.pstn_gateway.address;
    return gw && gw->port == source.port && same_host(gw->ip, source.ip);
  }

  bool is_emergency_request(const sip::Message& request) const {
    auto uri = sip::parse_uri(request.request_uri());
    return uri && is_emergency(uri->user);
  }

  bool is_emergency(std::string_view user) const {
    if (user.empty()) return false;
    for (const auto& n : config.emergency_numbers) {
      if (n == user) return true;
    }
    return false;
  }

  // Who sent it, for the routing tables; `authenticated`: its digest credentials checked out.
  SourceClass classify(const Path& path, bool authenticated) const {
    const Address& source = path.remote;
    if (is_gateway(source)) {
      const auto action = config.pstn_gateway.from_action;
      if (action == GatewayFromAction::Trust || authenticated) return SourceClass::Gateway;
      return SourceClass::Untrusted;
    }
    if (itsp && itsp->find(source)) return SourceClass::Itsp;
    if (authenticated || is_trusted(path)) return SourceClass::Endpoint;
    return SourceClass::Untrusted;
  }

  // The address we give toward the ITSP (NAT outside address when configured) or elsewhere.
  std::string our_host(bool toward_itsp) const {
    if (toward_itsp && !config.itsp.nat_outside_address.empty()) {
      return config.itsp.nat_outside_address;
    }
    return config.local.ip.find(':') != std::string::npos ? "[" + config.local.ip + "]"
                                                           : config.local.ip;
  }

  // One of our ports: the UDP/TCP one, or the TLS one (a sips: URI without a port means 5061).
  bool is_our_port(const sip::Uri& uri) const {
    const std::uint16_t port = uri.port.value_or(uri.scheme_id == sip::UriScheme::Sips ? 5061 : 5060);
    return port == config.local.port || port == config.tls_port;
  }

  bool is_us(const sip::Uri& uri) const {
    if (!is_our_port(uri)) return false;
    return same_host(uri.host, config.local.ip) ||
           (!config.itsp.nat_outside_address.empty() &&
            same_host(uri.host, config.itsp.nat_outside_address));
  }

  // A URI of ours: at our address with one of our ports (5060, or 5061 for sips:, when absent),
  // or at the realm as a domain name with no port or one of ours. With the realm set to the
  // box's address, sip:…@that-address:5698 is a UAS (or the PSTN gateway) on the same box.
  bool is_our_domain(const sip::Uri& uri) const {
    if (is_ip_literal(uri.host)) {
      return (same_host(uri.host, config.local.ip) || same_host(uri.host, config.realm)) &&
             is_our_port(uri);
    }
    return same_host(uri.host, config.realm) && (!uri.port || is_our_port(uri));
  }

  bool route_is_us(std::string_view route) const {
    auto na = sip::parse_name_addr(route);
    if (!na) return false;
    auto uri = sip::parse_uri(na->uri);
    return uri && is_us(*uri);
  }

  // --- the exit rule (security/exit_rule.h) -------------------------------------------------

  security::Service service(bool local_forced) const {
    switch (config.mode) {
      case ProxyMode::Off: return security::Service::Off;
      case ProxyMode::Standalone: return security::Service::Local;
      case ProxyMode::ForwardItsp:
        return !local_forced && itsp_usable() ? security::Service::ViaItsp : security::Service::Local;
      case ProxyMode::SipTrunk:
        return !local_forced && itsp_usable() ? security::Service::Trunk : security::Service::Local;
    }
    return security::Service::Off;
  }

  security::Sender sender_of(const Path& path, std::optional<SourceClass> known) const {
    switch (known ? *known : classify(path, false)) {
      case SourceClass::Endpoint:
        return is_trusted(path) ? security::Sender::Trusted : security::Sender::Authenticated;
      case SourceClass::Gateway: return security::Sender::Gateway;
      case SourceClass::Itsp: return security::Sender::Itsp;
      case SourceClass::Untrusted: return security::Sender::Untrusted;
    }
    return security::Sender::Untrusted;
  }

  // What a destination is, by its address first: a binding whose contact names the gateway or
  // the ITSP is the gateway or the ITSP. A phone is a phone only at the address it registered
  // from (a contact naming another host is somewhere else).
  security::Exit exit_of(const transport::Destination& dest, const ExitCheck& check) const {
    if (is_gateway(dest.remote)) return security::Exit::Gateway;
    if (itsp && itsp->find(dest.remote)) return security::Exit::Itsp;
    if (check.hop == Hop::Directory) return security::Exit::Phone;
    if (check.hop == Hop::Binding && check.binding != nullptr &&
        same_host(check.binding->source.remote.ip, dest.remote.ip)) {
      return security::Exit::Phone;
    }
    return security::Exit::Elsewhere;
  }

  security::ExitQuery exit_query(const Path& path, const transport::Destination& dest,
                                 const ExitCheck& check) const {
    security::ExitQuery q;
    q.sender = sender_of(path, check.source);
    q.exit = exit_of(dest, check);
    q.service = service(check.local_forced);
    q.our_dialog = check.our_dialog;
    q.emergency = check.emergency;
    q.from_lan = from_lan(path);
    q.itsp_requires_trust = config.itsp_requires_trust;
    return q;
  }

  // The rule at the exit. Allowed: counts the ITSP- and gateway-bound request, logs a new call
  // to the gateway, and says whether identity headers must go. Refused: answered 403 (or a
  // challenge when the request carries credentials that did not check out) and false.
  std::optional<security::Sender> may_exit(TimePoint now, ServerTransactionId id,
                                           const sip::Message& request, const Path& path,
                                           const transport::Destination& dest,
                                           const ExitCheck& check) {
    auto q = exit_query(path, dest, check);
    auto verdict = security::check_exit(q);
    if (!security::allowed(verdict) && q.sender == security::Sender::Untrusted && digest) {
      // Its credentials may still make it an authenticated sender. (A request whose credentials
      // checked out before is no longer untrusted; one whose did not was challenged then: so
      // no request is verified twice, which replay protection would refuse.)
      const auto credentials = check_credentials(now, request, path);
      if (credentials.is_ok()) {
        q.sender = security::Sender::Authenticated;
        verdict = security::check_exit(q);
      } else if (credentials.outcome != security::DigestOutcome::NoCredentials ||
                 credentials.refusal != AuthResult::Refusal::None ||
                 (q.exit == security::Exit::Itsp && config.itsp_requires_trust) ||
                 (q.exit == security::Exit::Gateway && q.emergency && challenges(request))) {
        // Wrong or stale: ask again. None, for the ITSP that wants only trusted or authenticated
        // sources, or for the gateway (a remote phone's emergency call, which the tables send
        // there before anyone asked for credentials): authenticate here first.
        challenge(now, id, request, credentials);
        return std::nullopt;
      }
    }
    if (!security::allowed(verdict)) {
      ++counters.exit_refused;
      ++counters.forbidden;
      trace(now, "security.exit_refused", [&](TraceEvent& e) {
        e.with("method", std::string(request.method_token()))
            .with("call_id", std::string(request.call_id()))
            .with("source", path.remote.to_string())
            .with("sender", std::string(security::to_string(q.sender)))
            .with("exit", std::string(security::to_string(q.exit)))
            .with("to", dest.remote.to_string())
            .with("service", std::string(security::to_string(q.service)));
      });
      respond(now, id, request, 403, "Forbidden");
      return std::nullopt;
    }
    if (q.sender == security::Sender::Untrusted && q.exit == security::Exit::Itsp &&
        !untrusted_to_itsp.take(now)) {
      // A flood relayed through us must not get the office banned at the ITSP.
      ++counters.itsp_capped;
      respond(now, id, request, 503, "Service Unavailable", {{"Retry-After", "5"}});
      return std::nullopt;
    }
    admitted_gateway_call = false;
    if (q.exit == security::Exit::Gateway && request.method() == sip::Method::Invite &&
        request.to_tag().empty() && !q.emergency && !is_emergency_request(request) &&
        !gateway_policy_allows(now, id, request, path, q.sender)) {
      return std::nullopt;
    }
    count_exit(now, request, path, dest, q, verdict);
    return q.sender;
  }

  // A new, non-emergency call to the PSTN gateway: may this sender dial this number class
  // (international, premium), and is its user and its source within their call limits
  // (security/gateway_policy.h)? Refused: 403, counted, logged.
  bool gateway_policy_allows(TimePoint now, ServerTransactionId id, const sip::Message& request,
                             const Path& path, security::Sender sender) {
    const auto& policy = config.gateway_policy;
    const std::string number = security::normalize_number(header_user(request, std::nullopt));
    const auto number_class = security::classify_number(number, policy);
    const std::string user =
        authenticated_user.empty() ? header_user(request, sip::HeaderId::From) : authenticated_user;
    std::string why;
    if (!security::may_dial(number_class, sender, policy)) {
      why = std::string(security::to_string(number_class)) + "_not_allowed";
    } else {
      const auto source = security::source_key(path.remote.ip, nullptr).value_or(path.remote.ip);
      const auto limit = gateway_limiter.admit(now, request.call_id(), user, source);
      if (limit == security::LimitVerdict::Ok) {
        admitted_gateway_call = true;
        return true;
      }
      why = std::string(security::to_string(limit));
    }
    ++counters.gateway_refused;
    ++counters.forbidden;
    trace(now, "security.gateway_refused", [&](TraceEvent& e) {
      e.with("call_id", std::string(request.call_id()))
          .with("number", number)
          .with("class", std::string(security::to_string(number_class)))
          .with("user", user)
          .with("source", path.remote.to_string())
          .with("sender", std::string(security::to_string(sender)))
          .with("reason", why);
    });
    respond(now, id, request, 403, "Forbidden");
    return false;
  }

  void count_exit(TimePoint now, const sip::Message& request, const Path& path,
                  const transport::Destination& dest, const security::ExitQuery& q,
                  security::ExitVerdict verdict) {
    if (q.exit == security::Exit::Itsp) ++counters.to_itsp;
    const bool new_call = request.method() == sip::Method::Invite && request.to_tag().empty();
    // The fields both audit events share: the call, the number, who sent it, where it goes.
    const auto call_fields = [&](TraceEvent& e) -> TraceEvent& {
      return e.with("call_id", std::string(request.call_id()))
          .with("number", header_user(request, std::nullopt))
          .with("source", path.remote.to_string())
          .with("sender", std::string(security::to_string(q.sender)))
          .with("to", dest.remote.to_string());
    };
    if (q.emergency && new_call) {
      // Audit: every emergency call, whoever placed it and wherever it goes.
      ++counters.emergency_calls;
      trace(now, "security.emergency_call", [&](TraceEvent& e) {
        call_fields(e)
            .with("from_lan", q.from_lan ? "1" : "0")
            .with("exit", std::string(security::to_string(q.exit)));
      });
    }
    if (q.exit != security::Exit::Gateway) return;
    ++counters.to_gateway;
    if (!new_call) return;
    ++counters.gateway_calls;
    trace(now, "security.gateway_call", [&](TraceEvent& e) {
      call_fields(e).with("rule", std::string(security::to_string(verdict)));
    });
  }

  // The user part of the Request-URI (nullopt) or of a name-addr header (From, To); "" when it
  // has none or does not parse.
  static std::string header_user(const sip::Message& request, std::optional<sip::HeaderId> header) {
    if (!header) {
      auto uri = sip::parse_uri(request.request_uri());
      return uri ? std::string(uri->user) : std::string();
    }
    const auto* field = request.first(*header);
    if (field == nullptr) return {};
    auto na = sip::parse_name_addr(field->value);
    if (!na) return {};
    auto uri = sip::parse_uri(na->uri);
    return uri ? std::string(uri->user) : std::string();
  }

  // A request that came along our Record-Route (`pop` values of ours on top of its Route): does
  // the MAC of one of them name the hop it goes to next (the next Route, or its Request-URI)?
  bool dialog_verified(const sip::Message& request, const std::vector<std::string_view>& routes,
                       std::size_t pop) const {
    if (pop == 0 || !dialog_mac) return false;
    const auto hop = pop < routes.size() ? hop_of_value(routes[pop]) : hop_of_uri(request.request_uri());
    if (!hop) return false;
    for (std::size_t i = 0; i < pop; ++i) {
      auto na = sip::parse_name_addr(routes[i]);
      auto uri = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
      if (!uri) continue;
      if (auto tag = uri->param(security::kDialogMacParam);
          tag && dialog_mac->verify(*tag, request.call_id(), *hop)) {
        return true;
      }
    }
    return false;
  }

  // The dialog MAC our Record-Route value gets in a request: the hop back to its sender (the
  // previous proxy's Record-Route, or the sender's Contact).
  std::string dialog_tag_param(const sip::Message& request) const {
    if (!dialog_mac) return {};
    auto hop = first_hop(request, sip::HeaderId::RecordRoute);
    if (!hop) hop = first_hop(request, sip::HeaderId::Contact);
    if (!hop) return {};
    return ";" + std::string(security::kDialogMacParam) + "=" + dialog_mac->seal(request.call_id(), *hop);
  }

  // A provisional or 2xx answer to a request we record-routed, relayed upstream: our
  // Record-Route values in it name the hop toward the callee (the value just below ours, or the
  // answer's Contact), which is where the caller's in-dialog requests will go (§16.7 step 4).
  std::string relay_bytes(const Forward& f, const sip::Message& response) const {
    if (!f.recorded || !dialog_mac || response.status_code() >= 300) return strip_top_via(response);
    const auto rr = record_route_values(response);
    std::size_t first = 0;
    while (first < rr.size() && !route_is_us(rr[first])) ++first;
    if (first == rr.size()) return strip_top_via(response);
    const auto hop = first > 0 ? hop_of_value(rr[first - 1]) : first_hop(response, sip::HeaderId::Contact);
    if (!hop) return strip_top_via(response);
    const std::string tag = dialog_mac->seal(response.call_id(), *hop);
    return strip_top_via(response, [&](std::string_view value) -> std::optional<std::string> {
      if (!route_is_us(value)) return std::nullopt;
      return with_dialog_tag(value, tag);
    });
  }

  // Every binding written again (one StoreWrite; nobody waits for it): after the wall clock
  // stepped, and for records of the old format.
  void restore_all_bindings() {
    StoreWrite write;
    write.id = next_store_id++;
    for (const registrar::Binding* b : location.all()) {
      write.records.push_back({registrar::binding_key(b->user, b->contact),
                               registrar::encode_binding(*b, config.wall_clock_offset)});
    }
    if (!write.records.empty()) self.emit_store(std::move(write));
  }

  void store_dialog_key() {
    StoreWrite write;
    write.id = next_store_id++;  // nobody waits: a failed write only costs dialogs at a restart
    write.records.push_back({std::string(kDialogMacKey), dialog_mac->encode()});
    self.emit_store(std::move(write));
  }

  void arm_dialog_key_rotation(TimePoint now) {
    if (dialog_key_timer.is_set() || config.dialog_key_rotation <= Duration::zero()) return;
    dialog_key_timer = self.timers().schedule(now + config.dialog_key_rotation, [this](TimePoint t) {
      dialog_key_timer = TimerId{};
      dialog_mac->rotate(self.rng());
      store_dialog_key();
      trace(t, "security.dialog_key_rotated", [&](TraceEvent& e) {
        e.with("generation", std::to_string(dialog_mac->generation()));
      });
      arm_dialog_key_rotation(t);
    });
  }

  std::uint16_t our_port(Transport transport) const {
    return transport == Transport::Tls ? config.tls_port : config.local.port;
  }

  // Our URI for a hop of this transport (Record-Route, Path). TLS: sips: when the request was
  // for a sips: URI (RFC 3261 §16.6 step 4, RFC 5630 §4.4), else sip:…;transport=tls, which
  // phones and ITSPs understand (RFC 5630 deprecates it, but a sips: Record-Route would force
  // TLS on every hop of a dialog that does not ask for it).
  std::string our_uri(Transport transport, bool toward_itsp = false, bool sips = false) const {
    const bool secure = sips && transport == Transport::Tls;
    std::string uri = (secure ? "sips:" : "sip:") + our_host(toward_itsp) + ":" +
                      std::to_string(our_port(transport));
    if (transport == Transport::Tcp) uri += ";transport=tcp";
    if (transport == Transport::Tls && !secure) uri += ";transport=tls";
    return uri;
  }

  void respond(TimePoint now, ServerTransactionId id, const sip::Message& request, int status,
               std::string_view reason, std::vector<sip::ExtraHeader> extra = {}) {
    if (status >= 300) {
      ++counters.rejected;
      trace(now, "route.rejected", [&](TraceEvent& e) {
        e.with("method", std::string(request.method_token()))
            .with("status", std::to_string(status))
            .with("reason", std::string(reason))
            .with("call_id", std::string(request.call_id()));
      });
    }
    if (config.server_header) extra.push_back({"Server", std::string(kServer)});
    if (unverified && status >= 300) {
      respond_statelessly(now, id, request, status, reason, extra);
      return;
    }
    const std::string tag = status > 100 && request.to_tag().empty() ? self.rng().token(10) : "";
    self.transactions().send_response(now, id, status,
                                      sip::make_response(request, status, reason, tag, extra));
  }

  // A refusal or challenge to a source nobody has verified: one datagram, no Timer G, within
  // the amplification budget (security/flood_guard.h); its To tag is a MAC of the request, so
  // the ACK that answers it is recognised without any state (stateless_ack()).
  void respond_statelessly(TimePoint now, ServerTransactionId id, const sip::Message& request,
                           int status, std::string_view reason, const std::vector<sip::ExtraHeader>& extra) {
    const std::string tag = request.to_tag().empty() ? stateless_tag(request) : "";
    std::string bytes = sip::make_response(request, status, reason, tag, extra);
    // The budget is about spoofed sources: over TCP the handshake proved the address.
    if (unverified_transport == Transport::Udp && !is_office(unverified_source) &&
        !flood.may_send(now, unverified_source.remote.ip, bytes.size())) {
      ++counters.answers_suppressed;
      bytes.clear();  // ends the transaction, sends nothing
    } else {
      ++counters.answered_statelessly;
    }
    self.transactions().respond_statelessly(now, id, std::move(bytes));
  }

  std::string stateless_tag(const sip::Message& request) const {
    return "s" + dialog_mac->seal(request.call_id(), "!" + std::string(request.from_tag()));
  }

  // The ACK for a non-2xx answer we gave statelessly (its To tag is ours): nothing to do.
  bool stateless_ack(const sip::Message& ack) const {
    const std::string_view tag = ack.to_tag();
    return tag.size() == 18 && tag.front() == 's' &&
           dialog_mac->verify(tag.substr(1), ack.call_id(), "!" + std::string(ack.from_tag()));
  }

  // Where a URI points when no binding is known: its host (an IP literal: no DNS yet), its port
  // or the transport's default, its transport: TLS for sips: (RFC 3261 §26.2.2) or
  // transport=tls, TCP for transport=tcp, else UDP (RFC 3263 §4.1 for a numeric host).
  std::optional<transport::Destination> destination_of(const sip::Uri& uri) const {
    if (!is_ip_literal(uri.host)) return std::nullopt;
    Transport transport = Transport::Udp;
    const auto t = uri.param("transport");
    if (uri.scheme_id == sip::UriScheme::Sips || (t && sip::text::iequals(*t, "tls"))) {
      transport = Transport::Tls;
    } else if (t && sip::text::iequals(*t, "tcp")) {
      transport = Transport::Tcp;
    }
    const std::uint16_t port = uri.port.value_or(transport == Transport::Tls ? 5061 : 5060);
    transport::Destination dest{transport, Address{unbracket(uri.host), port}, StreamId{}};
    // A new TLS connection to one of the ITSP's proxies (an in-dialog request along its
    // Record-Route, once the first connection is gone) is verified like the first one.
    if (transport == Transport::Tls && itsp) {
      if (const auto i = itsp->find(dest.remote)) dest.server_name = itsp->target(*i).destination.server_name;
    }
    return dest;
  }

  // A registered phone is reached where its REGISTER came from: the received address and port
  // (NAT) and, over TCP, its own connection. If that connection is gone, a new one goes to the
  // Contact's address (the phone's listening port), not to the old ephemeral source port.
  transport::Destination destination_of(const registrar::Binding& b) const {
    if (is_stream(b.source.transport) && !self.transport().is_stream_open(b.source.stream)) {
      if (auto uri = sip::parse_uri(b.contact)) {
        if (auto dest = destination_of(*uri)) {
          // Over the transport it registered on (a TLS phone is not reached in the clear).
          dest->transport = b.source.transport;
          return *dest;
        }
      }
    }
    if (b.source.transport == Transport::Udp) {
      // A phone not behind NAT (its Contact names the address it sent from) may still have sent
      // the REGISTER from another port than it listens on: RFC 3261 says the Contact is where it
      // is reached. Only when the Contact's address is not the source (NAT) is the received
      // address:port the better bet.
      if (auto uri = sip::parse_uri(b.contact)) {
        if (unbracket(uri->host) == unbracket(b.source.remote.ip)) {
          if (auto dest = destination_of(*uri); dest && dest->transport == Transport::Udp) {
            return *dest;
          }
        }
      }
    }
    return transport::Destination{b.source.transport, b.source.remote, b.source.stream};
  }

  // [advanced.sipproxy] crlf_keepalive: a double-CRLF ping (RFC 5626 §3.5.1) on the connection
  // of every binding registered over TCP, so NATs and firewalls keep it open.
  void on_keepalive(TimePoint now) {
    keepalive_timer = TimerId{};
    std::set<std::uint64_t> pinged;
    for (const registrar::Binding* b : location.all()) {
      if (!is_stream(b->source.transport) || b->expires_at <= now) continue;
      if (!self.transport().is_stream_open(b->source.stream)) continue;
      if (!pinged.insert(b->source.stream.value).second) continue;
      self.transport().send_keepalive_ping(now, b->source.stream);
    }
    if (!pinged.empty()) {
      trace(now, "transport.keepalives_sent", [&](TraceEvent& e) {
        e.with("count", std::to_string(pinged.size()));
      });
    }
    arm_keepalive(now);
  }

  void arm_keepalive(TimePoint now) {
    if (config.crlf_keepalive <= Duration::zero()) return;
    keepalive_timer = self.timers().schedule(now + config.crlf_keepalive,
                                             [this](TimePoint t) { on_keepalive(t); });
  }

  // Loop detection (§16.3 step 4): one of the Vias is ours and carries this request's hash.
  std::string our_sent_by() const {
    return unbracket(config.local.ip) + ":" + std::to_string(config.local.port);
  }

  // A Via sent-by of ours: our address with our UDP/TCP port, or our TLS port over TLS.
  bool is_our_via(const sip::ViaInfo& via) const {
    const bool tls = sip::text::iequals(via.transport, "TLS");
    const std::uint16_t port = via.port.value_or(tls ? 5061 : 5060);
    return port == (tls ? config.tls_port : config.local.port) && same_host(via.host, config.local.ip);
  }

  bool is_loop(const sip::Message& request) const {
    std::string hash;  // computed only if one of the Vias is ours: most requests have none
    const auto looped = [&](const auto& via) {
      if (!is_our_via(via)) return false;
      if (hash.empty()) hash = loop_hash(request, our_sent_by());
      const std::string_view branch = via.branch;
      return branch.size() >= 7 + hash.size() && branch.substr(7, hash.size()) == hash;
    };
    // A request straight from a phone has one Via, already parsed.
    if (request.via_count() == 1) return looped(request.top_via());
    for (const auto& field : request.headers()) {
      if (field.id != sip::HeaderId::Via) continue;
      auto vias = sip::parse_via_list(field.value);
      if (!vias) continue;
      for (const auto& via : *vias) {
        if (looped(via.info)) return true;
      }
    }
    return false;
  }

  // --- digest authentication (RFC 7616, RFC 3261 §22) -------------------------------------

  bool challenges(const sip::Message& request) const {
    if (!digest) return false;
    const std::string_view method = request.method_token();
    for (const auto& m : config.auth.methods) {
      if (m == method) return true;
    }
    return false;
  }

  // The verdict on a request's credentials, and what refuses it before or after the digest check.
  struct AuthResult : security::DigestVerdict {
    enum class Refusal : std::uint8_t {
      None,
      Locked,        // too many wrong answers from this source for this user: 403, not checked
      FromMismatch,  // good credentials, but the request is From another user: 403
    };
    Refusal refusal = Refusal::None;
    // Good credentials and nothing against them.
    [[nodiscard]] bool is_ok() const {
      return DigestVerdict::is_ok() && refusal == Refusal::None;
    }
  };

  // The verdict on the request's credentials for our realm (Authorization for REGISTER, which we
  // answer as a registrar; Proxy-Authorization otherwise), NoCredentials when it has none. Wrong
  // answers count against the (source, user) pair (security/auth_guard.h); a locked pair is
  // refused without checking.
  AuthResult check_credentials(TimePoint now, const sip::Message& request, const Path& path) {
    AuthResult result;
    result.outcome = security::DigestOutcome::NoCredentials;
    if (!digest) return result;
    const sip::HeaderId wanted = request.method() == sip::Method::Register
                                     ? sip::HeaderId::Authorization
                                     : sip::HeaderId::ProxyAuthorization;
    const auto chosen = credentials_for_us(request, wanted);
    if (!chosen) return result;
    const bool guarded = auth_guard && classify(path, false) == SourceClass::Untrusted;
    // Who is locked out, and for how long still (security.auth_locked / auth_lockout).
    const auto lockout_fields = [&](TraceEvent& e) -> TraceEvent& {
      const auto left = auth_guard->locked_for(now, path.remote.ip, result.username);
      return e.with("user", result.username)
          .with("source", path.remote.to_string())
          .with("seconds", std::to_string(std::chrono::ceil<std::chrono::seconds>(left).count()));
    };
    if (guarded) {
      if (auto parsed = security::parse_digest_credentials(*chosen);
          parsed && !auth_guard->may_try(now, path.remote.ip, parsed->username)) {
        result.outcome = security::DigestOutcome::BadResponse;
        result.username = parsed->username;
        result.refusal = AuthResult::Refusal::Locked;
        ++counters.auth_locked_refusals;
        trace(now, "security.auth_locked", [&](TraceEvent& e) {
          lockout_fields(e.with("method", std::string(request.method_token())));
        });
        return result;
      }
    }
    static_cast<security::DigestVerdict&>(result) =
        digest->verify(now, request.method_token(), *chosen, request.request_uri());
    trace(now, "auth.checked", [&](TraceEvent& e) {
      e.with("method", std::string(request.method_token()))
          .with("user", result.username)
          .with("outcome", std::string(security::to_string(result.outcome)));
    });
    if (guarded) {
      if (result.outcome == security::DigestOutcome::BadResponse ||
          result.outcome == security::DigestOutcome::UnknownUser) {
        ++counters.auth_failures;
        if (auth_guard->failed(now, path.remote.ip, result.username)) {
          ++counters.auth_lockouts;
          trace(now, "security.auth_lockout", [&](TraceEvent& e) { lockout_fields(e); });
        }
      } else if (result.is_ok()) {
        auth_guard->succeeded(path.remote.ip, result.username);
      }
    }
    if (result.is_ok() && config.auth.bind_from_user && request.method() != sip::Method::Register &&
        request.to_tag().empty() && !from_user_is(request, result.username)) {
      result.refusal = AuthResult::Refusal::FromMismatch;
      trace(now, "security.from_mismatch", [&](TraceEvent& e) {
        e.with("method", std::string(request.method_token()))
            .with("user", result.username)
            .with("source", path.remote.to_string());
      });
      return result;
    }
    if (result.is_ok()) {
      unverified = false;  // its answers may be stateful again
      authenticated_user = result.username;
    }
    return result;
  }

  // Whether the request's From user is `user`, or an alias of it.
  bool from_user_is(const sip::Message& request, std::string_view user) const {
    const std::string from = header_user(request, sip::HeaderId::From);
    return !from.empty() && (from == user || location.resolve_alias(from) == user);
  }

  // An emergency call from the office LAN goes on whatever its credentials say (the exit rule
  // lets it reach the gateway; seed: emergency numbers always work).
  bool emergency_from_lan(const sip::Message& request, const Path& path) const {
    return request.method() == sip::Method::Invite && request.to_tag().empty() &&
           is_emergency_request(request) && from_lan(path);
  }

  // Of the request's `header` values, the Digest credentials for our realm (RFC 3261 §22.3).
  std::optional<std::string_view> credentials_for_us(const sip::Message& request, sip::HeaderId header) const {
    std::vector<std::string_view> values;
    for (const auto& field : request.headers()) {
      if (field.id == header) values.push_back(field.value);
    }
    if (values.empty()) return std::nullopt;
    return security::select_credentials(values, config.realm);
  }

  // 401 (REGISTER: we are the registrar) or 407 (we are a proxy), one challenge per algorithm.
  void challenge(TimePoint now, ServerTransactionId id, const sip::Message& request,
                 const AuthResult& verdict) {
    if (verdict.refusal != AuthResult::Refusal::None) {
      // Locked out, or good credentials for the wrong From: asking again would not help.
      ++counters.forbidden;
      respond(now, id, request, 403, "Forbidden");
      return;
    }
    ++counters.challenged;
    const bool registrar_side = request.method() == sip::Method::Register;
    std::vector<sip::ExtraHeader> headers;
    for (auto& value : digest->challenge(now, self.rng(), security::wants_stale_challenge(verdict.outcome))) {
      headers.push_back({registrar_side ? "WWW-Authenticate" : "Proxy-Authenticate", std::move(value)});
    }
    if (registrar_side) {
      respond(now, id, request, 401, "Unauthorized", std::move(headers));
    } else {
      respond(now, id, request, 407, "Proxy Authentication Required", std::move(headers));
    }
  }

  // --- requests ----------------------------------------------------------------------------

  void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                  const Path& path) {
    ++counters.requests;
    arm_dialog_key_rotation(now);
    authenticated_user.clear();
    unverified = classify(path, false) == SourceClass::Untrusted;
    unverified_source = path;
    unverified_transport = path.transport;
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{unverified};
    if (request.to_tag().empty() && request.method() != sip::Method::Cancel) {
      if (self.transactions().server_count() > config.max_transactions) {
        // Memory is bounded: new work waits, dialogs in progress go on.
        ++counters.overload_rejected;
        respond(now, id, request, 503, "Service Unavailable", {{"Retry-After", "5"}});
        return;
      }
      if (now < overload_until && (unverified || now < severe_until) &&
          !is_emergency_request(request)) {
        // Overloaded: new calls and registrations from outside wait (one datagram each, no
        // Timer G), the office's own only when it is bad (5x the delay); what is in progress —
        // in-dialog requests, retransmissions — goes on, and so do emergency calls.
        ++counters.overload_rejected;
        respond_statelessly(now, id, request, 503, "Service Unavailable", {{"Retry-After", "2"}});
        return;
      }
    }
    // The seed's order: ignore (dropped before parsing, see admits()), reject, then the rest.
    if (security::any_contains(config.rejected, path.remote.ip) ||
        (is_gateway(path.remote) && config.pstn_gateway.from_action == GatewayFromAction::Reject)) {
      ++counters.forbidden;
      respond(now, id, request, 403, "Forbidden");
      return;
    }
    if (config.mode == ProxyMode::Off) {
      respond(now, id, request, 503, "Service Unavailable");
      return;
    }
    if (auto rejection = check_request(request)) {
      if (rejection->status_code == 483) ++counters.too_many_hops;
      respond(now, id, request, rejection->status_code, rejection->reason, rejection->headers);
      return;
    }
    if (request.method() == sip::Method::Cancel) {
      on_cancel(now, id, request);
      return;
    }
    if (is_loop(request)) {
      ++counters.loops;
      respond(now, id, request, 482, "Loop Detected");
      return;
    }
    route(now, id, request, path);
  }

  void route(TimePoint now, ServerTransactionId id, const sip::Message& request, const Path& path) {
    const auto routes = route_values(request);
    std::size_t pop = 0;
    while (pop < routes.size() && route_is_us(routes[pop])) ++pop;

    auto ruri = sip::parse_uri(request.request_uri());
    if (!ruri) {  // guaranteed by the parser; defensive
      respond(now, id, request, 400, "Bad Request-URI");
      return;
    }
    // Sent along our own Record-Route: its MAC says whether the next hop is the dialog's.
    const bool our_dialog = dialog_verified(request, routes, pop);
    if (pop < routes.size()) {  // loose routing: the next hop is the next Route (§16.4, §16.6)
      auto na = sip::parse_name_addr(routes[pop]);
      auto next = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
      auto dest = next ? destination_of(*next) : std::nullopt;
      if (!dest) {
        respond(now, id, request, 404, "Not Found");
        return;
      }
      forward(now, id, request, path, std::nullopt, *dest, pop, {.our_dialog = our_dialog});
      return;
    }
    if (request.method() == sip::Method::Register && is_our_domain(*ruri)) {
      on_register(now, id, request, path, /*force_local=*/false);
      return;
    }
    if (is_our_domain(*ruri) && ruri->user.empty()) {
      if (request.method() == sip::Method::Options) {
        respond(now, id, request, 200, "OK",
                {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, "
                           "SUBSCRIBE, INFO, UPDATE, PRACK, MESSAGE"},
                 {"Accept", "application/sdp"}});
      } else {
        respond(now, id, request, 404, "Not Found");
      }
      return;
    }
    // A registered phone's contact (in-dialog requests, the ITSP's calls along our Path): there.
    if (const registrar::Binding* b = location.find_by_contact(request.request_uri(), now)) {
      forward(now, id, request, path, std::nullopt, destination_of(*b), pop,
              {.hop = Hop::Binding, .binding = b, .our_dialog = our_dialog});
      return;
    }
    // In a dialog (a To tag), or sent to us along our own Record-Route (a Route of ours was
    // popped): the Request-URI is the next hop (§16.5, §16.6 step 6) — the remote party's
    // contact, whoever it is. Only requests outside a dialog go by the routing tables.
    if ((!request.to_tag().empty() || pop > 0) && !is_our_domain(*ruri)) {
      if (auto dest = destination_of(*ruri)) {
        forward(now, id, request, path, std::nullopt, *dest, pop, {.our_dialog = our_dialog});
        return;
      }
    }
    SourceClass source = classify(path, false);
    if (source == SourceClass::Untrusted && challenges(request)) {
      const auto verdict = check_credentials(now, request, path);
      if (verdict.is_ok()) {
        source = classify(path, true);
      } else if (emergency_from_lan(request, path)) {
        // Whatever its credentials say (a phone whose password the outage made stale): it goes
        // on as an untrusted source, which the exit rule lets reach the gateway.
        trace(now, "security.emergency_auth_bypassed", [&](TraceEvent& e) {
          e.with("call_id", std::string(request.call_id()))
              .with("source", path.remote.to_string())
              .with("outcome", std::string(security::to_string(verdict.outcome)));
        });
      } else if (verdict.outcome != security::DigestOutcome::NoCredentials ||
                 verdict.refusal != AuthResult::Refusal::None) {
        challenge(now, id, request, verdict);  // wrong, stale or replayed: ask again
        return;
      }
    }
    route_by_table(now, id, request, path, pop, source, false);
  }

  // Out-of-dialog requests: the seed's routing tables (routing_table.h). `force_local`: the ITSP
  // just failed this very request, serve it with the failure table whatever the monitor says.
  void route_by_table(TimePoint now, ServerTransactionId id, const sip::Message& request,
                      const Path& path, std::size_t pop, SourceClass source, bool force_local) {
    auto ruri = sip::parse_uri(request.request_uri());
    if (!ruri) {
      respond(now, id, request, 400, "Bad Request-URI");
      return;
    }
    const bool ours = is_our_domain(*ruri);
    const std::string user = ours ? std::string(location.resolve_alias(ruri->user)) : std::string();
    const registrar::Binding* binding = ours ? location.latest(user, now) : nullptr;
    const std::string* directory = ours && binding == nullptr ? location.directory_contact(user) : nullptr;

    RouteQuery q;
    q.mode = config.mode;
    q.itsp_up = !force_local && itsp_usable();
    q.source = source;
    q.registered = binding != nullptr || directory != nullptr;
    q.emergency = is_emergency(ruri->user);
    q.gateway_configured = config.pstn_gateway.address.has_value();
    q.can_challenge = challenges(request);
    q.gateway_routing = config.pstn_gateway.from_routing;

    const bool local_service = routing::in_failure_operation(q.mode, q.itsp_up) || q.mode == ProxyMode::Standalone;
    // A request for an explicit foreign address (sip:host-ip…, not ours, nobody's contact): a
    // trusted endpoint may send it there when we serve locally; nobody else may (no open relay).
    if (!ours && !q.registered && !q.emergency && local_service) {
      auto dest = destination_of(*ruri);
      if (dest && source == SourceClass::Endpoint) {
        forward(now, id, request, path, std::nullopt, *dest, pop,
                {.local_forced = force_local, .source = source});
        return;
      }
    }
    if (routing::in_failure_operation(q.mode, q.itsp_up) && !config.itsp.down_other_methods_local &&
        !q.emergency && request.method() != sip::Method::Invite) {
      respond(now, id, request, 480, "Temporarily Unavailable",
              {{"Retry-After", std::to_string(std::chrono::ceil<std::chrono::seconds>(
                                                  config.itsp.monitor.health.probe_interval_down)
                                                  .count())}});
      return;
    }
    const RouteAction action = decide_route(q);
    trace(now, "route.decided", [&](TraceEvent& e) {
      e.with("call_id", std::string(request.call_id()))
          .with("source", std::string(to_string(source)))
          .with("registered", q.registered ? "1" : "0")
          .with("itsp_up", q.itsp_up ? "1" : "0")
          .with("action", std::string(to_string(action)));
    });
    switch (action) {
      case RouteAction::ToEndpoint:
        if (binding != nullptr) {
          forward(now, id, request, path, binding->contact, destination_of(*binding), pop,
                  {.hop = Hop::Binding, .binding = binding, .local_forced = force_local, .source = source});
          return;
        }
        if (directory != nullptr) {
          auto target = sip::parse_uri(*directory);
          if (auto dest = target ? destination_of(*target) : std::nullopt) {
            forward(now, id, request, path, *directory, *dest, pop,
                    {.hop = Hop::Directory, .local_forced = force_local, .source = source});
            return;
          }
        }
        break;
      case RouteAction::ToGateway: {
        const Address& gw = *config.pstn_gateway.address;
        forward(now, id, request, path, "sip:" + std::string(ruri->user) + "@" + gw.to_string(),
                transport::Destination{Transport::Udp, gw, StreamId{}}, pop,
                {.hop = Hop::Table, .emergency = q.emergency, .local_forced = force_local,
                 .source = source});
        return;
      }
      case RouteAction::ToItsp:
        if (forward_to_itsp(now, id, request, path, pop, source, Kind::Itsp)) return;
        route_by_table(now, id, request, path, pop, source, true);  // none usable after all
        return;
      case RouteAction::Challenge: {
        AuthResult none;
        none.outcome = security::DigestOutcome::NoCredentials;
        challenge(now, id, request, none);
        return;
      }
      case RouteAction::Unavailable:
        respond(now, id, request, 503, "Service Unavailable");
        return;
      case RouteAction::NotFound:
        break;
    }
    ++counters.not_found;
    respond(now, id, request, 404, "Not Found");
  }

  // Forwards to the selected ITSP proxy over the transport the request came on (the seed), with
  // the live-traffic guard. False when no ITSP proxy is usable. TLS is the exception both ways:
  // an ITSP configured for TLS is never reached in the clear, and TLS is never tried on a port
  // configured for UDP or TCP.
  bool forward_to_itsp(TimePoint now, ServerTransactionId id, const sip::Message& request,
                       const Path& path, std::size_t pop, SourceClass source, Kind kind) {
    if (!itsp) return false;
    const auto index = itsp->select();
    if (!index) return false;
    transport::Destination dest = itsp->target(*index).destination;
    if (dest.transport != Transport::Tls && path.transport != Transport::Tls) {
      dest.transport = path.transport;
    }
    dest.stream = StreamId{};
    Forward* f = forward(now, id, request, path, std::nullopt, dest, pop,
                         {.hop = Hop::Table, .source = source}, kind);
    if (f == nullptr) return true;
    f->itsp = *index;
    f->source = source;
    const ClientTransactionId cid = f->client;
    if (config.itsp.answer_timeout > Duration::zero()) {
      f->answer_timer = self.timers().schedule(now + config.itsp.answer_timeout,
                                               [this, cid](TimePoint t) { on_no_answer(t, cid); });
    }
    if (kind == Kind::ItspRegister) {
      f->reg_timer = self.timers().schedule(now + config.itsp.reg_forwarding_timeout,
                                            [this, cid](TimePoint t) { on_reg_timeout(t, cid); });
    }
    return true;
  }

  RequestEdits edits_for(const sip::Message& request, const Path& path,
                         std::optional<std::string> request_uri, const transport::Destination& dest,
                         std::size_t pop, bool toward_itsp, bool strip_identity) {
    RequestEdits edits;
    edits.strip_identity = strip_identity;
    edits.request_uri = std::move(request_uri);
    edits.pop_routes = pop;
    const auto mf = request.max_forwards();
    edits.max_forwards = mf ? *mf - 1 : 70;  // §16.6 step 3 (0 was refused before)
    const std::string branch =
        "z9hG4bK" + loop_hash(request, our_sent_by()) + "." + self.rng().token(8);
    if (toward_itsp && !config.itsp.nat_outside_address.empty()) {
      edits.via = "SIP/2.0/" + std::string(resproxy::to_string(dest.transport)) + " " +
                  our_host(true) + ":" + std::to_string(our_port(dest.transport)) + ";branch=" + branch +
                  ";rport";
    } else {
      edits.via = self.via_for(dest.transport, branch);
    }
    const sip::Method method = request.method();
    const bool in_dialog = !request.to_tag().empty();
    const bool record = method != sip::Method::Register && method != sip::Method::Cancel &&
                        method != sip::Method::Ack &&
                        (config.record_route == RecordRoute::Always ||
                         (creates_dialog(method) && !in_dialog));
    if (record) {
      // RFC 3261 §16.6 step 4; double Record-Route when the transports differ (RFC 5658).
      // Its dialog MAC names the hop back to the sender (dialog_mac.h).
      const std::string tag = dialog_tag_param(request);
      const std::string_view ruri = request.request_uri();
      const bool sips = ruri.size() > 5 && sip::text::iequals(ruri.substr(0, 5), "sips:");
      edits.record_route.push_back("<" + our_uri(dest.transport, toward_itsp, sips) + ";lr" + tag + ">");
      if (path.transport != dest.transport) {
        edits.record_route.push_back("<" + our_uri(path.transport, false, sips) + ";lr" + tag + ">");
      }
    }
    if (method == sip::Method::Register && toward_itsp) {
      // RFC 3327: the ITSP's requests to this phone come back through us.
      edits.add.push_back({"Path", "<" + our_uri(dest.transport, true) + ";lr>"});
    }
    return edits;
  }

  Forward* forward(TimePoint now, ServerTransactionId id, const sip::Message& request,
                   const Path& path, std::optional<std::string> request_uri,
                   const transport::Destination& dest, std::size_t pop, const ExitCheck& check,
                   Kind kind = Kind::Local) {
    const auto sender = may_exit(now, id, request, path, dest, check);
    if (!sender) return nullptr;
    const bool gateway_call = std::exchange(admitted_gateway_call, false);
    // A BYE ends a call the gateway limiter counts (whichever side sends it).
    if (request.method() == sip::Method::Bye) gateway_limiter.release(request.call_id());
    const std::string target = request_uri ? *request_uri : std::string(request.request_uri());
    const bool toward_itsp = kind != Kind::Local;
    auto edits = edits_for(request, path, std::move(request_uri), dest, pop, toward_itsp,
                           *sender == security::Sender::Untrusted);
    const bool recorded = !edits.record_route.empty();
    auto forwarded = sip::Message::parse(rewrite_request(request, edits));
    if (!forwarded) {
      if (gateway_call) gateway_limiter.release(request.call_id());  // it never left
      respond(now, id, request, 500, "Server Internal Error");
      return nullptr;
    }
    const bool is_invite = request.method() == sip::Method::Invite;
    if (is_invite && !rerouting) {
      respond(now, id, request, 100, "Trying");  // §16.2: at once, not in 200 ms
    }
    ++counters.forwarded;
    trace(now, "route.forwarded", [&](TraceEvent& e) {
      e.with("method", std::string(request.method_token()))
          .with("call_id", std::string(request.call_id()))
          .with("target", target)
          .with("to", dest.remote.to_string())
          .with("transport", std::string(resproxy::to_string(dest.transport)));
    });
    const ClientTransactionId cid =
        self.transactions().send_request(now, std::move(forwarded).value(), dest);
    Forward f;
    f.server = id;
    f.client = cid;
    f.kind = kind;
    f.from = path;
    f.is_invite = is_invite;
    f.recorded = recorded;
    f.gateway_call = gateway_call;
    if (gateway_call) f.call_id = std::string(request.call_id());
    f.dest = dest;
    if (is_invite) {
      f.timer_c = self.timers().schedule(now + config.timer_c,
                                         [this, cid](TimePoint t) { on_timer_c(t, cid); });
    }
    by_server[id.value] = cid.value;
    return &by_client.emplace(cid.value, f).first->second;
  }

  // --- failing over from the ITSP to local service (live traffic) ---------------------------

  void on_no_answer(TimePoint now, ClientTransactionId cid) {
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
    f.answer_timer = TimerId{};
    if (f.answered || f.final_sent || f.abandoned) return;
    fail_over(now, f, TrafficFailure::NoAnswer, "no_answer");
  }

  void on_reg_timeout(TimePoint now, ClientTransactionId cid) {
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
    f.reg_timer = TimerId{};
    if (f.final_sent || f.abandoned) return;
    // The seed: a REGISTER the ITSP does not answer in time leaves the cache; a late answer is
    // still forwarded to the phone but not cached.
    f.reg_late = true;
    if (const sip::Message* request = self.transactions().server_request(f.server)) {
      uncache(now, *request);
    }
    trace(now, "reg.forwarding_timeout", [&](TraceEvent& e) {
      e.with("itsp", itsp->target(f.itsp).name);
    });
  }

  // The ITSP failed this request (no answer, transport error, a failover status): mark it
  // suspect, give up its branch (late answers are cancelled or hung up, never relayed), and serve
  // the request locally on the same server transaction.
  void fail_over(TimePoint now, Forward& f, std::optional<TrafficFailure> why, std::string_view reason) {
    ++counters.failovers;
    if (itsp && why) itsp->on_traffic_failure(now, f.itsp, *why);
    trace(now, "itsp.failover", [&](TraceEvent& e) {
      e.with("itsp", itsp ? itsp->target(f.itsp).name : std::string())
          .with("reason", std::string(reason))
          .with("call_id", [&] {
            const sip::Message* r = self.transactions().server_request(f.server);
            return r ? std::string(r->call_id()) : std::string();
          }());
    });
    abandon(now, f);
    rerouting = true;  // the caller already has its 100 Trying
    struct Reset {
      bool& flag;
      ~Reset() { flag = false; }
    } reset{rerouting};
    const ServerTransactionId server = f.server;
    const Path from = f.from;
    const SourceClass source = f.source;
    const sip::Message* request = self.transactions().server_request(server);
    if (request == nullptr) return;
    if (request->method() == sip::Method::Register) {
      on_register(now, server, *request, from, /*force_local=*/true);
    } else {
      route_by_table(now, server, *request, from, 0, source, /*force_local=*/true);
    }
  }

  void abandon(TimePoint now, Forward& f) {
    f.abandoned = true;
    self.timers().cancel(f.timer_c);
    self.timers().cancel(f.answer_timer);
    self.timers().cancel(f.reg_timer);
    const auto it = by_server.find(f.server.value);
    if (it != by_server.end() && it->second == f.client.value) by_server.erase(it);
    if (f.is_invite && f.provisional_seen && !f.cancelled) {
      f.cancelled = true;
      send_cancel(now, f);
    }
  }

  // A 2xx from an ITSP branch we gave up (RFC 6026: it can still come): ACK it and hang up, so
  // no call is left up at the ITSP that nobody hears (no ghost calls).
  void hang_up_late_answer(TimePoint now, const Forward& f, const sip::Message& response) {
    const sip::Message* invite = self.transactions().client_request(f.client);
    if (invite == nullptr) return;
    std::string target(invite->request_uri());
    if (const auto* contact = response.first(sip::HeaderId::Contact)) {
      if (auto na = sip::parse_name_addr(contact->value)) target = std::string(na->uri);
    }
    // The route set: the response's Record-Route reversed (§12.1.2), without our own entries.
    std::vector<std::string> route_set;
    for (const auto& field : response.headers()) {
      if (field.id != sip::HeaderId::RecordRoute) continue;
      std::string_view rest = field.value;
      while (auto v = sip::next_value(rest)) {
        if (!v->empty() && !route_is_us(*v)) route_set.emplace_back(*v);
      }
    }
    std::reverse(route_set.begin(), route_set.end());
    const auto* from = invite->first(sip::HeaderId::From);
    const auto* to = response.first(sip::HeaderId::To);
    if (from == nullptr || to == nullptr) return;
    const auto make = [&](std::string_view method, std::uint32_t cseq) {
      std::vector<sip::ExtraHeader> h;
      h.push_back({"Via", self.via_for(f.dest.transport, self.transactions().new_branch())});
      h.push_back({"Max-Forwards", "70"});
      for (const auto& r : route_set) h.push_back({"Route", r});
      h.push_back({"From", std::string(from->value)});
      h.push_back({"To", std::string(to->value)});
      h.push_back({"Call-ID", std::string(response.call_id())});
      h.push_back({"CSeq", std::to_string(cseq) + " " + std::string(method)});
      if (method == "BYE") h.push_back({"Reason", "SIP;cause=480;text=\"answered after failover\""});
      return sip::make_request(method, target, h);
    };
    const std::uint32_t cseq = response.cseq().number;
    self.transactions().send_stateless(now, f.dest, make("ACK", cseq));
    if (auto bye = sip::Message::parse(make("BYE", cseq + 1))) {
      (void)self.transactions().send_request(now, std::move(bye).value(), f.dest);
    }
    ++counters.late_answers_hung_up;
    trace(now, "itsp.late_answer_hung_up", [&](TraceEvent& e) {
      e.with("call_id", std::string(response.call_id()));
    });
  }

  bool is_failover_status(int status) const {
    if (status == 408) return true;
    for (int code : config.itsp.failover_codes) {
      if (code == status) return true;
    }
    return false;
  }

  // --- CANCEL (§9.2, §16.10) --------------------------------------------------------------

  void on_cancel(TimePoint now, ServerTransactionId id, const sip::Message& cancel) {
    const auto invite = self.transactions().find_invite_for_cancel(cancel);
    if (!invite) {
      respond(now, id, cancel, 481, "Call/Transaction Does Not Exist");
      return;
    }
    respond(now, id, cancel, 200, "OK");
    const auto it = by_server.find(invite->value);
    if (it == by_server.end()) return;  // answered locally; nothing pending downstream
    Forward& f = by_client.at(it->second);
    if (f.final_sent || f.cancelled) return;
    f.cancelled = true;
    if (f.provisional_seen) {
      send_cancel(now, f);
    } else {
      f.cancel_pending = true;  // §9.1: no CANCEL before a provisional response
    }
  }

  void send_cancel(TimePoint now, Forward& f) {
    f.cancel_pending = false;
    const sip::Message* invite = self.transactions().client_request(f.client);
    if (invite == nullptr) return;
    auto cancel = sip::Message::parse(sip::make_cancel(*invite));
    if (!cancel) return;
    trace(now, "route.cancelled", [&](TraceEvent& e) {
      e.with("call_id", std::string(invite->call_id()));
    });
    (void)self.transactions().send_request(now, std::move(cancel).value(), f.dest);
  }

  void on_timer_c(TimePoint now, ClientTransactionId cid) {
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
    f.timer_c = TimerId{};
    if (f.final_sent) return;
    // §16.8: Timer C fired: CANCEL if a provisional came, else act as if it timed out.
    if (f.provisional_seen) {
      f.cancelled = true;
      send_cancel(now, f);
      return;
    }
    finish_with(now, f, 408, "Request Timeout");
  }

  // Answers the upstream side ourselves and forgets the forward.
  void finish_with(TimePoint now, Forward& f, int status, std::string_view reason) {
    if (!f.final_sent) {
      if (const sip::Message* request = self.transactions().server_request(f.server)) {
        respond(now, f.server, *request, status, reason);
      }
      f.final_sent = true;
    }
    erase(f.client);
  }

  void erase(ClientTransactionId cid) {
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
    self.timers().cancel(f.timer_c);
    self.timers().cancel(f.answer_timer);
    self.timers().cancel(f.reg_timer);
    if (f.gateway_call && !f.established) {
      // Failed, cancelled, timed out or hung up (a late answer): no longer an open call.
      gateway_limiter.release(f.call_id);
    }
    const auto s = by_server.find(f.server.value);
    if (s != by_server.end() && s->second == cid.value) by_server.erase(s);
    by_client.erase(it);
  }

  // --- responses --------------------------------------------------------------------------

  void on_response(TimePoint now, ClientTransactionId cid, const sip::Message& response) {
    const int status = response.status_code();
    if (itsp && itsp->on_response(now, cid, status)) return;  // one of the monitor's probes
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) {
      // A 2xx retransmission after the forward was done with (RFC 6026 Accepted): statelessly.
      if (status >= 200 && status < 300 && response.cseq().method == sip::Method::Invite &&
          !was_hung_up(response.call_id())) {
        forward_response_statelessly(now, response);
      }
      return;
    }
    Forward& f = it->second;
    if (f.kind != Kind::Local && !f.answered) {
      f.answered = true;  // the ITSP is alive: the live-traffic guard stands down
      self.timers().cancel(f.answer_timer);
      if (itsp && status != 503) itsp->on_traffic_success(now, f.itsp);
    }
    if (f.abandoned) {
      on_abandoned_response(now, f, response);
      return;
    }
    if (f.kind != Kind::Local && status >= 200 && !f.cancelled &&
        (f.kind == Kind::Itsp ? f.is_invite && is_failover_status(status) : status == 503)) {
      // §16.7 would relay the best response; the office is better served locally.
      fail_over(now, f, status == 503 ? std::optional(TrafficFailure::Unavailable) : std::nullopt,
                "status " + std::to_string(status));
      erase(cid);
      return;
    }
    if (f.kind == Kind::ItspRegister && status >= 200 && status < 300 && !f.reg_late) {
      cache_itsp_registration(now, f, response);
    }
    if (status == 100) return;  // hop by hop (§16.7 step 3)
    if (status < 200) {
      f.provisional_seen = true;
      if (f.is_invite && !f.final_sent) {  // §16.8: a provisional restarts Timer C
        self.timers().cancel(f.timer_c);
        f.timer_c = self.timers().schedule(now + config.timer_c,
                                           [this, cid](TimePoint t) { on_timer_c(t, cid); });
      }
      if (f.cancel_pending) send_cancel(now, f);
      self.transactions().send_response(now, f.server, status, relay_bytes(f, response));
      return;
    }
    if (status == 503) {
      // §16.7 step 6: a 503 from downstream says nothing about us; tell the caller 500.
      finish_with(now, f, 500, "Server Internal Error");
      return;
    }
    std::string relayed = relay_bytes(f, response);
    if (f.kind == Kind::ItspRegister && status < 300 && config.itsp.phone_reg_expires > Duration::zero()) {
      if (auto stripped = sip::Message::parse(relayed)) {
        relayed = cap_register_expiry(
            *stripped, std::chrono::ceil<std::chrono::seconds>(config.itsp.phone_reg_expires).count());
      }
    }
    if (status < 300 && f.is_invite) f.established = true;
    if (!self.transactions().send_response(now, f.server, status, std::move(relayed)) &&
        status < 300) {
      forward_response_statelessly(now, response);
    }
    f.final_sent = true;
    erase(cid);
  }

  void on_abandoned_response(TimePoint now, Forward& f, const sip::Message& response) {
    const int status = response.status_code();
    if (status < 200) {
      f.provisional_seen = true;
      if (f.is_invite && !f.cancelled) {
        f.cancelled = true;
        send_cancel(now, f);
      }
      return;
    }
    if (status < 300 && f.is_invite) {
      hang_up_late_answer(now, f, response);
      // Its retransmissions must be absorbed, never relayed as if nobody knew the call.
      while (!hung_up.empty() && hung_up.front().second + self.transactions().timers().timer_m() < now) {
        hung_up.pop_front();
      }
      hung_up.emplace_back(std::string(response.call_id()), now);
    }
    erase(f.client);
  }

  bool was_hung_up(std::string_view call_id) const {
    for (const auto& [id, at] : hung_up) {
      if (id == call_id) return true;
    }
    return false;
  }

  void on_client_error(TimePoint now, ClientTransactionId cid, TransactionError error) {
    if (itsp && itsp->on_client_error(now, cid)) return;
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
    if (f.abandoned) {
      erase(cid);
      return;
    }
    if (f.kind != Kind::Local && !f.cancelled && !f.final_sent) {
      fail_over(now, f,
                error == TransactionError::TransportError
                    ? std::optional(TrafficFailure::TransportError)
                    : std::optional(TrafficFailure::NoAnswer),
                error == TransactionError::TransportError ? "transport_error" : "timeout");
      erase(cid);
      return;
    }
    ++counters.timeouts;
    if (f.cancelled) {
      finish_with(now, f, 487, "Request Terminated");
    } else if (error == TransactionError::TransportError) {
      finish_with(now, f, 503, "Service Unavailable");
    } else {
      finish_with(now, f, 408, "Request Timeout");
    }
  }

  // §16.7 / §18.2.2 without a transaction: drop our Via, send to the next one.
  void forward_response_statelessly(TimePoint now, const sip::Message& response) {
    if (!is_our_via(response.top_via())) return;  // not ours: drop (§18.1.2)
    auto stripped = sip::Message::parse(strip_top_via(response));
    if (!stripped || stripped->via_count() == 0) return;
    const auto& next = stripped->top_via();
    const Transport transport = sip::text::iequals(next.transport, "TLS")   ? Transport::Tls
                                : sip::text::iequals(next.transport, "TCP") ? Transport::Tcp
                                                                             : Transport::Udp;
    const std::string ip = next.received ? std::string(*next.received) : unbracket(next.host);
    const std::uint16_t port =
        next.rport ? *next.rport : next.port.value_or(transport == Transport::Tls ? 5061 : 5060);
    trace(now, "route.response_forwarded_statelessly", [&](TraceEvent& e) {
      e.with("status", std::to_string(response.status_code()))
          .with("call_id", std::string(response.call_id()));
    });
    self.transactions().send_stateless(now, {transport, Address{ip, port}, StreamId{}},
                                       std::string(stripped->bytes()));
  }

  // --- ACK for 2xx: end to end, statelessly (§16.6 with no transaction) ---------------------

  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) {
    if (ack.max_forwards() == 0u) return;
    if (stateless_ack(ack)) return;  // for our stateless non-2xx: the transaction ends here
    const auto routes = route_values(ack);
    std::size_t pop = 0;
    while (pop < routes.size() && route_is_us(routes[pop])) ++pop;
    // The exit rule as for any request (an ACK gets no answer: refused ones are dropped). From
    // outside the trusted ranges it passes within a dialog we are part of: along our own
    // Record-Route to the hop its MAC names, or to a phone registered here.
    ExitCheck check{.our_dialog = dialog_verified(ack, routes, pop)};
    std::optional<transport::Destination> dest;
    std::optional<std::string> request_uri;
    if (pop < routes.size()) {
      auto na = sip::parse_name_addr(routes[pop]);
      auto next = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
      if (next) dest = destination_of(*next);
    } else if (const registrar::Binding* phone = location.find_by_contact(ack.request_uri(), now)) {
      dest = destination_of(*phone);
      check.hop = Hop::Binding;
      check.binding = phone;
    } else if (auto ruri = sip::parse_uri(ack.request_uri())) {
      if (is_our_domain(*ruri) && !ruri->user.empty()) {
        if (const auto* b = location.latest(std::string(location.resolve_alias(ruri->user)), now)) {
          dest = destination_of(*b);
          request_uri = b->contact;
          check.hop = Hop::Binding;
          check.binding = b;
        }
      } else {
        dest = destination_of(*ruri);
      }
    }
    if (!dest) return;
    auto q = exit_query(path, *dest, check);
    auto verdict = security::check_exit(q);
    if (!security::allowed(verdict) && q.sender == security::Sender::Untrusted && ack_authenticated(now, ack, path)) {
      q.sender = security::Sender::Authenticated;
      verdict = security::check_exit(q);
    }
    if (!security::allowed(verdict)) {
      ++counters.exit_refused;
      trace(now, "security.ack_refused", [&](TraceEvent& e) {
        e.with("call_id", std::string(ack.call_id()))
            .with("source", path.remote.to_string())
            .with("exit", std::string(security::to_string(q.exit)))
            .with("to", dest->remote.to_string());
      });
      return;
    }
    count_exit(now, ack, path, *dest, q, verdict);
    auto edits = edits_for(ack, path, std::move(request_uri), *dest, pop, false,
                           q.sender == security::Sender::Untrusted);
    trace(now, "route.ack_forwarded", [&](TraceEvent& e) {
      e.with("call_id", std::string(ack.call_id()))
          .with("to", dest->remote.to_string());
    });
    self.transactions().send_stateless(now, *dest, rewrite_request(ack, edits));
  }

  // RFC 3261 §13.2.2.4: the ACK for a 2xx carries the INVITE's credentials, computed for INVITE
  // with the INVITE's nc (so replay protection calls it a replay: valid credentials, used before).
  // A locked-out pair's ACK is no more authenticated than its INVITE would be.
  bool ack_authenticated(TimePoint now, const sip::Message& ack, const Path& path) {
    if (!digest) return false;
    const auto chosen = credentials_for_us(ack, sip::HeaderId::ProxyAuthorization);
    if (!chosen) return false;
    if (auto parsed = security::parse_digest_credentials(*chosen);
        !parsed || (auth_guard && auth_guard->locked_for(now, path.remote.ip, parsed->username) >
                                      Duration::zero())) {
      return false;
    }
    const auto outcome = digest->verify(now, "INVITE", *chosen).outcome;
    return outcome == security::DigestOutcome::Ok || outcome == security::DigestOutcome::Replay;
  }

  // --- REGISTER ---------------------------------------------------------------------------

  // Normal operation: REGISTERs go to the ITSP and its 2xx is cached. Standalone and failure
  // operation (or this REGISTER just failed at the ITSP, `force_local`): answered here, from
  // trusted or authenticated sources only, with the short expiry while the ITSP is down.
  void on_register(TimePoint now, ServerTransactionId id, const sip::Message& request,
                   const Path& path, bool force_local) {
    ++counters.registers;
    const SourceClass source = classify(path, false);
    if (!force_local && forwards_to_itsp() && itsp_usable()) {
      if (throttled(now, id, request, path)) return;
      if (forward_to_itsp(now, id, request, path, 0, source, Kind::ItspRegister)) return;
    }
    if (source != SourceClass::Endpoint && source != SourceClass::Gateway) {
      // Outside the trusted ranges: digest credentials of this very user, or nothing. A cached
      // registration of the same user does not count (another device must not inherit it).
      if (!challenges(request)) {
        ++counters.forbidden;
        respond(now, id, request, 403, "Forbidden");
        return;
      }
      const auto verdict = check_credentials(now, request, path);
      if (!verdict.is_ok()) {
        challenge(now, id, request, verdict);
        return;
      }
      const std::string aor_user = header_user(request, sip::HeaderId::To);
      if (aor_user.empty() || aor_user != verdict.username) {
        ++counters.forbidden;
        respond(now, id, request, 403, "Forbidden");  // the seed: auth user = registered user
        return;
      }
    }
    const bool failure = forwards_to_itsp();
    auto& planner = failure ? failure_registrar : registrar;
    auto plan = planner.plan(request, path, now);
    if (plan.is_error()) {
      respond(now, id, request, plan.status, plan.reason, plan.headers);
      return;
    }
    if (users_in_flight.contains(plan.user)) {
      // One store write per AOR at a time: this REGISTER waits for the one in flight.
      if (queued_register_count >= config.max_queued_registers) {
        ++counters.overload_rejected;
        respond(now, id, request, 503, "Service Unavailable", {{"Retry-After", "2"}});
        return;
      }
      queued_registers[plan.user].emplace_back(id, path);
      ++queued_register_count;
      return;
    }
    if (!plan.changes_anything()) {
      respond(now, id, request, 200, "OK", registrar.contact_headers(plan.user, now));
      return;
    }
    StoreWrite write;
    write.id = next_store_id++;
    for (const auto& b : plan.upserts) {
      write.records.push_back({registrar::binding_key(b.user, b.contact),
                               registrar::encode_binding(b, config.wall_clock_offset)});
    }
    for (const auto& contact : plan.removals) {
      write.records.push_back({registrar::binding_key(plan.user, contact), std::nullopt});
    }
    users_in_flight.insert(plan.user);
    const std::uint64_t store_id = write.id;
    self.emit_store(std::move(write));
    pending_store.emplace(store_id, PendingRegister{id, std::move(plan)});
  }

  // Registration throttling: a refresh of a binding the ITSP granted, from the same device (its
  // Call-ID, contact and address), while the grant has more than twice the phones' expiry left,
  // is answered here with the phones' expiry and not forwarded.
  bool throttled(TimePoint now, ServerTransactionId id, const sip::Message& request, const Path& path) {
    const Duration phone = config.itsp.phone_reg_expires;
    if (phone <= Duration::zero()) return false;
    auto plan = cache_registrar.plan(request, path, now);
    if (plan.is_error() || plan.upserts.size() != 1 || !plan.removals.empty()) return false;
    const registrar::Binding& fresh = plan.upserts.front();
    const registrar::Binding* cached = location.find(plan.user, fresh.contact);
    if (cached == nullptr || !cached->from_itsp || cached->call_id != fresh.call_id ||
        cached->source.remote != path.remote || cached->source.transport != path.transport ||
        cached->expires_at - now <= 2 * phone) {
      return false;
    }
    registrar::Binding kept = *cached;
    kept.cseq = fresh.cseq;  // the ITSP's grant stands; only the order of refreshes moves on
    location.upsert(std::move(kept));
    ++counters.throttled;
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(phone).count();
    respond(now, id, request, 200, "OK",
            {{"Contact", "<" + fresh.contact + ">;expires=" + std::to_string(seconds)}});
    return true;
  }

  // The ITSP said 2xx to a REGISTER we forwarded: cache the phone's own contacts with the expiry
  // the ITSP granted (its Contact list is authoritative: one of ours missing means removed). The
  // 2xx is relayed at once; the cache is written behind it (the ITSP holds the registration).
  void cache_itsp_registration(TimePoint now, const Forward& f, const sip::Message& response) {
    const sip::Message* request = self.transactions().server_request(f.server);
    if (request == nullptr) return;
    auto plan = cache_registrar.plan(*request, f.from, now);
    if (plan.is_error()) return;  // out of order (an older REGISTER's answer) or unparsable
    std::vector<sip::NameAddr> granted;
    for (const auto& field : response.headers()) {
      if (field.id != sip::HeaderId::Contact) continue;
      if (auto list = sip::parse_name_addr_list(field.value)) {
        granted.insert(granted.end(), list->begin(), list->end());
      }
    }
    std::optional<std::int64_t> header_expires;
    if (const auto* e = response.first(sip::HeaderId::Expires)) {
      std::int64_t v = 0;
      const auto text = sip::text::trim(e->value);
      if (std::from_chars(text.data(), text.data() + text.size(), v).ec == std::errc{}) header_expires = v;
    }
    std::vector<registrar::Binding> kept;
    for (auto& b : plan.upserts) {
      std::optional<std::int64_t> expires;
      bool listed = false;
      for (const auto& g : granted) {
        if (!sip::uri_equal(g.uri, b.contact)) continue;
        listed = true;
        if (auto p = g.param("expires")) {
          std::int64_t v = 0;
          if (std::from_chars(p->data(), p->data() + p->size(), v).ec == std::errc{}) expires = v;
        }
      }
      if (!expires) expires = header_expires;
      if ((!granted.empty() && !listed) || (expires && *expires <= 0)) {
        plan.removals.push_back(b.contact);
        continue;
      }
      if (expires) b.expires_at = now + std::chrono::seconds(*expires);
      b.from_itsp = true;
      kept.push_back(std::move(b));
    }
    plan.upserts = std::move(kept);
    if (!plan.changes_anything()) return;
    StoreWrite write;
    write.id = next_store_id++;  // nobody waits: the ITSP holds the registration
    for (const auto& b : plan.upserts) {
      write.records.push_back({registrar::binding_key(b.user, b.contact),
                               registrar::encode_binding(b, config.wall_clock_offset)});
      trace(now, "reg.cached", [&](TraceEvent& e) {
        e.with("user", b.user)
            .with("contact", b.contact)
            .with("expires_s", seconds_until(b.expires_at, now));
      });
    }
    for (const auto& contact : plan.removals) {
      if (location.find(plan.user, contact) == nullptr) continue;
      write.records.push_back({registrar::binding_key(plan.user, contact), std::nullopt});
      trace(now, "reg.uncached", [&](TraceEvent& e) {
        e.with("user", plan.user)
            .with("contact", contact);
      });
    }
    cache_registrar.apply(plan);
    if (!write.records.empty()) self.emit_store(std::move(write));
    rearm_expiry();
    if (!keepalive_timer.is_set()) arm_keepalive(now);
  }

  // reg_forwarding_timeout: the REGISTER's contacts leave the cache.
  void uncache(TimePoint now, const sip::Message& request) {
    auto plan = cache_registrar.plan(request, Path{}, now);
    if (plan.user.empty()) return;
    StoreWrite write;
    write.id = next_store_id++;
    const auto drop = [&](const std::string& contact) {
      if (location.remove(plan.user, contact)) {
        write.records.push_back({registrar::binding_key(plan.user, contact), std::nullopt});
        trace(now, "reg.uncached", [&](TraceEvent& e) {
          e.with("user", plan.user)
              .with("contact", contact);
        });
      }
    };
    for (const auto& b : plan.upserts) drop(b.contact);
    for (const auto& c : plan.removals) drop(c);
    if (!write.records.empty()) self.emit_store(std::move(write));
    rearm_expiry();
  }

  void on_store_done(TimePoint now, std::uint64_t store_id, StoreOutcome outcome) {
    if (kill_stored(store_id, outcome)) return;
    const auto it = pending_store.find(store_id);
    if (it == pending_store.end()) return;
    PendingRegister pending = std::move(it->second);
    pending_store.erase(it);
    const std::string user = pending.plan.user;
    users_in_flight.erase(user);
    const sip::Message* request = self.transactions().server_request(pending.server);
    if (outcome == StoreOutcome::Ok) {
      registrar.apply(pending.plan);
      for (const auto& b : pending.plan.upserts) {
        trace(now, "reg.binding_saved", [&](TraceEvent& e) {
          e.with("user", b.user)
              .with("contact", b.contact)
              .with("expires_s", seconds_until(b.expires_at, now));
        });
      }
      for (const auto& c : pending.plan.removals) {
        trace(now, "reg.binding_removed", [&](TraceEvent& e) {
          e.with("user", user)
              .with("contact", c);
        });
      }
      rearm_expiry();
      if (!keepalive_timer.is_set()) arm_keepalive(now);
      if (request != nullptr) {
        respond(now, pending.server, *request, 200, "OK", registrar.contact_headers(user, now));
      }
    } else {
      ++counters.store_failures;
      trace(now, "reg.store_failed", [&](TraceEvent& e) { e.with("user", user); });
      if (request != nullptr) {
        respond(now, pending.server, *request, 500, "Server Internal Error",
                {{"Retry-After", "5"}});
      }
    }
    // The next REGISTER of this user, planned against the state just confirmed.
    const auto queued = queued_registers.find(user);
    if (queued == queued_registers.end()) return;
    while (!queued->second.empty() && !users_in_flight.contains(user)) {
      const auto [next, next_path] = queued->second.front();
      queued->second.pop_front();
      --queued_register_count;
      if (const sip::Message* r = self.transactions().server_request(next)) {
        on_register(now, next, *r, next_path, /*force_local=*/true);
      }
    }
    if (queued->second.empty()) queued_registers.erase(queued);
  }

  // --- expiry -----------------------------------------------------------------------------

  void rearm_expiry() {
    const auto next = location.next_expiry();
    // Usually unchanged (a refresh moves a later expiry): keep the timer then.
    if (next && expiry_timer.is_set() && expiry_timer.at == *next) return;
    self.timers().cancel(expiry_timer);
    if (next) {
      expiry_timer = self.timers().schedule(*next, [this](TimePoint now) { on_expiry(now); });
    }
  }

  void on_expiry(TimePoint now) {
    expiry_timer = TimerId{};
    auto expired = location.take_expired(now);
    if (failure_operation()) {
      // The seed: cached registrations do not expire while the ITSP is down. Held for another
      // itsp_down_reg_expires at a time, durably, so a restart during the outage keeps them.
      StoreWrite held;
      held.id = next_store_id++;
      std::vector<registrar::Binding> rest;
      for (auto& b : expired) {
        if (!b.from_itsp) {
          rest.push_back(std::move(b));
          continue;
        }
        b.expires_at = now + config.itsp.itsp_down_reg_expires;
        held.records.push_back({registrar::binding_key(b.user, b.contact),
                                registrar::encode_binding(b, config.wall_clock_offset)});
        location.upsert(std::move(b));
      }
      if (!held.records.empty()) self.emit_store(std::move(held));
      expired = std::move(rest);
    }
    if (!expired.empty()) {
      StoreWrite write;
      write.id = next_store_id++;  // nobody waits for it: a failure only leaves a stale record
      for (const auto& b : expired) {
        trace(now, "reg.binding_expired", [&](TraceEvent& e) {
          e.with("user", b.user)
              .with("contact", b.contact);
        });
        write.records.push_back({registrar::binding_key(b.user, b.contact), std::nullopt});
      }
      self.emit_store(std::move(write));
    }
    rearm_expiry();
  }

  // --- management ---------------------------------------------------------------------------

  std::vector<std::string> aliases_of(const std::string& user) const {
    std::vector<std::string> out;
    for (const auto& a : config.aliases) {
      if (a.user == user) out.push_back(a.alias);
    }
    return out;
  }

  // One typed command; the reply is an effect, now or — for what writes to the store — once the
  // write is done.
  void command(TimePoint now, const AdminCommand& cmd) {
    std::visit(
        [&](const auto& request) {
          using R = std::decay_t<decltype(request)>;
          if constexpr (std::is_same_v<R, admin::ShowRegistrations>) {
            self.reply(cmd.id, registrations(now));
          } else if constexpr (std::is_same_v<R, admin::KillRegistration>) {
            kill_registration(now, cmd.id, request.index);
          } else if constexpr (std::is_same_v<R, admin::ShowItsp>) {
            self.reply(cmd.id, itsp_status(now));
          } else if constexpr (std::is_same_v<R, admin::ShowCounters>) {
            self.reply(cmd.id, read_counters(counter_sources()));
          } else if constexpr (std::is_same_v<R, admin::ShowBans>) {
            self.reply(cmd.id, bans(now));
          } else if constexpr (std::is_same_v<R, admin::Unban>) {
            if (!flood.unban(now, request.source)) {
              self.reply(cmd.id, admin::Refused{request.source + " is not banned (see show bans)"});
              return;
            }
            trace(now, "security.source_unbanned", [&](TraceEvent& e) { e.with("source", request.source); });
            self.reply(cmd.id, admin::Done{"unbanned " + request.source});
          }
        },
        cmd.request);
  }

  CounterSources counter_sources() const {
    return CounterSources{.proxy = counters,
                          .transport = self.transport().counters(),
                          .gateway_open_calls = gateway_limiter.open_calls(),
                          .server_transactions = self.transactions().server_count(),
                          .streams_open = self.transport().open_streams()};
  }

  // Numbered from 1, in the location service's order (`show reg`, `kill reg N`).
  admin::Registrations registrations(TimePoint now) const {
    admin::Registrations out;
    for (const registrar::Binding* b : location.all()) {
      admin::RegistrationRow row;
      row.index = out.rows.size() + 1;
      row.user = b->user;
      row.aliases = aliases_of(b->user);
      row.contact = b->contact;
      row.source = b->source.remote.to_string();
      row.transport = sip::text::lowercase(resproxy::to_string(b->source.transport));
      row.expires_in_s = std::chrono::ceil<std::chrono::seconds>(b->expires_at - now).count();
      row.from_itsp = b->from_itsp;
      out.rows.push_back(std::move(row));
    }
    return out;
  }

  // Removed from memory at once; answered when the record is gone from the store too.
  void kill_registration(TimePoint now, std::uint64_t command_id, std::size_t n) {
    const auto all = location.all();
    if (n == 0 || n > all.size()) {
      self.reply(command_id, admin::Refused{"no registration '" + std::to_string(n) + "'; valid: 1.." +
                                             std::to_string(all.size()) + " (see show reg)"});
      return;
    }
    const registrar::Binding victim = *all[n - 1];
    location.remove(victim.user, victim.contact);
    StoreWrite write;
    write.id = next_store_id++;
    write.records.push_back({registrar::binding_key(victim.user, victim.contact), std::nullopt});
    pending_kills[write.id] = {command_id, std::to_string(n) + " " + victim.user + " " + victim.contact};
    self.emit_store(std::move(write));
    rearm_expiry();
    trace(now, "reg.binding_killed", [&](TraceEvent& e) {
      e.with("user", victim.user)
          .with("contact", victim.contact);
    });
  }

  // The answer to a kill reg, once its store write is done.
  bool kill_stored(std::uint64_t store_id, StoreOutcome outcome) {
    const auto it = pending_kills.find(store_id);
    if (it == pending_kills.end()) return false;
    const auto [command_id, what] = it->second;
    pending_kills.erase(it);
    if (outcome == StoreOutcome::Ok) {
      self.reply(command_id, admin::Done{"killed " + what});
    } else {
      ++counters.store_failures;
      self.reply(command_id, admin::Refused{"removed " + what +
                                             " from memory, but the store could not delete it: it "
                                             "returns after a restart unless it expires first"});
    }
    return true;
  }

  admin::ItspStatus itsp_status(TimePoint now) const {
    admin::ItspStatus out;
    out.mode = std::string(to_string(config.mode));
    if (!itsp) return out;
    out.has_itsp = true;
    out.failure_operation = failure_operation();
    for (std::size_t i = 0; i < itsp->size(); ++i) {
      const auto& h = itsp->health(i);
      out.proxies.push_back({.index = i + 1,
                             .name = itsp->target(i).name,
                             .address = itsp->target(i).destination.remote.to_string(),
                             .state = std::string(to_string(h.state())),
                             .since_s = std::chrono::floor<std::chrono::seconds>(now - h.state_since()).count(),
                             .transitions = h.transitions()});
    }
    out.probes_sent = itsp->probes_sent();
    return out;
  }

  admin::Bans bans(TimePoint now) const {
    admin::Bans out;
    for (const auto& b : flood.bans(now)) {
      out.rows.push_back({b.source, std::chrono::ceil<std::chrono::seconds>(b.until - now).count(), b.dropped});
    }
    return out;
  }
};

ProxyNode::ProxyNode(ProxyConfig config, std::vector<StoreRecord> stored, Rng& rng,
                     TraceSink& trace)
    : SipNode(transaction::SipNodeConfig{.transport = {.local = config.local,
                                                       .tls_port = config.tls_port,
                                                       .max_message_size = config.max_message_size,
                                                       .max_streams = config.num_sockets,
                                                       .max_streams_per_source = config.tcp_max_per_source,
                                                       .header_timeout = config.tcp_header_timeout,
                                                       .idle_timeout = config.tcp_idle_timeout,
                                                       .tls_handshakes_per_minute = config.tls_handshakes_per_minute},
                                         .timers = config.timers},
              rng, trace),
      impl_(std::make_unique<Impl>(*this, std::move(config))) {
  // Records of the old format ("b1", binding.h) hold steady-clock times of the run that wrote
  // them. Unless the host rebooted since, the steady clock went on and they are right; after a
  // reboot it started again, and a binding registered "after" our start or expiring later than
  // any registration may is from another boot: dropped (the phone registers again at its next
  // refresh). What is kept is written again in the new format.
  std::size_t legacy_kept = 0, legacy_dropped = 0;
  const TimePoint start = impl_->config.start;
  for (const auto& record : stored) {
    if (!record.value || !record.key.starts_with(registrar::kBindingKeyPrefix)) continue;
    bool legacy = false;
    auto b = registrar::decode_binding(*record.value, impl_->config.wall_clock_offset, &legacy);
    if (!b) continue;
    if (legacy) {
      if (b->registered_at > start || b->expires_at > start + impl_->config.registrar.max_expires) {
        ++legacy_dropped;
        continue;
      }
      ++legacy_kept;
    }
    impl_->location.upsert(std::move(*b));
  }
  if (legacy_kept + legacy_dropped > 0) {
    impl_->trace(start, "registrar.legacy_records", [&](TraceEvent& e) {
      e.with("kept", std::to_string(legacy_kept)).with("dropped", std::to_string(legacy_dropped));
    });
    impl_->restore_all_bindings();
  }
  // TCP limits: the office's own connections are not capped per source nor closed when idle, and
  // neither is a connection a registration lives on.
  transport().set_stream_policy(
      [this](const Path& p) { return impl_->is_office(p); },
      [this](StreamId s) { return impl_->stream_pinned(s); },
      // One host's IPv6 privacy addresses are one source: the cap is per /64.
      [](const Address& a) { return security::source_key(a.ip, nullptr).value_or(a.ip); });
  // The dialog MAC keys of the previous run: dialogs record-routed before a restart still verify.
  for (const auto& record : stored) {
    if (record.key == kDialogMacKey && record.value) impl_->dialog_mac = security::DialogMac::decode(*record.value);
  }
  if (!impl_->dialog_mac) {
    impl_->dialog_mac = security::DialogMac::generate(rng);
    impl_->store_dialog_key();
  }
  impl_->rearm_expiry();
}

ProxyNode::~ProxyNode() = default;

void ProxyNode::set_local_address(Address local) {
  impl_->config.local = local;
  transport().set_local(std::move(local));
}

void ProxyNode::emit_store(StoreWrite write) { emit_effect(std::move(write)); }

void ProxyNode::handle_completion(TimePoint now, const Completion& completion) {
  if (const auto* store = std::get_if<StoreDone>(&completion)) {
    impl_->on_store_done(now, store->id, store->outcome);
  }
}

void ProxyNode::handle_command(TimePoint now, const AdminCommand& command) {
  impl_->command(now, command);
}

void ProxyNode::handle_wall_clock(TimePoint now, Duration since_unix_epoch) {
  auto& impl = *impl_;
  const Duration offset = since_unix_epoch - now.time_since_epoch();
  const Duration step = offset - impl.config.wall_clock_offset;
  impl.config.wall_clock_offset = offset;
  // Under a second is the runtime's own jitter between two clock reads, not a step.
  if (std::chrono::abs(step) < std::chrono::seconds(1)) return;
  impl.trace(now, "clock.wall_clock_stepped", [&](TraceEvent& e) {
    e.with("step_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(step).count()));
  });
  // What is stored must say the same instants in the new wall time, or a restart would find
  // every binding a step too early or too late.
  impl.restore_all_bindings();
}

void ProxyNode::handle_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) {
  auto& impl = *impl_;
  impl.interfaces.set(security::classify_interfaces(interfaces, impl.config.interfaces));
  impl.trust_cache_ip = "-";  // what was trusted may no longer be
  for (const auto& i : impl.interfaces.list()) {
    impl.trace(now, "net.interface", [&](TraceEvent& e) {
      std::string subnets;
      for (const auto& n : interfaces) {
        if (n.index != i.index) continue;
        for (const auto& network : n.networks) subnets += (subnets.empty() ? "" : " ") + network;
      }
      e.with("name", i.name)
          .with("index", std::to_string(i.index))
          .with("role", std::string(security::to_string(i.role)))
          .with("networks", subnets);
    });
  }
}

void ProxyNode::handle_receive_delay(TimePoint now, Duration delay) {
  auto& impl = *impl_;
  if (impl.config.overload_delay <= Duration::zero() || delay < impl.config.overload_delay) return;
  if (now >= impl.overload_until) {
    ++impl.counters.overload_episodes;
    impl.trace(now, "security.overloaded", [&](TraceEvent& e) {
      e.with("receive_delay_ms",
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()));
    });
  }
  impl.overload_until = now + std::chrono::seconds(1);
  if (delay >= 5 * impl.config.overload_delay) impl.severe_until = now + std::chrono::seconds(1);
}

bool ProxyNode::overloaded(TimePoint now) const { return now < impl_->overload_until; }

void ProxyNode::on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                           const Path& path) {
  impl_->on_request(now, id, request, path);
}

void ProxyNode::on_ack(TimePoint now, const sip::Message& ack, const Path& path) {
  impl_->on_ack(now, ack, path);
}

void ProxyNode::on_response(TimePoint now, ClientTransactionId id, const sip::Message& response) {
  impl_->on_response(now, id, response);
}

bool ProxyNode::admits(TimePoint now, const Path& path, std::size_t bytes) {
  const auto& c = impl_->config;
  if (security::any_contains(c.ignored, path.remote.ip)) return false;
  if (impl_->is_gateway(path.remote) && c.pstn_gateway.from_action == GatewayFromAction::Ignore) {
    return false;
  }
  return impl_->admit(now, path, bytes);
}

// A response that matches none of our client transactions (RFC 6026's 2xx retransmissions match
// the Accepted INVITE transaction and never come here). RFC 3261 §16.7 would forward it
// statelessly along its Vias; we do not — a deliberate departure: whoever sends one could
// direct it at any host by its second Via. Dropped and counted.
void ProxyNode::on_stray_response(TimePoint now, const sip::Message& response, const Path& path) {
  ++impl_->counters.stray_responses_dropped;
  impl_->trace(now, "security.stray_response_ignored", [&](TraceEvent& e) {
    e.with("status", std::to_string(response.status_code()))
        .with("call_id", std::string(response.call_id()))
        .with("source", path.remote.to_string());
  });
}

void ProxyNode::on_client_error(TimePoint now, ClientTransactionId id, TransactionError error) {
  impl_->on_client_error(now, id, error);
}

void ProxyNode::on_server_error(TimePoint, ServerTransactionId id, TransactionError) {
  const auto it = impl_->by_server.find(id.value);
  if (it != impl_->by_server.end()) impl_->erase(ClientTransactionId{it->second});
}

const ProxyCounters& ProxyNode::counters() const { return impl_->counters; }
const ProxyConfig& ProxyNode::config() const { return impl_->config; }
std::size_t ProxyNode::binding_count() const { return impl_->location.size(); }
bool ProxyNode::in_failure_operation() const { return impl_->failure_operation(); }

admin::Registrations ProxyNode::registrations(TimePoint now) const {
  return impl_->registrations(now);
}

admin::Counters ProxyNode::counter_values() const { return read_counters(impl_->counter_sources()); }

}  // namespace resproxy::routing
