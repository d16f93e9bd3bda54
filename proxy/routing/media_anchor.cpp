// MediaAnchor (media_anchor.h): the relay policy, the SDP of anchored calls, their ports, and
// their dialogs for ending a silent call.
#include "proxy/routing/media_anchor.h"

#include <algorithm>
#include <span>
#include <variant>

#include "proxy/media/relay/call_streams.h"
#include "proxy/media/relay/sdp_leg.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/sdp_rewrite.h"
#include "proxy/sip/text.h"

namespace resproxy::routing {

namespace relay = media::relay;
using relay::leg_media;
using relay::relayable;

namespace {

relay::RelayConfig with_default_address(relay::RelayConfig config, const std::string& default_ipv4) {
  if (!config.ipv4_address && !default_ipv4.empty() && default_ipv4.find(':') == std::string::npos &&
      default_ipv4 != "0.0.0.0") {
    config.ipv4_address = default_ipv4;
  }
  return config;
}

}  // namespace

std::optional<sip::SdpPlace> sdp_place(const sip::Message& m) {
  if (m.body().empty()) return std::nullopt;
  const auto* type = m.first(sip::HeaderId::ContentType);
  if (type == nullptr) return std::nullopt;  // RFC 3261 §20.15: a body without a type is not ours to read
  return sip::find_sdp(type->value, m.body());
}

std::optional<std::string_view> sdp_text(const sip::Message& m) {
  const auto place = sdp_place(m);
  if (!place) return std::nullopt;
  return m.body().substr(place->offset, place->size);
}

bool is_sdp(const sip::Message& m) { return sdp_place(m).has_value(); }

std::optional<sip::Sdp> parse_sdp(const sip::Message& m) {
  const auto text = sdp_text(m);
  if (!text) return std::nullopt;
  auto sdp = sip::Sdp::parse(*text);
  if (!sdp) return std::nullopt;
  return std::move(sdp).value();
}

std::string body_with_sdp(const sip::Message& m, std::string sdp) {
  const auto place = sdp_place(m);
  if (!place || !place->in_multipart) return sdp;
  return sip::replace_sdp(m.body(), *place, sdp);
}

namespace {

SdpVerdict rewritten_body(std::string body) {
  SdpVerdict v;
  v.kind = SdpVerdict::Kind::Rewritten;
  v.body = std::move(body);
  return v;
}

// The policy on an initial offer. "Behind NAT" is judged against where the INVITE came from: a
// private SDP address that is the caller's own source (a phone on the office LAN) is no NAT, so
// LAN calls stay direct under `nat` — unlike sip::needs_relay, which has no source to compare.
bool wants_relay(sip::MediaRelayPolicy policy, std::span<const sip::SdpStream> streams,
                 const OfferContext& c) {
  if (policy != sip::MediaRelayPolicy::WhenNatted) return sip::needs_relay(policy, streams, false);
  if (c.caller_natted || c.callee_natted) {
    return sip::needs_relay(sip::MediaRelayPolicy::Always, streams, false);
  }
  const std::string caller = sip::text::lowercase(c.caller_ip);
  for (const auto& s : streams) {
    if (s.disabled || s.zero_address_hold) continue;
    const std::string ip = sip::text::lowercase(s.address);
    if (sip::is_private_or_unusable(ip) && ip != caller) return true;
  }
  return false;
}

}  // namespace

MediaAnchor::MediaAnchor(const MediaRelaySettings& settings, const std::string& default_ipv4,
                         std::string itsp_outside_ipv4, Rng& rng, const Crypto& crypto)
    : settings_(settings),
      itsp_outside_ipv4_(std::move(itsp_outside_ipv4)),
      sessions_(with_default_address(settings.relay, default_ipv4), rng) {
  if (!settings_.external.empty()) {
    media::ng::NgClientConfig ng;
    ng.relays = settings_.external;
    ng.retransmit_interval = settings_.ng_retransmit;
    ng.max_tries = settings_.ng_tries;
    ng.ping_interval = settings_.ng_ping_interval;
    ng.failures_to_down = settings_.ng_failures_to_down;
    ng_.emplace(std::move(ng), crypto, rng);
    reported_up_.assign(settings_.external.size(), true);  // NgClient starts them up
  }
}

std::string MediaAnchor::advertised(CallEnd end, const std::string& local) const {
  const bool ipv4 = local.find(':') == std::string::npos;
  if (end == CallEnd::Itsp && ipv4 && !itsp_outside_ipv4_.empty() &&
      itsp_outside_ipv4_.find(':') == std::string::npos) {
    return itsp_outside_ipv4_;
  }
  return local;
}

sip::MediaRelayPolicy MediaAnchor::policy_for(const OfferContext& c) const {
  if (c.caller == CallEnd::Itsp || c.callee == CallEnd::Itsp) return settings_.itsp;
  if (c.caller == CallEnd::Gateway || c.callee == CallEnd::Gateway) return settings_.gateway;
  return settings_.phones;
}

SdpVerdict MediaAnchor::refuse(int status, std::string reason) {
  ++counters_.offers_refused;
  SdpVerdict v;
  v.kind = SdpVerdict::Kind::Refused;
  v.status = status;
  v.reason = std::move(reason);
  if (status == 503) v.headers.emplace_back("Retry-After", "5");
  return v;
}

void MediaAnchor::open_ports(const CallKey& key, Call& call, const relay::SessionPorts& ports) {
  for (const Address* a : {&ports.a.rtp, &ports.a.rtcp, &ports.b.rtp, &ports.b.rtcp}) {
    if (a->port == 0 || port_owner_.contains(*a)) continue;
    port_owner_.emplace(*a, key);
    call.ports.push_back(*a);
    port_changes_.push_back({*a, true});
  }
}

SdpVerdict MediaAnchor::on_initial_invite(TimePoint now, const sip::Message& invite,
                                          const OfferContext& context) {
  auto sdp = parse_sdp(invite);
  const CallKey key{std::string(invite.call_id()), std::string(invite.from_tag())};
  const auto existing = calls_.find(key);
  if (!sdp) {
    // A late offer (RFC 3264 §4, common from ITSPs): the offer comes in the callee's 2xx, the
    // answer in the caller's ACK. The policy is judged on the signalling alone; the sessions are
    // made when the offer arrives (on_message).
    if (existing != calls_.end() || !invite.body().empty()) return {};  // known, or not SDP
    const auto policy = policy_for(context);
    const bool relay = policy == sip::MediaRelayPolicy::Always ||
                       (policy == sip::MediaRelayPolicy::WhenNatted &&
                        (context.caller_natted || context.callee_natted));
    if (!relay) {
      ++counters_.calls_not_anchored;
      return {};
    }
    Call late;
    late.invite_cseq = invite.cseq().number;
    late.ends = {context.caller, context.callee};
    late.late_offer = true;
    late.caller_family = relay::family_of(Address{context.caller_ip, 0});
    // An external relay that is up takes it as it takes an early offer: the callee's 2xx goes
    // to it as the offer, the caller's ACK as the answer (external_body). None up: ours.
    if (ng_) {
      if (const auto relay = pick({})) {
        late.external = *relay;
        ++counters_.calls_external;
      }
    }
    calls_.emplace(key, std::move(late));
    ++counters_.calls_anchored;
    return {};
  }
  if (existing != calls_.end() && existing->second.external) {
    return external_body(now, invite, existing->second, key, context.caller_ip);  // re-sent
  }
  if (existing == calls_.end()) {
    if (!wants_relay(policy_for(context), sip::media_streams(*sdp), context)) {
      ++counters_.calls_not_anchored;
      return {};
    }
    if (ng_) {
      if (const auto relay = pick({})) {
        Call call;
        call.invite_cseq = invite.cseq().number;
        call.ends = {context.caller, context.callee};
        call.external = *relay;
        NgWait wait;
        wait.ticket = next_ticket_++;
        wait.key = key;
        wait.body_key = body_key(invite);
        wait.request = true;
        wait.invite = invite;
        remember_multipart(wait, invite);
        wait.context = context;
        calls_.emplace(key, std::move(call)).first->second.waiting[wait.body_key] = wait.ticket;
        SdpVerdict pending;
        pending.kind = SdpVerdict::Kind::Pending;
        pending.ticket = wait.ticket;
        send_initial_offer(now, *relay, std::move(wait));
        after_ng(now);
        return pending;
      }
    }
  }
  return builtin_offer(now, invite, context, std::move(*sdp));
}

SdpVerdict MediaAnchor::builtin_offer(TimePoint now, const sip::Message& invite,
                                      const OfferContext& context, sip::Sdp parsed) {
  const std::optional<sip::Sdp> sdp(std::move(parsed));
  const CallKey key{std::string(invite.call_id()), std::string(invite.from_tag())};
  const auto existing = calls_.find(key);
  const auto streams = sip::media_streams(*sdp);
  Call fresh;
  Call& call = existing != calls_.end() ? existing->second : fresh;
  if (existing == calls_.end()) {
    call.invite_cseq = invite.cseq().number;
    call.ends = {context.caller, context.callee};
    call.streams.assign(streams.size(), false);
  }
  const relay::Family callee_family = relay::family_of(Address{context.callee_ip, 0});
  std::vector<sip::RelayedStream> relayed(streams.size());
  std::vector<relay::SessionKey> created;
  std::vector<relay::SessionPorts> opened;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (!relayable(streams[i])) continue;
    if (existing != calls_.end() && (i >= call.streams.size() || !call.streams[i])) continue;
    const auto skey = relay::stream_key(key, i);
    const bool known = sessions_.find(skey) != nullptr;
    auto ports = sessions_.offer(now, skey, leg_media(streams[i], context.caller_ip), callee_family);
    if (!ports) {
      for (const auto& k : created) (void)sessions_.remove(now, k);
      if (existing == calls_.end()) {
        return refuse(relay::to_sip_status(ports.error()),
                      "Media Relay: " + std::string(relay::to_string(ports.error())));
      }
      return {};
    }
    if (!known) created.push_back(skey);
    opened.push_back(*ports);
    relayed[i] = sip::RelayedStream{.address = advertised(context.callee, ports->b.rtp.ip),
                                    .rtp_port = ports->b.rtp.port,
                                    .rtcp_port = ports->b.rtcp.port};
  }
  if (created.empty() && existing == calls_.end()) return {};  // no stream to relay
  auto rewritten = sip::rewrite_for_relay(
      *sdp, relayed, {.ice = settings_.ice, .version_offset = call.version_offset_a});
  if (!rewritten) {
    for (const auto& k : created) (void)sessions_.remove(now, k);
    if (existing == calls_.end()) {
      return refuse(sip::to_sip_status(rewritten.error()),
                    "Media Relay: " + std::string(sip::to_string(rewritten.error())));
    }
    return {};
  }
  if (existing == calls_.end()) {
    Call& added = calls_.emplace(key, std::move(fresh)).first->second;
    for (std::size_t i = 0; i < streams.size(); ++i) added.streams[i] = relayed[i].rtp_port != 0;
    for (const auto& p : opened) open_ports(key, added, p);
    ++counters_.calls_anchored;
  }
  ++counters_.bodies_rewritten;
  return rewritten_body(body_with_sdp(invite, rewritten->to_string()));
}

