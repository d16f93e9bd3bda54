#include "proxy/routing/proxy_node.h"

#include <charconv>
#include <deque>
#include <map>
#include <set>

#include "proxy/registrar/registrar.h"
#include "proxy/routing/forwarding.h"
#include "proxy/routing/request_checks.h"
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

std::string unbracket(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string out(host);
  for (auto& c : out) c = sip::text::to_lower(c);
  return out;
}

bool is_ip_literal(std::string_view host) {
  return security::parse_ip(unbracket(host)).has_value();
}

// Methods whose out-of-dialog request creates a dialog (RFC 3261 §12, RFC 6665, RFC 3515).
bool creates_dialog(sip::Method m) {
  return m == sip::Method::Invite || m == sip::Method::Subscribe || m == sip::Method::Refer ||
         m == sip::Method::Notify;
}

}  // namespace

using ControlReply = ProxyNode::ControlReply;

struct ProxyNode::Impl {
  struct Forward {
    ServerTransactionId server;
    ClientTransactionId client;
    bool is_invite = false;
    bool provisional_seen = false;
    bool final_sent = false;
    bool cancel_pending = false;  // CANCEL arrived before any provisional (§9.1: wait)
    bool cancelled = false;
    transport::Destination dest;
    TimerId timer_c;
  };
  struct PendingRegister {
    ServerTransactionId server;
    registrar::RegisterPlan plan;
  };

  Impl(ProxyNode& node, ProxyConfig cfg)
      : self(node),
        config(std::move(cfg)),
        registrar(registrar::RegistrarLimits{.min_expires = config.registrar.min_expires,
                                             .max_expires = config.registrar.max_expires,
                                             .default_expires = config.registrar.default_expires,
                                             .max_bindings_per_aor =
                                                 config.registrar.max_bindings_per_aor,
                                             .max_bindings = config.registrar.max_bindings},
                  location) {
    trusted = config.trusted;
    if (config.trust_defaults) {
      const auto defaults = security::default_trusted_ranges();
      trusted.insert(trusted.end(), defaults.begin(), defaults.end());
    }
    for (const auto& a : config.aliases) location.add_alias(a.alias, a.user);
    for (const auto& d : config.directory) location.add_directory_entry(d.user, d.contact);
  }

  ProxyNode& self;
  ProxyConfig config;
  registrar::LocationService location;
  registrar::Registrar registrar;
  std::vector<security::IpRange> trusted;
  ProxyCounters counters;
  TimerId expiry_timer;
  TimerId keepalive_timer;
  std::uint64_t next_store_id = 1;
  std::map<std::uint64_t, PendingRegister> pending_store;
  std::map<std::string, std::deque<std::pair<ServerTransactionId, Path>>, std::less<>> queued_registers;
  std::set<std::string, std::less<>> users_in_flight;
  std::map<std::uint64_t, Forward> by_client;
  std::map<std::uint64_t, std::uint64_t> by_server;

  // --- helpers ---------------------------------------------------------------------------

  void trace(TraceEvent event) {
    if (self.trace().enabled()) self.trace().emit(event);
  }

  bool is_trusted(const Address& source) const {
    return security::any_contains(trusted, source.ip);
  }

  bool is_us(const sip::Uri& uri) const {
    const std::string host = unbracket(uri.host);
    const std::uint16_t port = uri.port.value_or(5060);
    return host == unbracket(config.local.ip) && port == config.local.port;
  }

  bool is_our_domain(const sip::Uri& uri) const {
    const std::string host = unbracket(uri.host);
    if (host == unbracket(config.realm)) return true;
    return host == unbracket(config.local.ip) && uri.port.value_or(config.local.port) == config.local.port;
  }

  bool route_is_us(std::string_view route) const {
    auto na = sip::parse_name_addr(route);
    if (!na) return false;
    auto uri = sip::parse_uri(na->uri);
    return uri && is_us(*uri);
  }

  std::string our_uri(Transport transport) const {
    std::string uri = "sip:" + config.local.to_string();
    if (transport == Transport::Tcp) uri += ";transport=tcp";
    return uri;
  }

