// The media relay's room in the proxy (media_anchor.h): which messages reach the anchor, the
// ports it opens and closes as effects, its timer, and the BYEs that end a call whose media died.
#include <algorithm>

#include "proxy/routing/proxy_node_impl.h"

namespace resproxy::routing {

namespace {

// The URI of a header's first name-addr (Contact), or "".
std::string first_uri(const sip::Message& m, sip::HeaderId id) {
  const auto* field = m.first(id);
  if (field == nullptr) return {};
  std::string_view rest = field->value;
  auto value = sip::next_value(rest);
  if (!value) return {};
  auto na = sip::parse_name_addr(*value);
  return na ? std::string(na->uri) : std::string();
}

}  // namespace

auto ProxyNode::Impl::anchor_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                                     const Path& path, const transport::Destination& dest,
                                     const ExitCheck& check, RequestEdits& edits) -> AnchorStep {
  if (!media) return {};
  const sip::Method method = request.method();
  SdpVerdict verdict;
  if (method == sip::Method::Invite && request.to_tag().empty()) {
    const auto end_of = [this](const Address& a) {
      if (is_itsp(a)) return CallEnd::Itsp;
      if (is_gateway(a)) return CallEnd::Gateway;
      return CallEnd::Phone;
    };
    OfferContext context;
    context.caller = end_of(path.remote);
    context.callee = end_of(dest.remote);
    context.caller_ip = path.remote.ip;
    const auto& via = request.top_via();
    context.caller_natted = unbracket(via.host) != sip::text::lowercase(path.remote.ip);
    context.callee_ip = dest.remote.ip;
    if (check.binding != nullptr) {
      const auto contact = sip::parse_uri(check.binding->contact);
      context.callee_natted = contact && unbracket(contact->host) != check.binding->source.remote.ip;
    }
    verdict = media->on_initial_invite(now, request, context);
    if (verdict.kind != SdpVerdict::Kind::Unchanged || media->anchors(request.call_id(), request.from_tag())) {
      trace(now, "media.anchored", [&](TraceEvent& e) {
        e.with("call_id", std::string(request.call_id()))
            .with("verdict", verdict.kind == SdpVerdict::Kind::Refused  ? "refused"
                             : verdict.kind == SdpVerdict::Kind::Pending ? "external"
                                                                          : "relayed");
      });
    }
  } else {
    if (!request.to_tag().empty()) media->on_in_dialog_request(request);
    verdict = media->on_message(now, request, path.remote.ip);
  }
  AnchorStep step;
  switch (verdict.kind) {
    case SdpVerdict::Kind::Refused: {
      std::vector<sip::ExtraHeader> extra;
      for (auto& [name, value] : verdict.headers) extra.push_back({name, value});
      respond(now, id, request, verdict.status, verdict.reason, std::move(extra));
      media_after(now);
      return {AnchorStep::Kind::Stop};
    }
    case SdpVerdict::Kind::Absorbed:
      media_after(now);
      return {AnchorStep::Kind::Stop};
    case SdpVerdict::Kind::Pending:
      step = {AnchorStep::Kind::Park, verdict.ticket};  // media_after runs once it is parked
      break;
    case SdpVerdict::Kind::Rewritten:
      edits.body = std::move(verdict.body);
      break;
    case SdpVerdict::Kind::Unchanged:
      break;
  }
  if (method == sip::Method::Bye) media->end(now, request.call_id(), request.from_tag(), request.to_tag());
  if (step.kind != AnchorStep::Kind::Park) media_after(now);
  return step;
}

void ProxyNode::Impl::anchor_ack(TimePoint now, const sip::Message& ack, const Path& path,
                                 RequestEdits edits, const transport::Destination& dest) {
  const auto send = [this](TimePoint t, const transport::Destination& to, const sip::Message& m,
                           const RequestEdits& e) {
    self.transactions().send_stateless(t, to, rewrite_request(m, e));
  };
  if (!media) {
    send(now, dest, ack, edits);
    return;
  }
  auto verdict = media->on_message(now, ack, path.remote.ip);
  switch (verdict.kind) {
    case SdpVerdict::Kind::Absorbed:
      break;
    case SdpVerdict::Kind::Pending: {
      Parked p;
      p.resume = [send, ack = ack, edits = std::move(edits), dest](TimePoint t, const SdpVerdict& v) mutable {
        if (v.kind == SdpVerdict::Kind::Rewritten) edits.body = v.body;
        send(t, dest, ack, edits);
      };
      parked.emplace(verdict.ticket, std::move(p));
      break;
    }
    case SdpVerdict::Kind::Rewritten:
      edits.body = std::move(verdict.body);
      send(now, dest, ack, edits);
      break;
    default:
      send(now, dest, ack, edits);
      break;
  }
  media_after(now);
}

