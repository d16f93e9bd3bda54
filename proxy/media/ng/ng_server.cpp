// NgServer (ng_server.h): ng control of the relay — admission, the commands, the reply cache.
#include "proxy/media/ng/ng_server.h"

#include <algorithm>
#include <span>
#include <variant>

#include "proxy/media/relay/call_streams.h"
#include "proxy/media/relay/sdp_leg.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/sdp_rewrite.h"
#include "proxy/sip/text.h"

namespace resproxy::media::ng {

namespace {

using relay::Side;

std::optional<NgAuthVerifier> make_verifier(const NgServerConfig& c, const Crypto& crypto) {
  if (c.secret.empty()) return std::nullopt;
  return NgAuthVerifier(NgAuthConfig{.secret = c.secret, .window = c.auth_window, .max_nonces = c.max_nonces},
                        crypto);
}

std::int64_t unix_of(Duration wall) { return unix_seconds(wall); }

// rtpengine's wording for the errors a SIP proxy's module logs.
std::string relay_error_reason(relay::RelayError e) {
  switch (e) {
    case relay::RelayError::PoolExhausted: return "Ran out of ports";
    case relay::RelayError::TooManySessions: return "Too many sessions";
    case relay::RelayError::NoLocalAddress: return "No local address of the offer's family";
    case relay::RelayError::FamilyMismatch: return "Address family changed";
    case relay::RelayError::UnknownSession: return "Unknown call-id";
  }
  return "Relay error";
}

}  // namespace

NgServer::NgServer(NgServerConfig config, const Crypto& crypto, Rng& rng)
    : config_(std::move(config)),
      crypto_(crypto),
      rng_(rng),
      sessions_(config_.relay, rng),
      verifier_(make_verifier(config_, crypto)),
      cache_(config_.cache) {
  if (!config_.secret.empty()) signer_.emplace(config_.secret, crypto_, rng_);
}

std::optional<std::string> NgServer::on_control(TimePoint now, Duration wall, const Address& source,
                                                std::string_view datagram) {
  ++counters_.datagrams;
  wall_anchor_now_ = now;
  wall_anchor_ = wall;
  const auto parts = split_datagram(datagram);
  if (!parts) {
    ++counters_.dropped;
    return std::nullopt;
  }
  if (const std::string* cached = cache_.find(now, source, parts->cookie)) {
    ++counters_.retransmissions;
    return *cached;
  }
  auto message = parse_datagram(datagram);
  if (!message) {
    if (!has_cookie(message.error().error)) {
      ++counters_.dropped;
      return std::nullopt;
    }
    ++counters_.malformed;
    return build_datagram(message.error().cookie, error_reply(to_string(message.error())));
  }
  const std::string& cookie = message->cookie;
  Dict dict = std::move(message->dict);
  const bool has_auth = dict.contains(kAuthKey);
  const bool trusted = any_contains(config_.trusted, source.ip);
  bool signed_request = false;
  switch (admit_control(verifier_.has_value(), has_auth, trusted)) {
    case ControlAdmission::Refuse:
      ++counters_.refused_untrusted;
      return build_datagram(cookie, error_reply("Authentication required"));
    case ControlAdmission::Verify: {
      auto verified = verifier_->verify(cookie, dict, wall);
      if (!verified) {
        ++counters_.refused_auth;
        return build_datagram(cookie, error_reply(to_string(verified.error())));
      }
      dict = std::move(verified).value();
      signed_request = true;
      break;
    }
    case ControlAdmission::AcceptPlain:
      dict.erase(kAuthKey);
      break;
  }
  Dict reply;
  if (auto request = read_request(dict); !request) {
    ++counters_.malformed;
    reply = error_reply(to_string(request.error()));
  } else {
    reply = execute(now, wall, *request);
  }
  if (const Value* result = reply.find("result");
      result != nullptr && result->string() != nullptr && *result->string() == "error") {
    ++counters_.errors;
  }
  // A signed request gets a signed reply: the client takes no unsigned answer from a relay it
  // shares a secret with, so a forged reply cannot hand it a bogus SDP.
  if (signed_request && !signer_->sign(cookie, reply, wall)) {
    reply = error_reply("Signing failed");
  }
  std::string bytes = build_datagram(cookie, reply);
  cache_.insert(now, source, cookie, bytes);
  return bytes;
}

Dict NgServer::execute(TimePoint now, Duration wall, const NgRequest& request) {
  if (!request.rtpp_flags.empty()) return error_reply("rtpp-flags are not supported: send the flags as keys");
  switch (request.command) {
    case NgCommand::Ping:
      ++counters_.pings;
      return pong();
    case NgCommand::Offer:
      ++counters_.offers;
      return offer(now, wall, request);
    case NgCommand::Answer:
      ++counters_.answers;
      return answer(now, wall, request);
    case NgCommand::Delete:
      ++counters_.deletes;
      return erase(now, request);
    case NgCommand::Query:
      ++counters_.queries;
      return query(request);
    case NgCommand::List:
      ++counters_.lists;
      return list(request);
    case NgCommand::Other:
      break;
  }
  return error_reply("Unrecognized command");
}

std::string NgServer::advertised(const Address& local) const {
  const std::string& over = local.is_ipv6() ? config_.ipv6_advertised : config_.ipv4_advertised;
  return over.empty() ? local.ip : over;
}

auto NgServer::locate(std::string_view call_id, std::string_view tag) -> std::optional<Located> {
  const std::string id(call_id);
  if (auto it = calls_.find({id, std::string(tag)}); it != calls_.end()) return Located{it, Side::A};
  // The answerer's tag: calls sharing a Call-ID are adjacent in the ordered map.
  for (auto it = calls_.lower_bound({id, std::string()}); it != calls_.end() && it->first.first == id; ++it) {
    if (!it->second.b_tag.empty() && it->second.b_tag == tag) return Located{it, Side::B};
  }
  return std::nullopt;
}

void NgServer::open_ports(const CallKey& key, Call& call, const relay::SessionPorts& ports) {
  for (const Address* a : {&ports.a.rtp, &ports.a.rtcp, &ports.b.rtp, &ports.b.rtcp}) {
    if (a->port == 0 || port_owner_.contains(*a)) continue;
    port_owner_.emplace(*a, key);
    call.ports.push_back(*a);
    port_changes_.push_back({*a, true});
  }
}

namespace {

// The SIP source that sent the description, for sdp_leg.h's address rule: "received from", or
// the description's own address when the client says to trust it.
std::string sender_ip(const NgRequest& r, const sip::SdpStream& s) {
  if (r.has_flag("trust address")) return sip::text::lowercase(s.address);
  return r.received_from ? sip::text::lowercase(r.received_from->address) : std::string();
}

std::optional<relay::Family> family_named(std::string_view name) {
  if (name == "IP4") return relay::Family::Ipv4;
  if (name == "IP6") return relay::Family::Ipv6;
  return std::nullopt;
}

}  // namespace

Dict NgServer::offer(TimePoint now, Duration wall, const NgRequest& request) {
  auto sdp = sip::Sdp::parse(*request.sdp);
  if (!sdp) return error_reply("Failed to parse SDP");
  std::optional<relay::Family> far_family;
  if (!request.address_family.empty()) {
    far_family = family_named(request.address_family);
    if (!far_family) return error_reply("Invalid address family");
  }
  if (auto where = locate(request.call_id, request.from_tag)) {
    // A re-offer from either side (re-INVITE, UPDATE): both sides' sessions exist.
    return relay_description(now, wall, where->call, where->tag_side, false, {}, request);
  }
  const auto streams = sip::media_streams(*sdp);
  const CallKey key{request.call_id, request.from_tag};
  Call call;
  call.streams.assign(streams.size(), false);
  call.created_unix = unix_of(wall);
  call.last_signal_unix = call.created_unix;
  std::vector<sip::RelayedStream> relayed(streams.size());
  std::vector<relay::SessionPorts> opened;
  const auto undo = [&] { relay::remove_streams(sessions_, now, key, call.streams); };
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (!relay::relayable(streams[i])) continue;
    const relay::LegMedia caller = relay::leg_media(streams[i], sender_ip(request, streams[i]));
    auto ports = sessions_.offer(now, relay::stream_key(key, i), caller, far_family.value_or(caller.family));
    if (!ports) {
      undo();
      return error_reply(relay_error_reason(ports.error()));
    }
    call.streams[i] = true;
    opened.push_back(*ports);
    relayed[i] = sip::RelayedStream{.address = advertised(ports->b.rtp),
                                    .rtp_port = ports->b.rtp.port,
                                    .rtcp_port = ports->b.rtcp.port};
  }
  auto rewritten = sip::rewrite_for_relay(*sdp, relayed, {.ice = sip::IcePolicy::Strip});
  if (!rewritten) {
    undo();
    return error_reply(std::string("Cannot relay this SDP: ") + std::string(sip::to_string(rewritten.error())));
  }
  // Nothing to relay (every m= line disabled or layered): no call is kept — an offer costs no
  // memory unless it holds ports, which max_sessions and the pools bound.
  if (opened.empty()) return ok_with_sdp(rewritten->to_string());
  Call& added = calls_.emplace(key, std::move(call)).first->second;
  for (const auto& p : opened) open_ports(key, added, p);
  ++counters_.calls_created;
  return ok_with_sdp(rewritten->to_string());
}

