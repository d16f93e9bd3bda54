#include "proxy/routing/itsp_monitor.h"

#include <algorithm>

#include "proxy/security/ip_range.h"
#include "proxy/sip/builder.h"

namespace resproxy::routing {

std::string_view to_string(ItspSelection selection) {
  switch (selection) {
    case ItspSelection::Normal: return "normal";
    case ItspSelection::Cyclic: return "cyclic";
    case ItspSelection::DnsSrv: return "dnssrv";
  }
  return "unknown";
}

bool is_unresolved(const ItspTarget& target) {
  std::string_view host = target.destination.remote.ip;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return !security::parse_ip(host).has_value();
}

std::string srv_owner(const ItspTarget& target) {
  const Transport t = target.destination.transport;
  return std::string(t == Transport::Tls ? "_sips._tcp." : t == Transport::Tcp ? "_sip._tcp." : "_sip._udp.") +
         target.destination.remote.ip;
}

bool is_accepted_probe_answer(int status) {
  return (status >= 200 && status < 400) || status == 401 || status == 404 || status == 407 ||
         status == 483;
}

ItspMonitor::ItspMonitor(ItspMonitorConfig config, transaction::SipNode& node, TimePoint start)
    : config_(std::move(config)), node_(node) {
  call_id_prefix_ = node_.rng().token(12);
  from_tag_ = node_.rng().token(10);
  states_.reserve(config_.targets.size());
  // Ranks: configuration order; the members of one SRV set (dnssrv, resolved at start-up) stay
  // together, in the order they came, where the first of them is.
  std::vector<std::pair<std::string, std::uint64_t>> service_rank;
  for (std::size_t i = 0; i < config_.targets.size(); ++i) {
    auto& target = config_.targets[i];
    if (config_.selection == ItspSelection::DnsSrv && target.service.empty() && is_unresolved(target)) {
      target.service = srv_owner(target);
    }
    const bool probed = target.enabled && config_.options_check && !is_unresolved(target);
    std::uint64_t rank = static_cast<std::uint64_t>(i) << 16;
    if (!target.service.empty()) {
      auto it = std::find_if(service_rank.begin(), service_rank.end(),
                             [&](const auto& p) { return p.first == target.service; });
      if (it == service_rank.end()) {
        service_rank.emplace_back(target.service, rank);
      } else {
        rank = ++it->second;
      }
    }
    states_.push_back(TargetState{ItspHealth(config_.health, probed, start), std::nullopt, {}, {}, 0, start, rank, false});
  }
  sort_order();
  for (std::size_t i = 0; i < states_.size(); ++i) arm_next(i);
}

void ItspMonitor::sort_order() {
  order_.resize(states_.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(),
                   [this](std::size_t a, std::size_t b) { return states_[a].rank < states_[b].rank; });
}

void ItspMonitor::restart(TimePoint now, std::size_t index, bool usable) {
  auto& s = states_[index];
  if (s.probe) node_.transactions().abandon_client(now, *s.probe);
  s.probe.reset();
  node_.timers().cancel(s.probe_timer);
  node_.timers().cancel(s.timeout_timer);
  const bool probed = usable && config_.targets[index].enabled && config_.options_check;
  s.health = ItspHealth(config_.health, probed, now);
  s.changed_at = now;
  arm_next(index);
}

void ItspMonitor::arm_next(std::size_t index) {
  auto& s = states_[index];
  node_.timers().cancel(s.probe_timer);
  if (s.probe) return;  // one probe at a time; the next is armed when it ends
  if (auto at = s.health.next_probe_at()) {
    s.probe_timer = node_.timers().schedule(*at, [this, index](TimePoint now) {
      states_[index].probe_timer = TimerId{};
      send_probe(now, index);
    });
  }
}

void ItspMonitor::send_probe(TimePoint now, std::size_t index) {
  auto& s = states_[index];
  const auto& target = config_.targets[index];
  transport::Destination destination = target.destination;
  if (config_.probe_transport) destination.transport = *config_.probe_transport;
  const std::string branch = node_.transactions().new_branch();
  const std::string uri = "sip:" + target.destination.remote.to_string();
  Address from = node_.transport().config().local;
  if (!config_.sent_by_host.empty()) from.ip = config_.sent_by_host;
  const std::string local = from.to_string();
  ++s.cseq;
  auto request = sip::Message::parse(sip::make_request(
      "OPTIONS", uri,
      {{"Via", node_.via_for(destination.transport, branch, config_.sent_by_host)},
       {"Max-Forwards", "70"},
       {"From", "<sip:resproxy@" + local + ">;tag=" + from_tag_},
       {"To", "<" + uri + ">"},
       {"Call-ID", call_id_prefix_ + "-" + std::to_string(index) + "@resproxy"},
       {"CSeq", std::to_string(s.cseq) + " OPTIONS"},
       {"Accept", "application/sdp"}}));
  if (!request) return;  // guaranteed: built from valid parts
  ++probes_sent_;
  s.health.probe_sent(now);
  s.probe = node_.transactions().send_request(now, std::move(request).value(), destination,
                                              config_.probe_retransmit);
  s.timeout_timer = node_.timers().schedule(now + config_.probe_timeout, [this, index](TimePoint t) {
    states_[index].timeout_timer = TimerId{};
    probe_done(t, index, false, "timeout");
  });
}

void ItspMonitor::probe_done(TimePoint now, std::size_t index, bool ok, std::string_view why) {
  auto& s = states_[index];
  if (!s.probe) return;
  // A failed probe stops here: its transaction would retransmit until Timer F (32 s), at a dead
  // ITSP every probe_retransmit — hundreds of datagrams per probe, all burst on it at return.
  if (!ok) node_.transactions().abandon_client(now, *s.probe);
  s.probe.reset();  // a late answer to this probe is ignored from now on
  node_.timers().cancel(s.timeout_timer);
  const ItspState before = s.health.state();
  if (ok) {
    s.health.on_probe_success(now);
  } else {
    s.health.on_probe_failure(now);
    if (node_.trace().enabled()) {
      node_.trace().emit(TraceEvent{now, "itsp.probe_failed", {}}
                             .with("itsp", config_.targets[index].name)
                             .with("why", std::string(why)));
    }
  }
  note_state(now, index, before);
  arm_next(index);
}

void ItspMonitor::note_state(TimePoint now, std::size_t index, ItspState before) {
  const ItspState after = states_[index].health.state();
  if (after == before) return;
  // How long the previous state lasted: for Inactive after Probing, the detection time since
  // the first doubt; for Active after Inactive, the outage as resproxy saw it.
  const Duration lasted = now - states_[index].changed_at;
  states_[index].changed_at = now;
  if (!node_.trace().enabled()) return;
  const char* name = after == ItspState::Inactive  ? "itsp.marked_inactive"
                     : after == ItspState::Active  ? "itsp.marked_active"
                                                   : "itsp.marked_suspect";
  node_.trace().emit(TraceEvent{now, name, {}}
                         .with("itsp", config_.targets[index].name)
                         .with("from", std::string(to_string(before)))
                         .with("to", std::string(to_string(after)))
                         .with("previous_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(lasted).count())));
}

bool ItspMonitor::on_response(TimePoint now, transaction::ClientTransactionId id, int status) {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (states_[i].probe != id) continue;
    if (status < 200) return true;  // provisional: keep waiting
    probe_done(now, i, is_accepted_probe_answer(status), "status " + std::to_string(status));
    return true;
  }
  return false;
}

bool ItspMonitor::on_client_error(TimePoint now, transaction::ClientTransactionId id) {
  for (std::size_t i = 0; i < states_.size(); ++i) {
    if (states_[i].probe != id) continue;
    probe_done(now, i, false, "transaction_error");
    return true;
  }
  return false;
}

void ItspMonitor::on_traffic_failure(TimePoint now, std::size_t index, TrafficFailure failure) {
  auto& s = states_[index];
  const ItspState before = s.health.state();
  s.health.on_traffic_failure(now, failure);
  note_state(now, index, before);
  if (s.health.state() != before) arm_next(index);  // probe now
}

void ItspMonitor::on_traffic_success(TimePoint now, std::size_t index) {
  auto& s = states_[index];
  const ItspState before = s.health.state();
  s.health.on_traffic_success(now);
  note_state(now, index, before);
  if (s.health.state() != before) arm_next(index);
}

std::optional<std::size_t> ItspMonitor::select() {
  const std::size_t n = states_.size();
  if (n == 0) return std::nullopt;
  // Active proxies first; a suspect (Probing) one only when no proxy is Active.
  for (const ItspState wanted : {ItspState::Active, ItspState::Probing}) {
    if (config_.selection == ItspSelection::Cyclic) {
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (next_cyclic_ + k) % n;
        if (states_[i].health.state() == wanted) {
          next_cyclic_ = (i + 1) % n;
          return i;
        }
      }
      continue;
    }
    // Normal (and DnsSrv, whose targets are ranked in SRV order): the first that is up.
    for (const std::size_t i : order_) {
      if (states_[i].health.state() == wanted) return i;
    }
  }
  return std::nullopt;
}

void ItspMonitor::readdress(std::size_t index, std::string ip) {
  config_.targets[index].destination.remote.ip = std::move(ip);
}

void ItspMonitor::readdress(std::size_t index, std::string ip, TimePoint now) {
  ItspTarget& target = config_.targets[index];
  const bool was_unresolved = is_unresolved(target);
  if (was_unresolved && target.host.empty()) target.host = target.destination.remote.ip;
  readdress(index, std::move(ip));
  if (was_unresolved) restart(now, index, true);
}

ItspMonitor::SetChange ItspMonitor::replace_service(TimePoint now, const std::string& owner,
                                                    std::vector<ItspTarget> targets) {
  SetChange change;
  const auto same = [](const ItspTarget& a, const ItspTarget& b) {
    return a.destination.remote.port == b.destination.remote.port &&
           a.destination.remote.ip == b.destination.remote.ip &&
           a.destination.transport == b.destination.transport;
  };
  std::vector<std::size_t> slots;  // the service's slots, in rank order
  for (const std::size_t i : order_) {
    if (config_.targets[i].service == owner) slots.push_back(i);
  }
  const std::uint64_t base = slots.empty() ? static_cast<std::uint64_t>(states_.size()) << 16
                                           : states_[slots.front()].rank & ~std::uint64_t{0xFFFF};
  std::vector<bool> kept(slots.size(), false);
  std::vector<std::optional<std::size_t>> placed(targets.size());
  for (std::size_t t = 0; t < targets.size(); ++t) {
    for (std::size_t k = 0; k < slots.size(); ++k) {
      const std::size_t i = slots[k];
      if (kept[k] || states_[i].retired || is_unresolved(config_.targets[i])) continue;
      if (!same(config_.targets[i], targets[t])) continue;
      kept[k] = true;
      placed[t] = i;
      break;
    }
  }
  // What left: retired (its address stays known). Free slots: retired or never resolved ones.
  std::vector<std::size_t> free;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    if (kept[k]) continue;
    const std::size_t i = slots[k];
    const bool live = !states_[i].retired && !is_unresolved(config_.targets[i]);
    if (live) change.removed.push_back(config_.targets[i].destination.remote);
    if (live || !states_[i].retired) {
      states_[i].retired = true;
      restart(now, i, false);
    }
    free.push_back(i);
  }
  for (std::size_t t = 0; t < targets.size(); ++t) {
    targets[t].service = owner;
    std::size_t i = 0;
    if (placed[t]) {
      i = *placed[t];
      config_.targets[i].host = targets[t].host;
    } else {
      if (!free.empty()) {
        i = free.front();
        free.erase(free.begin());
        config_.targets[i] = std::move(targets[t]);
      } else {
        i = states_.size();
        config_.targets.push_back(std::move(targets[t]));
        states_.push_back(TargetState{ItspHealth(config_.health, false, now), std::nullopt, {}, {}, 0, now, 0, false});
      }
      states_[i].retired = false;
      restart(now, i, true);
      change.added.push_back(i);
    }
    states_[i].rank = base | std::min<std::uint64_t>(t, 0xFFFE);
  }
  for (std::size_t k = 0; k < free.size(); ++k) states_[free[k]].rank = base | 0xFFFF;
  sort_order();
  return change;
}

std::optional<std::size_t> ItspMonitor::find(const Address& remote) const {
  for (std::size_t i = 0; i < config_.targets.size(); ++i) {
    const Address& a = config_.targets[i].destination.remote;
    if (a.port == remote.port && a.ip == remote.ip) return i;
  }
  return std::nullopt;
}

bool ItspMonitor::any_usable() const {
  for (const auto& s : states_) {
    if (s.health.is_usable()) return true;
  }
  return false;
}

}  // namespace resproxy::routing