void ProxyNode::Impl::anchor_response(TimePoint now, const Forward* f, const sip::Message& response,
                                      std::string relayed, std::function<void(TimePoint, std::string)> send) {
  if (!media) {
    send(now, std::move(relayed));
    return;
  }
  const int status = response.status_code();
  const auto& cseq = response.cseq();
  const bool initial_invite = cseq.method == sip::Method::Invite && f != nullptr && f->is_invite &&
                              [&] {
                                const sip::Message* r = self.transactions().server_request(f->server);
                                return r != nullptr && r->to_tag().empty();
                              }();
  if (initial_invite && status >= 300) {
    media->end(now, response.call_id(), response.from_tag(), {});
    media_after(now);
    send(now, std::move(relayed));
    return;
  }
  const std::string sender = f != nullptr ? f->dest.remote.ip : std::string();
  auto verdict = media->on_message(now, response, sender);
  const auto with = [](std::string bytes, const std::string& body) {
    if (auto parsed = sip::Message::parse(bytes)) return with_body(*parsed, body);
    return bytes;
  };
  if (initial_invite && status >= 200 && media->anchors(response.call_id(), response.from_tag())) {
    const sip::Message* invite = self.transactions().server_request(f->server);
    const auto* from = invite ? invite->first(sip::HeaderId::From) : nullptr;
    const auto* to = response.first(sip::HeaderId::To);
    if (invite != nullptr && from != nullptr && to != nullptr) {
      AnchoredDialog d;
      d.call_id = std::string(response.call_id());
      d.a_tag = std::string(response.from_tag());
      d.from_value = std::string(from->value);
      d.to_value = std::string(to->value);
      d.a_contact = first_uri(*invite, sip::HeaderId::Contact);
      d.b_contact = first_uri(response, sip::HeaderId::Contact);
      // Record-Route of the 2xx, top first: the hops toward the callee come before ours, those
      // toward the caller after (RFC 3261 §12.1: each end reads the list from its side).
      const auto rr = record_route_values(response);
      std::size_t first = 0;
      while (first < rr.size() && !route_is_us(rr[first])) ++first;
      std::size_t last = first;
      while (last < rr.size() && route_is_us(rr[last])) ++last;
      if (first < rr.size()) {
        for (std::size_t i = first; i-- > 0;) d.routes_to_b.emplace_back(rr[i]);
        for (std::size_t i = last; i < rr.size(); ++i) d.routes_to_a.emplace_back(rr[i]);
      }
      d.toward_a = transport::Destination{f->from.transport, f->from.remote, f->from.stream};
      d.toward_b = f->dest;
      d.a_cseq = invite->cseq().number;
      media->on_answered(now, std::move(d));
    }
  }
  switch (verdict.kind) {
    case SdpVerdict::Kind::Absorbed:
      break;
    case SdpVerdict::Kind::Pending: {
      Parked p;
      p.resume = [with, send = std::move(send), relayed = std::move(relayed)](TimePoint t, const SdpVerdict& v) mutable {
        send(t, v.kind == SdpVerdict::Kind::Rewritten ? with(std::move(relayed), v.body) : std::move(relayed));
      };
      parked.emplace(verdict.ticket, std::move(p));
      break;
    }
    case SdpVerdict::Kind::Rewritten:
      send(now, with(std::move(relayed), verdict.body));
      break;
    default:
      send(now, std::move(relayed));
      break;
  }
  media_after(now);
}

bool ProxyNode::Impl::cancel_parked(TimePoint now, ServerTransactionId invite) {
  const auto it = std::find_if(parked.begin(), parked.end(), [&](const auto& entry) {
    return entry.second.invite && entry.second.invite->value == invite.value;
  });
  if (it == parked.end()) return false;
  const std::uint64_t ticket = it->first;
  Parked p = std::move(it->second);
  parked.erase(it);
  if (media) media->forget(ticket);
  if (p.dropped) p.dropped();
  if (const sip::Message* request = self.transactions().server_request(invite)) {
    respond(now, invite, *request, 487, "Request Terminated");
    anchor_failed(now, *request);  // the relay's half-made call is deleted
  }
  return true;
}

bool ProxyNode::Impl::take_relay_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  if (!media || path.transport != Transport::Udp || !media->is_relay_address(path.remote)) return false;
  media->on_ng_datagram(now, path.remote, bytes);
  media_after(now);
  return true;
}

