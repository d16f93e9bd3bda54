#pragma once
// Shared by the control socket's tests (control_server_test.cpp, control_socket_test.cpp): the
// daemon's set-up in miniature — a ProxyNode on NativeRuntime with an SQLite store in a
// temporary data directory and a ControlServer, all on one io_context in the test's thread —
// a client of the control socket and a SIP phone on UDP loopback.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/native/config.h"
#include "proxy/native/control_server.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/native/runtime.h"
#include "proxy/native/sqlite_store.h"
#include "proxy/registrar/binding.h"
#include "proxy/routing/proxy_node.h"
#include "tests/integration/native/process_support.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native::test_support {

namespace asio = boost::asio;
using asio::ip::udp;
using Local = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using testing::run_until;
using namespace std::chrono_literals;

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A client of the control socket on the test's io_context: every wait runs the io_context
// (the server and the runtime live on it), bounded by run_until.
class CtlClient {
 public:
  CtlClient(asio::io_context& io, const std::string& path) : io_(io), socket_(io) {
    socket_.connect(Local::endpoint(path));  // the listen backlog accepts without io running
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next complete reply; nullopt on end of file, a malformed line or a timeout.
  std::optional<ControlReply> reply() {
    ControlReplyDecoder decoder;
    while (true) {
      for (auto newline = buffer_.find('\n'); newline != std::string::npos;
           newline = buffer_.find('\n')) {
        const std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        switch (decoder.feed(line)) {
          case ControlReplyDecoder::Status::More: break;
          case ControlReplyDecoder::Status::Done: return decoder.reply();
          case ControlReplyDecoder::Status::Malformed: return std::nullopt;
        }
      }
      if (!read_some()) return std::nullopt;
    }
  }

  std::optional<ControlReply> command(const std::string& line) {
    send(line + "\n");
    return reply();
  }

  // True if the server closed the connection (within the timeout) with nothing more to say.
  bool closed_by_server() {
    while (read_some()) {
      if (!buffer_.empty()) return false;
    }
    return eof_;
  }

 private:
  bool read_some() {
    bool finished = false;
    ErrorCode error;
    std::size_t got = 0;
    socket_.async_read_some(asio::buffer(chunk_), [&](const ErrorCode& ec, std::size_t n) {
      error = ec;
      got = n;
      finished = true;
    });
    if (!run_until(io_, [&] { return finished; })) {
      ErrorCode ignored;
      socket_.cancel(ignored);
      run_until(io_, [&] { return finished; });
      return false;
    }
    if (error) {
      eof_ = error == asio::error::eof || error == asio::error::connection_reset;
      return false;
    }
    buffer_.append(chunk_.data(), got);
    return true;
  }

  asio::io_context& io_;
  Local::socket socket_;
  std::string buffer_;
  std::array<char, 4096> chunk_{};
  bool eof_ = false;
};

// A SIP phone on a UDP socket of the same io_context.
class Phone {
 public:
  explicit Phone(asio::io_context& io)
      : io_(io), socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  std::string contact(const std::string& user) const {
    return "sip:" + user + "@127.0.0.1:" + std::to_string(port());
  }

  // Sends a request and returns the first final response, or "" after 5 s.
  std::string request(std::uint16_t proxy_port, const std::string& method,
                      const std::string& user, const std::string& extra) {
    ++cseq_;
    const std::string uri = method == "REGISTER" ? "sip:resproxy.local"
                                                  : "sip:127.0.0.1:" + std::to_string(proxy_port);
    const std::string msg =
        method + " " + uri + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP 127.0.0.1:" +
        std::to_string(port()) + ";branch=z9hG4bKctl" + std::to_string(cseq_) + ";rport\r\n" +
        "Max-Forwards: 70\r\n"
        "From: <sip:" + user + "@resproxy.local>;tag=f1\r\n" +
        "To: <sip:" + user + "@resproxy.local>\r\n" +
        "Call-ID: ctl-test-" + std::to_string(port()) + "\r\n" +
        "CSeq: " + std::to_string(cseq_) + " " + method + "\r\n" + extra +
        "Content-Length: 0\r\n\r\n";
    socket_.send_to(asio::buffer(msg), udp::endpoint(asio::ip::make_address("127.0.0.1"),
                                                     proxy_port));
    std::string final_response;
    bool waiting = true;
    std::function<void()> receive = [&] {
      socket_.async_receive_from(asio::buffer(buffer_), from_,
                                 [&](const ErrorCode& ec, std::size_t n) {
                                   if (ec) {
                                     waiting = false;
                                     return;
                                   }
                                   std::string response(buffer_.data(), n);
                                   if (response.starts_with("SIP/2.0 1")) {
                                     receive();
                                     return;
                                   }
                                   final_response = std::move(response);
                                   waiting = false;
                                 });
    };
    receive();
    if (!run_until(io_, [&] { return !waiting; })) {
      socket_.cancel();
      run_until(io_, [&] { return !waiting; });
    }
    return final_response;
  }

