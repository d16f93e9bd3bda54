#pragma once
// ProxyNode: the resproxy core — a stateful proxy (RFC 3261 §16) with a registrar and location
// service (§10) — as one Node. In standalone mode it registers the office's phones and routes
// calls between them; later modes add the ITSP (issue #4). Inputs come from a runtime; durable
// bindings go out as StoreWrite effects and come back at start-up as `stored`.
#include <memory>
#include <vector>

#include "proxy/base/crypto.h"
#include "proxy/base/node.h"
#include "proxy/routing/proxy_counters.h"
#include "proxy/routing/proxy_config.h"
#include "proxy/transaction/sip_node.h"

namespace resproxy::routing {


class ProxyNode final : public transaction::SipNode {
 public:
  // `stored`: the records the runtime loaded from the durable store at start-up. `crypto`
  // (digest authentication's hashes) must outlive the node, like `rng` and `trace`.
  ProxyNode(ProxyConfig config, std::vector<StoreRecord> stored, Rng& rng, const Crypto& crypto,
            TraceSink& trace);
  ~ProxyNode() override;

  // The listening address may be known only after the runtime bound it (port 0).
  void set_local_address(Address local);

  [[nodiscard]] bool overloaded(TimePoint now) const;

  // TransactionUser
  void on_request(TimePoint now, transaction::ServerTransactionId id, const sip::Message& request,
                  const Path& path) override;
  void on_ack(TimePoint now, const sip::Message& ack, const Path& path) override;
  void on_response(TimePoint now, transaction::ClientTransactionId id,
                   const sip::Message& response) override;
  void on_stray_response(TimePoint now, const sip::Message& response, const Path& path) override;
  void on_client_error(TimePoint now, transaction::ClientTransactionId id,
                       transaction::TransactionError error) override;
  void on_server_error(TimePoint now, transaction::ServerTransactionId id,
                       transaction::TransactionError error) override;

  [[nodiscard]] const ProxyCounters& counters() const;
  [[nodiscard]] const ProxyConfig& config() const;
  // The registration cache as `show reg` lists it (tests, simulations).
  [[nodiscard]] admin::Registrations registrations(TimePoint now) const;
  // Every counter of the named table (proxy_counters.h), read now.
  [[nodiscard]] admin::Counters counter_values() const;
  [[nodiscard]] std::size_t binding_count() const;
  // Failure operation: forward_itsp or sip_trunk with no usable ITSP proxy.
  [[nodiscard]] bool in_failure_operation() const;

 private:
  // Inputs after SipNode's one input path ran the due timers.
  void handle_completion(TimePoint now, const Completion& completion) override;
  // Management (resproxyctl; the seed's `sipproxy show reg` / `sipproxy kill reg n`), typed
  // (admin.h): show registrations, kill registration N (answered once its durable record is
  // deleted), show ITSP proxies and the mode, show counters (proxy_counters.h), show bans, unban.
  void handle_command(TimePoint now, const AdminCommand& command) override;
  void handle_receive_delay(TimePoint now, Duration delay) override;
  void handle_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) override;
  void handle_wall_clock(TimePoint now, Duration since_unix_epoch) override;
  bool handle_foreign_datagram(TimePoint now, const Path& path, std::string_view bytes) override;
  // The built-in media relay's data path ([media_relay], media_anchor.h).
  [[nodiscard]] std::optional<MediaSend> handle_media_packet(TimePoint now, const Address& local,
                                                             const Address& source,
                                                             std::string_view bytes) override;
  [[nodiscard]] bool admits(TimePoint now, const Path& path, std::size_t bytes) override;
  void emit_store(StoreWrite write);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace resproxy::routing
