#include "proxy/media/ng/ng_client.h"

#include <algorithm>

#include "proxy/base/check.h"

namespace resproxy::media::ng {

namespace {

constexpr Duration kMinInterval = std::chrono::milliseconds{1};
constexpr std::size_t kMaxQuotedResult = 64;  // of an unexpected "result" in error_reason

// Why a reply that is neither "ok" nor "pong" failed, for NgOutcome::error_reason.
std::string failure_reason(const NgReply& reply, const Dict& dict) {
  if (reply.result == NgResult::Error) return reply.error_reason;
  const Value* result = dict.find("result");
  if (result == nullptr || result->string() == nullptr) return "reply without a result";
  const std::string& text = *result->string();
  std::string out = "unexpected result \"";
  out += text.substr(0, kMaxQuotedResult);
  if (text.size() > kMaxQuotedResult) out += "...";
  out += '"';
  return out;
}

}  // namespace

std::string_view to_string(NgFailure failure) {
  switch (failure) {
    case NgFailure::NoRelay: return "no relay";
    case NgFailure::TooManyPending: return "too many pending requests";
    case NgFailure::Timeout: return "timeout";
    case NgFailure::ErrorReply: return "error reply";
    case NgFailure::SigningFailed: return "signing failed";
  }
  return "failure";
}

std::string_view to_string(NgIgnored reason) {
  switch (reason) {
    case NgIgnored::TooLarge: return "too large";
    case NgIgnored::Undecodable: return "undecodable";
    case NgIgnored::UnknownCookie: return "unknown cookie";
    case NgIgnored::WrongSource: return "wrong source";
    case NgIgnored::Unsigned: return "unsigned";
    case NgIgnored::BadSignature: return "bad signature";
  }
  return "ignored";
}

NgClient::NgClient(NgClientConfig config, const Crypto& crypto, Rng& rng)
    : config_(std::move(config)), crypto_(crypto), rng_(rng) {
  config_.retransmit_interval = std::max(config_.retransmit_interval, kMinInterval);
  config_.ping_interval = std::max(config_.ping_interval, kMinInterval);
  config_.max_tries = std::max(config_.max_tries, 1U);
  config_.failures_to_down = std::max(config_.failures_to_down, 1U);
  relays_.reserve(config_.relays.size());
  for (const RelayTarget& target : config_.relays) {
    Relay relay;
    if (!target.secret.empty()) relay.signer.emplace(target.secret, crypto_, rng_);
    relays_.push_back(std::move(relay));
  }
}

void NgClient::start(TimePoint now) {
  if (started_) return;
  started_ = true;
  for (RelayIndex i = 0; i < relays_.size(); ++i) timers_.emplace(now, TimerKind::Ping, i);
}

// --- picking -----------------------------------------------------------------------------------

std::optional<RelayIndex> NgClient::pick() {
  if (auto weighted = pick_among(false)) return weighted;
  return pick_among(true);
}

std::optional<RelayIndex> NgClient::pick_among(bool spares) {
  std::int64_t total = 0;
  std::optional<RelayIndex> best;
  for (RelayIndex i = 0; i < relays_.size(); ++i) {
    Relay& r = relays_[i];
    const std::uint32_t weight = config_.relays[i].weight;
    if (!r.status.up || (weight == 0) != spares) continue;
    const std::int64_t w = spares ? 1 : std::int64_t{weight};
    r.current_weight += w;
    total += w;
    if (!best || r.current_weight > relays_[*best].current_weight) best = i;  // ties: lowest index
  }
  if (best) relays_[*best].current_weight -= total;
  return best;
}

void NgClient::reset_weights() {
  for (Relay& r : relays_) r.current_weight = 0;
}

// --- sending -----------------------------------------------------------------------------------

RequestId NgClient::send(TimePoint now, Duration since_unix_epoch, RelayIndex relay, Dict request) {
  const RequestId id = next_id_++;
  const auto refuse = [&](NgFailure failure) {
    outcomes_.push_back(NgOutcome{id, relay, unexpected(failure), {}, {}});
    return id;
  };
  if (relay >= relays_.size()) {
    ++counters_.no_relay;
    return refuse(NgFailure::NoRelay);
  }
  if (pending_requests_ >= config_.max_pending) {
    ++counters_.too_many_pending;
    return refuse(NgFailure::TooManyPending);
  }
  auto prepared = prepare(id, relays_[relay], std::move(request), since_unix_epoch);
  if (!prepared) {
    ++counters_.signing_failed;
    return refuse(NgFailure::SigningFailed);
  }
  ++counters_.requests;
  launch(now, id, relay, false, std::move(prepared->first), std::move(prepared->second));
  return id;
}

std::optional<std::pair<std::string, std::string>> NgClient::prepare(RequestId id, Relay& relay,
                                                                     Dict request,
                                                                     Duration since_unix_epoch) {
  std::string cookie = make_cookie(rng_);
  // A 64-bit collision with a pending cookie: the id makes it unique (make_cookie's are 16
  // characters, these longer, and ids never repeat).
  if (by_cookie_.contains(cookie)) cookie += "_" + std::to_string(id);
  if (relay.signer && !relay.signer->sign(cookie, request, since_unix_epoch)) return std::nullopt;
  std::string bytes = build_datagram(cookie, request);
  return std::pair{std::move(cookie), std::move(bytes)};
}

void NgClient::launch(TimePoint now, RequestId id, RelayIndex relay, bool ping, std::string cookie,
                      std::string bytes) {
  datagrams_.push_back(NgDatagram{config_.relays[relay].address, bytes});
  const TimePoint due = now + config_.retransmit_interval;
  timers_.emplace(due, TimerKind::Request, id);
  by_cookie_.emplace(cookie, id);
  pending_.emplace(id, Pending{relay, std::move(cookie), std::move(bytes), 1, ping, due});
  NgRelayStatus& status = relays_[relay].status;
  if (ping) {
    status.ping_pending = true;
  } else {
    ++pending_requests_;
    ++status.pending;
    ++status.requests;
  }
}

// --- time --------------------------------------------------------------------------------------

std::optional<TimePoint> NgClient::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return std::get<0>(*timers_.begin());
}

