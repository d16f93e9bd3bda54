#pragma once
// OptionsProber: a SipNode that sends OPTIONS requests to one target on a fixed schedule through
// client non-INVITE transactions (so lost requests are retransmitted on Timer E and given up on
// Timer F) and records each probe's outcome. It is the client side of the one-core
// demonstration (harness/exchange.h). No ns-3: it runs on either runtime.
#include <optional>
#include <vector>

#include "proxy/transaction/sip_node.h"

namespace resproxy::model {

struct ProbeSchedule {
  transport::Destination target;
  std::string request_uri;  // e.g. "sip:ping@127.0.0.1:5060"
  TimePoint first_at{};     // when the first probe leaves
  Duration interval = std::chrono::seconds(1);
  int count = 10;
};

struct ProbeResult {
  int sequence = 0;
  TimePoint sent_at{};
  std::optional<TimePoint> answered_at{};  // final response received
  int status = 0;                        // final status; 0 while pending
  std::optional<transaction::TransactionError> error{};  // timeout or transport error
};

class OptionsProber final : public transaction::SipNode {
 public:
  OptionsProber(transaction::SipNodeConfig config, ProbeSchedule schedule, Rng& rng,
                TraceSink& trace);

  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override;
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError error) override;

  [[nodiscard]] const std::vector<ProbeResult>& results() const { return results_; }
  // Every probe has been sent and has its outcome.
  [[nodiscard]] bool is_done() const;
  [[nodiscard]] int answered() const;
  [[nodiscard]] int failed() const;

 private:
  void send_probe(TimePoint now);
  ProbeResult* result_for(transaction::ClientTransactionId id);

  ProbeSchedule schedule_;
  std::string from_tag_;
  std::string call_id_prefix_;
  std::vector<ProbeResult> results_;
  std::vector<std::pair<transaction::ClientTransactionId, int>> pending_;  // id -> result index
};

}  // namespace resproxy::model
