// MediaShards (media_shards.h): resproxy-media's shards, their threads and the control front.
#include "proxy/native/media_shards.h"

#include <sys/socket.h>

#include <chrono>
#include <stdexcept>
#include <utility>

#include <boost/asio/ip/address.hpp>

#include "proxy/native/openssl_crypto.h"

namespace resproxy::native {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

TimePoint steady_now() {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

Duration wall_now() {
  return std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
}

Address address_of(const udp::endpoint& e) {
  auto ip = e.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) ip = asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6());
  return Address{ip.to_string(), e.port()};
}

}  // namespace

MediaShards::MediaShards(asio::io_context& control_io, MediaShardsConfig config)
    : control_io_(control_io), config_(std::move(config)), socket_(control_io), buffer_(65536) {
  const auto& relay = config_.server.relay;
  const auto v4 = media::ng::split_port_range(relay.ipv4_ports, config_.shards);
  const auto v6 = media::ng::split_port_range(relay.ipv6_ports, config_.shards);
  ranges_ = relay.ipv4_address ? v4 : v6;
  if (ranges_.empty() || (relay.ipv4_address && v4.empty()) || (relay.ipv6_address && v6.empty())) {
    throw std::invalid_argument("--num-threads " + std::to_string(config_.shards) +
                                ": the port range has fewer whole even/odd port pairs than threads");
  }
  if (!config_.server.secret.empty()) signer_.emplace(config_.server.secret, openssl_crypto(), front_rng_);
  gather_ = std::make_unique<media::ng::ListGather>(config_.shards, signer_ ? &*signer_ : nullptr);
  for (std::size_t i = 0; i < config_.shards; ++i) {
    auto shard = std::make_unique<Shard>();
    media::ng::NgServerConfig c = config_.server;
    if (relay.ipv4_address) c.relay.ipv4_ports = v4[i];
    if (relay.ipv6_address) c.relay.ipv6_ports = v6[i];
    // Each shard holds its share of the calls (a share's ports bound it anyway).
    c.relay.max_sessions = (relay.max_sessions + config_.shards - 1) / config_.shards;
    shard->node = std::make_unique<media::ng::RelayNode>(std::move(c), openssl_crypto(), shard->rng);
    shards_.push_back(std::move(shard));
  }
}

MediaShards::~MediaShards() { stop(); }

void MediaShards::set_port_failure_log(media::ng::RelayNode::PortFailureLog log) {
  port_failure_log_ = std::move(log);
  for (auto& shard : shards_) shard->node->set_port_failure_log(port_failure_log_);
}

void MediaShards::start() {
  if (started_) return;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(config_.listen_ip, ec);
  if (ec) throw std::runtime_error("--listen-ng: '" + config_.listen_ip + "' is not an IPv4 or IPv6 address");
  const udp::endpoint endpoint(ip, config_.listen_port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) {
    boost::system::error_code ignored;
    socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
    socket_.bind(endpoint, ec);
  }
  if (ec) {
    throw std::runtime_error("cannot bind ng UDP " + config_.listen_ip + " port " +
                             std::to_string(config_.listen_port) + ": " + ec.message());
  }
  local_ = address_of(socket_.local_endpoint());
  for (auto& shard : shards_) {
    shard->runtime = std::make_unique<NativeRuntime>(
        shard->io, *shard->node,
        ListenConfig{.ip = local_.ip,
                     .port = local_.port,
                     .udp = false,  // the front's socket: set_datagram_sender below
                     .tcp = false,
                     .interface_poll = std::chrono::milliseconds(0),  // the relay trusts by address
                     .media_max_age = config_.media_max_age,
                     .media_io = config_.media_io});
    shard->runtime->set_datagram_sender([this](const SendDatagram& reply) { send_reply(reply); });
    shard->runtime->start();
  }
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    s->thread = std::thread([s] { s->runtime->run(); });
  }
  started_ = true;
  receive();
}

void MediaShards::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    // Inside the shard's loop: its io_context stops and run() returns.
    s->runtime->inject([s](Node&, TimePoint) { s->io.stop(); });
  }
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
    shard->runtime->stop();
  }
  // Last: the shards sent their replies through it until they stopped.
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void MediaShards::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), from_, [this](const boost::system::error_code& ec, std::size_t n) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      control_datagrams_.fetch_add(1, std::memory_order_relaxed);
      dispatch(from_, std::string_view(buffer_.data(), n));
    }
    receive();  // a read error (an ICMP error of an earlier reply) ends nothing
  });
}

void MediaShards::dispatch(const udp::endpoint& from, std::string_view datagram) {
  const Path path{.transport = Transport::Udp, .local = local_, .remote = address_of(from), .stream = {}};
  const auto route = media::ng::route_control(datagram, shards_.size());
  const auto deliver = [&path](Shard& shard, std::string bytes) {
    shard.runtime->inject([path, bytes = std::move(bytes)](Node& node, TimePoint now) {
      node.on_datagram(now, path, bytes);
    });
  };
  if (route.kind == media::ng::ControlRoute::Kind::One) {
    deliver(*shards_.at(route.shard), std::string(datagram));
    return;
  }
  {
    const std::lock_guard lock(gather_mutex_);
    if (!gather_->begin(steady_now(), path.remote, datagram)) return;
  }
  for (auto& shard : shards_) deliver(*shard, std::string(datagram));
}

void MediaShards::send_reply(const SendDatagram& reply) {
  std::optional<std::string> merged;
  {
    const std::lock_guard lock(gather_mutex_);
    if (gather_->pending() > 0) {
      auto taken = gather_->take_reply(steady_now(), wall_now(), reply.remote, reply.bytes);
      if (taken.gathered && !taken.merged) return;  // more shards to hear from
      merged = std::move(taken.merged);
    }
  }
  send_to(reply.remote, merged ? std::string_view(*merged) : std::string_view(reply.bytes));
}

void MediaShards::send_to(const Address& to, std::string_view bytes) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(to.ip, ec);
  if (ec) return;
  if (ip.is_v4() && local_.is_ipv6()) ip = asio::ip::make_address_v6(asio::ip::v4_mapped, ip.to_v4());
  const udp::endpoint endpoint(ip, to.port);
  // A plain sendto on the socket's descriptor: thread-safe in the kernel, unlike the Asio object.
  // A full buffer loses the reply; the ng client retransmits and gets the shard's cached one.
  (void)::sendto(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT, endpoint.data(),
                 static_cast<socklen_t>(endpoint.size()));
}

MediaShards::Totals MediaShards::totals() const {
  Totals t;
  for (const auto& shard : shards_) {
    t.calls_created += shard->node->server().counters().calls_created;
    t.packets_forwarded += shard->node->server().sessions().counters().forwarded;
  }
  t.control_datagrams = control_datagrams_.load(std::memory_order_relaxed);
  t.lists_dropped = gather_->dropped();
  return t;
}

}  // namespace resproxy::native
