#include "proxy/security/digest.h"

#include <algorithm>
#include <array>
#include <limits>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::security {

namespace {

namespace text = sip::text;

constexpr std::size_t kNonceFieldBytes = 16;  // issue time (8) + random (8)
constexpr std::size_t kNonceMacBytes = 16;    // HMAC-SHA256 truncated to 128 bits
constexpr std::size_t kNonceHexLength = 2 * (kNonceFieldBytes + kNonceMacBytes);
// Legitimate Digest headers carry about ten parameters; the cap keeps duplicate detection linear
// in practice and bounds what a hostile header can make us allocate.
constexpr std::size_t kMaxAuthParams = 64;

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * size, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return text::hex_value(c) >= 0; });
}

std::string lower(std::string_view in) {
  std::string out(in);
  for (auto& c : out) c = text::to_lower(c);
  return out;
}

Crypto::Hash hash_of(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Md5 || algorithm == DigestAlgorithm::Md5Sess ? Crypto::Hash::Md5
                                                                                    : Crypto::Hash::Sha256;
}

bool is_sess(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Md5Sess || algorithm == DigestAlgorithm::Sha256Sess;
}

std::size_t hex_length(DigestAlgorithm algorithm) {
  return (algorithm == DigestAlgorithm::Md5 || algorithm == DigestAlgorithm::Md5Sess) ? 32 : 64;
}

// quoted-string for a header we write: backslash before '"' and '\\' (RFC 7230 §3.2.6).
void append_quoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

struct AuthParam {
  std::string name;  // lower case
  std::string value;  // unquoted, escapes resolved
};

// RFC 7235 §2.1 credentials / challenge: auth-scheme 1*SP #auth-param, where
// auth-param = token BWS "=" BWS ( token / quoted-string ). Empty list elements are allowed
// (RFC 7230 §7). Unquoted values are read leniently (up to whitespace, ',' or '"'), since some
// phones send uri=sip:… unquoted. NotDigest for another scheme; Malformed for everything else
// that does not fit, including a parameter given twice (RFC 7235 §2.1: "only once").
Result<std::vector<AuthParam>, DigestParseError> parse_auth_params(std::string_view value) {
  std::size_t pos = text::skip_ws(value, 0);
  const std::size_t scheme_length = text::span_of(value, pos, text::kToken);
  if (!text::iequals(value.substr(pos, scheme_length), "Digest")) {
    return unexpected(DigestParseError::NotDigest);
  }
  pos += scheme_length;
  if (pos < value.size() && !text::is_ws(value[pos])) {
    return unexpected(DigestParseError::NotDigest);  // e.g. "Digestive" or "Digest=…"
  }
  std::vector<AuthParam> params;
  while (true) {
    pos = text::skip_ws(value, pos);
    if (pos >= value.size()) break;
    if (value[pos] == ',') {
      ++pos;
      continue;
    }
    const std::size_t name_length = text::span_of(value, pos, text::kToken);
    if (name_length == 0) return unexpected(DigestParseError::Malformed);
    AuthParam param;
    param.name = lower(value.substr(pos, name_length));
    pos = text::skip_ws(value, pos + name_length);
    if (pos >= value.size() || value[pos] != '=') return unexpected(DigestParseError::Malformed);
    pos = text::skip_ws(value, pos + 1);
    if (pos < value.size() && value[pos] == '"') {
      const std::size_t close = text::skip_quoted(value, pos);
      if (close == std::string_view::npos) return unexpected(DigestParseError::Malformed);
      param.value = sip::unquote(value.substr(pos, close - pos));
      pos = close;
    } else {
      std::size_t end = pos;
      while (end < value.size() && !text::is_ws(value[end]) && value[end] != ',' &&
             value[end] != '"') {
        ++end;
      }
      if (end == pos) return unexpected(DigestParseError::Malformed);
      param.value = std::string(value.substr(pos, end - pos));
      pos = end;
    }
    for (const auto& seen : params) {
      if (seen.name == param.name) return unexpected(DigestParseError::Malformed);
    }
    if (params.size() == kMaxAuthParams) return unexpected(DigestParseError::Malformed);
    params.push_back(std::move(param));
    pos = text::skip_ws(value, pos);
    if (pos < value.size()) {
      if (value[pos] != ',') return unexpected(DigestParseError::Malformed);
      ++pos;
    }
  }
  return params;
}

