#pragma once
// FloodGuard: the LanScape seed's "DoS protection", before any parsing. Each source (an IPv4
// address, or an IPv6 /64) has a token bucket: untrusted sources a small one, trusted sources
// (phones, the PSTN gateway, the ITSP) their own larger budget, so a flood from outside cannot
// starve the office; all untrusted sources together share one more bucket. A source that sends
// a burst's worth of messages into its own empty bucket within 10 s — persistently over its
// rate, not one spike — is banned for a while (dropped at once, `resproxyctl show bans`,
// `unban`); being cut by the shared bucket is nobody's fault and never leads to a ban. The guard also keeps, per untrusted source, the bytes it sent and the bytes we
// originated toward it over a 10 s window, so that answers we make up (challenges, refusals)
// never exceed `amplification` times what it sent: we are nobody's reflector.
//
// Memory is bounded: at most `max_sources` entries, the least recently seen forgotten first;
// entries are hashed with SipHash under a key from the Rng, so nobody can aim at one bucket.
// Pure: time comes in as `now`.
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/siphash.h"
#include "proxy/base/time.h"

namespace resproxy::security {

struct FloodConfig {
  bool enabled = true;
  double untrusted_rate = 20;         // messages per second per untrusted source
  double untrusted_burst = 60;
  double untrusted_total_rate = 2000; // all untrusted sources together (0: no such cap)
  double trusted_rate = 0;            // per trusted source (0: unlimited)
  double trusted_burst = 0;           // 0: 2 s worth of trusted_rate
  Duration ban_time = std::chrono::seconds(60);  // 0: never ban, only drop
  double amplification = 3.0;         // bytes we originate ≤ this × bytes received, per 10 s
  std::size_t max_sources = 20000;
};

// A token bucket: `rate` per second, at most `burst` (0 rate: unlimited). Starts full.
struct TokenBucket {
  double rate = 0;
  double burst = 0;
  double tokens = -1;  // < 0: not started
  TimePoint refilled{};
  bool take(TimePoint now);
};

enum class Admission : std::uint8_t {
  Admit,
  OverRate,     // dropped: its bucket (or the untrusted total) is empty
  Banned,       // dropped: banned until later
  NewlyBanned,  // dropped, and banned from now on for ban_time
};
std::string_view to_string(Admission admission);

// The key of a source for per-source limits: the 4 bytes of an IPv4 address, the first 8 of an
// IPv6 one (its /64: one host's privacy addresses are one source); nullopt if unparsable.
// `label`, when given, gets its text: the address, or "2001:db8:1:2::/64".
[[nodiscard]] std::optional<std::string> source_key(std::string_view ip, std::string* label);

class FloodGuard {
 public:
  FloodGuard(FloodConfig config, Rng& rng);

  // One message of `bytes` from `ip` (textual, as in Address::ip).
  Admission admit(TimePoint now, std::string_view ip, bool trusted, std::size_t bytes);
  // Whether we may originate `bytes` toward `ip` (an untrusted source) now; counts them if so.
  bool may_send(TimePoint now, std::string_view ip, std::size_t bytes);

  struct Ban {
    std::string source;  // the address, or the /64 as "2001:db8:1:2::/64"
    TimePoint until;
    std::uint64_t dropped = 0;  // messages dropped since the ban began
  };
  [[nodiscard]] std::vector<Ban> bans(TimePoint now) const;  // ordered by source
  // Lifts the ban of the source `ip` (an address; for IPv6 any address of the /64). False if
  // it was not banned.
  bool unban(TimePoint now, std::string_view ip);

  struct Counters {
    std::uint64_t admitted = 0;
    std::uint64_t over_rate = 0;
    std::uint64_t banned_drops = 0;
    std::uint64_t bans = 0;
    std::uint64_t answers_suppressed = 0;  // may_send said no
    std::uint64_t sources_forgotten = 0;   // evicted at max_sources
  };
  [[nodiscard]] const Counters& counters() const { return counters_; }
  [[nodiscard]] std::size_t sources() const { return entries_.size(); }
  [[nodiscard]] const FloodConfig& config() const { return config_; }

 private:
  struct Entry {
    std::string label;  // for show bans
    TokenBucket bucket;
    std::uint64_t strikes = 0;  // messages over its own rate in this window
    TimePoint banned_until{};
    std::uint64_t ban_drops = 0;
    TimePoint window_start{};  // 10 s windows: strikes and the amplification budget
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::list<std::string>::iterator lru;
  };
  struct KeyHash {
    SipKey key;
    std::size_t operator()(const std::string& s) const { return siphash24(key, s); }
  };
  Entry* find_or_add(TimePoint now, std::string_view ip);
  void roll_window(TimePoint now, Entry& e) const;

  FloodConfig config_;
  TokenBucket untrusted_total_;
  std::unordered_map<std::string, Entry, KeyHash> entries_;
  std::list<std::string> lru_;  // most recently seen first
  Counters counters_;
};

}  // namespace resproxy::security