auto MediaAnchor::locate(const sip::Message& m) -> std::optional<Located> {
  const std::string call_id(m.call_id());
  const bool request = m.is_request();
  // The From tag is the caller's: a request from the caller, or a response to one (from the callee).
  if (auto it = calls_.find({call_id, std::string(m.from_tag())}); it != calls_.end()) {
    return Located{it, request ? relay::Side::A : relay::Side::B};
  }
  if (m.to_tag().empty()) return std::nullopt;
  if (auto it = calls_.find({call_id, std::string(m.to_tag())}); it != calls_.end()) {
    return Located{it, request ? relay::Side::B : relay::Side::A};
  }
  return std::nullopt;
}

SdpVerdict MediaAnchor::on_message(TimePoint now, const sip::Message& message, std::string_view sender_ip) {
  const auto where = locate(message);
  if (!where) return {};
  if (where->call->second.external) {
    return external_body(now, message, where->call->second, where->call->first, sender_ip);
  }
  auto sdp = parse_sdp(message);
  if (!sdp) return {};
  Call& call = where->call->second;
  const relay::Side from = where->from;
  const auto streams = sip::media_streams(*sdp);
  const bool initial_answer = !message.is_request() && from == relay::Side::B &&
                              message.cseq().method == sip::Method::Invite &&
                              message.cseq().number == call.invite_cseq;
  const std::string sender = sip::text::lowercase(sender_ip);
  if (call.late_offer && call.streams.empty()) {
    // The callee's offer to a caller that sent none: the sessions start here, the caller's side
    // without media until its ACK answers (RelaySessions::offer with no address, then update).
    if (!initial_answer) return {};
    call.streams.assign(streams.size(), false);
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (!relayable(streams[i])) continue;
      const auto key = relay::stream_key(where->call->first, i);
      relay::LegMedia caller;
      caller.family = call.caller_family;
      const auto media = leg_media(streams[i], sender);
      auto made = sessions_.offer(now, key, caller, media.family);
      if (!made) continue;  // that line goes unrelayed (no ports, no address of its family)
      if (!sessions_.answer(now, key, message.to_tag(), media)) {
        (void)sessions_.remove(now, key);
        continue;
      }
      call.streams[i] = true;
      open_ports(where->call->first, call, *made);
    }
  }
  // m= lines a re-INVITE or UPDATE adds (video next to the audio, RFC 3264 §8.1) get sessions of
  // their own, the sender's side from this offer, the other side's from its answer.
  if (message.is_request() && !call.streams.empty() && streams.size() > call.streams.size()) {
    add_streams(now, where->call->first, call, from, streams, sender);
  }
  std::vector<sip::RelayedStream> relayed(streams.size());
  bool any = false;
  for (std::size_t i = 0; i < streams.size() && i < call.streams.size(); ++i) {
    if (!call.streams[i] || !relayable(streams[i])) continue;
    const auto key = relay::stream_key(where->call->first, i);
    const auto media = leg_media(streams[i], sender);
    auto ports = initial_answer ? sessions_.answer(now, key, message.to_tag(), media)
                                : sessions_.update(now, key, from, media);
    if (!ports) {
      if (ports.error() == relay::RelayError::UnknownSession) continue;  // timed out meanwhile
      if (message.is_request()) {
        return refuse(relay::to_sip_status(ports.error()),
                      "Media Relay: " + std::string(relay::to_string(ports.error())));
      }
      return {};  // an answer we cannot take: it goes through as it is (the phones may cope)
    }
    const relay::LocalMedia& toward = from == relay::Side::A ? ports->b : ports->a;
    const CallEnd toward_end = call.ends[static_cast<std::size_t>(relay::other(from))];
    relayed[i] = sip::RelayedStream{.address = advertised(toward_end, toward.rtp.ip),
                                    .rtp_port = toward.rtp.port,
                                    .rtcp_port = toward.rtcp.port};
    any = true;
  }
  if (!any) return {};
  const std::uint64_t offset = from == relay::Side::A ? call.version_offset_a : call.version_offset_b;
  auto rewritten = sip::rewrite_for_relay(*sdp, relayed, {.ice = settings_.ice, .version_offset = offset});
  if (!rewritten) return {};
  ++counters_.bodies_rewritten;
  return rewritten_body(body_with_sdp(message, rewritten->to_string()));
}

