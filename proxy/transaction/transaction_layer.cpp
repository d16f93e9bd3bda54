#include "proxy/transaction/transaction_layer.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "proxy/sip/builder.h"
#include "proxy/sip/text.h"

namespace resproxy::transaction {

namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";

// Timer letters are RFC 3261's; '1' is the 200 ms "send 100 Trying" timer of §17.2.1.
constexpr char kTimer100Trying = '1';

std::string lower(std::string_view s) { return sip::text::lowercase(s); }

bool is_final(int status) { return status >= 200; }

// Every transaction event names its side ("c" or "s") and its key, in that order.
TraceEvent txn_event(TimePoint now, std::string_view name, std::string_view side,
                     std::string_view key) {
  TraceEvent event{now, std::string(name), {}};
  event.fields.reserve(4);  // side, txn and at most two more: one allocation
  event.with("side", std::string(side)).with("txn", std::string(key));
  return event;
}

}  // namespace

std::string_view to_string(State state) {
  switch (state) {
    case State::Calling: return "Calling";
    case State::Trying: return "Trying";
    case State::Proceeding: return "Proceeding";
    case State::Completed: return "Completed";
    case State::Confirmed: return "Confirmed";
    case State::Accepted: return "Accepted";
    case State::Terminated: return "Terminated";
  }
  return "Unknown";
}

std::string_view to_string(TransactionError error) {
  switch (error) {
    case TransactionError::Timeout: return "timeout";
    case TransactionError::TransportError: return "transport_error";
    case TransactionError::NoAck: return "no_ack";
  }
  return "unknown";
}

int to_sip_status(TransactionError error) {
  return error == TransactionError::TransportError ? 503 : 408;
}

TransactionLayer::TransactionLayer(TimerConfig timers, transport::TransportLayer& transport,
                                   TimerHeap& heap, Rng& rng, TraceSink& trace)
    : timers_(timers),
      transport_(transport),
      heap_(heap),
      rng_(rng),
      trace_(trace),
      client_index_(0, KeyedStringHash{rng.hash_key()}),
      server_index_(0, client_index_.hash_function()),
      given_up_index_(0, client_index_.hash_function()) {}

std::string TransactionLayer::new_branch() {
  std::string branch(kMagicCookie);
  branch += rng_.token(16);
  return branch;
}

// --- Keys -------------------------------------------------------------------------------------

std::string TransactionLayer::server_key(const sip::Message& request) {
  // ACK belongs to the INVITE transaction it acknowledges (§17.2.3); CANCEL has its own.
  const sip::Method method =
      request.method() == sip::Method::Ack ? sip::Method::Invite : request.method();
  const auto& via = request.top_via();
  std::string key;
  const std::string_view method_token =
      method == sip::Method::Unknown ? request.method_token() : sip::to_string(method);
  if (via.branch.size() > kMagicCookie.size() && via.branch.starts_with(kMagicCookie)) {
    key.reserve(via.branch.size() + via.host.size() + 24);
    key += "b|";
    key += via.branch;
    key += '|';
    key += lower(via.host);
    key += ':';
    key += std::to_string(via.port.value_or(0));
    key += '|';
    key += method_token;
    return key;
  }
  // RFC 2543 fall-back (§17.2.3): Request-URI, From tag, Call-ID, CSeq number, top Via.
  // The To tag is left out so that the ACK of a non-2xx (which carries our tag) still matches.
  key += "o|";
  key += request.request_uri();
  key += '|';
  key += request.from_tag();
  key += '|';
  key += request.call_id();
  key += '|';
  key += std::to_string(request.cseq().number);
  key += '|';
  key += lower(via.host);
  key += ':';
  key += std::to_string(via.port.value_or(0));
  key += '|';
  key += method_token;
  return key;
}

std::string TransactionLayer::client_key(std::string_view branch, sip::Method cseq_method,
                                         std::string_view cseq_token) {
  std::string key(branch);
  key += '|';
  key += cseq_method == sip::Method::Unknown ? cseq_token : sip::to_string(cseq_method);
  return key;
}

