#include "model/ua_phone.h"

#include <algorithm>
#include <charconv>

#include "model/ua_phone_detail.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/security/digest.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/uri.h"

namespace resproxy::model {

namespace {

using namespace std::chrono_literals;
using ua_detail::equals_ignore_case;
using ua_detail::header_value;
using ua_detail::kAllow;

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// from the wire: untrusted; nullopt unless a plain decimal number of seconds
std::optional<std::int64_t> parse_seconds(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::int64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string_view call_state_text(CallState state) { return to_string(state); }

}  // namespace

std::string_view to_string(CallRole role) {
  return role == CallRole::Caller ? "caller" : "callee";
}

std::string_view to_string(CallState state) {
  switch (state) {
    case CallState::Calling: return "calling";
    case CallState::Early: return "early";
    case CallState::Confirmed: return "confirmed";
    case CallState::Terminating: return "terminating";
    case CallState::Terminated: return "terminated";
  }
  return "unknown";
}

UaPhone::UaPhone(UaPhoneConfig config, Rng& rng, TraceSink& trace)
    : SipNode(transaction::SipNodeConfig{.transport = {.local = config.local},
                                         .timers = config.timers},
              rng, trace),
      config_(std::move(config)) {
  register_call_id_ = this->rng().token(16) + "@" + config_.local.ip;
  register_from_tag_ = this->rng().token(10);
  sdp_session_ = this->rng().uniform(1'000'000'000);
  requested_expires_ = config_.register_expires;
}

std::string UaPhone::aor() const { return "sip:" + config_.user + "@" + config_.domain; }

std::string UaPhone::contact_uri() const {
  std::string uri = "sip:" + config_.user + "@" + config_.local.to_string();
  if (config_.transport == Transport::Tcp) uri += ";transport=tcp";
  return uri;
}

void UaPhone::emit(TraceEvent event) {
  if (trace().enabled()) trace().emit(event);
}

// --- Scheduling --------------------------------------------------------------------------------

void UaPhone::register_at(TimePoint at) {
  timers().cancel(register_timer_);
  register_timer_ = timers().schedule(at, [this](TimePoint now) {
    register_timer_ = TimerId{};
    send_register(now);
  });
}

void UaPhone::schedule_call(CallPlan plan) {
  const TimePoint at = plan.at;
  timers().schedule(at, [this, plan = std::move(plan)](TimePoint now) { place_call(now, plan); });
}

void UaPhone::hang_up(TimePoint now) {
  if (active_call_ == kNoCall) return;
  if (calls_[active_call_].state == CallState::Confirmed) send_bye(now, active_call_);
}

void UaPhone::schedule_transfer(TimePoint at, std::string target) {
  timers().schedule(at, [this, target = std::move(target)](TimePoint now) {
    if (active_call_ == kNoCall || calls_[active_call_].state != CallState::Confirmed) return;
    send_refer(now, active_call_, target);
  });
}

// --- Destinations ------------------------------------------------------------------------------

std::optional<transport::Destination> UaPhone::destination_for(std::string_view uri_text) const {
  const auto uri = sip::parse_uri(uri_text);
  if (!uri || !uri->is_sip() || uri->host.empty() || uri->is_ipv6_reference()) return std::nullopt;
  // No DNS in a phone: a host that is not an IPv4 literal (the domain) is reached through the
  // outbound proxy.
  const bool literal = std::all_of(uri->host.begin(), uri->host.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
  if (!literal) return std::nullopt;
  Transport transport = config_.transport;
  if (const auto t = uri->param("transport")) {
    if (equals_ignore_case(*t, "tcp")) transport = Transport::Tcp;
    if (equals_ignore_case(*t, "udp")) transport = Transport::Udp;
  }
  return transport::Destination{transport, Address{std::string(uri->host), uri->port.value_or(5060)},
                                StreamId{}};
}

std::optional<transport::Destination> UaPhone::in_dialog_destination(
    const sip::Dialog& dialog) const {
  // RFC 3261 §12.2.1.1 (sip::Dialog) and §8.1.2: the first route, else the remote target.
  const auto target = dialog.target();
  if (!target) return std::nullopt;  // from the wire, unusable: the caller gives up
  auto to = destination_for(target->next_hop);
  if (!to && dialog.route_set().empty() && config_.outbound_proxy) {
    to = transport::Destination{config_.transport, *config_.outbound_proxy, StreamId{}};
  }
  return to;
}

bool UaPhone::in_dialog_request(std::size_t call, std::string method, OutRequest& out) const {
  const Leg& leg = legs_[call];
  if (!leg.dialog) return false;
  const auto target = leg.dialog->target();
  const auto to = in_dialog_destination(*leg.dialog);
  if (!target || !to) return false;
  out.method = std::move(method);
  out.request_uri = target->request_uri;
  out.to = *to;
  out.head.clear();  // the dialog writes Route, From, To, Call-ID and CSeq (send_out)
  out.in_dialog = true;
  return true;
}

// --- Sending, and digest authentication (RFC 3261 §22.2, RFC 7616) ----------------------------

std::optional<transaction::ClientTransactionId> UaPhone::send_out(TimePoint now, Pending kind,
                                                                  std::size_t call,
                                                                  OutRequest out) {
  const std::string branch = transactions().new_branch();
  std::vector<sip::ExtraHeader> headers;
  headers.reserve(out.head.size() + out.tail.size() + 4);
  std::string bytes;
  if (out.in_dialog) {
    // §12.2.1.1: Route, From, To, Call-ID and the next local CSeq from the dialog; a retry with
    // credentials (§22.2) takes the next CSeq again.
    if (!out.credentials.empty()) headers.push_back({out.credentials_header, out.credentials});
    for (const auto& [name, value] : out.tail) headers.push_back({name, value});
    auto built = legs_[call].dialog->make_request(out.method, via_for(out.to.transport, branch),
                                                  headers, out.body);
    if (!built) return std::nullopt;
    bytes = std::move(built).value();
  } else {
    headers.push_back({"Via", via_for(out.to.transport, branch)});
    headers.push_back({"Max-Forwards", "70"});
    for (const auto& [name, value] : out.head) headers.push_back({name, value});
    headers.push_back({"CSeq", std::to_string(out.cseq) + " " + out.method});
    if (!out.credentials.empty()) headers.push_back({out.credentials_header, out.credentials});
    for (const auto& [name, value] : out.tail) headers.push_back({name, value});
    bytes = sip::make_request(out.method, out.request_uri, headers, out.body);
  }
  auto request = sip::Message::parse(std::move(bytes));
  if (!request) return std::nullopt;
  const auto id = transactions().send_request(now, std::move(request).value(), out.to);
  pending_.push_back({id, kind, call, std::move(out)});
  return id;
}

bool UaPhone::retry_with_credentials(TimePoint now, PendingRequest& pending,
                                     const sip::Message& response) {
  if (!config_.password) return false;
  const int status = response.status_code();
  const bool proxy = status == 407;
  const sip::HeaderId wanted = proxy ? sip::HeaderId::ProxyAuthenticate : sip::HeaderId::WwwAuthenticate;
  OutRequest& out = pending.out;
  const std::string& user = config_.auth_user.empty() ? config_.user : config_.auth_user;
  // RFC 7616 §3.7: the challenges come in the server's preference order; answer the first one
  // we can (an algorithm we do not implement: the next). from the wire: untrusted.
  for (const auto& field : response.headers()) {
    if (field.id != wanted) continue;
    const auto parsed = security::parse_digest_challenge(field.value);
    if (!parsed) continue;
    const security::DigestChallenge& challenge = parsed.value();
    if (out.answered_challenge) {
      // Our own fresh credentials were refused: the password is wrong, unless the server only
      // wants a newer nonce (stale=true, RFC 7616 §3.3). Never loop.
      if (!challenge.stale || out.stale_retries >= 2) return false;
      ++out.stale_retries;
    }
    AuthCache& cache = proxy ? proxy_auth_ : registrar_auth_;
    std::string cnonce = cache.nonce == challenge.nonce ? cache.cnonce : rng().token(16);
    const std::uint32_t nc = cache.nonce == challenge.nonce ? cache.nc + 1 : 1;
    auto credentials = security::answer_challenge(native::openssl_crypto(), field.value, out.method, out.request_uri, user,
                                                  *config_.password, cnonce, nc);
    if (!credentials) continue;
    cache.challenge = std::string(field.value);
    cache.nonce = challenge.nonce;
    cache.cnonce = std::move(cnonce);
    cache.nc = nc;
    out.credentials_header = proxy ? "Proxy-Authorization" : "Authorization";
    out.credentials = std::move(credentials).value();
    out.answered_challenge = true;
    // §22.2: the same request again, CSeq one higher, same Call-ID and tags, a new branch.
    switch (pending.kind) {
      case Pending::Register: out.cseq = ++register_cseq_; break;
      case Pending::Invite:
        // Before the dialog: the ACK for the 2xx names this INVITE.
        out.cseq = ++legs_[pending.call].invite_cseq;
        break;
      case Pending::Bye:
      case Pending::Refer:
      case Pending::Notify: break;  // in the dialog: send_out takes its next CSeq
    }
    ++counters_.auth_challenges;
    emit(TraceEvent{now, "ua.auth_challenged", {}}
             .with("method", out.method)
             .with("status", std::to_string(status))
             .with("stale", challenge.stale ? "1" : "0")
             .with("nc", std::to_string(nc)));
    const std::size_t call = pending.call;
    const Pending kind = pending.kind;
    if (!send_out(now, kind, call, std::move(out))) return false;
    if (kind == Pending::Register) {
      if (!registrations_.empty()) registrations_.back().challenged = true;
      ++counters_.registers_sent;
      RegistrationRecord& record = registrations_.emplace_back();
      record.sent_at = now;
      record.with_credentials = true;
    } else if (kind == Pending::Invite) {
      ++counters_.invites_sent;
      ++calls_[call].auth_challenges;
    }
    return true;
  }
  return false;
}

void UaPhone::note_auth_failure(TimePoint now, const PendingRequest& pending, int status) {
  ++counters_.auth_failures;
  emit(TraceEvent{now, "ua.auth_failed", {}}
           .with("method", pending.out.method)
           .with("status", std::to_string(status))
           .with("reason", config_.password ? "rejected" : "no_credentials"));
  switch (pending.kind) {
    case Pending::Register:
      if (!registrations_.empty()) registrations_.back().failure = "auth";
      on_register_failed(now, status, "auth");
      return;
    case Pending::Invite: {
      CallRecord& record = calls_[pending.call];
      if (record.state == CallState::Terminated) return;
      record.final_status = status;
      fail_call(now, pending.call, status, "auth");
      return;
    }
    case Pending::Bye: on_bye_response(now, pending.call, status); return;
    case Pending::Refer: on_refer_response(now, pending.call, status); return;
    case Pending::Notify: return;
  }
}

// --- REGISTER (§10.2) --------------------------------------------------------------------------

void UaPhone::send_register(TimePoint now) {
  if (!config_.outbound_proxy) {
    on_register_failed(now, 0, "no_registrar");
    return;
  }
  OutRequest out;
  out.method = "REGISTER";
  out.request_uri = "sip:" + config_.domain;
  out.to = transport::Destination{config_.transport, *config_.outbound_proxy, StreamId{}};
  out.head = {{"From", "<" + aor() + ">;tag=" + register_from_tag_},
              {"To", "<" + aor() + ">"},
              {"Call-ID", register_call_id_}};
  out.tail = {{"Contact", "<" + contact_uri() + ">"},
              {"Expires", seconds_text(requested_expires_)},
              {"Allow", std::string(kAllow)}};
  out.cseq = ++register_cseq_;
  if (config_.password && !registrar_auth_.challenge.empty()) {
    // A refresh answers the registrar's last challenge again with the next nc: no round trip
    // while the nonce lasts (a stale one is challenged with stale=true and answered afresh).
    const std::string& user = config_.auth_user.empty() ? config_.user : config_.auth_user;
    auto credentials = security::answer_challenge(native::openssl_crypto(), registrar_auth_.challenge, out.method,
                                                  out.request_uri, user, *config_.password,
                                                  registrar_auth_.cnonce, registrar_auth_.nc + 1);
    if (credentials) {
      ++registrar_auth_.nc;
      out.credentials_header = "Authorization";
      out.credentials = std::move(credentials).value();
    }
  }
  const bool with_credentials = !out.credentials.empty();
  ++counters_.registers_sent;
  if (!send_out(now, Pending::Register, kNoCall, std::move(out))) {
    on_register_failed(now, 0, "bad_request");
    return;
  }
  RegistrationRecord& record = registrations_.emplace_back();
  record.sent_at = now;
  record.with_credentials = with_credentials;
}

void UaPhone::on_register_response(TimePoint now, const sip::Message& response) {
  const int status = response.status_code();
  if (status >= 200 && status < 300) {
    // §10.2.4: the expiry granted for our binding is in its Contact's expires parameter, else in
    // the Expires header. from the wire: untrusted.
    std::optional<std::int64_t> granted;
    const std::string ours = contact_uri();
    for (const auto& field : response.headers()) {
      if (field.id != sip::HeaderId::Contact || granted) continue;
      const auto list = sip::parse_name_addr_list(field.value);
      if (!list) continue;
      for (const auto& contact : *list) {
        if (!sip::uri_equal(contact.uri, ours)) continue;
        if (const auto e = contact.param("expires")) granted = parse_seconds(*e);
        break;
      }
    }
    if (!granted) granted = parse_seconds(header_value(response, sip::HeaderId::Expires));
    const Duration expires =
        granted ? Duration{std::chrono::seconds(*granted)} : requested_expires_;
    registered_ = expires > Duration{};
    granted_expires_ = expires;
    ++counters_.registrations_ok;
    emit(TraceEvent{now, "ua.registered", {}}
             .with("aor", aor())
             .with("contact", contact_uri())
             .with("expires", seconds_text(expires)));
    // Refresh at half the granted expiry (never sooner than a second from now).
    if (registered_) register_at(now + std::max<Duration>(expires / 2, 1s));
    return;
  }
  if (status == 423) {
    // §10.2.8: retry at once with the registrar's minimum. from the wire: untrusted.
    const auto min = parse_seconds(header_value(response, sip::HeaderId::MinExpires));
    if (min && std::chrono::seconds(*min) > requested_expires_ && *min <= 86400) {
      requested_expires_ = std::chrono::seconds(*min);
      emit(TraceEvent{now, "ua.register_retry", {}}
               .with("status", "423")
               .with("expires", seconds_text(requested_expires_)));
      send_register(now);
      return;
    }
  }
  on_register_failed(now, status, std::to_string(status));
}

void UaPhone::on_register_failed(TimePoint now, int status, std::string_view reason) {
  registered_ = false;
  ++counters_.registrations_failed;
  emit(TraceEvent{now, "ua.register_failed", {}}
           .with("aor", aor())
           .with("status", std::to_string(status))
           .with("reason", std::string(reason)));
  if (config_.outbound_proxy) register_at(now + config_.register_retry);
}

// --- Shared ------------------------------------------------------------------------------------

void UaPhone::on_response(TimePoint now, transaction::ClientTransactionId id,
                          const sip::Message& response) {
  const int status = response.status_code();
  const bool final = status >= 200;
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const PendingRequest& p) { return p.id == id; });
  if (it == pending_.end()) return;
  const Pending kind = it->kind;
  const std::size_t call = it->call;
  // An INVITE's entry stays after a 2xx: 2xx retransmissions still arrive on it (RFC 6026).
  if (final && !(kind == Pending::Invite && status < 300)) {
    PendingRequest done = std::move(*it);
    pending_.erase(it);
    if (kind == Pending::Register && !registrations_.empty() && !registrations_.back().done_at) {
      registrations_.back().done_at = now;
      registrations_.back().status = status;
    }
    if (status == 401 || status == 407) {
      if (!retry_with_credentials(now, done, response)) note_auth_failure(now, done, status);
      return;
    }
  }
  switch (kind) {
    case Pending::Register:
      if (final) on_register_response(now, response);
      return;
    case Pending::Invite: on_invite_response(now, call, id, response); return;
    case Pending::Bye:
      if (final) on_bye_response(now, call, status);
      return;
    case Pending::Refer:
      if (final) on_refer_response(now, call, status);
      return;
    case Pending::Notify: return;  // the transferor's answer changes nothing here
  }
}

void UaPhone::on_client_error(TimePoint now, transaction::ClientTransactionId id,
                              transaction::TransactionError error) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const PendingRequest& p) { return p.id == id; });
  if (it == pending_.end()) return;
  const Pending kind = it->kind;
  const std::size_t call = it->call;
  pending_.erase(it);
  const int status = transaction::to_sip_status(error);
  switch (kind) {
    case Pending::Register:
      if (!registrations_.empty() && !registrations_.back().done_at) {
        registrations_.back().done_at = now;
        registrations_.back().status = status;
      }
      on_register_failed(now, status, transaction::to_string(error));
      return;
    case Pending::Invite: {
      CallRecord& record = calls_[call];
      if (record.answered_at || record.state == CallState::Terminated) return;
      record.final_status = status;
      fail_call(now, call, status, std::string(transaction::to_string(error)));
      return;
    }
    case Pending::Bye: on_bye_response(now, call, status); return;
    case Pending::Refer: on_refer_response(now, call, status); return;
    case Pending::Notify: return;
  }
}

