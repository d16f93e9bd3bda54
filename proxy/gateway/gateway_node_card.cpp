// GatewayNode: card events, and calls from the PSTN toward SIP (gateway_node.h).
#include <algorithm>

#include "proxy/gateway/gateway_node.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::gateway {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

bool is_ipv4_literal(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.';
  });
}

}  // namespace

void GatewayNode::handle_completion(TimePoint now, const Completion& completion) {
  if (const auto* from = std::get_if<FromCard>(&completion)) on_card_event(now, from->span, from->event);
}

void GatewayNode::on_card_event(TimePoint now, SpanId span, const CardEvent& event) {
  const auto call_of = [&](LineCallId line) { return find_line(span, line); };
  std::visit(
      Overloaded{
          [&](const IncomingCall& e) { on_incoming(now, span, e); },
          [&](const DigitsReceived&) {},  // overlap receiving: calls are routed en bloc (docs)
          [&](const CallProceeding&) {},
          [&](const CallAlerting& e) {
            if (Call* c = call_of(e.call)) on_line_progress(now, *c, e.inband ? 183 : 180, e.inband);
          },
          [&](const CallProgress& e) {
            if (Call* c = call_of(e.call); c != nullptr && e.inband) on_line_progress(now, *c, 183, true);
          },
          [&](const CallAnswered& e) {
            if (Call* c = call_of(e.call)) on_line_answered(now, *c);
          },
          [&](const CallDisconnected& e) {
            if (Call* c = call_of(e.call)) on_line_disconnected(now, *c, e.cause);
          },
          [&](const CallReleased& e) {
            if (Call* c = call_of(e.call)) {
              on_line_released(now, *c, e.cause);
            } else if (auto channel = groups_.channel_of(span, e.call)) {
              groups_.release(*channel);  // a call we refused at once (occupy said no)
            }
          },
          [&](const DtmfReceived& e) {
            emit_if_wanted(trace(), now, "gw.dtmf", [&](TraceEvent& t) {
              t.with("span", std::to_string(span)).with("digit", std::string(1, e.digit));
            });
          },
          [&](const SpanState& e) {
            groups_.set_alarm(e.span, e.alarm);
            emit_if_wanted(trace(), now, "gw.span_state", [&](TraceEvent& t) {
              t.with("span", std::to_string(e.span)).with("alarm", std::to_string(static_cast<int>(e.alarm)));
            });
          },
          [&](const ChannelsRestarted&) {},  // each call on them ends with its CallReleased
      },
      event);
}

void GatewayNode::on_line_progress(TimePoint now, Call& call, int status, bool inband) {
  if (call.phase != Phase::Placing && call.phase != Phase::Early) return;
  call.phase = Phase::Early;
  if (call.direction != CallDirection::SipToPstn || call.sip_done) return;
  // In-band progress (ringback or an announcement from the PSTN): 183 with SDP, the channel
  // bridged, so the caller hears it (early media).
  send_provisional(now, call, status, inband);
  if (inband) bridge_media(call);
}

void GatewayNode::on_line_answered(TimePoint now, Call& call) {
  if (call.phase == Phase::Answered || call.phase == Phase::Ended) return;
  call.phase = Phase::Answered;
  call.answered_at = now;
  ++counters_.answered;
  if (call.direction == CallDirection::SipToPstn) send_ok(now, call);
  bridge_media(call);
  start_duration_limit(now, call);
}

void GatewayNode::on_line_disconnected(TimePoint now, Call& call, Cause cause) {
  // The card waits for our ClearCall; the SIP side learns of it now (before answer: at the
  // release, which may re-present the call).
  call.last_cause = cause.value;
  call.disconnected = true;
  if (call.phase == Phase::Answered) {
    call.phase = Phase::Ended;
    if (!call.sip_done) {
      call.sip_done = true;
      send_in_dialog(now, call, "BYE", cause.value);
    }
  }
  clear_line(now, call, cause.value);
}

