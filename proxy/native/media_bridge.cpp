// MediaBridges (media_bridge.h): the gateway's RTP endpoints and the 20 ms line clock.
#include "proxy/native/media_bridge.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/gateway/media_bridge_plan.h"
#include "proxy/media/bridge_core.h"
#include "proxy/native/os_rng.h"

namespace resproxy::native {

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using ErrorCode = boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
using Key = std::pair<gateway::SpanId, gateway::LineCallId>;

constexpr auto kFrameTime = std::chrono::milliseconds(20);
constexpr std::size_t kReceiveBuffer = 2048;  // G.711 at 20 ms is 172 octets; more is not ours

TimePoint to_core(SteadyClock::time_point t) {
  return TimePoint{std::chrono::duration_cast<Duration>(t.time_since_epoch())};
}

// A source as compared with the remote: IPv4-mapped IPv6 (a dual-stack socket) seen as IPv4.
udp::endpoint normalised(const udp::endpoint& e) {
  const auto ip = e.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return {asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6()), e.port()};
  }
  return e;
}

// The canonical text form BridgeCore compares (bridge_core.h): Asio's, after normalised().
Address to_address(const udp::endpoint& e) { return Address{e.address().to_string(), e.port()}; }

// The negotiated remote as a socket address, or none when it is not known yet (the core latches
// to the first RTP source): port 0, an unspecified or multicast address, or not a literal IP.
std::optional<Address> remote_of(const gateway::MediaBridge& command) {
  if (command.remote_port == 0) return std::nullopt;
  ErrorCode ec;
  const auto ip = asio::ip::make_address(command.remote_ip, ec);  // from the SDP: untrusted
  if (ec || ip.is_unspecified() || ip.is_multicast()) return std::nullopt;
  return to_address(normalised(udp::endpoint(ip, command.remote_port)));
}

media::BridgeSettings settings_of(const gateway::MediaBridge& command) {
  return gateway::to_bridge_settings(command, remote_of(command));
}

struct Bridge {
  Bridge(asio::io_context& io, Key k, std::uint16_t p) : key(k), port(p), socket(io) {}

  Key key;
  std::uint16_t port = 0;
  udp::socket socket;
  std::unique_ptr<media::BridgeCore> core;
  std::array<std::uint8_t, kReceiveBuffer> buffer{};
  udp::endpoint sender;
  // Translations cached so that a steady stream costs no address parsing or formatting.
  std::optional<std::pair<udp::endpoint, Address>> last_source;
  std::optional<std::pair<Address, udp::endpoint>> last_destination;
  bool closed = false;
};

}  // namespace

class MediaBridges::Impl : public std::enable_shared_from_this<MediaBridges::Impl> {
 public:
  Impl(asio::io_context& io, MediaBridgeConfig config, MediaLine* line)
      : io_(io), config_(std::move(config)), line_(line), timer_(io), rng_(os_seeded_rng()) {
    ErrorCode ec;
    bind_ip_ = asio::ip::make_address(config_.bind_ip, ec);
    if (ec) {
      throw std::runtime_error("resproxy: media address '" + config_.bind_ip +
                               "' is not an IPv4 or IPv6 address");
    }
    if (line_ == nullptr) line_ = &loopback_;
  }

  void on_command(gateway::SpanId span, const gateway::MediaBridge& command);
  void close(const Key& key);
  void close_all();
  // The owner is going: no more commands, ticks or line calls (pending handlers hold *this).
  void stop() {
    close_all();
    stopped_ = true;
    ticking_ = false;
    timer_.cancel();
  }
  [[nodiscard]] MediaBridgeTotals totals() const;
  [[nodiscard]] std::vector<MediaBridgeInfo> bridges() const;
  [[nodiscard]] std::optional<MediaBridgeInfo> bridge(const Key& key) const;

 private:
  // The plan's Open: bind the port, then the BridgeCore (a port that cannot be bound: refused).
  void open(const Key& key, const gateway::MediaBridge& command);
  void close_bridge(std::map<Key, std::shared_ptr<Bridge>>::iterator it);
  void receive(const std::shared_ptr<Bridge>& b);
  void on_datagram(Bridge& b, std::size_t size);
  void arm_timer();
  void on_tick(const ErrorCode& ec);
  void tick(TimePoint now);
  void flush(Bridge& b);
  [[nodiscard]] static MediaBridgeInfo info_of(const Bridge& b);

