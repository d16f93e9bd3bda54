#pragma once
// The relay's control front when resproxy-media runs one data-path thread per core (#13 step d,
// `--num-threads`). Sans-I/O: the daemon (proxy/native/media_shards.h) owns the threads and the
// sockets; this decides where each control datagram goes and merges what comes back.
//
// Model: N shards, each a whole relay (RelayNode over its own RelaySessions and NgServer) with a
// disjoint share of the port range (split_port_range), run by its own thread. Nothing is shared
// between shards, so the data path takes no lock: a call's ports, its sessions and its ng state
// live in exactly one shard, chosen by its Call-ID (shard_of). The control socket stays one
// (rtpengine's --listen-ng): requests arrive there, and replies leave from it.
//
// Routing (route_control):
//   offer, answer, delete, query — anything with a "call-id": the call's shard, every time, so a
//       re-offer, a retransmission (same cookie: that shard's reply cache) and a replay (that
//       shard's nonce table) meet the state they need.
//   list — every shard (the call-ids are spread over them); their replies are merged (ListGather).
//   ping, and everything that does not decode or carries no call-id — shard 0, which answers
//       them exactly as the one-thread relay does (pong, or the error reply and its counter).
// Hashing is FNV-1a over the Call-ID's bytes: stable across runs and builds, so a test can tell
// which shard a call is on. Only trusted or signed clients create calls, so an attacker who
// picks Call-IDs to crowd one shard must first be allowed to create calls at all.
//
// A cost of sharding, stated: a shard's port share can run out while another's has room; its
// offer is then refused (503-worthy "Ports exhausted", as the one-thread relay answers when the
// whole range is used). Call-ID hashes spread calls evenly, so at N shards this comes within
// about N·sqrt(calls per shard) calls of the full range.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/time.h"
#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/relay/port_pool.h"

namespace resproxy::media::ng {

// FNV-1a (64 bits) of the Call-ID, modulo `shards` (> 0).
[[nodiscard]] std::size_t shard_of(std::string_view call_id, std::size_t shards);

// `range` cut into `shards` contiguous parts of whole even/odd pairs, in order; the last part
// also takes the pairs left over. Empty when a part would get no pair (the daemon refuses such a
// --num-threads against --port-min/--port-max).
[[nodiscard]] std::vector<relay::PortRange> split_port_range(relay::PortRange range, std::size_t shards);

struct ControlRoute {
  enum class Kind : std::uint8_t { One, All };
  Kind kind = Kind::One;
  std::size_t shard = 0;  // Kind::One
};
// Where a control datagram (untrusted) goes; see the header comment.
[[nodiscard]] ControlRoute route_control(std::string_view datagram, std::size_t shards);

struct ListGatherConfig {
  std::size_t max_pending = 256;        // lists being gathered at once; more are dropped
  Duration timeout = std::chrono::seconds{2};  // a gather missing replies this long is dropped
};

// Gathers the shards' replies to one `list` into one reply. The request went to every shard as
// it came (each admits, verifies and caches it on its own); each answers under the request's
// cookie. Merged: if any shard answered with an error, the first error reply as it came (they
// all saw the same request, so they refuse it alike); otherwise one "ok" with the union of the
// call-ids in order, at most the request's "limit" (32 when absent, as NgServer), re-signed
// with `signer` when the shards' replies were signed (the client takes no unsigned reply to a
// signed request).
class ListGather {
 public:
  // `signer`: the relay's signer when a secret is configured (must outlive the gather); none
  // without a secret.
  ListGather(std::size_t shards, NgSigner* signer, ListGatherConfig config = {});

  // A list request from `source`: false when it must not be sent to the shards — the same
  // (source, cookie) is being gathered already (a client's retransmission: the pending gather
  // answers it), or max_pending gathers are pending. `datagram` is the request as received.
  [[nodiscard]] bool begin(TimePoint now, const Address& source, std::string_view datagram);

  // One shard's reply datagram to `destination`: whether it belongs to a gather (then the
  // caller sends nothing itself), and the merged datagram once every shard answered.
  struct Taken {
    bool gathered = false;
    std::optional<std::string> merged;
  };
  [[nodiscard]] Taken take_reply(TimePoint now, Duration since_unix_epoch, const Address& destination,
                                 std::string_view reply);

  [[nodiscard]] std::size_t pending() const { return pending_.size(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }  // refused, timed out

 private:
  struct Key {
    Address source;
    std::string cookie;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  struct Pending {
    TimePoint started{};
    std::size_t limit = 32;
    std::vector<std::string> replies;
  };
  void expire(TimePoint now);
  [[nodiscard]] std::string merge(std::string_view cookie, const Pending& pending,
                                  Duration since_unix_epoch) const;

  std::size_t shards_;
  NgSigner* signer_;
  ListGatherConfig config_;
  std::map<Key, Pending> pending_;
  std::uint64_t dropped_ = 0;
};

}  // namespace resproxy::media::ng
