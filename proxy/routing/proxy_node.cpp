#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

std::string_view to_string(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::Standalone: return "standalone";
    case ProxyMode::ForwardItsp: return "forward_itsp";
    case ProxyMode::SipTrunk: return "sip_trunk";
    case ProxyMode::Off: return "off";
  }
  return "unknown";
}

namespace {

registrar::RegistrarLimits limits_of(const RegistrarConfig& c) {
  registrar::RegistrarLimits l;
  l.min_expires = c.min_expires;
  l.max_expires = c.max_expires;
  l.default_expires = c.default_expires;
  l.max_bindings_per_aor = c.max_bindings_per_aor;
  l.max_bindings = c.max_bindings;
  return l;
}

registrar::RegistrationConfig registration_config(const ProxyConfig& c) {
  registrar::RegistrationConfig r;
  r.limits = limits_of(c.registrar);
  // Failure operation: phones get the short expiry so they come back to the ITSP soon after it
  // returns (the seed's itsp_down_reg_expires).
  r.failure_limits = r.limits;
  r.failure_limits.max_expires = c.itsp.itsp_down_reg_expires;
  r.failure_limits.min_expires = std::min(r.limits.min_expires, c.itsp.itsp_down_reg_expires);
  r.failure_limits.default_expires = c.itsp.itsp_down_reg_expires;
  // Caching what the ITSP granted: its word on expiry, no limits of ours but the table's size.
  r.cache_limits = r.limits;
  r.cache_limits.min_expires = Duration::zero();
  r.cache_limits.max_expires = std::chrono::hours(24 * 365);
  r.phone_reg_expires = c.itsp.phone_reg_expires;
  r.itsp_down_reg_expires = c.itsp.itsp_down_reg_expires;
  r.crlf_keepalive = c.crlf_keepalive;
  r.max_queued_registers = c.max_queued_registers;
  r.wall_clock_offset = c.wall_clock_offset;
  return r;
}

security::SourceAdmissionConfig source_admission_config(const ProxyConfig& c) {
  return {.trusted = c.trusted, .trust_defaults = c.trust_defaults, .lan = c.lan,
          .interfaces = c.interfaces, .flood = c.flood};
}

security::DigestAdmissionConfig digest_admission_config(const ProxyConfig& c) {
  security::DigestAdmissionConfig d;
  d.realm = c.realm;
  for (const auto& u : c.auth_users) d.users.push_back({u.username, u.password});
  d.methods = c.auth.methods;
  d.nonce_lifetime = c.auth.nonce_lifetime;
  d.algorithms = c.auth.algorithms;
  d.require_qop = c.auth.require_qop;
  d.bind_from_user = c.auth.bind_from_user;
  d.guard = c.auth.guard;
  return d;
}

}  // namespace

ProxyNode::Impl::Impl(ProxyNode& node, ProxyConfig cfg, const Crypto& crypto)
    : self(node),
      config(std::move(cfg)),
      sources(source_admission_config(config), node.rng(), node.trace(), counters),
      registration(registration_config(config), location, node.timers(), node.trace(), *this, next_store_id) {
  if (forwards_to_itsp()) {
    // Start time 0: the first probe is due at once, whatever the runtime's epoch.
    auto monitor = config.itsp.monitor;
    monitor.sent_by_host = config.itsp.nat_outside_address;
    itsp = std::make_unique<ItspMonitor>(std::move(monitor), self, config.start);
    start_name_refresh(config.start);
  }
  // A bad table was refused by the config parser; if one slips through, nobody is challenged.
  digest = security::DigestAdmission::create(digest_admission_config(config), self.rng(), crypto, *this,
                                             self.trace(), counters);
  for (const auto& a : config.aliases) location.add_alias(a.alias, a.user);
  for (const auto& d : config.directory) location.add_directory_entry(d.user, d.contact);
  if (config.media_relay.enabled) {
    media.emplace(config.media_relay, config.local.ip, config.itsp.nat_outside_address, self.rng(), crypto);
    media->set_wall_offset(config.wall_clock_offset);
    media->start(config.start);  // the external relays' first pings are due at once
    media_after(config.start);
  }
}

std::string ProxyNode::Impl::our_host(bool toward_itsp) const {
  const std::string& ip = toward_itsp && !config.itsp.nat_outside_address.empty()
                              ? config.itsp.nat_outside_address
                              : config.local.ip;
  return ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
}

