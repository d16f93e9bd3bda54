#include "proxy/registrar/registration_flow.h"

#include <charconv>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::registrar {

namespace {

// Whole seconds from `now` to `at`, rounded up, as trace text.
std::string seconds_until(TimePoint at, TimePoint now) {
  return std::to_string(std::chrono::ceil<std::chrono::seconds>(at - now).count());
}

}  // namespace

RegistrationFlow::RegistrationFlow(RegistrationConfig config, LocationService& location, TimerHeap& timers,
                                   TraceSink& trace, RegistrationPort& port, std::uint64_t& next_store_id)
    : config_(std::move(config)),
      location_(location),
      timers_(timers),
      trace_(trace),
      port_(port),
      next_store_id_(next_store_id),
      registrar_(config_.limits, location),
      failure_registrar_(config_.failure_limits, location),
      cache_registrar_(config_.cache_limits, location) {}

void RegistrationFlow::put(StoreWrite& write, const Binding& b) const {
  write.records.push_back({binding_key(b.user, b.contact), encode_binding(b, config_.wall_clock_offset)});
}

std::optional<StoreWrite> RegistrationFlow::load(const std::vector<StoreRecord>& stored, TimePoint start) {
  // Records of the old format ("b1", binding.h) hold steady-clock times of the run that wrote
  // them. Unless the host rebooted since, the steady clock went on and they are right; after a
  // reboot it started again, and a binding registered "after" our start or expiring later than
  // any registration may is from another boot: dropped (the phone registers again at its next
  // refresh). What is kept is written again in the new format.
  std::size_t legacy_kept = 0, legacy_dropped = 0;
  for (const auto& record : stored) {
    if (!record.value || !record.key.starts_with(kBindingKeyPrefix)) continue;
    bool legacy = false;
    auto b = decode_binding(*record.value, config_.wall_clock_offset, &legacy);
    if (!b) continue;
    if (legacy) {
      if (b->registered_at > start || b->expires_at > start + config_.limits.max_expires) {
        ++legacy_dropped;
        continue;
      }
      ++legacy_kept;
    }
    location_.upsert(std::move(*b));
  }
  if (legacy_kept + legacy_dropped == 0) return std::nullopt;
  emit_if_wanted(trace_, start, "registrar.legacy_records", [&](TraceEvent& e) {
    e.with("kept", std::to_string(legacy_kept)).with("dropped", std::to_string(legacy_dropped));
  });
  return rewrite_all();
}

std::optional<StoreWrite> RegistrationFlow::rewrite_all() {
  StoreWrite write = new_write();
  for (const Binding* b : location_.all()) put(write, *b);
  if (write.records.empty()) return std::nullopt;
  return write;
}

std::optional<std::vector<sip::ExtraHeader>> RegistrationFlow::throttle(TimePoint now,
                                                                        const sip::Message& request,
                                                                        const Path& path) {
  const Duration phone = config_.phone_reg_expires;
  if (phone <= Duration::zero()) return std::nullopt;
  auto plan = cache_registrar_.plan(request, path, now);
  if (plan.is_error() || plan.upserts.size() != 1 || !plan.removals.empty()) return std::nullopt;
  const Binding& fresh = plan.upserts.front();
  const Binding* cached = location_.find(plan.user, fresh.contact);
  if (cached == nullptr || !cached->from_itsp || cached->call_id != fresh.call_id ||
      cached->source.remote != path.remote || cached->source.transport != path.transport ||
      cached->expires_at - now <= 2 * phone) {
    return std::nullopt;
  }
  Binding kept = *cached;
  kept.cseq = fresh.cseq;  // the ITSP's grant stands; only the order of refreshes moves on
  location_.upsert(std::move(kept));
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(phone).count();
  return std::vector<sip::ExtraHeader>{
      {"Contact", "<" + fresh.contact + ">;expires=" + std::to_string(seconds)}};
}

