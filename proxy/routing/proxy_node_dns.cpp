// ITSP host names looked up by the core, as an effect (ResolveName) and a completion
// (NameResolved): the runtime does the DNS, the core decides.
//   * A name the runtime did not resolve at start-up (ns-3 always; natively, a look-up that
//     failed) is resolved here before it is used: until then it counts as down and is not probed.
//   * A name DNS resolved is looked up again while the proxy runs: an ITSP that moves its proxy
//     (a failover of its own, a new data centre) is followed within dns_refresh, or within the
//     answer's TTL, instead of at the next restart.
//   * mode = dnssrv: the SRV records of the name (RFC 3263 §4.2), ordered by RFC 2782
//     (srv_order.h), their targets' addresses, make the set of ITSP proxies; at each refresh the
//     set is replaced, proxies that stay keeping their health (ItspMonitor::replace_service).
// A failed look-up never takes an address away: a DNS server behind the failed link must not
// take the ITSP with it (the seed's reason for the LAN hosts table); it is tried again after
// dns_retry.
#include "proxy/routing/proxy_node_impl.h"
#include "proxy/routing/srv_order.h"

namespace resproxy::routing {

namespace {

constexpr std::size_t kMaxProxiesPerService = 16;  // as the native start-up resolver

std::string failure_name(const NameResolved& answer) {
  return std::string(to_string(answer.error == NameError::None ? NameError::NoRecords : answer.error));
}

bool failed(const NameResolved& answer, RecordKind kind) {
  return answer.error != NameError::None ||
         (kind == RecordKind::Address ? answer.addresses.empty() : answer.services.empty());
}

// When to look a name up again after an answer: at its TTL (never sooner than dns_refresh_min),
// or, without one, after dns_refresh.
Duration refresh_after(const ItspMonitorConfig& monitor, Duration ttl) {
  return ttl > Duration::zero() ? std::max(ttl, monitor.dns_refresh_min) : monitor.dns_refresh;
}

std::string addresses_of(const ItspMonitor& itsp, const std::string& owner) {
  std::string out;
  for (std::size_t i = 0; i < itsp.size(); ++i) {
    const ItspTarget& t = itsp.target(i);
    if (t.service != owner || itsp.is_retired(i) || is_unresolved(t)) continue;
    out += (out.empty() ? "" : " ") + t.destination.remote.to_string();
  }
  return out;
}

}  // namespace

void ProxyNode::Impl::start_name_refresh(TimePoint now) {
  const auto& monitor = itsp->config();
  name_timers.assign(itsp->size(), TimerId{});
  for (std::size_t i = 0; i < itsp->size(); ++i) {
    const ItspTarget& t = itsp->target(i);
    if (!t.service.empty()) {
      const bool known = std::any_of(itsp_services.begin(), itsp_services.end(),
                                     [&](const ItspService& s) { return s.owner == t.service; });
      if (known) continue;
      ItspService service;
      service.owner = t.service;
      // The name itself: what an unresolved entry still holds, or the owner without its
      // "_sip._udp." (the start-up resolver kept only the records' targets).
      const std::size_t second_dot = t.service.find('.', t.service.find('.') + 1);
      service.host = is_unresolved(t) ? t.destination.remote.ip : t.service.substr(second_dot + 1);
      service.model = t;
      service.model.destination.remote.ip = service.host;
      itsp_services.push_back(std::move(service));
      continue;
    }
    if (is_unresolved(t)) {
      look_up_name(now, i);  // start-up resolution, now
    } else if (!t.host.empty() && monitor.dns_refresh > Duration::zero()) {
      arm_name_lookup(i, now + monitor.dns_refresh);
    }
  }
  for (std::size_t g = 0; g < itsp_services.size(); ++g) {
    if (addresses_of(*itsp, itsp_services[g].owner).empty()) {
      look_up_service(now, g);
    } else if (monitor.dns_refresh > Duration::zero()) {
      arm_service_lookup(g, now + monitor.dns_refresh);
    }
  }
}

void ProxyNode::Impl::arm_name_lookup(std::size_t index, TimePoint at) {
  if (name_timers.size() < itsp->size()) name_timers.resize(itsp->size());
  self.timers().cancel(name_timers[index]);
  name_timers[index] = self.timers().schedule(at, [this, index](TimePoint t) {
    name_timers[index] = TimerId{};
    look_up_name(t, index);
  });
}

void ProxyNode::Impl::look_up_name(TimePoint now, std::size_t index) {
  if (names_unsupported) return;
  const std::uint64_t id = next_lookup_id++;
  name_lookups[id] = ItspNameLookup{ItspNameLookup::For::Target, index, {}};
  const ItspTarget& target = itsp->target(index);
  const std::string host = target.host.empty() ? target.destination.remote.ip : target.host;
  trace(now, "itsp.name_lookup", [&](TraceEvent& e) { e.with("itsp", target.name).with("host", host); });
  self.emit_effect(ResolveName{id, host, RecordKind::Address});
}

void ProxyNode::Impl::on_name_resolved(TimePoint now, const NameResolved& answer) {
  const auto it = name_lookups.find(answer.id);
  if (it == name_lookups.end()) return;
  const ItspNameLookup lookup = std::move(it->second);
  name_lookups.erase(it);
  if (answer.error == NameError::Unsupported) {
    if (!names_unsupported) {
      trace(now, "itsp.name_lookup_unsupported", [&](TraceEvent& e) {
        e.with("itsp", lookup.what == ItspNameLookup::For::Target ? itsp->target(lookup.index).name
                                                                  : itsp_services[lookup.index].model.name);
      });
    }
    names_unsupported = true;  // ITSP proxies with no address stay down: nobody can resolve them
    return;
  }
  switch (lookup.what) {
    case ItspNameLookup::For::Target: on_target_resolved(now, lookup.index, answer); return;
    case ItspNameLookup::For::Service: on_service_resolved(now, lookup.index, answer); return;
    case ItspNameLookup::For::ServiceHost:
      on_service_host_resolved(now, lookup.index, lookup.host, answer);
      return;
  }
}

void ProxyNode::Impl::on_target_resolved(TimePoint now, std::size_t index, const NameResolved& answer) {
  const auto& monitor = itsp->config();
  const ItspTarget& target = itsp->target(index);
  const bool unresolved = is_unresolved(target);
  const std::string host = unresolved ? target.destination.remote.ip : target.host;
  if (failed(answer, RecordKind::Address)) {
    trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
      e.with("itsp", target.name)
          .with("host", host)
          .with("error", failure_name(answer))
          .with("kept", unresolved ? std::string() : target.destination.remote.ip);
    });
    arm_name_lookup(index, now + monitor.dns_retry);
    return;
  }
  const auto& addresses = answer.addresses;
  const bool unchanged = !unresolved && std::find(addresses.begin(), addresses.end(),
                                                  target.destination.remote.ip) != addresses.end();
  // The first address that is not already another ITSP proxy's (a name with several addresses
  // is several proxies): none free, the address in use stays.
  const auto free_address = std::find_if(addresses.begin(), addresses.end(), [&](const std::string& ip) {
    return !itsp->find(Address{ip, target.destination.remote.port});
  });
  if (!unchanged && free_address != addresses.end()) {
    const std::string before = target.destination.remote.to_string();
    itsp->readdress(index, *free_address, now);
    trace(now, unresolved ? "itsp.name_resolved" : "itsp.readdressed", [&](TraceEvent& e) {
      e.with("itsp", target.name)
          .with("host", host)
          .with("from", before)
          .with("to", itsp->target(index).destination.remote.to_string());
    });
  }
  if (is_unresolved(itsp->target(index))) {
    // Every address it gave is another ITSP proxy's already: nothing new to use yet.
    trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
      e.with("itsp", target.name).with("host", host).with("error", "in_use").with("kept", "");
    });
    arm_name_lookup(index, now + monitor.dns_retry);
    return;
  }
  if (monitor.dns_refresh <= Duration::zero()) return;  // start-up resolution only
  arm_name_lookup(index, now + refresh_after(monitor, answer.ttl));
}

