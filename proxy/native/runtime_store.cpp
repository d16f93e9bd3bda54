// NativeRuntime's store commit pipeline (runtime_impl.h): StoreWrite effects are collected
// during a pump, refused beyond ListenConfig::store_queue_max, and committed as one transaction
// on the store thread (group commit: at most one per ListenConfig::store_commit_interval, one at a
// time); the outcomes come back to the Node as StoreDone completions, in the order written.
#include "proxy/native/runtime_impl.h"

#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

namespace resproxy::native {

// --- The store. ---

void NativeRuntime::Impl::perform(StoreWrite& effect) {
  // A stalled disk must not stall signalling: the writes waiting for the store (pending and
  // committing) are bounded, and one beyond the bound fails at once (the core answers 500 with
  // Retry-After) instead of queueing without end.
  if (store_ != nullptr &&
      pending_store_ids_.size() + committing_ids_.size() >= config_.store_queue_max) {
    refused_store_ids_.push_back(effect.id);
    ++stats_.store_queue_full;
    return;
  }
  // Collected and committed once at the end of the pump (commit_store): under load several
  // REGISTERs (every datagram of a batch) share one SQLite transaction.
  pending_store_ids_.push_back(effect.id);
  for (auto& record : effect.records) pending_store_.records.push_back(std::move(record));
}

bool NativeRuntime::Impl::commit_store_when_due() {
  bool answered = false;
  if (!refused_store_ids_.empty()) {
    std::vector<std::uint64_t> ids;
    ids.swap(refused_store_ids_);
    stats_.store_failures += ids.size();
    const TimePoint t = now();
    for (const auto id : ids) node_.on_completion(t, StoreDone{id, StoreOutcome::Failed});
    answered = true;
  }
  if (pending_store_ids_.empty()) return answered;
  if (store_ == nullptr) {
    std::vector<std::uint64_t> ids;
    ids.swap(pending_store_ids_);
    pending_store_.records.clear();
    stats_.store_failures += ids.size();
    const TimePoint t = now();
    for (const auto id : ids) node_.on_completion(t, StoreDone{id, StoreOutcome::Failed});
    return true;
  }
  // One commit at a time: what comes meanwhile waits and goes, all of it, into the next one
  // (group commit by the disk's own pace), which on_store_committed starts.
  if (committing_) return answered;
  const auto interval = config_.store_commit_interval;
  const auto steady_now = SteadyClock::now();
  if (interval.count() <= 0 || steady_now - last_commit_ >= interval) {
    last_commit_ = steady_now;
    commit_store();
    return answered;
  }
  if (!store_timer_armed_) {
    store_timer_armed_ = true;
    store_timer_.expires_at(last_commit_ + interval);
    store_timer_.async_wait(
        [self = shared_from_this()](const ErrorCode& ec) { self->on_store_timer(ec); });
  }
  return answered;
}

void NativeRuntime::Impl::on_store_timer(const ErrorCode& ec) {
  store_timer_armed_ = false;
  if (ec || stopped_) return;
  deliver([](Node&, TimePoint) {});  // its pump commits what is pending
}

void NativeRuntime::Impl::commit_store() {
  // On the store thread, as one transaction; the records keep their order, so a later write of
  // a key wins. The Node hears of it (on_store_committed) only then: a REGISTER is answered 200
  // only after its binding is committed.
  committing_ = true;
  committing_ids_.swap(pending_store_ids_);
  StoreWrite batch;
  batch.records.swap(pending_store_.records);
  store_thread_->submit(std::move(batch), [self = shared_from_this()](bool ok) mutable {
    // On the store thread: only post. The reference moves into the handler, so this thread
    // never holds the last one (the runtime is never destroyed here).
    Impl& impl = *self;
    impl.post([self = std::move(self), ok] { self->on_store_committed(ok); });
  });
}

void NativeRuntime::Impl::on_store_committed(bool ok) {
  committing_ = false;
  std::vector<std::uint64_t> ids;
  ids.swap(committing_ids_);
  if (!ok) stats_.store_failures += ids.size();
  const auto outcome = ok ? StoreOutcome::Ok : StoreOutcome::Failed;
  // In the order they were written; its pump starts the next commit if writes came meanwhile.
  deliver([&ids, outcome](Node& node, TimePoint t) {
    for (const auto id : ids) node.on_completion(t, StoreDone{id, outcome});
  });
}

}  // namespace resproxy::native
