// resproxy-media with one data-path thread per shard (proxy/native/media_shards.h), on real
// loopback sockets: ng requests sent to the one control socket reach the shard of their call
// (its port share), are answered from the control socket's address, RTP flows both ways through
// calls on every shard at once, `list` gathers the calls of all shards, a retransmission gets
// the cached reply, and stop() ends every thread with the shards' counters summed.
#include "proxy/native/media_shards.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include "proxy/base/ip_range.h"
#include "proxy/media/ng/ng_message.h"
#include "proxy/media/ng/ng_shards.h"
#include "proxy/sip/sdp.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using media::ng::build_datagram;
using media::ng::Dict;
using media::ng::List;
using media::ng::Value;

constexpr std::size_t kShards = 3;
constexpr std::uint16_t kPortMin = 23000;  // below the ephemeral range: nothing else binds these
constexpr std::uint16_t kPortMax = 23299;

// A blocking loopback socket that gives up after 2 s.
struct Socket {
  asio::io_context io;
  udp::socket socket{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  Socket() {
    timeval tv{2, 0};
    (void)::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  std::uint16_t port() const { return socket.local_endpoint().port(); }
  void send(const Address& to, std::string_view bytes) {
    socket.send_to(asio::buffer(bytes.data(), bytes.size()), udp::endpoint(asio::ip::make_address(to.ip), to.port));
  }
  // The next datagram and its source; empty bytes after the timeout.
  std::pair<std::string, udp::endpoint> receive() {
    std::array<char, 65536> buffer{};
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n = socket.receive_from(asio::buffer(buffer), from, 0, ec);
    if (ec) return {};
    return {std::string(buffer.data(), n), from};
  }
};

std::string sdp_at(std::uint16_t port) {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0\r\n";
}

std::string rtp(std::uint16_t seq, char tag) {
  std::string p(172, tag);
  p[0] = static_cast<char>(0x80);
  p[1] = 0;
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq & 0xff);
  return p;
}

struct Relay {
  asio::io_context control;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(control);
  std::optional<MediaShards> shards;
  std::thread thread;

  Relay() {
    media::ng::NgServerConfig server;
    server.relay.ipv4_address = "127.0.0.1";
    server.relay.ipv4_ports = media::relay::PortRange{kPortMin, kPortMax};
    server.relay.port_quarantine = std::chrono::seconds(0);
    server.trusted = {*IpRange::parse("127.0.0.0/8")};
    server.dscp = 0;
    shards.emplace(control, MediaShardsConfig{.server = server, .shards = kShards});
    shards->start();
    thread = std::thread([this] { control.run(); });
  }
  ~Relay() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    asio::post(control, [this] {
      shards->stop();
      control.stop();
    });
    thread.join();
  }
};

struct Client {
  Socket socket;
  int cookies = 0;
  Address relay;
  // The reply's dictionary (checked to come from the control socket, under our cookie).
  Dict request(const Dict& d, std::string* raw = nullptr, std::string cookie = {}) {
    if (cookie.empty()) cookie = "k" + std::to_string(++cookies);
    socket.send(relay, build_datagram(cookie, d));
    auto [bytes, from] = socket.receive();
    EXPECT_FALSE(bytes.empty()) << "no reply to " << cookie;
    EXPECT_EQ(from.port(), relay.port);
    if (raw != nullptr) *raw = bytes;
    auto m = media::ng::parse_datagram(bytes);
    EXPECT_TRUE(m.has_value());
    if (!m) return {};
    EXPECT_EQ(m->cookie, cookie);
    return m->dict;
  }
};

std::string text(const Dict& d, std::string_view key) {
  const Value* v = d.find(key);
  return v != nullptr && v->string() != nullptr ? *v->string() : "";
}

std::uint16_t media_port(const Dict& reply) {
  auto sdp = sip::Sdp::parse(text(reply, "sdp"));
  EXPECT_TRUE(sdp.has_value());
  if (!sdp) return 0;
  const auto streams = sip::media_streams(*sdp);
  return streams.empty() ? 0 : streams[0].port;
}

