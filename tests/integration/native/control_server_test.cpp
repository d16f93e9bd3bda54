// The control socket (control_server.h) in front of the real core: a ProxyNode on NativeRuntime
// with an SQLite store in a temporary data directory, a phone registering over real UDP on
// loopback, and clients on the Unix socket, all on one io_context in this thread (as in the
// daemon). The commands: `show reg`, `kill reg N` (also gone from the database), errors,
// `pstn ...`, pipelining, `show counters`; the reply encoding and the --control option.
// The connection limits and the socket file are in control_socket_test.cpp.
#include "tests/integration/native/control_server_fixture.h"

#include <gtest/gtest.h>

#include <cctype>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/native/cli.h"
#include "proxy/native/config.h"
#include "proxy/native/control_server.h"

namespace resproxy::native {
namespace {

using test_support::contains;
using test_support::ControlServerTest;
using test_support::CtlClient;
using test_support::Phone;
using test_support::stored_bindings;
using testing::run_until;

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
