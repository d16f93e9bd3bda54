#pragma once
// PortPool: the relay's local UDP port pairs from one configured range — an even port for RTP and
// the odd one above it for RTCP (RFC 3550 §11: "RTP SHOULD use an even destination port number
// and the corresponding RTCP stream SHOULD use the next higher (odd) destination port number").
// RelaySessions (session.h) keeps one pool per address family; the runtime binds what it says.
//
// Allocation order is random, drawn from the injected Rng: an off-path attacker who must guess
// the port cannot spray a stream before its phone latches it (the reasoning of RFC 6056 §1 for
// ephemeral ports; sequential relay ports are guessable from one call's SDP). Uniform over the
// free pairs, O(1) per call: the free pairs are kept in an array; allocate() swaps a random one
// with the last and pops it.
//
// Quarantine: a released pair is not handed out again before `quarantine` has passed (default
// 30 s), so late and retransmitted packets of an ended call never reach the next call on that
// port — at least one latching window plus network delay. Quarantine is a FIFO (every entry waits
// the same time, and `now` never decreases), reclaimed lazily when allocate() or reclaim() runs.
//
// Memory is fixed at construction: three arrays of at most 32,768 entries (a whole 16-bit range),
// whatever the traffic. Errors are returned, never thrown: exhaustion becomes a SIP 503 (and 488
// for an offer that cannot be relayed) in the caller.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::media::relay {

// Inclusive. Only whole pairs inside it are used: [30001, 30010] gives 30002..30009, 4 pairs.
struct PortRange {
  // Below Linux's ephemeral ports (32768-60999 by default): an outgoing socket of any program
  // never holds one of ours.
  std::uint16_t min = 20000;
  std::uint16_t max = 29999;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct PortPair {
  std::uint16_t rtp = 0;  // even
  std::uint16_t rtcp = 0;  // rtp + 1
  friend bool operator==(const PortPair&, const PortPair&) = default;
};

enum class PortPoolError : std::uint8_t {
  Exhausted,    // every pair is in use or in quarantine: answer 503 with Retry-After
  NotAllocated  // release of a port this pool did not hand out (or released twice): our bug
};
std::string_view to_string(PortPoolError e);

class PortPool {
 public:
  // A range without a whole even/odd pair (or port 0 only) has capacity 0: the configuration
  // layer refuses it; here every allocate() is then Exhausted.
  PortPool(PortRange range, Duration quarantine);

  // A random free pair; Exhausted when none (quarantined pairs are not free).
  [[nodiscard]] Result<PortPair, PortPoolError> allocate(TimePoint now, Rng& rng);
  // Gives the pair of `rtp_port` back; it waits in quarantine until now + quarantine.
  [[nodiscard]] Result<PortPair, PortPoolError> release(TimePoint now, std::uint16_t rtp_port);
  // Moves pairs whose quarantine ended by `now` back to the free set.
  void reclaim(TimePoint now);

  [[nodiscard]] std::size_t capacity() const { return states_.size(); }
  [[nodiscard]] std::size_t free_count() const { return free_.size(); }  // as of the last reclaim
  [[nodiscard]] std::size_t in_use_count() const { return in_use_; }
  [[nodiscard]] std::size_t quarantined_count() const { return quarantine_size_; }
  [[nodiscard]] bool is_in_use(std::uint16_t port) const;  // either port of an allocated pair
  [[nodiscard]] const PortRange& range() const { return range_; }
  [[nodiscard]] Duration quarantine() const { return quarantine_; }

 private:
  enum class State : std::uint8_t { Free, InUse, Quarantined };
  struct Waiting {
    std::uint16_t index = 0;
    TimePoint until{};
  };
  [[nodiscard]] std::uint16_t rtp_port_of(std::size_t index) const;
  [[nodiscard]] bool index_of(std::uint16_t port, std::size_t& index) const;

  PortRange range_;
  Duration quarantine_;
  std::uint16_t first_rtp_ = 0;        // the lowest even port of a whole pair in the range
  std::vector<State> states_;          // per pair index
  std::vector<std::uint16_t> free_;    // pair indices, unordered
  std::vector<Waiting> quarantine_fifo_;  // a ring of capacity() entries
  std::size_t quarantine_head_ = 0;
  std::size_t quarantine_size_ = 0;
  std::size_t in_use_ = 0;
};

}  // namespace resproxy::media::relay
