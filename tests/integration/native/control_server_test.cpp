// The control socket (control_server.h) in front of the real core: a ProxyNode on NativeRuntime
// with an SQLite store in a temporary data directory, a phone registering over real UDP on
// loopback, and clients on the Unix socket, all on one io_context in this thread (as in the
// daemon). `show reg`, `kill reg N` (also gone from the database), errors, over-long lines,
// too many clients, idle clients, the socket file's mode, stale and live sockets.
#include "proxy/native/openssl_crypto.h"
#include "proxy/native/control_server.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/native/cli.h"
#include "proxy/native/config.h"
#include "proxy/native/runtime.h"
#include "proxy/native/sqlite_store.h"
#include "proxy/registrar/binding.h"
#include "proxy/routing/proxy_node.h"
#include "process_support.h"
#include "tests/integration/native/test_node.h"

namespace resproxy::native {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;
namespace asio = boost::asio;
using asio::ip::udp;
using Local = asio::local::stream_protocol;
using ErrorCode = boost::system::error_code;
using testing::run_until;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
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

std::size_t stored_bindings(SqliteStore& store) {
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

TEST_F(ControlServerTest, ShowRegListsAPhoneAndKillRegRemovesItFromCacheAndDatabase) {
  Phone phone(io_);
  ASSERT_TRUE(register_user(phone, "2001"));
  EXPECT_EQ(stored_bindings(*store_), 1u);

  CtlClient ctl(io_, ctl_path_);
  auto shown = ctl.command("show reg");
  ASSERT_TRUE(shown);
  EXPECT_TRUE(shown->ok) << shown->text;
  // index user aliases contact source transport expires origin (transport in any case)
  const std::string port = std::to_string(phone.port());
  std::string lowered = shown->text;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(contains(lowered, "1 2001 - sip:2001@127.0.0.1:" + port + " 127.0.0.1:" + port +
                                    " udp "))
      << shown->text;
  EXPECT_TRUE(contains(shown->text, "s local\n")) << shown->text;
  EXPECT_TRUE(contains(shown->text, "\n1 registrations\n")) << shown->text;

  // Several commands on one connection.
  auto killed = ctl.command("kill reg 1");
  ASSERT_TRUE(killed);
  EXPECT_TRUE(killed->ok) << killed->text;
  EXPECT_TRUE(contains(killed->text, "2001")) << killed->text;

  shown = ctl.command("show reg");
  ASSERT_TRUE(shown);
  EXPECT_TRUE(shown->ok);
  EXPECT_TRUE(contains(shown->text, "0 registrations\n")) << shown->text;
  EXPECT_FALSE(contains(shown->text, "2001")) << shown->text;
  EXPECT_EQ(node_->binding_count(), 0u);

  // The StoreWrite of kill reg was drained and committed like any other effect (the runtime
  // may hold it for its group commit, a few milliseconds): the record is gone, and a node
  // restarted from the database does not bring it back.
  EXPECT_TRUE(run_until(io_, [&] { return store_idle() && stored_bindings(*store_) == 0; }));
  server_.reset();
  runtime_->stop();
  runtime_.reset();
  node_.reset();
  start_node();
  EXPECT_EQ(node_->binding_count(), 0u);
}

TEST_F(ControlServerTest, KillRegOfOneOfTwoKeepsTheOther) {
  Phone alice(io_);
  Phone bob(io_);
  ASSERT_TRUE(register_user(alice, "2001"));
  ASSERT_TRUE(register_user(bob, "2002"));
  CtlClient ctl(io_, ctl_path_);
  auto shown = ctl.command("show reg");
  ASSERT_TRUE(shown);
  EXPECT_TRUE(contains(shown->text, "2 registrations\n")) << shown->text;
  const bool alice_first = shown->text.find(" 2001 ") < shown->text.find(" 2002 ");
  auto killed = ctl.command("kill reg 1");
  ASSERT_TRUE(killed);
  EXPECT_TRUE(killed->ok) << killed->text;

  shown = ctl.command("show reg");
  ASSERT_TRUE(shown);
  EXPECT_TRUE(contains(shown->text, "1 registrations\n")) << shown->text;
  EXPECT_TRUE(contains(shown->text, alice_first ? " 2002 " : " 2001 ")) << shown->text;
  EXPECT_TRUE(run_until(io_, [&] { return store_idle() && stored_bindings(*store_) == 1; }));
}

TEST_F(ControlServerTest, BadCommandsGetErrorsAndTheConnectionStaysUsable) {
  CtlClient ctl(io_, ctl_path_);
  auto reply = ctl.command("frobnicate now");
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->ok);
  EXPECT_TRUE(contains(reply->text, "unknown command")) << reply->text;

  reply = ctl.command("kill reg 7");
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->ok);
  EXPECT_TRUE(contains(reply->text, "no registration '7'")) << reply->text;

