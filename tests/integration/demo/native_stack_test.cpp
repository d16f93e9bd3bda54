// The whole core stack on the native runtime over real loopback sockets: an OptionsResponder
// answers over UDP and TCP on the same port, responses leave from the listening port (symmetric
// signalling) or over the connection the request came on, the connection stays open, a double
// CRLF ping gets a CRLF pong, and an unparsable request gets its stateless error answer.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "proxy/native/runtime.h"
#include "model/options_responder.h"

namespace resproxy {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using namespace std::chrono_literals;

std::string options(std::string_view transport, std::string_view sent_by, std::string_view branch) {
  std::string m = "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n";
  m += "Via: SIP/2.0/" + std::string(transport) + " " + std::string(sent_by) +
       ";branch=" + std::string(branch) + ";rport\r\n";
  m += "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n";
  m += "Call-ID: " + std::string(branch) + "@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  return m;
}

// The responder runs on its own io_context thread; the test talks to it with blocking sockets
// that have receive timeouts, so nothing can hang.
class NativeStack : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = std::make_unique<native::NativeRuntime>(io_, responder_,
                                                       native::ListenConfig{.ip = "127.0.0.1"});
    runtime_->start();
    responder_.transport().set_local(runtime_->local_address());
    thread_ = std::thread([this] { io_.run_for(20s); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { runtime_->stop(); io_.stop(); });
    thread_.join();
  }
  static void set_timeout(int fd) {
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  static std::string read_message(tcp::socket& socket, std::string& buffer) {
    const auto end = boost::asio::read_until(socket, boost::asio::dynamic_buffer(buffer), "\r\n\r\n");
    std::string message = buffer.substr(0, end);  // our responses carry Content-Length: 0
    buffer.erase(0, end);
    return message;
  }

  boost::asio::io_context io_;
  SeededRng rng_{9};
  NullTraceSink trace_;
  model::OptionsResponder responder_{
      transaction::SipNodeConfig{.transport = {.local = {"127.0.0.1", 0}}, .timers = {}}, rng_, trace_};
  std::unique_ptr<native::NativeRuntime> runtime_;
  std::thread thread_;
};

TEST_F(NativeStack, AnswersOverUdpFromTheListeningPort) {
  boost::asio::io_context client_io;
  udp::socket socket(client_io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  set_timeout(socket.native_handle());
  const auto server = udp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                    runtime_->local_address().port);
  const auto me = socket.local_endpoint();
  socket.send_to(boost::asio::buffer(options("UDP", "127.0.0.1:" + std::to_string(me.port()),
                                             "z9hG4bKudp1")),
                 server);
  char buf[4096];
  udp::endpoint from;
  const auto n = socket.receive_from(boost::asio::buffer(buf), from);
  const std::string response(buf, n);
  EXPECT_TRUE(response.starts_with("SIP/2.0 200 OK\r\n")) << response;
  EXPECT_EQ(from, server);  // symmetric signalling
  EXPECT_NE(response.find(";rport=" + std::to_string(me.port())), std::string::npos) << response;
  EXPECT_NE(response.find(";received=127.0.0.1"), std::string::npos) << response;
}

TEST_F(NativeStack, AnswersOverTcpOnTheSamePortAndConnectionAndKeepsItOpen) {
  boost::asio::io_context client_io;
  tcp::socket socket(client_io);
  socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                               runtime_->local_address().port));
  set_timeout(socket.native_handle());
  std::string buffer;
  // Two requests on one connection, the second split across two writes.
  boost::asio::write(socket, boost::asio::buffer(options("TCP", "127.0.0.1:5999", "z9hG4bKtcp1")));
  EXPECT_TRUE(read_message(socket, buffer).starts_with("SIP/2.0 200 OK\r\n"));
  const std::string second = options("TCP", "127.0.0.1:5999", "z9hG4bKtcp2");
  boost::asio::write(socket, boost::asio::buffer(second.substr(0, 40)));
  boost::asio::write(socket, boost::asio::buffer(second.substr(40)));
  const std::string answer = read_message(socket, buffer);
  EXPECT_TRUE(answer.starts_with("SIP/2.0 200 OK\r\n")) << answer;
  EXPECT_NE(answer.find("z9hG4bKtcp2"), std::string::npos);
  // RFC 5626 §3.5.1 keep-alive on the same, still open connection.
  boost::asio::write(socket, boost::asio::buffer(std::string("\r\n\r\n")));
  char pong[2];
  boost::asio::read(socket, boost::asio::buffer(pong));
  EXPECT_EQ(std::string(pong, 2), "\r\n");
}

TEST_F(NativeStack, AnswersAnUnparsableRequestStatelessly) {
  boost::asio::io_context client_io;
  udp::socket socket(client_io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  set_timeout(socket.native_handle());
  std::string bad = options("UDP", "127.0.0.1:" + std::to_string(socket.local_endpoint().port()),
                            "z9hG4bKbad");
  bad.replace(bad.find("SIP/2.0\r\n"), 7, "SIP/7.0");  // RFC 4475 badvers
  socket.send_to(boost::asio::buffer(bad),
                 udp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                               runtime_->local_address().port));
  char buf[4096];
  udp::endpoint from;
  const auto n = socket.receive_from(boost::asio::buffer(buf), from);
  EXPECT_TRUE(std::string(buf, n).starts_with("SIP/2.0 505 ")) << std::string(buf, n);
}

}  // namespace
}  // namespace resproxy