 private:
  asio::io_context& io_;
  udp::socket socket_;
  udp::endpoint from_;
  std::array<char, 65536> buffer_{};
  int cseq_ = 0;
};

inline std::size_t stored_bindings(SqliteStore& store) {
  std::size_t n = 0;
  for (const auto& record : store.load_all()) {
    if (record.key.starts_with(registrar::kBindingKeyPrefix)) ++n;
  }
  return n;
}

// The daemon's set-up in miniature: store, core, runtime, control socket.
class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_path_ = (dir_.path / "registrations.db").string();
    store_ = SqliteStore::open(db_path_);
    ASSERT_TRUE(store_);
    start_node();
    ctl_path_ = default_control_path(dir_.path.string());
    server_ = make_server(ctl_path_);
    server_->start();
  }
  void TearDown() override {
    server_.reset();
    if (runtime_) runtime_->stop();
    runtime_.reset();
    node_.reset();
  }

  void start_node() {
    auto records = store_->try_load_all();
    ASSERT_TRUE(records);
    routing::ProxyConfig config = DaemonConfig{}.proxy;
    config.local = Address{"127.0.0.1", 0};
    node_ = std::make_unique<routing::ProxyNode>(config, std::move(*records), rng_,
                                                 openssl_crypto(), trace_);
    ListenConfig listen;
    listen.ip = "127.0.0.1";
    runtime_ = std::make_unique<NativeRuntime>(io_, *node_, listen);
    runtime_->set_store(store_.get());
    runtime_->start();
    node_->set_local_address(runtime_->local_address());
  }

  std::unique_ptr<ControlServer> make_server(const std::string& path, std::size_t max_clients = 8,
                                             std::chrono::milliseconds idle = 60s) {
    ControlOptions options;
    options.path = path;
    options.max_clients = max_clients;
    options.idle_timeout = idle;
    return std::make_unique<ControlServer>(io_, *runtime_, proxy_control_handler(*node_, *runtime_),
                                           options);
  }

  std::uint16_t sip_port() const { return runtime_->local_address().port; }
  // No write queued or committing: the store thread is done with the connection, which this
  // thread may then read (reading during a commit would race with the store thread).
  bool store_idle() const { return runtime_->stats().store_queue_depth == 0; }

  // REGISTERs `user` from `phone` for an hour; true on 200.
  bool register_user(Phone& phone, const std::string& user) {
    const std::string response = phone.request(
        sip_port(), "REGISTER", user, "Contact: <" + phone.contact(user) + ">\r\nExpires: 3600\r\n");
    EXPECT_TRUE(response.starts_with("SIP/2.0 200")) << response;
    return response.starts_with("SIP/2.0 200");
  }

  TempDir dir_{"rp-ctl"};
  std::string db_path_;
  std::string ctl_path_;
  std::unique_ptr<SqliteStore> store_;
  SeededRng rng_{42};
  NullTraceSink trace_;
  asio::io_context io_;
  std::unique_ptr<routing::ProxyNode> node_;
  std::unique_ptr<NativeRuntime> runtime_;
  std::unique_ptr<ControlServer> server_;
};

}  // namespace resproxy::native::test_support
