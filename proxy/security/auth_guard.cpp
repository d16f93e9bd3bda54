#include "proxy/security/auth_guard.h"

#include <algorithm>

#include "proxy/security/flood_guard.h"

namespace resproxy::security {

namespace {
// A user name is the attacker's choice: only this much of it goes into a key.
constexpr std::size_t kMaxUserInKey = 64;
}  // namespace

AuthGuard::AuthGuard(AuthGuardConfig config, Rng& rng)
    : config_(config), entries_(16, KeyHash{SipKey{rng.next_u64(), rng.next_u64()}}) {}

std::string AuthGuard::pair_key(std::string_view ip, std::string_view user) {
  auto source = source_key(ip, nullptr);
  if (!source) return {};
  std::string key = "p";
  key += *source;
  key += user.substr(0, kMaxUserInKey);
  return key;
}

std::string AuthGuard::source_only_key(std::string_view ip) {
  auto source = source_key(ip, nullptr);
  if (!source) return {};
  return "s" + *source;
}

const AuthGuard::Entry* AuthGuard::find(const std::string& key) const {
  if (key.empty()) return nullptr;
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

AuthGuard::Entry& AuthGuard::touch(TimePoint now, const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (entries_.size() >= config_.max_entries && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
    ++counters_.entries_forgotten;
  }
  lru_.push_front(key);
  Entry& e = entries_[key];
  e.lru = lru_.begin();
  e.window_start = now;
  return e;
}

bool AuthGuard::count_failure(TimePoint now, Entry& e, std::uint32_t allowed) {
  if (now - e.last_failure >= config_.forget_after) e.level = 0;
  if (now - e.window_start >= config_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  e.last_failure = now;
  ++e.failures;
  if (e.failures <= allowed || now < e.locked_until) return false;
  // Over the allowance: locked, each lockout in a row twice as long as the last.
  Duration time = config_.lockout;
  for (std::uint32_t i = 0; i < e.level && time < config_.max_lockout; ++i) time *= 2;
  time = std::min(time, config_.max_lockout);
  e.locked_until = now + time;
  e.level = std::min<std::uint32_t>(e.level + 1, 30);
  e.failures = 0;
  e.window_start = now;
  ++counters_.lockouts;
  return true;
}

bool AuthGuard::may_try(TimePoint now, std::string_view ip, std::string_view user) {
  if (!config_.enabled) return true;
  if (locked_for(now, ip, user) > Duration::zero()) {
    ++counters_.refused_locked;
    return false;
  }
  return true;
}

bool AuthGuard::failed(TimePoint now, std::string_view ip, std::string_view user) {
  if (!config_.enabled) return false;
  ++counters_.failures;
  const std::string pk = pair_key(ip, user);
  if (pk.empty()) return false;
  Entry& pair = touch(now, pk);
  bool locked = count_failure(now, pair, config_.max_failures);
  // The source counts users, not attempts: only a pair's first failure in its window (the
  // pair's own allowance already covers one user's retries).
  if (config_.max_source_failures > 0 && pair.failures == 1 && !locked) {
    locked = count_failure(now, touch(now, source_only_key(ip)), config_.max_source_failures) ||
             locked;
  }
  return locked;
}

void AuthGuard::succeeded(std::string_view ip, std::string_view user) {
  const std::string pk = pair_key(ip, user);
  auto it = entries_.find(pk);
  if (pk.empty() || it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

Duration AuthGuard::locked_for(TimePoint now, std::string_view ip, std::string_view user) const {
  Duration left = Duration::zero();
  for (const Entry* e : {find(pair_key(ip, user)), find(source_only_key(ip))}) {
    if (e != nullptr && now < e->locked_until) left = std::max(left, e->locked_until - now);
  }
  return left;
}

}  // namespace resproxy::security
