#pragma once
// SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 2617/2069 compatibility), sans I/O.
//
// DigestAuthenticator is the server side: the registrar (401 + WWW-Authenticate) and the proxy
// (407 + Proxy-Authenticate) feed it the Authorization / Proxy-Authorization value of a request
// with `now`; it answers with a DigestOutcome and, when the caller must challenge, produces the
// challenge values. answer_challenge() is the client side, for the simulated phones.
//
// Nonces carry their own issue time and an HMAC-SHA256 under a per-instance key drawn from the
// Rng, so any nonce can be checked without remembering it. The only state is replay protection
// (RFC 7616 §5.7: the highest nc accepted per nonce), created only after a successful check,
// pruned when a nonce expires and capped in size. Hashes and the HMAC come from the Crypto the
// runtime injects (proxy/base/crypto.h): the core links no crypto library.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::security {

// RFC 7616 §3.3 algorithm tokens. The "-sess" variants hash the nonce and cnonce into HA1.
enum class DigestAlgorithm : std::uint8_t { Md5, Sha256, Md5Sess, Sha256Sess };
// "MD5", "SHA-256", "MD5-sess", "SHA-256-sess": the tokens as written in headers.
[[nodiscard]] std::string_view to_string(DigestAlgorithm algorithm);
// Case-insensitive; nullopt for anything else (e.g. "SHA-512-256", which we do not implement).
[[nodiscard]] std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view token);

// Lower-case hex H(data) for the algorithm's hash (MD5 or SHA-256). "" only if `crypto` refuses
// the hash (an MD5-less FIPS build); DigestAuthenticator::create() detects that at start-up.
[[nodiscard]] std::string digest_hash(const Crypto& crypto, DigestAlgorithm algorithm,
                                      std::string_view data);

// Every input of the response computation, exposed so that RFC test vectors can be checked
// without our nonce format. Views: they must outlive the call only.
struct DigestResponseInput {
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
  std::string_view username;
  std::string_view realm;
  std::string_view password;
  std::string_view method;  // the request method as on the request line, e.g. "REGISTER"
  std::string_view uri;     // digest-uri, as sent by the client
  std::string_view nonce;
  std::string_view cnonce;  // ignored when qop is empty (unless a -sess algorithm)
  std::string_view nc;      // 8 hex digits as sent, e.g. "00000001"; ignored when qop is empty
  std::string_view qop;     // "auth", or "" for the RFC 2069 form
};

// HA1 = H(username:realm:password) (-sess: H(HA1:nonce:cnonce)), HA2 = H(method:uri);
// response = H(HA1:nonce:nc:cnonce:qop:HA2), or H(HA1:nonce:HA2) when qop is empty (RFC 2069).
// Lower-case hex.
[[nodiscard]] std::string compute_digest_response(const Crypto& crypto,
                                                  const DigestResponseInput& input);

// Why a header value could not be used. Callers of the parsers below map NotDigest to "no
// credentials" (challenge) and the rest to a malformed request (400).
enum class DigestParseError : std::uint8_t {
  NotDigest,             // empty, or another scheme such as Basic
  Malformed,             // bad syntax, a duplicate or missing parameter, a bad nc or response
  UnsupportedAlgorithm,  // an algorithm token we do not implement
  UnsupportedQop,        // qop other than auth (auth-int needs the body; we never offer it)
};
[[nodiscard]] std::string_view to_string(DigestParseError error);

// A parsed Authorization / Proxy-Authorization value (RFC 7616 §3.4). Every string is from the
// wire: untrusted, unescaped. Parameter names and tokens are case-insensitive; any order.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;  // hex as sent (length checked against the algorithm)
  std::string cnonce;
  std::string nc;        // 8 hex digits as sent; "" without qop
  std::string qop;       // "auth" as sent (any case) or "" (RFC 2069 form)
  std::string opaque;
  bool has_opaque = false;
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;  // RFC 7616 §3.3: absent means MD5
};
[[nodiscard]] Result<DigestCredentials, DigestParseError> parse_digest_credentials(
    std::string_view value);

