// The exit rule and the gateway policy (security/) applied to a request on its way out, the
// dialog MAC on our Record-Route, and the node's side of digest admission
// (security/digest_admission.h): what a verdict means for the request being handled.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

security::Service ProxyNode::Impl::service(bool local_forced) const {
  switch (config.mode) {
    case ProxyMode::Off: return security::Service::Off;
    case ProxyMode::Standalone: return security::Service::Local;
    case ProxyMode::ForwardItsp:
      return !local_forced && itsp_usable() ? security::Service::ViaItsp : security::Service::Local;
    case ProxyMode::SipTrunk:
      return !local_forced && itsp_usable() ? security::Service::Trunk : security::Service::Local;
  }
  return security::Service::Off;
}

security::Sender ProxyNode::Impl::sender_of(const Path& path, std::optional<SourceClass> known) const {
  switch (known ? *known : classify(path, false)) {
    case SourceClass::Endpoint:
      return is_trusted(path) ? security::Sender::Trusted : security::Sender::Authenticated;
    case SourceClass::Gateway: return security::Sender::Gateway;
    case SourceClass::Itsp: return security::Sender::Itsp;
    case SourceClass::Untrusted: return security::Sender::Untrusted;
  }
  return security::Sender::Untrusted;
}

security::Exit ProxyNode::Impl::exit_of(const transport::Destination& dest, const ExitCheck& check) const {
  if (is_gateway(dest.remote)) return security::Exit::Gateway;
  if (itsp && itsp->find(dest.remote)) return security::Exit::Itsp;
  if (check.hop == Hop::Directory) return security::Exit::Phone;
  if (check.hop == Hop::Binding && check.binding != nullptr &&
      same_host(check.binding->source.remote.ip, dest.remote.ip)) {
    return security::Exit::Phone;
  }
  return security::Exit::Elsewhere;
}

security::ExitQuery ProxyNode::Impl::exit_query(const Path& path, const transport::Destination& dest,
                                                const ExitCheck& check) const {
  security::ExitQuery q;
  q.sender = sender_of(path, check.source);
  q.exit = exit_of(dest, check);
  q.service = service(check.local_forced);
  q.our_dialog = check.our_dialog;
  q.emergency = check.emergency;
  q.from_lan = from_lan(path);
  q.itsp_requires_trust = config.itsp_requires_trust;
  return q;
}

std::optional<security::Sender> ProxyNode::Impl::may_exit(TimePoint now, ServerTransactionId id,
                                                          const sip::Message& request, const Path& path,
                                                          const transport::Destination& dest,
                                                          const ExitCheck& check) {
  auto q = exit_query(path, dest, check);
  auto verdict = security::check_exit(q);
  if (!security::allowed(verdict) && q.sender == security::Sender::Untrusted && digest) {
    // Its credentials may still make it an authenticated sender. (A request whose credentials
    // checked out before is no longer untrusted; one whose did not was challenged then: so
    // no request is verified twice, which replay protection would refuse.)
    const auto credentials = check_credentials(now, request, path);
    if (credentials.is_ok()) {
      q.sender = security::Sender::Authenticated;
      verdict = security::check_exit(q);
    } else if (credentials.outcome != security::DigestOutcome::NoCredentials ||
               credentials.refusal != security::AuthResult::Refusal::None ||
               (q.exit == security::Exit::Itsp && config.itsp_requires_trust) ||
               (q.exit == security::Exit::Gateway && q.emergency && challenges(request))) {
      // Wrong or stale: ask again. None, for the ITSP that wants only trusted or authenticated
      // sources, or for the gateway (a remote phone's emergency call, which the tables send
      // there before anyone asked for credentials): authenticate here first.
      challenge(now, id, request, credentials);
      return std::nullopt;
    }
  }
  if (!security::allowed(verdict)) {
    ++counters.exit_refused;
    ++counters.forbidden;
    trace(now, "security.exit_refused", [&](TraceEvent& e) {
      e.with("method", std::string(request.method_token()))
          .with("call_id", std::string(request.call_id()))
          .with("source", path.remote.to_string())
          .with("sender", std::string(security::to_string(q.sender)))
          .with("exit", std::string(security::to_string(q.exit)))
          .with("to", dest.remote.to_string())
          .with("service", std::string(security::to_string(q.service)));
    });
    respond(now, id, request, 403, "Forbidden");
    return std::nullopt;
  }
  if (q.sender == security::Sender::Untrusted && q.exit == security::Exit::Itsp &&
      !untrusted_to_itsp.take(now)) {
    // A flood relayed through us must not get the office banned at the ITSP.
    ++counters.itsp_capped;
    respond(now, id, request, 503, "Service Unavailable", {{"Retry-After", "5"}});
    return std::nullopt;
  }
  admitted_gateway_call = false;
  if (q.exit == security::Exit::Gateway && request.method() == sip::Method::Invite &&
      request.to_tag().empty() && !q.emergency && !is_emergency_request(request) &&
      !gateway_policy_allows(now, id, request, path, q.sender)) {
    return std::nullopt;
  }
  count_exit(now, request, path, dest, q, verdict);
  return q.sender;
}

