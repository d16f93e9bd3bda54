#pragma once
// The CANCEL stage (RFC 3261 §9.2, §16.10): a CANCEL is matched to the server transaction of the
// INVITE it cancels and answered by us — 481 when there is none; otherwise the forwards take it
// (200 to the CANCEL, then a CANCEL downstream once a provisional came: §9.1).
#include "proxy/routing/stages/stage.h"

namespace resproxy::routing::stages {

// What the CANCEL stage needs of the node: its transactions and forwards.
class CancelPort {
 public:
  // When the CANCEL matches the server transaction of an INVITE (§9.2): answers the CANCEL 200,
  // cancels the INVITE's forward downstream, and returns true. False: no such transaction,
  // nothing done.
  virtual bool cancel_invite(TimePoint now, transaction::ServerTransactionId id,
                             const sip::Message& cancel) = 0;

 protected:
  ~CancelPort() = default;
};

struct CancelStage {
  CancelPort& port;

  // Continue for anything but a CANCEL; 481 for a CANCEL of no transaction; else handed on.
  [[nodiscard]] Decision run(const RequestContext& c) const;
};

}  // namespace resproxy::routing::stages
