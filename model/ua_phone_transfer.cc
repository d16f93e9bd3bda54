// UaPhone: blind transfer (RFC 3515, RFC 5589 §6), transferor and transferee.
#include <algorithm>
#include <charconv>

#include "model/traffic.h"
#include "model/ua_phone.h"
#include "model/ua_phone_detail.h"
#include "proxy/sip/builder.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/uri.h"

namespace resproxy::model {

namespace {

using ua_detail::equals_ignore_case;
using ua_detail::header_value;
using ua_detail::kAllow;

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
  legs_[call].transfer_timer =
      timers().schedule(now + policy.after, [this, call, target](TimePoint t) {
        legs_[call].transfer_timer = TimerId{};
        if (calls_[call].state == CallState::Confirmed) send_refer(t, call, target);
      });
}

void UaPhone::send_refer(TimePoint now, std::size_t call, const std::string& target) {
  CallRecord& record = calls_[call];
  if (record.state != CallState::Confirmed || legs_[call].transfer != kNoTransfer) return;
  OutRequest out;
  if (!in_dialog_request(call, "REFER", out)) return;
  Leg& leg = legs_[call];
  out.tail = {{"Refer-To", "<" + target + ">"},
              {"Referred-By", "<" + aor() + ">"},
              {"Contact", "<" + contact_uri() + ">"},
              {"Allow", std::string(kAllow)}};
  leg.transfer = transfers_.size();
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
  Leg& leg = legs_[call];
  if (leg.transfer == kNoTransfer) return;
  TransferRecord& transfer = transfers_[leg.transfer];
  transfer.refer_status = status;
  if (status >= 200 && status < 300) {
    transfer.accepted_at = now;
    if (!transfer.outcome.empty()) return;  // the final NOTIFY overtook the 202
    leg.refer_timer = timers().schedule(now + config_.refer_timeout, [this, call](TimePoint t) {
      legs_[call].refer_timer = TimerId{};
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
  Leg& leg = legs_[call];
  if (leg.transfer == kNoTransfer) return;
  TransferRecord& transfer = transfers_[leg.transfer];
  if (!transfer.outcome.empty()) return;
  timers().cancel(leg.refer_timer);
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
  if (legs_[call].referred_leg != kNoCall) {
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
  if (referred_by.empty() && legs_[call].dialog) {
    referred_by = uri_of(legs_[call].dialog->remote_party());
  }
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
  Leg& leg = legs_[call];
  timers().cancel(leg.hangup_timer);  // the transferor hangs this call up
  timers().cancel(leg.transfer_timer);
  const Duration hold = leg.hold > Duration::zero() ? leg.hold : config_.transfer_hold;
  leg.referred_leg = calls_.size();
  send_notify(now, call, 100, "Trying", /*final=*/false);
  place_call(now, CallPlan{now, target, hold, {}}, call, referred_by);
}

void UaPhone::send_notify(TimePoint now, std::size_t call, int status, std::string_view reason,
                          bool final) {
  OutRequest out;
  if (!in_dialog_request(call, "NOTIFY", out)) return;
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
  Leg& state = legs_[leg];
  if (state.refer_call == kNoCall || state.refer_notified) return;
  state.refer_notified = true;
  send_notify(now, state.refer_call, status, reason, /*final=*/true);
}

void UaPhone::on_notify(TimePoint now, transaction::ServerTransactionId id,
                        const sip::Message& notify) {
  const std::size_t call = find_dialog(notify);
  // The refer subscription may outlive the call (RFC 5057): a NOTIFY for a transfer we started is
  // welcome after the BYE.
  if (call == kNoCall ||
      (calls_[call].state == CallState::Terminated && legs_[call].transfer == kNoTransfer)) {
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
  Leg& leg = legs_[call];
  if (leg.transfer != kNoTransfer && status != 0) transfers_[leg.transfer].notified.push_back(status);
  if (!final) return;
  if (leg.transfer != kNoTransfer) {
    std::string failure;
    if (status < 200 || status >= 300) failure = status == 0 ? "bad_sipfrag" : std::to_string(status);
    finish_transfer(now, call, status, std::move(failure));
  }
  // RFC 5589 §6: the transfer is decided, the original call is ours to end.
  if (calls_[call].state == CallState::Confirmed) send_bye(now, call);
}

}  // namespace resproxy::model