transport::Destination TransactionLayer::response_destination(const sip::Message& request,
                                                              const Path& path) {
  if (is_stream(path.transport)) {
    return {path.transport, path.remote, path.stream};  // §18.2.2: the connection it came on
  }
  const auto& via = request.top_via();
  // §18.2.2 with RFC 3581: to the source address; to the source port if rport was asked for,
  // else to the sent-by port.
  const std::uint16_t port = via.has_rport ? path.remote.port : via.port.value_or(5060);
  return {Transport::Udp, Address{path.remote.ip, port}, StreamId{}};
}

// --- Tracing ----------------------------------------------------------------------------------

void TransactionLayer::trace_state(TimePoint now, std::string_view side, std::string_view key,
                                   State from, State to) {
  if (!trace_.wants("txn.state_changed")) return;
  trace_.emit(txn_event(now, "txn.state_changed", side, key)
                  .with("from", std::string(to_string(from)))
                  .with("to", std::string(to_string(to))));
}

void TransactionLayer::trace_created(TimePoint now, std::string_view side, std::string_view key,
                                     State state) {
  if (!trace_.wants("txn.created")) return;
  trace_.emit(txn_event(now, "txn.created", side, key).with("state", std::string(to_string(state))));
}

void TransactionLayer::trace_timer(TimePoint now, std::string_view side, std::string_view key,
                                   char timer) {
  if (!trace_.wants("txn.timer_fired")) return;
  trace_.emit(txn_event(now, "txn.timer_fired", side, key).with("timer", std::string(1, timer)));
}

void TransactionLayer::transmit(TimePoint now, const transport::Destination& to,
                                const std::string& bytes, StreamId* stream) {
  const StreamId used = transport_.send(now, to, bytes);
  if (stream != nullptr && is_stream(to.transport)) *stream = used;
}

// The timer callbacks capture `this` and the id with the timer letter packed into one word:
// 16 bytes, which std::function keeps without a heap allocation (one timer or more per
// transaction). Ids count from 1 and never reach 2^56.
TimerId TransactionLayer::arm_client(TimePoint at, ClientTransactionId id, char timer) {
  const std::uint64_t packed = id.value << 8 | static_cast<unsigned char>(timer);
  return heap_.schedule(at, [this, packed](TimePoint now) {
    client_timer(now, ClientTransactionId{packed >> 8}, static_cast<char>(packed & 0xFF));
  });
}

TimerId TransactionLayer::arm_server(TimePoint at, ServerTransactionId id, char timer) {
  const std::uint64_t packed = id.value << 8 | static_cast<unsigned char>(timer);
  return heap_.schedule(at, [this, packed](TimePoint now) {
    server_timer(now, ServerTransactionId{packed >> 8}, static_cast<char>(packed & 0xFF));
  });
}

// --- Inputs from the transport ----------------------------------------------------------------

void TransactionLayer::on_message(TimePoint now, sip::Message&& message, const Path& path) {
  if (!answered_.empty()) release_answered_requests();
  if (!stateless_.empty()) end_stateless(now);
  if (message.is_request()) {
    on_request(now, std::move(message), path);
  } else {
    on_response(now, std::move(message), path);
  }
}

void TransactionLayer::release_answered_requests() {
  for (const std::uint64_t id : answered_) {
    const auto it = servers_.find(id);
    if (it == servers_.end() || it->second.request_released) continue;
    const sip::Message released = std::move(it->second.request);  // freed here
    it->second.request_released = true;
  }
  answered_.clear();
}

