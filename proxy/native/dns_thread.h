#pragma once
// DnsThread: the core's ResolveName effects answered while the daemon serves (the ITSP's host
// names and SRV sets looked up again at their refresh interval, names that failed at start-up). DnsResolver (dns_resolver.h) blocks for up
// to its timeout per look-up, so it runs on a thread of its own and never holds up the network
// thread; the LAN hosts table answers first, without DNS, as at start-up.
//
// Shutdown: the destructor drops what was not started, lets the look-up in progress finish
// (bounded by the resolver's timeout) and joins.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "proxy/base/node.h"
#include "proxy/native/dns_resolver.h"

namespace resproxy::native {

// The core's view of a look-up's outcome.
[[nodiscard]] NameError to_name_error(DnsError error);

class DnsThread {
 public:
  // Called on the DNS thread: it must only post the answer to the io thread.
  using Done = std::function<void(NameResolved answer)>;

  explicit DnsThread(DnsResolverOptions options);
  ~DnsThread();
  DnsThread(const DnsThread&) = delete;
  DnsThread& operator=(const DnsThread&) = delete;

  // Queues a look-up of `name` (its addresses, or with RecordKind::Srv its SRV records);
  // `done` gets the answer with `id` and the smallest TTL of the records (A/AAAA; SRV: zero,
  // c-ares does not give it). Thread-safe.
  void resolve(std::uint64_t id, std::string name, Done done, RecordKind kind = RecordKind::Address);

 private:
  struct Job {
    std::uint64_t id;
    std::string name;
    Done done;
    RecordKind kind = RecordKind::Address;
  };
  void run();

  DnsResolverOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace resproxy::native