void put_be64(unsigned char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

std::uint64_t get_be64(const unsigned char* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

// The nonce's MAC: HMAC-SHA256 of its fields, truncated; nullopt if the HMAC failed.
std::optional<std::string> nonce_mac(const Crypto& crypto, std::string_view key,
                                     const unsigned char* fields) {
  auto mac = crypto.hmac_sha256(key, {reinterpret_cast<const char*>(fields), kNonceFieldBytes});
  if (!mac || mac->size() < kNonceMacBytes) return std::nullopt;
  mac->resize(kNonceMacBytes);
  return mac;
}

}  // namespace

// ---- algorithms and hashing ------------------------------------------------------------------

std::string_view to_string(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::Md5: return "MD5";
    case DigestAlgorithm::Sha256: return "SHA-256";
    case DigestAlgorithm::Md5Sess: return "MD5-sess";
    case DigestAlgorithm::Sha256Sess: return "SHA-256-sess";
  }
  return "?";
}

std::optional<DigestAlgorithm> parse_digest_algorithm(std::string_view token) {
  for (const auto algorithm : {DigestAlgorithm::Md5, DigestAlgorithm::Sha256,
                               DigestAlgorithm::Md5Sess, DigestAlgorithm::Sha256Sess}) {
    if (text::iequals(token, to_string(algorithm))) return algorithm;
  }
  return std::nullopt;
}

std::string digest_hash(const Crypto& crypto, DigestAlgorithm algorithm, std::string_view data) {
  const auto md = crypto.hash(hash_of(algorithm), data);
  if (!md) return {};
  return to_hex(reinterpret_cast<const unsigned char*>(md->data()), md->size());
}

std::string compute_digest_response(const Crypto& crypto, const DigestResponseInput& in) {
  auto join = [](std::initializer_list<std::string_view> parts) {
    std::string out;
    bool first = true;
    for (const auto part : parts) {
      if (!first) out.push_back(':');
      first = false;
      out.append(part);
    }
    return out;
  };
  std::string ha1 = digest_hash(crypto, in.algorithm, join({in.username, in.realm, in.password}));
  if (is_sess(in.algorithm)) {
    ha1 = digest_hash(crypto, in.algorithm, join({ha1, in.nonce, in.cnonce}));  // RFC 7616 §3.4.2
  }
  const std::string ha2 = digest_hash(crypto, in.algorithm, join({in.method, in.uri}));
  if (ha1.empty() || ha2.empty()) return {};
  if (in.qop.empty()) {
    return digest_hash(crypto, in.algorithm, join({ha1, in.nonce, ha2}));  // RFC 2069 §2.1.2
  }
  return digest_hash(crypto, in.algorithm, join({ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2}));
}

// ---- parsing ------------------------------------------------------------------------------------

std::string_view to_string(DigestParseError error) {
  switch (error) {
    case DigestParseError::NotDigest: return "not_digest";
    case DigestParseError::Malformed: return "malformed";
    case DigestParseError::UnsupportedAlgorithm: return "unsupported_algorithm";
    case DigestParseError::UnsupportedQop: return "unsupported_qop";
  }
  return "?";
}

