#include "proxy/security/gateway_policy.h"

namespace resproxy::security {

namespace {

constexpr Duration kMinute = std::chrono::minutes(1);

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the longest prefix in `prefixes` that starts `number` (0: none).
std::size_t longest_prefix(std::string_view number, const std::vector<std::string>& prefixes) {
  std::size_t best = 0;
  for (const auto& p : prefixes) {
    if (!p.empty() && p.size() > best && number.starts_with(p)) best = p.size();
  }
  return best;
}

}  // namespace

std::string_view to_string(NumberClass number_class) {
  switch (number_class) {
    case NumberClass::National: return "national";
    case NumberClass::International: return "international";
    case NumberClass::Premium: return "premium";
  }
  return "?";
}

std::string_view to_string(LimitVerdict verdict) {
  switch (verdict) {
    case LimitVerdict::Ok: return "ok";
    case LimitVerdict::UserBusy: return "user_concurrent_limit";
    case LimitVerdict::SourceBusy: return "source_concurrent_limit";
    case LimitVerdict::UserRate: return "user_rate_limit";
    case LimitVerdict::SourceRate: return "source_rate_limit";
  }
  return "?";
}

std::string normalize_number(std::string_view user) {
  user = user.substr(0, user.find(';'));  // RFC 3966 parameters (;phone-context, ;isub)
  std::string out;
  out.reserve(user.size());
  for (std::size_t i = 0; i < user.size(); ++i) {
    char c = user[i];
    if (c == '%' && i + 2 < user.size() && hex(user[i + 1]) >= 0 && hex(user[i + 2]) >= 0) {
      c = static_cast<char>(hex(user[i + 1]) * 16 + hex(user[i + 2]));
      i += 2;
    }
    if (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ') continue;
    out += c;
  }
  return out;
}

NumberClass classify_number(std::string_view normalized, const GatewayPolicyConfig& config) {
  const std::size_t premium = longest_prefix(normalized, config.premium_prefixes);
  const std::size_t international = longest_prefix(normalized, config.international_prefixes);
  if (premium > 0 && premium >= international) return NumberClass::Premium;
  if (international > 0) return NumberClass::International;
  return NumberClass::National;
}

bool may_dial(NumberClass number_class, Sender sender, const GatewayPolicyConfig& config) {
  switch (number_class) {
    case NumberClass::National: return true;
    case NumberClass::International: return config.international_from.contains(sender);
    case NumberClass::Premium: return config.premium_from.contains(sender);
  }
  return false;
}

void GatewayCallLimiter::roll(TimePoint now, Counter& c) {
  if (now - c.window_start >= kMinute) {
    c.window_start = now;
    c.started = 0;
  }
}

void GatewayCallLimiter::expire(TimePoint now) {
  if (now < next_expiry_) return;
  next_expiry_ = now + kMinute;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (now - it->second.started >= config_.max_call_duration) {
      const std::string id = it->first;
      ++it;
      release(id);
    } else {
      ++it;
    }
  }
  // Counters of users and sources with no open call and no start in the last minute.
  for (auto* table : {&users_, &sources_}) {
    for (auto it = table->begin(); it != table->end();) {
      if (it->second.open == 0 && now - it->second.window_start >= kMinute) {
        it = table->erase(it);
      } else {
        ++it;
      }
    }
  }
}

LimitVerdict GatewayCallLimiter::admit(TimePoint now, std::string_view call_id,
                                       std::string_view user, std::string_view source_key) {
  expire(now);
  if (calls_.contains(call_id)) return LimitVerdict::Ok;
  Counter& u = users_[std::string(user)];
  Counter& s = sources_[std::string(source_key)];
  roll(now, u);
  roll(now, s);
  LimitVerdict verdict = LimitVerdict::Ok;
  if (config_.max_calls_per_user > 0 && u.open >= config_.max_calls_per_user) {
    verdict = LimitVerdict::UserBusy;
  } else if (config_.max_calls_per_source > 0 && s.open >= config_.max_calls_per_source) {
    verdict = LimitVerdict::SourceBusy;
  } else if (config_.calls_per_minute_per_user > 0 && u.started >= config_.calls_per_minute_per_user) {
    verdict = LimitVerdict::UserRate;
  } else if (config_.calls_per_minute_per_source > 0 &&
             s.started >= config_.calls_per_minute_per_source) {
    verdict = LimitVerdict::SourceRate;
  }
  if (verdict != LimitVerdict::Ok) return verdict;
  ++u.open;
  ++u.started;
  ++s.open;
  ++s.started;
  calls_.emplace(std::string(call_id), Call{std::string(user), std::string(source_key), now});
  return LimitVerdict::Ok;
}

void GatewayCallLimiter::release(std::string_view call_id) {
  const auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  if (auto u = users_.find(it->second.user); u != users_.end() && u->second.open > 0) --u->second.open;
  if (auto s = sources_.find(it->second.source); s != sources_.end() && s->second.open > 0) {
    --s->second.open;
  }
  calls_.erase(it);
}

std::uint32_t GatewayCallLimiter::open_calls_of_user(std::string_view user) const {
  const auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.open;
}

}  // namespace resproxy::security
