// Message::replace_top_via: rewriting the top via-parm in place gives exactly the message that
// parsing the rewritten bytes gives (the torture corpus, hand-made edge cases), and a refused
// rewrite changes nothing.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"
#include "tests/unit/sip/same_message.h"

namespace resproxy::sip {
namespace {

namespace fs = std::filesystem;
using testing::expect_same_message;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The top via-parm as the parser delimits it.
std::string_view top_via_parm(const Message& m) {
  std::string_view rest = m.first(HeaderId::Via)->value;
  return next_value(rest).value_or(std::string_view{});
}

// Replacements of every kind: longer, shorter, equal length, folded, long enough to make the
// buffer move, and the one the server transport writes (received and rport stamped).
std::vector<std::string> replacements(const Message& m) {
  const std::string top(top_via_parm(m));
  const std::string short_head = "SIP/2.0/UDP h;x=";
  const std::size_t pad = top.size() > short_head.size() ? top.size() - short_head.size() : 1;
  const std::string same_length = short_head + std::string(pad, 'z');
  return {
      top + ";received=203.0.113.9",
      top + ";rport=40000;received=2001:db8::77",
      "SIP/2.0/UDP h",
      "SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKshort",
      same_length,
      top,
      "SIP/2.0/UDP\r\n host.example;branch=z9hG4bKfold\r\n\t;received=192.0.2.1",
      "SIP/2.0/UDP big.example;branch=z9hG4bK" + std::string(4000, 'a') + ";received=10.1.1.1",
  };
}

// Applies `via_parm` in place and compares with a parse of the spliced bytes.
void check_replacement(const Message& original, const std::string& via_parm) {
  SCOPED_TRACE("via-parm: " + via_parm.substr(0, 120));
  const std::string_view old_bytes = original.bytes();
  const std::string_view top = top_via_parm(original);
  const auto at = static_cast<std::size_t>(top.data() - old_bytes.data());
  std::string want_bytes(old_bytes.substr(0, at));
  want_bytes += via_parm;
  want_bytes += old_bytes.substr(at + top.size());

  Message edited = original;
  ASSERT_TRUE(edited.replace_top_via(via_parm));
  EXPECT_EQ(edited.bytes(), want_bytes);
  auto reparsed = Message::parse(want_bytes);
  ASSERT_TRUE(reparsed.has_value()) << to_string(reparsed.error());
  expect_same_message(edited, *reparsed);

  // Copies and moves of an edited message keep every view valid.
  Message copy = edited;
  expect_same_message(copy, *reparsed);
  Message moved = std::move(copy);
  expect_same_message(moved, *reparsed);

  // Edits compose: a second one is checked the same way.
  ASSERT_TRUE(edited.replace_top_via("SIP/2.0/UDP again.example;branch=z9hG4bK2;rport=1"));
  auto again = Message::parse(std::string(edited.bytes()));
  ASSERT_TRUE(again.has_value());
  expect_same_message(edited, *again);
}

TEST(ReplaceTopVia, MatchesAReparseForTheTortureCorpus) {
  const fs::path corpus = fs::path(RESPROXY_TEST_DATA_DIR) / "sip-torture";
  std::size_t checked = 0;
  for (const char* dir : {"rfc4475", "rfc5118"}) {
    for (const auto& entry : fs::directory_iterator(corpus / dir)) {
      if (entry.path().extension() != ".sip") continue;
      SCOPED_TRACE(entry.path().filename().string());
      for (const Framing framing : {Framing::Datagram, Framing::Stream}) {
        auto parsed = Message::parse(read_file(entry.path()), framing);
        if (!parsed) continue;  // refused by the parser: nothing to edit
        for (const auto& via_parm : replacements(*parsed)) check_replacement(*parsed, via_parm);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 30u);  // most of the corpus parses
}

TEST(ReplaceTopVia, MatchesAReparseForHandMadeMessages) {
  const std::string messages[] = {
      // several values in the top field, spaces around the comma
      "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1 ,  "
      "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\nVia: SIP/2.0/TCP 10.0.0.3;branch=z9hG4bK3\r\n"
      "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
      // compact name, leading whitespace and CRLFs before the start line, a body, trailing bytes
      "\r\n\r\nINVITE sip:a@192.0.2.1 SIP/2.0\r\nv:   SIP/2.0/UDP 10.0.0.1:5060;rport;"
      "branch=z9hG4bK1\r\nf: <sip:b@x>;tag=9\r\nt: <sip:a@x>\r\ni: c2\r\nCSeq: 2 INVITE\r\n"
      "m: <sip:b@10.0.0.1>\r\nl: 4\r\n\r\nv=0\r\nignored past Content-Length",
      // folded top Via
      "REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP\r\n 10.0.0.1:5062\r\n ;branch=z9hG4bK7\r\n"
      "From: <sip:u@x>;tag=1\r\nTo: <sip:u@x>\r\nCall-ID: c3\r\nCSeq: 3 REGISTER\r\n"
      "Contact: <sip:u@10.0.0.1:5062>\r\nContent-Length: 0\r\n\r\n",
      // a response: the Via is not the first header, and there are several
      "SIP/2.0 200 OK\r\nFrom: <sip:b@x>;tag=1\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;"
      "received=1.2.3.4\r\nVia: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\nTo: <sip:a@x>;tag=2\r\n"
      "Call-ID: c4\r\nCSeq: 4 BYE\r\nContent-Length: 0\r\n\r\n",
      // a response without a reason phrase (empty views at the end of the start line)
      "SIP/2.0 180\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\n"
      "To: <sip:a@x>\r\nCall-ID: c5\r\nCSeq: 5 INVITE\r\n\r\n",
  };
  for (const auto& bytes : messages) {
    SCOPED_TRACE(bytes.substr(0, 60));
    auto parsed = Message::parse(bytes);
    ASSERT_TRUE(parsed.has_value()) << to_string(parsed.error());
    for (const auto& via_parm : replacements(*parsed)) check_replacement(*parsed, via_parm);
  }
}

TEST(ReplaceTopVia, RefusesAnythingButOneViaParmAndChangesNothing) {
  const std::string bytes =
      "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1, "
      "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\n"
      "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  auto parsed = Message::parse(bytes);
  ASSERT_TRUE(parsed.has_value());
  const std::string refused[] = {
      "",
      " SIP/2.0/UDP h",
      "SIP/2.0/UDP h ",
      "SIP/2.0/UDP h\r\n",
      "SIP/2.0/UDP h, SIP/2.0/UDP g",
      "SIP/2.0/UDP h\r\nX-Injected: 1",
      "SIP/2.0/UDP h;a=1\n b=2",
      "SIP/2.0/UDP h;a=1\r b=2",
      "SIP/2.0/UDP h\r\n",
      "garbage",
      "SIP/2.0/UDP h:99999",
      "SIP/2.0/UDP h;branch=\"unterminated",
      "SIP/2.0/UDP",
  };
  for (const auto& via_parm : refused) {
    SCOPED_TRACE(via_parm);
    Message m = *parsed;
    EXPECT_FALSE(m.replace_top_via(via_parm));
    expect_same_message(m, *parsed);
    EXPECT_EQ(m.bytes(), bytes);
  }
}

TEST(ReplaceTopVia, RefusesToOutgrowTheSizeLimit) {
  std::string bytes =
      "OPTIONS sip:a@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
      "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\nX-Pad: ";
  bytes += std::string(kMaxMessageSize - bytes.size() - 4 - 10, 'p');
  bytes += "\r\n\r\n";
  auto parsed = Message::parse(bytes);
  ASSERT_TRUE(parsed.has_value()) << to_string(parsed.error());
  Message m = *parsed;
  EXPECT_TRUE(m.replace_top_via("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;x=1"));  // +4: fits
  EXPECT_FALSE(m.replace_top_via("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1;received=10.9.9.9"));
  EXPECT_EQ(m.bytes().size(), kMaxMessageSize - 6);
}

}  // namespace
}  // namespace resproxy::sip
