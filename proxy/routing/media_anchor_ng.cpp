// MediaAnchor's external relays (media_anchor.h): choosing the member for a new call, the ng
// offer/answer/delete of an external call's bodies, parked messages' verdicts, and the calls a
// relay takes with it when it goes down.
#include <algorithm>

#include "proxy/routing/media_anchor.h"
#include "proxy/sip/text.h"

namespace resproxy::routing {

namespace ng = media::ng;

namespace {

// A request's body is an offer, but an ACK's (the answer to a late offer); a response's an answer.
bool is_offer(const sip::Message& m) { return m.is_request() && m.method() != sip::Method::Ack; }

// rtpengine's "received-from": where the message came from, so the relay can tell a NATed
// endpoint (the SDP's address is not where its packets will come from) and latch on it.
ng::List received_from(std::string_view ip) {
  return {ng::Value(ip.find(':') == std::string_view::npos ? "IP4" : "IP6"), ng::Value(ip)};
}

// An ng offer or answer of `message`'s SDP, as Kamailio's rtpengine module sends it: the
// message's own tags, where it came from, the origin and connection lines replaced. `callee_offers`
// (a late offer's 2xx and its ACK): the callee made the offer, so its tag — the To tag — is the
// from-tag of both, the offerer's tag as ng wants it, and the caller's is the to-tag.
ng::Dict body_request(std::string_view command, const sip::Message& message, std::string_view sender_ip,
                      sip::IcePolicy ice, bool callee_offers = false) {
  ng::Dict request{{"command", command},
                   {"call-id", message.call_id()},
                   {"from-tag", callee_offers ? message.to_tag() : message.from_tag()},
                   {"sdp", sdp_text(message).value_or(std::string_view{})},
                   {"replace", ng::List{"origin", "session-connection"}},
                   {"received-from", received_from(sender_ip)}};
  if (callee_offers) {
    request.set("to-tag", message.from_tag());
  } else if (!message.to_tag().empty()) {
    request.set("to-tag", message.to_tag());
  }
  if (ice == sip::IcePolicy::Strip) request.set("ICE", "remove");
  return request;
}

}  // namespace

void MediaAnchor::remember_multipart(NgWait& wait, const sip::Message& message) {
  wait.multipart_body.clear();
  if (const auto place = sdp_place(message); place && place->in_multipart) {
    wait.multipart_body = std::string(message.body());
    wait.place = *place;
  }
}

std::string MediaAnchor::body_key(const sip::Message& message) {
  std::string key = is_offer(message) ? "o|" : "a|";
  key += message.from_tag();
  key += '|';
  key += message.to_tag();
  key += '|';
  key += message.body();
  return key;
}

std::optional<std::size_t> MediaAnchor::pick(const std::vector<std::size_t>& tried) {
  const auto& relays = settings_.external;
  const std::size_t members = relays.size() + 1;
  std::vector<bool> up(members, true);
  for (std::size_t i = 0; i < relays.size(); ++i) up[i + 1] = ng_ && ng_->is_up(i);
  if (up != last_up_) {  // the candidates changed: the shares start again (as NgClient's do)
    current_weight_.assign(members, 0);
    last_up_ = up;
  }
  const auto usable = [&](std::size_t m) {
    return up[m] && (m == 0 || std::find(tried.begin(), tried.end(), m - 1) == tried.end());
  };
  const auto weight = [&](std::size_t m) -> std::int64_t {
    return m == 0 ? settings_.builtin_weight : relays[m - 1].weight;
  };
  std::int64_t total = 0;
  std::optional<std::size_t> best;
  for (std::size_t m = 0; m < members; ++m) {
    if (!usable(m) || weight(m) == 0) continue;
    current_weight_[m] += weight(m);
    total += weight(m);
    if (!best || current_weight_[m] > current_weight_[*best]) best = m;
  }
  if (best) {
    current_weight_[*best] -= total;
    return *best == 0 ? std::nullopt : std::optional<std::size_t>(*best - 1);
  }
  // No weighted member: the external spares that are up, in turn; the built-in relay last.
  for (std::size_t k = 0; k < relays.size(); ++k) {
    const std::size_t i = (next_spare_ + k) % relays.size();
    if (usable(i + 1)) {
      next_spare_ = i + 1;
      return i;
    }
  }
  return std::nullopt;
}

void MediaAnchor::send_initial_offer(TimePoint now, std::size_t relay, NgWait wait) {
  auto request = body_request("offer", *wait.invite, wait.context.caller_ip, settings_.ice);
  const auto id = ng_->send(now, wall(now), relay, std::move(request));
  ng_waits_.emplace(id, std::move(wait));
}

SdpVerdict MediaAnchor::external_body(TimePoint now, const sip::Message& message, Call& call,
                                      const CallKey& key, std::string_view sender_ip) {
  if (!is_sdp(message)) return {};
  const std::string bkey = body_key(message);
  if (const auto done = call.replies.find(bkey); done != call.replies.end()) {
    SdpVerdict v;
    v.kind = SdpVerdict::Kind::Rewritten;
    v.body = done->second;
    return v;
  }
  if (call.waiting.contains(bkey)) {
    SdpVerdict v;
    v.kind = SdpVerdict::Kind::Absorbed;
    return v;
  }
  // A late offer (the INVITE had no SDP): the callee's response to it offers, the caller's ACK
  // answers. Later bodies (re-INVITEs, UPDATEs) are offers and answers as in any call.
  const bool late_exchange = call.late_offer && message.cseq().number == call.invite_cseq &&
                             (message.is_request() ? message.method() == sip::Method::Ack
                                                   : message.cseq().method == sip::Method::Invite);
  const bool offer = late_exchange ? !message.is_request() : is_offer(message);
  auto request = body_request(offer ? "offer" : "answer", message, sender_ip, settings_.ice, late_exchange);
  NgWait wait;
  wait.ticket = next_ticket_++;
  wait.key = key;
  wait.body_key = bkey;
  wait.request = message.is_request();
  remember_multipart(wait, message);
  call.waiting[bkey] = wait.ticket;
  SdpVerdict pending;
  pending.kind = SdpVerdict::Kind::Pending;
  pending.ticket = wait.ticket;
  const auto id = ng_->send(now, wall(now), *call.external, std::move(request));
  ng_waits_.emplace(id, std::move(wait));
  after_ng(now);
  return pending;
}

void MediaAnchor::send_delete(TimePoint now, const CallKey& key, std::size_t relay) {
  const auto id = ng_->send(now, wall(now), relay,
                            ng::Dict{{"command", "delete"}, {"call-id", key.first},
                                     {"from-tag", key.second}});
  ng_waits_.emplace(id, NgWait{});  // ticket 0: nobody waits for it
}

void MediaAnchor::on_ng_outcome(TimePoint now, const ng::NgOutcome& outcome) {
  const auto it = ng_waits_.find(outcome.id);
  if (it == ng_waits_.end()) return;
  NgWait wait = std::move(it->second);
  ng_waits_.erase(it);
  if (wait.audit) {
    on_audit_outcome(now, wait.key, outcome);
    return;
  }
  if (wait.ticket == 0) return;  // a delete
  const auto call_it = calls_.find(wait.key);
  const auto deliver = [&](SdpVerdict verdict) { ready_.push_back({wait.ticket, std::move(verdict)}); };
  if (call_it == calls_.end()) {  // the call ended meanwhile: the message goes as it is
    deliver({});
    return;
  }
  Call& call = call_it->second;
  call.waiting.erase(wait.body_key);
  if (outcome.reply && outcome.reply->sdp) {
    if (call.replies.size() >= 16) call.replies.clear();  // bounded: old bodies are not re-sent
    call.replies[wait.body_key] =
        wait.multipart_body.empty() ? *outcome.reply->sdp
                                    : sip::replace_sdp(wait.multipart_body, wait.place, *outcome.reply->sdp);
    if (wait.invite) {
      ++counters_.calls_anchored;
      ++counters_.calls_external;
    }
    ++counters_.bodies_rewritten;
    SdpVerdict v;
    v.kind = SdpVerdict::Kind::Rewritten;
    v.body = call.replies[wait.body_key];
    deliver(std::move(v));
    return;
  }
  if (wait.invite) {  // the initial offer: the next member that is up, the built-in relay last
    ++counters_.external_failovers;
    wait.tried.push_back(*call.external);
    if (const auto next = pick(wait.tried)) {
      call.external = *next;
      call.waiting[wait.body_key] = wait.ticket;
      send_initial_offer(now, *next, std::move(wait));
      return;
    }
    calls_.erase(call_it);
    auto sdp = parse_sdp(*wait.invite);
    deliver(sdp ? builtin_offer(now, *wait.invite, wait.context, std::move(*sdp)) : SdpVerdict{});
    return;
  }
  ++counters_.external_failures;
  deliver(wait.request ? refuse(500, "Media Relay: relay did not answer") : SdpVerdict{});
}

void MediaAnchor::after_ng(TimePoint now) {
  if (!ng_) return;
  for (auto outcomes = ng_->take_outcomes(); !outcomes.empty(); outcomes = ng_->take_outcomes()) {
    for (const auto& outcome : outcomes) on_ng_outcome(now, outcome);
  }
  const auto down = ng_->take_relays_down();
  for (std::size_t i = 0; i < reported_up_.size(); ++i) {
    const bool went_down = std::find(down.begin(), down.end(), i) != down.end();
    if (went_down && reported_up_[i]) relay_changes_.push_back({i, false});
    if (went_down) reported_up_[i] = false;
    if (ng_->is_up(i) && !reported_up_[i]) {
      relay_changes_.push_back({i, true});
      reported_up_[i] = true;
    }
  }
  for (const auto relay : down) {
    for (auto it = calls_.begin(); it != calls_.end();) {
      it = answered_on(it->second, relay) ? lose(it) : std::next(it);
    }
  }
}

std::map<MediaAnchor::CallKey, MediaAnchor::Call>::iterator MediaAnchor::lose(std::map<CallKey, Call>::iterator it) {
  ++counters_.calls_lost;
  lost_.push_back(*it->second.dialog);
  return calls_.erase(it);
}

void MediaAnchor::start(TimePoint now) {
  if (!ng_) return;
  ng_->start(now);
  if (settings_.ng_audit_interval > Duration::zero() && audits_.empty()) {
    audits_.assign(settings_.external.size(),
                   Audit{.next = now + settings_.ng_audit_interval, .last = {}, .sweeping = false,
                         .sweep = {}, .in_flight = 0});
  }
}

void MediaAnchor::send_audit_query(TimePoint now, std::size_t relay, const CallKey& key) {
  const auto id = ng_->send(now, wall(now), relay,
                            ng::Dict{{"command", "query"}, {"call-id", key.first},
                                     {"from-tag", key.second}});
  NgWait wait;
  wait.audit = true;
  wait.key = key;
  ng_waits_.emplace(id, std::move(wait));
  ++audits_[relay].in_flight;
  ++counters_.audit_queries;
}

void MediaAnchor::audit_turn(TimePoint now) {
  for (std::size_t relay = 0; relay < audits_.size(); ++relay) {
    Audit& a = audits_[relay];
    if (now < a.next) continue;
    a.next = now + settings_.ng_audit_interval;
    // A relay that is down has lost its calls already; one being swept is being asked.
    if (!ng_->is_up(relay) || a.sweeping || a.in_flight > 0) continue;
    // Its next answered call after the last one asked for, in key order, wrapping around.
    const auto from = a.last ? calls_.upper_bound(*a.last) : calls_.begin();
    const auto pred = [relay](const auto& e) { return answered_on(e.second, relay); };
    auto it = std::find_if(from, calls_.end(), pred);
    if (it == calls_.end()) {
      it = std::find_if(calls_.begin(), from, pred);
      if (it == from) continue;  // it has no answered call
    }
    a.last = it->first;
    send_audit_query(now, relay, it->first);
  }
}

void MediaAnchor::on_audit_outcome(TimePoint now, const CallKey& key, const ng::NgOutcome& outcome) {
  if (outcome.relay >= audits_.size()) return;
  Audit& a = audits_[outcome.relay];
  if (a.in_flight > 0) --a.in_flight;
  const bool forgotten = !outcome.reply && outcome.reply.error() == ng::NgFailure::ErrorReply &&
                         sip::text::lowercase(outcome.error_reason).find("unknown call") != std::string::npos;
  const auto it = calls_.find(key);
  if (forgotten && it != calls_.end() && answered_on(it->second, outcome.relay)) {
    ++counters_.calls_forgotten;
    forgotten_.push_back({outcome.relay, key.first});
    lose(it);
    if (!a.sweeping) {  // most likely a restart: ask for every other call it held
      a.sweeping = true;
      for (const auto& [k, call] : calls_) {
        if (answered_on(call, outcome.relay)) a.sweep.push_back(k);
      }
      std::reverse(a.sweep.begin(), a.sweep.end());  // taken from the back: in key order
    }
  }
  while (a.sweeping && a.in_flight < kAuditInFlight && !a.sweep.empty()) {
    const CallKey next = std::move(a.sweep.back());
    a.sweep.pop_back();
    const auto c = calls_.find(next);
    if (c != calls_.end() && answered_on(c->second, outcome.relay)) {
      send_audit_query(now, outcome.relay, next);
    }
  }
  if (a.sweeping && a.sweep.empty() && a.in_flight == 0) a.sweeping = false;
}

void MediaAnchor::on_ng_datagram(TimePoint now, const Address& source, std::string_view bytes) {
  if (!ng_) return;
  ng_->on_datagram(now, wall(now), source, bytes);
  after_ng(now);
}

bool MediaAnchor::is_relay_address(const Address& source) const {
  return std::any_of(settings_.external.begin(), settings_.external.end(),
                     [&](const ng::RelayTarget& r) { return r.address == source; });
}

std::vector<ng::NgDatagram> MediaAnchor::take_ng_datagrams() {
  return ng_ ? ng_->take_datagrams() : std::vector<ng::NgDatagram>{};
}

std::vector<ReadyBody> MediaAnchor::take_ready() { return std::exchange(ready_, {}); }

void MediaAnchor::forget(std::uint64_t ticket) {
  for (auto& [id, wait] : ng_waits_) {
    if (wait.ticket == ticket) wait.ticket = 0;
  }
  std::erase_if(ready_, [&](const ReadyBody& r) { return r.ticket == ticket; });
}

}  // namespace resproxy::routing
