#pragma once
// The media data path's test fixtures (runtime_media_test.cpp, runtime_loop_test.cpp): a relay
// node reduced to what the runtime sees, a phone socket that reads the DSCP marking of what it
// receives, and one runtime hosting the node on its own io_context.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include "proxy/native/runtime.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native::media_fixture {
namespace asio = boost::asio;
using asio::ip::udp;
using testing::run_for;
using testing::run_until;
using namespace std::chrono_literals;

inline constexpr int kEf = 0xb8;   // DSCP 46 (EF) << 2: the relay's default marking
inline constexpr int kCs3 = 0x60;  // DSCP 24 (CS3) << 2: SIP's

inline bool ipv6_loopback_available() {
  asio::io_context io;
  udp::socket s(io);
  boost::system::error_code ec;
  s.open(udp::v6(), ec);
  if (!ec) s.bind(udp::endpoint(asio::ip::make_address("::1"), 0), ec);
  return !ec;
}

// A port nobody holds right now: bound once by the kernel's choice, then released.
inline std::uint16_t free_udp_port(const std::string& ip) {
  asio::io_context io;
  udp::socket s(io, udp::endpoint(asio::ip::make_address(ip), 0));
  return s.local_endpoint().port();
}

inline Address address_of(const udp::socket& socket) {
  return Address{socket.local_endpoint().address().to_string(), socket.local_endpoint().port()};
}

inline udp::endpoint endpoint_of(const Address& a) {
  return udp::endpoint(asio::ip::make_address(a.ip), a.port);
}

// A relay as the core would be one, reduced to what the runtime sees: ports opened on command,
// every media packet recorded and routed by `route` (none: dropped). SIP datagrams are echoed
// (their marking is checked too); every input is logged in order, for the fairness test.
class RelayNode final : public Node {
 public:
  struct Packet {
    Address local;
    Address source;
    std::string bytes;
  };

  std::function<std::optional<MediaSend>(const Packet&)> route;
  std::vector<Packet> packets;
  std::vector<MediaPortFailed> failures;
  std::vector<std::string> log;  // "media <port>" or "sip", one per input of those kinds
  std::optional<TimePoint> deadline;  // set by a test: on_deadline clears it and counts
  int deadlines_fired = 0;

  void emit(Effect effect) { effects_.push_back(std::move(effect)); }

  void on_datagram(TimePoint, const Path& path, std::string_view bytes) override {
    log.push_back("sip");
    emit(SendDatagram{.local = path.local, .remote = path.remote, .bytes = std::string(bytes)});
  }
  void on_stream_opened(TimePoint, const Path&) override {}
  void on_stream_data(TimePoint, StreamId, std::string_view) override {}
  void on_stream_closed(TimePoint, StreamId, StreamCloseReason) override {}
  void on_deadline(TimePoint now) override {
    if (deadline && now >= *deadline) {
      deadline.reset();
      ++deadlines_fired;
    }
  }
  void on_command(TimePoint, const AdminCommand& command) override {
    emit(CommandReply{command.id, admin::Unsupported{}});
  }
  void on_completion(TimePoint, const Completion& completion) override {
    if (const auto* failed = std::get_if<MediaPortFailed>(&completion)) failures.push_back(*failed);
  }
  std::optional<MediaSend> on_media_packet(TimePoint, const Address& local, const Address& source,
                                           std::string_view bytes) override {
    log.push_back("media " + std::to_string(local.port));
    packets.push_back(Packet{local, source, std::string(bytes)});
    return route ? route(packets.back()) : std::nullopt;
  }
  std::optional<Effect> next_effect() override {
    if (effects_.empty()) return std::nullopt;
    Effect effect = std::move(effects_.front());
    effects_.pop_front();
    return effect;
  }
  std::optional<TimePoint> next_deadline() const override { return deadline; }

 private:
  std::deque<Effect> effects_;
};