TEST(MediaShards, CallsOnEveryShardRelayBothWaysAndListGathersThemAll) {
  Relay relay;
  ASSERT_EQ(relay.shards->shard_count(), kShards);
  const auto ranges = relay.shards->port_ranges();
  Client client;
  client.relay = relay.shards->local_address();
  EXPECT_EQ(text(client.request(Dict{{"command", "ping"}}), "result"), "pong");

  struct Call {
    std::string id;
    Socket a, b;
    std::uint16_t toward_b = 0;  // the relay's port B sends to
    std::uint16_t toward_a = 0;
  };
  std::array<Call, 9> calls;
  std::set<std::size_t> shards_used;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    Call& c = calls[i];
    c.id = "shard-call-" + std::to_string(i) + "@127.0.0.1";
    const std::size_t shard = media::ng::shard_of(c.id, kShards);
    shards_used.insert(shard);
    const Dict offer = client.request(Dict{{"command", "offer"}, {"call-id", c.id}, {"from-tag", "ta"},
                                           {"flags", Value(List{Value("trust-address")})},
                                           {"sdp", sdp_at(c.a.port())}});
    ASSERT_EQ(text(offer, "result"), "ok") << text(offer, "error-reason");
    c.toward_b = media_port(offer);
    const Dict answer = client.request(Dict{{"command", "answer"}, {"call-id", c.id}, {"from-tag", "ta"},
                                            {"to-tag", "tb"}, {"flags", Value(List{Value("trust-address")})},
                                            {"sdp", sdp_at(c.b.port())}});
    ASSERT_EQ(text(answer, "result"), "ok") << text(answer, "error-reason");
    c.toward_a = media_port(answer);
    // Both ports are in the share of the call's shard: that shard's thread bound them.
    for (const std::uint16_t port : {c.toward_a, c.toward_b}) {
      EXPECT_GE(port, ranges.at(shard).min) << c.id;
      EXPECT_LE(port, ranges.at(shard).max) << c.id;
    }
  }
  EXPECT_EQ(shards_used.size(), kShards) << "the test's call-ids must land on every shard";

  // RTP both ways through every call, the calls interleaved: each phone hears the other's.
  constexpr int kPackets = 20;
  std::map<std::string, int> heard;
  for (int seq = 0; seq < kPackets; ++seq) {
    for (auto& c : calls) {
      c.a.send(Address{"127.0.0.1", c.toward_a}, rtp(static_cast<std::uint16_t>(seq), 'A'));
      c.b.send(Address{"127.0.0.1", c.toward_b}, rtp(static_cast<std::uint16_t>(seq), 'B'));
    }
    for (auto& c : calls) {
      auto [at_b, from_relay_b] = c.b.receive();
      auto [at_a, from_relay_a] = c.a.receive();
      if (at_b.size() == 172 && at_b[100] == 'A' && from_relay_b.port() == c.toward_b) ++heard[c.id + " b"];
      if (at_a.size() == 172 && at_a[100] == 'B' && from_relay_a.port() == c.toward_a) ++heard[c.id + " a"];
    }
  }
  for (const auto& c : calls) {
    EXPECT_EQ(heard[c.id + " a"], kPackets) << c.id;
    EXPECT_EQ(heard[c.id + " b"], kPackets) << c.id;
  }

  // list: one reply with the calls of all three shards, sorted.
  const Dict list = client.request(Dict{{"command", "list"}, {"limit", std::int64_t{100}}});
  ASSERT_EQ(text(list, "result"), "ok");
  std::set<std::string> listed;
  for (const Value& v : *list.find("calls")->list()) listed.insert(*v.string());
  std::set<std::string> expected;
  for (const auto& c : calls) expected.insert(c.id);
  EXPECT_EQ(listed, expected);

  // A client's retransmission (same cookie) gets the same bytes: the shard's reply cache.
  std::string first;
  std::string again;
  (void)client.request(Dict{{"command", "query"}, {"call-id", calls[4].id}}, &first, "q-retx");
  (void)client.request(Dict{{"command", "query"}, {"call-id", calls[4].id}}, &again, "q-retx");
  EXPECT_EQ(first, again);

  // delete reaches the call's shard; the others keep theirs.
  EXPECT_EQ(text(client.request(Dict{{"command", "delete"}, {"call-id", calls[0].id}, {"from-tag", "ta"}}), "result"),
            "ok");
  const Dict after = client.request(Dict{{"command", "list"}, {"limit", std::int64_t{100}}});
  EXPECT_EQ(after.find("calls")->list()->size(), calls.size() - 1);

  relay.stop();
  const auto totals = relay.shards->totals();
  EXPECT_EQ(totals.calls_created, calls.size());
  EXPECT_EQ(totals.packets_forwarded, 2u * kPackets * calls.size());
  EXPECT_GE(totals.control_datagrams, 2u * calls.size() + 5u);
}

TEST(MediaShards, ARangeWithFewerPairsThanThreadsIsRefused) {
  asio::io_context io;
  media::ng::NgServerConfig server;
  server.relay.ipv4_address = "127.0.0.1";
  server.relay.ipv4_ports = media::relay::PortRange{23000, 23005};  // 3 pairs
  EXPECT_THROW(MediaShards(io, MediaShardsConfig{.server = server, .shards = 4}), std::invalid_argument);
  EXPECT_NO_THROW(MediaShards(io, MediaShardsConfig{.server = server, .shards = 3}));
}

}  // namespace
}  // namespace resproxy::native