  asio::io_context& io_;
  MediaBridgeConfig config_;
  asio::ip::address bind_ip_;
  LoopbackLine loopback_;
  MediaLine* line_;
  asio::steady_timer timer_;
  bool ticking_ = false;
  SteadyClock::time_point next_tick_{};
  SeededRng rng_;  // SSRCs and first sequence numbers and timestamps: unique, not secret
  std::map<Key, std::shared_ptr<Bridge>> bridges_;
  MediaBridgeTotals totals_;      // opened/closed/refused/overruns and the closed bridges' counters
  bool stopped_ = false;
};

void MediaBridges::Impl::on_command(gateway::SpanId span, const gateway::MediaBridge& command) {
  if (stopped_) return;
  const Key key{span, command.call};
  const auto it = bridges_.find(key);
  const auto holder = std::find_if(bridges_.begin(), bridges_.end(), [&](const auto& entry) {
    return entry.first != key && entry.second->port == command.rtp_port;
  });
  const gateway::MediaBridgePlan plan = gateway::plan_media_bridge(
      command, {.call_port = it != bridges_.end() ? std::optional(it->second->port) : std::nullopt,
                .port_held_by_other = holder != bridges_.end(),
                .size = bridges_.size(),
                .max_bridges = config_.max_bridges});
  if (plan.close_call) close_bridge(it);
  if (plan.close_holder) close_bridge(holder);  // another key: `it` erased, `holder` still valid
  switch (plan.action) {
    case gateway::MediaBridgeAction::None:
      return;
    case gateway::MediaBridgeAction::Update:
      (void)it->second->core->on_update(settings_of(command));  // guaranteed: G.711, by the plan
      return;
    case gateway::MediaBridgeAction::Refuse:
      ++totals_.refused;
      return;
    case gateway::MediaBridgeAction::Open:
      open(key, command);
      return;
  }
}

void MediaBridges::Impl::open(const Key& key, const gateway::MediaBridge& command) {
  auto b = std::make_shared<Bridge>(io_, key, command.rtp_port);
  const udp::endpoint local(bind_ip_, command.rtp_port);
  ErrorCode ec;
  b->socket.open(local.protocol(), ec);
  if (!ec) b->socket.bind(local, ec);
  if (!ec) b->socket.non_blocking(true, ec);
  if (ec) {  // the port is taken (another process): the call has no audio; counted
    ++totals_.refused;
    return;
  }
  // Drawn only once the port is ours, so a refused command moves no draw.
  b->core = media::BridgeCore::open(config_.jitter, settings_of(command), rng_);
  bridges_.emplace(key, b);
  ++totals_.opened;
  line_->on_bridge(key.first, key.second, true);
  receive(b);
  if (!ticking_) {
    ticking_ = true;
    next_tick_ = SteadyClock::now() + kFrameTime;
    arm_timer();
  }
}

void MediaBridges::Impl::close(const Key& key) {
  const auto it = bridges_.find(key);
  if (it != bridges_.end()) close_bridge(it);
}

void MediaBridges::Impl::close_bridge(std::map<Key, std::shared_ptr<Bridge>>::iterator it) {
  const std::shared_ptr<Bridge> b = it->second;
  bridges_.erase(it);
  b->closed = true;
  ErrorCode ignored;
  b->socket.close(ignored);  // the pending receive completes with operation_aborted
  media::add(totals_.counters, b->core->counters());
  ++totals_.closed;
  line_->on_bridge(b->key.first, b->key.second, false);
}

void MediaBridges::Impl::close_all() {
  while (!bridges_.empty()) close_bridge(bridges_.begin());
}

void MediaBridges::Impl::receive(const std::shared_ptr<Bridge>& b) {
  b->socket.async_receive_from(
      asio::buffer(b->buffer), b->sender,
      [self = shared_from_this(), b](const ErrorCode& ec, std::size_t size) {
        if (b->closed || self->stopped_) return;
        if (!ec) {
          self->on_datagram(*b, size);
        } else if (ec == asio::error::operation_aborted) {
          return;
        } else {
          // ICMP port unreachable from an earlier send comes back here (ECONNREFUSED); the
          // socket is fine: count it and go on receiving.
          b->core->on_transport_error();
        }
        self->receive(b);
      });
}

void MediaBridges::Impl::on_datagram(Bridge& b, std::size_t size) {
  const TimePoint now = to_core(SteadyClock::now());
  if (!b.last_source || b.last_source->first != b.sender) {
    b.last_source.emplace(b.sender, to_address(normalised(b.sender)));
  }
  b.core->on_datagram(now, b.last_source->second,
                      std::span<const std::uint8_t>(b.buffer.data(), size));
  flush(b);  // nothing today (a datagram only feeds the buffers); the contract is to drain
}

