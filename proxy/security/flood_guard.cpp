#include "proxy/security/flood_guard.h"

#include <algorithm>

#include "proxy/security/ip_range.h"

namespace resproxy::security {

namespace {

constexpr Duration kWindow = std::chrono::seconds(10);

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::string_view to_string(Admission admission) {
  switch (admission) {
    case Admission::Admit: return "admit";
    case Admission::OverRate: return "over_rate";
    case Admission::Banned: return "banned";
    case Admission::NewlyBanned: return "newly_banned";
  }
  return "unknown";
}

bool TokenBucket::take(TimePoint now) {
  if (rate <= 0) return true;
  if (tokens < 0) {
    tokens = burst;
    refilled = now;
  }
  if (now > refilled) {
    tokens = std::min(burst, tokens + rate * seconds(now - refilled));
    refilled = now;
  }
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

FloodGuard::FloodGuard(FloodConfig config, Rng& rng)
    : config_(config), entries_(16, KeyHash{SipKey{rng.next_u64(), rng.next_u64()}}) {
  // One second's worth to start.
  untrusted_total_.rate = config_.untrusted_total_rate;
  untrusted_total_.burst = config_.untrusted_total_rate;
}

std::optional<std::string> source_key(std::string_view ip, std::string* label) {
  const auto parsed = parse_ip(ip);
  if (!parsed) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool v4 = std::equal(kMapped, kMapped + 12, parsed->begin());
  if (v4) {
    if (label) *label = std::string(ip);
    return std::string(reinterpret_cast<const char*>(parsed->data()) + 12, 4);
  }
  if (label) {
    // "2001:db8:1:2::/64" from the first four groups.
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int g = 0; g < 4; ++g) {
      const unsigned v = (static_cast<unsigned>((*parsed)[2 * g]) << 8) | (*parsed)[2 * g + 1];
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned digit = (v >> shift) & 0xf;
        if (digit != 0 || started || shift == 0) {
          out += kHex[digit];
          started = true;
        }
      }
      out += ':';
    }
    *label = out + ":/64";
  }
  return std::string(reinterpret_cast<const char*>(parsed->data()), 8);
}

FloodGuard::Entry* FloodGuard::find_or_add(TimePoint now, std::string_view ip) {
  std::string label;
  auto key = source_key(ip, &label);
  if (!key) return nullptr;
  auto it = entries_.find(*key);
  if (it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);  // most recently seen
    return &it->second;
  }
  if (entries_.size() >= config_.max_sources && !lru_.empty()) {
    // Forget the least recently seen source (a ban of it lapses: its flood has moved on).
    entries_.erase(lru_.back());
    lru_.pop_back();
    ++counters_.sources_forgotten;
  }
  lru_.push_front(*key);
  Entry& e = entries_[*key];
  e.label = std::move(label);
  e.lru = lru_.begin();
  e.window_start = now;
  return &e;
}

void FloodGuard::roll_window(TimePoint now, Entry& e) const {
  if (now - e.window_start < kWindow) return;
  e.window_start = now;
  e.bytes_in = 0;
  e.bytes_out = 0;
  e.strikes = 0;
}

Admission FloodGuard::admit(TimePoint now, std::string_view ip, bool trusted, std::size_t bytes) {
  if (!config_.enabled) return Admission::Admit;
  if (trusted && config_.trusted_rate <= 0) {
    ++counters_.admitted;
    return Admission::Admit;  // no per-source state for the office when it is not limited
  }
  Entry* e = find_or_add(now, ip);
  if (e == nullptr) return Admission::Admit;  // not an address: the transport will refuse it
  if (e->banned_until > now) {
    ++e->ban_drops;
    ++counters_.banned_drops;
    return Admission::Banned;
  }
  const double rate = trusted ? config_.trusted_rate : config_.untrusted_rate;
  const double burst = trusted ? (config_.trusted_burst > 0 ? config_.trusted_burst : 2 * rate)
                               : std::max(1.0, config_.untrusted_burst);
  e->bucket.rate = rate;
  e->bucket.burst = burst;
  roll_window(now, *e);
  if (!e->bucket.take(now)) {
    ++counters_.over_rate;
    // A burst's worth over its own rate within one window: a flood, not a spike.
    if (config_.ban_time > Duration::zero() && ++e->strikes >= static_cast<std::uint64_t>(burst)) {
      e->banned_until = now + config_.ban_time;
      e->ban_drops = 0;
      e->strikes = 0;
      ++counters_.bans;
      return Admission::NewlyBanned;
    }
    return Admission::OverRate;
  }
  if (!trusted && !untrusted_total_.take(now)) {
    ++counters_.over_rate;  // the shared budget is spent: dropped, no strike against it
    return Admission::OverRate;
  }
  if (!trusted) e->bytes_in += bytes;
  ++counters_.admitted;
  return Admission::Admit;
}

bool FloodGuard::may_send(TimePoint now, std::string_view ip, std::size_t bytes) {
  if (!config_.enabled || config_.amplification <= 0) return true;
  Entry* e = find_or_add(now, ip);
  if (e == nullptr) return false;
  roll_window(now, *e);
  if (static_cast<double>(e->bytes_out + bytes) > config_.amplification * static_cast<double>(e->bytes_in)) {
    ++counters_.answers_suppressed;
    return false;
  }
  e->bytes_out += bytes;
  return true;
}

std::vector<FloodGuard::Ban> FloodGuard::bans(TimePoint now) const {
  std::vector<Ban> out;
  for (const auto& [key, e] : entries_) {
    if (e.banned_until > now) out.push_back({e.label, e.banned_until, e.ban_drops});
  }
  std::sort(out.begin(), out.end(), [](const Ban& a, const Ban& b) { return a.source < b.source; });
  return out;
}

bool FloodGuard::unban(TimePoint now, std::string_view ip) {
  const auto key = source_key(ip, nullptr);
  if (!key) return false;
  const auto it = entries_.find(*key);
  if (it == entries_.end() || it->second.banned_until <= now) return false;
  it->second.banned_until = TimePoint{};
  it->second.strikes = 0;
  it->second.bucket.tokens = 0;
  return true;
}

}  // namespace resproxy::security
