// The control socket (control_server.h) as a daemon's resource: over-long lines, too many
// clients, idle clients, the socket file's mode, stale and live sockets, paths it refuses.
// Its commands are in control_server_test.cpp.
#include "tests/integration/native/control_server_fixture.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "proxy/native/control_server.h"

namespace resproxy::native {
namespace {

namespace fs = std::filesystem;
using test_support::contains;
using test_support::ControlServerTest;
using test_support::CtlClient;
using test_support::Phone;
using testing::run_until;
using namespace std::chrono_literals;

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

}  // namespace
}  // namespace resproxy::native
