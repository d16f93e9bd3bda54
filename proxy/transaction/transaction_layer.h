#pragma once
// TransactionLayer: the four RFC 3261 §17 transaction state machines (client and server,
// INVITE and non-INVITE) with timers A–K, plus the RFC 6026 Accepted state (timers L and M) so
// that 2xx retransmissions and late 2xx are handled without ghost calls.
//
// Fed by the transport layer (every parsed message with its path, every failed connection) and by
// the transaction user (requests to send, responses to send). Emits to the transaction user
// through TransactionUser callbacks, sends through the TransportLayer, keeps its timers in the
// Node's TimerHeap. A transaction never knows why it exists.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"
#include "proxy/transaction/timer_config.h"
#include "proxy/transport/transport_layer.h"

namespace resproxy::transaction {

struct ClientTransactionId {
  std::uint64_t value = 0;
  friend auto operator<=>(const ClientTransactionId&, const ClientTransactionId&) = default;
};
struct ServerTransactionId {
  std::uint64_t value = 0;
  friend auto operator<=>(const ServerTransactionId&, const ServerTransactionId&) = default;
};

// RFC 3261 §17 state names (plus RFC 6026 Accepted).
enum class State : std::uint8_t {
  Calling, Trying, Proceeding, Completed, Confirmed, Accepted, Terminated,
};
std::string_view to_string(State state);

enum class TransactionError : std::uint8_t {
  Timeout,         // Timer B or F: no final response; the TU treats it as 408 (§16.7, §8.1.3.1)
  TransportError,  // the connection failed (§17.1.4): the TU treats it as 503
  NoAck,           // Timer H fired: the final non-2xx response was never acknowledged
};
std::string_view to_string(TransactionError error);
// The response a TU synthesizes for a failed client transaction: 408 or 503.
int to_sip_status(TransactionError error);

// The transaction user: whatever sits above (proxy core, registrar, UA, probe).
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A new request created server transaction `id` (never ACK; CANCEL does, §9.2).
  virtual void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                          const Path& path) = 0;
  // An ACK that matched no server transaction: the ACK for a 2xx, end to end (§17.2.1).
  virtual void on_ack(TimePoint now, const sip::Message& ack, const Path& path) = 0;
  // A response for client transaction `id`: provisional, final, and for INVITE the 2xx
  // retransmissions received in Accepted (RFC 6026 §8.4). Final non-2xx retransmissions are
  // absorbed here and never reach the TU.
  virtual void on_response(TimePoint now, ClientTransactionId id,
                           const sip::Message& response) = 0;
  // A response that matched no client transaction (§18.1.2): e.g. a 2xx after Timer M.
  virtual void on_stray_response(TimePoint now, const sip::Message& response,
                                 const Path& path) = 0;
  virtual void on_client_error(TimePoint now, ClientTransactionId id, TransactionError error) = 0;
  virtual void on_server_error(TimePoint now, ServerTransactionId id, TransactionError error) = 0;
};

struct TransactionCounters {
  std::uint64_t client_created = 0;
  std::uint64_t server_created = 0;
  std::uint64_t retransmissions_sent = 0;
  std::uint64_t retransmissions_absorbed = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t transport_errors = 0;
  // Late non-2xx finals to INVITEs given up (give_up_invite), ACKed and absorbed.
  std::uint64_t late_finals_acked = 0;
  // Records of given-up INVITEs dropped before their time: more than kMaxGivenUpInvites at once.
  std::uint64_t given_up_evicted = 0;
};

class TransactionLayer {
 public:
  TransactionLayer(TimerConfig timers, transport::TransportLayer& transport, TimerHeap& heap,
                   Rng& rng, TraceSink& trace);
  void set_user(TransactionUser* user) { user_ = user; }
  // The key of the indexes of branches (Rng::hash_key at construction).
  [[nodiscard]] SipKey hash_key() const { return client_index_.hash_function().key; }

  // From the transport layer.
  void on_message(TimePoint now, sip::Message&& message, const Path& path);
  void on_stream_failed(TimePoint now, StreamId stream);

