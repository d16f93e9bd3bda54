#include "model/ua_phone.h"

#include <algorithm>
#include <charconv>

#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::model {

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS";

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

// --- REGISTER (§10.2) --------------------------------------------------------------------------

void UaPhone::send_register(TimePoint now) {
  if (!config_.outbound_proxy) {
    on_register_failed(now, 0, "no_registrar");
    return;
  }
  const std::string branch = transactions().new_branch();
  ++register_cseq_;
  std::string bytes = sip::make_request(
      "REGISTER", "sip:" + config_.domain,
      {{"Via", via_for(config_.transport, branch)},
       {"Max-Forwards", "70"},
       {"From", "<" + aor() + ">;tag=" + register_from_tag_},
       {"To", "<" + aor() + ">"},
       {"Call-ID", register_call_id_},
       {"CSeq", std::to_string(register_cseq_) + " REGISTER"},
       {"Contact", "<" + contact_uri() + ">"},
       {"Expires", seconds_text(requested_expires_)},
       {"Allow", std::string(kAllow)}});
  auto request = sip::Message::parse(std::move(bytes));
  RESPROXY_CHECK(request.has_value());  // built from our own valid parts
  ++counters_.registers_sent;
  const auto id = transactions().send_request(
      now, std::move(request).value(),
      transport::Destination{config_.transport, *config_.outbound_proxy, StreamId{}});
  pending_.push_back({id, Pending::Register, kNoCall});
  registrations_.push_back(RegistrationRecord{now, std::nullopt, 0});
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

void UaPhone::place_call(TimePoint now, const CallPlan& plan) {
  const std::size_t call = calls_.size();
  CallRecord& record = calls_.emplace_back();
  Dialog& dialog = dialogs_.emplace_back();
  ++calls_in_progress_;
  record.role = CallRole::Caller;
  record.call_id = rng().token(16) + "@" + config_.local.ip;
  record.caller = aor();
  record.callee = plan.target;
  record.invite_at = now;
  dialog.local_tag = rng().token(10);
  dialog.local_header = "<" + aor() + ">;tag=" + dialog.local_tag;
  dialog.remote_header = "<" + plan.target + ">";
  dialog.local_cseq = 1;
  dialog.invite_cseq = 1;
  dialog.hold = plan.hold;

  emit(TraceEvent{now, "ua.call_started", {}}
           .with("call_id", record.call_id)
           .with("role", "caller")
           .with("from", record.caller)
           .with("to", record.callee));
  if (active_call_ != kNoCall && !config_.multi_line) {
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
  const std::string branch = transactions().new_branch();
  std::string bytes = sip::make_request(
      "INVITE", plan.target,
      {{"Via", via_for(to->transport, branch)},
       {"Max-Forwards", "70"},
       {"From", dialog.local_header},
       {"To", dialog.remote_header},
       {"Call-ID", record.call_id},
       {"CSeq", std::to_string(dialog.invite_cseq) + " INVITE"},
       {"Contact", "<" + contact_uri() + ">"},
       {"Allow", std::string(kAllow)},
       {"Content-Type", "application/sdp"}},
      sdp(/*offer=*/true));
  auto request = sip::Message::parse(std::move(bytes));
  if (!request) {  // a target the parser refuses (scenario error): fail the call, do not crash
    fail_call(now, call, 0, "bad_target");
    return;
  }
  if (!config_.multi_line) active_call_ = call;
  ++counters_.invites_sent;
  const auto id = transactions().send_request(now, std::move(request).value(), *to);
  pending_.push_back({id, Pending::Invite, call});
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
  const InDialog target = in_dialog_target(dialog);
  record.bye_at = now;
  record.ended_locally = true;
  if (!target.to) {
    fail_call(now, call, record.final_status, "no_route_for_bye");
    return;
  }
  const std::string branch = transactions().new_branch();
  ++dialog.local_cseq;  // §12.2.1.1: one higher than the last request in the dialog
  std::vector<sip::ExtraHeader> headers = {{"Via", via_for(target.to->transport, branch)},
                                           {"Max-Forwards", "70"}};
  for (const auto& route : target.routes) headers.push_back({"Route", route});
  headers.push_back({"From", dialog.local_header});
  headers.push_back({"To", dialog.remote_header});
  headers.push_back({"Call-ID", record.call_id});
  headers.push_back({"CSeq", std::to_string(dialog.local_cseq) + " BYE"});
  auto request = sip::Message::parse(sip::make_request("BYE", target.request_uri, headers));
  if (!request) {  // a remote target or route from the wire that we cannot write back
    fail_call(now, call, record.final_status, "bad_remote_target");
    return;
  }
  record.state = CallState::Terminating;
  emit(TraceEvent{now, "ua.bye_sent", {}}.with("call_id", record.call_id));
  const auto id = transactions().send_request(now, std::move(request).value(), *target.to);
  pending_.push_back({id, Pending::Bye, call});
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

// --- Shared ------------------------------------------------------------------------------------

void UaPhone::on_response(TimePoint now, transaction::ClientTransactionId id,
                          const sip::Message& response) {
  const bool final = response.status_code() >= 200;
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const PendingRequest& p) { return p.id == id; });
  if (it == pending_.end()) return;
  const PendingRequest pending = *it;
  // An INVITE's entry stays after a 2xx: 2xx retransmissions still arrive on it (RFC 6026).
  if (final && !(pending.kind == Pending::Invite && response.status_code() < 300)) {
    pending_.erase(it);
  }
  switch (pending.kind) {
    case Pending::Register:
      if (final) {
        if (!registrations_.empty() && !registrations_.back().done_at) {
          registrations_.back().done_at = now;
          registrations_.back().status = response.status_code();
        }
        on_register_response(now, response);
      }
      return;
    case Pending::Invite: on_invite_response(now, pending.call, response); return;
    case Pending::Bye:
      if (final) on_bye_response(now, pending.call, response.status_code());
      return;
  }
}

void UaPhone::on_client_error(TimePoint now, transaction::ClientTransactionId id,
                              transaction::TransactionError error) {
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [id](const PendingRequest& p) { return p.id == id; });
  if (it == pending_.end()) return;
  const PendingRequest pending = *it;
  pending_.erase(it);
  const int status = transaction::to_sip_status(error);
  switch (pending.kind) {
    case Pending::Register:
      if (!registrations_.empty() && !registrations_.back().done_at) {
        registrations_.back().done_at = now;
        registrations_.back().status = status;
      }
      on_register_failed(now, status, transaction::to_string(error));
      return;
    case Pending::Invite: {
      CallRecord& record = calls_[pending.call];
      if (record.answered_at || record.state == CallState::Terminated) return;
      record.final_status = status;
      fail_call(now, pending.call, status, std::string(transaction::to_string(error)));
      return;
    }
    case Pending::Bye: on_bye_response(now, pending.call, status); return;
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
