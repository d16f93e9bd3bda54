#include "proxy/security/source_admission.h"

#include <chrono>

namespace resproxy::security {

SourceAdmission::SourceAdmission(SourceAdmissionConfig config, Rng& rng, TraceSink& trace,
                                 AdmissionCounters& counters)
    : config_(std::move(config)), flood_(config_.flood, rng), trace_(trace), counters_(counters) {}

bool SourceAdmission::is_trusted(const Path& path) const {
  // Ranges and interfaces change rarely: the last answer holds until the source changes.
  if (path.remote.ip != cache_ip_ || path.interface != cache_interface_ ||
      (path.interface == 0 && path.local.ip != cache_local_)) {
    cache_ip_ = path.remote.ip;
    cache_interface_ = path.interface;
    cache_local_ = path.local.ip;
    cache_value_ =
        any_contains(config_.trusted, path.remote.ip) ||
        (config_.trust_defaults && (interfaces_.known() ? interfaces_.vouches_for(path)
                                                        : any_contains(legacy_defaults_, path.remote.ip)));
  }
  return cache_value_;
}

bool SourceAdmission::from_lan(const Path& path) const {
  if (!config_.lan.empty()) return any_contains(config_.lan, path.remote.ip);
  return interfaces_.known() ? interfaces_.on_lan(path) : any_contains(legacy_defaults_, path.remote.ip);
}

void SourceAdmission::set_interfaces(const std::vector<NetInterface>& interfaces) {
  interfaces_.set(classify_interfaces(interfaces, config_.interfaces));
  cache_ip_ = "-";  // what was trusted may no longer be
}

bool SourceAdmission::admit(TimePoint now, const Path& path, bool office, std::size_t bytes) {
  const auto verdict = flood_.admit(now, path.remote.ip, office, bytes);
  if (verdict == Admission::Admit) return true;
  ++counters_.flood_dropped;
  if (verdict == Admission::NewlyBanned) {
    ++counters_.sources_banned;
    emit_if_wanted(trace_, now, "security.source_banned", [&](TraceEvent& e) {
      const auto seconds = std::chrono::ceil<std::chrono::seconds>(config_.flood.ban_time);
      e.with("source", path.remote.ip).with("ban_s", std::to_string(seconds.count()));
    });
  }
  return false;
}

}  // namespace resproxy::security