  // From the TU. `request` carries our Via on top with a unique z9hG4bK branch (new_branch()).
  // ACK for a 2xx is not a transaction: send it with send_stateless().
  // `fixed_retransmit` (non-INVITE over UDP only): retransmit at this constant interval instead
  // of T1 doubling up to T2 — for probes that must see a lost datagram within their own short
  // timeout (the ITSP monitor). Timer F is unchanged.
  ClientTransactionId send_request(TimePoint now, sip::Message request,
                                   const transport::Destination& to,
                                   std::optional<Duration> fixed_retransmit = std::nullopt);
  // Ends a non-INVITE client transaction at once, without telling the TU: no more
  // retransmissions, a late response becomes a stray one. For a request whose answer no longer
  // matters (an ITSP probe past its own timeout: its Timer E would otherwise keep a dead ITSP
  // busy until Timer F). INVITE transactions are left alone (an answer may still need an ACK).
  void abandon_client(TimePoint now, ClientTransactionId id);
  // Ends an INVITE client transaction that has no final response (Calling or Proceeding), without
  // telling the TU: RFC 3261 §9.1 — when a CANCEL got no final response for the INVITE within
  // 64·T1, the INVITE is taken as cancelled and its client transaction destroyed (Proceeding has
  // no timer of its own: a UAS that sends 180 and then nothing would hold it for ever).
  // Transactions past their final response are left alone.
  // A late non-2xx final response (the 487 the CANCEL asked for, most likely) still gets the ACK
  // the transaction would have sent (§17.1.1.3), every copy of it for given_up_lifetime(), and is
  // absorbed: unACKed, the UAS would retransmit it until its Timer H. Other late responses (1xx,
  // 2xx: a proxy forwards a 2xx statelessly, §16.7) become stray ones for the TU, as after any
  // transaction's end.
  void give_up_invite(TimePoint now, ClientTransactionId id);
  // Sends a response on server transaction `id`; returns false if it no longer exists or is
  // past the point where a response can be sent (the TU then drops it).
  bool send_response(TimePoint now, ServerTransactionId id, int status_code, std::string bytes);
  // Answers server transaction `id` with a final response and forgets the transaction (when the
  // TU returns, or at the next message): no retransmission (Timer G), no absorbing of request
  // retransmissions (one is a new transaction, judged again). For challenges and refusals to
  // sources nobody has verified: each costs one datagram, never ten (RFC 3261 §16.3 allows a
  // proxy to answer statelessly). Empty `bytes`: ends it without an answer. False if the
  // transaction is gone or already answered.
  bool respond_statelessly(TimePoint now, ServerTransactionId id, std::string bytes);
  // Sends bytes outside any transaction (ACK for 2xx, stateless responses and forwards).
  void send_stateless(TimePoint now, const transport::Destination& to, std::string bytes);
  // CANCEL matching (§9.2): the INVITE server transaction a CANCEL refers to, if any.
  [[nodiscard]] std::optional<ServerTransactionId> find_invite_for_cancel(
      const sip::Message& cancel) const;
  // The request that created a server transaction (for building responses and forwarding);
  // null once the transaction is gone, and for a non-INVITE one after its final response (from
  // the next message on).
  [[nodiscard]] const sip::Message* server_request(ServerTransactionId id) const;
  [[nodiscard]] const sip::Message* client_request(ClientTransactionId id) const;
  [[nodiscard]] std::optional<State> client_state(ClientTransactionId id) const;
  [[nodiscard]] std::optional<State> server_state(ServerTransactionId id) const;

  // "z9hG4bK" + 16 random characters (RFC 3261 §8.1.1.7: unique across space and time).
  [[nodiscard]] std::string new_branch();
  // Where a response to `request` received on `path` goes (§18.2.2, RFC 3581 rport).
  [[nodiscard]] static transport::Destination response_destination(const sip::Message& request,
                                                                    const Path& path);

  [[nodiscard]] const TimerConfig& timers() const { return timers_; }
  [[nodiscard]] const TransactionCounters& counters() const { return counters_; }
  [[nodiscard]] std::size_t client_count() const { return clients_.size(); }
  [[nodiscard]] std::size_t server_count() const { return servers_.size(); }
  [[nodiscard]] std::size_t given_up_count() const { return given_up_.size(); }

  // How long a given-up INVITE's late non-2xx final is still ACKed: 64·T1, the UAS's Timer H
  // (§17.2.1), for which it retransmits that response unless ACKed — so a 487 first sent when we
  // gave up is ACKed however many copies of it (or of our ACK) are lost.
  [[nodiscard]] Duration given_up_lifetime() const { return timers_.timer_h(); }
  // How many given-up INVITEs are remembered at once. Each record is some 500 bytes and lives
  // 64·T1 (32 s): this is 128 give-ups a second, sustained, in about 2 MB. Anyone who can
  // have CANCELs go unanswered (a dead or hostile next hop) can make give-ups; past the cap the
  // oldest record, the nearest its end, is dropped and counted (given_up_evicted).
  static constexpr std::size_t kMaxGivenUpInvites = 4096;

