#pragma once
// NgClient: resproxy's side of the ng control protocol (ng_message.h): the SIP proxy drives one
// or more media relays — rtpengine, or our own resproxy-media — over UDP. Sans-I/O: every input
// carries `now` (core steady time) and, where something may be signed or checked, the wall clock
// (`since_unix_epoch`); the outputs are datagrams to send (take_datagrams), one outcome per
// request (take_outcomes), the relays that went down (take_relays_down) and one next deadline.
// Fed by the proxy with its requests, the replies the runtime received on the control socket and
// its timer; emits datagrams, outcomes and relay health.
//
// Requests. send() gives each request a fresh cookie (make_cookie, from the injected Rng; one that
// collides with a pending cookie gets "_<id>" appended), signs it with NgSigner (ng_auth.h) when
// its relay has a secret, and sends it. Without a reply it sends the SAME bytes under the same
// cookie again every retransmit_interval, max_tries sends in all (Kamailio's rtpengine_tout_ms and
// rtpengine_retr; rtpengine answers a retransmission from its reply cache), and retransmit_interval
// after the last send the outcome is Timeout. Each resend is timed from when the previous send went
// (on_deadline's `now`): after a late wake-up the rest shifts, and copies never go out in a burst;
// a ping round missed that way is not made up. A reply is matched by its cookie among the pending
// requests and must come from that request's relay's address; with a secret it must also carry a
// valid "auth" under the request's cookie (check_signature, within signature_window of our wall
// clock). Anything else is ignored and counted by reason (NgIgnored): too large, undecodable,
// unknown cookie (which includes a late duplicate of a reply already taken: a retransmitted request
// answered twice), wrong source, unsigned, bad signature. Note that a relay refusing our signature
// answers an unsigned error (ng_auth.h): with a secret it is ignored like any unsigned reply, the
// request times out and the relay goes down — fail closed, visible in
// counters().ignored_for(Unsigned).
//
// Outcomes: exactly one per id that send() returned, in the order they happened: the reply (result
// "ok" or "pong") as an NgReply plus its dictionary; or NgFailure: ErrorReply (result "error",
// with its "error-reason"; or any other or no result, with a reason naming it), Timeout, and, at
// once from send() itself, NoRelay (no such relay index), TooManyPending (max_pending requests
// already outstanding), SigningFailed (the Crypto refused HMAC-SHA256; nothing was sent).
//
// Health. start(now) schedules a ping ({"command":"ping"}, expects "pong") to every relay at
// `now`, then every ping_interval, whether the relay is up or down; at most one ping per relay is
// outstanding (a ping still pending when the next is due skips that round). Pings retransmit and
// time out like requests and produce no outcome. Every relay is up at first (optimistic). A relay
// goes down after failures_to_down consecutive timeouts — of pings or of requests — and comes up
// again with any valid reply from it (pong, ok or error: it answered). A signing failure of a
// ping counts as a failure too (that relay cannot be controlled), one of a request does not (the
// caller has its outcome). An ErrorReply is not a failure. Going down cancels nothing: the relay's
// pending requests time out on their own (or still complete, and bring it back up).
//
// Choosing a relay for a new call (pick): nginx's smooth weighted round-robin over the relays
// that are up and have a weight > 0: each pick adds every candidate's weight to its current
// value, takes the largest (the lowest index on a tie) and subtracts the candidates' total from
// it. Deterministic, no Rng, and the shares are exact over every cycle of sum(weights) picks
// (3:1 gives exactly 300:100 picks in 400) while the set of candidates does not change; the
// current values restart at 0 whenever a relay goes down or comes up. Spares (weight 0) are
// picked, in turn, only when no weighted relay is up; nullopt when every relay is down.
//
// Determinism: every container is ordered by id, cookie, deadline or relay index; equal
// deadlines run in a fixed order — retransmissions and timeouts of what is in flight (requests
// and pings) first, by id (send order), then new pings, by relay index. Ids count from 1 in send
// order (pings take ids from the same sequence and are never reported).
//
// Bounds: at most max_pending requests outstanding (pings exempt, at most one per relay); a
// datagram above kMaxReplySize is ignored without decoding; memory is O(pending requests' bytes).
//
// Addresses compare as written (Address::operator==): the runtime must report the source in the
// same textual form as the configured relay address ("::1", not "0:0::1").
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/net.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/bencode.h"
#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/ng/ng_message.h"

