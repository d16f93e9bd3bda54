#pragma once
// RegistrationFlow: the registrar's work between the wire and the durable store (RFC 3261
// §10.3; the seed's registration caching). It serves a REGISTER here — planned by a Registrar,
// written to the store, answered 200 only once the store confirmed it, one write per AOR at a
// time with the REGISTERs that arrive meanwhile queued — caches what the ITSP granted to the
// REGISTERs the proxy forwarded, answers refreshes itself while that grant runs (registration
// throttling), expires bindings on the clock (holding cached ones while the ITSP is down) and
// pings the TCP connections phones registered over (CRLF keep-alive).
//
// Owned by the proxy (routing/proxy_node.h), which decides *whether* a REGISTER is served here
// (the mode, the ITSP's state, the sender's credentials) and sends the answers. Calls on the
// message path return what to answer and what to store, for the owner to send and emit in that
// order; the flow's own timers (expiry, keep-alive) reach the outside through RegistrationPort.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/registrar/location_service.h"
#include "proxy/registrar/registrar.h"
#include "proxy/transaction/transaction_layer.h"

namespace resproxy::registrar {

struct RegistrationConfig {
  RegistrarLimits limits;          // REGISTERs served here in standalone mode
  RegistrarLimits failure_limits;  // served here in a mode that forwards to the ITSP (it is down)
  RegistrarLimits cache_limits;    // caching what the ITSP granted
  // Registration throttling (0: off): refreshes of an ITSP grant with more than twice this left
  // are answered here with this expiry.
  Duration phone_reg_expires{};
  // While the ITSP is down cached bindings do not expire: held this long at a time.
  Duration itsp_down_reg_expires = std::chrono::seconds(60);
  Duration crlf_keepalive{};  // 0: off
  // REGISTERs waiting for an earlier one of the same user to be stored, all users together.
  std::size_t max_queued_registers = 1000;
  // Wall clock = core time + this (stored expiries are wall-clock); set_wall_clock_offset().
  Duration wall_clock_offset{};
};

// What the flow's timers need from the node that owns it.
class RegistrationPort {
 public:
  virtual void store(StoreWrite write) = 0;  // nobody waits for these writes
  // Failure operation (the ITSP down): cached bindings are held instead of expiring.
  [[nodiscard]] virtual bool holds_cached_bindings() const = 0;
  [[nodiscard]] virtual bool is_stream_open(StreamId stream) const = 0;
  virtual void send_keepalive_ping(TimePoint now, StreamId stream) = 0;

 protected:
  ~RegistrationPort() = default;
};

// What to do with a REGISTER served here.
struct RegisterStep {
  enum class Kind : std::uint8_t {
    Answer,     // answer now with status, reason, headers: an error, or 200 for a query
    QueueFull,  // a write of this user is in flight and the queue is full: answer (503), count
    Queued,     // waits for the write in flight; next_queued() hands it back
    Stored,     // emit `write`; on_store_done() gives the answer
  };
  Kind kind = Kind::Answer;
  int status = 0;
  std::string_view reason{};
  std::vector<sip::ExtraHeader> headers{};
  std::optional<StoreWrite> write{};
};

// The answer to a REGISTER whose store write is done: 200 with its bindings, or 500.
struct StoredAnswer {
  transaction::ServerTransactionId server;
  std::string user;
  int status = 0;
  std::string_view reason;
  std::vector<sip::ExtraHeader> headers;
};

// A REGISTER that waited for its user's write: to serve now.
struct QueuedRegister {
  transaction::ServerTransactionId server;
  Path path;
};

class RegistrationFlow {
 public:
  // `location` is the node's; `next_store_id` its store-write counter (ids are unique per node).
  // Everything referenced must outlive the flow.
  RegistrationFlow(RegistrationConfig config, LocationService& location, TimerHeap& timers, TraceSink& trace,
                   RegistrationPort& port, std::uint64_t& next_store_id);
  RegistrationFlow(const RegistrationFlow&) = delete;
  RegistrationFlow& operator=(const RegistrationFlow&) = delete;

  // Start-up: the bindings among the stored records, into the location service. Records of the
  // old format ("b1") from another boot are dropped; if any old ones were found, every binding
  // is written again (returned).
  [[nodiscard]] std::optional<StoreWrite> load(const std::vector<StoreRecord>& stored, TimePoint start);

  // Registration throttling: a refresh of a binding the ITSP granted, from the same device (its
  // Call-ID, contact and address), while the grant has more than twice the phones' expiry left,
  // is answered here: the 200's Contact. nullopt: forward it.
  [[nodiscard]] std::optional<std::vector<sip::ExtraHeader>> throttle(TimePoint now,
                                                                      const sip::Message& request,
                                                                      const Path& path);

  // A REGISTER for our domain served here, from a sender already admitted. `failure_operation`:
  // standing in for the ITSP (the short itsp_down_reg_expires).
  [[nodiscard]] RegisterStep serve(TimePoint now, transaction::ServerTransactionId id,
                                   const sip::Message& request, const Path& path, bool failure_operation);
  // A store write is done. nullopt: not one of ours (nothing to answer).
  [[nodiscard]] std::optional<StoredAnswer> on_store_done(TimePoint now, std::uint64_t store_id,
                                                          StoreOutcome outcome);
  // After on_store_done: the next REGISTER of `user` that waited, while none of its writes is in
  // flight. Serve each (serve() may queue it again).
  [[nodiscard]] std::optional<QueuedRegister> next_queued(std::string_view user);

  // The ITSP said 2xx to `request` (forwarded from `from`): cache the phone's own contacts with
  // the expiry the ITSP granted (its Contact list is authoritative: one of ours missing means
  // removed). Nobody waits for the write (the ITSP holds the registration).
  [[nodiscard]] std::optional<StoreWrite> cache(TimePoint now, const sip::Message& request, const Path& from,
                                                const sip::Message& response);
  // reg_forwarding_timeout: the REGISTER's contacts leave the cache.
  [[nodiscard]] std::optional<StoreWrite> uncache(TimePoint now, const sip::Message& request);

  // Every binding written again (nobody waits): after the wall clock stepped.
  [[nodiscard]] std::optional<StoreWrite> rewrite_all();
  void set_wall_clock_offset(Duration offset) { config_.wall_clock_offset = offset; }

  // The expiry timer on the earliest binding's expiry (after bindings changed behind the flow's
  // back: a kill reg).
  void rearm_expiry();

 private:
  struct Pending {
    transaction::ServerTransactionId server;
    RegisterPlan plan;
  };
  StoreWrite new_write() { return StoreWrite{next_store_id_++, {}}; }
  void put(StoreWrite& write, const Binding& b) const;
  void on_expiry(TimePoint now);
  void on_keepalive(TimePoint now);
  void arm_keepalive(TimePoint now);

  RegistrationConfig config_;
  LocationService& location_;
  TimerHeap& timers_;
  TraceSink& trace_;
  RegistrationPort& port_;
  std::uint64_t& next_store_id_;
  Registrar registrar_;                       // standalone
  Registrar failure_registrar_;               // failure operation
  Registrar cache_registrar_;                 // the ITSP's grants
  std::map<std::uint64_t, Pending> pending_;  // store id -> REGISTER waiting for it
  std::map<std::string, std::deque<QueuedRegister>, std::less<>> queued_;
  std::size_t queued_count_ = 0;
  std::set<std::string, std::less<>> users_in_flight_;
  TimerId expiry_timer_;
  TimerId keepalive_timer_;
};

}  // namespace resproxy::registrar