  reply = ctl.command("kill reg one");
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->ok);

  reply = ctl.command("show\x01reg");
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->ok);
  EXPECT_TRUE(contains(reply->text, "control characters")) << reply->text;

  // Blank lines are skipped; "\r\n" ends a line too.
  ctl.send("\n  \r\nhelp\r\n");
  reply = ctl.reply();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  EXPECT_TRUE(contains(reply->text, "kill reg N")) << reply->text;
}

// `pstn ...` is the daemon's own (the emulated exchange, GatewayService::pstn_command): it
// goes to the PstnCommands given, words split, never to the node; without one it is an error.
TEST_F(ControlServerTest, PstnCommandsGoToTheDaemonsEmulatorsNotTheNode) {
  {
    CtlClient ctl(io_, ctl_path_);
    const auto reply = ctl.command("pstn calls");
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->ok);
    EXPECT_TRUE(contains(reply->text, "no gateway in this daemon")) << reply->text;
  }
  server_.reset();  // one server per runtime: it takes over the runtime's command replies
  std::vector<std::string> seen;
  ControlOptions options;
  options.path = ctl_path_;
  ControlServer with_pstn(io_, *runtime_,
                          proxy_control_handler(*node_, *runtime_, nullptr,
                                                [&seen](std::span<const std::string_view> words) {
                                                  seen.assign(words.begin(), words.end());
                                                  return ControlReply{true, "call 9\n"};
                                                }),
                          options);
  with_pstn.start();
  CtlClient ctl(io_, ctl_path_);
  const auto reply = ctl.command("pstn  call 01632960555\t01632961050 hold 2");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  EXPECT_EQ(reply->text, "call 9\n");
  EXPECT_EQ(seen, (std::vector<std::string>{"pstn", "call", "01632960555", "01632961050", "hold",
                                            "2"}));
  const auto reg = ctl.command("show reg");  // the node's commands are unchanged
  ASSERT_TRUE(reg);
  EXPECT_TRUE(reg->ok);
  EXPECT_TRUE(contains(reg->text, "0 registrations")) << reg->text;
}

TEST_F(ControlServerTest, PipelinedCommandsAreAnsweredInOrder) {
  CtlClient ctl(io_, ctl_path_);
  ctl.send("show reg\nbogus\nshow itsp\n");
  const auto first = ctl.reply();
  const auto second = ctl.reply();
  const auto third = ctl.reply();
  ASSERT_TRUE(first && second && third);
  EXPECT_TRUE(first->ok);
  EXPECT_TRUE(contains(first->text, "registrations")) << first->text;
  EXPECT_FALSE(second->ok);
  EXPECT_TRUE(third->ok);
  EXPECT_TRUE(contains(third->text, "mode ")) << third->text;
}