void TransactionLayer::on_request(TimePoint now, sip::Message&& request, const Path& path) {
  std::string key = server_key(request);
  std::unordered_map<std::string, std::uint64_t>::iterator found;
  if (request.method() == sip::Method::Ack) {
    found = server_index_.find(key);
    if (found == server_index_.end()) {
      if (user_ != nullptr) user_->on_ack(now, request, path);  // ACK for a 2xx: end to end
      return;
    }
  } else {
    // One hash and one probe both find a retransmission's transaction and file a new one.
    bool is_new = false;
    std::tie(found, is_new) = server_index_.try_emplace(key, next_id_);
    if (is_new) {
      const ServerTransactionId id{next_id_++};
      // Built in place; the index entry above already points at it.
      ServerTransaction& txn =
          servers_
              .emplace(std::piecewise_construct, std::forward_as_tuple(id.value),
                       std::forward_as_tuple(id, std::move(request)))
              .first->second;
      txn.reliable = is_stream(path.transport);
      txn.key = std::move(key);
      txn.reply_to = response_destination(txn.request, path);
      // RFC 3261 §18.2.2 / §26.2.1: a sent-by without a port means 5061 over TLS.
      txn.sent_by_port = txn.request.top_via().port.value_or(
          path.transport == Transport::Tls ? 5061 : 5060);
      txn.is_invite = txn.request.method() == sip::Method::Invite;
      txn.state = txn.is_invite ? State::Proceeding : State::Trying;
      if (txn.is_invite) {
        // §17.2.1: 100 Trying unless the TU answers within 200 ms.
        txn.retransmit_timer =
            arm_server(now + std::chrono::milliseconds(200), id, kTimer100Trying);
      }
      ++counters_.server_created;
      trace_created(now, "s", txn.key, txn.state);
      if (user_ != nullptr) user_->on_request(now, id, txn.request, path);
      if (!stateless_.empty()) end_stateless(now);
      return;
    }
  }

  auto& txn = servers_.at(found->second);
  if (request.method() == sip::Method::Ack) {
    if (!txn.is_invite) return;
    switch (txn.state) {
      case State::Completed:
        // §17.2.1: ACK for our non-2xx final. Stop G and H; Timer I absorbs ACK retransmits.
        heap_.cancel(txn.retransmit_timer);
        heap_.cancel(txn.timeout_timer);
        trace_state(now, "s", txn.key, txn.state, State::Confirmed);
        txn.state = State::Confirmed;
        txn.linger_timer = arm_server(now + (txn.reliable ? Duration{} : timers_.t4), txn.id, 'I');
        return;
      case State::Accepted:
        // RFC 6026 §8.7: an ACK matching an Accepted transaction goes to the TU.
        if (user_ != nullptr) user_->on_ack(now, request, path);
        return;
      default:
        ++counters_.retransmissions_absorbed;
        return;
    }
  }

  // A retransmitted request.
  ++counters_.retransmissions_absorbed;
  const bool resend = !txn.last_response.empty() &&
                      (txn.state == State::Proceeding || txn.state == State::Completed);
  if (resend) {
    ++counters_.retransmissions_sent;
    transmit(now, txn.reply_to, txn.last_response, &txn.reply_to.stream);
    if (trace_.wants("txn.retransmitted")) {
      trace_.emit(txn_event(now, "txn.retransmitted", "s", txn.key)
                      .with("status", std::to_string(txn.last_status)));
    }
  }
}

void TransactionLayer::on_response(TimePoint now, sip::Message&& response, const Path& path) {
  const auto& via = response.top_via();
  const std::string key =
      client_key(via.branch, response.cseq().method, response.cseq().method_token);
  const auto found = client_index_.find(key);
  if (found == client_index_.end()) {
    if (ack_late_final(now, key, response)) return;
    if (user_ != nullptr) user_->on_stray_response(now, response, path);
    return;
  }
  auto& txn = clients_.at(found->second);
  const int status = response.status_code();
  const State before = txn.state;

  if (txn.is_invite) {
    switch (txn.state) {
      case State::Calling:
      case State::Proceeding:
        heap_.cancel(txn.retransmit_timer);  // Timer A
        if (status < 200) {
          heap_.cancel(txn.timeout_timer);  // Timer B applies to Calling only
          txn.state = State::Proceeding;
        } else if (status < 300) {
          // RFC 6026: Accepted; later 2xx (retransmissions, other forks) still reach the TU.
          heap_.cancel(txn.timeout_timer);
          txn.state = State::Accepted;
          txn.linger_timer = arm_client(now + timers_.timer_m(), txn.id, 'M');
        } else {
          heap_.cancel(txn.timeout_timer);
          txn.state = State::Completed;
          txn.ack = sip::make_ack_for_non2xx(txn.request, response);
          transmit(now, txn.to, txn.ack, &txn.to.stream);
          txn.linger_timer =
              arm_client(now + (txn.reliable ? Duration{} : timers_.timer_d), txn.id, 'D');
        }
        if (before != txn.state) trace_state(now, "c", txn.key, before, txn.state);
        if (user_ != nullptr) user_->on_response(now, txn.id, response);
        return;
      case State::Completed:
        if (status >= 300) {  // §17.1.1.2: retransmitted final: resend the ACK, absorb it
          ++counters_.retransmissions_absorbed;
          ++counters_.retransmissions_sent;
          transmit(now, txn.to, txn.ack, &txn.to.stream);
        }
        return;
      case State::Accepted:
        if (status >= 200 && status < 300 && user_ != nullptr) {
          user_->on_response(now, txn.id, response);
        }
        return;
      default:
        return;
    }
  }

  switch (txn.state) {
    case State::Trying:
    case State::Proceeding:
      if (!is_final(status)) {
        txn.state = State::Proceeding;
      } else {
        heap_.cancel(txn.retransmit_timer);  // Timer E
        heap_.cancel(txn.timeout_timer);     // Timer F
        txn.state = State::Completed;
        txn.linger_timer =
            arm_client(now + (txn.reliable ? Duration{} : timers_.t4), txn.id, 'K');
      }
      if (before != txn.state) trace_state(now, "c", txn.key, before, txn.state);
      if (user_ != nullptr) user_->on_response(now, txn.id, response);
      return;
    default:
      ++counters_.retransmissions_absorbed;  // Completed: retransmitted final, absorbed
      return;
  }
}