// A parsed WWW-Authenticate / Proxy-Authenticate value (RFC 7616 §3.3), for the client side.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  bool has_opaque = false;
  bool has_qop = false;  // false: an RFC 2069 server, answer without qop, cnonce or nc
  bool stale = false;
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
};
// Error UnsupportedQop: a qop list without "auth"; UnsupportedAlgorithm: try the next challenge.
[[nodiscard]] Result<DigestChallenge, DigestParseError> parse_digest_challenge(
    std::string_view value);

// Client side: the Authorization / Proxy-Authorization value answering one challenge value,
// with qop=auth when the challenge offers it (RFC 7616 §3.4). Draw `cnonce` from the Rng for
// each new nonce (e.g. rng.token(16)); `nc` counts the requests sent with this nonce, from 1.
// With several challenges (RFC 7616 §3.7: in the server's preference order) answer the first
// one that does not fail with UnsupportedAlgorithm.
[[nodiscard]] Result<std::string, DigestParseError> answer_challenge(
    const Crypto& crypto, std::string_view challenge_value, std::string_view method, std::string_view uri,
    std::string_view username, std::string_view password, std::string_view cnonce,
    std::uint32_t nc);

// Of several Authorization (or Proxy-Authorization) values, the first Digest one for `realm`
// (RFC 3261 §22.3: a request may carry credentials for several proxies; each uses its own).
// nullopt if none: challenge.
[[nodiscard]] std::optional<std::string_view> select_credentials(
    std::span<const std::string_view> values, std::string_view realm);

// The verdict on one request's credentials. What the caller must do:
//   Ok: go on; the request comes from `username` (for REGISTER the caller still checks that it
//       equals the registration user: the seed requires auth user == registration user).
//   Malformed: answer 400 Bad Request.
//   Stale, BadNonce, Replay: the client proved it knows the password (the response was checked
//       first) but the nonce is expired / not ours (say, from before a restart) / already used
//       with this nc: challenge again with stale=true so the phone retries without the user.
//   NoCredentials, RealmMismatch, UnknownUser, BadResponse: challenge again, stale=false.
// Challenge = 401 + WWW-Authenticate (registrar, UAS) or 407 + Proxy-Authenticate (proxy).
enum class DigestOutcome : std::uint8_t {
  Ok,
  NoCredentials,  // no value, an empty value or another scheme
  Malformed,      // unparsable, or an algorithm / qop we did not offer
  RealmMismatch,  // credentials for another realm (select_credentials finds ours)
  UnknownUser,
  BadResponse,    // wrong password (or a client bug): response does not match
  BadNonce,       // a nonce (or opaque) we did not issue, or tampered with
  Stale,          // our nonce, past its lifetime (or forgotten: see max_tracked_nonces)
  Replay,         // nc not greater than the highest nc accepted with this nonce
  UriMismatch,    // the digest-uri is not the request's Request-URI (RFC 3261 §22.4)
  QopMissing,     // the RFC 2069 form (no qop, so no nc or cnonce) while qop=auth is required
};
[[nodiscard]] std::string_view to_string(DigestOutcome outcome);
// 0 for Ok (nothing to answer), 400 for Malformed, else 407 when `proxy` and 401 otherwise.
[[nodiscard]] int to_sip_status(DigestOutcome outcome, bool proxy);
// True when the next challenge must carry stale=true (Stale, BadNonce, Replay).
[[nodiscard]] bool wants_stale_challenge(DigestOutcome outcome);

struct DigestVerdict {
  DigestOutcome outcome = DigestOutcome::NoCredentials;
  std::string username;  // from the wire: the authenticated user only when outcome is Ok
  DigestAlgorithm algorithm = DigestAlgorithm::Md5;
  [[nodiscard]] bool is_ok() const { return outcome == DigestOutcome::Ok; }
};

struct DigestUser {
  std::string username;  // must equal the registration user (seed: "Username must match")
  std::string password;
};

