// RelaySessions (session.h): the relay's sessions, ports, latches and inactivity, without I/O.
#include "proxy/media/relay/session.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "proxy/base/check.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::media::relay {

namespace {

constexpr std::size_t index_of(Family f) { return static_cast<std::size_t>(f); }
constexpr std::size_t index_of(DropReason r) { return static_cast<std::size_t>(r); }

bool is_hold(Direction d) { return d == Direction::SendOnly || d == Direction::Inactive; }

// Where that side sends RTCP: a=rtcp, else the next port up (RFC 3550 §11); none with mux.
std::optional<Address> rtcp_address(const LegMedia& media) {
  if (media.rtcp_mux || !media.rtp) return std::nullopt;
  if (media.rtcp) return media.rtcp;
  if (media.rtp->port == 65535) return std::nullopt;  // from the wire: no port above it
  return Address{media.rtp->ip, static_cast<std::uint16_t>(media.rtp->port + 1)};
}

// Our socket for a leg is of the leg's family; it cannot reach the other one.
bool fits_family(const LegMedia& media, Family leg_family) {
  if (media.family != leg_family) return false;
  for (const auto* a : {&media.rtp, &media.rtcp}) {
    if (*a && family_of(**a) != leg_family) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(RelayError e) {
  switch (e) {
    case RelayError::PoolExhausted: return "pool_exhausted";
    case RelayError::TooManySessions: return "too_many_sessions";
    case RelayError::NoLocalAddress: return "no_local_address";
    case RelayError::FamilyMismatch: return "family_mismatch";
    case RelayError::UnknownSession: return "unknown_session";
  }
  return "unknown_session";
}

int to_sip_status(RelayError e) {
  switch (e) {
    case RelayError::PoolExhausted:
    case RelayError::TooManySessions: return 503;  // RFC 3261 §21.5.4: try again later
    case RelayError::NoLocalAddress:
    case RelayError::FamilyMismatch: return 488;  // RFC 3261 §21.4.26: this SDP cannot be served
    case RelayError::UnknownSession: return 500;
  }
  return 500;
}

TimePoint RelaySession::last_activity() const {
  TimePoint latest = last_signal;
  for (const auto& l : legs) {
    if (l.last_packet) latest = std::max(latest, *l.last_packet);
  }
  return latest;
}

bool RelaySession::on_hold() const {
  // The direction as signalled, with or without an address: RFC 2543's c=0.0.0.0 hold has none.
  for (const auto& l : legs) {
    if (is_hold(l.direction)) return true;
  }
  return false;
}

RelaySessions::RelaySessions(const RelayConfig& config, Rng& rng) : config_(config), rng_(rng) {
  const auto add_pool = [this](Family family, const PortRange& range) {
    pools_[index_of(family)].emplace(range, config_.port_quarantine);
    const PortRange& r = pools_[index_of(family)]->range();
    if (r.max >= r.min) owners_[index_of(family)].resize((r.max - (r.min & 0xfffeu)) / 2u + 1u);
  };
  if (config_.ipv4_address) add_pool(Family::Ipv4, config_.ipv4_ports);
  if (config_.ipv6_address) add_pool(Family::Ipv6, config_.ipv6_ports);
}

RelaySessions::Owner* RelaySessions::owner_of(Family family, std::uint16_t port) {
  const PortPool* p = pools_[index_of(family)] ? &*pools_[index_of(family)] : nullptr;
  const std::uint16_t base = p == nullptr ? 0 : p->range().min & 0xfffeu;  // a pair's RTP port
  if (p == nullptr || port < base) return nullptr;
  auto& owners = owners_[index_of(family)];
  const std::size_t index = (port - base) / 2u;  // both ports of a pair
  return index < owners.size() ? &owners[index] : nullptr;
}

// RelayLeg's layout (session.h), held: what an RTP packet reads of the leg it arrives on fits in
// five lines, of the leg it leaves by in three.
static_assert(offsetof(RelayLeg, rtp_stats) + sizeof(StreamStats) <= 5 * 64);
static_assert(offsetof(RelayLeg, rtp_latch) + sizeof(LatchState) <= 3 * 64);

void RelaySessions::prefetch(const Address& local) const {
  const Owner* owner = owner_of(family_of(local), local.port);
  if (owner == nullptr || owner->session == nullptr) return;
  // What an RTP packet reads of the leg it arrives on and of the one it leaves by (RelayLeg's
  // layout); RTCP comes every few seconds and may miss.
  const auto lines = [](const RelayLeg& leg, std::size_t end) {
    const auto first = reinterpret_cast<std::uintptr_t>(&leg) & ~std::uintptr_t{63};
    const auto last = reinterpret_cast<std::uintptr_t>(&leg) + end - 1;
    for (std::uintptr_t line = first; line <= last; line += 64) {
      __builtin_prefetch(reinterpret_cast<const void*>(line));
    }
  };
  const RelaySession& s = *owner->session;
  lines(s.legs[static_cast<std::size_t>(owner->side)], offsetof(RelayLeg, rtp_stats) + sizeof(StreamStats));
  lines(s.legs[static_cast<std::size_t>(other(owner->side))], offsetof(RelayLeg, rtp_latch) + sizeof(LatchState));
}

PortPool* RelaySessions::pool_for(Family family) {
  auto& p = pools_[index_of(family)];
  return p ? &*p : nullptr;
}

const PortPool* RelaySessions::pool(Family family) const {
  const auto& p = pools_[index_of(family)];
  return p ? &*p : nullptr;
}

const std::string* RelaySessions::local_ip(Family family) const {
  const auto& ip = family == Family::Ipv4 ? config_.ipv4_address : config_.ipv6_address;
  return ip ? &*ip : nullptr;
}

SessionPorts RelaySessions::ports_of(const RelaySession& s) const {
  auto local = [this](const RelayLeg& l) {
    const std::string* ip = local_ip(l.family);  // guaranteed: the leg got its ports from it
    const std::string text = ip ? *ip : std::string{};
    return LocalMedia{Address{text, l.local.rtp}, Address{text, l.local.rtcp}};
  };
  return SessionPorts{local(s.leg(Side::A)), local(s.leg(Side::B))};
}

const RelaySession* RelaySessions::find(const SessionKey& key) const {
  const auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : &it->second;
}

std::optional<RelayError> RelaySessions::set_media(TimePoint now, RelayLeg& leg,
                                                   const LegMedia& media) {
  if (!fits_family(media, leg.family)) return RelayError::FamilyMismatch;
  leg.has_media = media.rtp.has_value();
  leg.rtcp_mux = media.rtcp_mux;
  leg.direction = media.direction;
  leg.rtp_stats.set_clock_rate(media.clock_rate);
  // Each signalling reopens learning on both components (rtpengine's "delayed" learning).
  auto& rtp = leg.rtp_latch;
  auto& rtcp = leg.rtcp_latch;
  rtp = on_signalling(rtp, now, media.rtp, media.address_usable, config_.latch);
  rtcp = on_signalling(rtcp, now, rtcp_address(media), media.address_usable, config_.latch);
  return std::nullopt;
}

Result<SessionPorts, RelayError> RelaySessions::offer(TimePoint now, const SessionKey& key,
                                                      const LegMedia& caller,
                                                      Family callee_family) {
  if (sessions_.contains(key)) return update(now, key, Side::A, caller);
  if (sessions_.size() >= config_.max_sessions) {
    ++counters_.too_many_sessions;
    return unexpected(RelayError::TooManySessions);
  }
  PortPool* pool_a = pool_for(caller.family);
  PortPool* pool_b = pool_for(callee_family);
  if (!pool_a || !pool_b) return unexpected(RelayError::NoLocalAddress);
  if (!fits_family(caller, caller.family)) return unexpected(RelayError::FamilyMismatch);
  // Both pairs or neither: checked first, so a refusal leaves no pair behind in quarantine.
  pool_a->reclaim(now);
  pool_b->reclaim(now);
  const std::size_t needed_from_a = pool_a == pool_b ? 2 : 1;
  if (pool_a->free_count() < needed_from_a || pool_b->free_count() < 1) {
    ++counters_.pool_exhausted;
    return unexpected(RelayError::PoolExhausted);
  }
  auto pair_a = pool_a->allocate(now, rng_);
  auto pair_b = pool_b->allocate(now, rng_);
  RESPROXY_CHECK(pair_a && pair_b);  // guaranteed: enough free pairs, checked above

  RelaySession& s = sessions_.emplace(key, RelaySession{}).first->second;
  s.key = key;
  RelayLeg& a = leg(s, Side::A);
  RelayLeg& b = leg(s, Side::B);
  a.family = caller.family;
  a.local = *pair_a;
  b.family = callee_family;
  b.local = *pair_b;
  *owner_of(a.family, a.local.rtp) = Owner{&s, Side::A};  // the pools' own ports: in range
  *owner_of(b.family, b.local.rtp) = Owner{&s, Side::B};
  const auto error = set_media(now, a, caller);
  RESPROXY_CHECK(!error);  // guaranteed: the families were checked above
  s.last_signal = now;
  schedule(s, deadline_of(s));
  ++counters_.sessions_created;
  return ports_of(s);
}

Result<SessionPorts, RelayError> RelaySessions::answer(TimePoint now, const SessionKey& key,
                                                       std::string_view to_tag,
                                                       const LegMedia& callee) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return unexpected(RelayError::UnknownSession);
  RelaySession& s = it->second;
  RelayLeg& b = leg(s, Side::B);
  if (!fits_family(callee, b.family)) return unexpected(RelayError::FamilyMismatch);
  if (!b.to_tag.empty() && b.to_tag != to_tag) {
    // Another fork answered: what leg B learned was about another phone (see the head of
    // session.h: the forks share leg B's ports).
    b.rtp_latch = {};
    b.rtcp_latch = {};
    b.rtp_stats = StreamStats{};
  }
  const auto error = set_media(now, b, callee);
  RESPROXY_CHECK(!error);  // guaranteed: the family was checked above
  b.to_tag = std::string(to_tag);
  s.last_signal = now;
  schedule(s, deadline_of(s));
  return ports_of(s);
}

Result<SessionPorts, RelayError> RelaySessions::update(TimePoint now, const SessionKey& key,
                                                       Side from, const LegMedia& media) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return unexpected(RelayError::UnknownSession);
  RelaySession& s = it->second;
  if (const auto error = set_media(now, leg(s, from), media)) return unexpected(*error);
  s.last_signal = now;
  schedule(s, deadline_of(s));  // hold or resume changes the timeout: re-arm exactly
  return ports_of(s);
}

PacketVerdict RelaySessions::on_packet(TimePoint now, const Address& local, const Address& source,
                                       std::span<const std::uint8_t> bytes) {
  auto drop = [this](RelayLeg* at, DropReason reason) {
    ++counters_.dropped[index_of(reason)];
    if (at) ++at->dropped[index_of(reason)];
    return PacketVerdict{Drop{reason}};
  };
  const Owner* owner = owner_of(family_of(local), local.port);
  // A removed session's late packets (the runtime closes its sockets, but some are in flight).
  if (owner == nullptr || owner->session == nullptr) return drop(nullptr, DropReason::UnknownPort);
  RelaySession& s = *owner->session;
  RelayLeg& from = leg(s, owner->side);
  RelayLeg& to = leg(s, other(owner->side));
  // A socket of one family hears only that family (the runtime hands an IPv4-mapped source as
  // IPv4): anything else could latch an address our socket cannot send to.
  if (family_of(source) != from.family) return drop(&from, DropReason::Foreign);
  const Component component = (local.port & 1u) != 0 ? Component::Rtcp : Component::Rtp;
  if (component == Component::Rtcp && from.rtcp_mux) return drop(&from, DropReason::UnusedPort);

  // from the wire: untrusted; both checks read only what the datagram holds
  PacketKind kind = PacketKind::Other;
  std::optional<RtpPacket> rtp;
  if (is_rtcp(bytes)) {
    kind = PacketKind::Rtcp;
  } else if (auto parsed = parse_rtp(bytes)) {
    kind = PacketKind::Rtp;
    rtp = *parsed;
  }
  LatchState& latch = from.latch(component);
  const Decision decision = decide(latch, source, now, kind, component, config_.latch);
  apply(latch, decision, source);
  if (!decision.accept) return drop(&from, decision.reason);

  // Accepted from this side's phone: a sign of life, whether or not it can go anywhere.
  from.last_packet = now;
  if (rtp) {
    from.rtp_stats.on_packet(now, rtp->ssrc, rtp->sequence_number, rtp->timestamp, bytes.size());
  } else {
    ++from.rtcp_packets;
    from.rtcp_bytes += bytes.size();
  }
  const Component target =
      kind == PacketKind::Rtcp && !to.rtcp_mux ? Component::Rtcp : Component::Rtp;
  const Address* destination_address = destination(to.latch(target));
  const std::string* ip = local_ip(to.family);
  if (!destination_address || !ip) return drop(&from, DropReason::NoDestination);
  ++counters_.forwarded;
  ++from.forwarded;
  const std::uint16_t port = target == Component::Rtp ? to.local.rtp : to.local.rtcp;
  return PacketVerdict{Forward{*destination_address, Address{*ip, port}}};
}

TimePoint RelaySessions::deadline_of(const RelaySession& s) const {
  if (!s.confirmed || s.on_hold()) return s.last_activity() + config_.hold_timeout;
  // Each side must show life: a call whose media crossed a link that died still hears one side
  // (the phone on our LAN talks on), and it is dead all the same.
  const auto alive = [&s](Side side) {
    const auto& last = s.leg(side).last_packet;
    return last ? std::max(*last, s.last_signal) : s.last_signal;
  };
  return std::min(alive(Side::A), alive(Side::B)) + config_.inactivity_timeout;
}

bool RelaySessions::confirm(TimePoint now, const SessionKey& key) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return false;
  RelaySession& s = it->second;
  if (!s.confirmed) {
    s.confirmed = true;
    s.last_signal = std::max(s.last_signal, now);  // the answer is a sign of life
    schedule(s, deadline_of(s));
  }
  return true;
}

