#pragma once
// Authenticated ng control between resproxy and its own media relays (the LanScape seed's
// "media proxies with … authenticated control"). rtpengine has no authentication: this is our
// extension, carried inside the ng dictionary so that the datagram stays "<cookie> <bencode>".
// Sans-I/O: the HMAC comes through the injected Crypto, nonces from the injected Rng, the wall
// clock is an argument. Fed by resproxy's relay client (NgSigner) and the relay's control server
// (ReplyCache, NgAuthVerifier, admit_control); emits signed dictionaries and verdicts.
//
// Wire format: the request dictionary carries one more key,
//   "auth": {"mac": <64 lowercase hex digits>, "nonce": <32..64 lowercase hex digits>,
//            "ts": <integer, Unix seconds>}
// and nothing else in "auth". The MAC is HMAC-SHA256 (RFC 2104) under the shared secret of
//   encode(["resproxy-ng-auth-v1", <cookie>, ts, <nonce>, <the dictionary without "auth">])
// — the canonical bencode (bencode.h) of a five-element list: a version label, the cookie as a
// string, ts as an integer, the nonce as a string (its hex text), the dictionary with "auth"
// removed. Length-prefixed strings make the input unambiguous; canonical encoding makes it
// independent of the wire's key order, which the MAC therefore need not (and does not) protect:
// duplicate keys are refused by the decoder, so one wire dictionary has one meaning.
//
// Server order for every datagram (the control server, next step):
//   1. split_datagram (ng_message.h); no cookie: drop.
//   2. ReplyCache::find(source, cookie): a hit is a retransmission — ng clients resend the same
//      bytes under the same cookie until they hear a reply — so send the cached reply again and
//      stop, BEFORE any replay check: the retransmission carries an already-seen nonce and must
//      not be refused as a replay.
//   3. decode; admit_control(); NgAuthVerifier::verify when it says Verify.
//   4. execute, reply, and ReplyCache::insert the reply — only for admitted requests: a refused
//      one is answered but not cached, so a spoofed datagram cannot plant an error reply under a
//      cookie a real client will use.
//
// Replay rules (NgAuthVerifier): a message is refused when ts is outside now ± window (default
// 30 s), when ts <= the replay floor, when its MAC is wrong, or when its nonce was seen. Nonces
// of accepted messages are remembered with their ts, at most max_nonces of them; when one is
// forgotten — it fell out of the window, or the table was full and it had the lowest ts — the
// floor rises to its ts. Invariant: every accepted message either has its nonce remembered or a
// ts <= floor, so no replay is ever accepted, and memory stays bounded. The cost, only when the
// table overflows (more than max_nonces authenticated messages within about two windows): fresh
// messages with a ts at or below the floor are refused until the clock moves on (fail closed).
// The floor also covers a wall clock stepping back.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/base/crypto.h"
#include "proxy/base/net.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/bencode.h"

namespace resproxy::media::ng {

inline constexpr std::string_view kAuthKey = "auth";
inline constexpr std::string_view kAuthLabel = "resproxy-ng-auth-v1";
inline constexpr std::size_t kNonceBytes = 16;      // what NgSigner draws
inline constexpr std::size_t kMinNonceHex = 32;     // 16 bytes
inline constexpr std::size_t kMaxNonceHex = 64;     // 32 bytes

// The exact bytes the MAC covers (see above). `dict` must not contain "auth".
[[nodiscard]] std::string auth_mac_input(std::string_view cookie, std::int64_t ts,
                                         std::string_view nonce, const Dict& dict);

// Unix seconds of a wall clock given as time since the Unix epoch (rounded down).
[[nodiscard]] constexpr std::int64_t unix_seconds(Duration since_unix_epoch) {
  return std::chrono::floor<std::chrono::seconds>(since_unix_epoch).count();
}

// Signs requests (resproxy's relay client) — or replies, under the request's cookie.
class NgSigner {
 public:
  // `secret`: the shared secret, non-empty. `crypto` and `rng` outlive the signer.
  NgSigner(std::string secret, const Crypto& crypto, Rng& rng);
  // Adds (or replaces) "auth" in `dict` for a message sent under `cookie` at the given wall
  // clock. False if the Crypto refused HMAC-SHA256: send nothing, count it (the relay would
  // refuse the message anyway).
  [[nodiscard]] bool sign(std::string_view cookie, Dict& dict, Duration since_unix_epoch);

