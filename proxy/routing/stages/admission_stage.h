#pragma once
// The admission stage: an out-of-dialog request from a source nobody trusts, of a method that is
// challenged, must prove who it is (RFC 3261 §22, security/digest_admission.h) before the tables
// route it. Good credentials make it an authenticated endpoint (or gateway); wrong, stale,
// replayed or locked-out ones get the challenge again or 403; none at all go on untrusted (the
// tables challenge them where it matters); an emergency call from the office LAN goes on
// whatever its credentials say.
#include <optional>
#include <string>
#include <vector>

#include "proxy/base/trace.h"
#include "proxy/routing/node_identity.h"
#include "proxy/routing/stages/stage.h"
#include "proxy/security/digest_admission.h"
#include "proxy/security/source_admission.h"

namespace resproxy::routing::stages {

struct AdmissionStage {
  const SourceClassifier& classifier;
  std::optional<security::DigestAdmission>& digest;  // none: no auth users, nobody is challenged
  const security::SourceAdmission& sources;          // the office LAN
  const std::vector<std::string>& emergency_numbers;
  RequestState& state;  // good credentials verify the source and name the user
  TraceSink& trace;

  // Continue with c.source set; or the challenge (401/407) or refusal (403) to answer.
  [[nodiscard]] Decision run(RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
