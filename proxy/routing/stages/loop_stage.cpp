#include "proxy/routing/stages/loop_stage.h"

#include "proxy/routing/forwarding.h"
#include "proxy/sip/header_parsers.h"

namespace resproxy::routing::stages {

bool is_loop(const sip::Message& request, const OurVias& us) {
  std::string hash;  // computed only if one of the Vias is ours: most requests have none
  const auto looped = [&](const auto& via) {
    if (!us.is_ours(via)) return false;
    if (hash.empty()) hash = loop_hash(request, us);
    const std::string_view branch = via.branch;
    return branch.size() >= 7 + hash.size() && branch.substr(7, hash.size()) == hash;
  };
  // A request straight from a phone has one Via, already parsed.
  if (request.via_count() == 1) return looped(request.top_via());
  for (const auto& field : request.headers()) {
    if (field.id != sip::HeaderId::Via) continue;
    auto vias = sip::parse_via_list(field.value);
    if (!vias) continue;
    for (const auto& via : *vias) {
      if (looped(via.info)) return true;
    }
  }
  return false;
}

Decision LoopStage::run(const RequestContext& c) const {
  if (!is_loop(c.request, us)) return Decision::go_on();
  ++counters.loops;
  return Decision::respond(482, "Loop Detected");
}

}  // namespace resproxy::routing::stages