  void respond(TimePoint now, ServerTransactionId id, const sip::Message& request, int status,
               std::string_view reason, std::vector<sip::ExtraHeader> extra = {}) {
    if (status >= 300) {
      ++counters.rejected;
      trace(TraceEvent{now, "route.rejected", {}}
                .with("method", std::string(request.method_token()))
                .with("status", std::to_string(status))
                .with("reason", std::string(reason))
                .with("call_id", std::string(request.call_id())));
    }
    if (config.server_header) extra.push_back({"Server", std::string(kServer)});
    const std::string tag = status > 100 && request.to_tag().empty() ? self.rng().token(10) : "";
    self.transactions().send_response(now, id, status,
                                      sip::make_response(request, status, reason, tag, extra));
  }

  // Where a URI points when no binding is known: its host (an IP literal: no DNS yet), its port
  // or 5060, its transport parameter or UDP.
  std::optional<transport::Destination> destination_of(const sip::Uri& uri) const {
    if (!is_ip_literal(uri.host)) return std::nullopt;
    Transport transport = Transport::Udp;
    if (auto t = uri.param("transport"); t && sip::text::iequals(*t, "tcp")) {
      transport = Transport::Tcp;
    }
    return transport::Destination{transport, Address{unbracket(uri.host), uri.port.value_or(5060)},
                                  StreamId{}};
  }

