#include "proxy/native/store_thread.h"

#include <pthread.h>

#include <utility>

namespace resproxy::native {

StoreThread::StoreThread(KeyValueStore& store) : store_(store), thread_([this] { run(); }) {}

StoreThread::~StoreThread() { finish(); }

void StoreThread::submit(StoreWrite write, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (finishing_) return;
    jobs_.push_back(Job{std::move(write), std::move(done)});
  }
  wake_.notify_one();
}

void StoreThread::finish() {
  {
    std::lock_guard lock(mutex_);
    finishing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StoreThread::run() {
  (void)::pthread_setname_np(::pthread_self(), "resproxy-store");
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return finishing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // finishing, and everything submitted was applied
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const bool ok = store_.apply(job.write);
    job.write.records.clear();
    if (job.done) job.done(ok);
  }
}

}  // namespace resproxy::native