Result<DigestCredentials, DigestParseError> parse_digest_credentials(std::string_view value) {
  auto params = parse_auth_params(value);
  if (!params) return unexpected(params.error());
  DigestCredentials out;
  bool has_username = false, has_realm = false, has_nonce = false, has_uri = false;
  bool has_response = false, has_cnonce = false, has_nc = false;
  for (auto& p : *params) {
    if (p.name == "username") {
      out.username = std::move(p.value);
      has_username = true;
    } else if (p.name == "realm") {
      out.realm = std::move(p.value);
      has_realm = true;
    } else if (p.name == "nonce") {
      out.nonce = std::move(p.value);
      has_nonce = true;
    } else if (p.name == "uri") {
      out.uri = std::move(p.value);
      has_uri = true;
    } else if (p.name == "response") {
      out.response = std::move(p.value);
      has_response = true;
    } else if (p.name == "cnonce") {
      out.cnonce = std::move(p.value);
      has_cnonce = true;
    } else if (p.name == "nc") {
      out.nc = std::move(p.value);
      has_nc = true;
    } else if (p.name == "qop") {
      if (!text::iequals(p.value, "auth")) return unexpected(DigestParseError::UnsupportedQop);
      out.qop = std::move(p.value);
    } else if (p.name == "opaque") {
      out.opaque = std::move(p.value);
      out.has_opaque = true;
    } else if (p.name == "algorithm") {
      const auto algorithm = parse_digest_algorithm(p.value);
      if (!algorithm) return unexpected(DigestParseError::UnsupportedAlgorithm);
      out.algorithm = *algorithm;
    }
    // Anything else (userhash, auth-param extensions) is ignored: RFC 7235 §2.1.
  }
  if (!has_username || !has_realm || !has_nonce || !has_uri || !has_response) {
    return unexpected(DigestParseError::Malformed);
  }
  if (!out.qop.empty()) {
    // RFC 7616 §3.4: with qop, cnonce and nc (nc-value = 8LHEX) are mandatory.
    if (!has_cnonce || !has_nc || out.nc.size() != 8 || !is_hex(out.nc)) {
      return unexpected(DigestParseError::Malformed);
    }
  } else {
    out.nc.clear();  // RFC 2069 form: nc and cnonce are not part of the response
  }
  if (out.response.size() != hex_length(out.algorithm) || !is_hex(out.response)) {
    return unexpected(DigestParseError::Malformed);
  }
  return out;
}

Result<DigestChallenge, DigestParseError> parse_digest_challenge(std::string_view value) {
  auto params = parse_auth_params(value);
  if (!params) return unexpected(params.error());
  DigestChallenge out;
  bool has_realm = false, has_nonce = false;
  for (auto& p : *params) {
    if (p.name == "realm") {
      out.realm = std::move(p.value);
      has_realm = true;
    } else if (p.name == "nonce") {
      out.nonce = std::move(p.value);
      has_nonce = true;
    } else if (p.name == "opaque") {
      out.opaque = std::move(p.value);
      out.has_opaque = true;
    } else if (p.name == "stale") {
      out.stale = text::iequals(p.value, "true");
    } else if (p.name == "algorithm") {
      const auto algorithm = parse_digest_algorithm(p.value);
      if (!algorithm) return unexpected(DigestParseError::UnsupportedAlgorithm);
      out.algorithm = *algorithm;
    } else if (p.name == "qop") {
      // qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT
      std::string_view rest = p.value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view option = text::trim(rest.substr(0, comma));
        if (text::iequals(option, "auth")) out.has_qop = true;
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
      if (!out.has_qop) return unexpected(DigestParseError::UnsupportedQop);
    }
  }
  if (!has_realm || !has_nonce) return unexpected(DigestParseError::Malformed);
  return out;
}

Result<std::string, DigestParseError> answer_challenge(const Crypto& crypto,
                                                       std::string_view challenge_value,
                                                       std::string_view method,
                                                       std::string_view uri,
                                                       std::string_view username,
                                                       std::string_view password,
                                                       std::string_view cnonce, std::uint32_t nc) {
  auto parsed = parse_digest_challenge(challenge_value);
  if (!parsed) return unexpected(parsed.error());
  const DigestChallenge& challenge = *parsed;
  const unsigned char nc_bytes[4] = {static_cast<unsigned char>(nc >> 24),
                                     static_cast<unsigned char>(nc >> 16),
                                     static_cast<unsigned char>(nc >> 8),
                                     static_cast<unsigned char>(nc)};
  const std::string nc_hex = to_hex(nc_bytes, sizeof nc_bytes);
  DigestResponseInput input;
  input.algorithm = challenge.algorithm;
  input.username = username;
  input.realm = challenge.realm;
  input.password = password;
  input.method = method;
  input.uri = uri;
  input.nonce = challenge.nonce;
  input.cnonce = cnonce;
  input.nc = nc_hex;
  input.qop = challenge.has_qop ? "auth" : "";
  const std::string response = compute_digest_response(crypto, input);

  std::string out = "Digest username=";
  append_quoted(out, username);
  out += ", realm=";
  append_quoted(out, challenge.realm);
  out += ", nonce=";
  append_quoted(out, challenge.nonce);
  out += ", uri=";
  append_quoted(out, uri);
  out += ", response=";
  append_quoted(out, response);
  out += ", algorithm=";
  out += to_string(challenge.algorithm);
  if (challenge.has_qop || is_sess(challenge.algorithm)) {
    out += ", cnonce=";
    append_quoted(out, cnonce);
  }
  if (challenge.has_qop) {
    out += ", qop=auth, nc=";
    out += nc_hex;
  }
  if (challenge.has_opaque) {
    out += ", opaque=";
    append_quoted(out, challenge.opaque);
  }
  return out;
}