Dict NgServer::answer(TimePoint now, Duration wall, const NgRequest& request) {
  // from-tag names the offerer, to-tag the side whose description this is.
  auto where = locate(request.call_id, request.from_tag);
  if (!where) return error_reply("Unknown call-id or from-tag");
  Call& call = where->call->second;
  if (where->tag_side == Side::A) {
    const bool initial = call.b_tag.empty() || call.b_tag != request.to_tag;
    return relay_description(now, wall, where->call, Side::B, initial, request.to_tag, request);
  }
  // The answer to the answerer's own re-offer: the description is the offerer's (A).
  if (request.to_tag != where->call->first.second) return error_reply("Unknown to-tag");
  return relay_description(now, wall, where->call, Side::A, false, {}, request);
}

Dict NgServer::relay_description(TimePoint now, Duration wall, Calls::iterator it, Side from,
                                 bool initial_answer, std::string_view to_tag, const NgRequest& request) {
  auto sdp = sip::Sdp::parse(*request.sdp);
  if (!sdp) return error_reply("Failed to parse SDP");
  Call& call = it->second;
  const auto streams = sip::media_streams(*sdp);
  // m= lines a re-offer adds (video next to the audio) get sessions of their own.
  if (request.command == NgCommand::Offer && streams.size() > call.streams.size()) {
    add_streams(now, it, from, streams, request);
  }
  std::vector<sip::RelayedStream> relayed(streams.size());
  for (std::size_t i = 0; i < streams.size() && i < call.streams.size(); ++i) {
    if (!call.streams[i] || !relay::relayable(streams[i])) continue;
    const auto key = relay::stream_key(it->first, i);
    const auto media = relay::leg_media(streams[i], sender_ip(request, streams[i]));
    auto ports = initial_answer ? sessions_.answer(now, key, to_tag, media) : sessions_.update(now, key, from, media);
    if (!ports) {
      if (ports.error() == relay::RelayError::UnknownSession) continue;  // that stream timed out
      return error_reply(relay_error_reason(ports.error()));
    }
    const relay::LocalMedia& toward = from == Side::A ? ports->b : ports->a;
    relayed[i] = sip::RelayedStream{.address = advertised(toward.rtp),
                                    .rtp_port = toward.rtp.port,
                                    .rtcp_port = toward.rtcp.port};
  }
  if (initial_answer) {
    call.b_tag = std::string(to_tag);
    // An ng client sends the answer once the call is answered or early media flows: from here on
    // silence ends the call (RelaySessions::confirm), as rtpengine's timeout does.
    for (std::size_t i = 0; i < call.streams.size(); ++i) {
      if (call.streams[i]) (void)sessions_.confirm(now, relay::stream_key(it->first, i));
    }
  }
  call.last_signal_unix = unix_of(wall);
  const std::uint64_t offset = from == Side::A ? call.version_offset_a : call.version_offset_b;
  auto rewritten = sip::rewrite_for_relay(*sdp, relayed, {.ice = sip::IcePolicy::Strip, .version_offset = offset});
  if (!rewritten) {
    return error_reply(std::string("Cannot relay this SDP: ") + std::string(sip::to_string(rewritten.error())));
  }
  return ok_with_sdp(rewritten->to_string());
}

