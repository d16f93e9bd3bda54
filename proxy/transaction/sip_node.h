#pragma once
// SipNode: a Node (the runtime contract of proxy/base/node.h) made of the core's SIP stack —
// TransportLayer below, TransactionLayer above it, one TimerHeap, one effect queue — with the
// transaction user supplied by a subclass (a proxy, a registrar, a probe, a simulated phone).
// Runtimes see only Node; subclasses see only TransactionUser and the helpers here.
#include <deque>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/timer_heap.h"
#include "proxy/base/trace.h"
#include "proxy/transaction/transaction_layer.h"
#include "proxy/transport/transport_layer.h"

namespace resproxy::transaction {

struct SipNodeConfig {
  transport::TransportConfig transport;
  TimerConfig timers;
};

class SipNode : public Node, public TransactionUser {
 public:
  SipNode(SipNodeConfig config, Rng& rng, TraceSink& trace);
  SipNode(const SipNode&) = delete;
  SipNode& operator=(const SipNode&) = delete;

  // Node: one input path. Every input checks that `now` did not go backwards, fires the timers
  // due at `now`, then acts — the subclass hears of it through the handle_* hooks below, never
  // before its due timers ran.
  void on_datagram(TimePoint now, const Path& path, std::string_view bytes) final;
  void on_stream_opened(TimePoint now, const Path& path) final;
  void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) final;
  void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) final;
  void on_deadline(TimePoint now) final;
  void on_completion(TimePoint now, const Completion& completion) final;
  void on_command(TimePoint now, const AdminCommand& command) final;
  void on_receive_delay(TimePoint now, Duration delay) final;
  void on_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) final;
  void on_wall_clock(TimePoint now, Duration since_unix_epoch) final;
  [[nodiscard]] std::optional<MediaSend> on_media_packet(TimePoint now, const Address& local,
                                                         const Address& source,
                                                         std::string_view bytes) final;
  [[nodiscard]] std::optional<Effect> next_effect() override;
  [[nodiscard]] std::optional<TimePoint> next_deadline() const override;

  // TransactionUser: defaults that a subclass overrides as it needs.
  void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;
  void on_ack(TimePoint, const sip::Message&, const Path&) override {}
  void on_response(TimePoint, ClientTransactionId, const sip::Message&) override {}
  void on_stray_response(TimePoint, const sip::Message&, const Path&) override {}
  void on_client_error(TimePoint, ClientTransactionId, TransactionError) override {}
  void on_server_error(TimePoint, ServerTransactionId, TransactionError) override {}

  [[nodiscard]] transport::TransportLayer& transport() { return transport_; }
  [[nodiscard]] TransactionLayer& transactions() { return transactions_; }
  [[nodiscard]] TimerHeap& timers() { return heap_; }
  [[nodiscard]] Rng& rng() { return rng_; }
  [[nodiscard]] TraceSink& trace() { return trace_; }
  // Our Via ("SIP/2.0/UDP 127.0.0.1:5060;branch=…;rport") for a destination's transport.
  // `host`: another address of ours to name instead of the listening one (a NAT's outside
  // address toward the ITSP).
  [[nodiscard]] std::string via_for(Transport transport, std::string_view branch,
                                    std::string_view host = {}) const;

 protected:
  // For effects that do not go through the transport layer (StoreWrite, CommandReply).
  void emit_effect(Effect effect) { effects_.push_back(std::move(effect)); }
  void reply(std::uint64_t command, admin::Result result);

  // The inputs a subclass may act on, after the due timers ran (defaults: nothing; a command
  // answered Unsupported).
  // A datagram before SIP sees it: true if it is the subclass's (another protocol sharing the
  // socket, e.g. ng replies from a media relay's control address), then neither admission nor
  // SIP parsing runs on it.
  virtual bool handle_foreign_datagram(TimePoint /*now*/, const Path& /*path*/, std::string_view /*bytes*/) {
    return false;
  }
  virtual void handle_completion(TimePoint /*now*/, const Completion& /*completion*/) {}
  virtual void handle_command(TimePoint now, const AdminCommand& command);
  virtual void handle_receive_delay(TimePoint /*now*/, Duration /*delay*/) {}
  virtual void handle_interfaces(TimePoint /*now*/, const std::vector<NetInterface>& /*interfaces*/) {}
  virtual void handle_wall_clock(TimePoint /*now*/, Duration /*since_unix_epoch*/) {}
  [[nodiscard]] virtual std::optional<MediaSend> handle_media_packet(TimePoint /*now*/,
                                                                     const Address& /*local*/,
                                                                     const Address& /*source*/,
                                                                     std::string_view /*bytes*/) {
    return std::nullopt;
  }
  // Admission before any parsing: false drops the datagram, or closes the connection, silently
  // (the seed's "IPs to ignore", rate limits and bans: no answer at all, not even to a request).
  // `bytes`: the datagram's size (0 for a connection being opened).
  [[nodiscard]] virtual bool admits(TimePoint /*now*/, const Path& /*path*/, std::size_t /*bytes*/) {
    return true;
  }

 private:
  // The start of every input: `now` may not go backwards (a runtime bug); due timers fire.
  void enter(TimePoint now);

  Rng& rng_;
  TraceSink& trace_;
  TimePoint last_input_ = TimePoint::min();
  std::deque<Effect> effects_;
  std::vector<std::uint64_t> refused_streams_;  // connections from addresses not admitted
  TimerHeap heap_;
  transport::TransportLayer transport_;
  TransactionLayer transactions_;
};

}  // namespace resproxy::transaction