RegisterStep RegistrationFlow::serve(TimePoint now, transaction::ServerTransactionId id,
                                     const sip::Message& request, const Path& path, bool failure_operation) {
  auto& planner = failure_operation ? failure_registrar_ : registrar_;
  auto plan = planner.plan(request, path, now);
  if (plan.is_error()) {
    return {.kind = RegisterStep::Kind::Answer,
            .status = plan.status,
            .reason = plan.reason,
            .headers = std::move(plan.headers)};
  }
  if (users_in_flight_.contains(plan.user)) {
    // One store write per AOR at a time: this REGISTER waits for the one in flight.
    if (queued_count_ >= config_.max_queued_registers) {
      return {.kind = RegisterStep::Kind::QueueFull,
              .status = 503,
              .reason = "Service Unavailable",
              .headers = {{"Retry-After", "2"}}};
    }
    queued_[plan.user].push_back({id, path});
    ++queued_count_;
    return {.kind = RegisterStep::Kind::Queued};
  }
  if (!plan.changes_anything()) {
    return {.kind = RegisterStep::Kind::Answer,
            .status = 200,
            .reason = "OK",
            .headers = registrar_.contact_headers(plan.user, now)};
  }
  StoreWrite write = new_write();
  for (const auto& b : plan.upserts) put(write, b);
  for (const auto& contact : plan.removals) {
    write.records.push_back({binding_key(plan.user, contact), std::nullopt});
  }
  users_in_flight_.insert(plan.user);
  const std::uint64_t store_id = write.id;
  pending_.emplace(store_id, Pending{id, std::move(plan)});
  return {.kind = RegisterStep::Kind::Stored, .write = std::move(write)};
}

std::optional<StoredAnswer> RegistrationFlow::on_store_done(TimePoint now, std::uint64_t store_id,
                                                            StoreOutcome outcome) {
  const auto it = pending_.find(store_id);
  if (it == pending_.end()) return std::nullopt;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  const std::string user = pending.plan.user;
  users_in_flight_.erase(user);
  if (outcome != StoreOutcome::Ok) {
    emit_if_wanted(trace_, now, "reg.store_failed", [&](TraceEvent& e) { e.with("user", user); });
    return StoredAnswer{pending.server, user, 500, "Server Internal Error", {{"Retry-After", "5"}}};
  }
  registrar_.apply(pending.plan);
  for (const auto& b : pending.plan.upserts) {
    emit_if_wanted(trace_, now, "reg.binding_saved", [&](TraceEvent& e) {
      e.with("user", b.user).with("contact", b.contact).with("expires_s", seconds_until(b.expires_at, now));
    });
  }
  for (const auto& c : pending.plan.removals) {
    emit_if_wanted(trace_, now, "reg.binding_removed",
                   [&](TraceEvent& e) { e.with("user", user).with("contact", c); });
  }
  rearm_expiry();
  if (!keepalive_timer_.is_set()) arm_keepalive(now);
  return StoredAnswer{pending.server, user, 200, "OK", registrar_.contact_headers(user, now)};
}

std::optional<QueuedRegister> RegistrationFlow::next_queued(std::string_view user) {
  const auto queued = queued_.find(user);
  if (queued == queued_.end()) return std::nullopt;
  if (queued->second.empty() || users_in_flight_.contains(user)) {
    if (queued->second.empty()) queued_.erase(queued);
    return std::nullopt;
  }
  QueuedRegister next = std::move(queued->second.front());
  queued->second.pop_front();
  --queued_count_;
  return next;
}

std::optional<StoreWrite> RegistrationFlow::cache(TimePoint now, const sip::Message& request,
                                                  const Path& from, const sip::Message& response) {
  auto plan = cache_registrar_.plan(request, from, now);
  if (plan.is_error()) return std::nullopt;  // out of order (an older REGISTER's answer) or unparsable
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
  std::vector<Binding> kept;
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
  if (!plan.changes_anything()) return std::nullopt;
  StoreWrite write = new_write();  // nobody waits: the ITSP holds the registration
  for (const auto& b : plan.upserts) {
    put(write, b);
    emit_if_wanted(trace_, now, "reg.cached", [&](TraceEvent& e) {
      e.with("user", b.user).with("contact", b.contact).with("expires_s", seconds_until(b.expires_at, now));
    });
  }
  for (const auto& contact : plan.removals) {
    if (location_.find(plan.user, contact) == nullptr) continue;
    write.records.push_back({binding_key(plan.user, contact), std::nullopt});
    emit_if_wanted(trace_, now, "reg.uncached",
                   [&](TraceEvent& e) { e.with("user", plan.user).with("contact", contact); });
  }
  cache_registrar_.apply(plan);
  rearm_expiry();
  if (!keepalive_timer_.is_set()) arm_keepalive(now);
  if (write.records.empty()) return std::nullopt;
  return write;
}

