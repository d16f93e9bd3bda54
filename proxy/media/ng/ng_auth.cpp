#include "proxy/media/ng/ng_auth.h"

#include <algorithm>
#include <array>

namespace resproxy::media::ng {

namespace {

constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                       '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

struct ParsedAuth {
  std::int64_t ts = 0;
  std::string nonce;
  std::string mac;  // hex
};

Result<ParsedAuth, AuthError> parse_auth(const Dict& dict) {
  const Value* auth = dict.find(kAuthKey);
  if (auth == nullptr) return unexpected(AuthError::Missing);
  const Dict* fields = auth->dict();
  if (fields == nullptr || fields->size() != 3) return unexpected(AuthError::Malformed);
  const Value* ts = fields->find("ts");
  const Value* nonce = fields->find("nonce");
  const Value* mac = fields->find("mac");
  if (ts == nullptr || ts->integer() == nullptr || nonce == nullptr || nonce->string() == nullptr ||
      mac == nullptr || mac->string() == nullptr) {
    return unexpected(AuthError::Malformed);
  }
  const std::string& n = *nonce->string();
  const std::string& m = *mac->string();
  if (n.size() < kMinNonceHex || n.size() > kMaxNonceHex || n.size() % 2 != 0 || !is_lower_hex(n)) {
    return unexpected(AuthError::Malformed);
  }
  if (m.size() != 64 || !is_lower_hex(m)) return unexpected(AuthError::Malformed);
  return ParsedAuth{*ts->integer(), n, m};
}

bool in_window(std::int64_t ts, Duration since_unix_epoch, std::chrono::seconds window) {
  // ts is from the wire (any int64): compare, never subtract from it.
  const std::int64_t now = unix_seconds(since_unix_epoch);
  return ts >= now - window.count() && ts <= now + window.count();
}

// The dictionary without "auth" when the MAC matches.
Result<Dict, AuthError> check_mac(std::string_view secret, const Crypto& crypto, std::string_view cookie,
                                  const Dict& dict, const ParsedAuth& auth) {
  Dict rest = dict;
  rest.erase(kAuthKey);
  const auto mac = crypto.hmac_sha256(secret, auth_mac_input(cookie, auth.ts, auth.nonce, rest));
  if (!mac) return unexpected(AuthError::CryptoUnavailable);
  if (!constant_time_equals(to_hex(*mac), auth.mac)) return unexpected(AuthError::BadMac);
  return rest;
}

}  // namespace

std::string auth_mac_input(std::string_view cookie, std::int64_t ts, std::string_view nonce,
                           const Dict& dict) {
  RESPROXY_ASSERT(!dict.contains(kAuthKey));  // guaranteed: callers erase it first
  return encode(Value(List{Value(kAuthLabel), Value(cookie), Value(ts), Value(nonce), Value(dict)}));
}

// --- NgSigner ----------------------------------------------------------------------------------

NgSigner::NgSigner(std::string secret, const Crypto& crypto, Rng& rng)
    : secret_(std::move(secret)), crypto_(crypto), rng_(rng) {}

bool NgSigner::sign(std::string_view cookie, Dict& dict, Duration since_unix_epoch) {
  std::string raw;
  raw.reserve(kNonceBytes);
  while (raw.size() < kNonceBytes) {
    std::uint64_t bits = rng_.next_u64();
    for (int i = 0; i < 8 && raw.size() < kNonceBytes; ++i, bits >>= 8) {
      raw += static_cast<char>(bits & 0xff);
    }
  }
  const std::string nonce = to_hex(raw);
  const std::int64_t ts = unix_seconds(since_unix_epoch);
  dict.erase(kAuthKey);
  const auto mac = crypto_.hmac_sha256(secret_, auth_mac_input(cookie, ts, nonce, dict));
  if (!mac) return false;
  dict.set(std::string(kAuthKey),
           Value(Dict{{"mac", Value(to_hex(*mac))}, {"nonce", Value(nonce)}, {"ts", Value(ts)}}));
  return true;
}

// --- verification ------------------------------------------------------------------------------

std::string_view to_string(AuthError error) {
  switch (error) {
    case AuthError::Missing: return "Authentication required";
    case AuthError::Malformed: return "Malformed authentication";
    case AuthError::OutsideWindow: return "Authentication timestamp out of range";
    case AuthError::BelowReplayFloor: return "Authentication timestamp too old";
    case AuthError::BadMac: return "Authentication failed";
    case AuthError::Replayed: return "Replayed message";
    case AuthError::CryptoUnavailable: return "Authentication unavailable";
  }
  return "Authentication failed";
}

Result<AuthFields, AuthError> check_signature(std::string_view secret, const Crypto& crypto,
                                              std::string_view cookie, const Dict& dict,
                                              Duration since_unix_epoch, std::chrono::seconds window) {
  auto auth = parse_auth(dict);
  if (!auth) return unexpected(auth.error());
  if (!in_window(auth->ts, since_unix_epoch, window)) return unexpected(AuthError::OutsideWindow);
  const auto rest = check_mac(secret, crypto, cookie, dict, *auth);
  if (!rest) return unexpected(rest.error());
  return AuthFields{auth->ts, std::move(auth->nonce)};
}

NgAuthVerifier::NgAuthVerifier(NgAuthConfig config, const Crypto& crypto)
    : config_(std::move(config)), crypto_(crypto) {
  config_.max_nonces = std::max<std::size_t>(config_.max_nonces, 1);
}

void NgAuthVerifier::forget_oldest() {
  const auto oldest = by_ts_.begin();
  floor_ = std::max(floor_.value_or(oldest->first), oldest->first);
  const auto node = by_nonce_.find(oldest->second);
  by_ts_.erase(oldest);  // before the key its view points into
  by_nonce_.erase(node);
}

void NgAuthVerifier::forget_before(std::int64_t ts) {
  while (!by_ts_.empty() && by_ts_.begin()->first < ts) forget_oldest();
}

Result<Dict, AuthError> NgAuthVerifier::verify(std::string_view cookie, const Dict& dict,
                                               Duration since_unix_epoch) {
  // Nonces older than the window can pass no window check now: forget them (floor rises, so a
  // wall clock stepping back cannot bring their messages back).
  forget_before(unix_seconds(since_unix_epoch) - config_.window.count());

  // Cheap checks first: an unauthenticated flood costs no HMAC when its ts is off.
  auto auth = parse_auth(dict);
  if (!auth) return unexpected(auth.error());
  if (!in_window(auth->ts, since_unix_epoch, config_.window)) return unexpected(AuthError::OutsideWindow);
  if (floor_ && auth->ts <= *floor_) return unexpected(AuthError::BelowReplayFloor);
  auto rest = check_mac(config_.secret, crypto_, cookie, dict, *auth);
  if (!rest) return rest;
  // Only after the MAC: unauthenticated datagrams never fill the table.
  if (by_nonce_.find(auth->nonce) != by_nonce_.end()) return unexpected(AuthError::Replayed);
  while (by_nonce_.size() >= config_.max_nonces) forget_oldest();
  const auto [it, inserted] = by_nonce_.emplace(std::move(auth->nonce), auth->ts);
  RESPROXY_ASSERT(inserted);  // guaranteed: looked up just above
  by_ts_.emplace(it->second, std::string_view(it->first));
  return rest;
}

// --- ReplyCache --------------------------------------------------------------------------------

ReplyCache::ReplyCache(ReplyCacheConfig config) : config_(config) {}

void ReplyCache::erase(Entries::iterator it) {
  bytes_ -= it->second.reply.size();
  order_.erase(it->second.sequence);
  entries_.erase(it);
}

void ReplyCache::expire(TimePoint now) {
  while (!order_.empty() && order_.begin()->second->second.stored + config_.ttl <= now) {
    erase(order_.begin()->second);
  }
}

const std::string* ReplyCache::find(TimePoint now, const Address& source, std::string_view cookie) {
  expire(now);
  const auto it = entries_.find(Key{source, std::string(cookie)});
  return it != entries_.end() ? &it->second.reply : nullptr;
}

void ReplyCache::insert(TimePoint now, const Address& source, std::string_view cookie, std::string reply) {
  expire(now);
  Key key{source, std::string(cookie)};
  if (const auto old = entries_.find(key); old != entries_.end()) erase(old);
  if (config_.max_entries == 0 || reply.size() > config_.max_bytes) return;
  while (!order_.empty() &&
         (entries_.size() >= config_.max_entries || bytes_ + reply.size() > config_.max_bytes)) {
    erase(order_.begin()->second);
  }
  const std::uint64_t sequence = next_sequence_++;
  bytes_ += reply.size();
  const auto [it, inserted] = entries_.emplace(std::move(key), Entry{now, std::move(reply), sequence});
  RESPROXY_ASSERT(inserted);  // guaranteed: erased above
  order_.emplace(sequence, it);
}

}  // namespace resproxy::media::ng
