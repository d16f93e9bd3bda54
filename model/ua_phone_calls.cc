// UaPhone: the caller and callee sides of a call (RFC 3261 §13–§15).
#include <algorithm>

#include "model/ua_phone.h"
#include "model/ua_phone_detail.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"

namespace resproxy::model {

using ua_detail::header_value;
using ua_detail::kAllow;

// --- Caller side -------------------------------------------------------------------------------

void UaPhone::place_call(TimePoint now, const CallPlan& plan, std::size_t refer_call,
                         std::string_view referred_by) {
  const std::size_t call = calls_.size();
  CallRecord& record = calls_.emplace_back();
  Leg& leg = legs_.emplace_back();
  ++calls_in_progress_;
  const std::string from_uri =
      plan.from_user.empty() ? aor() : "sip:" + plan.from_user + "@" + config_.domain;
  record.role = CallRole::Caller;
  record.call_id = rng().token(16) + "@" + config_.local.ip;
  record.caller = from_uri;
  record.callee = plan.target;
  record.invite_at = now;
  leg.local_tag = rng().token(10);
  leg.invite_cseq = 1;
  leg.hold = plan.hold;
  if (refer_call != kNoCall) {
    leg.refer_call = refer_call;
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
  out.head = {{"From", "<" + from_uri + ">;tag=" + leg.local_tag},
              {"To", "<" + plan.target + ">"},
              {"Call-ID", record.call_id}};
  out.tail = {{"Contact", "<" + contact_uri() + ">"},
              {"Allow", std::string(kAllow)},
              {"Content-Type", "application/sdp"}};
  if (!referred_by.empty()) out.tail.emplace_back("Referred-By", "<" + std::string(referred_by) + ">");
  out.cseq = leg.invite_cseq;
  out.body = sdp(/*offer=*/true);
  if (!config_.multi_line) active_call_ = call;
  if (!send_out(now, Pending::Invite, call, std::move(out))) {
    // a target the parser refuses (scenario error): fail the call, do not crash
    fail_call(now, call, 0, "bad_target");
    return;
  }
  ++counters_.invites_sent;
}

void UaPhone::on_invite_response(TimePoint now, std::size_t call,
                                 transaction::ClientTransactionId id,
                                 const sip::Message& response) {
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
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
    if (!leg.ack.empty() && leg.dialog && response.to_tag() == leg.dialog->remote_tag()) {
      ++counters_.ack_retransmissions;
      emit(TraceEvent{now, "ua.ack_resent", {}}.with("call_id", record.call_id));
      transactions().send_stateless(now, leg.ack_to, leg.ack);
    }
    return;
  }
  if (record.state == CallState::Terminated) return;  // failed locally meanwhile
  // §12.1.2: the dialog from our INVITE (the transaction's, the one the 2xx answers) and the 2xx:
  // remote tag, remote target and route set (Record-Route reversed).
  const sip::Message* invite = transactions().client_request(id);
  if (invite != nullptr) {
    if (auto dialog = sip::Dialog::uac(*invite, response)) leg.dialog = std::move(dialog).value();
  }
  if (!leg.dialog) {  // a 2xx without its INVITE transaction: the layer never does that
    record.final_status = status;
    fail_call(now, call, status, "no_dialog");
    return;
  }
  record.answered_at = now;
  record.final_status = status;
  record.state = CallState::Confirmed;
  record.route_set = leg.dialog->route_set();
  emit(TraceEvent{now, "ua.call_answered", {}}
           .with("call_id", record.call_id)
           .with("role", "caller")
           .with("status", std::to_string(status)));
  send_ack(now, call);
  if (record.state == CallState::Confirmed) start_media(now, call, response.body(), /*we_offered=*/true);
  notify_referrer(now, call, status, response.reason_phrase());
  leg.hangup_timer =
      timers().schedule(now + leg.hold, [this, call](TimePoint t) {
        legs_[call].hangup_timer = TimerId{};
        if (calls_[call].state == CallState::Confirmed) send_bye(t, call);
      });
}

void UaPhone::send_ack(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
  const auto to = in_dialog_destination(*leg.dialog);
  if (!to) {
    fail_call(now, call, record.final_status, "no_route_for_ack");
    return;
  }
  // §13.2.2.4: the ACK for a 2xx is a new request outside any transaction, with a new branch,
  // sent end to end through the route set, with the INVITE's CSeq number.
  const std::string branch = transactions().new_branch();
  auto ack = leg.dialog->make_ack(via_for(to->transport, branch));
  if (!ack) {  // the route set was usable a moment ago: cannot happen
    fail_call(now, call, record.final_status, "no_route_for_ack");
    return;
  }
  leg.ack = std::move(ack).value();
  leg.ack_to = *to;
  record.ack_at = now;
  transactions().send_stateless(now, leg.ack_to, leg.ack);
}

void UaPhone::send_bye(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
  timers().cancel(leg.hangup_timer);
  timers().cancel(leg.transfer_timer);
  record.bye_at = now;
  record.ended_locally = true;
  OutRequest out;
  if (!in_dialog_request(call, "BYE", out)) {
    fail_call(now, call, record.final_status, "no_route_for_bye");
    return;
  }
  record.state = CallState::Terminating;  // the dialog gives the BYE the next CSeq (§12.2.1.1)
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
  Leg& leg = legs_.emplace_back();
  ++calls_in_progress_;
  record.role = CallRole::Callee;
  record.call_id = std::string(invite.call_id());
  record.callee = std::string(invite.request_uri());
  if (const auto from = sip::parse_name_addr(header_value(invite, sip::HeaderId::From))) {
    record.caller = std::string(from->uri);
  }
  record.invite_at = now;
  // §12.1.1: the dialog as the UAS sees it (none without a Contact to reach the caller at).
  leg.local_tag = rng().token(10);
  leg.remote_tag = std::string(invite.from_tag());
  if (auto dialog = sip::Dialog::uas(invite, leg.local_tag)) leg.dialog = std::move(dialog).value();
  record.route_set = sip::record_route_values(invite);
  leg.invite_cseq = invite.cseq().number;
  leg.invite_txn = id;
  if (!config_.multi_line) active_call_ = call;
  emit(TraceEvent{now, "ua.call_started", {}}
           .with("call_id", record.call_id)
           .with("role", "callee")
           .with("from", record.caller)
           .with("to", record.callee));
  if (!leg.dialog) {
    // §8.1.1.8: an INVITE must carry a Contact; without one there is no dialog to build.
    transactions().send_response(
        now, id, 400, sip::make_response(invite, 400, "Missing Contact", leg.local_tag));
    record.final_status = 400;
    fail_call(now, call, 400, "no_contact");
    return;
  }
  leg.ring_timer = timers().schedule(now + config_.ring_delay, [this, call](TimePoint t) {
    legs_[call].ring_timer = TimerId{};
    send_ringing(t, call);
  });
}

// A dialog-creating response echoes the INVITE's Record-Route (RFC 3261 §12.1.1) and names
// our Contact.
std::vector<sip::ExtraHeader> UaPhone::dialog_response_headers(const sip::Dialog& dialog) const {
  std::vector<sip::ExtraHeader> extra;
  for (const auto& rr : dialog.route_set()) extra.push_back({"Record-Route", rr});
  extra.push_back({"Contact", "<" + contact_uri() + ">"});
  return extra;
}

void UaPhone::send_ringing(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
  if (record.state != CallState::Calling || !leg.dialog) return;
  const sip::Message* invite = transactions().server_request(leg.invite_txn);
  if (invite == nullptr) return;  // the transaction is gone (cannot happen before a final)
  std::vector<sip::ExtraHeader> extra = dialog_response_headers(*leg.dialog);
  transactions().send_response(
      now, leg.invite_txn, 180,
      sip::make_response(*invite, 180, "Ringing", leg.local_tag, extra));
  record.ringing_at = now;
  record.state = CallState::Early;
  emit(TraceEvent{now, "ua.call_ringing", {}}.with("call_id", record.call_id));
  leg.answer_timer = timers().schedule(now + config_.answer_delay, [this, call](TimePoint t) {
    legs_[call].answer_timer = TimerId{};
    send_ok(t, call);
  });
}

void UaPhone::send_ok(TimePoint now, std::size_t call) {
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
  if (record.state != CallState::Early || !leg.dialog) return;
  const sip::Message* invite = transactions().server_request(leg.invite_txn);
  if (invite == nullptr) return;
  std::vector<sip::ExtraHeader> extra = dialog_response_headers(*leg.dialog);
  extra.push_back({"Allow", std::string(kAllow)});
  extra.push_back({"Content-Type", "application/sdp"});
  leg.ok_response =
      sip::make_response(*invite, 200, "OK", leg.local_tag, extra, sdp(/*offer=*/false));
  const std::string offer(invite->body());  // the transaction may let go of the INVITE
  if (!transactions().send_response(now, leg.invite_txn, 200, leg.ok_response)) return;
  start_media(now, call, offer, /*we_offered=*/false);
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
  leg.ok_interval = config_.timers.t1;
  leg.ok_timer = timers().schedule(now + leg.ok_interval,
                                   [this, call](TimePoint t) { retransmit_ok(t, call); });
  leg.ok_give_up =
      timers().schedule(now + 64 * config_.timers.t1, [this, call](TimePoint t) {
        Leg& d = legs_[call];
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
  Leg& leg = legs_[call];
  leg.ok_timer = TimerId{};
  if (calls_[call].ack_at || calls_[call].state != CallState::Confirmed) return;
  if (!transactions().send_response(now, leg.invite_txn, 200, leg.ok_response)) return;
  ++counters_.ok_retransmissions;
  emit(TraceEvent{now, "ua.ok_resent", {}}.with("call_id", calls_[call].call_id));
  leg.ok_interval = std::min(2 * leg.ok_interval, config_.timers.t2);
  leg.ok_timer = timers().schedule(now + leg.ok_interval,
                                   [this, call](TimePoint t) { retransmit_ok(t, call); });
}

void UaPhone::on_ack(TimePoint now, const sip::Message& ack, const Path& /*path*/) {
  const std::size_t call = find_dialog(ack);
  if (call == kNoCall) return;  // §17.2.1/§13.3.1.4: an ACK for nothing we know is dropped
  CallRecord& record = calls_[call];
  Leg& leg = legs_[call];
  if (record.role != CallRole::Callee || record.ack_at || !record.answered_at ||
      record.state != CallState::Confirmed) {
    return;  // a retransmitted ACK, or one after we gave up waiting (§13.3.1.4)
  }
  if (ack.cseq().number != leg.invite_cseq) return;
  record.ack_at = now;
  timers().cancel(leg.ok_timer);
  timers().cancel(leg.ok_give_up);
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
    for (std::size_t i = 0; i < legs_.size(); ++i) {
      if (legs_[i].invite_txn == *invite_id && calls_[i].role == CallRole::Callee) call = i;
    }
  }
  if (call == kNoCall) {
    // §9.2: no matching transaction.
    transactions().send_response(
        now, id, 481, sip::make_response(cancel, 481, "Call/Transaction Does Not Exist"));
    return;
  }
  Leg& leg = legs_[call];
  transactions().send_response(now, id, 200,
                               sip::make_response(cancel, 200, "OK", leg.local_tag));
  CallRecord& record = calls_[call];
  if (record.state != CallState::Calling && record.state != CallState::Early) return;  // answered
  if (const sip::Message* invite = transactions().server_request(leg.invite_txn)) {
    transactions().send_response(
        now, leg.invite_txn, 487,
        sip::make_response(*invite, 487, "Request Terminated", leg.local_tag));
  }
  record.final_status = 487;
  fail_call(now, call, 487, "cancelled");
}

}  // namespace resproxy::model