void GatewayNode::on_line_released(TimePoint now, Call& call, Cause cause) {
  unbridge_media(call);  // the line call is over: so is its audio
  if (auto channel = groups_.channel_of(call.span, call.line_call)) groups_.release(*channel);
  by_line_.erase({call.span, call.line_call});
  call.line_active = false;
  // A release without a disconnect before it carries the cause itself.
  if (!call.disconnected && call.phase != Phase::Ended) call.last_cause = cause.value;
  call.disconnected = false;
  if (call.phase == Phase::Answered) {
    call.phase = Phase::Ended;
    if (!call.cause) call.cause = cause.value;
    if (!call.sip_done) {
      call.sip_done = true;
      send_in_dialog(now, call, "BYE", cause.value);
    }
  } else if (call.phase != Phase::Ended) {
    // Before answer.
    if (call.direction == CallDirection::SipToPstn && !call.sip_done) {
      if (dial_plan_.should_represent(call.last_cause) && call.next_route < call.routes.size()) {
        try_next_route(now, call);
        return;
      }
      call.phase = Phase::Ended;
      answer_sip(now, call, sip_status_for(Cause{.value = call.last_cause}).value_or(480),
                 call.last_cause);
    } else if (call.direction == CallDirection::PstnToSip && !call.sip_done) {
      // The PSTN caller gave up: CANCEL the INVITE. The call waits for the INVITE's final answer
      // (its 487 ends the SIP side; a 2xx that crossed the CANCEL gets its ACK and a BYE, §9.1,
      // §15), for 64*T1 at most: the answer may never come (§9.1).
      call.sip_done = true;
      if (const sip::Message* invite = transactions().client_request(call.invite_out)) {
        if (auto cancel = sip::Message::parse(sip::make_cancel(*invite))) {
          transactions().send_request(now, std::move(cancel).value(),
                                      transport::Destination{Transport::Udp, config_.proxy, StreamId{}});
          call.sip_done = false;
          const std::uint64_t id = call.id;
          call.ok_timer = timers().schedule(now + 64 * transactions().timers().t1, [this, id](TimePoint t) {
            const auto it = calls_.find(id);
            if (it == calls_.end()) return;
            it->second.ok_timer = TimerId{};
            it->second.sip_done = true;
            finish_if_done(t, it->second);
          });
        }
      }
    }
    call.phase = Phase::Ended;
    if (!call.cause) call.cause = call.last_cause;
  }
  finish_if_done(now, call);
}

// --- PSTN -> SIP ---------------------------------------------------------------------------