void RelaySessions::schedule(RelaySession& s, TimePoint at) {
  if (s.timer_.second != 0) timers_.erase(s.timer_);
  s.timer_ = TimerKey{at, ++timer_seq_};
  timers_.emplace(s.timer_, &s);
}

std::optional<TimePoint> RelaySessions::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

std::vector<SessionKey> RelaySessions::on_deadline(TimePoint now) {
  std::vector<SessionKey> timed_out;
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    RelaySession& s = *timers_.begin()->second;
    // Packets move last_activity() without re-arming (cheap on the data path): the entry may be
    // early. Re-arm at the real deadline, which is never earlier than the entry.
    const TimePoint due = deadline_of(s);
    if (due > now) {
      schedule(s, due);
      continue;
    }
    timed_out.push_back(s.key);
    ++counters_.sessions_timed_out;
    erase(now, sessions_.find(s.key));
  }
  return timed_out;
}

bool RelaySessions::remove(TimePoint now, const SessionKey& key) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return false;
  ++counters_.sessions_removed;
  erase(now, it);
  return true;
}

void RelaySessions::erase(TimePoint now, std::map<SessionKey, RelaySession>::iterator it) {
  RelaySession& s = it->second;
  for (const RelayLeg& l : s.legs) {
    if (Owner* owner = owner_of(l.family, l.local.rtp)) *owner = Owner{};
    PortPool* p = pool_for(l.family);
    RESPROXY_CHECK(p != nullptr);  // guaranteed: the leg's pair came from it
    const auto released = p->release(now, l.local.rtp);
    RESPROXY_ASSERT(released.has_value());  // guaranteed: allocated once, released once
    (void)released;
  }
  timers_.erase(s.timer_);
  sessions_.erase(it);
}

}  // namespace resproxy::media::relay