bool ProxyNode::Impl::gateway_policy_allows(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                            const Path& path, security::Sender sender) {
  const auto& policy = config.gateway_policy;
  const std::string number = security::normalize_number(header_user(request, std::nullopt));
  const auto number_class = security::classify_number(number, policy);
  const std::string user =
      request_state.authenticated_user.empty() ? header_user(request, sip::HeaderId::From)
                                               : request_state.authenticated_user;
  std::string why;
  if (!security::may_dial(number_class, sender, policy)) {
    why = std::string(security::to_string(number_class)) + "_not_allowed";
  } else {
    const auto source = security::source_key(path.remote.ip, nullptr).value_or(path.remote.ip);
    const auto limit = gateway_limiter.admit(now, request.call_id(), user, source);
    if (limit == security::LimitVerdict::Ok) {
      admitted_gateway_call = true;
      return true;
    }
    why = std::string(security::to_string(limit));
  }
  ++counters.gateway_refused;
  ++counters.forbidden;
  trace(now, "security.gateway_refused", [&](TraceEvent& e) {
    e.with("call_id", std::string(request.call_id()))
        .with("number", number)
        .with("class", std::string(security::to_string(number_class)))
        .with("user", user)
        .with("source", path.remote.to_string())
        .with("sender", std::string(security::to_string(sender)))
        .with("reason", why);
  });
  respond(now, id, request, 403, "Forbidden");
  return false;
}

void ProxyNode::Impl::count_exit(TimePoint now, const sip::Message& request, const Path& path,
                                 const transport::Destination& dest, const security::ExitQuery& q,
                                 security::ExitVerdict verdict) {
  if (q.exit == security::Exit::Itsp) ++counters.to_itsp;
  const bool new_call = request.method() == sip::Method::Invite && request.to_tag().empty();
  // The fields both audit events share: the call, the number, who sent it, where it goes.
  const auto call_fields = [&](TraceEvent& e) -> TraceEvent& {
    return e.with("call_id", std::string(request.call_id()))
        .with("number", header_user(request, std::nullopt))
        .with("source", path.remote.to_string())
        .with("sender", std::string(security::to_string(q.sender)))
        .with("to", dest.remote.to_string());
  };
  if (q.emergency && new_call) {
    // Audit: every emergency call, whoever placed it and wherever it goes.
    ++counters.emergency_calls;
    trace(now, "security.emergency_call", [&](TraceEvent& e) {
      call_fields(e)
          .with("from_lan", q.from_lan ? "1" : "0")
          .with("exit", std::string(security::to_string(q.exit)));
    });
  }
  if (q.exit != security::Exit::Gateway) return;
  ++counters.to_gateway;
  if (!new_call) return;
  ++counters.gateway_calls;
  trace(now, "security.gateway_call", [&](TraceEvent& e) {
    call_fields(e).with("rule", std::string(security::to_string(verdict)));
  });
}

std::string ProxyNode::Impl::header_user(const sip::Message& request, std::optional<sip::HeaderId> header) {
  if (!header) {
    auto uri = sip::parse_uri(request.request_uri());
    return uri ? std::string(uri->user) : std::string();
  }
  const auto* field = request.first(*header);
  if (field == nullptr) return {};
  auto na = sip::parse_name_addr(field->value);
  if (!na) return {};
  auto uri = sip::parse_uri(na->uri);
  return uri ? std::string(uri->user) : std::string();
}

bool ProxyNode::Impl::dialog_verified(const sip::Message& request, const std::vector<std::string_view>& routes,
                                      std::size_t pop) const {
  if (pop == 0 || !dialog_mac) return false;
  const auto hop = pop < routes.size() ? hop_of_value(routes[pop]) : hop_of_uri(request.request_uri());
  if (!hop) return false;
  for (std::size_t i = 0; i < pop; ++i) {
    auto na = sip::parse_name_addr(routes[i]);
    auto uri = na ? sip::parse_uri(na->uri) : sip::parse_uri("x");
    if (!uri) continue;
    if (auto tag = uri->param(security::kDialogMacParam);
        tag && dialog_mac->verify(*tag, request.call_id(), *hop)) {
      return true;
    }
  }
  return false;
}

std::string ProxyNode::Impl::dialog_tag_param(const sip::Message& request) const {
  if (!dialog_mac) return {};
  auto hop = first_hop(request, sip::HeaderId::RecordRoute);
  if (!hop) hop = first_hop(request, sip::HeaderId::Contact);
  if (!hop) return {};
  return ";" + std::string(security::kDialogMacParam) + "=" + dialog_mac->seal(request.call_id(), *hop);
}

security::AuthResult ProxyNode::Impl::check_credentials(TimePoint now, const sip::Message& request,
                                                        const Path& path) {
  if (!digest) {
    security::AuthResult none;
    none.outcome = security::DigestOutcome::NoCredentials;
    return none;
  }
  const auto verdict =
      digest->check(now, request, path, /*untrusted=*/classify(path, false) == SourceClass::Untrusted);
  request_state.note(verdict);
  return verdict;
}

void ProxyNode::Impl::challenge(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                const security::AuthResult& verdict) {
  auto answer = digest->challenge(now, request, verdict);
  respond(now, id, request, answer.status, answer.reason, std::move(answer.headers));
}

}  // namespace resproxy::routing
