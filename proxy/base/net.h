#pragma once
// Network vocabulary shared by the core and both runtimes: transports, addresses, paths and
// stream ids. Plain values: the core compares and hashes them, runtimes translate them to
// sockets (Boost.Asio natively, ns3::Socket in simulation).
#include <compare>
#include <cstdint>
#include <string>
#include <vector>
#include <string_view>

namespace resproxy {

// TLS is a stream transport like TCP (RFC 3261 §26.2.1): the runtime does the handshake and
// the certificate checks, the core sees the clear bytes and knows only which transport it is.
enum class Transport : std::uint8_t { Udp, Tcp, Tls };

constexpr std::string_view to_string(Transport t) {
  switch (t) {
    case Transport::Udp: return "UDP";
    case Transport::Tcp: return "TCP";
    case Transport::Tls: return "TLS";
  }
  return "UDP";
}
// Connection-oriented: messages travel on a stream (TCP, or TLS over TCP).
constexpr bool is_stream(Transport t) { return t != Transport::Udp; }

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
  // The index of the network interface the message arrived on (IP_PKTINFO), 0 when unknown
  // (sent by us, TCP, a runtime without interfaces). Not part of a path's identity: the same
  // peer is the same flow whatever interface the kernel reports.
  std::uint32_t interface = 0;

  friend bool operator==(const Path& a, const Path& b) {
    return a.transport == b.transport && a.local == b.local && a.remote == b.remote &&
           a.stream == b.stream;
  }
  friend auto operator<=>(const Path& a, const Path& b) {
    if (auto c = a.transport <=> b.transport; c != 0) return c;
    if (auto c = a.local <=> b.local; c != 0) return c;
    if (auto c = a.remote <=> b.remote; c != 0) return c;
    return a.stream <=> b.stream;
  }
};

// One network interface of the host as the runtime sees it (getifaddrs natively), an input of
// the core when the set changes: trust and "on the office LAN" are decided by the interface a
// message arrived on (security/interfaces.h).
struct NetInterface {
  std::uint32_t index = 0;  // the kernel's interface index, as in Path::interface
  std::string name;         // "eth1"
  bool loopback = false;
  std::vector<std::string> networks;  // its addresses with prefix length: "192.168.1.10/24"
  friend bool operator==(const NetInterface&, const NetInterface&) = default;
};

}  // namespace resproxy