void MediaAnchor::add_streams(TimePoint now, const CallKey& key, Call& call, relay::Side from,
                              const std::vector<sip::SdpStream>& streams, const std::string& sender) {
  std::vector<std::optional<relay::LegMedia>> media(streams.size());
  for (std::size_t i = call.streams.size(); i < streams.size(); ++i) {
    if (relayable(streams[i])) media[i] = leg_media(streams[i], sender);
  }
  for (const auto& ports : relay::add_streams(sessions_, now, key, call.streams, from, media, call.dialog.has_value())) {
    open_ports(key, call, ports);
  }
}

void MediaAnchor::on_answered(TimePoint now, AnchoredDialog dialog) {
  const auto it = calls_.find({dialog.call_id, dialog.a_tag});
  if (it == calls_.end()) return;
  Call& call = it->second;
  for (std::size_t i = 0; i < call.streams.size(); ++i) {
    if (call.streams[i]) (void)sessions_.confirm(now, relay::stream_key(it->first, i));
  }
  if (call.dialog) {  // a 2xx retransmission or another fork's: keep the CSeqs seen
    dialog.a_cseq = std::max(dialog.a_cseq, call.dialog->a_cseq);
    dialog.b_cseq = std::max(dialog.b_cseq, call.dialog->b_cseq);
  }
  call.dialog = std::move(dialog);
}