std::size_t UaPhone::find_dialog(const sip::Message& request) const {
  // §12.2.2: Call-ID, our tag in To, theirs in From. Newest first: a Call-ID is never reused.
  for (std::size_t i = calls_.size(); i-- > 0;) {
    const Leg& leg = legs_[i];
    const bool match = leg.dialog ? leg.dialog->matches(request)
                                  : calls_[i].call_id == request.call_id() &&
                                        leg.local_tag == request.to_tag() &&
                                        leg.remote_tag == request.from_tag();
    if (match) return i;
  }
  return kNoCall;
}

void UaPhone::start_media(TimePoint now, std::size_t call, std::string_view body, bool we_offered) {
  if (!media_listener_ || legs_[call].media_started) return;
  auto parsed = sip::Sdp::parse(body);  // the peer's: untrusted
  if (!parsed) return;
  const auto audio = sip::first_audio(parsed.value());
  if (!audio || audio->port == 0 || audio->address.empty()) return;
  // What we send: as the callee, the PCMU our answer names; as the caller, the answer's first
  // G.711 format (RFC 3264 §6.1: the answerer's order is its preference).
  std::optional<std::uint8_t> payload_type;
  for (const auto& codec : audio->codecs) {
    if (codec.encoding == "PCMU" || codec.encoding == "PCMA") {
      const std::uint8_t pt = codec.encoding == "PCMU" ? 0 : 8;
      if (we_offered || pt == 0) {
        payload_type = pt;
        break;
      }
    }
  }
  if (!payload_type) return;
  legs_[call].media_started = true;
  media_listener_(MediaEvent{.kind = MediaEvent::Kind::Start,
                             .at = now,
                             .call_id = calls_[call].call_id,
                             .remote = Address{audio->address, audio->port},
                             .payload_type = *payload_type});
}

