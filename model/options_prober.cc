#include "model/options_prober.h"

#include <algorithm>

#include "proxy/sip/builder.h"

namespace resproxy::model {

OptionsProber::OptionsProber(transaction::SipNodeConfig config, ProbeSchedule schedule, Rng& rng,
                             TraceSink& trace)
    : SipNode(std::move(config), rng, trace), schedule_(std::move(schedule)) {
  from_tag_ = this->rng().token(10);
  call_id_prefix_ = this->rng().token(12);
  if (schedule_.count > 0) {
    timers().schedule(schedule_.first_at, [this](TimePoint now) { send_probe(now); });
  }
}

void OptionsProber::send_probe(TimePoint now) {
  const int sequence = static_cast<int>(results_.size()) + 1;
  const std::string branch = transactions().new_branch();
  const std::string local = transport().config().local.to_string();
  std::string bytes = sip::make_request(
      "OPTIONS", schedule_.request_uri,
      {{"Via", via_for(schedule_.target.transport, branch)},
       {"Max-Forwards", "70"},
       {"From", "<sip:probe@" + local + ">;tag=" + from_tag_},
       {"To", "<" + schedule_.request_uri + ">"},
       {"Call-ID", call_id_prefix_ + "-" + std::to_string(sequence) + "@resproxy"},
       {"CSeq", std::to_string(sequence) + " OPTIONS"},
       {"Accept", "application/sdp"}});
  auto request = sip::Message::parse(std::move(bytes));
  RESPROXY_CHECK(request.has_value());  // guaranteed: we built it from valid parts
  results_.push_back(ProbeResult{.sequence = sequence, .sent_at = now});
  if (trace().enabled()) {
    trace().emit(TraceEvent{now, "probe.sent", {}}.with("seq", std::to_string(sequence)));
  }
  const auto id = transactions().send_request(now, std::move(request).value(), schedule_.target);
  pending_.emplace_back(id, static_cast<int>(results_.size()) - 1);
  if (sequence < schedule_.count) {
    timers().schedule(schedule_.first_at + sequence * schedule_.interval,
                      [this](TimePoint t) { send_probe(t); });
  }
}

ProbeResult* OptionsProber::result_for(transaction::ClientTransactionId id) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const auto& entry) { return entry.first == id; });
  if (it == pending_.end()) return nullptr;
  ProbeResult* result = &results_[static_cast<std::size_t>(it->second)];
  pending_.erase(it);
  return result;
}

void OptionsProber::on_response(TimePoint now, transaction::ClientTransactionId id,
                                const sip::Message& response) {
  if (response.status_code() < 200) return;
  ProbeResult* result = result_for(id);
  if (result == nullptr) return;
  result->status = response.status_code();
  result->answered_at = now;
  if (trace().enabled()) {
    trace().emit(TraceEvent{now, "probe.answered", {}}
                     .with("seq", std::to_string(result->sequence))
                     .with("status", std::to_string(result->status))
                     .with("rtt_ns", std::to_string((now - result->sent_at).count())));
  }
}

void OptionsProber::on_client_error(TimePoint now, transaction::ClientTransactionId id,
                                    transaction::TransactionError error) {
  ProbeResult* result = result_for(id);
  if (result == nullptr) return;
  result->error = error;
  if (trace().enabled()) {
    trace().emit(TraceEvent{now, "probe.failed", {}}
                     .with("seq", std::to_string(result->sequence))
                     .with("error", std::string(transaction::to_string(error))));
  }
}

bool OptionsProber::is_done() const {
  return static_cast<int>(results_.size()) == schedule_.count && pending_.empty();
}

int OptionsProber::answered() const {
  return static_cast<int>(std::count_if(results_.begin(), results_.end(),
                                        [](const ProbeResult& r) { return r.status >= 200; }));
}

int OptionsProber::failed() const {
  return static_cast<int>(std::count_if(results_.begin(), results_.end(),
                                        [](const ProbeResult& r) { return r.error.has_value(); }));
}

}  // namespace resproxy::model
