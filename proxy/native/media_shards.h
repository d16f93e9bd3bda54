#pragma once
// MediaShards: resproxy-media with one data-path thread per core (`--num-threads=N`, #13 step
// d). Each shard is a whole relay — a RelayNode over its own NgServer and RelaySessions, its own
// NativeRuntime (recvmmsg/sendmmsg, its own epoll wait on its ports) and its own thread — with
// 1/N of the port range (media/ng/ng_shards.h: split_port_range). Shards share nothing, so the
// data path takes no lock and a packet never crosses threads: the ports a call's packets reach
// were bound by the thread that relays them.
//
// Control: one ng socket (--listen-ng), read on the caller's io_context (the daemon's main
// thread, with its signals). Each request goes where route_control says — a call's requests to
// its Call-ID's shard, `list` to every shard, the rest to shard 0 — as an input injected into
// that shard's runtime with the client's address, so admission (trusted sources, signatures,
// replays) and the reply cache work exactly as in the one-thread relay. Replies leave from the
// ng socket (each shard's runtime has a datagram sender, runtime.h, instead of a socket of its
// own): sendto() from the shard's thread, which the kernel allows on one UDP socket from many
// threads. The replies to a `list` are merged first (ListGather), on the shard thread that
// brings the last one, under a mutex — control traffic only.
//
// Threads are not pinned: the operator pins the daemon (taskset, systemd CPUAffinity=) and the
// kernel spreads the shards over the CPUs it may use. Start-up binds everything before any
// thread runs; stop() ends and joins the shard threads. Not copyable; one per daemon.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/base/net.h"
#include "proxy/media/ng/ng_server.h"
#include "proxy/media/ng/ng_shards.h"
#include "proxy/media/ng/relay_node.h"
#include "proxy/native/os_rng.h"
#include "proxy/native/runtime.h"

namespace resproxy::native {

struct MediaShardsConfig {
  media::ng::NgServerConfig server;  // the whole relay's: its ranges are cut per shard
  std::size_t shards = 2;
  std::string listen_ip = "127.0.0.1";  // --listen-ng
  std::uint16_t listen_port = 0;        // 0: ephemeral
  std::chrono::milliseconds media_max_age{50};
  ListenConfig::MediaIo media_io = ListenConfig::MediaIo::Auto;  // each shard's run()
};

class MediaShards {
 public:
  // Throws std::invalid_argument when the port range has fewer whole pairs than shards.
  MediaShards(boost::asio::io_context& control_io, MediaShardsConfig config);
  ~MediaShards();
  MediaShards(const MediaShards&) = delete;
  MediaShards& operator=(const MediaShards&) = delete;

  // Told of every port a shard could not bind (its call was removed); called on that shard's
  // thread. Set before start().
  void set_port_failure_log(media::ng::RelayNode::PortFailureLog log);

  // Binds the ng socket (throws std::runtime_error naming the address and the OS error), starts
  // every shard's runtime and thread, and starts reading control datagrams on control_io.
  void start();
  // Stops reading control, stops every shard and joins its thread. Idempotent.
  void stop();

  [[nodiscard]] Address local_address() const { return local_; }
  [[nodiscard]] const media::ng::NgServerConfig& server_config() const { return config_.server; }
  [[nodiscard]] std::size_t shard_count() const { return shards_.size(); }
  // Each shard's port share, in shard order.
  [[nodiscard]] const std::vector<media::relay::PortRange>& port_ranges() const { return ranges_; }

  struct Totals {
    std::uint64_t calls_created = 0;
    std::uint64_t packets_forwarded = 0;
    std::uint64_t control_datagrams = 0;  // read on the ng socket
    std::uint64_t lists_dropped = 0;      // gathers refused or timed out (ListGather)
  };
  // Summed over the shards; call after stop() (the shards' counters are their threads' own).
  [[nodiscard]] Totals totals() const;

 private:
  struct Shard {
    boost::asio::io_context io;
    CryptoRng rng;
    std::unique_ptr<media::ng::RelayNode> node;
    std::unique_ptr<NativeRuntime> runtime;
    std::thread thread;
  };

  void receive();
  void dispatch(const boost::asio::ip::udp::endpoint& from, std::string_view datagram);
  void send_reply(const SendDatagram& reply);
  void send_to(const Address& to, std::string_view bytes);

  boost::asio::io_context& control_io_;
  MediaShardsConfig config_;
  std::vector<media::relay::PortRange> ranges_;
  std::vector<std::unique_ptr<Shard>> shards_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint from_;
  std::vector<char> buffer_;
  Address local_;
  std::atomic<std::uint64_t> control_datagrams_{0};

  std::mutex gather_mutex_;  // the ListGather and the front's signer and rng
  CryptoRng front_rng_;
  std::optional<media::ng::NgSigner> signer_;
  std::unique_ptr<media::ng::ListGather> gather_;
  media::ng::RelayNode::PortFailureLog port_failure_log_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace resproxy::native