void GatewayNode::on_incoming(TimePoint now, SpanId span, const IncomingCall& incoming) {
  Call call;
  call.id = next_call_++;
  call.direction = CallDirection::PstnToSip;
  call.span = span;
  call.line_call = incoming.call;
  call.line_active = true;
  call.start = now;
  call.call_id = rng().token(16) + "@" + config_.sip.transport.local.ip;
  call.local_tag = rng().token(10);
  call.calling = incoming.calling.available ? incoming.calling.digits : std::string{};
  call.restricted = incoming.calling.restricted;
  const auto group = groups_.group_of(span);
  call.called = incoming.called.digits;
  if (call.called.empty() && group) {
    if (const auto it = config_.incoming_destination.find(*group); it != config_.incoming_destination.end()) {
      call.called = it->second;
    }
  }
  ++counters_.calls_pstn_to_sip;
  emit_if_wanted(trace(), now, "gw.call_started", [&](TraceEvent& e) {
    e.with("call_id", call.call_id).with("direction", "pstn_to_sip").with("called", call.called)
        .with("calling", call.calling).with("span", std::to_string(span))
        .with("channel", std::to_string(incoming.channel.channel));
  });
  auto [it, inserted] = calls_.emplace(call.id, std::move(call));
  Call& c = it->second;
  by_line_[{span, c.line_call}] = c.id;
  by_call_id_[c.call_id] = c.id;
  const auto refuse = [&](std::uint8_t cause_value) {
    c.cause = cause_value;
    c.last_cause = cause_value;
    c.sip_done = true;
    c.phase = Phase::Ended;
    clear_line(now, c, cause_value);
  };
  if (!group) {
    refuse(cause::kNoCircuitAvailable);
    return;
  }
  std::optional<Route> route;
  for (auto& r : dial_plan_.routes(CallSource{.kind = CallSource::Kind::Group, .group = *group},
                                   c.called, c.calling)) {
    if (r.target.kind == RouteTarget::Kind::Sip) {
      route = std::move(r);
      break;
    }
  }
  c.emergency = route && route->emergency;
  if (!groups_.occupy(incoming.channel, c.line_call, c.emergency)) {
    ++counters_.blocked_no_channel;
    refuse(cause::kNoCircuitAvailable);
    return;
  }
  if (!route) {
    ++counters_.no_route;
    refuse(cause::kUnallocatedNumber);
    return;
  }
  c.tried = "sip";
  c.rtp_port = take_rtp_port();
  if (c.rtp_port == 0) {
    refuse(cause::kResourceUnavailable);
    return;
  }
  card(span, AcceptCall{.call = c.line_call});
  // The INVITE toward resproxy. A withheld number goes as Anonymous (RFC 3323) with the number
  // in P-Asserted-Identity and Privacy: id, for resproxy's trusted network to honour (RFC 3325).
  const std::string& domain = config_.domain;
  const std::string target = "sip:" + route->called + "@" + domain;
  std::vector<sip::ExtraHeader> headers;
  const std::string branch = transactions().new_branch();
  headers.push_back({"Via", via_for(Transport::Udp, branch)});
  headers.push_back({"Max-Forwards", "70"});
  const bool show = !route->calling.empty() && !c.restricted;
  headers.push_back({"From", (show ? "<sip:" + route->calling + "@" + domain + ">"
                                   : std::string("\"Anonymous\" <sip:anonymous@anonymous.invalid>")) +
                                 ";tag=" + c.local_tag});
  headers.push_back({"To", "<" + target + ">"});
  headers.push_back({"Call-ID", c.call_id});
  headers.push_back({"CSeq", "1 INVITE"});
  if (!route->calling.empty()) {
    headers.push_back({"P-Asserted-Identity", "<sip:" + route->calling + "@" + domain + ">"});
  }
  if (c.restricted) headers.push_back({"Privacy", "id"});
  for (auto& h : contact_headers()) headers.push_back(std::move(h));
  headers.push_back({"Content-Type", "application/sdp"});
  auto invite = sip::Message::parse(sip::make_request("INVITE", target, headers, make_sdp(c, /*offer=*/true)));
  if (!invite) {  // a number the dial plan let through that no URI can carry
    refuse(cause::kInvalidNumberFormat);
    return;
  }
  c.invite_out = transactions().send_request(now, std::move(invite).value(),
                                             transport::Destination{Transport::Udp, config_.proxy, StreamId{}});
  by_client_[c.invite_out] = c.id;
}

void GatewayNode::on_response(TimePoint now, transaction::ClientTransactionId id,
                              const sip::Message& response) {
  const auto it = by_client_.find(id);
  if (it == by_client_.end()) return;  // a BYE's or CANCEL's answer: nothing waits for it
  const auto c = calls_.find(it->second);
  if (c == calls_.end()) return;
  on_invite_response(now, c->second, response);
}