void TransactionLayer::on_stream_failed(TimePoint now, StreamId stream) {
  // §17.1.4: a client transaction whose connection failed is over; the TU answers 503.
  std::vector<std::uint64_t> failed;
  for (auto& [id, txn] : clients_) {
    if (is_stream(txn.to.transport) && txn.to.stream == stream &&
        (txn.state == State::Calling || txn.state == State::Trying ||
         txn.state == State::Proceeding)) {
      failed.push_back(id);
    }
  }
  for (const auto id : failed) {
    auto& txn = clients_.at(id);
    const ClientTransactionId cid = txn.id;
    ++counters_.transport_errors;
    terminate_client(now, txn, "transport_error");
    if (user_ != nullptr) user_->on_client_error(now, cid, TransactionError::TransportError);
  }
  // §18.2.2: a server transaction whose connection is gone answers over a new connection to
  // the sent-by address.
  for (auto& [id, txn] : servers_) {
    if (is_stream(txn.reply_to.transport) && txn.reply_to.stream == stream) {
      txn.reply_to.stream = StreamId{};
      txn.reply_to.remote.port = txn.sent_by_port;
    }
  }
}

// --- From the TU ------------------------------------------------------------------------------

ClientTransactionId TransactionLayer::send_request(TimePoint now, sip::Message request,
                                                   const transport::Destination& to,
                                                   std::optional<Duration> fixed_retransmit) {
  const ClientTransactionId id{next_id_++};
  ClientTransaction txn(id, std::move(request));
  txn.to = to;
  txn.wire = std::string(txn.request.bytes());
  txn.is_invite = txn.request.method() == sip::Method::Invite;
  txn.reliable = is_stream(to.transport);
  txn.state = txn.is_invite ? State::Calling : State::Trying;
  txn.key = client_key(txn.request.top_via().branch, txn.request.method(),
                       txn.request.method_token());
  transmit(now, txn.to, txn.wire, &txn.to.stream);
  if (!txn.reliable) {  // Timers A and E: retransmit over unreliable transports only
    const bool fixed = fixed_retransmit && !txn.is_invite;
    txn.retransmit_interval = fixed ? *fixed_retransmit : timers_.t1;
    txn.retransmit_cap = fixed ? *fixed_retransmit : timers_.t2;
    txn.retransmit_timer =
        arm_client(now + txn.retransmit_interval, id, txn.is_invite ? 'A' : 'E');
  }
  txn.timeout_timer =
      arm_client(now + (txn.is_invite ? timers_.timer_b() : timers_.timer_f()), id,
                 txn.is_invite ? 'B' : 'F');
  ++counters_.client_created;
  client_index_.emplace(txn.key, id.value);
  trace_created(now, "c", txn.key, txn.state);
  clients_.emplace(id.value, std::move(txn));
  return id;
}