// --- mode = dnssrv ---

void ProxyNode::Impl::arm_service_lookup(std::size_t service, TimePoint at) {
  ItspService& s = itsp_services[service];
  self.timers().cancel(s.timer);
  s.timer = self.timers().schedule(at, [this, service](TimePoint t) {
    itsp_services[service].timer = TimerId{};
    look_up_service(t, service);
  });
}

void ProxyNode::Impl::look_up_service(TimePoint now, std::size_t service) {
  if (names_unsupported) return;
  ItspService& s = itsp_services[service];
  s.ordered.clear();
  s.answers.clear();
  s.pending = 0;
  s.ttl = Duration::zero();
  const std::uint64_t id = next_lookup_id++;
  name_lookups[id] = ItspNameLookup{ItspNameLookup::For::Service, service, {}};
  trace(now, "itsp.name_lookup", [&](TraceEvent& e) {
    e.with("itsp", s.model.name).with("host", s.owner).with("kind", "srv");
  });
  self.emit_effect(ResolveName{id, s.owner, RecordKind::Srv});
}

void ProxyNode::Impl::on_service_resolved(TimePoint now, std::size_t service, const NameResolved& answer) {
  ItspService& s = itsp_services[service];
  const bool none_yet = addresses_of(*itsp, s.owner).empty();
  if (failed(answer, RecordKind::Srv) || says_service_unavailable(answer.services)) {
    const bool no_srv = answer.error == NameError::NotFound || answer.error == NameError::NoRecords ||
                        (answer.error == NameError::None && answer.services.empty());
    if (!no_srv && answer.error == NameError::None) {
      // Every target is ".": RFC 2782, no SIP service here; the proxies we have stay.
      trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
        e.with("itsp", s.model.name).with("host", s.owner).with("error", "no_service")
            .with("kept", addresses_of(*itsp, s.owner));
      });
      arm_service_lookup(service, now + itsp->config().dns_retry);
      return;
    }
    if (!no_srv && !none_yet) {
      trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
        e.with("itsp", s.model.name).with("host", s.owner).with("error", failure_name(answer))
            .with("kept", addresses_of(*itsp, s.owner));
      });
      arm_service_lookup(service, now + itsp->config().dns_retry);
      return;
    }
    // RFC 3263 §4.2: no SRV records, the name's own addresses with the configured port. Also
    // when the SRV look-up failed and we have no proxy at all: a LAN hosts entry may know the
    // name (the runtime answers address look-ups from it without DNS).
    trace(now, "itsp.srv_fallback", [&](TraceEvent& e) {
      e.with("itsp", s.model.name).with("host", s.host).with("error", failure_name(answer));
    });
    s.ordered = {SrvRecord{0, 0, s.model.destination.remote.port, s.host}};
  } else {
    s.ttl = answer.ttl;
    for (auto& r : order_srv_records(answer.services, self.rng())) {
      if (r.port != 0) s.ordered.push_back(std::move(r));  // port 0: nothing listens there
    }
  }
  std::vector<std::string> asked;
  for (const auto& r : s.ordered) {
    const bool seen = std::any_of(asked.begin(), asked.end(),
                                  [&](const std::string& a) { return sip::text::iequals(a, r.target); });
    if (seen) continue;
    asked.push_back(r.target);
    if (is_ip_literal(r.target)) {  // not what RFC 2782 allows, but nothing to look up
      s.answers.emplace_back(r.target, NameResolved{.addresses = {unbracket(r.target)}});
      continue;
    }
    const std::uint64_t id = next_lookup_id++;
    name_lookups[id] = ItspNameLookup{ItspNameLookup::For::ServiceHost, service, r.target};
    ++s.pending;
    self.emit_effect(ResolveName{id, r.target, RecordKind::Address});
  }
  if (s.pending == 0) finish_service_lookup(now, service);
}

