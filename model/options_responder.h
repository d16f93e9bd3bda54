#pragma once
// OptionsResponder: a SipNode that answers OPTIONS addressed to it with 200 OK (RFC 3261 §11.2:
// Allow, Accept, Supported) and every other request with 405 Method Not Allowed naming what it
// allows. It is the server side of the one-core demonstration (native and ns-3; no ns-3 here)
// and the node the sip_node fuzz target drives.
#include "proxy/transaction/sip_node.h"

namespace resproxy::model {

struct OptionsResponderCounters {
  std::uint64_t options_answered = 0;
  std::uint64_t other_rejected = 0;
};

class OptionsResponder final : public transaction::SipNode {
 public:
  OptionsResponder(transaction::SipNodeConfig config, Rng& rng, TraceSink& trace);

  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;

  [[nodiscard]] const OptionsResponderCounters& counters() const { return counters_; }

 private:
  OptionsResponderCounters counters_;
};

}  // namespace resproxy::model
