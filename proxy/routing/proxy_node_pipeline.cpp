// The request pipeline: a new request through its stages (request_stages), then routing by
// the seed's tables to a phone, the ITSP or the gateway.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

bool ProxyNode::Impl::is_loop(const sip::Message& request) const {
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

std::span<const ProxyNode::Impl::StageEntry> ProxyNode::Impl::request_stages() {
  static constexpr StageEntry kStages[] = {
      {"capacity", &Impl::stage_capacity},
      {"reject", &Impl::stage_reject},
      {"mode_off", &Impl::stage_mode_off},
      {"validate", &Impl::stage_validate},
      {"cancel", &Impl::stage_cancel},
      {"loop", &Impl::stage_loop},
      {"route", &Impl::stage_route},
  };
  return kStages;
}

void ProxyNode::Impl::on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
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
  const RequestContext context{now, id, request, path};
  for (const auto& stage : request_stages()) {
    if ((this->*stage.run)(context) == Next::Done) return;
  }
}

auto ProxyNode::Impl::stage_capacity(const RequestContext& c) -> Next {
  const auto& request = c.request;
  if (!request.to_tag().empty() || request.method() == sip::Method::Cancel) return Next::Continue;
  if (self.transactions().server_count() > config.max_transactions) {
    // Memory is bounded: new work waits, dialogs in progress go on.
    ++counters.overload_rejected;
    respond(c.now, c.id, request, 503, "Service Unavailable", {{"Retry-After", "5"}});
    return Next::Done;
  }
  if (c.now < overload_until && (unverified || c.now < severe_until) &&
      !is_emergency_request(request)) {
    // Overloaded: new calls and registrations from outside wait (one datagram each, no
    // Timer G), the office's own only when it is bad (5x the delay); what is in progress —
    // in-dialog requests, retransmissions — goes on, and so do emergency calls.
    ++counters.overload_rejected;
    respond_statelessly(c.now, c.id, request, 503, "Service Unavailable", {{"Retry-After", "2"}});
    return Next::Done;
  }
  return Next::Continue;
}

auto ProxyNode::Impl::stage_reject(const RequestContext& c) -> Next {
  // The seed's order: ignore (dropped before parsing, see admits()), reject, then the rest.
  if (security::any_contains(config.rejected, c.path.remote.ip) ||
      (is_gateway(c.path.remote) && config.pstn_gateway.from_action == GatewayFromAction::Reject)) {
    ++counters.forbidden;
    respond(c.now, c.id, c.request, 403, "Forbidden");
    return Next::Done;
  }
  return Next::Continue;
}

auto ProxyNode::Impl::stage_mode_off(const RequestContext& c) -> Next {
  if (config.mode != ProxyMode::Off) return Next::Continue;
  respond(c.now, c.id, c.request, 503, "Service Unavailable");
  return Next::Done;
}

auto ProxyNode::Impl::stage_validate(const RequestContext& c) -> Next {
  auto rejection = check_request(c.request);
  if (!rejection) return Next::Continue;
  if (rejection->status_code == 483) ++counters.too_many_hops;
  respond(c.now, c.id, c.request, rejection->status_code, rejection->reason, rejection->headers);
  return Next::Done;
}

auto ProxyNode::Impl::stage_cancel(const RequestContext& c) -> Next {
  if (c.request.method() != sip::Method::Cancel) return Next::Continue;
  on_cancel(c.now, c.id, c.request);
  return Next::Done;
}

auto ProxyNode::Impl::stage_loop(const RequestContext& c) -> Next {
  if (!is_loop(c.request)) return Next::Continue;
  ++counters.loops;
  respond(c.now, c.id, c.request, 482, "Loop Detected");
  return Next::Done;
}

auto ProxyNode::Impl::stage_route(const RequestContext& c) -> Next {
  route(c.now, c.id, c.request, c.path);
  return Next::Done;
}

void ProxyNode::Impl::route(TimePoint now, ServerTransactionId id, const sip::Message& request, const Path& path) {
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

void ProxyNode::Impl::route_by_table(TimePoint now, ServerTransactionId id, const sip::Message& request,
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

bool ProxyNode::Impl::forward_to_itsp(TimePoint now, ServerTransactionId id, const sip::Message& request,
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

void ProxyNode::Impl::on_cancel(TimePoint now, ServerTransactionId id, const sip::Message& cancel) {
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

void ProxyNode::Impl::send_cancel(TimePoint now, Forward& f) {
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

}  // namespace resproxy::routing