void NgClient::on_deadline(TimePoint now, Duration since_unix_epoch) {
  // Every timer handled here is re-armed strictly after `now` (intervals are at least 1 ms), so
  // the loop ends.
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= now) {
    const auto [at, kind, key] = *timers_.begin();
    timers_.erase(timers_.begin());
    if (kind == TimerKind::Request) {
      expire(now, key);
    } else {
      ping_round(now, since_unix_epoch, at, static_cast<RelayIndex>(key));
    }
  }
}

void NgClient::expire(TimePoint now, RequestId id) {
  const auto it = pending_.find(id);
  RESPROXY_CHECK(it != pending_.end());  // a Request timer lives exactly as long as its entry
  Pending& p = it->second;
  if (p.tries < config_.max_tries) {
    ++p.tries;
    ++counters_.retransmissions;
    datagrams_.push_back(NgDatagram{config_.relays[p.relay].address, p.bytes});
    p.due = now + config_.retransmit_interval;
    timers_.emplace(p.due, TimerKind::Request, id);
    return;
  }
  const RelayIndex relay = p.relay;
  const bool ping = p.ping;
  erase(it);
  ++relays_[relay].status.timeouts;
  if (ping) {
    ++counters_.ping_timeouts;
  } else {
    ++counters_.timeouts;
    outcomes_.push_back(NgOutcome{id, relay, unexpected(NgFailure::Timeout), {}, {}});
  }
  failure(relay);
}

void NgClient::ping_round(TimePoint now, Duration since_unix_epoch, TimePoint scheduled,
                          RelayIndex relay) {
  // The next round keeps the cadence; after a late wake-up it starts from now (no burst).
  TimePoint next = scheduled + config_.ping_interval;
  if (next <= now) next = now + config_.ping_interval;
  timers_.emplace(next, TimerKind::Ping, relay);

  if (relays_[relay].status.ping_pending) {
    ++counters_.pings_skipped;
    return;
  }
  const RequestId id = next_id_++;
  auto prepared = prepare(id, relays_[relay], Dict{{"command", "ping"}}, since_unix_epoch);
  if (!prepared) {
    ++counters_.signing_failed;
    failure(relay);  // this relay cannot be controlled
    return;
  }
  ++counters_.pings;
  launch(now, id, relay, true, std::move(prepared->first), std::move(prepared->second));
}

