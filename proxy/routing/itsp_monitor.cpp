#include "proxy/routing/itsp_monitor.h"

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

bool is_accepted_probe_answer(int status) {
  return (status >= 200 && status < 400) || status == 401 || status == 404 || status == 407 ||
         status == 483;
}

ItspMonitor::ItspMonitor(ItspMonitorConfig config, transaction::SipNode& node, TimePoint start)
    : config_(std::move(config)), node_(node) {
  call_id_prefix_ = node_.rng().token(12);
  from_tag_ = node_.rng().token(10);
  states_.reserve(config_.targets.size());
  for (const auto& target : config_.targets) {
    const bool probed = target.enabled && config_.options_check;
    states_.push_back(TargetState{ItspHealth(config_.health, probed, start), std::nullopt, {}, {}, 0, start});
  }
  for (std::size_t i = 0; i < states_.size(); ++i) arm_next(i);
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
    // Normal (and DnsSrv, whose targets arrive already in SRV order): the first that is up.
    for (std::size_t i = 0; i < n; ++i) {
      if (states_[i].health.state() == wanted) return i;
    }
  }
  return std::nullopt;
}

void ItspMonitor::readdress(std::size_t index, std::string ip) {
  config_.targets[index].destination.remote.ip = std::move(ip);
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
