#include "model/ua_phone.h"

#include <algorithm>
#include <charconv>

#include "model/traffic.h"
#include "proxy/security/digest.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::model {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY";

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

std::string_view header_value(const sip::Message& message, sip::HeaderId id) {
  const sip::HeaderField* field = message.first(id);
  return field == nullptr ? std::string_view{} : field->value;
}

// Every value of every field `id`, in order (Record-Route: §12.1.1, §12.1.2).
std::vector<std::string> all_values(const sip::Message& message, sip::HeaderId id) {
  std::vector<std::string> out;
  for (const auto& field : message.headers()) {
    if (field.id != id) continue;
    for (const auto value : sip::split_values(field.value)) {
      if (!value.empty()) out.emplace_back(value);
    }
  }
  return out;
}

// The URI of the first Contact (the remote target, §12.1.1/§12.1.2); "" if none parses.
std::string contact_target(const sip::Message& message) {
  std::string_view rest = header_value(message, sip::HeaderId::Contact);
  const auto first = sip::next_value(rest);
  if (!first || sip::is_star(*first)) return {};
  const auto parsed = sip::parse_name_addr(*first);
  return parsed ? std::string(parsed->uri) : std::string{};
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view call_state_text(CallState state) { return to_string(state); }

bool starts_with_ignore_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equals_ignore_case(text.substr(0, prefix.size()), prefix);
}

// The value of the first header named `name` that the parser does not know (Subscription-State).
std::string_view other_header(const sip::Message& message, std::string_view name) {
  for (const auto& field : message.headers()) {
    std::string_view n = field.name;
    while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
    if (equals_ignore_case(n, name)) return field.value;
  }
  return {};
}

// The status code of a message/sipfrag body "SIP/2.0 200 OK" (RFC 3420); 0 if there is none.
// from the wire: untrusted.
int sipfrag_status(std::string_view body) {
  constexpr std::string_view kVersion = "SIP/2.0 ";
  if (!body.starts_with(kVersion)) return 0;
  body.remove_prefix(kVersion.size());
  int code = 0;
  const auto r = std::from_chars(body.data(), body.data() + std::min<std::size_t>(3, body.size()), code);
  if (r.ec != std::errc{} || r.ptr != body.data() + 3 || code < 100 || code > 699) return 0;
  return code;
}

// The URI of a name-addr header value ("<sip:2001@x>;tag=1" → "sip:2001@x"); "" if none parses.
std::string uri_of(std::string_view value) {
  const auto parsed = sip::parse_name_addr(value);
  return parsed ? std::string(parsed->uri) : std::string{};
}

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

UaPhone::InDialog UaPhone::in_dialog_target(const Dialog& dialog) const {
  // RFC 3261 §12.2.1.1.
  InDialog out;
  if (dialog.route_set.empty()) {
    out.request_uri = dialog.remote_target;
    out.to = destination_for(dialog.remote_target);
    if (!out.to && config_.outbound_proxy) {
      out.to = transport::Destination{config_.transport, *config_.outbound_proxy, StreamId{}};
    }
    return out;
  }
  const auto first = sip::parse_name_addr(dialog.route_set.front());
  if (!first) return out;  // from the wire, unusable: no destination, the caller gives up
  const auto first_uri = sip::parse_uri(first->uri);
  const bool loose = first_uri && first_uri->param("lr").has_value();
  if (loose) {
    out.request_uri = dialog.remote_target;
    out.routes = dialog.route_set;
  } else {
    // Strict routing: the first route becomes the Request-URI, the remote target the last Route.
    out.request_uri = std::string(first->uri);
    out.routes.assign(dialog.route_set.begin() + 1, dialog.route_set.end());
    out.routes.push_back("<" + dialog.remote_target + ">");
  }
  out.to = destination_for(first->uri);
  return out;
}

bool UaPhone::in_dialog_request(std::size_t call, std::string method, OutRequest& out) const {
  const Dialog& dialog = dialogs_[call];
  const InDialog target = in_dialog_target(dialog);
  if (!target.to) return false;
  out.method = std::move(method);
  out.request_uri = target.request_uri;
  out.to = *target.to;
  out.head.clear();
  for (const auto& route : target.routes) out.head.emplace_back("Route", route);
  out.head.emplace_back("From", dialog.local_header);
  out.head.emplace_back("To", dialog.remote_header);
  out.head.emplace_back("Call-ID", calls_[call].call_id);
  return true;
}

// --- Sending, and digest authentication (RFC 3261 §22.2, RFC 7616) ----------------------------

