#pragma once
// Network vocabulary shared by the core and both runtimes: transports, addresses, paths and
// stream ids. Plain values: the core compares and hashes them, runtimes translate them to
// sockets (Boost.Asio natively, ns3::Socket in simulation).
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace resproxy {

enum class Transport : std::uint8_t { Udp, Tcp };

constexpr std::string_view to_string(Transport t) { return t == Transport::Udp ? "UDP" : "TCP"; }

// An IP address in textual form ("127.0.0.1", "::1"; never bracketed) and a port.
struct Address {
  std::string ip;
  std::uint16_t port = 0;

  friend auto operator<=>(const Address&, const Address&) = default;
  // "127.0.0.1:5060" or "[::1]:5060".
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool is_ipv6() const { return ip.find(':') != std::string::npos; }
};

// A connection-oriented flow. The runtime numbers streams it accepts from 1 upward; the core
// numbers streams it asks the runtime to open with kOutboundStreamBit set, so neither side
// ever has to ask the other for an id.
struct StreamId {
  std::uint64_t value = 0;
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};
inline constexpr std::uint64_t kOutboundStreamBit = std::uint64_t{1} << 63;

// Where a message came from or goes to: transport, our local address, the peer's address and,
// for TCP, the stream it travels on.
struct Path {
  Transport transport = Transport::Udp;
  Address local;
  Address remote;
  StreamId stream{};  // value 0 for UDP

  friend auto operator<=>(const Path&, const Path&) = default;
};

}  // namespace resproxy