void NgServer::add_streams(TimePoint now, Calls::iterator it, Side from, const std::vector<sip::SdpStream>& streams,
                           const NgRequest& request) {
  Call& call = it->second;
  std::vector<std::optional<relay::LegMedia>> media(streams.size());
  for (std::size_t i = call.streams.size(); i < streams.size(); ++i) {
    if (relay::relayable(streams[i])) media[i] = relay::leg_media(streams[i], sender_ip(request, streams[i]));
  }
  for (const auto& ports : relay::add_streams(sessions_, now, it->first, call.streams, from, media, !call.b_tag.empty())) {
    open_ports(it->first, call, ports);
  }
}

Dict NgServer::erase(TimePoint now, const NgRequest& request) {
  Calls::iterator it = calls_.end();
  if (!request.from_tag.empty()) {
    if (auto where = locate(request.call_id, request.from_tag)) it = where->call;
    if (it == calls_.end() && !request.to_tag.empty()) {
      if (auto where = locate(request.call_id, request.to_tag)) it = where->call;
    }
  } else {
    it = calls_.lower_bound({request.call_id, std::string()});  // the call-id's first call
    if (it != calls_.end() && it->first.first != request.call_id) it = calls_.end();
  }
  if (it == calls_.end()) return error_reply("Call-ID not found or tags didn't match");
  ++counters_.calls_deleted;
  if (request.has_flag("fast")) {
    remove(now, it);
    return delete_reply(nullptr);
  }
  const NgCallStats stats = stats_of(it->first, it->second);
  remove(now, it);
  return delete_reply(&stats);
}