std::optional<std::string_view> select_credentials(std::span<const std::string_view> values,
                                                   std::string_view realm) {
  for (const auto value : values) {
    const auto params = parse_auth_params(value);
    if (!params) continue;
    for (const auto& p : *params) {
      if (p.name == "realm" && p.value == realm) return value;
    }
  }
  return std::nullopt;
}

// ---- outcomes -----------------------------------------------------------------------------------

std::string_view to_string(DigestOutcome outcome) {
  switch (outcome) {
    case DigestOutcome::Ok: return "ok";
    case DigestOutcome::NoCredentials: return "no_credentials";
    case DigestOutcome::Malformed: return "malformed";
    case DigestOutcome::RealmMismatch: return "realm_mismatch";
    case DigestOutcome::UnknownUser: return "unknown_user";
    case DigestOutcome::BadResponse: return "bad_response";
    case DigestOutcome::BadNonce: return "bad_nonce";
    case DigestOutcome::Stale: return "stale";
    case DigestOutcome::Replay: return "replay";
    case DigestOutcome::UriMismatch: return "uri_mismatch";
    case DigestOutcome::QopMissing: return "qop_missing";
  }
  return "?";
}

int to_sip_status(DigestOutcome outcome, bool proxy) {
  if (outcome == DigestOutcome::Ok) return 0;
  if (outcome == DigestOutcome::Malformed) return 400;
  return proxy ? 407 : 401;
}

bool wants_stale_challenge(DigestOutcome outcome) {
  return outcome == DigestOutcome::Stale || outcome == DigestOutcome::BadNonce ||
         outcome == DigestOutcome::Replay;
}

std::string_view to_string(DigestConfigError error) {
  switch (error) {
    case DigestConfigError::BadRealm: return "realm is empty or holds control characters";
    case DigestConfigError::TooManyUsers: return "more than 120 auth users";
    case DigestConfigError::EmptyUsername: return "an auth user has an empty username";
    case DigestConfigError::DuplicateUsername: return "two auth users share a username";
    case DigestConfigError::NoAlgorithms: return "no digest algorithm offered";
    case DigestConfigError::DuplicateAlgorithm: return "a digest algorithm is listed twice";
    case DigestConfigError::NonPositiveLifetime: return "nonce lifetime must be positive";
    case DigestConfigError::NoNonceMemory: return "max_tracked_nonces must be at least 1";
    case DigestConfigError::AlgorithmUnavailable: return "libcrypto lacks a configured hash";
  }
  return "?";
}

// ---- DigestAuthenticator ------------------------------------------------------------------------

