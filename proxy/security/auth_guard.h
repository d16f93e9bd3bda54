#pragma once
// AuthGuard: failed digest attempts, backoff and lockout (RFC 3261 §22 says nothing about
// guessing; every SIP scanner tries passwords). Keyed by the pair (source, user) — a source is
// an IPv4 address or an IPv6 /64 — never by the user alone: an attacker who could lock a user
// out from anywhere would silence a phone during an outage, when its registration here is all
// it has. A source that fails for many users is locked out as a whole (one host trying a
// dictionary of extensions). Trusted sources never reach the guard (their requests are not
// challenged).
//
// Backoff: the first `max_failures` wrong answers within `window` cost nothing; the next locks
// the pair for `lockout`, and each lockout that follows another within `forget_after` doubles
// the time, up to `max_lockout`. A success clears the pair (its lockout level too). While
// locked, the pair's requests are refused (403) without checking the password: nothing can be
// learnt from the answer.
//
// Memory is bounded: at most `max_entries` pairs and sources, least recently failed forgotten
// first; keys are hashed with SipHash under a key from the Rng. Pure: time comes in as `now`.
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/base/rng.h"
#include "proxy/base/siphash.h"
#include "proxy/base/time.h"

namespace resproxy::security {

struct AuthGuardConfig {
  bool enabled = true;
  std::uint32_t max_failures = 5;  // free wrong answers per pair within `window`
  Duration window = std::chrono::minutes(10);
  Duration lockout = std::chrono::seconds(60);
  Duration max_lockout = std::chrono::hours(1);
  Duration forget_after = std::chrono::hours(1);  // no failure this long: the level resets
  // Distinct-user failures from one source within `window` before the whole source is locked
  // (it is guessing users, not mistyping a password). 0: never.
  std::uint32_t max_source_failures = 30;
  std::size_t max_entries = 20000;
};

class AuthGuard {
 public:
  AuthGuard(AuthGuardConfig config, Rng& rng);

  // Whether credentials for `user` from `ip` may be checked now (false: locked, refuse).
  [[nodiscard]] bool may_try(TimePoint now, std::string_view ip, std::string_view user);
  // A wrong answer (wrong password, unknown user). True when this failure locked the pair or
  // the source just now (the caller logs it).
  bool failed(TimePoint now, std::string_view ip, std::string_view user);
  // A right answer: the pair starts afresh.
  void succeeded(std::string_view ip, std::string_view user);

  // Remaining lockout of the pair (or of its source, whichever ends later); 0 if not locked.
  [[nodiscard]] Duration locked_for(TimePoint now, std::string_view ip, std::string_view user) const;

  struct Counters {
    std::uint64_t failures = 0;
    std::uint64_t lockouts = 0;         // pairs or sources locked
    std::uint64_t refused_locked = 0;   // may_try said no
    std::uint64_t entries_forgotten = 0;
  };
  [[nodiscard]] const Counters& counters() const { return counters_; }
  [[nodiscard]] std::size_t entries() const { return entries_.size(); }

 private:
  struct Entry {
    std::uint32_t failures = 0;  // in the current window
    TimePoint window_start{};
    TimePoint last_failure{};
    TimePoint locked_until{};
    std::uint32_t level = 0;     // lockouts in a row: the next one lasts lockout × 2^level
    std::list<std::string>::iterator lru;
  };
  struct KeyHash {
    SipKey key;
    std::size_t operator()(const std::string& s) const { return siphash24(key, s); }
  };
  // "p" + source key + user for a pair, "s" + source key for a source; empty if `ip` is bad.
  static std::string pair_key(std::string_view ip, std::string_view user);
  static std::string source_only_key(std::string_view ip);
  Entry& touch(TimePoint now, const std::string& key);
  [[nodiscard]] const Entry* find(const std::string& key) const;
  // Counts one failure against `e`; true if it locked it now.
  bool count_failure(TimePoint now, Entry& e, std::uint32_t allowed);

  AuthGuardConfig config_;
  std::unordered_map<std::string, Entry, KeyHash> entries_;
  std::list<std::string> lru_;  // most recently failed first
  Counters counters_;
};

}  // namespace resproxy::security
