#include "model/nat_table.h"

#include <algorithm>
#include <stdexcept>

namespace resproxy::model {

std::string_view to_string(NatBehaviour behaviour) {
  switch (behaviour) {
    case NatBehaviour::EndpointIndependent: return "endpoint_independent";
    case NatBehaviour::AddressDependent: return "address_dependent";
    case NatBehaviour::AddressAndPortDependent: return "address_and_port_dependent";
  }
  return "?";
}

std::optional<NatBehaviour> parse_nat_behaviour(std::string_view text) {
  for (const auto b : {NatBehaviour::EndpointIndependent, NatBehaviour::AddressDependent,
                       NatBehaviour::AddressAndPortDependent}) {
    if (text == to_string(b)) return b;
  }
  return std::nullopt;
}

NatTable::NatTable(NatConfig config) : config_(config) {
  if (config_.timeout <= Duration::zero()) throw std::invalid_argument("NatTable: the timeout must be positive");
  if (config_.first_port > config_.last_port) throw std::invalid_argument("NatTable: first_port > last_port");
}

NatTable::Key NatTable::key_for(NatEndpoint inside, NatEndpoint remote) const {
  switch (config_.mapping) {
    case NatBehaviour::EndpointIndependent: return {inside, {}};
    case NatBehaviour::AddressDependent: return {inside, {remote.ip, 0}};
    case NatBehaviour::AddressAndPortDependent: return {inside, remote};
  }
  return {inside, remote};
}

NatEndpoint NatTable::filter_view(NatEndpoint remote) const {
  switch (config_.filtering) {
    case NatBehaviour::EndpointIndependent: return {};
    case NatBehaviour::AddressDependent: return {remote.ip, 0};
    case NatBehaviour::AddressAndPortDependent: return remote;
  }
  return remote;
}

std::optional<std::uint16_t> NatTable::allocate(std::uint16_t inside_port) {
  const std::uint32_t size = std::uint32_t{config_.last_port} - config_.first_port + 1;
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t offset = (next_offset_ + i) % size;
    const auto port = static_cast<std::uint16_t>(config_.first_port + offset);
    if (config_.preserve_parity && port % 2 != inside_port % 2) continue;
    if (by_port_.contains(port)) continue;
    next_offset_ = (offset + 1) % size;
    return port;
  }
  return std::nullopt;
}

void NatTable::expire(TimePoint now) {
  if (now < next_expiry_) return;
  next_expiry_ = TimePoint::max();
  for (auto it = by_port_.begin(); it != by_port_.end();) {
    const TimePoint dies = it->second.refreshed + config_.timeout;
    if (now >= dies) {
      by_key_.erase(it->second.key);
      it = by_port_.erase(it);
      ++counters_.mappings_expired;
    } else {
      next_expiry_ = std::min(next_expiry_, dies);
      ++it;
    }
  }
}

std::optional<std::uint16_t> NatTable::outbound(TimePoint now, NatEndpoint inside, NatEndpoint remote) {
  expire(now);
  const Key key = key_for(inside, remote);
  std::uint16_t port = 0;
  if (const auto it = by_key_.find(key); it != by_key_.end()) {
    port = it->second;
  } else {
    const auto free = allocate(inside.port);
    if (!free) {
      ++counters_.dropped_no_port;
      return std::nullopt;
    }
    port = *free;
    by_key_.emplace(key, port);
    by_port_.emplace(port, Mapping{key, now, {}});
    ++counters_.mappings_created;
  }
  Mapping& m = by_port_.at(port);
  m.refreshed = now;  // REQ-6: outbound traffic refreshes
  next_expiry_ = std::min(next_expiry_, now + config_.timeout);
  if (config_.filtering != NatBehaviour::EndpointIndependent) m.permitted.insert(filter_view(remote));
  ++counters_.translated_out;
  return port;
}

NatInbound NatTable::inbound(TimePoint now, NatEndpoint remote, std::uint16_t port) {
  expire(now);
  const auto it = by_port_.find(port);
  if (it == by_port_.end()) {
    ++counters_.dropped_unsolicited;
    return {NatInbound::Verdict::NoMapping, {}};
  }
  Mapping& m = it->second;
  if (config_.filtering != NatBehaviour::EndpointIndependent && !m.permitted.contains(filter_view(remote))) {
    ++counters_.dropped_filtered;
    return {NatInbound::Verdict::Filtered, {}};
  }
  if (config_.refresh_on_inbound) m.refreshed = now;
  ++counters_.translated_in;
  return {NatInbound::Verdict::Pass, m.key.inside};
}

std::optional<std::uint16_t> NatTable::port_of(NatEndpoint inside, NatEndpoint remote) const {
  const auto it = by_key_.find(key_for(inside, remote));
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

}  // namespace resproxy::model