Result<DigestAuthenticator, DigestConfigError> DigestAuthenticator::create(DigestConfig config,
                                                                           Rng& rng,
                                                                           const Crypto& crypto) {
  const bool realm_ok =
      !config.realm.empty() &&
      std::none_of(config.realm.begin(), config.realm.end(),
                   [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (!realm_ok) return unexpected(DigestConfigError::BadRealm);
  if (config.users.size() > kMaxDigestUsers) return unexpected(DigestConfigError::TooManyUsers);
  if (config.algorithms.empty()) return unexpected(DigestConfigError::NoAlgorithms);
  for (std::size_t i = 0; i < config.algorithms.size(); ++i) {
    if (std::find(config.algorithms.begin(), config.algorithms.begin() + static_cast<long>(i),
                  config.algorithms[i]) != config.algorithms.begin() + static_cast<long>(i)) {
      return unexpected(DigestConfigError::DuplicateAlgorithm);
    }
    if (digest_hash(crypto, config.algorithms[i], "").empty()) {
      return unexpected(DigestConfigError::AlgorithmUnavailable);
    }
  }
  if (config.nonce_lifetime <= Duration::zero()) {
    return unexpected(DigestConfigError::NonPositiveLifetime);
  }
  if (config.max_tracked_nonces == 0) return unexpected(DigestConfigError::NoNonceMemory);

  DigestAuthenticator out;
  out.crypto_ = &crypto;
  for (const auto& user : config.users) {
    if (user.username.empty()) return unexpected(DigestConfigError::EmptyUsername);
    if (!out.passwords_.emplace(user.username, user.password).second) {
      return unexpected(DigestConfigError::DuplicateUsername);
    }
  }
  std::array<unsigned char, 32> key{};
  for (std::size_t i = 0; i < key.size(); i += 8) put_be64(key.data() + i, rng.next_u64());
  out.key_.assign(reinterpret_cast<const char*>(key.data()), key.size());
  std::array<unsigned char, 8> opaque{};
  put_be64(opaque.data(), rng.next_u64());
  out.opaque_ = to_hex(opaque.data(), opaque.size());
  out.config_ = std::move(config);
  return out;
}

std::string DigestAuthenticator::make_nonce(TimePoint now, std::uint64_t random) const {
  std::array<unsigned char, kNonceFieldBytes + kNonceMacBytes> bytes{};
  put_be64(bytes.data(), static_cast<std::uint64_t>(to_ns(now)));
  put_be64(bytes.data() + 8, random);
  // A failing HMAC leaves a zero MAC: open_nonce() then fails the same way, so clients get
  // BadNonce rather than a nonce that verifies without a key.
  if (const auto mac = nonce_mac(*crypto_, key_, bytes.data())) {
    std::copy_n(mac->begin(), kNonceMacBytes, bytes.begin() + kNonceFieldBytes);
  }
  return to_hex(bytes.data(), bytes.size());
}

std::optional<DigestAuthenticator::NonceKey> DigestAuthenticator::open_nonce(
    std::string_view nonce) const {
  // from the wire: untrusted. Only our exact lower-case hex format is accepted.
  if (nonce.size() != kNonceHexLength) return std::nullopt;
  std::array<unsigned char, kNonceFieldBytes + kNonceMacBytes> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char hi = nonce[2 * i];
    const char lo = nonce[2 * i + 1];
    if ((hi >= 'A' && hi <= 'F') || (lo >= 'A' && lo <= 'F')) return std::nullopt;
    const int h = text::hex_value(hi);
    const int l = text::hex_value(lo);
    if (h < 0 || l < 0) return std::nullopt;
    bytes[i] = static_cast<unsigned char>(h * 16 + l);
  }
  const auto mac = nonce_mac(*crypto_, key_, bytes.data());
  if (!mac || !constant_time_equals(*mac, {reinterpret_cast<const char*>(bytes.data()) + kNonceFieldBytes,
                                            kNonceMacBytes})) {
    return std::nullopt;
  }
  return NonceKey{static_cast<std::int64_t>(get_be64(bytes.data())), get_be64(bytes.data() + 8)};
}

bool DigestAuthenticator::is_expired(std::int64_t issued_ns, TimePoint now) const {
  // guaranteed issued_ns <= now by the callers: the difference cannot be negative.
  return to_ns(now) - issued_ns >= config_.nonce_lifetime.count();
}

bool DigestAuthenticator::is_offered(DigestAlgorithm algorithm) const {
  return std::find(config_.algorithms.begin(), config_.algorithms.end(), algorithm) !=
         config_.algorithms.end();
}

void DigestAuthenticator::forget_expired(TimePoint now) {
  // Keys sort by issue time, so expired nonces are a prefix. An expired nonce is refused from
  // its own timestamp, so forgetting its nc opens nothing.
  while (!highest_nc_.empty() && highest_nc_.begin()->first.first <= to_ns(now) &&
         is_expired(highest_nc_.begin()->first.first, now)) {
    highest_nc_.erase(highest_nc_.begin());
  }
}

std::vector<std::string> DigestAuthenticator::challenge(TimePoint now, Rng& rng, bool stale) {
  // RFC 7616 §3.9.1 shows one nonce shared by the challenges of every algorithm.
  const std::string nonce = make_nonce(now, rng.next_u64());
  std::vector<std::string> out;
  out.reserve(config_.algorithms.size());
  for (const auto algorithm : config_.algorithms) {
    std::string value = "Digest realm=";
    append_quoted(value, config_.realm);
    value += ", qop=\"auth\", algorithm=";
    value += to_string(algorithm);
    value += ", nonce=\"";
    value += nonce;
    value += "\", opaque=\"";
    value += opaque_;
    value += '"';
    if (stale) value += ", stale=true";
    out.push_back(std::move(value));
  }
  return out;
}

DigestVerdict DigestAuthenticator::verify(TimePoint now, std::string_view method,
                                          std::string_view credentials, std::string_view request_uri) {
  forget_expired(now);
  DigestVerdict verdict;
  auto parsed = parse_digest_credentials(credentials);
  if (!parsed) {
    verdict.outcome = parsed.error() == DigestParseError::NotDigest ? DigestOutcome::NoCredentials
                                                                     : DigestOutcome::Malformed;
    return verdict;
  }
  const DigestCredentials& c = *parsed;
  verdict.username = c.username;
  verdict.algorithm = c.algorithm;
  auto finish = [&verdict](DigestOutcome outcome) {
    verdict.outcome = outcome;
    return verdict;
  };
  if (c.realm != config_.realm) return finish(DigestOutcome::RealmMismatch);
  // A downgrade to an algorithm we did not offer (say MD5 when only SHA-256 is configured).
  if (!is_offered(c.algorithm)) return finish(DigestOutcome::Malformed);
  if (c.qop.empty() && config_.require_qop) return finish(DigestOutcome::QopMissing);
  const auto user = passwords_.find(c.username);
  if (user == passwords_.end()) return finish(DigestOutcome::UnknownUser);

  // The response is checked before the nonce: RFC 7616 §3.3 sets stale=true only for a client
  // that proved it knows the password, so every nonce outcome below implies a good password.
  DigestResponseInput input;
  input.algorithm = c.algorithm;
  input.username = c.username;
  input.realm = c.realm;
  input.password = user->second;
  input.method = method;
  input.uri = c.uri;
  input.nonce = c.nonce;
  input.cnonce = c.cnonce;
  input.nc = c.nc;
  input.qop = c.qop;
  const std::string expected = compute_digest_response(*crypto_, input);
  if (expected.empty() || !constant_time_equals(lower(c.response), expected)) {
    return finish(DigestOutcome::BadResponse);
  }
  if (!request_uri.empty() && !sip::uri_equal(c.uri, request_uri)) {
    return finish(DigestOutcome::UriMismatch);
  }

  const auto key = open_nonce(c.nonce);
  if (!key || (c.has_opaque && c.opaque != opaque_)) return finish(DigestOutcome::BadNonce);
  // An authentic nonce from the future means the runtime's clock went backwards: refuse it.
  if (key->first > to_ns(now)) return finish(DigestOutcome::BadNonce);
  if (is_expired(key->first, now)) return finish(DigestOutcome::Stale);

  // Without qop there is no nc: a replay cannot be told from reuse, so such a nonce is good
  // for one request only (the client gets stale=true and retries at once).
  std::uint32_t nc = std::numeric_limits<std::uint32_t>::max();
  if (!c.qop.empty()) {
    nc = 0;
    for (const char ch : c.nc) nc = (nc << 4) | static_cast<std::uint32_t>(text::hex_value(ch));
  }
  const auto found = highest_nc_.find(*key);
  if (found != highest_nc_.end()) {
    if (nc <= found->second) return finish(DigestOutcome::Replay);
    found->second = nc;
    return finish(DigestOutcome::Ok);
  }
  // Not remembered: either never used, or forgotten when the table was full.
  if (forgotten_through_ns_ && key->first <= *forgotten_through_ns_) {
    return finish(DigestOutcome::Stale);
  }
  if (nc == 0) return finish(DigestOutcome::Replay);  // RFC 7616 §3.4: nc counts from 1
  highest_nc_.emplace(*key, nc);
  while (highest_nc_.size() > config_.max_tracked_nonces) {
    // Forget the oldest; the watermark keeps every nonce issued up to it from being reused.
    const std::int64_t issued = highest_nc_.begin()->first.first;
    forgotten_through_ns_ = std::max(forgotten_through_ns_.value_or(issued), issued);
    highest_nc_.erase(highest_nc_.begin());
  }
  return finish(DigestOutcome::Ok);
}

}  // namespace resproxy::security
