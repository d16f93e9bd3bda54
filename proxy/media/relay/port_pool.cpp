// PortPool (port_pool.h): random even/odd port pairs with a quarantine, in fixed memory.
#include "proxy/media/relay/port_pool.h"

#include <utility>

namespace resproxy::media::relay {

std::string_view to_string(PortPoolError e) {
  switch (e) {
    case PortPoolError::Exhausted: return "exhausted";
    case PortPoolError::NotAllocated: return "not_allocated";
  }
  return "exhausted";
}

PortPool::PortPool(PortRange range, Duration quarantine) : range_(range), quarantine_(quarantine) {
  std::uint32_t first = range.min + (range.min % 2);  // round up to even
  if (first == 0) first = 2;                          // port 0 means "any" to a socket
  std::size_t pairs = 0;
  if (first + 1 <= range.max) pairs = (std::uint32_t{range.max} - first + 1) / 2;
  first_rtp_ = static_cast<std::uint16_t>(first);
  states_.assign(pairs, State::Free);
  free_.reserve(pairs);
  for (std::size_t i = 0; i < pairs; ++i) free_.push_back(static_cast<std::uint16_t>(i));
  quarantine_fifo_.resize(pairs);
}

std::uint16_t PortPool::rtp_port_of(std::size_t index) const {
  return static_cast<std::uint16_t>(first_rtp_ + 2 * index);
}

bool PortPool::index_of(std::uint16_t port, std::size_t& index) const {
  if (port < first_rtp_) return false;
  index = (port - first_rtp_) / 2;
  return index < states_.size();
}

bool PortPool::is_in_use(std::uint16_t port) const {
  std::size_t index = 0;
  return index_of(port, index) && states_[index] == State::InUse;
}

void PortPool::reclaim(TimePoint now) {
  // Entries wait equally long and were queued in time order: the front is always the oldest.
  while (quarantine_size_ > 0 && quarantine_fifo_[quarantine_head_].until <= now) {
    const std::uint16_t index = quarantine_fifo_[quarantine_head_].index;
    quarantine_head_ = (quarantine_head_ + 1) % quarantine_fifo_.size();
    --quarantine_size_;
    states_[index] = State::Free;
    free_.push_back(index);
  }
}

Result<PortPair, PortPoolError> PortPool::allocate(TimePoint now, Rng& rng) {
  reclaim(now);
  if (free_.empty()) return unexpected(PortPoolError::Exhausted);
  // Uniform over the free pairs: which one is taken depends on the draw, not on history alone.
  const std::size_t pick = static_cast<std::size_t>(rng.uniform(free_.size()));
  const std::uint16_t index = free_[pick];
  free_[pick] = free_.back();
  free_.pop_back();
  states_[index] = State::InUse;
  ++in_use_;
  const std::uint16_t rtp = rtp_port_of(index);
  return PortPair{rtp, static_cast<std::uint16_t>(rtp + 1)};
}

Result<PortPair, PortPoolError> PortPool::release(TimePoint now, std::uint16_t rtp_port) {
  std::size_t index = 0;
  if (rtp_port % 2 != 0 || !index_of(rtp_port, index) || states_[index] != State::InUse) {
    return unexpected(PortPoolError::NotAllocated);
  }
  states_[index] = State::Quarantined;
  --in_use_;
  // guaranteed: at most capacity() pairs are quarantined at once, so the ring never overflows
  const std::size_t tail = (quarantine_head_ + quarantine_size_) % quarantine_fifo_.size();
  quarantine_fifo_[tail] = Waiting{static_cast<std::uint16_t>(index), now + quarantine_};
  ++quarantine_size_;
  return PortPair{rtp_port, static_cast<std::uint16_t>(rtp_port + 1)};
}

}  // namespace resproxy::media::relay