bool ProxyNode::Impl::is_our_domain(const sip::Uri& uri) const {
  // Our address includes the NAT's outside address: an ITSP's OPTIONS sent there is for us.
  if (is_ip_literal(uri.host)) {
    return (same_host(uri.host, config.local.ip) || same_host(uri.host, config.realm) ||
            (!config.itsp.nat_outside_address.empty() && same_host(uri.host, config.itsp.nat_outside_address))) &&
           is_our_port(uri);
  }
  return same_host(uri.host, config.realm) && (!uri.port || is_our_port(uri));
}

void ProxyNode::Impl::arm_dialog_key_rotation(TimePoint now) {
  if (dialog_key_timer.is_set() || config.dialog_key_rotation <= Duration::zero()) return;
  dialog_key_timer = self.timers().schedule(now + config.dialog_key_rotation, [this](TimePoint t) {
    dialog_key_timer = TimerId{};
    dialog_mac->rotate(self.rng());
    store_dialog_key();
    trace(t, "security.dialog_key_rotated", [&](TraceEvent& e) {
      e.with("generation", std::to_string(dialog_mac->generation()));
    });
    arm_dialog_key_rotation(t);
  });
}

std::string ProxyNode::Impl::our_uri(Transport transport, bool toward_itsp, bool sips) const {
  const bool secure = sips && transport == Transport::Tls;
  std::string uri = (secure ? "sips:" : "sip:") + our_host(toward_itsp) + ":" +
                    std::to_string(our_port(transport));
  if (transport == Transport::Tcp) uri += ";transport=tcp";
  if (transport == Transport::Tls && !secure) uri += ";transport=tls";
  return uri;
}

void ProxyNode::Impl::respond(TimePoint now, ServerTransactionId id, const sip::Message& request, int status,
                              std::string_view reason, std::vector<sip::ExtraHeader> extra) {
  if (status >= 300) {
    ++counters.rejected;
    trace(now, "route.rejected", [&](TraceEvent& e) {
      e.with("method", std::string(request.method_token()))
          .with("status", std::to_string(status))
          .with("reason", std::string(reason))
          .with("call_id", std::string(request.call_id()));
    });
  }
  if (config.server_header) extra.push_back({"Server", std::string(kServer)});
  if (request_state.unverified && status >= 300) {
    respond_statelessly(now, id, request, status, reason, extra);
    return;
  }
  const std::string tag = status > 100 && request.to_tag().empty() ? self.rng().token(10) : "";
  self.transactions().send_response(now, id, status,
                                    sip::make_response(request, status, reason, tag, extra));
}

void ProxyNode::Impl::respond_statelessly(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                          int status, std::string_view reason, const std::vector<sip::ExtraHeader>& extra) {
  const std::string tag = request.to_tag().empty() ? stateless_tag(request) : "";
  std::string bytes = sip::make_response(request, status, reason, tag, extra);
  // The budget is about spoofed sources: over TCP the handshake proved the address.
  const Path& source = request_state.source;
  if (source.transport == Transport::Udp && !is_office(source) &&
      !sources.flood().may_send(now, source.remote.ip, bytes.size())) {
    ++counters.answers_suppressed;
    bytes.clear();  // ends the transaction, sends nothing
  } else {
    ++counters.answered_statelessly;
  }
  self.transactions().respond_statelessly(now, id, std::move(bytes));
}

std::optional<transport::Destination> ProxyNode::Impl::destination_of(const sip::Uri& uri) const {
  if (!is_ip_literal(uri.host)) return std::nullopt;
  Transport transport = Transport::Udp;
  const auto t = uri.param("transport");
  if (uri.scheme_id == sip::UriScheme::Sips || (t && sip::text::iequals(*t, "tls"))) {
    transport = Transport::Tls;
  } else if (t && sip::text::iequals(*t, "tcp")) {
    transport = Transport::Tcp;
  }
  const std::uint16_t port = uri.port.value_or(transport == Transport::Tls ? 5061 : 5060);
  transport::Destination dest{transport, Address{unbracket(uri.host), port}, StreamId{}};
  // A new TLS connection to one of the ITSP's proxies (an in-dialog request along its
  // Record-Route, once the first connection is gone) is verified like the first one.
  if (transport == Transport::Tls && itsp) {
    if (const auto i = itsp->find(dest.remote)) dest.server_name = itsp->target(*i).destination.server_name;
  }
  return dest;
}