void ProxyNode::Impl::anchor_failed(TimePoint now, const sip::Message& request) {
  if (!media || request.method() != sip::Method::Invite || !request.to_tag().empty()) return;
  media->end(now, request.call_id(), request.from_tag(), {});
  media_after(now);
}

void ProxyNode::Impl::media_after(TimePoint now) {
  // The external relays' control, the messages whose SDP they answered, the calls they lost.
  // Resuming a message may use the relay again (a 2xx re-sent statelessly): until nothing is left.
  for (;;) {
    for (auto& d : media->take_ng_datagrams()) {
      self.emit_effect(SendDatagram{config.local, d.to, std::move(d.bytes)});
    }
    for (const auto& change : media->take_relay_changes()) {
      const auto& relay = media->relay_target(change.relay);
      trace(now, change.up ? "media.relay_marked_up" : "media.relay_marked_down", [&](TraceEvent& e) {
        e.with("relay", relay.name).with("address", relay.address.to_string());
      });
    }
    for (const auto& gone : media->take_forgotten()) {
      // The relay answers its pings but no longer knows the call: it restarted, or dropped it.
      const auto& relay = media->relay_target(gone.relay);
      trace(now, "media.relay_forgot_call", [&](TraceEvent& e) {
        e.with("relay", relay.name).with("address", relay.address.to_string()).with("call_id", gone.call_id);
      });
    }
    auto ready = media->take_ready();
    auto lost = media->take_lost_calls();
    if (ready.empty() && lost.empty()) break;
    for (const auto& r : ready) {
      const auto it = parked.find(r.ticket);
      if (it == parked.end()) continue;
      Parked p = std::move(it->second);
      parked.erase(it);
      p.resume(now, r.verdict);
    }
    for (const auto& dialog : lost) {
      trace(now, "media.relay_lost", [&](TraceEvent& e) { e.with("call_id", dialog.call_id); });
      // Q.850 38 "network out of order": the relay carrying the call's media is gone.
      hang_up_silent_call(now, dialog, "Q.850;cause=38;text=\"media relay lost\"");
    }
  }
  for (const auto& change : media->take_port_changes()) {
    if (change.open) {
      self.emit_effect(OpenMediaPort{.local = change.local, .dscp = media->dscp()});
    } else {
      self.emit_effect(CloseMediaPort{.local = change.local});
    }
  }
  const auto due = media->next_deadline();
  if (due == media_timer_at) return;
  self.timers().cancel(media_timer);
  media_timer = TimerId{};
  media_timer_at = due;
  if (due) {
    media_timer = self.timers().schedule(std::max(*due, now), [this](TimePoint t) { on_media_deadline(t); });
  }
}

void ProxyNode::Impl::on_media_deadline(TimePoint now) {
  media_timer = TimerId{};
  media_timer_at.reset();
  for (const auto& dialog : media->on_deadline(now)) {
    trace(now, "media.timed_out", [&](TraceEvent& e) { e.with("call_id", dialog.call_id); });
    hang_up_silent_call(now, dialog, "Q.850;cause=102;text=\"media timeout\"");
  }
  media_after(now);
}

void ProxyNode::Impl::hang_up_silent_call(TimePoint now, const AnchoredDialog& d, std::string_view reason) {
  const auto send = [&](std::string_view target, const std::vector<std::string>& routes,
                        transport::Destination dest, std::string_view from, std::string_view to,
                        std::uint32_t cseq) {
    if (target.empty()) return;
    if (!routes.empty()) {  // a proxy beyond us is the next hop (loose routing, RFC 3261 §16.12)
      auto na = sip::parse_name_addr(routes.front());
      if (!na) return;
      auto uri = sip::parse_uri(na->uri);
      if (!uri) return;
      auto next = destination_of(*uri);
      if (!next) return;
      dest = *next;
    }
    // RFC 3326: why the call ended, in Q.850 terms for a gateway's sake.
    const std::string bye = dialog_request("BYE", target, routes, dest, from, to, d.call_id, cseq, reason);
    if (auto message = sip::Message::parse(bye)) {
      (void)self.transactions().send_request(now, std::move(message).value(), dest);
    }
  };
  // To the caller as if from the callee (its To is the caller), and the other way round.
  send(d.a_contact, d.routes_to_a, d.toward_a, d.to_value, d.from_value, d.b_cseq + 1);
  send(d.b_contact, d.routes_to_b, d.toward_b, d.from_value, d.to_value, d.a_cseq + 1);
}

}  // namespace resproxy::routing
