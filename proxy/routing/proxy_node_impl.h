#pragma once
// ProxyNode's inside, shared by its rooms (one .cpp each): proxy_node.cpp (the node, who we
// are, answering), proxy_node_admission.cpp (the exit rule, dialog MACs), proxy_node_pipeline.cpp
// (the request stages' runner and routing), proxy_node_forwarding.cpp,
// proxy_node_registration.cpp, proxy_node_admin.cpp, proxy_node_dns.cpp. Private to them:
// nothing else includes it. The components it owns live with their layers: the request stages
// (stages/), admission (security/source_admission.h, security/digest_admission.h) and the
// registration flow (registrar/registration_flow.h).
#include "proxy/routing/proxy_node.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>

#include "proxy/registrar/registrar.h"
#include "proxy/registrar/registration_flow.h"
#include "proxy/routing/forwarding.h"
#include "proxy/routing/itsp_monitor.h"
#include "proxy/routing/media_anchor.h"
#include "proxy/routing/node_identity.h"
#include "proxy/routing/routing_table.h"
#include "proxy/routing/stages/request_pipeline.h"
#include "proxy/security/dialog_mac.h"
#include "proxy/security/digest_admission.h"
#include "proxy/security/exit_rule.h"
#include "proxy/security/flood_guard.h"
#include "proxy/security/gateway_policy.h"
#include "proxy/security/ip_range.h"
#include "proxy/security/source_admission.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::routing {

using transaction::ClientTransactionId;
using transaction::ServerTransactionId;
using transaction::TransactionError;

namespace {

constexpr std::string_view kServer = "resproxy/0.1";
// The durable record of the dialog MAC keys (security/dialog_mac.h).
constexpr std::string_view kDialogMacKey = "security/dialog_mac";

// The next hop a URI names, as the dialog MAC covers it; nullopt for anything but sip/sips.
inline std::optional<std::string> hop_of_uri(std::string_view text) {
  auto uri = sip::parse_uri(text);
  if (!uri || !uri->is_sip()) return std::nullopt;
  return security::canonical_hop(*uri);
}

// The same for a Route, Record-Route or Contact value (a name-addr).
inline std::optional<std::string> hop_of_value(std::string_view value) {
  auto na = sip::parse_name_addr(value);
  if (!na) return std::nullopt;
  return hop_of_uri(na->uri);
}

// The first value of header `id`, as a next hop.
inline std::optional<std::string> first_hop(const sip::Message& m, sip::HeaderId id) {
  const auto* field = m.first(id);
  if (field == nullptr) return std::nullopt;
  std::string_view rest = field->value;
  auto v = sip::next_value(rest);
  if (!v) return std::nullopt;
  return hop_of_value(*v);
}

// Our Record-Route value with `tag` as its dialog MAC (replacing the one it has).
inline std::optional<std::string> with_dialog_tag(std::string_view value, std::string_view tag) {
  const auto close = value.rfind('>');
  if (close == std::string_view::npos) return std::nullopt;
  std::string out(value.substr(0, close));
  const std::string marker = ";" + std::string(security::kDialogMacParam) + "=";
  if (const auto at = out.find(marker); at != std::string::npos) {
    const auto end = out.find_first_of(";>?", at + marker.size());
    out.erase(at, (end == std::string::npos ? out.size() : end) - at);
  }
  out += marker;
  out += tag;
  out += value.substr(close);
  return out;
}

using sip::text::same_host;
using sip::text::strip_brackets;

inline std::string unbracket(std::string_view host) { return sip::text::lowercase(strip_brackets(host)); }

inline bool is_ip_literal(std::string_view host) {
  return security::parse_ip(unbracket(host)).has_value();
}

// Methods whose out-of-dialog request creates a dialog (RFC 3261 §12, RFC 6665, RFC 3515).
inline bool creates_dialog(sip::Method m) {
  return m == sip::Method::Invite || m == sip::Method::Subscribe || m == sip::Method::Refer ||
         m == sip::Method::Notify;
}

}  // namespace