// A phone's socket that also reads the TOS (IPv4) or traffic class (IPv6) of what it receives.
struct MarkedReceiver {
  struct Received {
    std::string bytes;
    udp::endpoint from;
    int tos = -1;  // -1: the kernel did not say
  };

  MarkedReceiver(asio::io_context& io, const std::string& ip)
      : socket(io, udp::endpoint(asio::ip::make_address(ip), 0)) {
    const int one = 1;
    const bool v6 = socket.local_endpoint().address().is_v6();
    const int rc =
        v6 ? ::setsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one)
           : ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
    EXPECT_EQ(rc, 0);
  }

  // Takes every datagram waiting now, without blocking.
  void poll() {
    for (int i = 0; i < 10000; ++i) {
      std::array<char, 4096> buffer{};
      sockaddr_storage from{};
      iovec iov{buffer.data(), buffer.size()};
      alignas(cmsghdr) std::array<char, 256> control{};
      msghdr m{};
      m.msg_name = &from;
      m.msg_namelen = sizeof from;
      m.msg_iov = &iov;
      m.msg_iovlen = 1;
      m.msg_control = control.data();
      m.msg_controllen = control.size();
      const ssize_t n = ::recvmsg(socket.native_handle(), &m, MSG_DONTWAIT);
      if (n < 0) return;
      Received r;
      r.bytes.assign(buffer.data(), static_cast<std::size_t>(n));
      std::memcpy(r.from.data(), &from, std::min<std::size_t>(m.msg_namelen, r.from.capacity()));
      r.from.resize(std::min<std::size_t>(m.msg_namelen, r.from.capacity()));
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
          unsigned char tos = 0;
          std::memcpy(&tos, CMSG_DATA(c), sizeof tos);
          r.tos = tos;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
          int tclass = 0;
          std::memcpy(&tclass, CMSG_DATA(c), sizeof tclass);
          r.tos = tclass;
        }
      }
      received.push_back(std::move(r));
    }
  }

  udp::socket socket;
  std::vector<Received> received;
};

// One runtime hosting a RelayNode on its own io_context. Its SIP socket is bound too (every
// runtime has one); no TCP, no polls that would add inputs.
struct Relay {
  explicit Relay(const std::string& ip = "127.0.0.1", std::chrono::milliseconds max_age = 0ms,
                 ListenConfig::MediaIo media_io = ListenConfig::MediaIo::Auto) {
    config.ip = ip;
    config.media_io = media_io;  // run()'s data path; io.run() always uses epoll
    // Off unless a test is about it: the fairness test queues its flood for longer than 50 ms.
    config.media_max_age = max_age;
    config.tcp = false;
    config.interface_poll = 0ms;
    config.wall_clock_poll = 0ms;
    // The fairness test queues thousands of datagrams on one port before the runtime reads.
    config.media_receive_buffer = 4 << 20;
    runtime = std::make_unique<NativeRuntime>(io, node, config);
    runtime->start();
  }

  // Has the node emit the effects from one input (run the io_context to have them performed).
  void emit(std::vector<Effect> effects) {
    runtime->inject([this, effects = std::move(effects)](Node&, TimePoint) {
      for (const auto& effect : effects) node.emit(effect);
    });
  }

  // Opens the ports and waits until each is open or has failed.
  bool open(const std::vector<Address>& ports) {
    const auto before = runtime->stats();
    std::vector<Effect> effects;
    for (const auto& p : ports) effects.push_back(OpenMediaPort{.local = p});
    emit(std::move(effects));
    return run_until(io, [&] {
      const auto now = runtime->stats();
      return now.media_ports_open + now.media_port_failures >=
             before.media_ports_open + before.media_port_failures + ports.size();
    });
  }

  asio::io_context io;
  RelayNode node;
  ListenConfig config;
  std::unique_ptr<NativeRuntime> runtime;  // declared last: gone before the node and io
};
}  // namespace resproxy::native::media_fixture
