// GatewayNode: the media side of a call in both directions (gateway_node.h) — the RTP port
// pool, the SDP we offer or answer (RFC 3264), what we take from the peer's SDP, and the card's
// media bridge between the line call and RTP.
#include <charconv>
#include <optional>
#include <string>

#include "proxy/gateway/gateway_node.h"
#include "proxy/sip/sdp.h"
#include "proxy/sip/text.h"

namespace resproxy::gateway {

std::uint16_t GatewayNode::take_rtp_port() {
  if (free_rtp_ports_.empty()) return 0;
  const std::uint16_t port = free_rtp_ports_.back();
  free_rtp_ports_.pop_back();
  return port;
}

void GatewayNode::release_rtp_port(std::uint16_t port) {
  if (port != 0) free_rtp_ports_.push_back(port);
}

std::string GatewayNode::make_sdp(const Call& call, bool offer) const {
  sip::AudioSdpParams params;
  params.user = "resproxy-gw";
  params.session_id = std::to_string(call.id);
  params.session_version = "1";
  params.address = config_.media_address;
  params.port = call.rtp_port;
  const auto codec = [](std::uint8_t pt) {
    return sip::SdpCodec{.format = std::to_string(pt), .encoding = pt == 0 ? "PCMU" : "PCMA",
                         .clock_rate = 8000, .parameters = "", .fmtp = ""};
  };
  if (offer) {
    params.codecs = {codec(8), codec(0)};  // E1 in Europe is A-law: PCMA first
  } else {
    params.codecs = {codec(call.payload_type)};
  }
  // RFC 4733 DTMF events: offered as kOfferedTelephoneEvent; answered only when offered, with
  // the offer's number (RFC 3264 §6.1), so that both directions use one.
  if (const auto te = offer ? std::optional<std::uint8_t>(kOfferedTelephoneEvent) : call.telephone_event) {
    params.codecs.push_back({.format = std::to_string(*te), .encoding = "telephone-event",
                             .clock_rate = 8000, .parameters = "", .fmtp = "0-15"});
  }
  return sip::make_audio_sdp(params).to_string();
}

// The peer's SDP (an offer or an answer): its first audio stream, the first of PCMA / PCMU in
// its order. False when there is none we can use.
bool GatewayNode::take_remote_sdp(Call& call, std::string_view body, bool answer) {
  const auto sdp = sip::Sdp::parse(body);
  if (!sdp) return false;
  const auto audio = sip::first_audio(sdp.value());
  if (!audio || audio->port == 0) return false;
  // RFC 4733 §7.1.1 telephone-event/8000. From the peer: untrusted; only an RTP payload type.
  std::optional<std::uint8_t> telephone_event;
  for (const auto& codec : audio->codecs) {
    unsigned pt = 128;
    (void)std::from_chars(codec.format.data(), codec.format.data() + codec.format.size(), pt);
    if (codec.clock_rate != 8000 || !sip::text::iequals(codec.encoding, "telephone-event")) continue;
    if (pt < 128 && pt != 0 && pt != 8) telephone_event = static_cast<std::uint8_t>(pt);
    break;
  }
  for (const auto& codec : audio->codecs) {
    if (codec.clock_rate != 8000) continue;
    if (sip::text::iequals(codec.encoding, "PCMA") || sip::text::iequals(codec.encoding, "PCMU")) {
      call.payload_type = sip::text::iequals(codec.encoding, "PCMU") ? 0 : 8;
      call.remote_ip = audio->address;
      call.remote_port = audio->port;
      call.telephone_event = telephone_event;
      // An answer that mapped telephone-event to another number than our offer's: it sends
      // with ours (RFC 3264 §5.1), and we send with its.
      call.telephone_event_rx.reset();
      if (answer && telephone_event && *telephone_event != kOfferedTelephoneEvent) {
        call.telephone_event_rx = kOfferedTelephoneEvent;
      }
      return true;
    }
  }
  return false;
}

void GatewayNode::bridge_media(Call& call) {
  if (!call.line_active || call.remote_ip.empty() || call.rtp_port == 0) return;
  card(call.span, MediaBridge{.call = call.line_call, .rtp_port = call.rtp_port,
                              .remote_ip = call.remote_ip, .remote_port = call.remote_port,
                              .payload_type = call.payload_type,
                              .telephone_event = call.telephone_event,
                              .telephone_event_rx = call.telephone_event_rx});
  call.media_bridged = true;
}

void GatewayNode::unbridge_media(Call& call) {
  if (!call.media_bridged) return;
  call.media_bridged = false;
  // card.h: rtp_port 0 disconnects. The runtime's data path closes the call's RTP port now; the
  // port goes back to the pool only when the whole call ends (finish_if_done), and a
  // re-presented call (try_next_route) bridges it again for its new line call.
  card(call.span, MediaBridge{.call = call.line_call, .rtp_port = 0, .remote_ip = {},
                              .remote_port = 0, .payload_type = call.payload_type});
}

}  // namespace resproxy::gateway