// The node's inside. It is the ports its components call back: the routing and CANCEL stages'
// (stages/), the registration flow's timers', and the aliases of digest admission's From check.
struct ProxyNode::Impl final : stages::Router,
                               stages::CancelPort,
                               registrar::RegistrationPort,
                               security::UserAliases {
  enum class Kind : std::uint8_t { Local, Itsp, ItspRegister };

  struct Forward {
    ServerTransactionId server;
    ClientTransactionId client;
    Kind kind = Kind::Local;
    std::size_t itsp = 0;          // the ITSP proxy it went to (Itsp, ItspRegister)
    SourceClass source = SourceClass::Untrusted;
    Path from;                     // where the request came from (to serve it locally instead)
    TimerId answer_timer;          // live traffic: no answer at all in time → suspect, fail over
    TimerId reg_timer;             // reg_forwarding_timeout
    bool answered = false;         // any response from downstream
    bool abandoned = false;        // failed over: late answers are cancelled or hung up
    bool reg_late = false;         // REGISTER: past reg_forwarding_timeout, do not cache
    bool is_invite = false;
    bool provisional_seen = false;
    bool final_sent = false;
    bool cancel_pending = false;  // CANCEL arrived before any provisional (§9.1: wait)
    bool cancelled = false;
    bool caller_cancelled = false;  // the caller's CANCEL (487 if we give up), else Timer C (408)
    bool recorded = false;        // we Record-Routed it: our value in its answers gets a dialog MAC
    bool gateway_call = false;    // a new call the gateway limiter counts until it ends
    bool established = false;     // its 2xx was relayed: the call ends with a BYE
    std::string call_id;          // of a gateway call
    transport::Destination dest;
    TimerId timer_c;
    TimerId cancel_guard;  // §9.1: 64·T1 after our CANCEL, give the INVITE up if still unanswered
  };

  // How a destination was found, for the exit rule (security/exit_rule.h).
  enum class Hop : std::uint8_t {
    Table,      // the seed's routing tables chose it (the ITSP, the gateway)
    Binding,    // a registered phone's binding
    Directory,  // a static directory entry
    Named,      // the request named it itself: a Route, or its Request-URI
  };

  struct ExitCheck {
    Hop hop = Hop::Named;
    const registrar::Binding* binding = nullptr;  // Hop::Binding
    bool our_dialog = false;    // along our Record-Route, its MAC naming this next hop
    bool emergency = false;     // an emergency number, to the gateway by the tables
    bool local_forced = false;  // served locally although the monitor still has the ITSP up
    // The tables' classification when the request went through them (digest checked then);
    // nullopt: not classified yet, credentials not looked at.
    std::optional<SourceClass> source{};
  };

  Impl(ProxyNode& node, ProxyConfig cfg, const Crypto& crypto);

  // Members that draw from the Rng do so in declaration order (sources, location), then the
  // constructor's body (the ITSP monitor, digest): a seeded run depends on that order.
  ProxyNode& self;

  ProxyConfig config;

  ProxyCounters counters;

  // The trust lists and the bans.
  security::SourceAdmission sources;

  security::TokenBucket untrusted_to_itsp{config.untrusted_to_itsp_rate, config.untrusted_to_itsp_rate};

  // The request being handled (its refusals may have to go out statelessly).
  stages::RequestState request_state;

  stages::Overload overload;

  registrar::LocationService location{self.rng().hash_key()};

  std::uint64_t next_store_id = 1;

  registrar::RegistrationFlow registration;

  std::unique_ptr<ItspMonitor> itsp;  // forward_itsp and sip_trunk only

  // Digest authentication: when [sipproxy.auth.user.N] exist.
  std::optional<security::DigestAdmission> digest;

  security::GatewayCallLimiter gateway_limiter{config.gateway_policy};

  // Set by may_exit when it admitted a new gateway call; forward() hands it to its Forward.
  bool admitted_gateway_call = false;

  std::optional<security::DialogMac> dialog_mac;

  // set by the constructor (stored or new)
  TimerId dialog_key_timer;

  // kill reg commands waiting for their store write: store id -> (command id, what was killed)
  std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> pending_kills;

  std::map<std::uint64_t, Forward> by_client;

  std::map<std::uint64_t, std::uint64_t> by_server;

  bool rerouting = false;

  std::deque<std::pair<std::string, TimePoint>> hung_up;
  std::vector<TimerId> name_timers;                    // per ITSP target: its next look-up
  std::map<std::uint64_t, ItspNameLookup> name_lookups;  // ResolveName id -> what it is for
  std::vector<ItspService> itsp_services;              // mode = dnssrv (proxy_node_dns.cpp)
  std::uint64_t next_lookup_id = 1;
  bool names_unsupported = false;  // the runtime cannot look names up: no more asking

  // late ITSP answers we hung up

  // The built-in media relay ([media_relay] enable): none when off.
  std::optional<MediaAnchor> media;
  TimerId media_timer;
  std::optional<TimePoint> media_timer_at;
  // Messages waiting for an external relay's SDP, by MediaAnchor ticket: what sends them on.
  struct Parked {
    std::function<void(TimePoint, const SdpVerdict&)> resume;
    std::optional<ServerTransactionId> invite;  // a parked initial INVITE (a CANCEL ends it)
    std::function<void()> dropped;              // run when a CANCEL takes it
  };
  std::map<std::uint64_t, Parked> parked;

  OurVias our_vias{config.local, config.tls_port, config.itsp.nat_outside_address};

  SourceClassifier classifier{config.pstn_gateway, itsp, sources};

  // The request pipeline's stages (stages/request_pipeline.h), each with what it reads.
  stages::RequestStages stages{
      .capacity = {config.max_transactions, overload, config.emergency_numbers, counters},
      .reject = {config.rejected, config.pstn_gateway, counters},
      .mode_off = {config.mode},
      .validate = {counters},
      .cancel = {*this},
      .loop = {our_vias, counters},
      .route = {*this},
      .admission = {classifier, digest, sources, config.emergency_numbers, request_state, self.trace()},
      .table = {*this},
  };

  // --- helpers ---------------------------------------------------------------------------

  // `fill` adds the event's fields, and runs only when the sink keeps events of this name.
  template <typename Fill>
  void trace(TimePoint now, std::string_view name, Fill&& fill) {
    emit_if_wanted(self.trace(), now, name, std::forward<Fill>(fill));
  }

  bool is_trusted(const Path& path) const { return sources.is_trusted(path); }

  bool from_lan(const Path& path) const { return sources.from_lan(path); }

  // The office's own: trusted ranges, the PSTN gateway, the ITSP proxies (their own budget).
  bool is_office(const Path& path) const {
    return is_trusted(path) || is_gateway(path.remote) || (itsp && itsp->find(path.remote));
  }

  bool stream_pinned(StreamId stream) const {
    for (const registrar::Binding* b : location.all()) {
      if (is_stream(b->source.transport) && b->source.stream == stream) return true;
    }
    return false;
  }

  bool forwards_to_itsp() const {
    return config.mode == ProxyMode::ForwardItsp || config.mode == ProxyMode::SipTrunk;
  }

  bool itsp_usable() const { return itsp && itsp->any_usable(); }

  bool failure_operation() const { return forwards_to_itsp() && !itsp_usable(); }

  bool is_gateway(const Address& source) const { return is_pstn_gateway(config.pstn_gateway, source); }

  bool is_emergency_request(const sip::Message& request) const {
    return routing::is_emergency_request(config.emergency_numbers, request);
  }

  bool is_emergency(std::string_view user) const {
    return is_emergency_number(config.emergency_numbers, user);
  }

  // Who sent it, for the routing tables; `authenticated`: its digest credentials checked out.
  SourceClass classify(const Path& path, bool authenticated) const {
    return classifier.classify(path, authenticated);
  }

  // The address we give toward the ITSP (NAT outside address when configured) or elsewhere.
  std::string our_host(bool toward_itsp) const;

  // One of our ports: the UDP/TCP one, or the TLS one (a sips: URI without a port means 5061).
  bool is_our_port(const sip::Uri& uri) const {
    const std::uint16_t port = uri.port.value_or(uri.scheme_id == sip::UriScheme::Sips ? 5061 : 5060);
    return port == config.local.port || port == config.tls_port;
  }

  bool is_us(const sip::Uri& uri) const {
    if (!is_our_port(uri)) return false;
    return same_host(uri.host, config.local.ip) ||
           (!config.itsp.nat_outside_address.empty() &&
            same_host(uri.host, config.itsp.nat_outside_address));
  }

  // A URI of ours: at our address with one of our ports (5060, or 5061 for sips:, when absent),
  // or at the realm as a domain name with no port or one of ours. With the realm set to the
  // box's address, sip:…@that-address:5698 is a UAS (or the PSTN gateway) on the same box.
  bool is_our_domain(const sip::Uri& uri) const;

  bool route_is_us(std::string_view route) const {
    auto na = sip::parse_name_addr(route);
    if (!na) return false;
    auto uri = sip::parse_uri(na->uri);
    return uri && is_us(*uri);
  }

  // --- the exit rule (security/exit_rule.h) -------------------------------------------------

  security::Service service(bool local_forced) const;

  security::Sender sender_of(const Path& path, std::optional<SourceClass> known) const;

  // What a destination is, by its address first: a binding whose contact names the gateway or
  // the ITSP is the gateway or the ITSP. A phone is a phone only at the address it registered
  // from (a contact naming another host is somewhere else).
  security::Exit exit_of(const transport::Destination& dest, const ExitCheck& check) const;

  security::ExitQuery exit_query(const Path& path, const transport::Destination& dest,
                                 const ExitCheck& check) const;

  // The rule at the exit. Allowed: counts the ITSP- and gateway-bound request, logs a new call
  // to the gateway, and says whether identity headers must go. Refused: answered 403 (or a
  // challenge when the request carries credentials that did not check out) and false.
  std::optional<security::Sender> may_exit(TimePoint now, ServerTransactionId id,
                                           const sip::Message& request, const Path& path,
                                           const transport::Destination& dest,
                                           const ExitCheck& check);

  // A new, non-emergency call to the PSTN gateway: may this sender dial this number class
  // (international, premium), and is its user and its source within their call limits
  // (security/gateway_policy.h)? Refused: 403, counted, logged.
  bool gateway_policy_allows(TimePoint now, ServerTransactionId id, const sip::Message& request,
                             const Path& path, security::Sender sender);

  void count_exit(TimePoint now, const sip::Message& request, const Path& path,
                  const transport::Destination& dest, const security::ExitQuery& q,
                  security::ExitVerdict verdict);

  // The user part of the Request-URI (nullopt) or of a name-addr header (From, To); "" when it
  // has none or does not parse.
  static std::string header_user(const sip::Message& request, std::optional<sip::HeaderId> header);

  // A request that came along our Record-Route (`pop` values of ours on top of its Route): does
  // the MAC of one of them name the hop it goes to next (the next Route, or its Request-URI)?
  bool dialog_verified(const sip::Message& request, const std::vector<std::string_view>& routes,
                       std::size_t pop) const;

  // The dialog MAC our Record-Route value gets in a request: the hop back to its sender (the
  // previous proxy's Record-Route, or the sender's Contact).
  std::string dialog_tag_param(const sip::Message& request) const;

  // A provisional or 2xx answer to a request we record-routed, relayed upstream: our
  // Record-Route values in it name the hop toward the callee (the value just below ours, or the
  // answer's Contact), which is where the caller's in-dialog requests will go (§16.7 step 4).
  // A 2xx's bytes with our top Via removed and our Record-Route values' dialog MAC naming the
  // hop toward the UAS that answered (its Record-Route beyond ours, else its Contact).
  std::string resealed(const sip::Message& response) const;
  std::string relay_bytes(const Forward& f, const sip::Message& response) const;

  void store_dialog_key() {
    StoreWrite write;
    write.id = next_store_id++;  // nobody waits: a failed write only costs dialogs at a restart
    write.records.push_back({std::string(kDialogMacKey), dialog_mac->encode()});
    self.emit_store(std::move(write));
  }

  void arm_dialog_key_rotation(TimePoint now);

  std::uint16_t our_port(Transport transport) const {
    return transport == Transport::Tls ? config.tls_port : config.local.port;
  }

  // Our URI for a hop of this transport (Record-Route, Path). TLS: sips: when the request was
  // for a sips: URI (RFC 3261 §16.6 step 4, RFC 5630 §4.4), else sip:…;transport=tls, which
  // phones and ITSPs understand (RFC 5630 deprecates it, but a sips: Record-Route would force
  // TLS on every hop of a dialog that does not ask for it).
  std::string our_uri(Transport transport, bool toward_itsp = false, bool sips = false) const;

  void respond(TimePoint now, ServerTransactionId id, const sip::Message& request, int status,
               std::string_view reason, std::vector<sip::ExtraHeader> extra = {});

  // A refusal or challenge to a source nobody has verified: one datagram, no Timer G, within
  // the amplification budget (security/flood_guard.h); its To tag is a MAC of the request, so
  // the ACK that answers it is recognised without any state (stateless_ack()).
  void respond_statelessly(TimePoint now, ServerTransactionId id, const sip::Message& request,
                           int status, std::string_view reason, const std::vector<sip::ExtraHeader>& extra);

  std::string stateless_tag(const sip::Message& request) const {
    return "s" + dialog_mac->seal(request.call_id(), "!" + std::string(request.from_tag()));
  }

  // The ACK for a non-2xx answer we gave statelessly (its To tag is ours): nothing to do.
  bool stateless_ack(const sip::Message& ack) const {
    const std::string_view tag = ack.to_tag();
    return tag.size() == 18 && tag.front() == 's' &&
           dialog_mac->verify(tag.substr(1), ack.call_id(), "!" + std::string(ack.from_tag()));
  }

  // Where a URI points when no binding is known: its host (an IP literal: no DNS yet), its port
  // or the transport's default, its transport: TLS for sips: (RFC 3261 §26.2.2) or
  // transport=tls, TCP for transport=tcp, else UDP (RFC 3263 §4.1 for a numeric host).
  std::optional<transport::Destination> destination_of(const sip::Uri& uri) const;

  // A registered phone is reached where its REGISTER came from: the received address and port
  // (NAT) and, over TCP, its own connection. If that connection is gone, a new one goes to the
  // Contact's address (the phone's listening port), not to the old ephemeral source port.
  transport::Destination destination_of(const registrar::Binding& b) const;

  // Our Vias' sent-by (loop_hash skips such Vias), and whether a Via is one of ours.
  std::string our_sent_by() const { return our_vias.sent_by(); }

  bool is_our_via(const sip::ViaInfo& via) const { return our_vias.is_ours(via); }

  // An ITSP proxy's address (one of the monitor's targets).
  bool is_itsp(const Address& address) const { return itsp && itsp->find(address); }

  // --- digest authentication (security/digest_admission.h) -------------------------------

  bool challenges(const sip::Message& request) const { return digest && digest->challenges(request); }

  // The verdict on the request's credentials (NoCredentials without digest authentication);
  // good ones verify the request's source and name its user (request_state).
  security::AuthResult check_credentials(TimePoint now, const sip::Message& request, const Path& path);

  // Answers a request whose credentials did not do: the challenge again, or 403.
  void challenge(TimePoint now, ServerTransactionId id, const sip::Message& request,
                 const security::AuthResult& verdict);

  // security::UserAliases: the registrar's aliases.
  std::string_view resolve_alias(std::string_view user) const override {
    return location.resolve_alias(user);
  }

  // --- ITSP host names (proxy_node_dns.cpp) -------------------------------------------------

  // A look-up of every ITSP proxy known by host name, dns_refresh after start.
  void start_name_refresh(TimePoint now);
  void arm_name_lookup(std::size_t index, TimePoint at);
  void look_up_name(TimePoint now, std::size_t index);
  void on_name_resolved(TimePoint now, const NameResolved& answer);
  void on_target_resolved(TimePoint now, std::size_t index, const NameResolved& answer);
  // mode = dnssrv: the SRV records of a service, then the addresses of their targets.
  void arm_service_lookup(std::size_t service, TimePoint at);
  void look_up_service(TimePoint now, std::size_t service);
  void on_service_resolved(TimePoint now, std::size_t service, const NameResolved& answer);
  void on_service_host_resolved(TimePoint now, std::size_t service, const std::string& host,
                                const NameResolved& answer);
  void finish_service_lookup(TimePoint now, std::size_t service);

  // --- requests ----------------------------------------------------------------------------

  // The request pipeline (stages/request_pipeline.h): every new request (not an ACK: on_ack)
  // passes its stages in order until one answers it or hands it on; the node answers what a
  // stage decided.
  void on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                  const Path& path);
  // A stage's Respond: statefully (statelessly while the source is unverified), or at once
  // statelessly when the stage says so.
  void answer(const stages::RequestContext& c, stages::Decision decision);

  // stages::Router: the request's own route (Route headers, REGISTER, our domain, a
  // registered contact, a dialog), then the tables for c.source.
  stages::Decision route_by_request(stages::RequestContext& c) override;
  void route_by_table(const stages::RequestContext& c) override {
    route_by_table(c.now, c.id, c.request, c.path, c.pop, c.source, false);
  }

  // Out-of-dialog requests: the seed's routing tables (routing_table.h). `force_local`: the ITSP
  // just failed this very request, serve it with the failure table whatever the monitor says.
  void route_by_table(TimePoint now, ServerTransactionId id, const sip::Message& request,
                      const Path& path, std::size_t pop, SourceClass source, bool force_local);

  // Forwards to the selected ITSP proxy over the transport the request came on (the seed), with
  // the live-traffic guard. False when no ITSP proxy is usable. TLS is the exception both ways:
  // an ITSP configured for TLS is never reached in the clear, and TLS is never tried on a port
  // configured for UDP or TCP.
  bool forward_to_itsp(TimePoint now, ServerTransactionId id, const sip::Message& request,
                       const Path& path, std::size_t pop, SourceClass source, Kind kind);

  // What forwarding changes in a request. Toward the ITSP our Via and Record-Route name the
  // NAT's outside address (nat_outside_address); a request between the ITSP and the LAN gets
  // two Record-Routes, each naming us as its side sees us (as RFC 5658 does for transports).
  RequestEdits edits_for(const sip::Message& request, const Path& path,
                         std::optional<std::string> request_uri, const transport::Destination& dest,
                         std::size_t pop, bool strip_identity);

  // Forwards the request (nullptr: refused and answered, or parked for an external media
  // relay's SDP and sent later, MediaAnchor). `itsp`: the ITSP proxy `dest` is (Kind::Itsp,
  // ItspRegister): its answer and registration timers start when the request leaves.
  Forward* forward(TimePoint now, ServerTransactionId id, const sip::Message& request,
                   const Path& path, std::optional<std::string> request_uri,
                   const transport::Destination& dest, std::size_t pop, const ExitCheck& check,
                   Kind kind = Kind::Local, std::optional<std::size_t> itsp_index = std::nullopt);
  // What forward() needs to send a request once its body is known.
  struct Launch {
    ServerTransactionId id;
    Path path;
    transport::Destination dest;
    std::string target;             // the Request-URI it goes to (traces)
    Kind kind = Kind::Local;
    bool gateway_call = false;
    bool send_trying = false;       // an INVITE's 100 Trying is still due
    std::optional<std::size_t> itsp_index;
    SourceClass source = SourceClass::Untrusted;
  };
  Forward* launch(TimePoint now, const Launch& l, const sip::Message& request, RequestEdits edits);

  // --- failing over from the ITSP to local service (live traffic) ---------------------------

  void on_no_answer(TimePoint now, ClientTransactionId cid);

  void on_reg_timeout(TimePoint now, ClientTransactionId cid);

  // The ITSP failed this request (no answer, transport error, a failover status): mark it
  // suspect, give up its branch (late answers are cancelled or hung up, never relayed), and serve
  // the request locally on the same server transaction.
  void fail_over(TimePoint now, Forward& f, std::optional<TrafficFailure> why, std::string_view reason);

  void abandon(TimePoint now, Forward& f);

  // A 2xx from an ITSP branch we gave up (RFC 6026: it can still come): ACK it and hang up, so
  // no call is left up at the ITSP that nobody hears (no ghost calls).
  void hang_up_late_answer(TimePoint now, const Forward& f, const sip::Message& response);

  bool is_failover_status(int status) const;

  // A request of ours within a dialog we are in the middle of (RFC 3261 §12.2.1.1): our Via for
  // `dest`'s transport (the NAT's outside address toward the ITSP), the route set, the dialog's
  // From, To and Call-ID, `cseq`, and a Reason (RFC 3326) when given.
  std::string dialog_request(std::string_view method, std::string_view target,
                             const std::vector<std::string>& routes,
                             const transport::Destination& dest, std::string_view from,
                             std::string_view to, std::string_view call_id, std::uint32_t cseq,
                             std::string_view reason = {});

  // --- CANCEL (§9.2, §16.10) --------------------------------------------------------------

  // stages::CancelPort: 200 to a CANCEL of one of our INVITE transactions, which is cancelled
  // downstream (§16.10); false when there is none.
  bool cancel_invite(TimePoint now, ServerTransactionId id, const sip::Message& cancel) override;

  void send_cancel(TimePoint now, Forward& f);

  void on_timer_c(TimePoint now, ClientTransactionId cid);
  void on_cancel_unanswered(TimePoint now, ClientTransactionId cid);

  // Answers the upstream side ourselves and forgets the forward.
  void finish_with(TimePoint now, Forward& f, int status, std::string_view reason,
                   std::vector<sip::ExtraHeader> extra = {});

  void erase(ClientTransactionId cid);

  // --- responses --------------------------------------------------------------------------

  void on_response(TimePoint now, ClientTransactionId cid, const sip::Message& response);

  void on_abandoned_response(TimePoint now, Forward& f, const sip::Message& response);

  bool was_hung_up(std::string_view call_id) const;

  void on_client_error(TimePoint now, ClientTransactionId cid, TransactionError error);

  // §16.7 / §18.2.2 without a transaction: drop our Via, send to the next one.
  void forward_response_statelessly(TimePoint now, const sip::Message& response);

  // --- ACK for 2xx: end to end, statelessly (§16.6 with no transaction) ---------------------

  void on_ack(TimePoint now, const sip::Message& ack, const Path& path);

  // The ACK for a 2xx with its INVITE's credentials (security/digest_admission.h).
  bool ack_authenticated(TimePoint now, const sip::Message& ack, const Path& path) {
    return digest && digest->ack_authenticated(now, ack, path);
  }

  // --- REGISTER ---------------------------------------------------------------------------

  // Normal operation: REGISTERs go to the ITSP and its 2xx is cached. Standalone and failure
  // operation (or this REGISTER just failed at the ITSP, `force_local`): answered here, from
  // trusted or authenticated sources only, with the short expiry while the ITSP is down.
  void on_register(TimePoint now, ServerTransactionId id, const sip::Message& request,
                   const Path& path, bool force_local);

  // The ITSP said 2xx to a REGISTER we forwarded: the registration flow caches it.
  void cache_itsp_registration(TimePoint now, const Forward& f, const sip::Message& response);

  // reg_forwarding_timeout: the REGISTER's contacts leave the cache.
  void uncache(TimePoint now, const sip::Message& request) {
    if (auto write = registration.uncache(now, request)) self.emit_store(std::move(*write));
  }

  void on_store_done(TimePoint now, std::uint64_t store_id, StoreOutcome outcome);

  // registrar::RegistrationPort: the flow's expiry and keep-alive timers.
  void store(StoreWrite write) override { self.emit_store(std::move(write)); }
  bool holds_cached_bindings() const override { return failure_operation(); }
  bool is_stream_open(StreamId stream) const override { return self.transport().is_stream_open(stream); }
  void send_keepalive_ping(TimePoint now, StreamId stream) override {
    self.transport().send_keepalive_ping(now, stream);
  }

  // --- the media relay (proxy_node_media.cpp) ------------------------------------------------

  // A request on its way out (forward()): an anchored call's SDP rewritten into `edits`, its end
  // noted. Stop: the relay refused the offer and the request was answered (or it was a copy of
  // one parked); Park: an external relay has the offer, the request waits under `ticket`.
  struct AnchorStep {
    enum class Kind : std::uint8_t { Go, Stop, Park };
    Kind kind = Kind::Go;
    std::uint64_t ticket = 0;
  };
  AnchorStep anchor_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                            const Path& path, const transport::Destination& dest,
                            const ExitCheck& check, RequestEdits& edits);
  // The ACK (its SDP: a late offer's answer) sent to `dest` with `edits`, now or once an
  // external relay answered.
  void anchor_ack(TimePoint now, const sip::Message& ack, const Path& path, RequestEdits edits,
                  const transport::Destination& dest);
  // A response on its way upstream: `relayed` (the bytes to send) gets the rewritten SDP and goes
  // to `send`, now or once an external relay answered; a 2xx to the INVITE records the dialog, a
  // failure ends the call's media. `f`: none for a 2xx retransmission forwarded statelessly.
  void anchor_response(TimePoint now, const Forward* f, const sip::Message& response,
                       std::string relayed, std::function<void(TimePoint, std::string)> send);
  // A parked INVITE (by its server transaction) taken by a CANCEL: answered 487. False: none.
  bool cancel_parked(TimePoint now, ServerTransactionId invite);
  // The ng datagrams of the external relays' control: theirs, not SIP.
  bool take_relay_datagram(TimePoint now, const Path& path, std::string_view bytes);
  // The INVITE was answered by us (failure, timeout, cancel): its media session goes.
  void anchor_failed(TimePoint now, const sip::Message& request);
  // After every use of the relay: the ports it opened or closed become effects, its next
  // deadline a timer.
  void media_after(TimePoint now);
  void on_media_deadline(TimePoint now);
  // BYE to both ends of a call whose media stopped (RFC 3261 §15: we act for the silent party),
  // with `reason` (RFC 3326) saying why.
  void hang_up_silent_call(TimePoint now, const AnchoredDialog& dialog, std::string_view reason);

  // --- management ---------------------------------------------------------------------------

  std::vector<std::string> aliases_of(const std::string& user) const;

  // One typed command; the reply is an effect, now or — for what writes to the store — once the
  // write is done.
  void command(TimePoint now, const AdminCommand& cmd);

  CounterSources counter_sources() const;

  // Numbered from 1, in the location service's order (`show reg`, `kill reg N`).
  admin::Registrations registrations(TimePoint now) const;

  // Removed from memory at once; answered when the record is gone from the store too.
  void kill_registration(TimePoint now, std::uint64_t command_id, std::size_t n);

  // The answer to a kill reg, once its store write is done.
  bool kill_stored(std::uint64_t store_id, StoreOutcome outcome);

  admin::ItspStatus itsp_status(TimePoint now) const;

  admin::Bans bans(TimePoint now) const;
};

}  // namespace resproxy::routing
