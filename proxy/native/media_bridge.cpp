// MediaBridges (media_bridge.h): the gateway's RTP endpoints and the 20 ms line clock.
#include "proxy/native/media_bridge.h"

#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/media/g711.h"
#include "proxy/media/line_dtmf.h"
#include "proxy/media/rtp_packet.h"
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
constexpr std::size_t kPacketSize = media::kRtpFixedHeaderSize + media::kFrameSamples;

TimePoint to_core(SteadyClock::time_point t) {
  return TimePoint{std::chrono::duration_cast<Duration>(t.time_since_epoch())};
}

std::optional<media::G711Law> law_of(std::uint8_t payload_type) {
  if (payload_type == media::kPayloadTypePcma) return media::G711Law::ALaw;
  if (payload_type == media::kPayloadTypePcmu) return media::G711Law::MuLaw;
  return std::nullopt;
}

// A source as compared with the remote: IPv4-mapped IPv6 (a dual-stack socket) seen as IPv4.
udp::endpoint normalised(const udp::endpoint& e) {
  const auto ip = e.address();
  if (ip.is_v6() && ip.to_v6().is_v4_mapped()) {
    return {asio::ip::make_address_v4(asio::ip::v4_mapped, ip.to_v6()), e.port()};
  }
  return e;
}

// The negotiated remote, or none when it is not known yet (latch to the first RTP source).
std::optional<udp::endpoint> remote_of(const gateway::MediaBridge& command) {
  if (command.remote_port == 0) return std::nullopt;
  ErrorCode ec;
  const auto ip = asio::ip::make_address(command.remote_ip, ec);  // from the SDP: untrusted
  if (ec || ip.is_unspecified() || ip.is_multicast()) return std::nullopt;
  return normalised(udp::endpoint(ip, command.remote_port));
}

std::string to_text(const udp::endpoint& e) {
  const auto ip = e.address();
  return ip.is_v6() ? "[" + ip.to_string() + "]:" + std::to_string(e.port())
                    : ip.to_string() + ":" + std::to_string(e.port());
}

void add(MediaBridgeCounters& to, const MediaBridgeCounters& from) {
  to.rtp_rx += from.rtp_rx;
  to.rtp_tx += from.rtp_tx;
  to.rx_errors += from.rx_errors;
  to.foreign += from.foreign;
  to.tx_errors += from.tx_errors;
  to.late += from.late;
  to.duplicate += from.duplicate;
  to.lost += from.lost;
  to.concealed += from.concealed;
  to.silent += from.silent;
  to.slips += from.slips;
  to.ignored += from.ignored;
  to.dtmf_rx += from.dtmf_rx;
  to.dtmf_tx += from.dtmf_tx;
  to.dtmf_dropped += from.dtmf_dropped;
}

void add(MediaBridgeCounters& to, const media::LineDtmfStats& from) {
  to.dtmf_rx += from.digits_received;
  to.dtmf_tx += from.digits_sent;
  to.dtmf_dropped += from.digits_dropped;
  to.ignored += from.events_ignored;
}

void add(MediaBridgeCounters& to, const media::JitterBufferStats& from) {
  to.late += from.late;
  to.duplicate += from.duplicate;
  to.lost += from.lost;
  to.silent += from.silent;
  to.slips += from.slips_dropped + from.slips_inserted;
  to.ignored += from.ignored;
}

struct Bridge {
  Bridge(asio::io_context& io, Key k, std::uint16_t p) : key(k), port(p), socket(io) {}

  Key key;
  std::uint16_t port = 0;
  udp::socket socket;
  std::optional<udp::endpoint> remote;  // none: latching to the first RTP source
  std::uint8_t payload_type = media::kPayloadTypePcma;
  media::G711Law law = media::G711Law::ALaw;
  std::unique_ptr<media::JitterBuffer> jitter;
  media::JitterBufferStats carried{};  // of the buffers replaced by a payload-type change
  std::unique_ptr<media::LineDtmf> dtmf;  // telephone-event negotiated: DTMF interworking
  MediaBridgeCounters dtmf_carried{};     // of a LineDtmf replaced by a telephone-event change
  std::array<std::uint8_t, kReceiveBuffer> buffer{};
  udp::endpoint sender;
  // Our stream (RFC 3550 §5.1).
  std::uint32_t ssrc = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  bool first = true;
  MediaBridgeCounters own;  // what the jitter buffer does not count
  bool closed = false;

