// NativeRuntime's message log hook: every datagram and stream chunk, in and out, with its path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "proxy/native/runtime.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using testing::run_until;
using testing::TestNode;

struct Logged {
  bool outbound;
  Path path;
  std::string bytes;
};

TEST(NativeRuntimeMessageLog, SeesDatagramsInAndOut) {
  asio::io_context io;
  TestNode node;
  node.echo_datagrams = true;
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .port = 0, .tcp = false});
  std::vector<Logged> log;
  runtime.set_message_log([&](bool outbound, const Path& path, std::string_view bytes) {
    log.push_back({outbound, path, std::string(bytes)});
  });
  runtime.start();
  const Address server = runtime.local_address();

  udp::socket peer(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  peer.send_to(asio::buffer(std::string("OPTIONS ping")),
               udp::endpoint(asio::ip::make_address(server.ip), server.port));
  ASSERT_TRUE(run_until(io, [&] { return log.size() >= 2; }));
  const Address peer_address{"127.0.0.1", peer.local_endpoint().port()};

  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log[0].outbound);
  EXPECT_EQ(log[0].bytes, "OPTIONS ping");
  EXPECT_EQ(log[0].path.transport, Transport::Udp);
  EXPECT_EQ(log[0].path.local, server);
  EXPECT_EQ(log[0].path.remote, peer_address);
  EXPECT_TRUE(log[1].outbound);
  EXPECT_EQ(log[1].bytes, "OPTIONS ping");
  EXPECT_EQ(log[1].path.local, server);
  EXPECT_EQ(log[1].path.remote, peer_address);
}

TEST(NativeRuntimeMessageLog, SeesStreamChunksInAndOut) {
  asio::io_context io;
  TestNode node;
  node.echo_streams = true;
  NativeRuntime runtime(io, node, ListenConfig{.ip = "127.0.0.1", .port = 0, .udp = false});
  std::vector<Logged> log;
  runtime.set_message_log([&](bool outbound, const Path& path, std::string_view bytes) {
    log.push_back({outbound, path, std::string(bytes)});
  });
  runtime.start();
  const Address server = runtime.local_address();

  tcp::socket peer(io);
  peer.connect(tcp::endpoint(asio::ip::make_address(server.ip), server.port));
  asio::write(peer, asio::buffer(std::string("REGISTER x")));
  ASSERT_TRUE(run_until(io, [&] { return log.size() >= 2; }));
  const Address peer_address{"127.0.0.1", peer.local_endpoint().port()};

  ASSERT_EQ(log.size(), 2u);
  EXPECT_FALSE(log[0].outbound);
  EXPECT_EQ(log[0].bytes, "REGISTER x");
  EXPECT_EQ(log[0].path.transport, Transport::Tcp);
  EXPECT_EQ(log[0].path.local, server);
  EXPECT_EQ(log[0].path.remote, peer_address);
  EXPECT_EQ(log[0].path.stream.value, 1u);
  EXPECT_TRUE(log[1].outbound);
  EXPECT_EQ(log[1].bytes, "REGISTER x");
  EXPECT_EQ(log[1].path.remote, peer_address);
  EXPECT_EQ(log[1].path.stream.value, 1u);
  runtime.stop();
}

}  // namespace
}  // namespace resproxy::native
