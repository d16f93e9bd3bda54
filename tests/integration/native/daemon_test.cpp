// The real `resproxy` binary as a child process on loopback: start-up errors and exit codes,
// OPTIONS and REGISTER over UDP, the SIP message log, clean SIGTERM, and a kill -9 that loses
// no acknowledged registration. The binary is $RESPROXY_BINARY, else the one built next to this
// test (<build>/proxy/native/resproxy); the tests skip if neither exists.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "proxy/native/config.h"
#include "process_support.h"

namespace resproxy::native {
namespace {

namespace fs = std::filesystem;
using test_support::daemon_binary;
using test_support::slurp;
using test_support::TempDir;
namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

// One resproxy process with stderr in a file.
class Daemon {
 public:
  Daemon(const std::string& exe, std::vector<std::string> args, const fs::path& stderr_file)
      : stderr_file_(stderr_file) {
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      if (!freopen(stderr_file.c_str(), "w", stderr)) _exit(127);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(exe.c_str()));
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(exe.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits (bounded) for the readiness line; returns the port, or 0 if the process exited.
  std::uint16_t wait_ready() {
    for (auto waited = 0ms; waited < 10s; waited += 20ms) {
      // "resproxy listening on udp+tcp 127.0.0.1:PORT (data dir …)"
      const std::string err = slurp(stderr_file_);
      const auto line = err.find("resproxy listening on ");
      const auto paren = err.find(" (data dir", line);
      if (line != std::string::npos && paren != std::string::npos) {
        const auto colon = err.rfind(':', paren);
        return static_cast<std::uint16_t>(std::stoi(err.substr(colon + 1, paren - colon - 1)));
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        status_ = status;
        return 0;
      }
      std::this_thread::sleep_for(20ms);  // a real process: polling its output is the only way
    }
    return 0;
  }
  // Sends `signal` and waits for the exit; the raw wait status.
  int stop(int signal) {
    if (!exited_) {
      kill(pid_, signal);
      waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    return status_;
  }
  int wait_exit() {
    if (!exited_) {
      waitpid(pid_, &status_, 0);
      exited_ = true;
    }
    return status_;
  }
  std::string err() const { return slurp(stderr_file_); }
  pid_t pid() const { return pid_; }

 private:
  fs::path stderr_file_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

// Sends one request over UDP and returns the first final response (skipping 1xx), or "".
std::string request(std::uint16_t port, const std::string& method, const std::string& extra) {
  asio::io_context io;
  udp::socket socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto local = socket.local_endpoint().port();
  // Without a port, sip:127.0.0.1 would be port 5060: someone else's.
  const std::string uri =
      method == "REGISTER" ? "sip:resproxy.local" : "sip:127.0.0.1:" + std::to_string(port);
  const std::string msg = method + " " + uri + " SIP/2.0\r\n" +
                          "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(local) +
                          ";branch=z9hG4bK" + method + std::to_string(local) + ";rport\r\n" +
                          "Max-Forwards: 70\r\n"
                          "From: <sip:alice@resproxy.local>;tag=f1\r\n"
                          "To: <sip:alice@resproxy.local>\r\n"
                          "Call-ID: daemon-test-" + std::to_string(local) + "\r\n" +
                          "CSeq: 1 " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
  socket.send_to(asio::buffer(msg), udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  socket.non_blocking(true);
  std::array<char, 65536> buffer{};
  for (auto waited = 0ms; waited < 5s; waited += 10ms) {
    boost::system::error_code ec;
    udp::endpoint from;
    const auto n = socket.receive_from(asio::buffer(buffer), from, 0, ec);
    if (!ec) {
      std::string response(buffer.data(), n);
      if (!response.starts_with("SIP/2.0 1")) return response;
      continue;
    }
    std::this_thread::sleep_for(10ms);
  }
  return "";
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exe_ = daemon_binary();
    if (!exe_) GTEST_SKIP() << "resproxy binary not found; set RESPROXY_BINARY";
  }
  std::optional<std::string> exe_;
  TempDir dir_{"resproxy-daemon"};
};

TEST_F(DaemonTest, RefusesABadConfigurationWithExitTwo) {
  const fs::path ini = dir_.path / "bad.ini";
  std::ofstream(ini) << "[sipproxy]\nrx_port = 5060\n[advanced.sipproxy]\nrecord_route = sometimes\n";
  Daemon daemon(*exe_, {"--config", ini.string()}, dir_.path / "err");
  const int status = daemon.wait_exit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(daemon.err().find(ini.string() +
                              ":4: [advanced.sipproxy] record_route: \"sometimes\" is not "
                              "allowed; allowed: always, call_setup"),
            std::string::npos)
      << daemon.err();
}

TEST_F(DaemonTest, CheckConfigAcceptsTheEmbeddedDefaultAndRefusesAMissingFile) {
  const fs::path ini = dir_.path / "default.ini";
  std::ofstream(ini) << default_config_text();
  {
    Daemon check(*exe_, {"--check-config", ini.string()}, dir_.path / "err1");
    const int status = check.wait_exit();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << check.err();
  }
  Daemon check(*exe_, {"--check-config", "/nonexistent/file.ini"}, dir_.path / "err2");
  const int status = check.wait_exit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(check.err().find("cannot read configuration file"), std::string::npos);
}

TEST_F(DaemonTest, FailsToStartWhenThePortIsTaken) {
  asio::io_context io;
  udp::socket taken(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = taken.local_endpoint().port();
  Daemon daemon(*exe_,
                {"--listen", "127.0.0.1:" + std::to_string(port), "--data-dir",
                 (dir_.path / "data").string()},
                dir_.path / "err");
  const int status = daemon.wait_exit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(daemon.err().find("cannot listen on UDP"), std::string::npos) << daemon.err();
}

TEST_F(DaemonTest, AnswersOptionsLogsMessagesAndStopsCleanly) {
  const fs::path ini = dir_.path / "test.ini";
  std::ofstream(ini) << "[advanced.sipproxy]\nsip_log = " << (dir_.path / "sip.log").string()
                     << "\n";
  Daemon daemon(*exe_,
                {"--config", ini.string(), "--listen", "127.0.0.1:0", "--data-dir",
                 (dir_.path / "data").string(), "--pidfile", (dir_.path / "pid").string()},
                dir_.path / "err");
  const auto port = daemon.wait_ready();
  ASSERT_NE(port, 0) << daemon.err();
  EXPECT_TRUE(fs::exists(dir_.path / "pid"));

  const std::string response = request(port, "OPTIONS", "");
  EXPECT_TRUE(response.starts_with("SIP/2.0 200")) << response;

  const int status = daemon.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << daemon.err();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(fs::exists(dir_.path / "pid"));  // removed at exit
  const std::string log = slurp(dir_.path / "sip.log");
  EXPECT_NE(log.find("UDP in 127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("UDP out 127.0.0.1:" + std::to_string(port)), std::string::npos) << log;
  EXPECT_NE(log.find("OPTIONS sip:127.0.0.1:"), std::string::npos);
  EXPECT_NE(log.find("SIP/2.0 200"), std::string::npos);
}

TEST_F(DaemonTest, AcknowledgedRegistrationSurvivesKillMinusNine) {
  const std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--data-dir",
                                         (dir_.path / "data").string()};
  {
    Daemon daemon(*exe_, args, dir_.path / "err1");
    const auto port = daemon.wait_ready();
    ASSERT_NE(port, 0) << daemon.err();
    const std::string response =
        request(port, "REGISTER",
                "Contact: <sip:alice@127.0.0.1:5999>\r\nExpires: 3600\r\n");
    ASSERT_TRUE(response.starts_with("SIP/2.0 200")) << response;
    const int status = daemon.stop(SIGKILL);  // straight after the 200
    ASSERT_TRUE(WIFSIGNALED(status));
  }
  Daemon daemon(*exe_, args, dir_.path / "err2");
  ASSERT_NE(daemon.wait_ready(), 0) << daemon.err();
  EXPECT_NE(daemon.err().find("1 bindings loaded"), std::string::npos) << daemon.err();
  const int status = daemon.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// `resproxyctl --data-dir DIR show reg` (the control client built next to the daemon).
std::string show_reg(const std::string& daemon_exe, const fs::path& data) {
  const std::string ctl = (fs::path(daemon_exe).parent_path() / "resproxyctl").string();
  const std::string command = ctl + " --data-dir " + data.string() + " show reg 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  std::string out;
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  return out;
}

// Issue #11: what is stored is wall-clock time, so a restart keeps each binding's remaining
// lifetime to the second (and a reboot would too: tests/unit/routing/wall_clock_test.cpp).
TEST_F(DaemonTest, ARestartKeepsTheRemainingLifetimeOfEachBinding) {
  const fs::path data = dir_.path / "data";
  const std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--data-dir", data.string()};
  using Clock = std::chrono::steady_clock;
  Clock::time_point before_register, after_register;
  {
    Daemon daemon(*exe_, args, dir_.path / "err1");
    const auto port = daemon.wait_ready();
    ASSERT_NE(port, 0) << daemon.err();
    before_register = Clock::now();
    const std::string response =
        request(port, "REGISTER", "Contact: <sip:alice@127.0.0.1:5999>\r\nExpires: 3600\r\n");
    after_register = Clock::now();
    ASSERT_TRUE(response.starts_with("SIP/2.0 200")) << response;
    std::this_thread::sleep_for(2s);  // time passes while it runs, and while it is down
    ASSERT_TRUE(WIFEXITED(daemon.stop(SIGTERM)));
  }
  std::this_thread::sleep_for(1s);
  Daemon daemon(*exe_, args, dir_.path / "err2");
  ASSERT_NE(daemon.wait_ready(), 0) << daemon.err();
  const auto before_show = Clock::now();
  const std::string shown = show_reg(*exe_, data);
  const auto after_show = Clock::now();
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  // "1 alice - sip:alice@127.0.0.1:5999 127.0.0.1:PORT udp 3597s local"
  const auto s = shown.find("s local");
  ASSERT_NE(s, std::string::npos) << shown;
  const auto space = shown.rfind(' ', s);
  const int remaining = std::stoi(shown.substr(space + 1, s - space - 1));
  // The daemon registered it somewhere in [before_register, after_register] and answered
  // somewhere in [before_show, after_show], rounding the rest up to whole seconds.
  const double longest = seconds(after_show - before_register);
  const double shortest = seconds(before_show - after_register);
  EXPECT_GE(remaining, static_cast<int>(std::floor(3600 - longest))) << shown << " after " << longest << " s";
  EXPECT_LE(remaining, static_cast<int>(std::ceil(3600 - shortest))) << shown << " after " << shortest << " s";
  EXPECT_TRUE(WIFEXITED(daemon.stop(SIGTERM)));
}

// mode & 0777 of a path, or -1 if it does not exist.
int mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

// Waits (bounded) until `path` contains `text`.
bool file_gets(const fs::path& path, const std::string& text) {
  for (auto waited = 0ms; waited < 5s; waited += 20ms) {
    if (slurp(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);  // another process writes it
  }
  return false;
}

// The data directory the daemon creates is 0700 and the database in it 0600; the SIP message
// and trace logs are created 0600, rotated at log_max_bytes keeping log_keep files, and after
// logrotate's move and a SIGHUP the daemon writes to a new file at the configured path.
TEST_F(DaemonTest, LogsAndStoreArePrivateLogsRotateAndSighupReopensThem) {
  const fs::path sip_log = dir_.path / "sip.log";
  const fs::path trace_log = dir_.path / "trace.log";
  const fs::path data = dir_.path / "data";
  const fs::path ini = dir_.path / "test.ini";
  std::ofstream(ini) << "[advanced.sipproxy]\nsip_log = " << sip_log.string()
                     << "\ntrace_log = " << trace_log.string()
                     << "\nlog_max_bytes = 4096\nlog_keep = 2\n";
  const mode_t old_umask = ::umask(022);  // the usual one: files would be 0644 if not asked
  Daemon daemon(*exe_,
                {"--config", ini.string(), "--listen", "127.0.0.1:0", "--data-dir",
                 data.string()},
                dir_.path / "err");
  ::umask(old_umask);
  const auto port = daemon.wait_ready();
  ASSERT_NE(port, 0) << daemon.err();
  EXPECT_EQ(mode_of(data), 0700);
  EXPECT_EQ(mode_of(data / "registrations.db"), 0600);
  EXPECT_EQ(mode_of(sip_log), 0600);
  EXPECT_EQ(mode_of(trace_log), 0600);

  // About 1 KB of log per OPTIONS (in and out): 20 of them fill the 4 KiB file several times.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(request(port, "OPTIONS", "").starts_with("SIP/2.0 200"));
  }
  EXPECT_TRUE(fs::exists(dir_.path / "sip.log.1"));
  EXPECT_TRUE(fs::exists(dir_.path / "sip.log.2"));
  EXPECT_FALSE(fs::exists(dir_.path / "sip.log.3"));
  EXPECT_EQ(mode_of(dir_.path / "sip.log.1"), 0600);
  for (const auto* name : {"sip.log", "sip.log.1", "sip.log.2"}) {
    const auto size = fs::file_size(dir_.path / name);
    EXPECT_LE(size, 4096u) << name;
    EXPECT_GT(size, 0u) << name;
    // Entries are whole: every file starts with an entry's header line.
    EXPECT_TRUE(slurp(dir_.path / name).starts_with("20")) << name;
  }

  // logrotate: move, then HUP. Until the HUP the daemon writes to the moved file.
  fs::rename(sip_log, dir_.path / "sip.log.old");
  fs::rename(trace_log, dir_.path / "trace.log.old");
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  ASSERT_TRUE(file_gets(dir_.path / "err", "SIGHUP: log files reopened")) << daemon.err();
  EXPECT_EQ(mode_of(sip_log), 0600);
  EXPECT_EQ(mode_of(trace_log), 0600);
  ASSERT_TRUE(request(port, "OPTIONS", "").starts_with("SIP/2.0 200"));
  EXPECT_NE(slurp(sip_log).find("OPTIONS sip:127.0.0.1:"), std::string::npos);
  EXPECT_NE(slurp(trace_log).find("\"ev\":"), std::string::npos);

  const int status = daemon.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << daemon.err();
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace resproxy::native

namespace resproxy::native {
namespace {

// `resproxyctl --data-dir DIR ARGS` and its output (stdout and stderr).
std::string ctl(const std::string& daemon_exe, const fs::path& data, const std::string& args) {
  const std::string exe = (fs::path(daemon_exe).parent_path() / "resproxyctl").string();
  const std::string command = exe + " --data-dir " + data.string() + " " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  std::string out;
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  return out;
}

// [gateway] enable = 1 with an emulated E1: the gateway runs beside the proxy, and
// `resproxyctl show channels` lists its channels; without a gateway the command is refused.
TEST_F(DaemonTest, RunsTheGatewayWithEmulatedCardsAndShowsItsChannels) {
  const fs::path data = dir_.path / "data";
  const fs::path ini = dir_.path / "gateway.ini";
  std::ofstream(ini) << "[gateway]\nenable = 1\nport = 0\n"
                        "[gateway.group.1]\nenable = 1\nname = e1\nspans = 1\n"
                        "[gateway.dialplan.1]\nenable = 1\ncalled = 0.\ntarget = e1\n"
                        "[sim_hardware.e1.1]\nenable = 1\nspan = 1\n"
                        "[sim_hardware.fxo.1]\nenable = 1\nspan = 2\nlines = 2\n"
                        "directory_numbers = 01632961200, 01632961201\n";
  Daemon daemon(*exe_, {"--config", ini.string(), "--listen", "127.0.0.1:0", "--data-dir",
                        data.string()},
                dir_.path / "err");
  ASSERT_NE(daemon.wait_ready(), 0) << daemon.err();
  EXPECT_NE(daemon.err().find("gateway listening on 127.0.0.1:"), std::string::npos)
      << daemon.err();
  const std::string channels = ctl(*exe_, data, "show channels");
  EXPECT_NE(channels.find("span channel group state called calling since_s\n"), std::string::npos)
      << channels;
  EXPECT_NE(channels.find("1 1 e1 idle - - -\n"), std::string::npos) << channels;
  EXPECT_NE(channels.find("2 2 - idle - - -\n"), std::string::npos) << channels;  // no group
  EXPECT_NE(channels.find("32 channels, 0 in use\n"), std::string::npos) << channels;
  // The gateway's media data path (media_bridge.h) in show counters.
  const std::string counters = ctl(*exe_, data, "show counters");
  EXPECT_NE(counters.find("gateway.rtp_rx 0\n"), std::string::npos) << counters;
  EXPECT_NE(counters.find("gateway.rtp_tx 0\n"), std::string::npos) << counters;
  EXPECT_NE(counters.find("gateway.media_bridges_open 0\n"), std::string::npos) << counters;
  const int status = daemon.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << daemon.err();
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(DaemonTest, ShowChannelsWithoutAGatewayIsRefused) {
  const fs::path data = dir_.path / "data";
  Daemon daemon(*exe_, {"--listen", "127.0.0.1:0", "--data-dir", data.string()},
                dir_.path / "err");
  ASSERT_NE(daemon.wait_ready(), 0) << daemon.err();
  EXPECT_NE(ctl(*exe_, data, "show channels").find("no gateway in this daemon"), std::string::npos);
  daemon.stop(SIGTERM);
}

}  // namespace
}  // namespace resproxy::native