  [[nodiscard]] MediaBridgeCounters counters() const {
    MediaBridgeCounters out = own;
    add(out, carried);
    add(out, jitter->stats());
    add(out, dtmf_carried);
    if (dtmf) add(out, dtmf->stats());
    return out;
  }
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
  void close_bridge(std::map<Key, std::shared_ptr<Bridge>>::iterator it);
  void set_payload_type(Bridge& b, std::uint8_t payload_type, media::G711Law law);
  static void set_telephone_event(Bridge& b, std::optional<std::uint8_t> payload_type);
  void receive(const std::shared_ptr<Bridge>& b);
  void on_datagram(Bridge& b, std::size_t size);
  void arm_timer();
  void on_tick(const ErrorCode& ec);
  void tick(TimePoint now);
  void send_frame(Bridge& b, const LineFrame& said);
  void send_event(Bridge& b, const media::OutgoingEvent& event);
  void send_packet(Bridge& b, const media::RtpPacket& packet);
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
  if (command.rtp_port == 0) {
    close(key);
    return;
  }
  const auto law = law_of(command.payload_type);
  if (!law) {  // the gateway offers G.711 only; anything else cannot reach a line
    ++totals_.refused;
    close(key);
    return;
  }
  auto it = bridges_.find(key);
  if (it != bridges_.end() && it->second->port == command.rtp_port) {
    // The same endpoint again (183 then 200, a re-INVITE): new remote and law, same stream.
    Bridge& b = *it->second;
    const auto remote = remote_of(command);
    if (remote) b.remote = remote;  // "not known" keeps a latched source
    if (command.payload_type != b.payload_type) set_payload_type(b, command.payload_type, *law);
    set_telephone_event(b, command.telephone_event);
    return;
  }
  if (it != bridges_.end()) close_bridge(it);
  // The gateway gave the port to this call: a bridge still on it is stale.
  for (auto other = bridges_.begin(); other != bridges_.end(); ++other) {
    if (other->second->port == command.rtp_port) {
      close_bridge(other);
      break;
    }
  }
  if (bridges_.size() >= config_.max_bridges) {
    ++totals_.refused;
    return;
  }
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
  b->remote = remote_of(command);
  set_payload_type(*b, command.payload_type, *law);
  set_telephone_event(*b, command.telephone_event);
  b->ssrc = static_cast<std::uint32_t>(rng_.next_u64());
  b->sequence = static_cast<std::uint16_t>(rng_.next_u64());
  b->timestamp = static_cast<std::uint32_t>(rng_.next_u64());
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

void MediaBridges::Impl::set_payload_type(Bridge& b, std::uint8_t payload_type,
                                          media::G711Law law) {
  if (b.jitter) {
    const auto& s = b.jitter->stats();
    b.carried.late += s.late;
    b.carried.duplicate += s.duplicate;
    b.carried.lost += s.lost;
    b.carried.silent += s.silent;
    b.carried.slips_dropped += s.slips_dropped;
    b.carried.slips_inserted += s.slips_inserted;
    b.carried.ignored += s.ignored;
  }
  media::JitterBufferConfig jc = config_.jitter;
  jc.law = law;
  jc.payload_type = payload_type;
  b.jitter = std::make_unique<media::JitterBuffer>(jc);
  b.payload_type = payload_type;
  b.law = law;
}

void MediaBridges::Impl::set_telephone_event(Bridge& b, std::optional<std::uint8_t> payload_type) {
  // from the SDP: a payload type that is the voice's own cannot also carry events
  if (payload_type && (*payload_type > 127 || *payload_type == b.payload_type)) {
    payload_type.reset();
  }
  const auto current =
      b.dtmf ? std::optional<std::uint8_t>(b.dtmf->payload_type()) : std::nullopt;
  if (payload_type == current) return;  // 183 then 200 with one SDP: a digit in flight goes on
  if (b.dtmf) add(b.dtmf_carried, b.dtmf->stats());
  b.dtmf.reset();
  if (payload_type) {
    b.dtmf = std::make_unique<media::LineDtmf>(media::LineDtmfConfig{.payload_type = *payload_type});
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
  add(totals_.counters, b->counters());
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
          ++b->own.tx_errors;
        }
        self->receive(b);
      });
}

