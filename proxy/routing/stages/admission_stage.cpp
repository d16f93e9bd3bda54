#include "proxy/routing/stages/admission_stage.h"

namespace resproxy::routing::stages {

Decision AdmissionStage::run(RequestContext& c) const {
  const auto& request = c.request;
  SourceClass source = classifier.classify(c.path, false);
  if (source == SourceClass::Untrusted && digest && digest->challenges(request)) {
    const auto verdict = digest->check(c.now, request, c.path, /*untrusted=*/true);
    state.note(verdict);
    if (verdict.is_ok()) {
      source = classifier.classify(c.path, true);
    } else if (request.method() == sip::Method::Invite && request.to_tag().empty() &&
               is_emergency_request(emergency_numbers, request) && sources.from_lan(c.path)) {
      // Whatever its credentials say (a phone whose password the outage made stale): it goes
      // on as an untrusted source, which the exit rule lets reach the gateway.
      emit_if_wanted(trace, c.now, "security.emergency_auth_bypassed", [&](TraceEvent& e) {
        e.with("call_id", std::string(request.call_id()))
            .with("source", c.path.remote.to_string())
            .with("outcome", std::string(security::to_string(verdict.outcome)));
      });
    } else if (verdict.outcome != security::DigestOutcome::NoCredentials ||
               verdict.refusal != security::AuthResult::Refusal::None) {
      auto answer = digest->challenge(c.now, request, verdict);  // wrong, stale or replayed: ask again
      return Decision::respond(answer.status, answer.reason, std::move(answer.headers));
    }
  }
  c.source = source;
  return Decision::go_on();
}

}  // namespace resproxy::routing::stages