TEST_F(ControlServerTest, ShowCountersAppendsTheRuntimeStats) {
  Phone phone(io_);
  ASSERT_TRUE(register_user(phone, "2001"));
  CtlClient ctl(io_, ctl_path_);
  const auto reply = ctl.command("show counters");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  EXPECT_TRUE(contains(reply->text, "registers 1\n")) << reply->text;
  EXPECT_TRUE(contains(reply->text, "runtime.datagrams_in 1\n")) << reply->text;
  EXPECT_TRUE(contains(reply->text, "runtime.store_failures 0\n")) << reply->text;
  EXPECT_TRUE(contains(reply->text, "runtime.bytes_out ")) << reply->text;
}

TEST_F(ControlServerTest, AnOverLongLineIsRefusedAndTheDaemonCarriesOn) {
  {
    CtlClient ctl(io_, ctl_path_);
    const auto reply = ctl.command(std::string(2000, 'x'));
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->ok);
    EXPECT_TRUE(contains(reply->text, "longer than 1024 bytes")) << reply->text;
    EXPECT_TRUE(ctl.closed_by_server());
  }
  {
    // Without a line end at all: refused as soon as it cannot be a command any more.
    CtlClient ctl(io_, ctl_path_);
    ctl.send(std::string(64 * 1024, 'y'));
    const auto reply = ctl.reply();
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->ok);
    EXPECT_TRUE(ctl.closed_by_server());
  }
  {
    // 1024 bytes is still a command (an unknown one).
    CtlClient ctl(io_, ctl_path_);
    const auto reply = ctl.command("show " + std::string(1019, 'z'));
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->ok);
    EXPECT_TRUE(contains(reply->text, "unknown command")) << reply->text;
  }
  // The control socket and the SIP side both still work.
  CtlClient ctl(io_, ctl_path_);
  const auto reply = ctl.command("show reg");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  Phone phone(io_);
  EXPECT_TRUE(phone.request(sip_port(), "OPTIONS", "2001", "").starts_with("SIP/2.0 200"));
}

TEST_F(ControlServerTest, ClientsBeyondTheLimitAreRefused) {
  server_ = make_server(ctl_path_, /*max_clients=*/2);
  server_->start();
  CtlClient first(io_, ctl_path_);
  CtlClient second(io_, ctl_path_);
  ASSERT_TRUE(run_until(io_, [&] { return server_->connection_count() == 2; }));
  CtlClient third(io_, ctl_path_);
  const auto refused = third.command("show reg");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_TRUE(contains(refused->text, "too many control connections")) << refused->text;
  EXPECT_TRUE(third.closed_by_server());

  const auto reply = first.command("show reg");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  first.send("quit\n");
  EXPECT_TRUE(first.closed_by_server());
  ASSERT_TRUE(run_until(io_, [&] { return server_->connection_count() == 1; }));
  CtlClient fourth(io_, ctl_path_);
  const auto again = fourth.command("help");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->ok);
}