// --- replies -----------------------------------------------------------------------------------

void NgClient::on_datagram(TimePoint now, Duration since_unix_epoch, const Address& source,
                           std::string_view bytes) {
  if (bytes.size() > kMaxReplySize) return ignore(NgIgnored::TooLarge);
  // Cookie and source first: nothing unsolicited is decoded.
  const auto parts = split_datagram(bytes);
  if (!parts) return ignore(NgIgnored::Undecodable);
  const auto by_cookie = by_cookie_.find(parts->cookie);
  if (by_cookie == by_cookie_.end()) return ignore(NgIgnored::UnknownCookie);
  const auto it = pending_.find(by_cookie->second);
  RESPROXY_CHECK(it != pending_.end());
  const RelayTarget& target = config_.relays[it->second.relay];
  if (source != target.address) return ignore(NgIgnored::WrongSource);
  auto message = parse_datagram(bytes);
  if (!message) return ignore(NgIgnored::Undecodable);
  if (relays_[it->second.relay].signer) {
    const auto checked = check_signature(target.secret, crypto_, message->cookie, message->dict,
                                         since_unix_epoch, config_.signature_window);
    if (!checked) {
      return ignore(checked.error() == AuthError::Missing ? NgIgnored::Unsigned : NgIgnored::BadSignature);
    }
  }
  message->dict.erase(kAuthKey);
  complete(now, it, std::move(message->dict));
}

void NgClient::complete(TimePoint now, std::map<RequestId, Pending>::iterator it, Dict dict) {
  const RequestId id = it->first;
  const RelayIndex relay = it->second.relay;
  const bool ping = it->second.ping;
  erase(it);
  answered(now, relay);
  if (ping) {
    ++counters_.pongs;
    relays_[relay].status.last_pong = now;
    return;
  }
  NgReply reply = read_reply(dict);
  if (reply.result == NgResult::Ok || reply.result == NgResult::Pong) {
    ++counters_.replies;
    outcomes_.push_back(NgOutcome{id, relay, std::move(reply), {}, std::move(dict)});
    return;
  }
  ++counters_.error_replies;
  std::string reason = failure_reason(reply, dict);
  outcomes_.push_back(
      NgOutcome{id, relay, unexpected(NgFailure::ErrorReply), std::move(reason), std::move(dict)});
}

void NgClient::erase(std::map<RequestId, Pending>::iterator it) {
  const Pending& p = it->second;
  timers_.erase(Timer{p.due, TimerKind::Request, it->first});  // gone already when it expired
  by_cookie_.erase(p.cookie);
  NgRelayStatus& status = relays_[p.relay].status;
  if (p.ping) {
    status.ping_pending = false;
  } else {
    --pending_requests_;
    --status.pending;
  }
  pending_.erase(it);
}

// --- health ------------------------------------------------------------------------------------

void NgClient::failure(RelayIndex relay) {
  NgRelayStatus& status = relays_[relay].status;
  ++status.consecutive_failures;
  if (!status.up || status.consecutive_failures < config_.failures_to_down) return;
  status.up = false;
  ++counters_.relays_down;
  if (std::find(relays_down_.begin(), relays_down_.end(), relay) == relays_down_.end()) {
    relays_down_.push_back(relay);
  }
  reset_weights();
}

void NgClient::answered(TimePoint now, RelayIndex relay) {
  NgRelayStatus& status = relays_[relay].status;
  status.consecutive_failures = 0;
  status.last_reply = now;
  ++status.replies;
  if (status.up) return;
  status.up = true;
  ++counters_.relays_up;
  reset_weights();
}

// --- outputs -----------------------------------------------------------------------------------

std::vector<NgDatagram> NgClient::take_datagrams() { return std::exchange(datagrams_, {}); }
std::vector<NgOutcome> NgClient::take_outcomes() { return std::exchange(outcomes_, {}); }
std::vector<RelayIndex> NgClient::take_relays_down() { return std::exchange(relays_down_, {}); }

bool NgClient::is_up(RelayIndex relay) const {
  return relay < relays_.size() && relays_[relay].status.up;
}

const NgRelayStatus& NgClient::relay_status(RelayIndex relay) const {
  RESPROXY_CHECK(relay < relays_.size());
  return relays_[relay].status;
}

}  // namespace resproxy::media::ng
