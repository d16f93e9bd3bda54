// The request pipeline's runner (stages/request_pipeline.h) and the routing its route and table
// stages hand requests to: a request's own route, then the seed's tables to a phone, the ITSP
// or the gateway; CANCELs matched to their INVITE's forward.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

void ProxyNode::Impl::on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                 const Path& path) {
  ++counters.requests;
  arm_dialog_key_rotation(now);
  request_state.authenticated_user.clear();
  request_state.unverified = classify(path, false) == SourceClass::Untrusted;
  request_state.source = path;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{request_state.unverified};
  stages::RequestContext context{.now = now,
                                 .id = id,
                                 .request = request,
                                 .path = path,
                                 .server_transactions = self.transactions().server_count(),
                                 .unverified = request_state.unverified};
  stages::visit_request_stages(stages, [&](std::string_view, const auto& stage) {
    auto decision = stage.run(context);
    if (decision.next == stages::Next::Continue) return false;
    if (decision.next == stages::Next::Respond) answer(context, std::move(decision));
    return true;
  });
}

void ProxyNode::Impl::answer(const stages::RequestContext& c, stages::Decision decision) {
  if (decision.statelessly) {
    respond_statelessly(c.now, c.id, c.request, decision.status, decision.reason, decision.headers);
  } else {
    respond(c.now, c.id, c.request, decision.status, decision.reason, std::move(decision.headers));
  }
}

stages::Decision ProxyNode::Impl::route_by_request(stages::RequestContext& c) {
  const auto& request = c.request;
  const auto routes = route_values(request);
  std::size_t pop = 0;
  while (pop < routes.size() && route_is_us(routes[pop])) ++pop;

  auto ruri = sip::parse_uri(request.request_uri());
  if (!ruri) return stages::Decision::respond(400, "Bad Request-URI");  // guaranteed by the parser; defensive
  // Sent along our own Record-Route: its MAC says whether the next hop is the dialog's.
  const bool our_dialog = dialog_verified(request, routes, pop);
  if (pop < routes.size()) {  // loose routing: the next hop is the next Route (§16.4, §16.6)
    auto na = sip::parse_name_addr(routes[pop]);
    auto next = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
    auto dest = next ? destination_of(*next) : std::nullopt;
    if (!dest) return stages::Decision::respond(404, "Not Found");
    forward(c.now, c.id, request, c.path, std::nullopt, *dest, pop, {.our_dialog = our_dialog});
    return stages::Decision::handed_on();
  }
  if (request.method() == sip::Method::Register && is_our_domain(*ruri)) {
    on_register(c.now, c.id, request, c.path, /*force_local=*/false);
    return stages::Decision::handed_on();
  }
  if (is_our_domain(*ruri) && ruri->user.empty()) {
    if (request.method() != sip::Method::Options) return stages::Decision::respond(404, "Not Found");
    return stages::Decision::respond(
        200, "OK",
        {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, NOTIFY, "
                   "SUBSCRIBE, INFO, UPDATE, PRACK, MESSAGE"},
         {"Accept", "application/sdp"}});
  }
  // A registered phone's contact (in-dialog requests, the ITSP's calls along our Path): there.
  if (const registrar::Binding* b = location.find_by_contact(request.request_uri(), c.now)) {
    forward(c.now, c.id, request, c.path, std::nullopt, destination_of(*b), pop,
            {.hop = Hop::Binding, .binding = b, .our_dialog = our_dialog});
    return stages::Decision::handed_on();
  }
  // In a dialog (a To tag), or sent to us along our own Record-Route (a Route of ours was
  // popped): the Request-URI is the next hop (§16.5, §16.6 step 6) — the remote party's
  // contact, whoever it is. Only requests outside a dialog go by the routing tables.
  if ((!request.to_tag().empty() || pop > 0) && !is_our_domain(*ruri)) {
    if (auto dest = destination_of(*ruri)) {
      forward(c.now, c.id, request, c.path, std::nullopt, *dest, pop, {.our_dialog = our_dialog});
      return stages::Decision::handed_on();
    }
  }
  c.pop = pop;
  return stages::Decision::go_on();
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
      security::AuthResult none;
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
  forward(now, id, request, path, std::nullopt, dest, pop, {.hop = Hop::Table, .source = source},
          kind, *index);
  return true;
}

bool ProxyNode::Impl::cancel_invite(TimePoint now, ServerTransactionId id, const sip::Message& cancel) {
  const auto invite = self.transactions().find_invite_for_cancel(cancel);
  if (!invite) return false;
  respond(now, id, cancel, 200, "OK");
  const auto it = by_server.find(invite->value);
  if (it == by_server.end()) {
    (void)cancel_parked(now, *invite);  // waiting for the media relay: 487 here
    return true;  // else answered locally; nothing pending downstream
  }
  Forward& f = by_client.at(it->second);
  if (f.final_sent || f.cancelled) return true;
  f.cancelled = true;
  f.caller_cancelled = true;
  if (f.provisional_seen) {
    send_cancel(now, f);
  } else {
    f.cancel_pending = true;  // §9.1: no CANCEL before a provisional response
  }
  return true;
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
  // §9.1: the INVITE's final response (487, or a 2xx that crossed the CANCEL) should follow; a
  // callee that never sends one must not hold the call's transactions for ever.
  if (!f.cancel_guard.is_set()) {
    const ClientTransactionId cid = f.client;
    f.cancel_guard = self.timers().schedule(now + self.transactions().timers().timer_b(),
                                            [this, cid](TimePoint t) { on_cancel_unanswered(t, cid); });
  }
}

}  // namespace resproxy::routing
