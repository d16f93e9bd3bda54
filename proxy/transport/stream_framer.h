#pragma once
// StreamFramer: cuts the byte stream of one TCP connection into SIP messages and RFC 5626
// keep-alives (RFC 3261 §18.3, §7.5; RFC 5626 §3.5.1). Sans-I/O: the connection's owner in the
// transport layer appends whatever bytes the runtime delivered (on_stream_data) and then calls
// next() until it returns nothing. The result does not depend on how the stream was split into
// appends: byte by byte, or many messages at once, give the same frames.
//
// Framing rules:
//   * A message is its header section, up to and including the first CRLFCRLF, followed by
//     exactly Content-Length body bytes. On a stream, Content-Length (compact form `l`) is
//     mandatory (RFC 3261 §18.3, §20.14); the framer does not otherwise parse the message.
//   * At a message boundary, each CRLF is a keep-alive (RFC 5626 §3.5.1): the first CRLF is a
//     Pong, a CRLF directly after it completes a double CRLF, a Ping. So "\r\n" is [Pong] and
//     "\r\n\r\n" is [Pong, Ping]. Why not hold the first CRLF back until we know whether a second
//     one follows: a real Pong is a lone CRLF followed by silence, and a client waiting for it
//     (RFC 5626 §4.4.1) must see it at once, not when the next message arrives; reporting each
//     CRLF as it completes is the only rule that is both immediate and independent of splitting.
//     The owner answers every Ping with one "\r\n" and treats a Pong as liveness evidence only
//     (a server that never pings ignores Pongs, which also covers RFC 3261 §7.5: CRLFs before a
//     start line are not part of any message).
//   * Anything else at a boundary starts a message (a bare CR or LF included: the SIP parser
//     rejects such a message; the stream stays in sync through its Content-Length).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resproxy::transport {

// Why a stream cannot be framed. Every error is fatal for the connection: once framing is lost
// no later byte can be trusted to start a message, and a response cannot be matched to a request
// that was never cut out. The owner must close the stream (CloseStream), count the error and
// emit a trace event; it must not send a SIP response on it.
enum class FramerError : std::uint8_t {
  None,
  MissingContentLength,      // header section complete, no Content-Length / l (§18.3)
  InvalidContentLength,      // not 1*DIGIT: negative, empty, non-numeric, trailing garbage
  ConflictingContentLength,  // Content-Length appears twice with different values
  MessageTooLarge,           // header section + body exceed max_message_size()
};
std::string_view to_string(FramerError error);

enum class FrameKind : std::uint8_t {
  Message,  // `bytes` holds exactly one whole message (start line, headers, body)
  Ping,     // a double CRLF: answer with a single "\r\n" (RFC 5626 §4.4.1)
  Pong,     // a single CRLF: a keep-alive answer; refreshes the flow, needs no reply
  Error,    // `error` says why; the framer is failed for good, close the stream
};
std::string_view to_string(FrameKind kind);

struct Frame {
  FrameKind kind = FrameKind::Message;
  std::string bytes;                    // Message only; from the wire: untrusted, unparsed
  FramerError error = FramerError::None;  // Error only

  friend bool operator==(const Frame&, const Frame&) = default;
};

class StreamFramer {
 public:
  static constexpr std::size_t kDefaultMaxMessageSize = 65536;

  // max_message_size bounds one message (header section + body) and therefore the memory the
  // framer holds for an incomplete message.
  explicit StreamFramer(std::size_t max_message_size = kDefaultMaxMessageSize);

  // Adds bytes received on the stream (from the wire: untrusted). Ignored once failed.
  void append(std::string_view bytes);

  // The next complete frame, or nothing until more bytes arrive. After an Error frame, which is
  // returned once, the framer is failed and returns nothing forever.
  [[nodiscard]] std::optional<Frame> next();

  // Bytes received but not yet returned in a frame (0 once failed).
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - head_; }
  [[nodiscard]] bool is_failed() const { return error_ != FramerError::None; }
  [[nodiscard]] FramerError error() const { return error_; }
  [[nodiscard]] std::size_t max_message_size() const { return max_message_size_; }

 private:
  std::optional<Frame> fail(FramerError error);
  void compact();

  std::size_t max_message_size_;
  std::string buffer_;
  std::size_t head_ = 0;  // first byte of buffer_ not yet returned in a frame
  // Inside a message (its first byte seen) rather than at a boundary.
  bool in_message_ = false;
  // At a boundary: the previous frame was a Pong, so one more CRLF makes a Ping.
  bool after_single_crlf_ = false;
  // Offset from head_ up to which the CRLFCRLF search has looked, so that a message arriving
  // byte by byte is scanned once, not once per byte.
  std::size_t scanned_ = 0;
  // Whole size of the current message, once its header section has been read.
  std::optional<std::size_t> message_size_;
  FramerError error_ = FramerError::None;
  bool error_reported_ = false;
};

}  // namespace resproxy::transport
