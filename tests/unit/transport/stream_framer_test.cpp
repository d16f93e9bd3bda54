#include "proxy/transport/stream_framer.h"

#include <gtest/gtest.h>

#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::transport {

// gtest finds it by argument-dependent lookup: it must live in Frame's namespace.
void PrintTo(const Frame& f, std::ostream* os);
void PrintTo(const Frame& f, std::ostream* os) {
  *os << to_string(f.kind);
  if (f.kind == FrameKind::Message) *os << "[" << f.bytes.size() << "]";
  if (f.kind == FrameKind::Error) *os << "(" << to_string(f.error) << ")";
}

namespace {

// Feeds `chunks` one append at a time, draining next() after each, like a connection owner.
std::vector<Frame> frames_of(const std::vector<std::string_view>& chunks,
                             std::size_t max_size = StreamFramer::kDefaultMaxMessageSize) {
  StreamFramer framer(max_size);
  std::vector<Frame> out;
  for (const auto chunk : chunks) {
    framer.append(chunk);
    while (auto frame = framer.next()) out.push_back(std::move(*frame));
  }
  return out;
}

std::vector<Frame> frames_of(std::string_view whole,
                             std::size_t max_size = StreamFramer::kDefaultMaxMessageSize) {
  return frames_of(std::vector<std::string_view>{whole}, max_size);
}

std::vector<Frame> frames_byte_by_byte(std::string_view whole,
                                       std::size_t max_size = StreamFramer::kDefaultMaxMessageSize) {
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < whole.size(); ++i) chunks.push_back(whole.substr(i, 1));
  return frames_of(chunks, max_size);
}

Frame message(std::string_view bytes) {
  return Frame{.kind = FrameKind::Message, .bytes = std::string(bytes), .error = {}};
}
Frame ping() { return Frame{.kind = FrameKind::Ping, .bytes = {}, .error = {}}; }
Frame pong() { return Frame{.kind = FrameKind::Pong, .bytes = {}, .error = {}}; }
Frame error(FramerError e) { return Frame{.kind = FrameKind::Error, .bytes = {}, .error = e}; }

constexpr std::string_view kOptions =
    "OPTIONS sip:proxy.example SIP/2.0\r\n"
    "Via: SIP/2.0/TCP pc.example:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "Call-ID: a1\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

constexpr std::string_view kMessageWithBody =
    "MESSAGE sip:bob@b.example SIP/2.0\r\n"
    "Via: SIP/2.0/TCP pc.example;branch=z9hG4bK2\r\n"
    "Call-ID: a2\r\n"
    "l: 12\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n\r\nbob";  // the body contains CRLFCRLF: only Content-Length may end it

std::string with_content_length_line(std::string_view line, std::string_view body) {
  std::string out = "INVITE sip:bob@b.example SIP/2.0\r\nCall-ID: x\r\n";
  out += line;
  out += "\r\nCSeq: 1 INVITE\r\n\r\n";
  out += body;
  return out;
}

TEST(StreamFramer, CutsOneMessageWithoutBody) {
  EXPECT_EQ(frames_of(kOptions), std::vector<Frame>{message(kOptions)});
}

TEST(StreamFramer, BodyMayContainDoubleCrlf) {
  EXPECT_EQ(frames_of(kMessageWithBody), std::vector<Frame>{message(kMessageWithBody)});
}

