#pragma once
// StoreThread: the thread that owns the durable store (store.h) while the daemon serves, so that
// a slow or stalled disk (an fsync that takes seconds, a full disk's error path) never holds up
// the network thread. NativeRuntime hands it one group commit at a time and hears of each in
// FIFO order through the callback, which runs on this thread and must only post the outcome
// back to the io thread.
//
// Bounding the work waiting here is the caller's job (NativeRuntime refuses writes beyond
// ListenConfig::store_queue_max at once); this queue only orders what it was given.
//
// Shutdown: finish() (also the destructor) lets the thread apply everything submitted, then
// joins it. With a disk that stalls, that waits for the stall to end: the writes it was given
// were accepted, and SQLite cannot abandon a commit half-way anyway.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "proxy/base/node.h"
#include "proxy/native/store.h"

namespace resproxy::native {

class StoreThread {
 public:
  // Called on the store thread with apply()'s result.
  using Done = std::function<void(bool ok)>;

  // Starts the thread. `store` must outlive this object and is used by no other thread until
  // it is destroyed.
  explicit StoreThread(KeyValueStore& store);
  ~StoreThread();
  StoreThread(const StoreThread&) = delete;
  StoreThread& operator=(const StoreThread&) = delete;

  // Queues `write` as one transaction; `done` runs after it was applied or refused.
  // Thread-safe. Ignored (done is not called) after finish().
  void submit(StoreWrite write, Done done);

  // Applies what was submitted, then joins the thread. Idempotent.
  void finish();

 private:
  struct Job {
    StoreWrite write;
    Done done;
  };
  void run();

  KeyValueStore& store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool finishing_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace resproxy::native