void MediaAnchor::on_in_dialog_request(const sip::Message& request) {
  const auto where = locate(request);
  if (!where || !where->call->second.dialog) return;
  AnchoredDialog& d = *where->call->second.dialog;
  std::uint32_t& seen = where->from == relay::Side::A ? d.a_cseq : d.b_cseq;
  seen = std::max(seen, request.cseq().number);
}

void MediaAnchor::end(TimePoint now, std::string_view call_id, std::string_view from_tag,
                      std::string_view to_tag) {
  auto it = calls_.find({std::string(call_id), std::string(from_tag)});
  if (it == calls_.end() && !to_tag.empty()) it = calls_.find({std::string(call_id), std::string(to_tag)});
  if (it != calls_.end()) remove(now, it);
}

void MediaAnchor::remove(TimePoint now, std::map<CallKey, Call>::iterator it) {
  Call& call = it->second;
  if (call.external) send_delete(now, it->first, *call.external);
  relay::remove_streams(sessions_, now, it->first, call.streams);
  for (const Address& a : call.ports) {
    port_owner_.erase(a);
    port_changes_.push_back({a, false});
  }
  calls_.erase(it);
}

std::optional<MediaSend> MediaAnchor::on_packet(TimePoint now, const Address& local,
                                                const Address& source, std::string_view bytes) {
  return relay::forward(sessions_, now, local, source, bytes);
}

