// GatewayNode: construction, the SIP side of calls toward the PSTN, and what both directions
// share (dialogs, timers, records). gateway_node_card.cpp: card events and calls from the PSTN;
// gateway_node_media.cpp: SDP offer/answer, RTP ports and the media bridge.
#include "proxy/gateway/gateway_node.h"

#include <algorithm>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::gateway {

namespace {

// The user part of a URI as a number: its visual separators (RFC 3966 §5.1.1: - . ( )) dropped.
std::string number_of(std::string_view uri_text) {
  const auto uri = sip::parse_uri(uri_text);
  if (!uri) return {};
  std::string out;
  for (char c : uri->user) {
    if (c == '-' || c == '.' || c == '(' || c == ')') continue;
    out.push_back(c);
  }
  return out;
}

// The URI of a From / P-Asserted-Identity value, "" when it does not parse.
std::string uri_of(std::string_view name_addr) {
  const auto parsed = sip::parse_name_addr(name_addr);
  return parsed ? std::string(parsed.value().uri) : std::string{};
}

}  // namespace

GatewayNode::GatewayNode(GatewayConfig config, std::vector<SpanInfo> spans, Rng& rng,
                         TraceSink& trace)
    : SipNode(config.sip, rng, trace),
      config_(std::move(config)),
      dial_plan_(config_.dial_plan),
      groups_(config_.groups) {
  for (const auto& span : spans) groups_.add_span(span);
  for (std::uint32_t p = config_.rtp_port_first; p + 1 <= config_.rtp_port_last; p += 2) {
    free_rtp_ports_.push_back(static_cast<std::uint16_t>(p));
  }
  std::reverse(free_rtp_ports_.begin(), free_rtp_ports_.end());  // lowest first off the back
  if (config_.media_address.empty()) config_.media_address = config_.sip.transport.local.ip;
}

bool GatewayNode::is_trusted(const Address& source) const {
  if (source.ip == config_.proxy.ip) return true;
  return std::any_of(config_.trusted.begin(), config_.trusted.end(), [&](const Address& a) {
    return a.ip == source.ip && (a.port == 0 || a.port == source.port);
  });
}

std::vector<sip::ExtraHeader> GatewayNode::contact_headers() const {
  const auto& local = config_.sip.transport.local;
  return {{"Contact", "<sip:gw@" + local.to_string() + ">"},
          {"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"}};
}

// RFC 3261 §12.1.1: a UAS copies every Record-Route of the dialog-creating request into its
// dialog-creating responses (18x with a To tag, 2xx), in order, so that the caller's route set
// keeps the proxies that asked to stay in the path (resproxy sees the BYE).
std::vector<sip::ExtraHeader> GatewayNode::dialog_headers(const sip::Message& invite) const {
  auto extra = contact_headers();
  for (const auto& field : invite.headers()) {
    if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
  }
  return extra;
}

GatewayNode::Call* GatewayNode::find_line(SpanId span, LineCallId line) {
  const auto it = by_line_.find({span, line});
  if (it == by_line_.end()) return nullptr;
  const auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : &c->second;
}

GatewayNode::Call* GatewayNode::find_dialog(const sip::Message& message) {
  const auto it = by_call_id_.find(message.call_id());
  if (it == by_call_id_.end()) return nullptr;
  const auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : &c->second;
}

// --- SIP -> PSTN ---------------------------------------------------------------------------

void GatewayNode::on_request(TimePoint now, transaction::ServerTransactionId id,
                             const sip::Message& request, const Path& path) {
  switch (request.method()) {
    case sip::Method::Invite:
      if (request.to_tag().empty()) {
        on_invite(now, id, request, path);
        return;
      }
      on_reinvite(now, id, request);
      return;
    case sip::Method::Cancel: on_cancel(now, id, request); return;
    case sip::Method::Bye: on_bye(now, id, request); return;
    case sip::Method::Options:
      transactions().send_response(now, id, 200,
                                   sip::make_response(request, 200, "OK", rng().token(10), contact_headers()));
      return;
    default:
      transactions().send_response(
          now, id, 405,
          sip::make_response(request, 405, "Method Not Allowed", rng().token(10),
                             {{"Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"}}));
      return;
  }
}