std::optional<StoreWrite> RegistrationFlow::uncache(TimePoint now, const sip::Message& request) {
  auto plan = cache_registrar_.plan(request, Path{}, now);
  if (plan.user.empty()) return std::nullopt;
  StoreWrite write = new_write();
  const auto drop = [&](const std::string& contact) {
    if (location_.remove(plan.user, contact)) {
      write.records.push_back({binding_key(plan.user, contact), std::nullopt});
      emit_if_wanted(trace_, now, "reg.uncached",
                     [&](TraceEvent& e) { e.with("user", plan.user).with("contact", contact); });
    }
  };
  for (const auto& b : plan.upserts) drop(b.contact);
  for (const auto& c : plan.removals) drop(c);
  rearm_expiry();
  if (write.records.empty()) return std::nullopt;
  return write;
}

void RegistrationFlow::rearm_expiry() {
  const auto next = location_.next_expiry();
  // Usually unchanged (a refresh moves a later expiry): keep the timer then.
  if (next && expiry_timer_.is_set() && expiry_timer_.at == *next) return;
  timers_.cancel(expiry_timer_);
  if (next) {
    expiry_timer_ = timers_.schedule(*next, [this](TimePoint now) { on_expiry(now); });
  }
}

void RegistrationFlow::on_expiry(TimePoint now) {
  expiry_timer_ = TimerId{};
  auto expired = location_.take_expired(now);
  if (port_.holds_cached_bindings()) {
    // The seed: cached registrations do not expire while the ITSP is down. Held for another
    // itsp_down_reg_expires at a time, durably, so a restart during the outage keeps them.
    StoreWrite held = new_write();
    std::vector<Binding> rest;
    for (auto& b : expired) {
      if (!b.from_itsp) {
        rest.push_back(std::move(b));
        continue;
      }
      b.expires_at = now + config_.itsp_down_reg_expires;
      ++b.revision;
      put(held, b);
      location_.upsert(std::move(b));
    }
    if (!held.records.empty()) port_.store(std::move(held));
    expired = std::move(rest);
  }
  if (!expired.empty()) {
    StoreWrite write = new_write();  // nobody waits for it: a failure only leaves a stale record
    for (const auto& b : expired) {
      emit_if_wanted(trace_, now, "reg.binding_expired",
                     [&](TraceEvent& e) { e.with("user", b.user).with("contact", b.contact); });
      write.records.push_back({binding_key(b.user, b.contact), std::nullopt});
    }
    port_.store(std::move(write));
  }
  rearm_expiry();
}

void RegistrationFlow::on_keepalive(TimePoint now) {
  keepalive_timer_ = TimerId{};
  std::set<std::uint64_t> pinged;
  for (const Binding* b : location_.all()) {
    if (!is_stream(b->source.transport) || b->expires_at <= now) continue;
    if (!port_.is_stream_open(b->source.stream)) continue;
    if (!pinged.insert(b->source.stream.value).second) continue;
    port_.send_keepalive_ping(now, b->source.stream);
  }
  if (!pinged.empty()) {
    emit_if_wanted(trace_, now, "transport.keepalives_sent",
                   [&](TraceEvent& e) { e.with("count", std::to_string(pinged.size())); });
  }
  arm_keepalive(now);
}

void RegistrationFlow::arm_keepalive(TimePoint now) {
  if (config_.crlf_keepalive <= Duration::zero()) return;
  keepalive_timer_ = timers_.schedule(now + config_.crlf_keepalive, [this](TimePoint t) { on_keepalive(t); });
}

}  // namespace resproxy::registrar
