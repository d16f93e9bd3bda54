// The resproxy-media command line (proxy/native/media_cli.h): rtpengine's flag names and forms
// are taken, and a value that cannot be obeyed is refused naming the flag and what it allows.
#include "proxy/native/media_cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace resproxy::native {
namespace {

MediaCommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "resproxy-media");
  return parse_media_command_line(static_cast<int>(args.size()), args.data());
}

std::string refusal(std::vector<const char*> args) {
  try {
    (void)parse(std::move(args));
  } catch (const MediaUsageError& e) {
    return e.what();
  }
  return "";
}

TEST(MediaCommandLine, DefaultsListenOnLoopbackAndTrustOnlyLoopback) {
  const auto c = parse({});
  EXPECT_EQ(c.listen_ng, (Address{"127.0.0.1", 2223}));
  ASSERT_EQ(c.interfaces.size(), 1u);
  EXPECT_EQ(c.interfaces[0].address, "127.0.0.1");
  EXPECT_TRUE(any_contains(c.trusted, "127.0.0.1"));
  EXPECT_TRUE(any_contains(c.trusted, "::1"));
  EXPECT_FALSE(any_contains(c.trusted, "192.0.2.1"));
  EXPECT_EQ(c.tos, 184);
  EXPECT_EQ(c.io_engine, ListenConfig::MediaIo::Auto);  // io_uring where the kernel allows it
}

TEST(MediaCommandLine, TakesRtpenginesFlagsInBothForms) {
  const auto c = parse({"--interface=pub/10.0.0.5!203.0.113.7", "--interface", "2001:db8::5",
                        "--listen-ng=192.0.2.1:22222", "--port-min", "20000", "--port-max=20999",
                        "--num-threads=4", "--timeout=30", "--max-packet-age=0", "--port-quarantine=0", "--silent-timeout=600", "--tos=0",
                        "--trusted-ng=10.0.0.0/8", "--trusted-ng", "192.0.2.1", "--foreground", "--log-level=7"});
  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[0].name, "pub");
  EXPECT_EQ(c.interfaces[0].address, "10.0.0.5");
  EXPECT_EQ(c.interfaces[0].advertised, "203.0.113.7");
  EXPECT_EQ(c.interfaces[1].address, "2001:db8::5");
  EXPECT_EQ(c.listen_ng, (Address{"192.0.2.1", 22222}));
  EXPECT_EQ(c.port_min, 20000);
  EXPECT_EQ(c.port_max, 20999);
  EXPECT_EQ(c.num_threads, 4u);
  EXPECT_EQ(c.timeout_s, 30u);
  EXPECT_EQ(c.max_packet_age_ms, 0u);
  EXPECT_EQ(c.port_quarantine_s, 0u);
  EXPECT_EQ(c.silent_timeout_s, 600u);
  EXPECT_EQ(c.tos, 0);
  EXPECT_TRUE(any_contains(c.trusted, "10.1.2.3"));
  EXPECT_TRUE(any_contains(c.trusted, "192.0.2.1"));
  EXPECT_FALSE(any_contains(c.trusted, "127.0.0.1"));  // a list given replaces the default
  EXPECT_EQ(c.log_level, LogLevel::Debug);
  EXPECT_EQ(parse({"--listen-ng=2224"}).listen_ng, (Address{"127.0.0.1", 2224}));  // a bare port: loopback
  EXPECT_EQ(parse({"--io-engine=epoll"}).io_engine, ListenConfig::MediaIo::Epoll);
  EXPECT_EQ(parse({"--io-engine", "io_uring"}).io_engine, ListenConfig::MediaIo::IoUring);
  EXPECT_EQ(parse({"--io-engine=auto"}).io_engine, ListenConfig::MediaIo::Auto);
}

TEST(MediaCommandLine, RefusesWhatItCannotObeyNamingTheFlag) {
  EXPECT_NE(refusal({"--interface=0.0.0.0"}).find("--interface"), std::string::npos);
  EXPECT_NE(refusal({"--interface=eth0"}).find("--interface"), std::string::npos);
  EXPECT_NE(refusal({"--interface=10.0.0.5!2001:db8::1"}).find("family"), std::string::npos);
  EXPECT_NE(refusal({"--interface=10.0.0.5", "--interface=10.0.0.6"}).find("one IPv4"), std::string::npos);
  EXPECT_NE(refusal({"--port-min=40000", "--port-max=30000"}).find("two port pairs"), std::string::npos);
  EXPECT_NE(refusal({"--port-min=100"}).find("from 1024 to 65534"), std::string::npos);
  EXPECT_NE(refusal({"--listen-ng=host:22"}).find("--listen-ng"), std::string::npos);
  EXPECT_NE(refusal({"--trusted-ng=10.0.0.0/33"}).find("--trusted-ng"), std::string::npos);
  EXPECT_NE(refusal({"--num-threads=0"}).find("--num-threads"), std::string::npos);
  EXPECT_NE(refusal({"--no-such-flag"}).find("unknown option"), std::string::npos);
  EXPECT_NE(refusal({"--foreground=yes"}).find("takes no value"), std::string::npos);
  EXPECT_NE(refusal({"--timeout"}).find("needs a value"), std::string::npos);
  EXPECT_NE(refusal({"--io-engine=uring"}).find("expected auto, io_uring or epoll"), std::string::npos);
}

}  // namespace
}  // namespace resproxy::native