transport::Destination ProxyNode::Impl::destination_of(const registrar::Binding& b) const {
  if (is_stream(b.source.transport) && !self.transport().is_stream_open(b.source.stream)) {
    if (auto uri = sip::parse_uri(b.contact)) {
      if (auto dest = destination_of(*uri)) {
        // Over the transport it registered on (a TLS phone is not reached in the clear).
        dest->transport = b.source.transport;
        return *dest;
      }
    }
  }
  if (b.source.transport == Transport::Udp) {
    // A phone not behind NAT (its Contact names the address it sent from) may still have sent
    // the REGISTER from another port than it listens on: RFC 3261 says the Contact is where it
    // is reached. Only when the Contact's address is not the source (NAT) is the received
    // address:port the better bet.
    if (auto uri = sip::parse_uri(b.contact)) {
      if (unbracket(uri->host) == unbracket(b.source.remote.ip)) {
        if (auto dest = destination_of(*uri); dest && dest->transport == Transport::Udp) {
          return *dest;
        }
      }
    }
  }
  return transport::Destination{b.source.transport, b.source.remote, b.source.stream};
}


ProxyNode::ProxyNode(ProxyConfig config, std::vector<StoreRecord> stored, Rng& rng,
                     const Crypto& crypto, TraceSink& trace)
    : SipNode(transaction::SipNodeConfig{.transport = {.local = config.local,
                                                       .tls_port = config.tls_port,
                                                       .max_message_size = config.max_message_size,
                                                       .max_streams = config.num_sockets,
                                                       .max_streams_per_source = config.tcp_max_per_source,
                                                       .header_timeout = config.tcp_header_timeout,
                                                       .idle_timeout = config.tcp_idle_timeout,
                                                       .tls_handshakes_per_minute = config.tls_handshakes_per_minute},
                                         .timers = config.timers},
              rng, trace),
      impl_(std::make_unique<Impl>(*this, std::move(config), crypto)) {
  // The bindings among the stored records (the registration flow judges records of the old format).
  if (auto write = impl_->registration.load(stored, impl_->config.start)) emit_store(std::move(*write));
  // TCP limits: the office's own connections are not capped per source nor closed when idle, and
  // neither is a connection a registration lives on.
  transport().set_stream_policy(
      [this](const Path& p) { return impl_->is_office(p); },
      [this](StreamId s) { return impl_->stream_pinned(s); },
      // One host's IPv6 privacy addresses are one source: the cap is per /64.
      [](const Address& a) { return security::source_key(a.ip, nullptr).value_or(a.ip); });
  // The dialog MAC keys of the previous run: dialogs record-routed before a restart still verify.
  for (const auto& record : stored) {
    if (record.key == kDialogMacKey && record.value) impl_->dialog_mac = security::DialogMac::decode(*record.value);
  }
  if (!impl_->dialog_mac) {
    impl_->dialog_mac = security::DialogMac::generate(rng);
    impl_->store_dialog_key();
  }
  impl_->registration.rearm_expiry();
}

ProxyNode::~ProxyNode() = default;

void ProxyNode::set_local_address(Address local) {
  impl_->config.local = local;
  transport().set_local(std::move(local));
}

void ProxyNode::emit_store(StoreWrite write) { emit_effect(std::move(write)); }

void ProxyNode::handle_completion(TimePoint now, const Completion& completion) {
  if (const auto* store = std::get_if<StoreDone>(&completion)) {
    impl_->on_store_done(now, store->id, store->outcome);
  } else if (const auto* name = std::get_if<NameResolved>(&completion)) {
    impl_->on_name_resolved(now, *name);
  } else if (const auto* failed = std::get_if<MediaPortFailed>(&completion)) {
    auto& impl = *impl_;
    impl.trace(now, "media.port_failed", [&](TraceEvent& e) {
      e.with("local", failed->local.to_string()).with("error", failed->error);
    });
    if (impl.media) {
      impl.media->on_port_failed(now, failed->local);
      impl.media_after(now);
    }
  }
}

std::optional<MediaSend> ProxyNode::handle_media_packet(TimePoint now, const Address& local,
                                                        const Address& source, std::string_view bytes) {
  // No media_after(): a packet opens and closes no port, and the relay's deadlines only move
  // later with traffic (its timer may fire early and re-arm, session.h).
  if (!impl_->media) return std::nullopt;
  return impl_->media->on_packet(now, local, source, bytes);
}

bool ProxyNode::handle_foreign_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  return impl_->take_relay_datagram(now, path, bytes);
}

void ProxyNode::handle_command(TimePoint now, const AdminCommand& command) {
  impl_->command(now, command);
}

