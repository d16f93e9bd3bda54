// ITSP host names looked up again while the proxy runs: an ITSP that moves its proxy to another
// address (a failover of its own, a new data centre) is followed within dns_refresh, or within
// the answer's TTL, instead of at the next restart. The look-up is an effect (ResolveName) and
// its answer a completion (NameResolved): the runtime does the DNS, the core decides.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

void ProxyNode::Impl::start_name_refresh(TimePoint now) {
  const auto& monitor = itsp->config();
  name_timers.assign(itsp->size(), TimerId{});
  if (monitor.dns_refresh <= Duration::zero()) return;
  for (std::size_t i = 0; i < itsp->size(); ++i) {
    if (!itsp->target(i).host.empty()) arm_name_lookup(i, now + monitor.dns_refresh);
  }
}

void ProxyNode::Impl::arm_name_lookup(std::size_t index, TimePoint at) {
  self.timers().cancel(name_timers[index]);
  name_timers[index] = self.timers().schedule(at, [this, index](TimePoint t) {
    name_timers[index] = TimerId{};
    look_up_name(t, index);
  });
}

void ProxyNode::Impl::look_up_name(TimePoint now, std::size_t index) {
  if (names_unsupported) return;
  const std::uint64_t id = next_lookup_id++;
  name_lookups[id] = index;
  const std::string& host = itsp->target(index).host;
  trace(now, "itsp.name_lookup", [&](TraceEvent& e) {
    e.with("itsp", itsp->target(index).name).with("host", host);
  });
  self.emit_effect(ResolveName{id, host});
}

void ProxyNode::Impl::on_name_resolved(TimePoint now, const NameResolved& answer) {
  const auto it = name_lookups.find(answer.id);
  if (it == name_lookups.end()) return;
  const std::size_t index = it->second;
  name_lookups.erase(it);
  const auto& monitor = itsp->config();
  const ItspTarget& target = itsp->target(index);
  if (answer.error == NameError::Unsupported) {
    names_unsupported = true;
    trace(now, "itsp.name_lookup_unsupported", [&](TraceEvent& e) { e.with("itsp", target.name); });
    return;
  }
  if (answer.error != NameError::None || answer.addresses.empty()) {
    // The address we have stays: a DNS server behind the failed link must not take the ITSP's
    // address away (the seed's reason for the LAN hosts table).
    trace(now, "itsp.name_lookup_failed", [&](TraceEvent& e) {
      e.with("itsp", target.name)
          .with("host", target.host)
          .with("error", std::string(to_string(answer.error == NameError::None ? NameError::NoRecords
                                                                               : answer.error)))
          .with("kept", target.destination.remote.ip);
    });
    arm_name_lookup(index, now + monitor.dns_retry);
    return;
  }
  const auto& addresses = answer.addresses;
  const bool unchanged =
      std::find(addresses.begin(), addresses.end(), target.destination.remote.ip) != addresses.end();
  // The first address that is not already another ITSP proxy's (a name with several addresses
  // is several proxies): none free, the address in use stays.
  const auto free_address = std::find_if(addresses.begin(), addresses.end(), [&](const std::string& ip) {
    return !itsp->find(Address{ip, target.destination.remote.port});
  });
  if (!unchanged && free_address != addresses.end()) {
    const std::string before = target.destination.remote.to_string();
    itsp->readdress(index, *free_address);
    trace(now, "itsp.readdressed", [&](TraceEvent& e) {
      e.with("itsp", target.name)
          .with("host", target.host)
          .with("from", before)
          .with("to", itsp->target(index).destination.remote.to_string());
    });
  }
  const Duration next = answer.ttl > Duration::zero() ? std::max(answer.ttl, monitor.dns_refresh_min)
                                                      : monitor.dns_refresh;
  arm_name_lookup(index, now + next);
}

}  // namespace resproxy::routing