TEST_F(ControlServerTest, IdleConnectionsAreClosed) {
  server_ = make_server(ctl_path_, 8, /*idle=*/200ms);
  server_->start();
  CtlClient ctl(io_, ctl_path_);
  const auto reply = ctl.command("help");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
  EXPECT_TRUE(ctl.closed_by_server());
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ControlServerTest, TheSocketFileIsPrivateAndRemovedAtStop) {
  struct stat st {};
  ASSERT_EQ(::lstat(ctl_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(server_->path(), ctl_path_);
  EXPECT_FALSE(server_->removed_stale());
  server_->stop();
  EXPECT_FALSE(fs::exists(ctl_path_));
}

TEST_F(ControlServerTest, AStaleSocketIsReplacedButALiveOneRefusesToStart) {
  // A live server answers on the path: a second one must not steal it.
  auto second = make_server(ctl_path_);
  try {
    second->start();
    ADD_FAILURE() << "a second server started on a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "another resproxy is running")) << e.what();
    EXPECT_TRUE(contains(e.what(), ctl_path_)) << e.what();
  }
  second.reset();
  EXPECT_TRUE(fs::exists(ctl_path_));  // the refused one removed nothing
  CtlClient still(io_, ctl_path_);
  ASSERT_TRUE(still.command("help"));

  // A socket file left by a crash (bound, never unlinked, nobody listening).
  const std::string stale_path = (dir_.path / "stale.ctl").string();
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    stale_path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(fs::exists(stale_path));
  auto replacing = make_server(stale_path);
  replacing->start();
  EXPECT_TRUE(replacing->removed_stale());
  CtlClient ctl(io_, stale_path);
  const auto reply = ctl.command("show reg");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->ok);
}

TEST_F(ControlServerTest, RefusesAPathThatIsNotASocketOrTooLong) {
  const std::string file = (dir_.path / "plain-file").string();
  std::ofstream(file) << "keep me\n";
  auto server = make_server(file);
  try {
    server->start();
    ADD_FAILURE() << "started on a regular file";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "is not a socket")) << e.what();
  }
  EXPECT_TRUE(fs::exists(file));

  server = make_server((dir_.path / std::string(200, 'a')).string());
  try {
    server->start();
    ADD_FAILURE() << "started on a 200-byte path";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "too long")) << e.what();
  }
}

TEST(ControlProtocol, RepliesAreDotStuffedAndDecodeToTheSameText) {
  ControlReply reply;
  reply.ok = true;
  reply.text = ".ok\n..two\nplain\n.\n";
  const std::string wire = encode_control_reply(reply);
  EXPECT_EQ(wire, "..ok\n...two\nplain\n..\n.ok\n");
  ControlReplyDecoder decoder;
  std::size_t start = 0;
  ControlReplyDecoder::Status status = ControlReplyDecoder::Status::More;
  while (status == ControlReplyDecoder::Status::More) {
    const auto newline = wire.find('\n', start);
    ASSERT_NE(newline, std::string::npos);
    status = decoder.feed(std::string_view(wire).substr(start, newline - start));
    start = newline + 1;
  }
  EXPECT_EQ(status, ControlReplyDecoder::Status::Done);
  EXPECT_TRUE(decoder.reply().ok);
  EXPECT_EQ(decoder.reply().text, reply.text);
  EXPECT_EQ(start, wire.size());

  ControlReply error;
  error.text = "error: no";  // no final line end: one is added
  EXPECT_EQ(encode_control_reply(error), "error: no\n.error\n");
  ControlReplyDecoder bad;
  EXPECT_EQ(bad.feed(".what"), ControlReplyDecoder::Status::Malformed);
}

TEST(ControlProtocol, DefaultsMatchTheDaemon) {
  EXPECT_EQ(DaemonConfig{}.data_dir, kDefaultDataDir);
  EXPECT_EQ(default_control_path("/var/lib/resproxy"), "/var/lib/resproxy/resproxy.ctl");
}

TEST(ControlCommandLine, ParsesControl) {
  {
    const std::vector<const char*> argv = {"resproxy"};
    EXPECT_FALSE(parse_command_line(static_cast<int>(argv.size()), argv.data()).control);
  }
  {
    const std::vector<const char*> argv = {"resproxy", "--control", "/run/resproxy.ctl"};
    EXPECT_EQ(parse_command_line(static_cast<int>(argv.size()), argv.data()).control,
              "/run/resproxy.ctl");
  }
  {
    const std::vector<const char*> argv = {"resproxy", "--control=none"};
    EXPECT_EQ(parse_command_line(static_cast<int>(argv.size()), argv.data()).control, "none");
  }
  {
    const std::vector<const char*> argv = {"resproxy", "--control="};
    EXPECT_THROW(parse_command_line(static_cast<int>(argv.size()), argv.data()), UsageError);
  }
  EXPECT_TRUE(contains(usage_text(), "--control PATH"));
}

}  // namespace
}  // namespace resproxy::native