  // A registered phone is reached where its REGISTER came from: the received address and port
  // (NAT) and, over TCP, its own connection. If that connection is gone, a new one goes to the
  // Contact's address (the phone's listening port), not to the old ephemeral source port.
  transport::Destination destination_of(const registrar::Binding& b) const {
    if (b.source.transport == Transport::Tcp && !self.transport().is_stream_open(b.source.stream)) {
      if (auto uri = sip::parse_uri(b.contact)) {
        if (auto dest = destination_of(*uri)) {
          dest->transport = Transport::Tcp;
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
      if (b->source.transport != Transport::Tcp || b->expires_at <= now) continue;
      if (!self.transport().is_stream_open(b->source.stream)) continue;
      if (!pinged.insert(b->source.stream.value).second) continue;
      self.transport().send_keepalive_ping(now, b->source.stream);
    }
    if (!pinged.empty()) {
      trace(TraceEvent{now, "transport.keepalives_sent", {}}.with("count", std::to_string(pinged.size())));
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

  bool is_loop(const sip::Message& request) const {
    std::string hash;  // computed only if one of the Vias is ours: most requests have none
    for (const auto& field : request.headers()) {
      if (field.id != sip::HeaderId::Via) continue;
      auto vias = sip::parse_via_list(field.value);
      if (!vias) continue;
      for (const auto& via : *vias) {
        const std::string host = unbracket(via.info.host);
        if (host != unbracket(config.local.ip) || via.info.port.value_or(5060) != config.local.port) {
          continue;
        }
        if (hash.empty()) hash = loop_hash(request, our_sent_by());
        const std::string_view branch = via.info.branch;
        if (branch.size() >= 7 + hash.size() && branch.substr(7, hash.size()) == hash) return true;
      }
    }
    return false;
  }

  // --- requests ----------------------------------------------------------------------------

  void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                  const Path& path) {
    ++counters.requests;
    if (!is_trusted(path.remote)) {
      // Until digest authentication (issue #4), only trusted sources are served.
      ++counters.forbidden;
      respond(now, id, request, 403, "Forbidden");
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
    if (pop < routes.size()) {  // loose routing: the next hop is the next Route (§16.4, §16.6)
      auto na = sip::parse_name_addr(routes[pop]);
      auto next = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
      auto dest = next ? destination_of(*next) : std::nullopt;
      if (!dest) {
        respond(now, id, request, 404, "Not Found");
        return;
      }
      forward(now, id, request, path, std::nullopt, *dest, pop);
      return;
    }
    if (request.method() == sip::Method::Register && is_our_domain(*ruri)) {
      on_register(now, id, request, path);
      return;
    }
    if (is_our_domain(*ruri)) {
      if (ruri->user.empty()) {
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
      const std::string user = std::string(location.resolve_alias(ruri->user));
      if (const registrar::Binding* b = location.latest(user, now)) {
        forward(now, id, request, path, b->contact, destination_of(*b), pop);
        return;
      }
      if (const std::string* contact = location.directory_contact(user)) {
        auto target = sip::parse_uri(*contact);
        auto dest = target ? destination_of(*target) : std::nullopt;
        if (dest) {
          forward(now, id, request, path, *contact, *dest, pop);
          return;
        }
      }
      ++counters.not_found;
      respond(now, id, request, 404, "Not Found");
      return;
    }
    // Not our domain: an in-dialog request to a phone's contact, or a literal address.
    if (const registrar::Binding* b = location.find_by_contact(request.request_uri(), now)) {
      forward(now, id, request, path, std::nullopt, destination_of(*b), pop);
      return;
    }
    if (auto dest = destination_of(*ruri)) {
      forward(now, id, request, path, std::nullopt, *dest, pop);
      return;
    }
    ++counters.not_found;
    respond(now, id, request, 404, "Not Found");
  }

  RequestEdits edits_for(const sip::Message& request, const Path& path,
                         std::optional<std::string> request_uri, const transport::Destination& dest,
                         std::size_t pop) {
    RequestEdits edits;
    edits.request_uri = std::move(request_uri);
    edits.pop_routes = pop;
    const auto mf = request.max_forwards();
    edits.max_forwards = mf ? *mf - 1 : 70;  // §16.6 step 3 (0 was refused before)
    const std::string branch =
        "z9hG4bK" + loop_hash(request, our_sent_by()) + "." + self.rng().token(8);
    edits.via = self.via_for(dest.transport, branch);
    const sip::Method method = request.method();
    const bool in_dialog = !request.to_tag().empty();
    const bool record = method != sip::Method::Register && method != sip::Method::Cancel &&
                        method != sip::Method::Ack &&
                        (config.record_route == RecordRoute::Always ||
                         (creates_dialog(method) && !in_dialog));
    if (record) {
      // RFC 3261 §16.6 step 4; double Record-Route when the transports differ (RFC 5658).
      edits.record_route.push_back("<" + our_uri(dest.transport) + ";lr>");
      if (path.transport != dest.transport) {
        edits.record_route.push_back("<" + our_uri(path.transport) + ";lr>");
      }
    }
    return edits;
  }

  void forward(TimePoint now, ServerTransactionId id, const sip::Message& request, const Path& path,
               std::optional<std::string> request_uri, const transport::Destination& dest,
               std::size_t pop) {
    const std::string target = request_uri ? *request_uri : std::string(request.request_uri());
    auto forwarded = sip::Message::parse(
        rewrite_request(request, edits_for(request, path, std::move(request_uri), dest, pop)));
    if (!forwarded) {
      respond(now, id, request, 500, "Server Internal Error");
      return;
    }
    const bool is_invite = request.method() == sip::Method::Invite;
    if (is_invite) respond(now, id, request, 100, "Trying");  // §16.2: at once, not in 200 ms
    ++counters.forwarded;
    trace(TraceEvent{now, "route.forwarded", {}}
              .with("method", std::string(request.method_token()))
              .with("call_id", std::string(request.call_id()))
              .with("target", target)
              .with("to", dest.remote.to_string())
              .with("transport", std::string(resproxy::to_string(dest.transport))));
    const ClientTransactionId cid =
        self.transactions().send_request(now, std::move(forwarded).value(), dest);
    Forward f;
    f.server = id;
    f.client = cid;
    f.is_invite = is_invite;
    f.dest = dest;
    if (is_invite) {
      f.timer_c = self.timers().schedule(now + config.timer_c,
                                         [this, cid](TimePoint t) { on_timer_c(t, cid); });
    }
    by_client.emplace(cid.value, f);
    by_server.emplace(id.value, cid.value);
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
    trace(TraceEvent{now, "route.cancelled", {}}.with("call_id", std::string(invite->call_id())));
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
    self.timers().cancel(it->second.timer_c);
    by_server.erase(it->second.server.value);
    by_client.erase(it);
  }

  // --- responses --------------------------------------------------------------------------

  void on_response(TimePoint now, ClientTransactionId cid, const sip::Message& response) {
    const int status = response.status_code();
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) {
      // A 2xx retransmission after the forward was done with (RFC 6026 Accepted): statelessly.
      if (status >= 200 && status < 300 && response.cseq().method == sip::Method::Invite) {
        forward_response_statelessly(now, response);
      }
      return;
    }
    Forward& f = it->second;
    if (status == 100) return;  // hop by hop (§16.7 step 3)
    if (status < 200) {
      f.provisional_seen = true;
      if (f.is_invite && !f.final_sent) {  // §16.8: a provisional restarts Timer C
        self.timers().cancel(f.timer_c);
        f.timer_c = self.timers().schedule(now + config.timer_c,
                                           [this, cid](TimePoint t) { on_timer_c(t, cid); });
      }
      if (f.cancel_pending) send_cancel(now, f);
      self.transactions().send_response(now, f.server, status, strip_top_via(response));
      return;
    }
    if (status == 503) {
      // §16.7 step 6: a 503 from downstream says nothing about us; tell the caller 500.
      finish_with(now, f, 500, "Server Internal Error");
      return;
    }
    if (!self.transactions().send_response(now, f.server, status, strip_top_via(response)) &&
        status < 300) {
      forward_response_statelessly(now, response);
    }
    f.final_sent = true;
    erase(cid);
  }

  void on_client_error(TimePoint now, ClientTransactionId cid, TransactionError error) {
    const auto it = by_client.find(cid.value);
    if (it == by_client.end()) return;
    Forward& f = it->second;
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
    const auto& top = response.top_via();
    if (unbracket(top.host) != unbracket(config.local.ip) ||
        top.port.value_or(5060) != config.local.port) {
      return;  // not ours: drop (§18.1.2)
    }
    auto stripped = sip::Message::parse(strip_top_via(response));
    if (!stripped || stripped->via_count() == 0) return;
    const auto& next = stripped->top_via();
    const Transport transport =
        sip::text::iequals(next.transport, "TCP") ? Transport::Tcp : Transport::Udp;
    const std::string ip = next.received ? std::string(*next.received) : unbracket(next.host);
    const std::uint16_t port = next.rport ? *next.rport : next.port.value_or(5060);
    trace(TraceEvent{now, "route.response_forwarded_statelessly", {}}
              .with("status", std::to_string(response.status_code()))
              .with("call_id", std::string(response.call_id())));
    self.transactions().send_stateless(now, {transport, Address{ip, port}, StreamId{}},
                                       std::string(stripped->bytes()));
  }

  // --- ACK for 2xx: end to end, statelessly (§16.6 with no transaction) ---------------------

  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) {
    if (!is_trusted(path.remote)) return;
    if (ack.max_forwards() == 0u) return;
    const auto routes = route_values(ack);
    std::size_t pop = 0;
    while (pop < routes.size() && route_is_us(routes[pop])) ++pop;
    std::optional<transport::Destination> dest;
    std::optional<std::string> request_uri;
    if (pop < routes.size()) {
      auto na = sip::parse_name_addr(routes[pop]);
      auto next = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
      if (next) dest = destination_of(*next);
    } else if (const registrar::Binding* b = location.find_by_contact(ack.request_uri(), now)) {
      dest = destination_of(*b);
    } else if (auto ruri = sip::parse_uri(ack.request_uri())) {
      if (is_our_domain(*ruri) && !ruri->user.empty()) {
        if (const auto* b = location.latest(std::string(location.resolve_alias(ruri->user)), now)) {
          dest = destination_of(*b);
          request_uri = b->contact;
        }
      } else {
        dest = destination_of(*ruri);
      }
    }
    if (!dest) return;
    auto edits = edits_for(ack, path, std::move(request_uri), *dest, pop);
    trace(TraceEvent{now, "route.ack_forwarded", {}}
              .with("call_id", std::string(ack.call_id()))
              .with("to", dest->remote.to_string()));
    self.transactions().send_stateless(now, *dest, rewrite_request(ack, edits));
  }

  // --- REGISTER ---------------------------------------------------------------------------

  void on_register(TimePoint now, ServerTransactionId id, const sip::Message& request,
                   const Path& path) {
    ++counters.registers;
    auto plan = registrar.plan(request, path, now);
    if (plan.is_error()) {
      respond(now, id, request, plan.status, plan.reason, plan.headers);
      return;
    }
    if (users_in_flight.contains(plan.user)) {
      // One store write per AOR at a time: this REGISTER waits for the one in flight.
      queued_registers[plan.user].emplace_back(id, path);
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

  void on_store_done(TimePoint now, std::uint64_t store_id, StoreOutcome outcome) {
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
        trace(TraceEvent{now, "reg.binding_saved", {}}
                  .with("user", b.user)
                  .with("contact", b.contact)
                  .with("expires_s", std::to_string(std::chrono::ceil<std::chrono::seconds>(
                                                        b.expires_at - now)
                                                        .count())));
      }
      for (const auto& c : pending.plan.removals) {
        trace(TraceEvent{now, "reg.binding_removed", {}}.with("user", user).with("contact", c));
      }
      rearm_expiry();
      if (!keepalive_timer.is_set()) arm_keepalive(now);
      if (request != nullptr) {
        respond(now, pending.server, *request, 200, "OK", registrar.contact_headers(user, now));
      }
    } else {
      ++counters.store_failures;
      trace(TraceEvent{now, "reg.store_failed", {}}.with("user", user));
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
      if (const sip::Message* r = self.transactions().server_request(next)) {
        on_register(now, next, *r, next_path);
      }
    }
    if (queued->second.empty()) queued_registers.erase(queued);
  }

  // --- expiry -----------------------------------------------------------------------------

  void rearm_expiry() {
    self.timers().cancel(expiry_timer);
    if (auto next = location.next_expiry()) {
      expiry_timer = self.timers().schedule(*next, [this](TimePoint now) { on_expiry(now); });
    }
  }

  void on_expiry(TimePoint now) {
    expiry_timer = TimerId{};
    const auto expired = location.take_expired(now);
    if (!expired.empty()) {
      StoreWrite write;
      write.id = next_store_id++;  // nobody waits for it: a failure only leaves a stale record
      for (const auto& b : expired) {
        trace(TraceEvent{now, "reg.binding_expired", {}}.with("user", b.user).with("contact", b.contact));
        write.records.push_back({registrar::binding_key(b.user, b.contact), std::nullopt});
      }
      self.emit_store(std::move(write));
    }
    rearm_expiry();
  }

  // --- management ---------------------------------------------------------------------------

  std::string aliases_of(const std::string& user) const {
    std::string out;
    for (const auto& a : config.aliases) {
      if (a.user != user) continue;
      if (!out.empty()) out += ',';
      out += a.alias;
    }
    return out.empty() ? "-" : out;
  }

  ControlReply control(TimePoint now, std::string_view command) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < command.size()) {
      while (pos < command.size() && (command[pos] == ' ' || command[pos] == '\t')) ++pos;
      const std::size_t start = pos;
      while (pos < command.size() && command[pos] != ' ' && command[pos] != '\t' &&
             command[pos] != '\n' && command[pos] != '\r') {
        ++pos;
      }
      if (pos > start) words.push_back(command.substr(start, pos - start));
      while (pos < command.size() && (command[pos] == '\n' || command[pos] == '\r')) ++pos;
    }
    ControlReply reply;
    if (words.size() == 2 && words[0] == "show" && words[1] == "reg") {
      reply.ok = true;
      reply.text = show_reg(now);
    } else if (words.size() == 3 && words[0] == "kill" && words[1] == "reg") {
      reply = kill_reg(now, words[2]);
    } else if (words.size() == 2 && words[0] == "show" && words[1] == "itsp") {
      reply.ok = true;
      reply.text = show_itsp(now);
    } else if (words.size() == 2 && words[0] == "show" && words[1] == "counters") {
      reply.ok = true;
      reply.text = show_counters();
    } else if (words.size() == 1 && words[0] == "help") {
      reply.ok = true;
      reply.text =
          "show reg        the registration cache\n"
          "kill reg N      remove entry N of show reg\n"
          "show itsp       ITSP proxies and their state\n"
          "show counters   request counters\n";
    } else {
      reply.text = "error: unknown command '" + std::string(command) +
                   "'; commands: show reg, kill reg N, show itsp, show counters, help\n";
    }
    return reply;
  }

  std::string show_reg(TimePoint now) const {
    std::string out = "index user aliases contact source transport expires origin\n";
    int index = 0;
    for (const registrar::Binding* b : location.all()) {
      const auto remaining = std::chrono::ceil<std::chrono::seconds>(b->expires_at - now);
      out += std::to_string(++index) + " " + b->user + " " + aliases_of(b->user) + " " +
             b->contact + " " + b->source.remote.to_string() + " " +
             std::string(resproxy::to_string(b->source.transport)) + " " +
             std::to_string(remaining.count()) + "s " + (b->from_itsp ? "itsp" : "local") + "\n";
    }
    out += std::to_string(index) + " registrations\n";
    return out;
  }

  ControlReply kill_reg(TimePoint now, std::string_view which) {
    ControlReply reply;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(which.data(), which.data() + which.size(), n);
    const auto all = location.all();
    if (ec != std::errc{} || end != which.data() + which.size() || n == 0 || n > all.size()) {
      reply.text = "error: no registration '" + std::string(which) + "'; valid: 1.." +
                   std::to_string(all.size()) + " (see show reg)\n";
      return reply;
    }
    const registrar::Binding victim = *all[n - 1];
    location.remove(victim.user, victim.contact);
    StoreWrite write;
    write.id = next_store_id++;
    write.records.push_back({registrar::binding_key(victim.user, victim.contact), std::nullopt});
    self.emit_store(std::move(write));
    rearm_expiry();
    trace(TraceEvent{now, "reg.binding_killed", {}}.with("user", victim.user).with("contact", victim.contact));
    reply.ok = true;
    reply.text = "killed " + std::to_string(n) + " " + victim.user + " " + victim.contact + "\n";
    return reply;
  }

  std::string show_itsp(TimePoint now) const {
    std::string out = "mode " + std::string(to_string(config.mode)) + "\n";
    (void)now;
    return out;
  }

  std::string show_counters() const {
    const auto& c = counters;
    std::string out;
    const auto line = [&out](std::string_view name, std::uint64_t v) {
      out += std::string(name) + " " + std::to_string(v) + "\n";
    };
    line("requests", c.requests);
    line("forwarded", c.forwarded);
    line("rejected", c.rejected);
    line("registers", c.registers);
    line("not_found", c.not_found);
    line("forbidden", c.forbidden);
    line("loops", c.loops);
    line("too_many_hops", c.too_many_hops);
    line("timeouts", c.timeouts);
    line("store_failures", c.store_failures);
    return out;
  }
};

ProxyNode::ProxyNode(ProxyConfig config, std::vector<StoreRecord> stored, Rng& rng,
                     TraceSink& trace)
    : SipNode(transaction::SipNodeConfig{.transport = {.local = config.local,
                                                       .max_message_size = config.max_message_size},
                                         .timers = config.timers},
              rng, trace),
      impl_(std::make_unique<Impl>(*this, std::move(config))) {
  for (const auto& record : stored) {
    if (!record.value || !record.key.starts_with(registrar::kBindingKeyPrefix)) continue;
    if (auto b = registrar::decode_binding(*record.value, impl_->config.wall_clock_offset)) {
      impl_->location.upsert(std::move(*b));
    }
  }
  impl_->rearm_expiry();
}

ProxyNode::~ProxyNode() = default;

void ProxyNode::set_local_address(Address local) {
  impl_->config.local = local;
  transport().set_local(std::move(local));
}

void ProxyNode::emit_store(StoreWrite write) { emit_effect(std::move(write)); }

void ProxyNode::on_store_done(TimePoint now, std::uint64_t id, StoreOutcome outcome) {
  timers().fire_due(now);
  impl_->on_store_done(now, id, outcome);
}

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

void ProxyNode::on_stray_response(TimePoint now, const sip::Message& response, const Path&) {
  if (response.status_code() >= 200 && response.status_code() < 300) {
    impl_->forward_response_statelessly(now, response);
  }
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

ProxyNode::ControlReply ProxyNode::control(TimePoint now, std::string_view command) {
  timers().fire_due(now);
  return impl_->control(now, command);
}

std::vector<std::string> ProxyNode::describe_bindings(TimePoint now) const {
  std::vector<std::string> out;
  int index = 0;
  for (const registrar::Binding* b : impl_->location.all()) {
    const auto remaining = std::chrono::duration_cast<std::chrono::seconds>(b->expires_at - now);
    out.push_back(std::to_string(++index) + " " + b->user + " " + b->contact + " " +
                  b->source.remote.to_string() + " " +
                  std::string(resproxy::to_string(b->source.transport)) + " " +
                  std::to_string(remaining.count()) + "s");
  }
  return out;
}

}  // namespace resproxy::routing