bool TransactionLayer::send_response(TimePoint now, ServerTransactionId id, int status_code,
                                     std::string bytes) {
  const auto it = servers_.find(id.value);
  if (it == servers_.end()) return false;
  auto& txn = it->second;
  const State before = txn.state;
  if (txn.is_invite) {
    if (txn.state == State::Proceeding) {
      heap_.cancel(txn.retransmit_timer);  // the 200 ms 100-Trying timer, if still pending
      if (status_code < 200) {
        // stays Proceeding
      } else if (status_code < 300) {
        txn.state = State::Accepted;  // RFC 6026 §8.5
        txn.linger_timer = arm_server(now + timers_.timer_l(), id, 'L');
      } else {
        txn.state = State::Completed;
        if (!txn.reliable) {
          txn.retransmit_interval = timers_.t1;
          txn.retransmit_timer = arm_server(now + timers_.t1, id, 'G');
        }
        txn.timeout_timer = arm_server(now + timers_.timer_h(), id, 'H');
      }
    } else if (!(txn.state == State::Accepted && status_code >= 200 && status_code < 300)) {
      return false;  // only 2xx retransmissions may follow a 2xx (RFC 6026 §8.5)
    }
  } else {
    if (txn.state != State::Trying && txn.state != State::Proceeding) return false;
    if (status_code < 200) {
      txn.state = State::Proceeding;
    } else {
      txn.state = State::Completed;
      txn.linger_timer =
          arm_server(now + (txn.reliable ? Duration{} : timers_.timer_j()), id, 'J');
      answered_.push_back(id.value);
    }
  }
  txn.last_status = status_code;
  txn.last_response = std::move(bytes);
  transmit(now, txn.reply_to, txn.last_response, &txn.reply_to.stream);
  if (before != txn.state) trace_state(now, "s", txn.key, before, txn.state);
  return true;
}

bool TransactionLayer::respond_statelessly(TimePoint now, ServerTransactionId id, std::string bytes) {
  const auto it = servers_.find(id.value);
  if (it == servers_.end()) return false;
  auto& txn = it->second;
  if (txn.last_status >= 200 || txn.state == State::Terminated) return false;
  heap_.cancel(txn.retransmit_timer);  // the INVITE's 100 Trying timer
  txn.state = State::Terminated;  // answered: send_response refuses from now on
  if (!bytes.empty()) transmit(now, txn.reply_to, bytes, &txn.reply_to.stream);
  stateless_.push_back(id.value);
  return true;
}

void TransactionLayer::end_stateless(TimePoint now) {
  for (const std::uint64_t id : stateless_) {
    const auto it = servers_.find(id);
    if (it != servers_.end()) terminate_server(now, it->second, "stateless");
  }
  stateless_.clear();
}

void TransactionLayer::send_stateless(TimePoint now, const transport::Destination& to,
                                      std::string bytes) {
  transport_.send(now, to, std::move(bytes));
}

std::optional<ServerTransactionId> TransactionLayer::find_invite_for_cancel(
    const sip::Message& cancel) const {
  // §9.2: same key as the INVITE except the method.
  std::string key = server_key(cancel);
  const auto bar = key.rfind('|');
  key.resize(bar + 1);
  key += "INVITE";
  const auto it = server_index_.find(key);
  if (it == server_index_.end()) return std::nullopt;
  return ServerTransactionId{it->second};
}

const sip::Message* TransactionLayer::server_request(ServerTransactionId id) const {
  const auto it = servers_.find(id.value);
  return it == servers_.end() || it->second.request_released ? nullptr : &it->second.request;
}

const sip::Message* TransactionLayer::client_request(ClientTransactionId id) const {
  const auto it = clients_.find(id.value);
  return it == clients_.end() ? nullptr : &it->second.request;
}

