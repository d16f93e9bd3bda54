// The resproxy command line, the advertised-address choice, the SIP message log format and
// the daemon's trace sink.
#include "proxy/native/cli.h"

#include <gtest/gtest.h>

#include <array>
#include <sstream>
#include <string>
#include <vector>

#include "proxy/native/daemon_trace_sink.h"
#include "proxy/native/host_address.h"
#include "proxy/native/sip_message_log.h"

namespace resproxy::native {
namespace {

CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "resproxy");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CommandLine, NoArgumentsRunsOnDefaults) {
  const auto cli = parse({});
  EXPECT_EQ(cli.action, CommandLine::Action::Run);
  EXPECT_FALSE(cli.config_file);
  EXPECT_FALSE(cli.data_dir);
  EXPECT_FALSE(cli.listen);
  EXPECT_FALSE(cli.pidfile);
}

TEST(CommandLine, ParsesEveryOption) {
  const auto cli = parse({"--config", "/etc/resproxy.ini", "--data-dir=/tmp/d", "--listen",
                          "[::1]:0", "--pidfile", "/run/resproxy.pid", "--log-level", "debug",
                          "--seed", "42"});
  EXPECT_EQ(cli.action, CommandLine::Action::Run);
  EXPECT_EQ(cli.config_file, "/etc/resproxy.ini");
  EXPECT_EQ(cli.data_dir, "/tmp/d");
  EXPECT_EQ(cli.listen, (Address{"::1", 0}));
  EXPECT_EQ(cli.pidfile, "/run/resproxy.pid");
  EXPECT_EQ(cli.log_level, LogLevel::Debug);
  EXPECT_EQ(cli.seed, 42u);
  EXPECT_EQ(parse({"--print-config"}).action, CommandLine::Action::PrintConfig);
  EXPECT_EQ(parse({"--version"}).action, CommandLine::Action::Version);
  EXPECT_EQ(parse({"-h"}).action, CommandLine::Action::Help);
  const auto check = parse({"--check-config", "x.ini"});
  EXPECT_EQ(check.action, CommandLine::Action::CheckConfig);
  EXPECT_EQ(check.config_file, "x.ini");
}

TEST(CommandLine, RefusesBadArguments) {
  const std::vector<std::vector<const char*>> cases = {
      {"--bogus"},
      {"--config"},
      {"--listen", "127.0.0.1"},
      {"--listen", "::1:5060"},
      {"--listen", "127.0.0.1:65536"},
      {"--listen", "localhost:5060"},
      {"--log-level", "loud"},
      {"--seed", "-1"},
      {"--version=1"},
      {"--print-config", "--version"},
      {"--config", "a.ini", "--check-config", "b.ini"},
      {"--data-dir", ""},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args.front());
    EXPECT_THROW(parse(args), UsageError);
  }
}

TEST(ListenAddress, ParsesIpv4AndBracketedIpv6) {
  EXPECT_EQ(parse_listen_address("0.0.0.0:5060"), (Address{"0.0.0.0", 5060}));
  EXPECT_EQ(parse_listen_address("127.0.0.1:0"), (Address{"127.0.0.1", 0}));
  EXPECT_EQ(parse_listen_address("[::]:5060"), (Address{"::", 5060}));
  EXPECT_FALSE(parse_listen_address("[127.0.0.1]:5060"));
  EXPECT_FALSE(parse_listen_address("[::1]5060"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1:"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1:50x"));
}

TEST(AdvertisedAddress, PrefersConfiguredThenSpecificListenThenPrimary) {
  EXPECT_EQ(choose_advertised_address("203.0.113.1", "0.0.0.0"), "203.0.113.1");
  EXPECT_EQ(choose_advertised_address("", "192.0.2.7"), "192.0.2.7");
  const std::string primary = primary_outbound_ipv4();
  EXPECT_FALSE(primary.empty());
  EXPECT_NE(primary, "0.0.0.0");
  EXPECT_EQ(choose_advertised_address("", "0.0.0.0"), primary);
  EXPECT_EQ(choose_advertised_address("", "::"), primary);
}

