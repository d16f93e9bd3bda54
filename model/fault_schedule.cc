#include "model/fault_schedule.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <ns3/simulator.h>

namespace resproxy::model {

FaultSchedule::FaultSchedule(OfficeNetwork& network, Rng& rng,
                             std::function<FaultyNode*(const std::string&)> process)
    : network_(network), rng_(rng), process_(std::move(process)) {}

double FaultSchedule::uniform01() {
  return static_cast<double>(rng_.next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

void FaultSchedule::set_down(std::size_t index, const std::vector<LossyLink*>& links, bool down) {
  if (down_[index] == down) return;  // the end of a flap that ended up: nothing changes
  down_[index] = down;
  for (LossyLink* l : links) l->set_outage(down);
  events_.push_back({ns3::Simulator::Now(), index, down ? "down" : "up"});
}

void FaultSchedule::flap(std::size_t index, std::vector<LossyLink*> links, bool down, bool random) {
  const Fault& f = faults_[index];
  const ns3::Time now = ns3::Simulator::Now();
  if (now >= f.end) return;  // the end event restores "up"
  set_down(index, links, down);
  ns3::Time hold = down ? f.down : f.up;
  if (random) {
    // Exponential with the given mean, at least 1 ms (a zero-length state is no state).
    const double u = std::max(uniform01(), 1e-12);
    hold = ns3::Seconds(std::max(-std::log(u) * hold.GetSeconds(), 0.001));
  }
  ns3::Simulator::Schedule(hold, [this, index, links, down, random] {
    flap(index, links, !down, random);
  });
}

bool is_telephony(FaultKind kind) {
  return kind == FaultKind::E1Los || kind == FaultKind::E1Ais || kind == FaultKind::FxoDead ||
         kind == FaultKind::ExchangeCongestion;
}

bool FaultSchedule::add(const Fault& fault) {
  const std::size_t index = faults_.size();
  if (is_telephony(fault.kind)) {
    if (!telephony_) return false;
    faults_.push_back(fault);
    down_.push_back(false);
    const auto set = [this, index](bool active) {
      const Fault& f = faults_[index];
      telephony_(f, active);
      const char* what = f.kind == FaultKind::E1Los   ? "los"
                         : f.kind == FaultKind::E1Ais ? "ais"
                         : f.kind == FaultKind::FxoDead ? "battery off"
                                                        : "congestion";
      events_.push_back({ns3::Simulator::Now(), index, active ? std::string(what) : std::string("healthy")});
    };
    ns3::Simulator::Schedule(fault.start - ns3::Simulator::Now(), [set] { set(true); });
    ns3::Simulator::Schedule(fault.end - ns3::Simulator::Now(), [set] { set(false); });
    return true;
  }
  const bool process_fault =
      fault.kind == FaultKind::ProcessDead || fault.kind == FaultKind::Process503;
  FaultyNode* node = process_fault && process_ ? process_(fault.target) : nullptr;
  std::vector<LossyLink*> links = process_fault ? std::vector<LossyLink*>{} : network_.links(fault.target);
  if (process_fault ? node == nullptr : links.empty()) return false;
  faults_.push_back(fault);
  down_.push_back(false);
  const ns3::Time start = fault.start - ns3::Simulator::Now();
  const ns3::Time end = fault.end - ns3::Simulator::Now();

  switch (fault.kind) {
    case FaultKind::Outage:
      ns3::Simulator::Schedule(start, [this, index, links] { set_down(index, links, true); });
      ns3::Simulator::Schedule(end, [this, index, links] { set_down(index, links, false); });
      break;
    case FaultKind::Flap:
    case FaultKind::RandomOutages: {
      const bool random = fault.kind == FaultKind::RandomOutages;
      ns3::Simulator::Schedule(start, [this, index, links, random] { flap(index, links, true, random); });
      ns3::Simulator::Schedule(end, [this, index, links] { set_down(index, links, false); });
      break;
    }
    case FaultKind::Loss: {
      const auto apply = [this, index, links](double rate) {
        const Fault& f = faults_[index];
        for (LossyLink* l : links) {
          if (f.direction == "up") {
            l->set_loss_toward_b(rate);
          } else if (f.direction == "down") {
            l->set_loss_toward_a(rate);
          } else {
            l->set_loss(rate);
          }
        }
        std::ostringstream what;
        what << "loss " << rate << " " << f.direction;
        events_.push_back({ns3::Simulator::Now(), index, what.str()});
      };
      ns3::Simulator::Schedule(start, [apply, rate = fault.rate] { apply(rate); });
      ns3::Simulator::Schedule(end, [apply] { apply(0.0); });
      break;
    }
    case FaultKind::Latency: {
      const auto set = [this, index, links](ns3::Time extra, bool log) {
        for (LossyLink* l : links) l->set_delay(l->base_delay() + extra);
        if (log) {
          std::ostringstream what;
          what << "delay +" << extra.GetMilliSeconds() << "ms";
          events_.push_back({ns3::Simulator::Now(), index, what.str()});
        }
      };
      ns3::Simulator::Schedule(start, [set, delay = fault.delay] { set(delay, true); });
      if (fault.jitter.IsStrictlyPositive()) {
        const auto step = std::max(fault.jitter_step, ns3::MilliSeconds(1));
        for (ns3::Time t = fault.start + step; t < fault.end; t += step) {
          ns3::Simulator::Schedule(t - ns3::Simulator::Now(), [this, set, index] {
            const Fault& f = faults_[index];
            set(f.delay + ns3::Seconds(uniform01() * f.jitter.GetSeconds()), false);
          });
        }
      }
      ns3::Simulator::Schedule(end, [set] { set(ns3::Time(), true); });
      break;
    }
    case FaultKind::ProcessDead:
    case FaultKind::Process503: {
      const auto mode = fault.kind == FaultKind::ProcessDead ? FaultyNode::Mode::Dead
                                                              : FaultyNode::Mode::Unavailable;
      ns3::Simulator::Schedule(start, [this, index, node, mode] {
        node->set_mode(mode);
        events_.push_back({ns3::Simulator::Now(), index,
                           mode == FaultyNode::Mode::Dead ? "dead" : "503"});
      });
      ns3::Simulator::Schedule(end, [this, index, node] {
        node->set_mode(FaultyNode::Mode::Healthy);
        events_.push_back({ns3::Simulator::Now(), index, "healthy"});
      });
      break;
    }
    case FaultKind::E1Los:
    case FaultKind::E1Ais:
    case FaultKind::FxoDead:
    case FaultKind::ExchangeCongestion:
      break;  // handled above
  }
  return true;
}

}  // namespace resproxy::model
