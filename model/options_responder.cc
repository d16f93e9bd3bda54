#include "model/options_responder.h"

#include "proxy/sip/builder.h"

namespace resproxy::model {

OptionsResponder::OptionsResponder(transaction::SipNodeConfig config, Rng& rng, TraceSink& trace)
    : SipNode(std::move(config), rng, trace) {}

void OptionsResponder::on_request(TimePoint now, transaction::ServerTransactionId id,
                                  const sip::Message& request, const Path& path) {
  const std::string to_tag = rng().token(10);
  if (request.method() == sip::Method::Options) {
    ++counters_.options_answered;
    if (trace().enabled()) {
      trace().emit(TraceEvent{now, "ua.options_answered", {}}
                       .with("call_id", std::string(request.call_id()))
                       .with("from", path.remote.to_string()));
    }
    transactions().send_response(
        now, id, 200,
        sip::make_response(request, 200, "OK", to_tag,
                           {{"Allow", "OPTIONS"},
                            {"Accept", "application/sdp"},
                            {"Supported", "path, outbound"},
                            {"Server", "resproxy"}}));
    return;
  }
  ++counters_.other_rejected;
  transactions().send_response(
      now, id, 405,
      sip::make_response(request, 405, "Method Not Allowed", to_tag, {{"Allow", "OPTIONS"}}));
}

}  // namespace resproxy::model