TEST(SipMessageLog, DescribesDirectionTransportAndAddresses) {
  const Path udp{.transport = Transport::Udp,
                 .local = {"192.0.2.1", 5060},
                 .remote = {"192.0.2.10", 5062},
                 .stream = {}};
  EXPECT_EQ(describe_message(false, udp, 412),
            "UDP in 192.0.2.10:5062 -> 192.0.2.1:5060 (412 bytes)");
  EXPECT_EQ(describe_message(true, udp, 7), "UDP out 192.0.2.1:5060 -> 192.0.2.10:5062 (7 bytes)");
  const Path tcp{.transport = Transport::Tcp,
                 .local = {"::1", 5060},
                 .remote = {"::1", 40000},
                 .stream = {3}};
  EXPECT_EQ(describe_message(true, tcp, 1), "TCP out stream 3 [::1]:5060 -> [::1]:40000 (1 bytes)");
}

TEST(DaemonTraceSink, ClassifiesWarningWorthyEvents) {
  for (const auto* name : {"reg.store_failed", "txn.failed", "transport.framing_failed",
                           "transport.dropped_unparsable", "itsp.marked_inactive",
                           "media.relay_marked_down", "media.relay_forgot_call"}) {
    EXPECT_TRUE(DaemonTraceSink::is_warning(name)) << name;
  }
  for (const auto* name : {"txn.created", "route.forwarded", "reg.binding_saved",
                           "route.rejected", "probe.answered"}) {
    EXPECT_FALSE(DaemonTraceSink::is_warning(name)) << name;
  }
}

TEST(DaemonTraceSink, WantsOnlyTheEventsItWouldWrite) {
  Logger logger(LogLevel::Warn, stderr);
  DaemonTraceSink quiet(logger, nullptr, "resproxy");
  // Asked twice each: the second answer comes from the per-name cache.
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(quiet.wants("reg.store_failed"));
    EXPECT_TRUE(quiet.wants("itsp.marked_inactive"));
    EXPECT_FALSE(quiet.wants("txn.created"));
    EXPECT_FALSE(quiet.wants("reg.binding_saved"));
  }
  // The same name text at another address gets the same verdict.
  const std::string copy = "reg.store_failed";
  EXPECT_TRUE(quiet.wants(copy));
  logger.set_level(LogLevel::Debug);
  EXPECT_TRUE(quiet.wants("txn.created"));
  logger.set_level(LogLevel::Error);
  EXPECT_FALSE(quiet.wants("reg.store_failed"));
  logger.set_level(LogLevel::Warn);
  std::ostringstream json;
  DaemonTraceSink with_log(logger, &json, "resproxy");
  EXPECT_TRUE(with_log.wants("txn.created"));  // the trace log keeps everything
}

TEST(DaemonTraceSink, WritesJsonLinesAndRateLimitsWarnings) {
  std::FILE* log_file = std::tmpfile();
  ASSERT_NE(log_file, nullptr);
  Logger logger(LogLevel::Warn, log_file);
  std::ostringstream json;
  DaemonTraceSink sink(logger, &json, "resproxy");
  EXPECT_TRUE(sink.enabled());
  for (int i = 0; i < 25; ++i) sink.emit(TraceEvent{.t = {}, .name = "reg.store_failed", .fields = {}});
  sink.emit(TraceEvent{.t = {}, .name = "txn.created", .fields = {}});
  EXPECT_EQ(sink.events(), 26u);
  EXPECT_EQ(sink.warnings(), 25u);
  // Every event reaches the JSON log.
  std::size_t lines = 0;
  for (char c : json.str()) lines += c == '\n';
  EXPECT_EQ(lines, 26u);
  // At most kWarningsPerWindow warnings reach the human log.
  std::fflush(log_file);
  std::rewind(log_file);
  std::size_t logged = 0;
  for (int c; (c = std::fgetc(log_file)) != EOF;) logged += c == '\n';
  std::fclose(log_file);
  EXPECT_EQ(logged, static_cast<std::size_t>(DaemonTraceSink::kWarningsPerWindow));
}

TEST(DaemonTraceSink, IsDisabledWhenNothingWouldBeWritten) {
  Logger logger(LogLevel::Error);
  DaemonTraceSink sink(logger, nullptr, "resproxy");
  EXPECT_FALSE(sink.enabled());
}

}  // namespace
}  // namespace resproxy::native