 private:
  std::string secret_;
  const Crypto& crypto_;
  Rng& rng_;
};

enum class AuthError : std::uint8_t {
  Missing,            // no "auth" key
  Malformed,          // "auth" not {mac, nonce, ts} of the right types and formats
  OutsideWindow,      // ts further than the window from our wall clock
  BelowReplayFloor,   // ts <= the replay floor (see above)
  BadMac,             // the MAC does not match
  Replayed,           // the nonce was seen already
  CryptoUnavailable,  // the Crypto refused HMAC-SHA256: refuse, count, alert
};
[[nodiscard]] std::string_view to_string(AuthError error);

// Stateless half of verification: "auth" well-formed, ts within the window, MAC correct. Does
// not look at nonces (a client checking signed replies matches them to its one pending cookie,
// which is replay protection enough). On success the fields read from "auth".
struct AuthFields {
  std::int64_t ts = 0;
  std::string nonce;
  friend bool operator==(const AuthFields&, const AuthFields&) = default;
};
[[nodiscard]] Result<AuthFields, AuthError> check_signature(std::string_view secret, const Crypto& crypto,
                                                            std::string_view cookie, const Dict& dict,
                                                            Duration since_unix_epoch,
                                                            std::chrono::seconds window);

struct NgAuthConfig {
  std::string secret;                       // the shared secret, non-empty
  std::chrono::seconds window{30};          // accepted |ts - now|
  std::size_t max_nonces = 65'536;          // ~180 bytes each: ~12 MB at most
};

class NgAuthVerifier {
 public:
  NgAuthVerifier(NgAuthConfig config, const Crypto& crypto);

  // Verifies a request dictionary received under `cookie` (from the wire: untrusted). On
  // success: the dictionary without "auth", and the nonce is remembered. Each error: answer
  // error_reply(to_string(e)), do not cache the reply, count it.
  [[nodiscard]] Result<Dict, AuthError> verify(std::string_view cookie, const Dict& dict,
                                               Duration since_unix_epoch);

  [[nodiscard]] std::size_t remembered_nonces() const { return by_nonce_.size(); }
  // Messages with ts <= this are refused; nullopt while nothing was ever forgotten.
  [[nodiscard]] std::optional<std::int64_t> replay_floor() const { return floor_; }
  [[nodiscard]] const NgAuthConfig& config() const { return config_; }

 private:
  void forget_oldest();
  void forget_before(std::int64_t ts);  // every nonce with a ts below

  NgAuthConfig config_;
  const Crypto& crypto_;
  std::map<std::string, std::int64_t, std::less<>> by_nonce_;
  // (ts, nonce) in ts order; the views point into by_nonce_'s keys (stable node storage).
  std::set<std::pair<std::int64_t, std::string_view>> by_ts_;
  std::optional<std::int64_t> floor_;
};

// Who may send plain ng. `auth_configured`: a secret is set; `has_auth`: the dictionary carries
// "auth"; `source_trusted`: the source address is in the relay's trusted control list (the
// caller checks, e.g. any_contains() of base/ip_range.h).
//   Verify:      check "auth" with NgAuthVerifier (a secret is set and the message is signed)
//   AcceptPlain: run it unsigned (a trusted source: Kamailio, or resproxy without a secret);
//                erase "auth" first if there was one and no secret to check it with
//   Refuse:      answer error "Authentication required", do not cache
enum class ControlAdmission : std::uint8_t { Verify, AcceptPlain, Refuse };
[[nodiscard]] constexpr ControlAdmission admit_control(bool auth_configured, bool has_auth,
                                                       bool source_trusted) {
  if (auth_configured && has_auth) return ControlAdmission::Verify;
  return source_trusted ? ControlAdmission::AcceptPlain : ControlAdmission::Refuse;
}

struct ReplyCacheConfig {
  Duration ttl = std::chrono::seconds{60};   // rtpengine keeps replies 30 to 60 s
  std::size_t max_entries = 4'096;
  std::size_t max_bytes = 16 * 1024 * 1024;  // reply bytes held in total
};

// Replies by (source, cookie), so that a retransmitted request is answered with the same bytes
// without running again (rtpengine keys by cookie alone; the source too keeps one client's
// cookie from answering another's). Bounded: at most max_entries replies and max_bytes of reply
// bytes, the oldest evicted first; each expires ttl after it was stored. Insertion order is time
// order (`now` never decreases), so expiry and eviction both take from the front.
class ReplyCache {
 public:
  explicit ReplyCache(ReplyCacheConfig config = {});

  // The reply datagram stored for this request, while fresher than ttl.
  [[nodiscard]] const std::string* find(TimePoint now, const Address& source, std::string_view cookie);
  // Stores (or replaces) the reply datagram. A reply above max_bytes is not stored.
  void insert(TimePoint now, const Address& source, std::string_view cookie, std::string reply);

  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] std::size_t bytes() const { return bytes_; }

 private:
  struct Key {
    Address source;
    std::string cookie;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  struct Entry {
    TimePoint stored;
    std::string reply;
    std::uint64_t sequence = 0;
  };
  using Entries = std::map<Key, Entry>;

  void expire(TimePoint now);
  void erase(Entries::iterator it);

  ReplyCacheConfig config_;
  Entries entries_;
  std::map<std::uint64_t, Entries::iterator> order_;  // by insertion: oldest first
  std::uint64_t next_sequence_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace resproxy::media::ng
