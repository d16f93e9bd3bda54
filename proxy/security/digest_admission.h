#pragma once
// DigestAdmission: digest authentication of the sources nobody trusts (RFC 3261 §22, RFC 7616)
// as a proxy and registrar apply it — which methods are challenged, the verdict on a request's
// credentials for our realm with the lockout of password guessers (auth_guard.h) and the
// From-user binding, the 401/407 challenge or 403 to answer, and the ACK of a 2xx that carries
// its INVITE's credentials. The proxy's admission stage (routing/stages/admission_stage.h), its
// registration path and its exit rule ask it; it counts and traces what it decides. Pure: time
// comes in as `now`, randomness from the Rng it was given.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/base/trace.h"
#include "proxy/security/admission_counters.h"
#include "proxy/security/auth_guard.h"
#include "proxy/security/digest.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::security {

struct DigestAdmissionConfig {
  std::string realm;
  std::vector<DigestUser> users;  // [sipproxy.auth.user.N]; none: nobody is challenged
  // Methods challenged when the request needs credentials.
  std::vector<std::string> methods{"REGISTER", "INVITE", "BYE", "SUBSCRIBE", "NOTIFY"};
  Duration nonce_lifetime = std::chrono::seconds(300);
  std::vector<DigestAlgorithm> algorithms{DigestAlgorithm::Sha256, DigestAlgorithm::Md5};
  bool require_qop = true;
  // An authenticated out-of-dialog request must come From its own user (or one of its aliases).
  bool bind_from_user = true;
  AuthGuardConfig guard;
};

// The other names of a user (the registrar's aliases), for the From-user binding.
class UserAliases {
 public:
  // The user an alias stands for, or `user` itself.
  [[nodiscard]] virtual std::string_view resolve_alias(std::string_view user) const = 0;

 protected:
  ~UserAliases() = default;
};

// The verdict on a request's credentials, and what refuses it before or after the digest check.
struct AuthResult : DigestVerdict {
  enum class Refusal : std::uint8_t {
    None,
    Locked,        // too many wrong answers from this source for this user: 403, not checked
    FromMismatch,  // good credentials, but the request is From another user: 403
  };
  Refusal refusal = Refusal::None;
  // Good credentials and nothing against them.
  [[nodiscard]] bool is_ok() const { return DigestVerdict::is_ok() && refusal == Refusal::None; }
};

// A response to give: a challenge, or a refusal.
struct AdmissionAnswer {
  int status = 0;
  std::string_view reason;
  std::vector<sip::ExtraHeader> headers;
};

class DigestAdmission {
 public:
  // nullopt when there are no users, or when the authenticator refuses the table (the config
  // parser refused it first; if one slips through, nobody is challenged). Draws the
  // authenticator's keys, then the lockout table's hash key, from `rng`. `crypto`, `aliases`,
  // `trace` and `counters` must outlive it, like `rng`.
  [[nodiscard]] static std::optional<DigestAdmission> create(DigestAdmissionConfig config, Rng& rng,
                                                             const Crypto& crypto, const UserAliases& aliases,
                                                             TraceSink& trace, AdmissionCounters& counters);

  // Whether requests of this method are challenged.
  [[nodiscard]] bool challenges(const sip::Message& request) const;

  // The verdict on the request's credentials for our realm (Authorization for REGISTER, which we
  // answer as a registrar; Proxy-Authorization otherwise), NoCredentials when it has none. From
  // an `untrusted` source, wrong answers count against the (source, user) pair and a locked pair
  // is refused without checking.
  [[nodiscard]] AuthResult check(TimePoint now, const sip::Message& request, const Path& path,
                                 bool untrusted);

  // What to answer a request whose credentials did not do: 401 (REGISTER: we are the registrar)
  // or 407 (we are a proxy), one challenge per algorithm; 403 for a refusal (asking again would
  // not help).
  [[nodiscard]] AdmissionAnswer challenge(TimePoint now, const sip::Message& request,
                                          const AuthResult& verdict);

  // RFC 3261 §13.2.2.4: the ACK for a 2xx carries the INVITE's credentials, computed for INVITE
  // with the INVITE's nc (so replay protection calls it a replay: valid credentials, used
  // before). A locked-out pair's ACK is no more authenticated than its INVITE would be.
  [[nodiscard]] bool ack_authenticated(TimePoint now, const sip::Message& ack, const Path& path);

 private:
  DigestAdmission(DigestAdmissionConfig config, DigestAuthenticator digest, AuthGuard guard, Rng& rng,
                  const UserAliases& aliases, TraceSink& trace, AdmissionCounters& counters);

  // Of the request's `header` values, the Digest credentials for our realm (RFC 3261 §22.3).
  [[nodiscard]] std::optional<std::string_view> credentials_for_us(const sip::Message& request,
                                                                   sip::HeaderId header) const;
  // Whether the request's From user is `user`, or an alias of it.
  [[nodiscard]] bool from_user_is(const sip::Message& request, std::string_view user) const;

  DigestAdmissionConfig config_;
  DigestAuthenticator digest_;
  AuthGuard guard_;
  Rng* rng_;
  const UserAliases* aliases_;
  TraceSink* trace_;
  AdmissionCounters* counters_;
};

}  // namespace resproxy::security