std::optional<TimePoint> MediaAnchor::next_deadline() const {
  auto due = sessions_.next_deadline();
  if (ng_) {
    if (const auto ng = ng_->next_deadline(); ng && (!due || *ng < *due)) due = ng;
    for (const auto& a : audits_) {
      if (!due || a.next < *due) due = a.next;
    }
  }
  return due;
}

std::vector<AnchoredDialog> MediaAnchor::on_deadline(TimePoint now) {
  if (ng_) {
    ng_->on_deadline(now, wall(now));
    after_ng(now);
    audit_turn(now);
    after_ng(now);
  }
  std::vector<AnchoredDialog> hang_up;
  for (const auto& key : sessions_.on_deadline(now)) {
    const auto slash = key.from_tag.rfind('/');
    if (slash == std::string::npos) continue;
    const auto it = calls_.find({key.call_id, key.from_tag.substr(0, slash)});
    if (it == calls_.end()) continue;
    if (relay::any_stream_alive(sessions_, it->first, it->second.streams)) continue;  // another line talks
    ++counters_.calls_timed_out;
    if (it->second.dialog) hang_up.push_back(*it->second.dialog);
    remove(now, it);
  }
  return hang_up;
}

void MediaAnchor::on_port_failed(TimePoint now, const Address& local) {
  const auto owner = port_owner_.find(local);
  if (owner == port_owner_.end()) return;
  const auto it = calls_.find(owner->second);
  if (it != calls_.end()) remove(now, it);
}

bool MediaAnchor::anchors(std::string_view call_id, std::string_view tag) const {
  return calls_.contains({std::string(call_id), std::string(tag)});
}

}  // namespace resproxy::routing
