// The proxy's side of registration: whether a REGISTER goes to the ITSP or is served here, and
// from whom; the registration flow (registrar/registration_flow.h) does the rest, and the node
// sends what it answers and emits what it stores.
#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

void ProxyNode::Impl::on_register(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                  const Path& path, bool force_local) {
  ++counters.registers;
  const SourceClass source = classify(path, false);
  if (!force_local && forwards_to_itsp() && itsp_usable()) {
    if (auto contact = registration.throttle(now, request, path)) {
      ++counters.throttled;
      respond(now, id, request, 200, "OK", std::move(*contact));
      return;
    }
    if (forward_to_itsp(now, id, request, path, 0, source, Kind::ItspRegister)) return;
  }
  if (source != SourceClass::Endpoint && source != SourceClass::Gateway) {
    // Outside the trusted ranges: digest credentials of this very user, or nothing. A cached
    // registration of the same user does not count (another device must not inherit it).
    if (!challenges(request)) {
      ++counters.forbidden;
      respond(now, id, request, 403, "Forbidden");
      return;
    }
    const auto verdict = check_credentials(now, request, path);
    if (!verdict.is_ok()) {
      challenge(now, id, request, verdict);
      return;
    }
    const std::string aor_user = header_user(request, sip::HeaderId::To);
    if (aor_user.empty() || aor_user != verdict.username) {
      ++counters.forbidden;
      respond(now, id, request, 403, "Forbidden");  // the seed: auth user = registered user
      return;
    }
  }
  auto step = registration.serve(now, id, request, path, /*failure_operation=*/forwards_to_itsp());
  switch (step.kind) {
    case registrar::RegisterStep::Kind::QueueFull:
      ++counters.overload_rejected;
      [[fallthrough]];
    case registrar::RegisterStep::Kind::Answer:
      respond(now, id, request, step.status, step.reason, std::move(step.headers));
      return;
    case registrar::RegisterStep::Kind::Queued:
      return;
    case registrar::RegisterStep::Kind::Stored:
      self.emit_store(std::move(*step.write));
      return;
  }
}

void ProxyNode::Impl::cache_itsp_registration(TimePoint now, const Forward& f, const sip::Message& response) {
  const sip::Message* request = self.transactions().server_request(f.server);
  if (request == nullptr) return;
  if (auto write = registration.cache(now, *request, f.from, response)) self.emit_store(std::move(*write));
}

void ProxyNode::Impl::on_store_done(TimePoint now, std::uint64_t store_id, StoreOutcome outcome) {
  if (kill_stored(store_id, outcome)) return;
  auto answer = registration.on_store_done(now, store_id, outcome);
  if (!answer) return;
  if (outcome != StoreOutcome::Ok) ++counters.store_failures;
  if (const sip::Message* request = self.transactions().server_request(answer->server)) {
    respond(now, answer->server, *request, answer->status, answer->reason, std::move(answer->headers));
  }
  // The next REGISTER of this user, planned against the state just confirmed.
  while (auto next = registration.next_queued(answer->user)) {
    if (const sip::Message* r = self.transactions().server_request(next->server)) {
      on_register(now, next->server, *r, next->path, /*force_local=*/true);
    }
  }
}

}  // namespace resproxy::routing