namespace resproxy::media::ng {

inline constexpr std::size_t kMaxReplySize = 64 * 1024;  // larger datagrams are ignored

struct RelayTarget {  // one configured relay
  std::string name;   // for traces and counters: "builtin", "relay1"
  Address address;    // its ng control address (UDP)
  // Share of new calls among the relays that are up; 0: a spare, picked only when no weighted
  // relay is up.
  std::uint32_t weight = 1;
  // Empty: plain ng (rtpengine). Else requests are signed (NgSigner) and replies MUST carry a
  // valid signature under the request's cookie (check_signature), or they are ignored.
  std::string secret;
};

struct NgClientConfig {
  std::vector<RelayTarget> relays;
  // Like Kamailio's rtpengine_tout_ms: resend the same bytes under the same cookie. At least 1 ms
  // (a smaller value is raised to it).
  Duration retransmit_interval = std::chrono::seconds{1};
  unsigned max_tries = 3;                                // sends per request; at least 1
  Duration ping_interval = std::chrono::seconds{5};      // to every relay; at least 1 ms
  unsigned failures_to_down = 1;                         // consecutive timeouts; at least 1
  std::size_t max_pending = 4096;                        // outstanding requests (pings exempt)
  std::chrono::seconds signature_window{30};             // accepted |reply ts - our wall clock|
};

using RelayIndex = std::size_t;  // index into NgClientConfig::relays
using RequestId = std::uint64_t;

enum class NgFailure : std::uint8_t { NoRelay, TooManyPending, Timeout, ErrorReply, SigningFailed };
[[nodiscard]] std::string_view to_string(NgFailure failure);

struct NgOutcome {
  RequestId id = 0;
  RelayIndex relay = 0;                  // as given to send()
  Result<NgReply, NgFailure> reply;      // result "ok" or "pong", or why not
  std::string error_reason;              // ErrorReply: the relay's "error-reason", or what was wrong
  Dict dict;                             // the reply's dictionary without "auth" (a reply or an
                                         // ErrorReply: e.g. a query's statistics); else empty
};

struct NgDatagram {
  Address to;
  std::string bytes;
  friend bool operator==(const NgDatagram&, const NgDatagram&) = default;
};

// Why a received datagram was ignored.
enum class NgIgnored : std::uint8_t {
  TooLarge,       // above kMaxReplySize
  Undecodable,    // no cookie, a bad cookie, or a body that is not a bencode dictionary
  UnknownCookie,  // no pending request has it (also: a late duplicate of a completed one)
  WrongSource,    // the cookie is pending, but for a relay at another address
  Unsigned,       // the relay has a secret and the reply carries no "auth"
  BadSignature,   // … and its "auth" is malformed, outside the window or has a wrong MAC
};
inline constexpr std::size_t kNgIgnoredCount = 6;
[[nodiscard]] std::string_view to_string(NgIgnored reason);

struct NgClientCounters {
  std::uint64_t requests = 0;         // caller requests sent (first send)
  std::uint64_t retransmissions = 0;  // resends, of requests and pings
  std::uint64_t replies = 0;          // caller requests answered "ok" or "pong"
  std::uint64_t error_replies = 0;    // caller requests answered otherwise (ErrorReply)
  std::uint64_t timeouts = 0;         // caller requests timed out
  std::uint64_t no_relay = 0;         // refused at once: NoRelay
  std::uint64_t too_many_pending = 0; // refused at once: TooManyPending
  std::uint64_t signing_failed = 0;   // refused at once (requests) or not sent (pings)
  std::uint64_t pings = 0;            // pings sent (first send)
  std::uint64_t pongs = 0;            // pings answered (any valid reply)
  std::uint64_t ping_timeouts = 0;
  std::uint64_t pings_skipped = 0;    // a round skipped: the previous ping still pending
  std::uint64_t relays_down = 0;      // up -> down transitions
  std::uint64_t relays_up = 0;        // down -> up transitions
  std::array<std::uint64_t, kNgIgnoredCount> ignored{};  // by NgIgnored
  [[nodiscard]] std::uint64_t ignored_for(NgIgnored r) const {
    return ignored[static_cast<std::size_t>(r)];
  }
};

// One relay as the client sees it.
struct NgRelayStatus {
  bool up = true;
  unsigned consecutive_failures = 0;     // timeouts since its last valid reply
  std::size_t pending = 0;               // caller requests outstanding (pings not included)
  bool ping_pending = false;
  std::optional<TimePoint> last_reply;   // any valid reply
  std::optional<TimePoint> last_pong;    // a valid reply to a ping
  std::uint64_t requests = 0;            // caller requests sent to it
  std::uint64_t replies = 0;             // valid replies from it (requests and pings)
  std::uint64_t timeouts = 0;            // timeouts (requests and pings)
};

class NgClient {
 public:
  // `crypto` and `rng` (cookies, nonces) outlive the client.
  NgClient(NgClientConfig config, const Crypto& crypto, Rng& rng);
  NgClient(const NgClient&) = delete;
  NgClient& operator=(const NgClient&) = delete;