 private:
  struct ClientTransaction {
    ClientTransaction(ClientTransactionId i, sip::Message&& r) : id(i), request(std::move(r)) {}
    ClientTransactionId id{};
    sip::Message request;
    std::string wire{};  // request bytes, for retransmission
    transport::Destination to{};
    bool is_invite = false;
    bool reliable = false;
    State state = State::Calling;
    std::string key{};
    Duration retransmit_interval{};
    Duration retransmit_cap{};   // T2, or the fixed interval asked for
    TimerId retransmit_timer{};  // A or E
    TimerId timeout_timer{};     // B or F
    TimerId linger_timer{};      // D, K or M
    std::string ack{};           // INVITE: the ACK for a non-2xx final, resent on retransmits
  };
  // What stays of an INVITE client transaction given up (give_up_invite) to ACK a late non-2xx
  // final response the way the transaction would have (§17.1.1.3): its key, its ACK but the To,
  // where the INVITE went and until when. Not the INVITE itself.
  struct GivenUpInvite {
    std::string key;  // client_key: branch|INVITE
    sip::AckTemplate ack;
    transport::Destination to;
    TimePoint expires;
  };
  struct ServerTransaction {
    ServerTransaction(ServerTransactionId i, sip::Message&& r) : id(i), request(std::move(r)) {}
    ServerTransactionId id{};
    sip::Message request;
    // A non-INVITE transaction lets its request go once its final response is sent and the TU
    // has returned (release_answered_requests): Timer J keeps only the key and the response
    // for 32 s. server_request() is null from then on.
    bool request_released = false;
    transport::Destination reply_to{};
    std::uint16_t sent_by_port = 5060;  // of the top Via (§18.2.2), kept past the request
    bool is_invite = false;
    bool reliable = false;
    State state = State::Trying;
    std::string key{};
    std::string last_response{};
    int last_status = 0;
    Duration retransmit_interval{};
    TimerId retransmit_timer{};  // G
    TimerId timeout_timer{};     // H
    TimerId linger_timer{};      // I, J or L
  };

  void on_request(TimePoint now, sip::Message&& request, const Path& path);
  void on_response(TimePoint now, sip::Message&& response, const Path& path);

  // Given-up INVITEs (transaction_layer_given_up.cpp).
  void remember_given_up(TimePoint now, const ClientTransaction& txn);
  // True if `response` (matching no transaction, client key `key`) is a late non-2xx final to a
  // given-up INVITE: it was ACKed and is absorbed.
  bool ack_late_final(TimePoint now, const std::string& key, const sip::Message& response);
  void expire_given_up(TimePoint now);
  void drop_oldest_given_up();

  void client_timer(TimePoint now, ClientTransactionId id, char timer);
  void server_timer(TimePoint now, ServerTransactionId id, char timer);
  // Stops a transaction's timers and traces its end; the callers then forget it.
  template <typename Transaction>
  void finish(TimePoint now, std::string_view side, Transaction& txn, std::string_view why);
  void terminate_client(TimePoint now, ClientTransaction& txn, std::string_view why);
  void terminate_server(TimePoint now, ServerTransaction& txn, std::string_view why);
  TimerId arm_client(TimePoint at, ClientTransactionId id, char timer);
  TimerId arm_server(TimePoint at, ServerTransactionId id, char timer);
  void transmit(TimePoint now, const transport::Destination& to, const std::string& bytes,
                StreamId* stream);
  void trace_state(TimePoint now, std::string_view side, std::string_view key, State from,
                   State to);
  void trace_created(TimePoint now, std::string_view side, std::string_view key, State state);
  void trace_timer(TimePoint now, std::string_view side, std::string_view key, char timer);

  static std::string server_key(const sip::Message& request);  // §17.2.3 (+ RFC 2543 fall-back)
  static std::string client_key(std::string_view branch, sip::Method cseq_method,
                                std::string_view cseq_token);  // §17.1.3

  TimerConfig timers_;
  transport::TransportLayer& transport_;
  TimerHeap& heap_;
  Rng& rng_;
  TraceSink& trace_;
  TransactionUser* user_ = nullptr;
  TransactionCounters counters_;

  // Clients ordered by id (creation order): their scan reports failures to the TU in a
  // deterministic order. Servers hashed (a registrar keeps 64*T1 worth of REGISTERs, 128,000 at
  // 4,000/s); their one scan only rewrites where responses go. Keyed lookups by string.
  std::map<std::uint64_t, ClientTransaction> clients_;
  std::unordered_map<std::uint64_t, ServerTransaction> servers_;
  // Keyed by branches from the wire: a keyed hash (Rng::hash_key), so no sender can crowd one
  // bucket. Nothing iterates them.
  std::unordered_map<std::string, std::uint64_t, KeyedStringHash> client_index_;
  std::unordered_map<std::string, std::uint64_t, KeyedStringHash> server_index_;
  // Given-up INVITEs, oldest first: all live as long, so the oldest expires first. Numbered in
  // order from given_up_first_; the index (keyed by branches from the wire, like the others) maps
  // a client key to its record's number. One timer, for the oldest record's end.
  std::deque<GivenUpInvite> given_up_;
  std::unordered_map<std::string, std::uint64_t, KeyedStringHash> given_up_index_;
  std::uint64_t given_up_first_ = 0;
  std::uint64_t next_id_ = 1;
  // Non-INVITE server transactions answered with a final response, whose request is released
  // at the next message (never while a TU call may still hold a reference to it).
  std::vector<std::uint64_t> answered_;
  void release_answered_requests();
  // Server transactions answered statelessly, ended once nobody holds their request.
  std::vector<std::uint64_t> stateless_;
  void end_stateless(TimePoint now);
};

}  // namespace resproxy::transaction