// An INVITE with a To tag (from the wire: untrusted, may name no dialog of ours).
void GatewayNode::on_reinvite(TimePoint now, transaction::ServerTransactionId id,
                              const sip::Message& request) {
  Call* call = find_dialog(request);
  // §12.2.2: a request whose tags match no dialog of ours gets 481. A call that has no dialog
  // (no 1xx with our tag sent yet) or whose SIP side is over has none to match either.
  if (call == nullptr || !call->dialog || !call->dialog->matches(request) || call->sip_done ||
      call->phase == Phase::Ended) {
    transactions().send_response(
        now, id, 481, sip::make_response(request, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  // §12.2.2: a CSeq lower than (or equal to) the last one of the peer is out of order: 500.
  // §14.2: a second INVITE before our final answer to the first gets 500 with a Retry-After of
  // 0..10 s. A call from the PSTN (our INVITE) is answered only once our INVITE has its 2xx.
  const bool pending = call->phase != Phase::Answered;
  if (pending || !call->dialog->accept_remote_cseq(request)) {
    std::vector<sip::ExtraHeader> extra;
    if (pending) extra.push_back({"Retry-After", std::to_string(rng().uniform(11))});
    transactions().send_response(
        now, id, 500, sip::make_response(request, 500, "Server Internal Error", {}, extra));
    return;
  }
  // A re-INVITE (session refresh, hold): the same media, our same answer.
  auto extra = contact_headers();
  extra.push_back({"Content-Type", "application/sdp"});
  transactions().send_response(
      now, id, 200, sip::make_response(request, 200, "OK", call->local_tag, extra, call->sdp_answer));
}

void GatewayNode::on_invite(TimePoint now, transaction::ServerTransactionId id,
                            const sip::Message& invite, const Path& path) {
  if (!is_trusted(path.remote)) {
    ++counters_.refused_untrusted;
    emit_if_wanted(trace(), now, "gw.refused", [&](TraceEvent& e) {
      e.with("source", path.remote.to_string()).with("reason", "untrusted");
    });
    transactions().send_response(now, id, 403,
                                 sip::make_response(invite, 403, "Forbidden", rng().token(10)));
    return;
  }
  if (by_call_id_.contains(invite.call_id())) {
    // A second INVITE of a call we hold (another branch of a fork back to us): §8.2.2.2.
    transactions().send_response(
        now, id, 482, sip::make_response(invite, 482, "Loop Detected", rng().token(10)));
    return;
  }
  Call call;
  call.id = next_call_++;
  call.direction = CallDirection::SipToPstn;
  call.call_id = std::string(invite.call_id());
  call.local_tag = rng().token(10);
  call.invite_in = id;
  call.start = now;
  call.called = number_of(invite.request_uri());
  // The calling party: the asserted identity (from a trusted source only, RFC 3325 §5), else From.
  std::string calling_uri;
  if (const auto* pai = invite.first_named("P-Asserted-Identity")) calling_uri = uri_of(pai->value);
  if (calling_uri.empty()) {
    if (const auto* from = invite.first(sip::HeaderId::From)) calling_uri = uri_of(from->value);
  }
  call.calling = number_of(calling_uri);
  if (const auto* privacy = invite.first_named("Privacy")) {
    call.restricted = sip::text::lowercase(privacy->value).find("id") != std::string::npos;
  }
  // The offer: without one (a late offer) ours goes in the 200 and the answer comes in the ACK.
  if (!invite.body().empty() && !take_remote_sdp(call, invite.body(), /*answer=*/false)) {
    transactions().send_response(
        now, id, 488,
        sip::make_response(invite, 488, "Not Acceptable Here", call.local_tag,
                           {{"Warning", "305 gw \"only PCMA and PCMU\""}}));
    return;
  }
  call.rtp_port = take_rtp_port();
  if (call.rtp_port == 0) {
    transactions().send_response(
        now, id, 503, sip::make_response(invite, 503, "Service Unavailable", call.local_tag));
    return;
  }
  for (auto& route : dial_plan_.routes(CallSource{}, call.called, call.calling)) {
    if (route.target.kind == RouteTarget::Kind::Group) call.routes.push_back(std::move(route));
  }
  ++counters_.calls_sip_to_pstn;
  call.emergency = dial_plan_.is_emergency(call.called) ||
                   std::any_of(call.routes.begin(), call.routes.end(),
                               [](const Route& r) { return r.emergency; });
  if (call.emergency) ++counters_.emergency_calls;
  emit_if_wanted(trace(), now, "gw.call_started", [&](TraceEvent& e) {
    e.with("call_id", call.call_id).with("direction", "sip_to_pstn").with("called", call.called)
        .with("calling", call.calling).with("emergency", call.emergency ? "1" : "0");
  });
  transactions().send_response(now, id, 100, sip::make_response(invite, 100, "Trying"));
  auto [it, inserted] = calls_.emplace(call.id, std::move(call));
  by_call_id_[it->second.call_id] = it->first;
  Call& c = it->second;
  if (c.routes.empty()) {
    ++counters_.no_route;
    c.phase = Phase::Ended;
    answer_sip(now, c, 404, cause::kNoRouteToDestination);
    finish_if_done(now, c);
    return;
  }
  try_next_route(now, c);
}

void GatewayNode::try_next_route(TimePoint now, Call& call) {
  while (call.next_route < call.routes.size()) {
    const Route& route = call.routes[call.next_route++];
    if (!call.tried.empty()) {
      ++counters_.represented;
      emit_if_wanted(trace(), now, "gw.represented", [&](TraceEvent& e) {
        e.with("call_id", call.call_id).with("group", route.target.group)
            .with("after_cause", std::to_string(call.last_cause));
      });
    }
    call.tried += (call.tried.empty() ? "" : ",") + route.target.group;
    const LineCallId line = next_line_call_;
    const auto channel = groups_.seize(route.target.group, line, call.emergency || route.emergency);
    if (!channel) {
      call.last_cause = cause::kNoCircuitAvailable;
      if (dial_plan_.should_represent(call.last_cause)) continue;
      break;
    }
    next_line_call_ += 2;
    call.span = channel->span;
    call.line_call = line;
    call.line_active = true;
    call.phase = Phase::Placing;
    by_line_[{call.span, line}] = call.id;
    PlaceCall place{.call = line, .channel = *channel,
                    .called = {.digits = route.called, .type = NumberType::Unknown},
                    .calling = {.digits = route.calling, .type = NumberType::Unknown}};
    place.calling.restricted = call.restricted;
    if (route.calling.empty()) place.calling.available = false;
    card(call.span, std::move(place));
    return;
  }
  // Every route failed (or none was allowed to be tried again).
  if (call.last_cause == cause::kNoCircuitAvailable) ++counters_.blocked_no_channel;
  call.phase = Phase::Ended;
  answer_sip(now, call, sip_status_for({.value = call.last_cause}).value_or(500), call.last_cause);
  finish_if_done(now, call);
}

void GatewayNode::answer_sip(TimePoint now, Call& call, int status, std::uint8_t cause_value) {
  call.sip_status = status;
  call.cause = cause_value;
  call.sip_done = true;
  const sip::Message* invite = transactions().server_request(call.invite_in);
  if (invite == nullptr) return;
  transactions().send_response(
      now, call.invite_in, status,
      sip::make_response(*invite, status, sip::default_reason(status), call.local_tag,
                         {{"Reason", reason_header(cause_value)}}));
}

void GatewayNode::send_provisional(TimePoint now, Call& call, int status, bool with_sdp) {
  const sip::Message* invite = transactions().server_request(call.invite_in);
  if (invite == nullptr) return;
  if (!call.dialog) {
    if (auto dialog = sip::Dialog::uas(*invite, call.local_tag)) call.dialog = std::move(dialog).value();
  }
  auto extra = dialog_headers(*invite);
  std::string body;
  if (with_sdp && !call.remote_ip.empty()) {
    extra.push_back({"Content-Type", "application/sdp"});
    call.sdp_answer = make_sdp(call, /*offer=*/false);
    body = call.sdp_answer;
  }
  transactions().send_response(
      now, call.invite_in, status,
      sip::make_response(*invite, status, sip::default_reason(status), call.local_tag, extra, body));
}

void GatewayNode::send_ok(TimePoint now, Call& call) {
  const sip::Message* invite = transactions().server_request(call.invite_in);
  if (invite == nullptr) return;
  if (!call.dialog) {
    if (auto dialog = sip::Dialog::uas(*invite, call.local_tag)) call.dialog = std::move(dialog).value();
  }
  auto extra = dialog_headers(*invite);
  extra.push_back({"Content-Type", "application/sdp"});
  // With an offer in the INVITE: our answer; without: our offer (the answer comes in the ACK).
  call.sdp_answer = make_sdp(call, /*offer=*/call.remote_ip.empty());
  call.ok_response = sip::make_response(*invite, 200, "OK", call.local_tag, extra, call.sdp_answer);
  call.sip_status = 200;
  if (!transactions().send_response(now, call.invite_in, 200, call.ok_response)) return;
  // §13.3.1.4: retransmitted from T1, doubling up to T2, until the ACK; BYE after 64*T1.
  call.ok_interval = transactions().timers().t1;
  const std::uint64_t id = call.id;
  call.ok_timer = timers().schedule(now + call.ok_interval, [this, id](TimePoint t) { retransmit_ok(t, id); });
}

void GatewayNode::retransmit_ok(TimePoint now, std::uint64_t id) {
  const auto it = calls_.find(id);
  if (it == calls_.end()) return;
  Call& call = it->second;
  call.ok_timer = TimerId{};
  if (call.ok_response.empty()) return;  // the ACK came
  if (call.answered_at && now - *call.answered_at >= 64 * transactions().timers().t1) {
    // No ACK: the dialog is confirmed and ended (§13.3.1.4).
    call.ok_response.clear();
    if (call.phase != Phase::Ended) {
      call.phase = Phase::Ended;
      if (!call.cause) call.cause = cause::kRecoveryOnTimerExpiry;
      send_in_dialog(now, call, "BYE", cause::kRecoveryOnTimerExpiry);
      clear_line(now, call, cause::kRecoveryOnTimerExpiry);
    }
    call.sip_done = true;
    finish_if_done(now, call);
    return;
  }
  transactions().send_response(now, call.invite_in, 200, call.ok_response);
  call.ok_interval = std::min(2 * call.ok_interval, transactions().timers().t2);
  call.ok_timer = timers().schedule(now + call.ok_interval, [this, id](TimePoint t) { retransmit_ok(t, id); });
}

void GatewayNode::on_ack(TimePoint now, const sip::Message& ack, const Path& /*path*/) {
  Call* call = find_dialog(ack);
  if (call == nullptr || call->direction != CallDirection::SipToPstn || call->ok_response.empty()) return;
  // from the wire: an ACK of another dialog with this Call-ID (an earlier call's, a forged one)
  // must not stop our 2xx retransmissions, nor the BYE that ends an unacknowledged call.
  if (!call->dialog || !call->dialog->matches(ack)) return;
  call->ok_response.clear();
  timers().cancel(call->ok_timer);
  if (call->remote_ip.empty() && !ack.body().empty() && take_remote_sdp(*call, ack.body(), /*answer=*/true)) {
    bridge_media(*call);
  }
  finish_if_done(now, *call);  // a call the PSTN ended before this ACK came
}

void GatewayNode::on_cancel(TimePoint now, transaction::ServerTransactionId id,
                            const sip::Message& cancel) {
  const auto invite_id = transactions().find_invite_for_cancel(cancel);
  if (!invite_id) {
    transactions().send_response(
        now, id, 481, sip::make_response(cancel, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  // §9.2: a CANCEL that matches a transaction is answered 200, even when the INVITE already has
  // its final answer (403, 488, 503…: no call was kept); then it changes nothing.
  Call* call = find_dialog(cancel);
  if (call == nullptr || call->invite_in != *invite_id) {
    transactions().send_response(now, id, 200, sip::make_response(cancel, 200, "OK", rng().token(10)));
    return;
  }
  transactions().send_response(now, id, 200, sip::make_response(cancel, 200, "OK", call->local_tag));
  if (call->phase == Phase::Answered || call->sip_done) return;  // too late: BYE will follow
  std::uint8_t cause_value = cause::kNormalClearing;
  if (const auto* reason = cancel.first_named("Reason")) {
    cause_value = q850_of_reason(reason->value).value_or(cause::kNormalClearing);
  }
  call->sip_status = 487;
  call->sip_done = true;
  if (const sip::Message* invite = transactions().server_request(call->invite_in)) {
    transactions().send_response(
        now, call->invite_in, 487,
        sip::make_response(*invite, 487, "Request Terminated", call->local_tag));
  }
  call->cause = cause_value;
  call->phase = Phase::Ended;
  clear_line(now, *call, cause_value);
  finish_if_done(now, *call);
}

void GatewayNode::on_bye(TimePoint now, transaction::ServerTransactionId id, const sip::Message& bye) {
  Call* call = find_dialog(bye);
  if (call == nullptr || !call->dialog || !call->dialog->matches(bye)) {
    transactions().send_response(
        now, id, 481, sip::make_response(bye, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  transactions().send_response(now, id, 200, sip::make_response(bye, 200, "OK"));
  std::uint8_t cause_value = cause::kNormalClearing;
  if (const auto* reason = bye.first_named("Reason")) {
    cause_value = q850_of_reason(reason->value).value_or(cause::kNormalClearing);
  }
  call->ok_response.clear();
  timers().cancel(call->ok_timer);
  if (call->direction == CallDirection::SipToPstn && !call->sip_done &&
      call->phase != Phase::Answered) {
    // A BYE in the early dialog of our 18x (§15.1.2): the INVITE still pending gets its final
    // answer, 487; without it its server transaction would wait for one for ever.
    call->sip_status = 487;
    if (const sip::Message* invite = transactions().server_request(call->invite_in)) {
      transactions().send_response(
          now, call->invite_in, 487,
          sip::make_response(*invite, 487, "Request Terminated", call->local_tag));
    }
  }
  call->sip_done = true;
  if (!call->cause) call->cause = cause_value;
  call->phase = Phase::Ended;
  clear_line(now, *call, cause_value);
  finish_if_done(now, *call);
}

// --- Both directions -----------------------------------------------------------------------

void GatewayNode::clear_line(TimePoint /*now*/, Call& call, std::uint8_t cause_value) {
  if (!call.line_active) return;
  card(call.span, ClearCall{.call = call.line_call, .cause = cause_value});
  // line_active stays until CallReleased: only then is the channel free (card.h).
}

void GatewayNode::start_duration_limit(TimePoint now, Call& call) {
  if (config_.max_call_duration <= Duration::zero()) return;
  const std::uint64_t id = call.id;
  call.duration_timer = timers().schedule(now + config_.max_call_duration, [this, id](TimePoint t) {
    const auto it = calls_.find(id);
    if (it == calls_.end() || it->second.phase != Phase::Answered) return;
    Call& c = it->second;
    c.duration_timer = TimerId{};
    emit_if_wanted(trace(), t, "gw.duration_limit", [&](TraceEvent& e) { e.with("call_id", c.call_id); });
    c.cause = cause::kNormalClearing;
    c.phase = Phase::Ended;
    if (!c.sip_done) {
      send_in_dialog(t, c, "BYE", cause::kNormalClearing);
      c.sip_done = true;
    }
    clear_line(t, c, cause::kNormalClearing);
    finish_if_done(t, c);
  });
}

void GatewayNode::finish_if_done(TimePoint now, Call& call) {
  if (call.line_active || !call.sip_done || call.phase != Phase::Ended) return;
  if (call.direction == CallDirection::SipToPstn && !call.ok_response.empty()) return;
  timers().cancel(call.ok_timer);
  timers().cancel(call.duration_timer);
  emit_if_wanted(trace(), now, "gw.call_ended", [&](TraceEvent& e) {
    e.with("call_id", call.call_id)
        .with("direction", call.direction == CallDirection::SipToPstn ? "sip_to_pstn" : "pstn_to_sip")
        .with("called", call.called)
        .with("calling", call.calling)
        .with("span", std::to_string(call.span))
        .with("routes_tried", call.tried)
        .with("answered", call.answered_at ? "1" : "0")
        .with("duration_ms", call.answered_at
                                 ? std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      now - *call.answered_at).count())
                                 : "0")
        .with("cause", call.cause ? std::to_string(*call.cause) : "")
        .with("sip_status", std::to_string(call.sip_status))
        .with("emergency", call.emergency ? "1" : "0");
  });
  release_rtp_port(call.rtp_port);
  by_call_id_.erase(call.call_id);
  if (call.invite_out.value != 0) by_client_.erase(call.invite_out);
  calls_.erase(call.id);
}

void GatewayNode::handle_command(TimePoint now, const AdminCommand& command) {
  if (!std::holds_alternative<admin::ShowChannels>(command.request)) {
    SipNode::handle_command(now, command);
    return;
  }
  admin::Channels out;
  for (const auto& status : channel_status()) {
    admin::ChannelRow row;
    row.span = status.channel.span;
    row.channel = status.channel.channel;
    row.group = status.group;
    switch (status.state) {
      case ChannelState::Idle: row.state = "idle"; break;
      case ChannelState::Outgoing: row.state = "outgoing"; break;
      case ChannelState::Incoming: row.state = "incoming"; break;
      case ChannelState::Blocked: row.state = "blocked"; break;
    }
    row.answered = status.answered;
    row.called = status.called;
    row.calling = status.calling;
    if (status.since) {
      row.since_s = std::chrono::duration_cast<std::chrono::seconds>(now - *status.since).count();
    }
    out.rows.push_back(std::move(row));
  }
  reply(command.id, std::move(out));
}

std::vector<ChannelStatus> GatewayNode::channel_status() const {
  std::vector<ChannelStatus> out;
  for (const auto& view : groups_.channels()) {
    ChannelStatus status;
    status.channel = view.channel;
    status.group = view.group;
    status.state = view.state;
    if (view.call) {
      const auto it = by_line_.find({view.channel.span, *view.call});
      if (it != by_line_.end()) {
        if (const auto c = calls_.find(it->second); c != calls_.end()) {
          status.called = c->second.called;
          status.calling = c->second.calling;
          status.since = c->second.answered_at ? c->second.answered_at : c->second.start;
          status.answered = c->second.answered_at.has_value();
        }
      }
    }
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace resproxy::gateway