std::optional<State> TransactionLayer::client_state(ClientTransactionId id) const {
  const auto it = clients_.find(id.value);
  if (it == clients_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<State> TransactionLayer::server_state(ServerTransactionId id) const {
  const auto it = servers_.find(id.value);
  if (it == servers_.end()) return std::nullopt;
  return it->second.state;
}

// --- Timers -----------------------------------------------------------------------------------

void TransactionLayer::client_timer(TimePoint now, ClientTransactionId id, char timer) {
  const auto it = clients_.find(id.value);
  if (it == clients_.end()) return;
  auto& txn = it->second;
  trace_timer(now, "c", txn.key, timer);
  switch (timer) {
    case 'A':  // §17.1.1.2: retransmit INVITE, double the interval, no cap
    case 'E':  // §17.1.2.2: retransmit, double up to T2; in Proceeding always T2
      ++counters_.retransmissions_sent;
      transmit(now, txn.to, txn.wire, &txn.to.stream);
      if (timer == 'A') {
        txn.retransmit_interval *= 2;
      } else if (txn.state == State::Proceeding) {
        txn.retransmit_interval = txn.retransmit_cap;
      } else {
        txn.retransmit_interval = std::min(txn.retransmit_interval * 2, txn.retransmit_cap);
      }
      txn.retransmit_timer = arm_client(now + txn.retransmit_interval, id, timer);
      return;
    case 'B':
    case 'F': {
      heap_.cancel(txn.retransmit_timer);
      ++counters_.timeouts;
      terminate_client(now, txn, "timeout");
      if (user_ != nullptr) user_->on_client_error(now, id, TransactionError::Timeout);
      return;
    }
    default:  // D, K, M: the linger is over
      txn.linger_timer = TimerId{};
      terminate_client(now, txn, "linger_done");
      return;
  }
}

void TransactionLayer::server_timer(TimePoint now, ServerTransactionId id, char timer) {
  const auto it = servers_.find(id.value);
  if (it == servers_.end()) return;
  auto& txn = it->second;
  switch (timer) {
    case kTimer100Trying:
      txn.retransmit_timer = TimerId{};
      if (txn.state == State::Proceeding && txn.last_status == 0) {
        txn.last_status = 100;
        txn.last_response = sip::make_response(txn.request, 100, "Trying");
        transmit(now, txn.reply_to, txn.last_response, &txn.reply_to.stream);
      }
      return;
    case 'G':  // §17.2.1: retransmit the final response, double up to T2
      trace_timer(now, "s", txn.key, timer);
      ++counters_.retransmissions_sent;
      transmit(now, txn.reply_to, txn.last_response, &txn.reply_to.stream);
      txn.retransmit_interval = std::min(txn.retransmit_interval * 2, timers_.t2);
      txn.retransmit_timer = arm_server(now + txn.retransmit_interval, id, 'G');
      return;
    case 'H':
      trace_timer(now, "s", txn.key, timer);
      heap_.cancel(txn.retransmit_timer);
      ++counters_.timeouts;
      terminate_server(now, txn, "no_ack");
      if (user_ != nullptr) user_->on_server_error(now, id, TransactionError::NoAck);
      return;
    default:  // I, J, L
      trace_timer(now, "s", txn.key, timer);
      txn.linger_timer = TimerId{};
      terminate_server(now, txn, "linger_done");
      return;
  }
}

template <typename Transaction>
void TransactionLayer::finish(TimePoint now, std::string_view side, Transaction& txn,
                              std::string_view why) {
  heap_.cancel(txn.retransmit_timer);
  heap_.cancel(txn.timeout_timer);
  heap_.cancel(txn.linger_timer);
  trace_state(now, side, txn.key, txn.state, State::Terminated);
  if (why != "linger_done" && why != "stateless" && trace_.wants("txn.failed")) {
    trace_.emit(txn_event(now, "txn.failed", side, txn.key).with("why", std::string(why)));
  }
}

void TransactionLayer::abandon_client(TimePoint now, ClientTransactionId id) {
  const auto it = clients_.find(id.value);
  if (it == clients_.end() || it->second.is_invite) return;
  terminate_client(now, it->second, "abandoned");
}

void TransactionLayer::give_up_invite(TimePoint now, ClientTransactionId id) {
  const auto it = clients_.find(id.value);
  if (it == clients_.end() || !it->second.is_invite) return;
  const State state = it->second.state;
  if (state != State::Calling && state != State::Proceeding) return;
  remember_given_up(now, it->second);
  terminate_client(now, it->second, "cancel_unanswered");
}

void TransactionLayer::terminate_client(TimePoint now, ClientTransaction& txn,
                                        std::string_view why) {
  finish(now, "c", txn, why);
  client_index_.erase(txn.key);
  clients_.erase(txn.id.value);
}

void TransactionLayer::terminate_server(TimePoint now, ServerTransaction& txn,
                                        std::string_view why) {
  finish(now, "s", txn, why);
  server_index_.erase(txn.key);
  servers_.erase(txn.id.value);
}

}  // namespace resproxy::transaction