NgCallStats NgServer::stats_of(const CallKey& key, const Call& call) const {
  const auto unix_at = [this](std::optional<TimePoint> t) -> std::int64_t {
    if (!t) return 0;
    return unix_of(wall_anchor_ + (*t - wall_anchor_now_));
  };
  NgCallStats stats;
  stats.created = call.created_unix;
  stats.last_signal = call.last_signal_unix;
  for (const Side side : {Side::A, Side::B}) {
    NgTagStats tag;
    tag.tag = side == Side::A ? key.second : call.b_tag;
    if (tag.tag.empty()) continue;  // not answered yet
    tag.created = call.created_unix;
    tag.in_dialogue_with = side == Side::A ? call.b_tag : key.second;
    for (std::size_t i = 0; i < call.streams.size(); ++i) {
      if (!call.streams[i]) continue;
      const relay::RelaySession* s = sessions_.find(relay::stream_key(key, i));
      if (s == nullptr) continue;
      const relay::RelayLeg& leg = s->leg(side);
      NgMediaStats media;
      media.index = static_cast<std::int64_t>(i) + 1;
      NgStreamStats rtp;
      rtp.local_port = leg.local.rtp;
      rtp.endpoint = leg.rtp_latch.latched ? leg.rtp_latch.latched : leg.rtp_latch.expected;
      rtp.packets = static_cast<std::int64_t>(leg.rtp_stats.packets());
      rtp.bytes = static_cast<std::int64_t>(leg.rtp_stats.bytes());
      for (const auto d : leg.dropped) rtp.errors += static_cast<std::int64_t>(d);
      rtp.last_packet = unix_at(leg.last_packet);
      media.streams.push_back(rtp);
      NgStreamStats rtcp;
      rtcp.rtcp = true;
      rtcp.local_port = leg.rtcp_mux ? leg.local.rtp : leg.local.rtcp;
      rtcp.packets = static_cast<std::int64_t>(leg.rtcp_packets);
      rtcp.bytes = static_cast<std::int64_t>(leg.rtcp_bytes);
      media.streams.push_back(rtcp);
      tag.medias.push_back(std::move(media));
    }
    stats.tags.push_back(std::move(tag));
  }
  return stats;
}

Dict NgServer::query(const NgRequest& request) const {
  auto it = calls_.end();
  if (!request.from_tag.empty()) {
    it = calls_.find({request.call_id, request.from_tag});
    for (auto j = calls_.lower_bound({request.call_id, std::string()});
         it == calls_.end() && j != calls_.end() && j->first.first == request.call_id; ++j) {
      if (j->second.b_tag == request.from_tag) it = j;
    }
  } else {
    it = calls_.lower_bound({request.call_id, std::string()});
    if (it != calls_.end() && it->first.first != request.call_id) it = calls_.end();
  }
  if (it == calls_.end()) return error_reply("Unknown call-id");
  return query_reply(stats_of(it->first, it->second));
}

Dict NgServer::list(const NgRequest& request) const {
  const auto limit = static_cast<std::size_t>(request.limit.value_or(32));
  std::vector<std::string> ids;
  for (const auto& [key, call] : calls_) {
    if (ids.size() >= limit) break;
    if (ids.empty() || ids.back() != key.first) ids.push_back(key.first);
  }
  return list_reply(ids);
}

void NgServer::remove(TimePoint now, Calls::iterator it) {
  Call& call = it->second;
  relay::remove_streams(sessions_, now, it->first, call.streams);
  for (const Address& a : call.ports) {
    port_owner_.erase(a);
    port_changes_.push_back({a, false});
  }
  calls_.erase(it);
}

std::optional<MediaSend> NgServer::on_packet(TimePoint now, const Address& local, const Address& source,
                                             std::string_view bytes) {
  return relay::forward(sessions_, now, local, source, bytes);
}

void NgServer::on_deadline(TimePoint now) {
  for (const auto& key : sessions_.on_deadline(now)) {
    const auto slash = key.from_tag.rfind('/');
    if (slash == std::string::npos) continue;
    const auto it = calls_.find({key.call_id, key.from_tag.substr(0, slash)});
    if (it == calls_.end()) continue;
    if (relay::any_stream_alive(sessions_, it->first, it->second.streams)) continue;  // another line talks
    ++counters_.calls_timed_out;
    remove(now, it);
  }
}

void NgServer::on_port_failed(TimePoint now, const Address& local) {
  const auto owner = port_owner_.find(local);
  if (owner == port_owner_.end()) return;
  const auto it = calls_.find(owner->second);
  if (it == calls_.end()) return;
  ++counters_.calls_port_failed;
  remove(now, it);
}

}  // namespace resproxy::media::ng