void MediaBridges::Impl::arm_timer() {
  timer_.expires_at(next_tick_);
  timer_.async_wait([self = shared_from_this()](const ErrorCode& ec) { self->on_tick(ec); });
}

void MediaBridges::Impl::on_tick(const ErrorCode& ec) {
  if (ec || stopped_) return;
  const auto now = SteadyClock::now();
  // One frame per 20 ms of the line clock; a late thread catches up (at most kMaxLateTicks + 1
  // frames at once), a stalled one restarts the clock.
  while (next_tick_ <= now) {
    if (now - next_tick_ > kMaxLateTicks * kFrameTime) {
      ++totals_.tick_overruns;
      next_tick_ = now;
    }
    tick(to_core(now));
    next_tick_ += kFrameTime;
  }
  if (bridges_.empty()) {
    ticking_ = false;
    return;
  }
  arm_timer();
}

void MediaBridges::Impl::tick(TimePoint now) {
  LineFrame said{};
  for (auto& [key, b] : bridges_) {
    const media::Frame heard = b->core->to_line(now);
    line_->exchange(key.first, key.second, heard, said);
    b->core->from_line(said);
    flush(*b);
  }
}

void MediaBridges::Impl::flush(Bridge& b) {
  while (auto datagram = b.core->next_datagram()) {
    if (!b.last_destination || b.last_destination->first != datagram->to) {
      ErrorCode parse_error;
      // guaranteed parsable: the core's remote is a source we formatted or remote_of()'s output
      const auto ip = asio::ip::make_address(datagram->to.ip, parse_error);
      if (parse_error) {
        b.core->on_send_result(false);
        continue;
      }
      udp::endpoint to(ip, datagram->to.port);
      if (bind_ip_.is_v6() && ip.is_v4()) {  // a dual-stack socket sends to IPv4 as mapped
        to = udp::endpoint(asio::ip::make_address_v6(asio::ip::v4_mapped, ip.to_v4()),
                           to.port());
      }
      b.last_destination.emplace(datagram->to, to);
    }
    const auto bytes = datagram->data();
    ErrorCode ec;
    b.socket.send_to(asio::buffer(bytes.data(), bytes.size()), b.last_destination->second, 0, ec);
    b.core->on_send_result(!ec);
  }
}

MediaBridgeInfo MediaBridges::Impl::info_of(const Bridge& b) {
  const auto& remote = b.core->remote();
  return MediaBridgeInfo{.span = b.key.first,
                         .call = b.key.second,
                         .rtp_port = b.port,
                         .remote = remote ? remote->to_string() : std::string("latching"),
                         .payload_type = b.core->payload_type(),
                         .telephone_event = b.core->telephone_event(),
                         .counters = b.core->counters()};
}

MediaBridgeTotals MediaBridges::Impl::totals() const {
  MediaBridgeTotals out = totals_;
  for (const auto& [key, b] : bridges_) media::add(out.counters, b->core->counters());
  out.open = bridges_.size();
  return out;
}

std::vector<MediaBridgeInfo> MediaBridges::Impl::bridges() const {
  std::vector<MediaBridgeInfo> out;
  out.reserve(bridges_.size());
  for (const auto& [key, b] : bridges_) out.push_back(info_of(*b));
  return out;
}

std::optional<MediaBridgeInfo> MediaBridges::Impl::bridge(const Key& key) const {
  const auto it = bridges_.find(key);
  if (it == bridges_.end()) return std::nullopt;
  return info_of(*it->second);
}

// --- MediaBridges. ---

MediaBridges::MediaBridges(boost::asio::io_context& io, MediaBridgeConfig config, MediaLine* line)
    : impl_(std::make_shared<Impl>(io, std::move(config), line)) {}

MediaBridges::~MediaBridges() { impl_->stop(); }

void MediaBridges::on_command(gateway::SpanId span, const gateway::MediaBridge& command) {
  impl_->on_command(span, command);
}
void MediaBridges::close(gateway::SpanId span, gateway::LineCallId call) {
  impl_->close({span, call});
}
void MediaBridges::close_all() { impl_->close_all(); }
MediaBridgeTotals MediaBridges::totals() const { return impl_->totals(); }
std::vector<MediaBridgeInfo> MediaBridges::bridges() const { return impl_->bridges(); }
std::optional<MediaBridgeInfo> MediaBridges::bridge(gateway::SpanId span,
                                                    gateway::LineCallId call) const {
  return impl_->bridge({span, call});
}

}  // namespace resproxy::native
