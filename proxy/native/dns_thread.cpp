#include "proxy/native/dns_thread.h"

#include <exception>

namespace resproxy::native {

NameError to_name_error(DnsError error) {
  switch (error) {
    case DnsError::NotFound: return NameError::NotFound;
    case DnsError::NoRecords:
    case DnsError::NoUsableAddress:
    case DnsError::ServiceUnavailable: return NameError::NoRecords;
    case DnsError::Timeout: return NameError::Timeout;
    case DnsError::ServerFailure: return NameError::ServerFailure;
  }
  return NameError::ServerFailure;
}

DnsThread::DnsThread(DnsResolverOptions options)
    : options_(std::move(options)), thread_([this] { run(); }) {}

DnsThread::~DnsThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void DnsThread::resolve(std::uint64_t id, std::string name, Done done, RecordKind kind) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back(Job{id, std::move(name), std::move(done), kind});
  }
  wake_.notify_one();
}

void DnsThread::run() {
  // Created on this thread: c-ares' channel is used by it alone. A resolver that cannot be set
  // up (no memory) answers every look-up ServerFailure instead.
  std::optional<DnsResolver> resolver;
  try {
    resolver.emplace(options_);
  } catch (const std::exception&) {
    resolver.reset();
  }
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    NameResolved answer;
    answer.id = job.id;
    if (!resolver) {
      answer.error = NameError::ServerFailure;
    } else if (job.kind == RecordKind::Srv) {
      auto result = std::move(resolver->query_srv(std::span<const std::string>(&job.name, 1)).front());
      if (result) {
        answer.services = std::move(*result);
      } else {
        answer.error = to_name_error(result.error());
      }
    } else if (auto result = resolver->resolve_host(job.name, &answer.ttl)) {
      answer.addresses = std::move(*result);
    } else {
      answer.error = to_name_error(result.error());
    }
    job.done(std::move(answer));
  }
}

}  // namespace resproxy::native