void ProxyNode::Impl::on_service_host_resolved(TimePoint now, std::size_t service,
                                               const std::string& host, const NameResolved& answer) {
  ItspService& s = itsp_services[service];
  s.answers.emplace_back(host, answer);
  if (s.pending > 0 && --s.pending == 0) finish_service_lookup(now, service);
}

void ProxyNode::Impl::finish_service_lookup(TimePoint now, std::size_t service) {
  ItspService& s = itsp_services[service];
  const auto& monitor = itsp->config();
  std::vector<ItspTarget> next;
  std::string first_error;
  Duration ttl = s.ttl;
  const auto add = [&](ItspTarget t) {
    const Address& a = t.destination.remote;
    const bool twice = std::any_of(next.begin(), next.end(), [&](const ItspTarget& n) {
      return n.destination.remote.ip == a.ip && n.destination.remote.port == a.port;
    });
    // Another configured proxy (or another service's) at the same address stays the only one.
    const auto other = itsp->find(a);
    const bool elsewhere = other && itsp->target(*other).service != s.owner && !itsp->is_retired(*other);
    if (!twice && !elsewhere && next.size() < kMaxProxiesPerService) next.push_back(std::move(t));
  };
  for (const auto& record : s.ordered) {
    const auto answered = std::find_if(s.answers.begin(), s.answers.end(), [&](const auto& a) {
      return sip::text::iequals(a.first, record.target);
    });
    if (answered != s.answers.end() && !failed(answered->second, RecordKind::Address)) {
      for (const auto& ip : answered->second.addresses) {
        ItspTarget t = s.model;
        t.destination.remote = Address{ip, record.port};
        t.host = record.target;
        add(std::move(t));
      }
      if (answered->second.ttl > Duration::zero()) {
        ttl = ttl > Duration::zero() ? std::min(ttl, answered->second.ttl) : answered->second.ttl;
      }
      continue;
    }
    if (first_error.empty()) {
      first_error = answered == s.answers.end() ? "no_records" : failure_name(answered->second);
    }
    // This target's look-up failed: the proxies it gave before stay.
    for (std::size_t i = 0; i < itsp->size(); ++i) {
      const ItspTarget& t = itsp->target(i);
      if (t.service == s.owner && !itsp->is_retired(i) && !is_unresolved(t) &&
          sip::text::iequals(t.host, record.target) && t.destination.remote.port == record.port) {
        add(t);
      }
    }
  }
  if (next.empty()) {
    trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
      e.with("itsp", s.model.name).with("host", s.owner)
          .with("error", first_error.empty() ? std::string("no_records") : first_error)
          .with("kept", addresses_of(*itsp, s.owner));
    });
    arm_service_lookup(service, now + monitor.dns_retry);
    return;
  }
  const std::string owner = s.owner;
  const std::string name = s.model.name;
  const auto change = itsp->replace_service(now, owner, std::move(next));
  if (name_timers.size() < itsp->size()) name_timers.resize(itsp->size());
  for (const Address& gone : change.removed) {
    trace(now, "itsp.proxy_removed", [&](TraceEvent& e) {
      e.with("itsp", name).with("service", owner).with("address", gone.to_string());
    });
  }
  for (const std::size_t i : change.added) {
    trace(now, "itsp.proxy_added", [&](TraceEvent& e) {
      e.with("itsp", name)
          .with("service", owner)
          .with("host", itsp->target(i).host)
          .with("address", itsp->target(i).destination.remote.to_string());
    });
  }
  trace(now, "itsp.srv_resolved", [&](TraceEvent& e) {
    e.with("itsp", name).with("service", owner).with("proxies", addresses_of(*itsp, owner));
  });
  if (monitor.dns_refresh <= Duration::zero()) return;  // start-up resolution only
  arm_service_lookup(service, now + refresh_after(monitor, ttl));
}

}  // namespace resproxy::routing