std::optional<transaction::ClientTransactionId> UaPhone::send_out(TimePoint now, Pending kind,
                                                                  std::size_t call,
                                                                  OutRequest out) {
  const std::string branch = transactions().new_branch();
  std::vector<sip::ExtraHeader> headers;
  headers.reserve(out.head.size() + out.tail.size() + 4);
  headers.push_back({"Via", via_for(out.to.transport, branch)});
  headers.push_back({"Max-Forwards", "70"});
  for (const auto& [name, value] : out.head) headers.push_back({name, value});
  headers.push_back({"CSeq", std::to_string(out.cseq) + " " + out.method});
  if (!out.credentials.empty()) headers.push_back({out.credentials_header, out.credentials});
  for (const auto& [name, value] : out.tail) headers.push_back({name, value});
  auto request =
      sip::Message::parse(sip::make_request(out.method, out.request_uri, headers, out.body));
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
    auto credentials = security::answer_challenge(field.value, out.method, out.request_uri, user,
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
      case Pending::Invite: {
        Dialog& dialog = dialogs_[pending.call];
        out.cseq = ++dialog.local_cseq;
        dialog.invite_cseq = out.cseq;  // the ACK for the 2xx names this INVITE
        break;
      }
      case Pending::Bye:
      case Pending::Refer:
      case Pending::Notify: out.cseq = ++dialogs_[pending.call].local_cseq; break;
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
    auto credentials = security::answer_challenge(registrar_auth_.challenge, out.method,
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

// --- Caller side -------------------------------------------------------------------------------

void UaPhone::place_call(TimePoint now, const CallPlan& plan, std::size_t refer_call,
                         std::string_view referred_by) {
  const std::size_t call = calls_.size();
  CallRecord& record = calls_.emplace_back();
  Dialog& dialog = dialogs_.emplace_back();
  ++calls_in_progress_;
  const std::string from_uri =
      plan.from_user.empty() ? aor() : "sip:" + plan.from_user + "@" + config_.domain;
  record.role = CallRole::Caller;
  record.call_id = rng().token(16) + "@" + config_.local.ip;
  record.caller = from_uri;
  record.callee = plan.target;
  record.invite_at = now;
  dialog.local_tag = rng().token(10);
  dialog.local_header = "<" + from_uri + ">;tag=" + dialog.local_tag;
  dialog.remote_header = "<" + plan.target + ">";
  dialog.local_cseq = 1;
  dialog.invite_cseq = 1;
  dialog.hold = plan.hold;
  if (refer_call != kNoCall) {
    dialog.refer_call = refer_call;
    record.transfer_of = calls_[refer_call].call_id;
    record.referred_by = std::string(referred_by);
  }

  TraceEvent started{now, "ua.call_started", {}};
  started.with("call_id", record.call_id)
      .with("role", "caller")
      .with("from", record.caller)
      .with("to", record.callee);
  if (refer_call != kNoCall) started.with("transfer_of", record.transfer_of);
  emit(std::move(started));
  // A transfer leg replaces the call it was referred in: the line is not busy for it.
  if (active_call_ != kNoCall && !config_.multi_line && refer_call == kNoCall) {
    fail_call(now, call, 0, "local_busy");
    return;
  }
  std::optional<transport::Destination> to;
  if (config_.outbound_proxy) {
    to = transport::Destination{config_.transport, *config_.outbound_proxy, StreamId{}};
  } else {
    to = destination_for(plan.target);
  }
  if (!to) {
    fail_call(now, call, 0, "no_route");
    return;
  }
  OutRequest out;
  out.method = "INVITE";
  out.request_uri = plan.target;
  out.to = *to;
  out.head = {{"From", dialog.local_header}, {"To", dialog.remote_header}, {"Call-ID", record.call_id}};
  out.tail = {{"Contact", "<" + contact_uri() + ">"},
              {"Allow", std::string(kAllow)},
              {"Content-Type", "application/sdp"}};
  if (!referred_by.empty()) out.tail.emplace_back("Referred-By", "<" + std::string(referred_by) + ">");
  out.cseq = dialog.invite_cseq;
  out.body = sdp(/*offer=*/true);
  if (!config_.multi_line) active_call_ = call;
  if (!send_out(now, Pending::Invite, call, std::move(out))) {
    // a target the parser refuses (scenario error): fail the call, do not crash
    fail_call(now, call, 0, "bad_target");
    return;
  }
  ++counters_.invites_sent;
}

void UaPhone::on_invite_response(TimePoint now, std::size_t call, const sip::Message& response) {
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  const int status = response.status_code();
  if (status < 200) {
    if (record.state != CallState::Calling) return;
    if (status == 180 && !record.ringing_at) {
      record.ringing_at = now;
      emit(TraceEvent{now, "ua.call_ringing", {}}.with("call_id", record.call_id));
    }
    if (status > 100 && !response.to_tag().empty()) record.state = CallState::Early;
    return;
  }
  if (status >= 300) {
    if (record.state == CallState::Terminated) return;
    record.final_status = status;
    notify_referrer(now, call, status, response.reason_phrase());
    fail_call(now, call, status, std::to_string(status));
    return;
  }
  // 2xx.
  if (record.answered_at) {
    // §13.2.2.4: a retransmitted 2xx (our ACK was lost) is answered with the same ACK.
    if (!dialog.ack.empty() && response.to_tag() == dialog.remote_tag) {
      ++counters_.ack_retransmissions;
      emit(TraceEvent{now, "ua.ack_resent", {}}.with("call_id", record.call_id));
      transactions().send_stateless(now, dialog.ack_to, dialog.ack);
    }
    return;
  }
  if (record.state == CallState::Terminated) return;  // failed locally meanwhile
  record.answered_at = now;
  record.final_status = status;
  record.state = CallState::Confirmed;
  // §12.1.2: the dialog's remote tag, remote target and route set (Record-Route reversed).
  dialog.remote_tag = std::string(response.to_tag());
  dialog.remote_header = std::string(header_value(response, sip::HeaderId::To));
  dialog.remote_target = contact_target(response);
  dialog.route_set = all_values(response, sip::HeaderId::RecordRoute);
  std::reverse(dialog.route_set.begin(), dialog.route_set.end());
  record.route_set = dialog.route_set;
  if (dialog.remote_target.empty()) dialog.remote_target = record.callee;  // no Contact: wire bug
  emit(TraceEvent{now, "ua.call_answered", {}}
           .with("call_id", record.call_id)
           .with("role", "caller")
           .with("status", std::to_string(status)));
  send_ack(now, call, dialog.invite_cseq);
  notify_referrer(now, call, status, response.reason_phrase());
  dialog.hangup_timer =
      timers().schedule(now + dialog.hold, [this, call](TimePoint t) {
        dialogs_[call].hangup_timer = TimerId{};
        if (calls_[call].state == CallState::Confirmed) send_bye(t, call);
      });
}

void UaPhone::send_ack(TimePoint now, std::size_t call, std::uint32_t cseq) {
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  const InDialog target = in_dialog_target(dialog);
  if (!target.to) {
    fail_call(now, call, record.final_status, "no_route_for_ack");
    return;
  }
  // §13.2.2.4: the ACK for a 2xx is a new request outside any transaction, with a new branch,
  // sent end to end through the route set.
  const std::string branch = transactions().new_branch();
  std::vector<sip::ExtraHeader> headers = {{"Via", via_for(target.to->transport, branch)},
                                           {"Max-Forwards", "70"}};
  for (const auto& route : target.routes) headers.push_back({"Route", route});
  headers.push_back({"From", dialog.local_header});
  headers.push_back({"To", dialog.remote_header});
  headers.push_back({"Call-ID", record.call_id});
  headers.push_back({"CSeq", std::to_string(cseq) + " ACK"});
  dialog.ack = sip::make_request("ACK", target.request_uri, headers);
  dialog.ack_to = *target.to;
  record.ack_at = now;
  transactions().send_stateless(now, dialog.ack_to, dialog.ack);
}

void UaPhone::send_bye(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  timers().cancel(dialog.hangup_timer);
  timers().cancel(dialog.transfer_timer);
  record.bye_at = now;
  record.ended_locally = true;
  OutRequest out;
  if (!in_dialog_request(call, "BYE", out)) {
    fail_call(now, call, record.final_status, "no_route_for_bye");
    return;
  }
  out.cseq = ++dialog.local_cseq;  // §12.2.1.1: one higher than the last request in the dialog
  record.state = CallState::Terminating;
  emit(TraceEvent{now, "ua.bye_sent", {}}.with("call_id", record.call_id));
  if (!send_out(now, Pending::Bye, call, std::move(out))) {
    // a remote target or route from the wire that we cannot write back
    fail_call(now, call, record.final_status, "bad_remote_target");
  }
}

void UaPhone::on_bye_response(TimePoint now, std::size_t call, int status) {
  CallRecord& record = calls_[call];
  record.bye_status = status;
  if (status >= 200 && status < 300) record.bye_ok_at = now;
  if (record.state == CallState::Terminated) return;
  end_call(now, call);
  emit(TraceEvent{now, "ua.call_ended", {}}
           .with("call_id", record.call_id)
           .with("by", "local")
           .with("bye_status", std::to_string(status)));
}

// --- Callee side -------------------------------------------------------------------------------

void UaPhone::on_request(TimePoint now, transaction::ServerTransactionId id,
                         const sip::Message& request, const Path& /*path*/) {
  switch (request.method()) {
    case sip::Method::Invite: on_invite(now, id, request); return;
    case sip::Method::Bye: on_bye(now, id, request); return;
    case sip::Method::Cancel: on_cancel(now, id, request); return;
    case sip::Method::Refer: on_refer(now, id, request); return;
    case sip::Method::Notify: on_notify(now, id, request); return;
    case sip::Method::Options:
      ++counters_.options_answered;
      transactions().send_response(
          now, id, 200,
          sip::make_response(request, 200, "OK", rng().token(10),
                             {{"Allow", std::string(kAllow)},
                              {"Accept", "application/sdp"},
                              {"Contact", "<" + contact_uri() + ">"}}));
      return;
    default:
      transactions().send_response(now, id, 405,
                                   sip::make_response(request, 405, "Method Not Allowed",
                                                      rng().token(10),
                                                      {{"Allow", std::string(kAllow)}}));
      return;
  }
}

void UaPhone::on_invite(TimePoint now, transaction::ServerTransactionId id,
                        const sip::Message& invite) {
  ++counters_.invites_received;
  if (!invite.to_tag().empty()) {
    // A re-INVITE (target refresh) is beyond this phone; §14.2 lets a UAS refuse the offer and
    // keep the session as it is. Unknown dialog: 481 (§12.2.2).
    const std::size_t call = find_dialog(invite);
    const int status = call == kNoCall ? 481 : 488;
    transactions().send_response(now, id, status,
                                 sip::make_response(invite, status, {}));
    return;
  }
  if (active_call_ != kNoCall && !config_.multi_line) {
    // One call at a time: a second one is busy (§21.4.24).
    ++counters_.busy_rejected;
    emit(TraceEvent{now, "ua.call_rejected", {}}
             .with("call_id", std::string(invite.call_id()))
             .with("status", "486"));
    transactions().send_response(now, id, 486,
                                 sip::make_response(invite, 486, "Busy Here", rng().token(10)));
    return;
  }
  const std::size_t call = calls_.size();
  CallRecord& record = calls_.emplace_back();
  Dialog& dialog = dialogs_.emplace_back();
  ++calls_in_progress_;
  record.role = CallRole::Callee;
  record.call_id = std::string(invite.call_id());
  record.callee = std::string(invite.request_uri());
  if (const auto from = sip::parse_name_addr(header_value(invite, sip::HeaderId::From))) {
    record.caller = std::string(from->uri);
  }
  record.invite_at = now;
  // §12.1.1: the dialog as the UAS sees it.
  dialog.local_tag = rng().token(10);
  dialog.remote_tag = std::string(invite.from_tag());
  dialog.local_header =
      std::string(header_value(invite, sip::HeaderId::To)) + ";tag=" + dialog.local_tag;
  dialog.remote_header = std::string(header_value(invite, sip::HeaderId::From));
  dialog.remote_target = contact_target(invite);
  dialog.record_route = all_values(invite, sip::HeaderId::RecordRoute);
  dialog.route_set = dialog.record_route;
  record.route_set = dialog.route_set;
  dialog.invite_cseq = invite.cseq().number;
  dialog.local_cseq = 0;
  dialog.invite_txn = id;
  if (!config_.multi_line) active_call_ = call;
  emit(TraceEvent{now, "ua.call_started", {}}
           .with("call_id", record.call_id)
           .with("role", "callee")
           .with("from", record.caller)
           .with("to", record.callee));
  if (dialog.remote_target.empty()) {
    // §8.1.1.8: an INVITE must carry a Contact; without one there is no dialog to build.
    transactions().send_response(
        now, id, 400, sip::make_response(invite, 400, "Missing Contact", dialog.local_tag));
    record.final_status = 400;
    fail_call(now, call, 400, "no_contact");
    return;
  }
  dialog.ring_timer = timers().schedule(now + config_.ring_delay, [this, call](TimePoint t) {
    dialogs_[call].ring_timer = TimerId{};
    send_ringing(t, call);
  });
}

// A dialog-creating response echoes the INVITE's Record-Route (RFC 3261 §12.1.1) and names
// our Contact.
std::vector<sip::ExtraHeader> UaPhone::dialog_response_headers(const Dialog& dialog) const {
  std::vector<sip::ExtraHeader> extra;
  for (const auto& rr : dialog.record_route) extra.push_back({"Record-Route", rr});
  extra.push_back({"Contact", "<" + contact_uri() + ">"});
  return extra;
}

void UaPhone::send_ringing(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  if (record.state != CallState::Calling) return;
  const sip::Message* invite = transactions().server_request(dialog.invite_txn);
  if (invite == nullptr) return;  // the transaction is gone (cannot happen before a final)
  std::vector<sip::ExtraHeader> extra = dialog_response_headers(dialog);
  transactions().send_response(
      now, dialog.invite_txn, 180,
      sip::make_response(*invite, 180, "Ringing", dialog.local_tag, extra));
  record.ringing_at = now;
  record.state = CallState::Early;
  emit(TraceEvent{now, "ua.call_ringing", {}}.with("call_id", record.call_id));
  dialog.answer_timer = timers().schedule(now + config_.answer_delay, [this, call](TimePoint t) {
    dialogs_[call].answer_timer = TimerId{};
    send_ok(t, call);
  });
}

void UaPhone::send_ok(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  if (record.state != CallState::Early) return;
  const sip::Message* invite = transactions().server_request(dialog.invite_txn);
  if (invite == nullptr) return;
  std::vector<sip::ExtraHeader> extra = dialog_response_headers(dialog);
  extra.push_back({"Allow", std::string(kAllow)});
  extra.push_back({"Content-Type", "application/sdp"});
  dialog.ok_response =
      sip::make_response(*invite, 200, "OK", dialog.local_tag, extra, sdp(/*offer=*/false));
  if (!transactions().send_response(now, dialog.invite_txn, 200, dialog.ok_response)) return;
  record.answered_at = now;
  record.final_status = 200;
  record.state = CallState::Confirmed;
  emit(TraceEvent{now, "ua.call_answered", {}}
           .with("call_id", record.call_id)
           .with("role", "callee")
           .with("status", "200"));
  // The dialog is confirmed once our 2xx is sent (§12.1.1): a transfer may be planned now.
  maybe_plan_transfer(now, call);
  // §13.3.1.4: the UAS core retransmits the 2xx from T1, doubling up to T2, until the ACK; after
  // 64*T1 without one it confirms and then ends the dialog with BYE.
  dialog.ok_interval = config_.timers.t1;
  dialog.ok_timer = timers().schedule(now + dialog.ok_interval,
                                      [this, call](TimePoint t) { retransmit_ok(t, call); });
  dialog.ok_give_up =
      timers().schedule(now + 64 * config_.timers.t1, [this, call](TimePoint t) {
        Dialog& d = dialogs_[call];
        d.ok_give_up = TimerId{};
        timers().cancel(d.ok_timer);
        CallRecord& r = calls_[call];
        if (r.ack_at || r.state != CallState::Confirmed) return;
        r.failure = "no_ack";
        emit(TraceEvent{t, "ua.call_failed", {}}
                 .with("call_id", r.call_id)
                 .with("status", "200")
                 .with("reason", "no_ack"));
        send_bye(t, call);
      });
}

void UaPhone::retransmit_ok(TimePoint now, std::size_t call) {
  Dialog& dialog = dialogs_[call];
  dialog.ok_timer = TimerId{};
  if (calls_[call].ack_at || calls_[call].state != CallState::Confirmed) return;
  if (!transactions().send_response(now, dialog.invite_txn, 200, dialog.ok_response)) return;
  ++counters_.ok_retransmissions;
  emit(TraceEvent{now, "ua.ok_resent", {}}.with("call_id", calls_[call].call_id));
  dialog.ok_interval = std::min(2 * dialog.ok_interval, config_.timers.t2);
  dialog.ok_timer = timers().schedule(now + dialog.ok_interval,
                                      [this, call](TimePoint t) { retransmit_ok(t, call); });
}

void UaPhone::on_ack(TimePoint now, const sip::Message& ack, const Path& /*path*/) {
  const std::size_t call = find_dialog(ack);
  if (call == kNoCall) return;  // §17.2.1/§13.3.1.4: an ACK for nothing we know is dropped
  CallRecord& record = calls_[call];
  Dialog& dialog = dialogs_[call];
  if (record.role != CallRole::Callee || record.ack_at || !record.answered_at ||
      record.state != CallState::Confirmed) {
    return;  // a retransmitted ACK, or one after we gave up waiting (§13.3.1.4)
  }
  if (ack.cseq().number != dialog.invite_cseq) return;
  record.ack_at = now;
  timers().cancel(dialog.ok_timer);
  timers().cancel(dialog.ok_give_up);
  emit(TraceEvent{now, "ua.call_confirmed", {}}.with("call_id", record.call_id));
}

void UaPhone::on_bye(TimePoint now, transaction::ServerTransactionId id, const sip::Message& bye) {
  const std::size_t call = find_dialog(bye);
  if (call == kNoCall || calls_[call].state == CallState::Terminated) {
    // §15.1.2: a BYE for no dialog gets 481.
    transactions().send_response(
        now, id, 481, sip::make_response(bye, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  CallRecord& record = calls_[call];
  transactions().send_response(now, id, 200, sip::make_response(bye, 200, "OK"));
  if (!record.bye_at) record.bye_at = now;
  record.bye_ok_at = now;
  record.bye_status = 200;
  record.ended_locally = false;
  end_call(now, call);
  emit(TraceEvent{now, "ua.call_ended", {}}
           .with("call_id", record.call_id)
           .with("by", "remote")
           .with("bye_status", "200"));
}

void UaPhone::on_cancel(TimePoint now, transaction::ServerTransactionId id,
                        const sip::Message& cancel) {
  const auto invite_id = transactions().find_invite_for_cancel(cancel);
  std::size_t call = kNoCall;
  if (invite_id) {
    for (std::size_t i = 0; i < dialogs_.size(); ++i) {
      if (dialogs_[i].invite_txn == *invite_id && calls_[i].role == CallRole::Callee) call = i;
    }
  }
  if (call == kNoCall) {
    // §9.2: no matching transaction.
    transactions().send_response(
        now, id, 481, sip::make_response(cancel, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  Dialog& dialog = dialogs_[call];
  transactions().send_response(now, id, 200,
                               sip::make_response(cancel, 200, "OK", dialog.local_tag));
  CallRecord& record = calls_[call];
  if (record.state != CallState::Calling && record.state != CallState::Early) return;  // answered
  if (const sip::Message* invite = transactions().server_request(dialog.invite_txn)) {
    transactions().send_response(
        now, dialog.invite_txn, 487,
        sip::make_response(*invite, 487, "Request Terminated", dialog.local_tag));
  }
  record.final_status = 487;
  fail_call(now, call, 487, "cancelled");
}

// --- Transfer (RFC 3515, RFC 5589 §6) ----------------------------------------------------------

void UaPhone::maybe_plan_transfer(TimePoint now, std::size_t call) {
  const TransferPolicy& policy = config_.transfer;
  if (policy.share <= 0 || policy.peers.empty()) return;
  const std::string caller = calls_[call].caller;
  if (std::find(policy.peers.begin(), policy.peers.end(), caller) == policy.peers.end()) return;
  if (uniform01(rng()) >= policy.share) return;
  const std::string self = aor();
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < policy.peers.size(); ++i) {
    if (policy.peers[i] != caller && policy.peers[i] != self) candidates.push_back(i);
  }
  if (candidates.empty()) return;
  const std::string target = policy.peers[candidates[rng().uniform(candidates.size())]];
  dialogs_[call].transfer_timer =
      timers().schedule(now + policy.after, [this, call, target](TimePoint t) {
        dialogs_[call].transfer_timer = TimerId{};
        if (calls_[call].state == CallState::Confirmed) send_refer(t, call, target);
      });
}

void UaPhone::send_refer(TimePoint now, std::size_t call, const std::string& target) {
  CallRecord& record = calls_[call];
  if (record.state != CallState::Confirmed || dialogs_[call].transfer != kNoTransfer) return;
  OutRequest out;
  if (!in_dialog_request(call, "REFER", out)) return;
  Dialog& dialog = dialogs_[call];
  out.cseq = ++dialog.local_cseq;
  out.tail = {{"Refer-To", "<" + target + ">"},
              {"Referred-By", "<" + aor() + ">"},
              {"Contact", "<" + contact_uri() + ">"},
              {"Allow", std::string(kAllow)}};
  dialog.transfer = transfers_.size();
  TransferRecord& transfer = transfers_.emplace_back();
  transfer.call_id = record.call_id;
  transfer.target = target;
  transfer.refer_at = now;
  record.transferred = true;
  ++counters_.refers_sent;
  emit(TraceEvent{now, "ua.refer_sent", {}}.with("call_id", record.call_id).with("target", target));
  if (!send_out(now, Pending::Refer, call, std::move(out))) {
    finish_transfer(now, call, 0, "bad_target");
  }
}

void UaPhone::on_refer_response(TimePoint now, std::size_t call, int status) {
  Dialog& dialog = dialogs_[call];
  if (dialog.transfer == kNoTransfer) return;
  TransferRecord& transfer = transfers_[dialog.transfer];
  transfer.refer_status = status;
  if (status >= 200 && status < 300) {
    transfer.accepted_at = now;
    if (!transfer.outcome.empty()) return;  // the final NOTIFY overtook the 202
    dialog.refer_timer = timers().schedule(now + config_.refer_timeout, [this, call](TimePoint t) {
      dialogs_[call].refer_timer = TimerId{};
      finish_transfer(t, call, 0, "notify_timeout");
      // RFC 5589 §6: the transferee took the call over; without news we still hang up.
      if (calls_[call].state == CallState::Confirmed) send_bye(t, call);
    });
    return;
  }
  // Refused (or lost): nothing was handed over, the call goes on.
  finish_transfer(now, call, status, "refer_" + std::to_string(status));
}

void UaPhone::finish_transfer(TimePoint now, std::size_t call, int status, std::string failure) {
  Dialog& dialog = dialogs_[call];
  if (dialog.transfer == kNoTransfer) return;
  TransferRecord& transfer = transfers_[dialog.transfer];
  if (!transfer.outcome.empty()) return;
  timers().cancel(dialog.refer_timer);
  transfer.done_at = now;
  transfer.final_status = status;
  transfer.outcome = failure.empty() ? "ok" : "failed";
  transfer.failure = std::move(failure);
  emit(TraceEvent{now, "ua.transfer_done", {}}
           .with("call_id", transfer.call_id)
           .with("target", transfer.target)
           .with("outcome", transfer.outcome)
           .with("status", std::to_string(status)));
}

void UaPhone::on_refer(TimePoint now, transaction::ServerTransactionId id,
                       const sip::Message& refer) {
  const std::size_t call = find_dialog(refer);
  if (call == kNoCall || calls_[call].state == CallState::Terminated) {
    transactions().send_response(
        now, id, 481, sip::make_response(refer, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  if (calls_[call].state != CallState::Confirmed) {
    transactions().send_response(now, id, 403, sip::make_response(refer, 403, "Forbidden"));
    return;
  }
  if (dialogs_[call].referred_leg != kNoCall) {
    // One transfer per call (RFC 3515 §2.4.7 lets us refuse another).
    transactions().send_response(now, id, 491, sip::make_response(refer, 491, "Request Pending"));
    return;
  }
  // from the wire: untrusted. A SIP URI we can INVITE, or 400.
  const std::string target = uri_of(header_value(refer, sip::HeaderId::ReferTo));
  const auto target_uri = sip::parse_uri(target);
  if (target.empty() || !target_uri || !target_uri->is_sip()) {
    transactions().send_response(now, id, 400, sip::make_response(refer, 400, "Bad Refer-To"));
    return;
  }
  std::string referred_by = uri_of(header_value(refer, sip::HeaderId::ReferredBy));
  if (referred_by.empty()) referred_by = uri_of(dialogs_[call].remote_header);
  transactions().send_response(
      now, id, 202,
      sip::make_response(refer, 202, "Accepted", {}, {{"Contact", "<" + contact_uri() + ">"}}));
  ++counters_.refers_received;
  CallRecord& record = calls_[call];
  record.transferred = true;
  emit(TraceEvent{now, "ua.refer_received", {}}
           .with("call_id", record.call_id)
           .with("target", target)
           .with("referred_by", referred_by));
  Dialog& dialog = dialogs_[call];
  timers().cancel(dialog.hangup_timer);  // the transferor hangs this call up
  timers().cancel(dialog.transfer_timer);
  const Duration hold = dialog.hold > Duration::zero() ? dialog.hold : config_.transfer_hold;
  dialog.referred_leg = calls_.size();
  send_notify(now, call, 100, "Trying", /*final=*/false);
  place_call(now, CallPlan{now, target, hold, {}}, call, referred_by);
}

void UaPhone::send_notify(TimePoint now, std::size_t call, int status, std::string_view reason,
                          bool final) {
  OutRequest out;
  if (!in_dialog_request(call, "NOTIFY", out)) return;
  out.cseq = ++dialogs_[call].local_cseq;
  out.tail = {{"Event", "refer"},
              {"Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"},
              {"Contact", "<" + contact_uri() + ">"},
              {"Content-Type", "message/sipfrag;version=2.0"}};
  out.body = "SIP/2.0 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  ++counters_.notifies_sent;
  emit(TraceEvent{now, "ua.notify_sent", {}}
           .with("call_id", calls_[call].call_id)
           .with("status", std::to_string(status))
           .with("final", final ? "1" : "0"));
  (void)send_out(now, Pending::Notify, call, std::move(out));
}

void UaPhone::notify_referrer(TimePoint now, std::size_t leg, int status, std::string_view reason) {
  Dialog& dialog = dialogs_[leg];
  if (dialog.refer_call == kNoCall || dialog.refer_notified) return;
  dialog.refer_notified = true;
  send_notify(now, dialog.refer_call, status, reason, /*final=*/true);
}

void UaPhone::on_notify(TimePoint now, transaction::ServerTransactionId id,
                        const sip::Message& notify) {
  const std::size_t call = find_dialog(notify);
  // The refer subscription may outlive the call (RFC 5057): a NOTIFY for a transfer we started is
  // welcome after the BYE.
  if (call == kNoCall ||
      (calls_[call].state == CallState::Terminated && dialogs_[call].transfer == kNoTransfer)) {
    transactions().send_response(
        now, id, 481, sip::make_response(notify, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  // from the wire: untrusted.
  const std::string_view event = header_value(notify, sip::HeaderId::Event);
  if (!starts_with_ignore_case(event, "refer") ||
      (event.size() > 5 && event[5] != ';' && event[5] != ' ')) {
    transactions().send_response(now, id, 489, sip::make_response(notify, 489, "Bad Event"));
    return;
  }
  transactions().send_response(now, id, 200, sip::make_response(notify, 200, "OK"));
  ++counters_.notifies_received;
  const int status = sipfrag_status(notify.body());
  const bool final =
      starts_with_ignore_case(other_header(notify, "Subscription-State"), "terminated");
  emit(TraceEvent{now, "ua.notify_received", {}}
           .with("call_id", calls_[call].call_id)
           .with("status", std::to_string(status))
           .with("final", final ? "1" : "0"));
  Dialog& dialog = dialogs_[call];
  if (dialog.transfer != kNoTransfer && status != 0) transfers_[dialog.transfer].notified.push_back(status);
  if (!final) return;
  if (dialog.transfer != kNoTransfer) {
    std::string failure;
    if (status < 200 || status >= 300) failure = status == 0 ? "bad_sipfrag" : std::to_string(status);
    finish_transfer(now, call, status, std::move(failure));
  }
  // RFC 5589 §6: the transfer is decided, the original call is ours to end.
  if (calls_[call].state == CallState::Confirmed) send_bye(now, call);
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
    case Pending::Invite: on_invite_response(now, call, response); return;
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
    if (calls_[i].call_id == request.call_id() && dialogs_[i].local_tag == request.to_tag() &&
        dialogs_[i].remote_tag == request.from_tag()) {
      return i;
    }
  }
  return kNoCall;
}

void UaPhone::end_call(TimePoint now, std::size_t call) {
  Dialog& dialog = dialogs_[call];
  timers().cancel(dialog.ok_timer);
  timers().cancel(dialog.ok_give_up);
  timers().cancel(dialog.ring_timer);
  timers().cancel(dialog.answer_timer);
  timers().cancel(dialog.hangup_timer);
  timers().cancel(dialog.transfer_timer);
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
  const std::string& ip = config_.local.ip;
  std::string out = "v=0\r\n";
  out += "o=" + config_.user + " " + id + " " + id + " IN IP4 " + ip + "\r\n";
  out += "s=-\r\n";
  out += "c=IN IP4 " + ip + "\r\n";
  out += "t=0 0\r\n";
  const std::string port = std::to_string(config_.media_port);
  if (offer) {
    out += "m=audio " + port + " RTP/AVP 0 8 101\r\n";
    out += "a=rtpmap:0 PCMU/8000\r\n";
    out += "a=rtpmap:8 PCMA/8000\r\n";
    out += "a=rtpmap:101 telephone-event/8000\r\n";
    out += "a=fmtp:101 0-15\r\n";
  } else {
    out += "m=audio " + port + " RTP/AVP 0\r\n";
    out += "a=rtpmap:0 PCMU/8000\r\n";
  }
  out += "a=sendrecv\r\n";
  return out;
}

}  // namespace resproxy::model
