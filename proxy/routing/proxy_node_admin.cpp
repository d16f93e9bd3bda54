// Management: typed commands (admin.h) answered from the node's state.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

std::vector<std::string> ProxyNode::Impl::aliases_of(const std::string& user) const {
  std::vector<std::string> out;
  for (const auto& a : config.aliases) {
    if (a.user == user) out.push_back(a.alias);
  }
  return out;
}

void ProxyNode::Impl::command(TimePoint now, const AdminCommand& cmd) {
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
          if (!sources.flood().unban(now, request.source)) {
            self.reply(cmd.id, admin::Refused{request.source + " is not banned (see show bans)"});
            return;
          }
          trace(now, "security.source_unbanned", [&](TraceEvent& e) { e.with("source", request.source); });
          self.reply(cmd.id, admin::Done{"unbanned " + request.source});
        } else if constexpr (std::is_same_v<R, admin::ShowChannels>) {
          self.reply(cmd.id, admin::Unsupported{});  // the gateway's, not the proxy's
        }
      },
      cmd.request);
}

CounterSources ProxyNode::Impl::counter_sources() const {
  CounterSources out{.proxy = counters,
                     .transport = self.transport().counters(),
                     .gateway_open_calls = gateway_limiter.open_calls(),
                     .server_transactions = self.transactions().server_count(),
                     .streams_open = self.transport().open_streams()};
  if (media) {
    const auto& c = media->counters();
    const auto& relay = media->sessions().counters();
    out.media_calls_open = media->calls();
    out.media_calls_anchored = c.calls_anchored;
    out.media_offers_refused = c.offers_refused;
    out.media_calls_timed_out = c.calls_timed_out;
    out.media_packets_forwarded = relay.forwarded;
    for (const auto d : relay.dropped) out.media_packets_dropped += d;
    out.media_calls_external = c.calls_external;
    out.media_relay_failovers = c.external_failovers;
    out.media_relay_failures = c.external_failures;
    out.media_calls_lost = c.calls_lost;
    out.media_calls_forgotten = c.calls_forgotten;
    out.media_audit_queries = c.audit_queries;
    if (const auto* ng = media->ng()) {
      for (std::size_t i = 0; i < ng->relay_count(); ++i) out.media_relays_up += ng->is_up(i) ? 1 : 0;
      out.media_relays_down = ng->counters().relays_down;
      out.media_ng_timeouts = ng->counters().timeouts + ng->counters().ping_timeouts;
      for (const auto n : ng->counters().ignored) out.media_ng_ignored += n;
    }
  }
  return out;
}

admin::Registrations ProxyNode::Impl::registrations(TimePoint now) const {
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

void ProxyNode::Impl::kill_registration(TimePoint now, std::uint64_t command_id, std::size_t n) {
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
  registration.rearm_expiry();
  trace(now, "reg.binding_killed", [&](TraceEvent& e) {
    e.with("user", victim.user)
        .with("contact", victim.contact);
  });
}

bool ProxyNode::Impl::kill_stored(std::uint64_t store_id, StoreOutcome outcome) {
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

admin::ItspStatus ProxyNode::Impl::itsp_status(TimePoint now) const {
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

admin::Bans ProxyNode::Impl::bans(TimePoint now) const {
  admin::Bans out;
  for (const auto& b : sources.flood().bans(now)) {
    out.rows.push_back({b.source, std::chrono::ceil<std::chrono::seconds>(b.until - now).count(), b.dropped});
  }
  return out;
}

}  // namespace resproxy::routing
