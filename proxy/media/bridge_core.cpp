// BridgeCore (bridge_core.h): one bridged line call's RTP endpoint, without I/O.
#include "proxy/media/bridge_core.h"

#include <utility>

#include "proxy/media/telephone_event.h"

namespace resproxy::media {

namespace {

void add(BridgeCounters& to, const JitterBufferStats& from) {
  to.late += from.late;
  to.duplicate += from.duplicate;
  to.lost += from.lost;
  to.silent += from.silent;
  to.slips += from.slips_dropped + from.slips_inserted;
  to.ignored += from.ignored;
}

void add(BridgeCounters& to, const LineDtmfStats& from) {
  to.dtmf_rx += from.digits_received;
  to.dtmf_tx += from.digits_sent;
  to.dtmf_dropped += from.digits_dropped;
  to.ignored += from.events_ignored;
}

}  // namespace

void add(BridgeCounters& to, const BridgeCounters& from) {
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

std::optional<G711Law> BridgeCore::law_of(std::uint8_t payload_type) {
  if (payload_type == kPayloadTypePcma) return G711Law::ALaw;
  if (payload_type == kPayloadTypePcmu) return G711Law::MuLaw;
  return std::nullopt;
}

BridgeCore::BridgeCore(const JitterBufferConfig& jitter, Rng& rng) : jitter_config_(jitter) {
  // RFC 3550 §5.1: random starts, so that a stream is not taken for another's continuation.
  ssrc_ = static_cast<std::uint32_t>(rng.next_u64());
  sequence_ = static_cast<std::uint16_t>(rng.next_u64());
  timestamp_ = static_cast<std::uint32_t>(rng.next_u64());
}

std::unique_ptr<BridgeCore> BridgeCore::open(const JitterBufferConfig& jitter,
                                             const BridgeSettings& settings, Rng& rng) {
  const auto law = law_of(settings.payload_type);
  if (!law) return nullptr;
  std::unique_ptr<BridgeCore> b(new BridgeCore(jitter, rng));
  b->remote_ = settings.remote;
  b->set_payload_type(settings.payload_type, *law);
  b->set_telephone_event(settings.telephone_event);
  b->set_event_rx(settings.telephone_event_rx);
  return b;
}

bool BridgeCore::on_update(const BridgeSettings& settings) {
  const auto law = law_of(settings.payload_type);
  if (!law) return false;
  if (settings.remote) remote_ = settings.remote;  // "not known" keeps a latched source
  if (settings.payload_type != payload_type_) set_payload_type(settings.payload_type, *law);
  set_telephone_event(settings.telephone_event);
  set_event_rx(settings.telephone_event_rx);
  return true;
}

void BridgeCore::set_payload_type(std::uint8_t payload_type, G711Law law) {
  if (jitter_) add(carried_, jitter_->stats());
  JitterBufferConfig config = jitter_config_;
  config.law = law;
  config.payload_type = payload_type;
  jitter_ = std::make_unique<JitterBuffer>(config);
  payload_type_ = payload_type;
  law_ = law;
}

void BridgeCore::set_telephone_event(std::optional<std::uint8_t> payload_type) {
  // from the SDP: a payload type that is the voice's own cannot also carry events
  if (payload_type && (*payload_type > 127 || *payload_type == payload_type_)) {
    payload_type.reset();
  }
  if (payload_type == telephone_event()) return;  // 183 then 200 with one SDP: a digit goes on
  if (dtmf_) add(carried_, dtmf_->stats());
  dtmf_.reset();
  if (payload_type) {
    dtmf_ = std::make_unique<LineDtmf>(LineDtmfConfig{.payload_type = *payload_type});
  }
}

void BridgeCore::set_event_rx(std::optional<std::uint8_t> payload_type) {
  // the same checks as telephone_event's: not the voice's own number, a valid payload type
  if (!dtmf_ || (payload_type && (*payload_type > 127 || *payload_type == payload_type_))) payload_type.reset();
  event_rx_ = payload_type;
}

std::optional<std::uint8_t> BridgeCore::telephone_event() const {
  return dtmf_ ? std::optional<std::uint8_t>(dtmf_->payload_type()) : std::nullopt;
}

void BridgeCore::on_datagram(TimePoint now, const Address& source,
                             std::span<const std::uint8_t> bytes) {
  if (remote_ && source != *remote_) {
    ++own_.foreign;
    return;
  }
  // From the wire: untrusted; parse_rtp checks every length.
  const auto packet = parse_rtp(bytes);
  if (!packet) {
    ++own_.rx_errors;
    return;
  }
  if (!remote_) remote_ = source;  // latch (RFC 4961 symmetric RTP)
  ++own_.rtp_rx;
  if (dtmf_ && packet->payload_type == dtmf_->payload_type()) {
    dtmf_->on_packet(now, *packet);  // RFC 4733 events never reach the jitter buffer
    return;
  }
  if (dtmf_ && packet->payload_type == event_rx_) {
    // The peer's number for the same events (an asymmetric answer): one receiver for both.
    RtpPacket event = *packet;
    event.payload_type = dtmf_->payload_type();
    dtmf_->on_packet(now, event);
    return;
  }
  (void)jitter_->push(now, *packet);  // its verdicts are in its stats
}

Frame BridgeCore::to_line(TimePoint now) {
  Frame heard = jitter_->pull(now);
  if (heard.kind == FrameKind::Concealed) ++own_.concealed;
  if (dtmf_) dtmf_->to_line(now, heard.samples);
  return heard;
}

void BridgeCore::from_line(const LineFrame& said) {
  if (!dtmf_) {
    send_voice(said);
    return;
  }
  // The events of this tick carry their own timestamps; the voice packet this tick's.
  const auto out = dtmf_->from_line(said, timestamp_);
  for (std::size_t i = 0; i < out.event_count; ++i) send_event(out.events[i]);
  send_voice(out.voice);
}

void BridgeCore::send_voice(const LineFrame& said) {
  if (!remote_) return;  // latching: nowhere to send yet, and the stream has not started
  std::array<std::uint8_t, kFrameSamples> payload{};
  g711_encode(law_, said, payload);
  RtpPacket packet;
  packet.marker = first_;
  packet.payload_type = payload_type_;
  packet.timestamp = timestamp_;
  packet.payload = payload;
  first_ = false;
  timestamp_ += static_cast<std::uint32_t>(kFrameSamples);
  queue(packet);
}

// RFC 4733 §2.1: an event packet of the voice's stream (same SSRC, next sequence number), its
// timestamp the digit's start; the voice's timestamps go on unchanged.
void BridgeCore::send_event(const OutgoingEvent& event) {
  if (!remote_ || !dtmf_) return;
  const auto payload = build_telephone_event(event.event);
  RtpPacket packet;
  packet.marker = event.marker;
  packet.payload_type = dtmf_->payload_type();
  packet.timestamp = event.timestamp;
  packet.payload = payload;
  queue(packet);
}

void BridgeCore::queue(const RtpPacket& fields) {
  RtpPacket packet = fields;
  packet.sequence_number = sequence_++;
  packet.ssrc = ssrc_;
  if (queue_size_ == kMaxQueued) {  // the runtime is not draining: this packet is lost
    ++own_.tx_errors;
    return;
  }
  BridgeDatagram& slot = queue_[(queue_head_ + queue_size_) % kMaxQueued];
  const auto written = write_rtp(packet, slot.bytes);
  if (!written) {  // cannot happen with these fields; counted, never fatal
    ++own_.tx_errors;
    return;
  }
  slot.size = *written;
  slot.to = *remote_;  // guaranteed: both senders return early without a remote
  ++queue_size_;
}

std::optional<BridgeDatagram> BridgeCore::next_datagram() {
  if (queue_size_ == 0) return std::nullopt;
  std::optional<BridgeDatagram> out(std::move(queue_[queue_head_]));
  queue_head_ = (queue_head_ + 1) % kMaxQueued;
  --queue_size_;
  return out;
}

void BridgeCore::on_send_result(bool delivered) {
  if (delivered) {
    ++own_.rtp_tx;
  } else {
    ++own_.tx_errors;  // a full socket buffer drops this frame: the next is 20 ms away
  }
}

BridgeCounters BridgeCore::counters() const {
  BridgeCounters out = own_;
  add(out, carried_);
  add(out, jitter_->stats());
  if (dtmf_) add(out, dtmf_->stats());
  return out;
}

}  // namespace resproxy::media