void UaPhone::end_call(TimePoint now, std::size_t call) {
  Leg& leg = legs_[call];
  if (leg.media_started) {
    leg.media_started = false;
    if (media_listener_) {
      media_listener_(MediaEvent{.kind = MediaEvent::Kind::Stop, .at = now, .call_id = calls_[call].call_id});
    }
  }
  timers().cancel(leg.ok_timer);
  timers().cancel(leg.ok_give_up);
  timers().cancel(leg.ring_timer);
  timers().cancel(leg.answer_timer);
  timers().cancel(leg.hangup_timer);
  timers().cancel(leg.transfer_timer);
  // The INVITE's entry outlived its 2xx for retransmissions (RFC 6026); the call is over now.
  std::erase_if(pending_, [call](const PendingRequest& p) {
    return p.kind == Pending::Invite && p.call == call;
  });
  if (calls_[call].state != CallState::Terminated) {
    --calls_in_progress_;
    calls_[call].ended_at = now;
  }
  calls_[call].state = CallState::Terminated;
  if (active_call_ == call) active_call_ = kNoCall;
}

void UaPhone::fail_call(TimePoint now, std::size_t call, int status, std::string failure) {
  CallRecord& record = calls_[call];
  record.failure = std::move(failure);
  const CallState was = record.state;
  if (record.role == CallRole::Caller && !record.answered_at) {
    // A transfer leg that never got a final response (timeout, no route): tell the referrer.
    const int code = status >= 300 ? status : 503;
    notify_referrer(now, call, code, sip::default_reason(code));
  }
  end_call(now, call);
  emit(TraceEvent{now, "ua.call_failed", {}}
           .with("call_id", record.call_id)
           .with("status", std::to_string(status))
           .with("reason", record.failure)
           .with("state", std::string(call_state_text(was))));
}

std::string UaPhone::sdp(bool offer) {
  // RFC 3264 offer/answer, RFC 4566 syntax: one audio stream, G.711 (and DTMF in the offer).
  const std::string id = std::to_string(++sdp_session_);
  // Field by field: g++ 12 at -O2 warns (maybe-uninitialized) on designated initializers here.
  sip::AudioSdpParams params;
  params.user = config_.user;
  params.session_id = id;
  params.session_version = id;
  params.address = config_.local.ip;
  params.port = config_.media_port;
  params.codecs.push_back(sip::SdpCodec{"0", "PCMU", 8000, {}, {}});
  if (offer) {
    params.codecs.push_back(sip::SdpCodec{"8", "PCMA", 8000, {}, {}});
    params.codecs.push_back(sip::SdpCodec{"101", "telephone-event", 8000, {}, "0-15"});
  }
  return sip::make_audio_sdp(params).to_string();
}

}  // namespace resproxy::model
