#include "proxy/security/digest_admission.h"

#include <chrono>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::security {

namespace {

// The user part of the request's From URI; "" when it has none or does not parse.
std::string from_user(const sip::Message& request) {
  const auto* field = request.first(sip::HeaderId::From);
  if (field == nullptr) return {};
  auto na = sip::parse_name_addr(field->value);
  if (!na) return {};
  auto uri = sip::parse_uri(na->uri);
  return uri ? std::string(uri->user) : std::string();
}

}  // namespace

std::optional<DigestAdmission> DigestAdmission::create(DigestAdmissionConfig config, Rng& rng,
                                                       const Crypto& crypto, const UserAliases& aliases,
                                                       TraceSink& trace, AdmissionCounters& counters) {
  if (config.users.empty()) return std::nullopt;
  DigestConfig dc;
  dc.realm = config.realm;
  dc.nonce_lifetime = config.nonce_lifetime;
  dc.algorithms = config.algorithms;
  dc.require_qop = config.require_qop;
  dc.users = config.users;
  auto created = DigestAuthenticator::create(std::move(dc), rng, crypto);
  if (!created) return std::nullopt;
  AuthGuard guard(config.guard, rng);
  return DigestAdmission(std::move(config), std::move(created).value(), std::move(guard), rng, aliases, trace,
                         counters);
}

DigestAdmission::DigestAdmission(DigestAdmissionConfig config, DigestAuthenticator digest, AuthGuard guard,
                                 Rng& rng, const UserAliases& aliases, TraceSink& trace,
                                 AdmissionCounters& counters)
    : config_(std::move(config)),
      digest_(std::move(digest)),
      guard_(std::move(guard)),
      rng_(&rng),
      aliases_(&aliases),
      trace_(&trace),
      counters_(&counters) {}

bool DigestAdmission::challenges(const sip::Message& request) const {
  const std::string_view method = request.method_token();
  for (const auto& m : config_.methods) {
    if (m == method) return true;
  }
  return false;
}

AuthResult DigestAdmission::check(TimePoint now, const sip::Message& request, const Path& path,
                                  bool untrusted) {
  AuthResult result;
  result.outcome = DigestOutcome::NoCredentials;
  const sip::HeaderId wanted = request.method() == sip::Method::Register ? sip::HeaderId::Authorization
                                                                         : sip::HeaderId::ProxyAuthorization;
  const auto chosen = credentials_for_us(request, wanted);
  if (!chosen) return result;
  // Trusted sources are never challenged, so never guessing: only the untrusted are guarded.
  const bool guarded = untrusted;
  // Who is locked out, and for how long still (security.auth_locked / auth_lockout).
  const auto lockout_fields = [&](TraceEvent& e) -> TraceEvent& {
    const auto left = guard_.locked_for(now, path.remote.ip, result.username);
    return e.with("user", result.username)
        .with("source", path.remote.to_string())
        .with("seconds", std::to_string(std::chrono::ceil<std::chrono::seconds>(left).count()));
  };
  if (guarded) {
    if (auto parsed = parse_digest_credentials(*chosen);
        parsed && !guard_.may_try(now, path.remote.ip, parsed->username)) {
      result.outcome = DigestOutcome::BadResponse;
      result.username = parsed->username;
      result.refusal = AuthResult::Refusal::Locked;
      ++counters_->auth_locked_refusals;
      emit_if_wanted(*trace_, now, "security.auth_locked", [&](TraceEvent& e) {
        lockout_fields(e.with("method", std::string(request.method_token())));
      });
      return result;
    }
  }
  static_cast<DigestVerdict&>(result) =
      digest_.verify(now, request.method_token(), *chosen, request.request_uri());
  emit_if_wanted(*trace_, now, "auth.checked", [&](TraceEvent& e) {
    e.with("method", std::string(request.method_token()))
        .with("user", result.username)
        .with("outcome", std::string(to_string(result.outcome)));
  });
  if (guarded) {
    if (result.outcome == DigestOutcome::BadResponse || result.outcome == DigestOutcome::UnknownUser) {
      ++counters_->auth_failures;
      if (guard_.failed(now, path.remote.ip, result.username)) {
        ++counters_->auth_lockouts;
        emit_if_wanted(*trace_, now, "security.auth_lockout", [&](TraceEvent& e) { lockout_fields(e); });
      }
    } else if (result.is_ok()) {
      guard_.succeeded(path.remote.ip, result.username);
    }
  }
  if (result.is_ok() && config_.bind_from_user && request.method() != sip::Method::Register &&
      request.to_tag().empty() && !from_user_is(request, result.username)) {
    result.refusal = AuthResult::Refusal::FromMismatch;
    emit_if_wanted(*trace_, now, "security.from_mismatch", [&](TraceEvent& e) {
      e.with("method", std::string(request.method_token()))
          .with("user", result.username)
          .with("source", path.remote.to_string());
    });
  }
  return result;
}

AdmissionAnswer DigestAdmission::challenge(TimePoint now, const sip::Message& request,
                                           const AuthResult& verdict) {
  if (verdict.refusal != AuthResult::Refusal::None) {
    // Locked out, or good credentials for the wrong From: asking again would not help.
    ++counters_->forbidden;
    return {403, "Forbidden", {}};
  }
  ++counters_->challenged;
  const bool registrar_side = request.method() == sip::Method::Register;
  std::vector<sip::ExtraHeader> headers;
  for (auto& value : digest_.challenge(now, *rng_, wants_stale_challenge(verdict.outcome))) {
    headers.push_back({registrar_side ? "WWW-Authenticate" : "Proxy-Authenticate", std::move(value)});
  }
  if (registrar_side) return {401, "Unauthorized", std::move(headers)};
  return {407, "Proxy Authentication Required", std::move(headers)};
}

bool DigestAdmission::ack_authenticated(TimePoint now, const sip::Message& ack, const Path& path) {
  const auto chosen = credentials_for_us(ack, sip::HeaderId::ProxyAuthorization);
  if (!chosen) return false;
  if (auto parsed = parse_digest_credentials(*chosen);
      !parsed || guard_.locked_for(now, path.remote.ip, parsed->username) > Duration::zero()) {
    return false;
  }
  const auto outcome = digest_.verify(now, "INVITE", *chosen).outcome;
  return outcome == DigestOutcome::Ok || outcome == DigestOutcome::Replay;
}

std::optional<std::string_view> DigestAdmission::credentials_for_us(const sip::Message& request,
                                                                    sip::HeaderId header) const {
  std::vector<std::string_view> values;
  for (const auto& field : request.headers()) {
    if (field.id == header) values.push_back(field.value);
  }
  if (values.empty()) return std::nullopt;
  return select_credentials(values, config_.realm);
}

bool DigestAdmission::from_user_is(const sip::Message& request, std::string_view user) const {
  const std::string from = from_user(request);
  return !from.empty() && (from == user || aliases_->resolve_alias(from) == user);
}

}  // namespace resproxy::security