// [sipproxy.auth.user.N] plus the realm; checked by DigestAuthenticator::create().
struct DigestConfig {
  std::string realm;
  std::vector<DigestUser> users;  // up to kMaxDigestUsers
  // Offered in this order, one challenge each (RFC 7616 §3.7: preference order). SHA-256 first;
  // MD5 for RFC 2617 phones. Drop SHA-256 for phones that choke on an unknown first challenge.
  std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
  Duration nonce_lifetime = std::chrono::seconds(300);
  // Replay memory: at most this many nonces are remembered. When full, the oldest is forgotten
  // and any nonce issued up to then is treated as Stale (a retry with a fresh nonce), never as
  // new: forgetting can cost a round trip, never open a replay.
  std::size_t max_tracked_nonces = 4096;
  // RFC 2069 answers (no qop) have no client nonce and no count: one captured answer can be
  // replayed within the nonce's life by anyone who saw it. Refused unless a phone needs them.
  bool require_qop = true;
};

inline constexpr std::size_t kMaxDigestUsers = 120;  // the seed's SIP auth table size

enum class DigestConfigError : std::uint8_t {
  BadRealm,               // empty, or holds control characters (it is written into headers)
  TooManyUsers,           // more than kMaxDigestUsers
  EmptyUsername,
  DuplicateUsername,
  NoAlgorithms,
  DuplicateAlgorithm,
  NonPositiveLifetime,
  NoNonceMemory,          // max_tracked_nonces == 0
  AlgorithmUnavailable,   // libcrypto refuses a configured hash (FIPS without MD5)
};
[[nodiscard]] std::string_view to_string(DigestConfigError error);

class DigestAuthenticator {
 public:
  // Draws the HMAC key (256 bits) and the opaque from `rng`; hashes with `crypto`, which must
  // outlive the authenticator. Errors: refuse the configuration at start-up naming the problem.
  [[nodiscard]] static Result<DigestAuthenticator, DigestConfigError> create(DigestConfig config,
                                                                            Rng& rng,
                                                                            const Crypto& crypto);

  // The values of the WWW-Authenticate (401) or Proxy-Authenticate (407) headers, one per
  // configured algorithm in preference order, all with the same fresh nonce, e.g.
  //   Digest realm="pbx", qop="auth", algorithm=SHA-256, nonce="…", opaque="…"[, stale=true]
  [[nodiscard]] std::vector<std::string> challenge(TimePoint now, Rng& rng, bool stale);

  // Checks one Authorization / Proxy-Authorization value (from the wire: untrusted; "" when the
  // request has none) of a request with `method`. Records the nc on Ok; prunes expired replay
  // state. `now` never decreases from one call to the next.
  // `request_uri`: the Request-URI of the request, which the digest-uri must equal (RFC 3261
  // §22.4: credentials computed for one request are no pass for another); empty: not checked
  // (the ACK for a 2xx carries its INVITE's credentials to another Request-URI).
  [[nodiscard]] DigestVerdict verify(TimePoint now, std::string_view method,
                                     std::string_view credentials, std::string_view request_uri = {});

  [[nodiscard]] const std::string& realm() const { return config_.realm; }
  [[nodiscard]] const std::string& opaque() const { return opaque_; }
  // Nonces whose highest nc is remembered; never above max_tracked_nonces (a gauge).
  [[nodiscard]] std::size_t tracked_nonce_count() const { return highest_nc_.size(); }

 private:
  // Orders remembered nonces by issue time (then their random part): the oldest is first.
  using NonceKey = std::pair<std::int64_t, std::uint64_t>;

  DigestAuthenticator() = default;
  [[nodiscard]] std::string make_nonce(TimePoint now, std::uint64_t random) const;
  [[nodiscard]] std::optional<NonceKey> open_nonce(std::string_view nonce) const;
  [[nodiscard]] bool is_expired(std::int64_t issued_ns, TimePoint now) const;
  [[nodiscard]] bool is_offered(DigestAlgorithm algorithm) const;
  void forget_expired(TimePoint now);

  DigestConfig config_;
  const Crypto* crypto_ = nullptr;
  std::map<std::string, std::string, std::less<>> passwords_;  // username → password
  std::string key_;     // HMAC-SHA256 key, 32 bytes from the Rng
  std::string opaque_;  // per instance: returned unchanged by clients (RFC 7616 §3.3)
  std::map<NonceKey, std::uint32_t> highest_nc_;
  // Nonces issued at or before this time that are not in highest_nc_ may have been forgotten.
  std::optional<std::int64_t> forgotten_through_ns_;
};

}  // namespace resproxy::security
