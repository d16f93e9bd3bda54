// Forwarding: a request on its way out (edits, client transaction, timer C), its responses
// back, ITSP failover of live traffic, late answers, ACKs.
#include "proxy/routing/proxy_node_impl.h"
#include "proxy/sip/text.h"

namespace resproxy::routing {

std::string ProxyNode::Impl::relay_bytes(const Forward& f, const sip::Message& response) const {
  if (!f.recorded) return strip_top_via(response);
  return resealed(response);
}

std::string ProxyNode::Impl::resealed(const sip::Message& response) const {
  if (!dialog_mac || response.status_code() >= 300) return strip_top_via(response);
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

RequestEdits ProxyNode::Impl::edits_for(const sip::Message& request, const Path& path,
                                        std::optional<std::string> request_uri, const transport::Destination& dest,
                                        std::size_t pop, bool strip_identity) {
  const bool nat = !config.itsp.nat_outside_address.empty();
  const bool toward_itsp = nat && is_itsp(dest.remote);
  const bool from_itsp = nat && is_itsp(path.remote);
  RequestEdits edits;
  edits.strip_identity = strip_identity;
  edits.request_uri = std::move(request_uri);
  edits.pop_routes = pop;
  const auto mf = request.max_forwards();
  edits.max_forwards = mf ? *mf - 1 : 70;  // §16.6 step 3 (0 was refused before)
  const std::string branch =
      "z9hG4bK" + loop_hash(request, our_vias) + "." + self.rng().token(8);
  edits.via = self.via_for(dest.transport, branch, toward_itsp ? config.itsp.nat_outside_address : "");
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
    // The top one faces the callee, the other the caller (who reads the list backwards).
    const std::string callee_side = "<" + our_uri(dest.transport, toward_itsp, sips) + ";lr" + tag + ">";
    const std::string caller_side = "<" + our_uri(path.transport, from_itsp, sips) + ";lr" + tag + ">";
    edits.record_route.push_back(callee_side);
    if (caller_side != callee_side) edits.record_route.push_back(caller_side);
  }
  if (method == sip::Method::Register && is_itsp(dest.remote)) {
    // RFC 3327: the ITSP's requests to this phone come back through us.
    edits.add.push_back({"Path", "<" + our_uri(dest.transport, true) + ";lr>"});
  }
  return edits;
}

auto ProxyNode::Impl::forward(TimePoint now, ServerTransactionId id, const sip::Message& request,
                              const Path& path, std::optional<std::string> request_uri,
                              const transport::Destination& dest, std::size_t pop, const ExitCheck& check,
                              Kind kind, std::optional<std::size_t> itsp_index) -> Forward* {
  const auto sender = may_exit(now, id, request, path, dest, check);
  if (!sender) return nullptr;
  const bool gateway_call = std::exchange(admitted_gateway_call, false);
  // A BYE ends a call the gateway limiter counts (whichever side sends it).
  if (request.method() == sip::Method::Bye) gateway_limiter.release(request.call_id());
  Launch l;
  l.id = id;
  l.path = path;
  l.dest = dest;
  l.target = request_uri ? *request_uri : std::string(request.request_uri());
  l.kind = kind;
  l.gateway_call = gateway_call;
  l.send_trying = request.method() == sip::Method::Invite && !rerouting;
  l.itsp_index = itsp_index;
  l.source = check.source.value_or(SourceClass::Untrusted);
  auto edits = edits_for(request, path, std::move(request_uri), dest, pop,
                         *sender == security::Sender::Untrusted);
  const auto step = anchor_request(now, id, request, path, dest, check, edits);
  if (step.kind == AnchorStep::Kind::Stop) {  // the relay refused it (answered), or a copy
    if (gateway_call) gateway_limiter.release(request.call_id());
    return nullptr;
  }
  if (step.kind == AnchorStep::Kind::Go) return launch(now, l, request, std::move(edits));
  // An external relay has the offer: the caller hears 100 Trying now, the callee the INVITE with
  // the relay's SDP when its answer comes (MediaAnchor::take_ready, media_after).
  if (l.send_trying) respond(now, id, request, 100, "Trying");
  l.send_trying = false;
  Parked p;
  if (request.method() == sip::Method::Invite) p.invite = id;
  if (gateway_call) {
    p.dropped = [this, call_id = std::string(request.call_id())] { gateway_limiter.release(call_id); };
  }
  p.resume = [this, l, edits = std::move(edits)](TimePoint t, const SdpVerdict& verdict) mutable {
    const sip::Message* waiting = self.transactions().server_request(l.id);
    if (waiting == nullptr || verdict.kind == SdpVerdict::Kind::Refused) {
      if (l.gateway_call && waiting != nullptr) gateway_limiter.release(waiting->call_id());
      if (waiting == nullptr) return;  // its transaction is gone
      std::vector<sip::ExtraHeader> extra;
      for (const auto& [name, value] : verdict.headers) extra.push_back({name, value});
      respond(t, l.id, *waiting, verdict.status, verdict.reason, std::move(extra));
      if (waiting->method() == sip::Method::Invite && waiting->to_tag().empty()) anchor_failed(t, *waiting);
      return;
    }
    if (verdict.kind == SdpVerdict::Kind::Rewritten) edits.body = verdict.body;
    (void)launch(t, l, *waiting, std::move(edits));
  };
  parked.emplace(step.ticket, std::move(p));
  media_after(now);  // it may be ready already (the relay refused at once)
  return nullptr;
}

auto ProxyNode::Impl::launch(TimePoint now, const Launch& l, const sip::Message& request,
                             RequestEdits edits) -> Forward* {
  const bool recorded = !edits.record_route.empty();
  auto forwarded = sip::Message::parse(rewrite_request(request, edits));
  if (!forwarded) {
    if (l.gateway_call) gateway_limiter.release(request.call_id());  // it never left
    respond(now, l.id, request, 500, "Server Internal Error");
    return nullptr;
  }
  const bool is_invite = request.method() == sip::Method::Invite;
  if (l.send_trying) respond(now, l.id, request, 100, "Trying");  // §16.2: at once, not in 200 ms
  ++counters.forwarded;
  trace(now, "route.forwarded", [&](TraceEvent& e) {
    e.with("method", std::string(request.method_token()))
        .with("call_id", std::string(request.call_id()))
        .with("target", l.target)
        .with("to", l.dest.remote.to_string())
        .with("transport", std::string(resproxy::to_string(l.dest.transport)));
  });
  const ClientTransactionId cid =
      self.transactions().send_request(now, std::move(forwarded).value(), l.dest);
  Forward f;
  f.server = l.id;
  f.client = cid;
  f.kind = l.kind;
  f.from = l.path;
  f.is_invite = is_invite;
  f.recorded = recorded;
  f.gateway_call = l.gateway_call;
  if (l.gateway_call) f.call_id = std::string(request.call_id());
  f.dest = l.dest;
  if (is_invite) {
    f.timer_c = self.timers().schedule(now + config.timer_c,
                                       [this, cid](TimePoint t) { on_timer_c(t, cid); });
  }
  if (l.itsp_index) {
    f.itsp = *l.itsp_index;
    f.source = l.source;
    if (config.itsp.answer_timeout > Duration::zero()) {
      f.answer_timer = self.timers().schedule(now + config.itsp.answer_timeout,
                                              [this, cid](TimePoint t) { on_no_answer(t, cid); });
    }
    if (l.kind == Kind::ItspRegister) {
      f.reg_timer = self.timers().schedule(now + config.itsp.reg_forwarding_timeout,
                                           [this, cid](TimePoint t) { on_reg_timeout(t, cid); });
    }
  }
  by_server[l.id.value] = cid.value;
  return &by_client.emplace(cid.value, f).first->second;
}

void ProxyNode::Impl::on_no_answer(TimePoint now, ClientTransactionId cid) {
  const auto it = by_client.find(cid.value);
  if (it == by_client.end()) return;
  Forward& f = it->second;
  f.answer_timer = TimerId{};
  if (f.answered || f.final_sent || f.abandoned) return;
  fail_over(now, f, TrafficFailure::NoAnswer, "no_answer");
}

void ProxyNode::Impl::on_reg_timeout(TimePoint now, ClientTransactionId cid) {
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

void ProxyNode::Impl::fail_over(TimePoint now, Forward& f, std::optional<TrafficFailure> why, std::string_view reason) {
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

void ProxyNode::Impl::abandon(TimePoint now, Forward& f) {
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

void ProxyNode::Impl::hang_up_late_answer(TimePoint now, const Forward& f, const sip::Message& response) {
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
    return dialog_request(method, target, route_set, f.dest, from->value, to->value,
                          response.call_id(), cseq,
                          method == "BYE" ? "SIP;cause=480;text=\"answered after failover\"" : "");
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

std::string ProxyNode::Impl::dialog_request(std::string_view method, std::string_view target,
                                            const std::vector<std::string>& routes,
                                            const transport::Destination& dest, std::string_view from,
                                            std::string_view to, std::string_view call_id,
                                            std::uint32_t cseq, std::string_view reason) {
  std::vector<sip::ExtraHeader> h;
  h.push_back({"Via", self.via_for(dest.transport, self.transactions().new_branch(),
                                   is_itsp(dest.remote) ? config.itsp.nat_outside_address : "")});
  h.push_back({"Max-Forwards", "70"});
  for (const auto& r : routes) h.push_back({"Route", r});
  h.push_back({"From", std::string(from)});
  h.push_back({"To", std::string(to)});
  h.push_back({"Call-ID", std::string(call_id)});
  h.push_back({"CSeq", std::to_string(cseq) + " " + std::string(method)});
  if (!reason.empty()) h.push_back({"Reason", std::string(reason)});
  return sip::make_request(method, target, h);
}

bool ProxyNode::Impl::is_failover_status(int status) const {
  if (status == 408) return true;
  for (int code : config.itsp.failover_codes) {
    if (code == status) return true;
  }
  return false;
}

void ProxyNode::Impl::on_timer_c(TimePoint now, ClientTransactionId cid) {
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

void ProxyNode::Impl::on_cancel_unanswered(TimePoint now, ClientTransactionId cid) {
  const auto it = by_client.find(cid.value);
  if (it == by_client.end()) return;
  Forward& f = it->second;
  f.cancel_guard = TimerId{};
  // §9.1: no final response 64·T1 after the CANCEL: the INVITE counts as cancelled and its client
  // transaction is destroyed. The caller, if still waiting (not failed over), gets what it would
  // have got: 487 for its own CANCEL, 408 for Timer C's (§16.8).
  ++counters.cancels_unanswered;
  if (const sip::Message* invite = self.transactions().client_request(cid)) {
    trace(now, "route.cancel_unanswered", [&](TraceEvent& e) {
      e.with("call_id", std::string(invite->call_id()));
    });
  }
  self.transactions().give_up_invite(now, cid);
  if (f.abandoned || f.final_sent) {
    erase(cid);
    return;
  }
  if (f.caller_cancelled) {
    finish_with(now, f, 487, "Request Terminated");
  } else {
    ++counters.timeouts;
    finish_with(now, f, 408, "Request Timeout");
  }
}

void ProxyNode::Impl::finish_with(TimePoint now, Forward& f, int status, std::string_view reason,
                                  std::vector<sip::ExtraHeader> extra) {
  if (!f.final_sent) {
    if (const sip::Message* request = self.transactions().server_request(f.server)) {
      respond(now, f.server, *request, status, reason, std::move(extra));
      anchor_failed(now, *request);
    }
    f.final_sent = true;
  }
  erase(f.client);
}

void ProxyNode::Impl::erase(ClientTransactionId cid) {
  const auto it = by_client.find(cid.value);
  if (it == by_client.end()) return;
  Forward& f = it->second;
  self.timers().cancel(f.timer_c);
  self.timers().cancel(f.cancel_guard);
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

void ProxyNode::Impl::on_response(TimePoint now, ClientTransactionId cid, const sip::Message& response) {
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
    anchor_response(now, &f, response, relay_bytes(f, response),
                    [this, server = f.server, status](TimePoint t, std::string bytes) {
                      self.transactions().send_response(t, server, status, std::move(bytes));
                    });
    return;
  }
  if (status == 503) {
    // §16.7 step 6: a 503 from downstream says nothing about us; tell the caller 500. Its
    // Reason (RFC 3326: the PSTN gateway's Q.850 cause, e.g. 34 no circuit) goes with it, so the
    // phone still learns why.
    std::vector<sip::ExtraHeader> reasons;
    for (const auto& field : response.headers()) {
      if (field.id == sip::HeaderId::Other && sip::text::iequals(sip::text::trim(field.name), "Reason")) {
        reasons.push_back({"Reason", std::string(field.value)});
      }
    }
    finish_with(now, f, 500, "Server Internal Error", std::move(reasons));
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
  f.final_sent = true;
  anchor_response(now, &f, response, std::move(relayed),
                  [this, server = f.server, status, copy = response](TimePoint t, std::string bytes) {
                    if (!self.transactions().send_response(t, server, status, std::move(bytes)) &&
                        status < 300) {
                      forward_response_statelessly(t, copy);
                    }
                  });
  erase(cid);
}

void ProxyNode::Impl::on_abandoned_response(TimePoint now, Forward& f, const sip::Message& response) {
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

bool ProxyNode::Impl::was_hung_up(std::string_view call_id) const {
  for (const auto& [id, at] : hung_up) {
    if (id == call_id) return true;
  }
  return false;
}

void ProxyNode::Impl::on_client_error(TimePoint now, ClientTransactionId cid, TransactionError error) {
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

void ProxyNode::Impl::forward_response_statelessly(TimePoint now, const sip::Message& response) {
  if (!is_our_via(response.top_via())) return;  // not ours: drop (§18.1.2)
  // Another fork's 2xx: our Record-Route in it gets its own dialog MAC, naming this fork's hop,
  // as the first fork's 2xx got through its Forward.
  auto stripped = sip::Message::parse(resealed(response));
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
  // The 2xx's SDP, as its first copy had it.
  anchor_response(now, nullptr, response, std::string(stripped->bytes()),
                  [this, dest = transport::Destination{transport, Address{ip, port}, StreamId{}}](
                      TimePoint t, std::string bytes) {
                    self.transactions().send_stateless(t, dest, std::move(bytes));
                  });
}

void ProxyNode::Impl::on_ack(TimePoint now, const sip::Message& ack, const Path& path) {
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
  auto edits = edits_for(ack, path, std::move(request_uri), *dest, pop,
                         q.sender == security::Sender::Untrusted);
  trace(now, "route.ack_forwarded", [&](TraceEvent& e) {
    e.with("call_id", std::string(ack.call_id()))
        .with("to", dest->remote.to_string());
  });
  anchor_ack(now, ack, path, std::move(edits), *dest);
}

}  // namespace resproxy::routing