TEST(StreamFramer, FindsContentLengthInEverySpelling) {
  struct Case {
    std::string_view name, line;
  };
  const auto cases = std::to_array<Case>({
      {.name = "canonical", .line = "Content-Length: 4"},
      {.name = "compact", .line = "l: 4"},
      {.name = "compact upper case", .line = "L:4"},
      {.name = "upper case", .line = "CONTENT-LENGTH: 4"},
      {.name = "mixed case", .line = "content-LENGTH:4"},
      {.name = "space before colon", .line = "Content-Length  : 4"},
      {.name = "tab before colon", .line = "Content-Length\t:\t4"},
      {.name = "trailing space", .line = "Content-Length: 4   "},
      {.name = "leading zeros", .line = "Content-Length: 0004"},
      {.name = "folded value", .line = "Content-Length:\r\n 4"},
      {.name = "folded twice", .line = "Content-Length:\r\n\t\r\n  4"},
      {.name = "same value twice", .line = "Content-Length: 4\r\nl: 4"},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text = with_content_length_line(c.line, "body");
    EXPECT_EQ(frames_of(text), std::vector<Frame>{message(text)});
  }
}

TEST(StreamFramer, RejectsUnusableContentLength) {
  struct Case {
    std::string_view name, line;
    FramerError want;
  };
  const auto cases = std::to_array<Case>({
      {.name = "missing", .line = "Subject: l: 4", .want = FramerError::MissingContentLength},
      {.name = "lookalike name", .line = "X-Content-Length: 4",
       .want = FramerError::MissingContentLength},
      {.name = "negative", .line = "Content-Length: -4", .want = FramerError::InvalidContentLength},
      {.name = "plus sign", .line = "Content-Length: +4", .want = FramerError::InvalidContentLength},
      {.name = "non-numeric", .line = "Content-Length: four",
       .want = FramerError::InvalidContentLength},
      {.name = "hex", .line = "Content-Length: 0x4", .want = FramerError::InvalidContentLength},
      {.name = "empty", .line = "Content-Length:", .want = FramerError::InvalidContentLength},
      {.name = "two numbers", .line = "Content-Length: 4 4",
       .want = FramerError::InvalidContentLength},
      {.name = "trailing garbage", .line = "l: 4;x", .want = FramerError::InvalidContentLength},
      {.name = "duplicate different", .line = "Content-Length: 4\r\nl: 5",
       .want = FramerError::ConflictingContentLength},
      {.name = "beyond the maximum", .line = "Content-Length: 65537",
       .want = FramerError::MessageTooLarge},
      {.name = "absurdly long", .line = "Content-Length: 99999999999999999999999999999999",
       .want = FramerError::MessageTooLarge},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text = with_content_length_line(c.line, "body");
    EXPECT_EQ(frames_of(text), std::vector<Frame>{error(c.want)});
    EXPECT_EQ(frames_byte_by_byte(text), std::vector<Frame>{error(c.want)});
  }
}

TEST(StreamFramer, StartLineIsNotAHeaderField) {
  // "l:5" inside the Request-URI must not count as Content-Length.
  const std::string text = "INVITE sip:l:5@b.example SIP/2.0\r\nCall-ID: y\r\n\r\n";
  EXPECT_EQ(frames_of(text), std::vector<Frame>{error(FramerError::MissingContentLength)});
}

TEST(StreamFramer, SplitAtEveryPositionGivesTheSameFrames) {
  std::string stream;
  stream += kOptions;
  stream += "\r\n\r\n";  // a ping between messages
  stream += kMessageWithBody;
  stream += "\r\n";  // a pong
  stream += kOptions;
  const std::vector<Frame> want = {message(kOptions), pong(), ping(), message(kMessageWithBody),
                                   pong(), message(kOptions)};
  ASSERT_EQ(frames_of(stream), want);
  EXPECT_EQ(frames_byte_by_byte(stream), want);
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    SCOPED_TRACE(i);
    const std::string_view s = stream;
    ASSERT_EQ(frames_of({s.substr(0, i), s.substr(i)}), want);
  }
  // Three pieces, with the second cut walking through the body of the second message.
  for (std::size_t j = kOptions.size(); j <= stream.size(); ++j) {
    SCOPED_TRACE(j);
    const std::string_view s = stream;
    const std::size_t i = kOptions.size() / 2;
    ASSERT_EQ(frames_of({s.substr(0, i), s.substr(i, j - i), s.substr(j)}), want);
  }
}

TEST(StreamFramer, SeveralMessagesInOneAppend) {
  std::string stream;
  for (int i = 0; i < 50; ++i) stream += (i % 2 == 0) ? kOptions : kMessageWithBody;
  const auto frames = frames_of(stream);
  ASSERT_EQ(frames.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(frames[i], message((i % 2 == 0) ? kOptions : kMessageWithBody)) << i;
  }
}

TEST(StreamFramer, LargeMessageDrippedByteByByte) {
  // A 60 kB header section and body, one byte per append: completes, and nothing is lost.
  std::string text = "NOTIFY sip:a@b SIP/2.0\r\n";
  for (int i = 0; i < 1000; ++i) text += "X-Padding: 0123456789012345678901234567890123456789\r\n";
  const std::string body(4000, 'b');
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_LT(text.size(), StreamFramer::kDefaultMaxMessageSize);
  EXPECT_EQ(frames_byte_by_byte(text), std::vector<Frame>{message(text)});
}

TEST(StreamFramer, KeepAlivesAtMessageBoundaries) {
  struct Case {
    std::string_view name, stream;
    std::vector<Frame> want;
  };
  const std::vector<Case> cases = {
      {.name = "pong", .stream = "\r\n", .want = {pong()}},
      {.name = "ping", .stream = "\r\n\r\n", .want = {pong(), ping()}},
      {.name = "two pings", .stream = "\r\n\r\n\r\n\r\n", .want = {pong(), ping(), pong(), ping()}},
      {.name = "lone CR waits", .stream = "\r", .want = {}},
      {.name = "pong then CR waits", .stream = "\r\n\r", .want = {pong()}},
      {.name = "stray CRLF before a start line",
       .stream = "\r\nOPTIONS sip:proxy.example SIP/2.0\r\nl: 0\r\n\r\n",
       .want = {pong(), message("OPTIONS sip:proxy.example SIP/2.0\r\nl: 0\r\n\r\n")}},
      {.name = "ping after a message",
       .stream = "OPTIONS sip:p SIP/2.0\r\nl: 0\r\n\r\n\r\n\r\n",
       .want = {message("OPTIONS sip:p SIP/2.0\r\nl: 0\r\n\r\n"), pong(), ping()}},
      {.name = "CRLF inside a message is not a keep-alive",
       .stream = "OPTIONS sip:p SIP/2.0\r\nl: 2\r\n\r\n\r\n",
       .want = {message("OPTIONS sip:p SIP/2.0\r\nl: 2\r\n\r\n\r\n")}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(frames_of(c.stream), c.want);
    EXPECT_EQ(frames_byte_by_byte(c.stream), c.want);
  }
}

TEST(StreamFramer, HeaderSectionThatNeverEndsIsTooLarge) {
  StreamFramer framer(1024);
  const std::string line = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  framer.append("INVITE sip:b SIP/2.0\r\n");
  std::optional<Frame> frame;
  for (int i = 0; i < 100 && !frame; ++i) {
    framer.append(line);
    frame = framer.next();
  }
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, error(FramerError::MessageTooLarge));
  EXPECT_EQ(framer.buffered(), 0u);  // the memory is released at once
}

TEST(StreamFramer, MaximumSizeIsInclusive) {
  const std::string text = with_content_length_line("Content-Length: 4", "body");
  EXPECT_EQ(frames_of(text, text.size()), std::vector<Frame>{message(text)});
  EXPECT_EQ(frames_of(text, text.size() - 1),
            std::vector<Frame>{error(FramerError::MessageTooLarge)});
}

TEST(StreamFramer, StaysFailedAfterAnError) {
  StreamFramer framer;
  framer.append(with_content_length_line("Content-Length: x", ""));
  framer.append(kOptions);
  const auto first = framer.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, error(FramerError::InvalidContentLength));
  EXPECT_TRUE(framer.is_failed());
  EXPECT_EQ(framer.error(), FramerError::InvalidContentLength);
  EXPECT_FALSE(framer.next().has_value());  // the Error is reported once
  framer.append(kOptions);                  // and later bytes are not framed
  EXPECT_FALSE(framer.next().has_value());
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramer, BufferedCountsBytesNotYetFramed) {
  StreamFramer framer;
  EXPECT_EQ(framer.buffered(), 0u);
  const std::string_view head = kMessageWithBody.substr(0, 40);
  framer.append(head);
  EXPECT_FALSE(framer.next().has_value());
  EXPECT_EQ(framer.buffered(), head.size());
  framer.append(kMessageWithBody.substr(40));
  framer.append("\r\n\r");
  ASSERT_EQ(framer.next(), message(kMessageWithBody));
  ASSERT_EQ(framer.next(), pong());
  EXPECT_FALSE(framer.next().has_value());
  EXPECT_EQ(framer.buffered(), 1u);  // the CR of a possible ping
}

TEST(StreamFramer, NamesItsErrors) {
  EXPECT_EQ(to_string(FramerError::MissingContentLength), "missing_content_length");
  EXPECT_EQ(to_string(FramerError::MessageTooLarge), "message_too_large");
  EXPECT_EQ(to_string(FrameKind::Ping), "ping");
}

}  // namespace
}  // namespace resproxy::transport
