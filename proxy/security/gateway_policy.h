#pragma once
// What may leave through the PSTN gateway beyond the exit rule (exit_rule.h), for new calls:
// which sender classes may dial international and premium-rate numbers, and how many calls one
// user and one source may have open, and start per minute. Toll fraud through a branch office
// is a burst of calls to premium or far-away numbers from one compromised phone or one guessed
// password: the class policy closes the expensive numbers to remote (authenticated) phones by
// default, the limits cap what one phone or host can run up before someone notices. Emergency
// calls are never refused here.
//
// Pure: numbers in, verdicts out; GatewayCallLimiter keeps counts with `now` passed in.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/time.h"
#include "proxy/security/exit_rule.h"

namespace resproxy::security {

enum class NumberClass : std::uint8_t { National, International, Premium };
std::string_view to_string(NumberClass number_class);

// Sender classes as a set (a bit per Sender value).
struct SenderSet {
  std::uint8_t bits = 0;
  [[nodiscard]] bool contains(Sender s) const { return (bits >> static_cast<unsigned>(s)) & 1U; }
  SenderSet& add(Sender s) {
    bits = static_cast<std::uint8_t>(bits | (1U << static_cast<unsigned>(s)));
    return *this;
  }
};

struct GatewayPolicyConfig {
  // Prefixes of the dialled number (after visual separators are removed), longest match wins
  // between the two lists. Premium is country-specific: none by default, set for the country.
  std::vector<std::string> international_prefixes{"00", "+"};
  std::vector<std::string> premium_prefixes;
  // Who may dial them through the gateway. National numbers: whoever the exit rule lets through.
  SenderSet international_from = SenderSet{}.add(Sender::Trusted).add(Sender::Authenticated);
  SenderSet premium_from = SenderSet{}.add(Sender::Trusted);
  // Limits on new gateway calls (0: none). A user is the authenticated user, or for a trusted
  // sender its From user; a source is an IPv4 address or an IPv6 /64.
  std::uint32_t max_calls_per_user = 4;
  std::uint32_t max_calls_per_source = 30;
  std::uint32_t calls_per_minute_per_user = 10;
  std::uint32_t calls_per_minute_per_source = 60;
  // A call whose end we never saw (a lost BYE) stops counting after this long.
  Duration max_call_duration = std::chrono::hours(12);
};

// The dialled number as the gateway will see it: the Request-URI user up to any parameter,
// percent-escapes decoded, visual separators (- . ( ) space) removed (RFC 3966 §5.1.1).
[[nodiscard]] std::string normalize_number(std::string_view user);
[[nodiscard]] NumberClass classify_number(std::string_view normalized,
                                          const GatewayPolicyConfig& config);
// Whether `sender` may dial a number of this class through the gateway.
[[nodiscard]] bool may_dial(NumberClass number_class, Sender sender,
                            const GatewayPolicyConfig& config);

enum class LimitVerdict : std::uint8_t { Ok, UserBusy, SourceBusy, UserRate, SourceRate };
std::string_view to_string(LimitVerdict verdict);

class GatewayCallLimiter {
 public:
  explicit GatewayCallLimiter(GatewayPolicyConfig config) : config_(std::move(config)) {}

  // A new call `call_id` toward the gateway. Ok: counted until released (a call already counted
  // — the same INVITE again after the gateway challenged it — is Ok and not counted twice).
  LimitVerdict admit(TimePoint now, std::string_view call_id, std::string_view user,
                     std::string_view source_key);
  // The call ended (BYE, a final failure response, a timeout); unknown Call-IDs are ignored.
  void release(std::string_view call_id);

  [[nodiscard]] std::size_t open_calls() const { return calls_.size(); }
  [[nodiscard]] std::uint32_t open_calls_of_user(std::string_view user) const;

 private:
  struct Counter {
    std::uint32_t open = 0;
    TimePoint window_start{};
    std::uint32_t started = 0;  // in the minute from window_start
  };
  struct Call {
    std::string user;
    std::string source;
    TimePoint started{};
  };
  void expire(TimePoint now);
  static void roll(TimePoint now, Counter& c);

  GatewayPolicyConfig config_;
  std::map<std::string, Call, std::less<>> calls_;  // by Call-ID
  std::map<std::string, Counter, std::less<>> users_;
  std::map<std::string, Counter, std::less<>> sources_;
  TimePoint next_expiry_{};
};

}  // namespace resproxy::security