void ProxyNode::handle_wall_clock(TimePoint now, Duration since_unix_epoch) {
  auto& impl = *impl_;
  const Duration offset = since_unix_epoch - now.time_since_epoch();
  const Duration step = offset - impl.config.wall_clock_offset;
  impl.config.wall_clock_offset = offset;
  impl.registration.set_wall_clock_offset(offset);
  if (impl.media) impl.media->set_wall_offset(offset);
  // Under a second is the runtime's own jitter between two clock reads, not a step.
  if (std::chrono::abs(step) < std::chrono::seconds(1)) return;
  impl.trace(now, "clock.wall_clock_stepped", [&](TraceEvent& e) {
    e.with("step_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(step).count()));
  });
  // What is stored must say the same instants in the new wall time, or a restart would find
  // every binding a step too early or too late.
  if (auto write = impl.registration.rewrite_all()) emit_store(std::move(*write));
}

void ProxyNode::handle_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) {
  auto& impl = *impl_;
  impl.sources.set_interfaces(interfaces);
  for (const auto& i : impl.sources.interfaces().list()) {
    impl.trace(now, "net.interface", [&](TraceEvent& e) {
      std::string subnets;
      for (const auto& n : interfaces) {
        if (n.index != i.index) continue;
        for (const auto& network : n.networks) subnets += (subnets.empty() ? "" : " ") + network;
      }
      e.with("name", i.name)
          .with("index", std::to_string(i.index))
          .with("role", std::string(security::to_string(i.role)))
          .with("networks", subnets);
    });
  }
}

void ProxyNode::handle_receive_delay(TimePoint now, Duration delay) {
  auto& impl = *impl_;
  if (impl.config.overload_delay <= Duration::zero() || delay < impl.config.overload_delay) return;
  if (now >= impl.overload.until) {
    ++impl.counters.overload_episodes;
    impl.trace(now, "security.overloaded", [&](TraceEvent& e) {
      e.with("receive_delay_ms",
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()));
    });
  }
  impl.overload.until = now + std::chrono::seconds(1);
  if (delay >= 5 * impl.config.overload_delay) impl.overload.severe_until = now + std::chrono::seconds(1);
}

bool ProxyNode::overloaded(TimePoint now) const { return now < impl_->overload.until; }

void ProxyNode::on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                           const Path& path) {
  impl_->on_request(now, id, request, path);
}

void ProxyNode::on_ack(TimePoint now, const sip::Message& ack, const Path& path) {
  impl_->on_ack(now, ack, path);
}

void ProxyNode::on_response(TimePoint now, ClientTransactionId id, const sip::Message& response) {
  impl_->on_response(now, id, response);
}

bool ProxyNode::admits(TimePoint now, const Path& path, std::size_t bytes) {
  const auto& c = impl_->config;
  if (security::any_contains(c.ignored, path.remote.ip)) return false;
  if (impl_->is_gateway(path.remote) && c.pstn_gateway.from_action == GatewayFromAction::Ignore) {
    return false;
  }
  return impl_->sources.admit(now, path, impl_->is_office(path), bytes);
}

// A response that matches none of our client transactions (RFC 6026's 2xx retransmissions match
// the Accepted INVITE transaction and never come here). RFC 3261 §16.7 would forward it
// statelessly along its Vias; we do not — a deliberate departure: whoever sends one could
// direct it at any host by its second Via. Dropped and counted.
void ProxyNode::on_stray_response(TimePoint now, const sip::Message& response, const Path& path) {
  ++impl_->counters.stray_responses_dropped;
  impl_->trace(now, "security.stray_response_ignored", [&](TraceEvent& e) {
    e.with("status", std::to_string(response.status_code()))
        .with("call_id", std::string(response.call_id()))
        .with("source", path.remote.to_string());
  });
}

void ProxyNode::on_client_error(TimePoint now, ClientTransactionId id, TransactionError error) {
  impl_->on_client_error(now, id, error);
}

void ProxyNode::on_server_error(TimePoint, ServerTransactionId id, TransactionError) {
  const auto it = impl_->by_server.find(id.value);
  if (it != impl_->by_server.end()) impl_->erase(ClientTransactionId{it->second});
}

const ProxyCounters& ProxyNode::counters() const { return impl_->counters; }
const ProxyConfig& ProxyNode::config() const { return impl_->config; }
std::size_t ProxyNode::binding_count() const { return impl_->location.size(); }
bool ProxyNode::in_failure_operation() const { return impl_->failure_operation(); }

admin::Registrations ProxyNode::registrations(TimePoint now) const {
  return impl_->registrations(now);
}

admin::Counters ProxyNode::counter_values() const { return read_counters(impl_->counter_sources()); }

}  // namespace resproxy::routing