void GatewayNode::on_invite_response(TimePoint now, Call& call, const sip::Message& response) {
  const int status = response.status_code();
  if (status < 200) {
    if (call.sip_done || call.phase == Phase::Answered) return;
    if (status == 183 && !response.body().empty() && take_remote_sdp(call, response.body(), /*answer=*/true)) {
      call.phase = Phase::Early;
      bridge_media(call);
      card(call.span, ProgressCall{.call = call.line_call});
    } else if (status == 180 && call.phase != Phase::Early) {
      call.phase = Phase::Early;
      card(call.span, AlertCall{.call = call.line_call, .inband = false});
    }
    return;
  }
  if (status >= 300) {
    if (call.phase == Phase::Ended) {  // the answer to an INVITE we cancelled
      if (call.sip_status == 0) call.sip_status = status;
      call.sip_done = true;
      finish_if_done(now, call);
      return;
    }
    std::optional<std::uint8_t> value;
    if (const auto* reason = response.first_named("Reason")) value = q850_of_reason(reason->value);
    if (!value) value = q850_for_status(status);
    const std::uint8_t cause_value = value.value_or(cause::kNormalClearing);
    call.sip_status = status;
    call.cause = cause_value;
    call.sip_done = true;
    call.phase = Phase::Ended;
    clear_line(now, call, cause_value);
    finish_if_done(now, call);
    return;
  }
  // 2xx: the dialog (§12.1.2), the ACK (§13.2.2.4), the line answered.
  const sip::Message* invite = transactions().client_request(call.invite_out);
  if (!call.dialog && invite != nullptr) {
    if (auto dialog = sip::Dialog::uac(*invite, response)) call.dialog = std::move(dialog).value();
  }
  if (!call.dialog) return;
  if (!call.answered_at && !response.body().empty()) (void)take_remote_sdp(call, response.body(), /*answer=*/true);
  const auto target = call.dialog->target();
  if (target) {
    const Address to = next_hop_of(*target);
    if (auto ack = call.dialog->make_ack(via_for(Transport::Udp, transactions().new_branch()))) {
      transactions().send_stateless(now, transport::Destination{Transport::Udp, to, StreamId{}},
                                    std::move(ack).value());
    }
  }
  call.sip_status = status;
  if (call.answered_at || call.phase == Phase::Ended) {
    // A retransmitted 2xx (answered with the ACK above), or one after we gave up: end it.
    if (call.phase == Phase::Ended && !call.answered_at) {
      send_in_dialog(now, call, "BYE", call.last_cause);
      call.sip_done = true;
      finish_if_done(now, call);
    }
    return;
  }
  card(call.span, AnswerCall{.call = call.line_call});
  on_line_answered(now, call);
}

void GatewayNode::on_client_error(TimePoint now, transaction::ClientTransactionId id,
                                  transaction::TransactionError error) {
  const auto it = by_client_.find(id);
  if (it == by_client_.end()) return;
  const auto c = calls_.find(it->second);
  if (c == calls_.end()) return;
  Call& call = c->second;
  if (call.phase == Phase::Ended && !call.sip_done) {  // an INVITE we cancelled timed out
    call.sip_done = true;
    finish_if_done(now, call);
    return;
  }
  if (call.sip_done || call.answered_at) return;
  // RFC 3398: 408 -> 102 (recovery on timer expiry), 503 -> 41.
  const std::uint8_t cause_value = error == transaction::TransactionError::Timeout
                                       ? cause::kRecoveryOnTimerExpiry
                                       : cause::kTemporaryFailure;
  call.sip_status = transaction::to_sip_status(error);
  call.cause = cause_value;
  call.sip_done = true;
  call.phase = Phase::Ended;
  clear_line(now, call, cause_value);
  finish_if_done(now, call);
}

// Where a request in the dialog goes (§12.2.1.1, §8.1.2): its next hop when that is an IPv4
// address, else resproxy (the gateway resolves no names).
Address GatewayNode::next_hop_of(const sip::DialogTarget& target) const {
  if (const auto uri = sip::parse_uri(target.next_hop); uri && is_ipv4_literal(uri->host)) {
    return Address{std::string(uri->host), uri->port.value_or(5060)};
  }
  return config_.proxy;
}

void GatewayNode::send_in_dialog(TimePoint now, Call& call, std::string_view method, std::uint8_t cause_value) {
  if (!call.dialog) return;
  const auto target = call.dialog->target();
  if (!target) return;
  const Address to = next_hop_of(*target);
  auto bytes = call.dialog->make_request(method, via_for(Transport::Udp, transactions().new_branch()),
                                         {{"Reason", reason_header(cause_value)}});
  if (!bytes) return;
  auto request = sip::Message::parse(std::move(bytes).value());
  if (!request) return;
  transactions().send_request(now, std::move(request).value(),
                              transport::Destination{Transport::Udp, to, StreamId{}});
}

}  // namespace resproxy::gateway