  // Schedules the first ping to every relay at `now` (sent by on_deadline). Once; a second call
  // does nothing. Requests may be sent before it.
  void start(TimePoint now);

  // A relay for a NEW call (see above); nullopt when every relay is down (or none is configured).
  [[nodiscard]] std::optional<RelayIndex> pick();

  // Sends `request` (an ng request dictionary: {"command":"offer",…}) to `relay`. Returns the id
  // whose outcome comes later through take_outcomes(); the failures found at once (NoRelay,
  // TooManyPending, SigningFailed) are outcomes too, available at once, so the caller has one
  // path. A relay that is down may be sent to (a call already on it): its answer brings it up.
  RequestId send(TimePoint now, Duration since_unix_epoch, RelayIndex relay, Dict request);

  // A datagram received on the control socket from `source` (from the wire: untrusted).
  void on_datagram(TimePoint now, Duration since_unix_epoch, const Address& source,
                   std::string_view bytes);

  // Retransmissions, timeouts and pings due at `now`. The wall clock signs the pings.
  void on_deadline(TimePoint now, Duration since_unix_epoch);
  // The earliest time on_deadline has something to do; nullopt: nothing pending, not started.
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  [[nodiscard]] std::vector<NgDatagram> take_datagrams();
  [[nodiscard]] std::vector<NgOutcome> take_outcomes();
  // Relays that went down since the last call, each once, in the order they went down (one that
  // came back up in between is still listed: its calls may have been affected).
  [[nodiscard]] std::vector<RelayIndex> take_relays_down();

  [[nodiscard]] bool is_up(RelayIndex relay) const;  // false for an unknown index
  [[nodiscard]] std::size_t relay_count() const { return relays_.size(); }
  // Precondition: relay < relay_count().
  [[nodiscard]] const NgRelayStatus& relay_status(RelayIndex relay) const;
  [[nodiscard]] std::size_t pending() const { return pending_requests_; }  // caller requests
  [[nodiscard]] const NgClientCounters& counters() const { return counters_; }
  [[nodiscard]] const NgClientConfig& config() const { return config_; }

 private:
  struct Relay {
    NgRelayStatus status;
    std::optional<NgSigner> signer;      // set when the relay has a secret
    std::int64_t current_weight = 0;     // smooth weighted round-robin
  };
  struct Pending {
    RelayIndex relay = 0;
    std::string cookie;
    std::string bytes;                   // the datagram, resent as it is
    unsigned tries = 0;                  // sends so far
    bool ping = false;
    TimePoint due{};                     // its entry in timers_
  };
  // Ordered by time, then kind (Request before Ping), then key (request id or relay index).
  enum class TimerKind : std::uint8_t { Request, Ping };
  using Timer = std::tuple<TimePoint, TimerKind, std::uint64_t>;

  // The cookie and signed datagram for `request`, or nullopt when signing failed.
  [[nodiscard]] std::optional<std::pair<std::string, std::string>> prepare(RequestId id, Relay& relay,
                                                                           Dict request,
                                                                           Duration since_unix_epoch);
  void launch(TimePoint now, RequestId id, RelayIndex relay, bool ping, std::string cookie,
              std::string bytes);
  void ping_round(TimePoint now, Duration since_unix_epoch, TimePoint scheduled, RelayIndex relay);
  void expire(TimePoint now, RequestId id);
  void complete(TimePoint now, std::map<RequestId, Pending>::iterator it, Dict dict);
  void erase(std::map<RequestId, Pending>::iterator it);
  void failure(RelayIndex relay);
  void answered(TimePoint now, RelayIndex relay);
  void ignore(NgIgnored reason) { ++counters_.ignored[static_cast<std::size_t>(reason)]; }
  void reset_weights();
  [[nodiscard]] std::optional<RelayIndex> pick_among(bool spares);

  NgClientConfig config_;
  const Crypto& crypto_;
  Rng& rng_;
  std::vector<Relay> relays_;                              // by RelayIndex
  std::map<RequestId, Pending> pending_;                   // requests and pings
  std::map<std::string, RequestId, std::less<>> by_cookie_;
  std::set<Timer> timers_;
  std::size_t pending_requests_ = 0;                       // pending_ without the pings
  RequestId next_id_ = 1;
  bool started_ = false;
  std::vector<NgDatagram> datagrams_;
  std::vector<NgOutcome> outcomes_;
  std::vector<RelayIndex> relays_down_;
  NgClientCounters counters_;
};

}  // namespace resproxy::media::ng