void MediaBridges::Impl::on_datagram(Bridge& b, std::size_t size) {
  const TimePoint now = to_core(SteadyClock::now());
  const udp::endpoint source = normalised(b.sender);
  if (b.remote && source != *b.remote) {
    ++b.own.foreign;
    return;
  }
  // From the wire: untrusted; parse_rtp checks every length.
  const auto packet = media::parse_rtp(std::span<const std::uint8_t>(b.buffer.data(), size));
  if (!packet) {
    ++b.own.rx_errors;
    return;
  }
  if (!b.remote) b.remote = source;  // latch (RFC 4961 symmetric RTP)
  ++b.own.rtp_rx;
  if (b.dtmf && packet->payload_type == b.dtmf->payload_type()) {
    b.dtmf->on_packet(now, *packet);  // RFC 4733 events never reach the jitter buffer
    return;
  }
  (void)b.jitter->push(now, *packet);  // its verdicts are in its stats
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
    media::Frame heard = b->jitter->pull(now);
    if (heard.kind == media::FrameKind::Concealed) ++b->own.concealed;
    if (b->dtmf) b->dtmf->to_line(now, heard.samples);
    line_->exchange(key.first, key.second, heard, said);
    if (!b->dtmf) {
      send_frame(*b, said);
      continue;
    }
    // The events of this tick carry their own timestamps; the voice packet this tick's.
    const auto out = b->dtmf->from_line(said, b->timestamp);
    for (std::size_t i = 0; i < out.event_count; ++i) send_event(*b, out.events[i]);
    send_frame(*b, out.voice);
  }
}

void MediaBridges::Impl::send_frame(Bridge& b, const LineFrame& said) {
  if (!b.remote) return;  // latching: nowhere to send yet
  std::array<std::uint8_t, media::kFrameSamples> payload{};
  media::g711_encode(b.law, said, payload);
  media::RtpPacket packet;
  packet.marker = b.first;
  packet.payload_type = b.payload_type;
  packet.timestamp = b.timestamp;
  packet.payload = payload;
  b.first = false;
  b.timestamp += static_cast<std::uint32_t>(media::kFrameSamples);
  send_packet(b, packet);
}

// RFC 4733 §2.1: an event packet of the voice's stream (same SSRC, next sequence number), its
// timestamp the digit's start; the voice's timestamps go on unchanged.
void MediaBridges::Impl::send_event(Bridge& b, const media::OutgoingEvent& event) {
  if (!b.remote || !b.dtmf) return;
  const auto payload = media::build_telephone_event(event.event);
  media::RtpPacket packet;
  packet.marker = event.marker;
  packet.payload_type = b.dtmf->payload_type();
  packet.timestamp = event.timestamp;
  packet.payload = payload;
  send_packet(b, packet);
}

void MediaBridges::Impl::send_packet(Bridge& b, const media::RtpPacket& fields) {
  media::RtpPacket packet = fields;
  packet.sequence_number = b.sequence++;
  packet.ssrc = b.ssrc;
  std::array<std::uint8_t, kPacketSize> out{};
  const auto written = media::write_rtp(packet, out);
  if (!written) {  // cannot happen with these fields; counted, never fatal
    ++b.own.tx_errors;
    return;
  }
  udp::endpoint to = *b.remote;
  if (bind_ip_.is_v6() && to.address().is_v4()) {
    to = udp::endpoint(asio::ip::make_address_v6(asio::ip::v4_mapped, to.address().to_v4()),
                       to.port());
  }
  ErrorCode ec;
  b.socket.send_to(asio::buffer(out.data(), *written), to, 0, ec);
  if (ec) {
    ++b.own.tx_errors;  // a full socket buffer drops this frame: the next is 20 ms away
  } else {
    ++b.own.rtp_tx;
  }
}

MediaBridgeInfo MediaBridges::Impl::info_of(const Bridge& b) {
  return MediaBridgeInfo{.span = b.key.first,
                         .call = b.key.second,
                         .rtp_port = b.port,
                         .remote = b.remote ? to_text(*b.remote) : std::string("latching"),
                         .payload_type = b.payload_type,
                         .telephone_event = b.dtmf ? std::optional<std::uint8_t>(
                                                             b.dtmf->payload_type())
                                                       : std::nullopt,
                         .counters = b.counters()};
}

MediaBridgeTotals MediaBridges::Impl::totals() const {
  MediaBridgeTotals out = totals_;
  for (const auto& [key, b] : bridges_) add(out.counters, b->counters());
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
