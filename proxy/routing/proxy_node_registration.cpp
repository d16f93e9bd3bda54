// The registration flow: REGISTERs answered here (store first, then 200), queued per user,
// cached from the ITSP's answers, throttled; expiry and keep-alives of the bindings.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

void ProxyNode::Impl::restore_all_bindings() {
  StoreWrite write;
  write.id = next_store_id++;
  for (const registrar::Binding* b : location.all()) {
    write.records.push_back({registrar::binding_key(b->user, b->contact),
                             registrar::encode_binding(*b, config.wall_clock_offset)});
  }
  if (!write.records.empty()) self.emit_store(std::move(write));
}

void ProxyNode::Impl::on_keepalive(TimePoint now) {
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

void ProxyNode::Impl::arm_keepalive(TimePoint now) {
  if (config.crlf_keepalive <= Duration::zero()) return;
  keepalive_timer = self.timers().schedule(now + config.crlf_keepalive,
                                           [this](TimePoint t) { on_keepalive(t); });
}

void ProxyNode::Impl::on_register(TimePoint now, ServerTransactionId id, const sip::Message& request,
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

bool ProxyNode::Impl::throttled(TimePoint now, ServerTransactionId id, const sip::Message& request, const Path& path) {
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

void ProxyNode::Impl::cache_itsp_registration(TimePoint now, const Forward& f, const sip::Message& response) {
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

void ProxyNode::Impl::uncache(TimePoint now, const sip::Message& request) {
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

void ProxyNode::Impl::on_store_done(TimePoint now, std::uint64_t store_id, StoreOutcome outcome) {
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

void ProxyNode::Impl::rearm_expiry() {
  const auto next = location.next_expiry();
  // Usually unchanged (a refresh moves a later expiry): keep the timer then.
  if (next && expiry_timer.is_set() && expiry_timer.at == *next) return;
  self.timers().cancel(expiry_timer);
  if (next) {
    expiry_timer = self.timers().schedule(*next, [this](TimePoint now) { on_expiry(now); });
  }
}

void ProxyNode::Impl::on_expiry(TimePoint now) {
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
      ++b.revision;
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

}  // namespace resproxy::routing
