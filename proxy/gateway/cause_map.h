#pragma once
// Release causes between SIP and the PSTN: ITU-T Q.850 cause values to SIP final responses and
// back, as RFC 3398 §7.2.4.1 (ISUP → SIP) and §8.2.6.1 (SIP → ISUP) tabulate them — the same
// values Q.931 carries in its Cause information element on an ISDN PRI — and the cause carried in
// a Reason header (RFC 3326) both ways, so the far end sees the PSTN's own cause.
//
// Deliberate choices where RFC 3398 leaves room or implementations differ (documented in
// docs/gateway.md, tested in tests/unit/gateway/cause_map_test.cpp):
//   - 34 (no circuit/channel available), 38 (network out of order), 41 (temporary failure),
//     42 (switching equipment congestion) and 47 (resource unavailable) give 503 as RFC 3398 says,
//     and never with Retry-After: a Retry-After would make every upstream element avoid the
//     whole gateway for that long, when only this call's route is full or down; and 503 is what
//     makes the proxy (RFC 3261 §16.7) and our own re-presentation try the next route. Some
//     gateways answer 34 with 486 or 480 so that phones show "busy"; that hides a capacity
//     problem from the proxy and stops the next route being tried, so we do not.
//   - A cause with location "user" (Q.850 location 0) and a 4xx mapping for which a 6xx exists
//     (403 → 603 for 21 call rejected; 486 → 600 for 17 user busy) gives the 6xx (RFC 3398
//     §7.2.4.1, note (+)): the called user itself refused, everywhere.
//   - A cause RFC 3398 does not list maps as the listed causes of its Q.850 class (Q.850 §2.2.7)
//     do: normal events (1-31) → 480 as 31 does, resource unavailable (34-47) → 503 as 47,
//     service or option not available (49-63) → 503 as 58, not implemented (65-79) → 501 as
//     79, invalid message (81-95), protocol error (96-111) and interworking (127) → 500 as
//     111 and 127 do.
//   - A SIP status RFC 3398 does not list maps as its class's x00 response does (RFC 3261
//     §8.1.3.2: an unknown final response is treated as x00 of its class).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resproxy::gateway {

// Q.850 §2.2.5 location (octet 3, bits 4-1).
enum class CauseLocation : std::uint8_t {
  User = 0,
  PrivateLocal = 1,        // private network serving the local user
  PublicLocal = 2,         // public network serving the local user
  Transit = 3,
  PublicRemote = 4,        // public network serving the remote user
  PrivateRemote = 5,       // private network serving the remote user
  International = 7,
  BeyondInterworking = 10,
};

struct Cause {
  std::uint8_t value = 16;  // Q.850 cause value, 1..127
  CauseLocation location = CauseLocation::PublicRemote;
  friend bool operator==(const Cause&, const Cause&) = default;
};

// Well-known cause values (Q.850 Table 1) the gateway uses by name.
namespace cause {
inline constexpr std::uint8_t kUnallocatedNumber = 1;
inline constexpr std::uint8_t kNoRouteToDestination = 3;
inline constexpr std::uint8_t kNormalClearing = 16;
inline constexpr std::uint8_t kUserBusy = 17;
inline constexpr std::uint8_t kNoUserResponding = 18;
inline constexpr std::uint8_t kNoAnswer = 19;
inline constexpr std::uint8_t kCallRejected = 21;
inline constexpr std::uint8_t kDestinationOutOfOrder = 27;
inline constexpr std::uint8_t kInvalidNumberFormat = 28;
inline constexpr std::uint8_t kNormalUnspecified = 31;
inline constexpr std::uint8_t kNoCircuitAvailable = 34;
inline constexpr std::uint8_t kNetworkOutOfOrder = 38;
inline constexpr std::uint8_t kTemporaryFailure = 41;
inline constexpr std::uint8_t kSwitchingCongestion = 42;
inline constexpr std::uint8_t kRequestedChannelNotAvailable = 44;
inline constexpr std::uint8_t kResourceUnavailable = 47;
inline constexpr std::uint8_t kServiceNotImplemented = 79;
inline constexpr std::uint8_t kRecoveryOnTimerExpiry = 102;
inline constexpr std::uint8_t kInterworking = 127;
}  // namespace cause

// Q.850's name of a cause value ("No circuit/channel available"); "Cause N" for values Q.850
// leaves unassigned.
[[nodiscard]] std::string cause_text(std::uint8_t value);

// The SIP final response for a call the PSTN released with `cause` before it was answered;
// none for 16 (normal call clearing: the call ends with BYE or CANCEL, not with a response).
[[nodiscard]] std::optional<int> sip_status_for(Cause cause);

// The Q.850 cause with which a call gets released towards the PSTN when SIP answered `status`
// (300..699; a redirection the gateway does not follow: 31 normal, unspecified); none for 487 (Request Terminated: the caller itself cancelled — the line call is
// cleared with the cause of that cancel, normally 16) and for 488/606, for which RFC 3398 takes
// the cause from the Warning header: we give 65 (bearer capability not implemented) then, the
// cause Q.850 has for "no codec in common".
[[nodiscard]] std::optional<std::uint8_t> q850_for_status(int status);

// RFC 3326 Reason header value: `Q.850;cause=34;text="No circuit/channel available"`.
[[nodiscard]] std::string reason_header(std::uint8_t value);
// The Q.850 cause of a Reason header value, if it carries one (protocol "Q.850", cause 1..127).
// Several reasons separated by commas: the Q.850 one. Anything else: none.
[[nodiscard]] std::optional<std::uint8_t> q850_of_reason(std::string_view header_value);

}  // namespace resproxy::gateway
