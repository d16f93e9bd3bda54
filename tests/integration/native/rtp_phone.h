#pragma once
// The far end of a bridged gateway call in the native media tests: a loopback UDP socket that
// sends datagrams to the bridge (one at a time, or a script of 20 ms slots on a drift-free clock)
// and keeps every RTP packet that comes back, in arrival order.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"

namespace resproxy::native::test_support {

namespace asio = boost::asio;
using asio::ip::udp;

// Mean |sample| of a G.711 payload: 0-ish for silence, ~5000 for the test tone.
inline double energy(const std::vector<std::uint8_t>& payload, media::G711Law law) {
  if (payload.empty()) return 0;
  double sum = 0;
  for (const std::uint8_t octet : payload) sum += std::abs(media::g711_decode(law, octet));
  return sum / static_cast<double>(payload.size());
}

struct RtpReceived {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<std::uint8_t> payload;
};

struct RtpPhone {
  using Script = std::vector<std::vector<std::vector<std::uint8_t>>>;
  explicit RtpPhone(asio::io_context& io)
      : socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), timer(io) {
    receive();
  }
  std::uint16_t port() const { return socket.local_endpoint().port(); }
  void send(std::uint16_t to, const std::vector<std::uint8_t>& bytes) {
    socket.send_to(asio::buffer(bytes), udp::endpoint(asio::ip::make_address("127.0.0.1"), to));
  }
  void receive() {
    socket.async_receive_from(asio::buffer(buffer), sender,
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec == asio::error::operation_aborted) return;
                                if (ec) {  // ICMP port unreachable of an earlier send
                                  receive();
                                  return;
                                }
                                ++datagrams;
                                auto p = media::parse_rtp(std::span<const std::uint8_t>(buffer.data(), n));
                                if (p) {
                                  received.push_back({p->marker, p->payload_type, p->sequence_number,
                                                      p->timestamp, p->ssrc,
                                                      {p->payload.begin(), p->payload.end()}});
                                }
                                receive();
                              });
  }
  // Sends `packets` (each a list of datagrams for one 20 ms slot) on a drift-free 20 ms clock.
  void play(Script packets, std::uint16_t to) {
    script = std::move(packets);
    slot = 0;
    target = to;
    next = std::chrono::steady_clock::now();
    step();
  }
  void step() {
    if (slot >= script.size()) return;
    for (const auto& d : script[slot]) send(target, d);
    ++slot;
    next += std::chrono::milliseconds(20);
    timer.expires_at(next);
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) step();
    });
  }
  bool done_playing() const { return slot >= script.size(); }
  std::size_t energetic(media::G711Law law = media::G711Law::ALaw) const {
    return static_cast<std::size_t>(std::count_if(received.begin(), received.end(), [&](const RtpReceived& r) {
      return energy(r.payload, law) > 2000;
    }));
  }

  udp::socket socket;
  asio::steady_timer timer;
  std::array<std::uint8_t, 2048> buffer{};
  udp::endpoint sender;
  std::size_t datagrams = 0;
  std::vector<RtpReceived> received;
  Script script;
  std::size_t slot = 0;
  std::uint16_t target = 0;
  std::chrono::steady_clock::time_point next{};
};

}  // namespace resproxy::native::test_support
