// Given-up INVITE client transactions (TransactionLayer::give_up_invite): the late non-2xx final
// response still gets its ACK (RFC 3261 §17.1.1.3) from a small record that outlives the
// transaction, bounded in time (64·T1) and in number (kMaxGivenUpInvites).
#include <string>
#include <string_view>

#include "proxy/sip/builder.h"
#include "proxy/transaction/transaction_layer.h"

namespace resproxy::transaction {

namespace {

// As the transaction events of transaction_layer.cpp: the side, then the key.
TraceEvent given_up_event(TimePoint now, std::string_view name, std::string_view key) {
  TraceEvent event{now, std::string(name), {}};
  event.fields.reserve(3);
  event.with("side", "c").with("txn", std::string(key));
  return event;
}

}  // namespace

void TransactionLayer::remember_given_up(TimePoint now, const ClientTransaction& txn) {
  if (given_up_.size() >= kMaxGivenUpInvites) {
    ++counters_.given_up_evicted;
    if (trace_.wants("txn.given_up_evicted")) {
      trace_.emit(given_up_event(now, "txn.given_up_evicted", given_up_.front().key));
    }
    drop_oldest_given_up();
  }
  const std::uint64_t number = given_up_first_ + given_up_.size();
  given_up_.push_back(GivenUpInvite{.key = txn.key,
                                    .ack = sip::make_ack_template(txn.request),
                                    .to = txn.to,
                                    .expires = now + given_up_lifetime()});
  // Keys are unique among live transactions; a later give-up of the same key (a TU reusing a
  // branch) takes the entry over, and the older record is then only waited out.
  given_up_index_.insert_or_assign(txn.key, number);
  if (given_up_.size() == 1) {
    heap_.schedule(given_up_.front().expires, [this](TimePoint at) { expire_given_up(at); });
  }
}

bool TransactionLayer::ack_late_final(TimePoint now, const std::string& key,
                                      const sip::Message& response) {
  // A 2xx stays the TU's (RFC 3261 §16.7 has a proxy forward it statelessly); a 1xx changes
  // nothing now.
  if (given_up_.empty() || response.status_code() < 300) return false;
  const auto found = given_up_index_.find(key);
  if (found == given_up_index_.end()) return false;
  // guaranteed: the index names live records only (drop_oldest_given_up erases their entries)
  GivenUpInvite& record = given_up_[found->second - given_up_first_];
  // Its timer may be due at this very instant and not yet run: past its end, it is not there.
  if (now >= record.expires) return false;
  ++counters_.late_finals_acked;
  transmit(now, record.to, sip::make_ack_for_non2xx(record.ack, response), &record.to.stream);
  if (trace_.wants("txn.late_final_acked")) {
    trace_.emit(given_up_event(now, "txn.late_final_acked", key)
                    .with("status", std::to_string(response.status_code())));
  }
  return true;
}

void TransactionLayer::expire_given_up(TimePoint now) {
  while (!given_up_.empty() && given_up_.front().expires <= now) drop_oldest_given_up();
  // Armed only while records wait: one timer however many there are.
  if (!given_up_.empty()) {
    heap_.schedule(given_up_.front().expires, [this](TimePoint at) { expire_given_up(at); });
  }
}

void TransactionLayer::drop_oldest_given_up() {
  const auto found = given_up_index_.find(given_up_.front().key);
  // Only if the entry is this record's, not a later one's with the same key.
  if (found != given_up_index_.end() && found->second == given_up_first_) {
    given_up_index_.erase(found);
  }
  given_up_.pop_front();
  ++given_up_first_;
}

}  // namespace resproxy::transaction
