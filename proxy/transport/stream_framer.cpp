#include "proxy/transport/stream_framer.h"


#include "proxy/base/result.h"
#include "proxy/sip/text.h"

namespace resproxy::transport {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kCrlfCrlf = "\r\n\r\n";

constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// Linear white space inside a folded value still carries its CRLFs (RFC 3261 §7.3.1).
constexpr bool is_lws(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }

using sip::text::iequals;

// Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT (RFC 3261 §20.14, §25.1).
// from the wire: untrusted. Values beyond `cap` saturate to cap + 1: the caller only needs to
// know they are too large, and this keeps the arithmetic free of overflow.
Result<std::size_t, FramerError> parse_length_value(std::string_view value, std::size_t cap) {
  std::size_t i = 0;
  while (i < value.size() && is_lws(value[i])) ++i;
  const std::size_t digits_begin = i;
  std::size_t length = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
    if (length <= cap) length = length * 10 + static_cast<std::size_t>(value[i] - '0');
    ++i;
  }
  if (i == digits_begin) return unexpected(FramerError::InvalidContentLength);
  while (i < value.size() && is_lws(value[i])) ++i;
  if (i != value.size()) return unexpected(FramerError::InvalidContentLength);
  return length > cap ? cap + 1 : length;
}

// Finds Content-Length in a complete header section (start line, header fields, final CRLF
// CRLF). Folded lines (a line starting with SP or HT continues the previous field) are joined.
Result<std::size_t, FramerError> find_content_length(std::string_view header, std::size_t cap) {
  // The start line cannot hold a header field (a Request-URI has colons: skip it).
  std::size_t pos = header.find(kCrlf);
  if (pos == std::string_view::npos) return unexpected(FramerError::MissingContentLength);
  pos += kCrlf.size();

  std::optional<std::size_t> found;
  while (pos < header.size()) {
    // One logical field: physical lines until one not followed by SP/HT.
    std::size_t end = header.find(kCrlf, pos);
    if (end == std::string_view::npos) end = header.size();  // cannot happen: ends in CRLFCRLF
    while (end + 2 < header.size() && is_wsp(header[end + 2])) {
      const std::size_t more = header.find(kCrlf, end + 2);
      end = (more == std::string_view::npos) ? header.size() : more;
    }
    const std::string_view field = header.substr(pos, end - pos);
    pos = end + kCrlf.size();
    if (field.empty()) break;  // the empty line that ends the header section

    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // malformed: the parser's business
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    if (!iequals(name, "content-length") && !iequals(name, "l")) continue;

    auto length = parse_length_value(field.substr(colon + 1), cap);
    if (!length) return length;
    if (found && *found != *length) return unexpected(FramerError::ConflictingContentLength);
    found = *length;
  }
  if (!found) return unexpected(FramerError::MissingContentLength);
  return *found;
}

}  // namespace

std::string_view to_string(FramerError error) {
  switch (error) {
    case FramerError::None: return "none";
    case FramerError::MissingContentLength: return "missing_content_length";
    case FramerError::InvalidContentLength: return "invalid_content_length";
    case FramerError::ConflictingContentLength: return "conflicting_content_length";
    case FramerError::MessageTooLarge: return "message_too_large";
  }
  return "unknown";
}

std::string_view to_string(FrameKind kind) {
  switch (kind) {
    case FrameKind::Message: return "message";
    case FrameKind::Ping: return "ping";
    case FrameKind::Pong: return "pong";
    case FrameKind::Error: return "error";
  }
  return "unknown";
}

StreamFramer::StreamFramer(std::size_t max_message_size) : max_message_size_(max_message_size) {}

void StreamFramer::append(std::string_view bytes) {
  if (is_failed()) return;
  compact();
  buffer_.append(bytes);
}

void StreamFramer::compact() {
  // Drop returned bytes once they are at least as many as the ones kept: each byte is moved
  // O(1) times on average, whatever the split of the input.
  if (head_ == 0) return;
  if (head_ == buffer_.size()) {
    buffer_.clear();
    head_ = 0;
  } else if (head_ >= buffer_.size() - head_) {
    buffer_.erase(0, head_);
    head_ = 0;
  }
}

std::optional<Frame> StreamFramer::fail(FramerError error) {
  error_ = error;
  buffer_.clear();
  buffer_.shrink_to_fit();
  head_ = 0;
  return next();
}

std::optional<Frame> StreamFramer::next() {
  if (is_failed()) {
    if (error_reported_) return std::nullopt;
    error_reported_ = true;
    return Frame{.kind = FrameKind::Error, .bytes = {}, .error = error_};
  }
  const std::string_view pending = std::string_view(buffer_).substr(head_);
  if (pending.empty()) return std::nullopt;

  if (!in_message_) {
    // RFC 5626 §3.5.1 keep-alives and RFC 3261 §7.5 CRLFs before a start line.
    if (pending[0] == '\r') {
      if (pending.size() < 2) return std::nullopt;  // CR alone: wait for what follows it
      if (pending[1] == '\n') {
        head_ += kCrlf.size();
        const bool ping = after_single_crlf_;
        after_single_crlf_ = !ping;
        return Frame{.kind = ping ? FrameKind::Ping : FrameKind::Pong, .bytes = {}, .error = {}};
      }
    }
    in_message_ = true;
    after_single_crlf_ = false;
    scanned_ = 0;
    message_size_.reset();
  }

  if (!message_size_) {
    // Resume where the last search stopped, backing up in case CRLFCRLF straddles appends.
    const std::size_t from = scanned_ >= kCrlfCrlf.size() - 1 ? scanned_ - (kCrlfCrlf.size() - 1) : 0;
    const std::size_t end = pending.find(kCrlfCrlf, from);
    if (end == std::string_view::npos) {
      scanned_ = pending.size();
      if (pending.size() > max_message_size_) return fail(FramerError::MessageTooLarge);
      return std::nullopt;
    }
    const std::size_t header_size = end + kCrlfCrlf.size();
    if (header_size > max_message_size_) return fail(FramerError::MessageTooLarge);
    const auto body_size = find_content_length(pending.substr(0, header_size), max_message_size_);
    if (!body_size) return fail(body_size.error());
    if (*body_size > max_message_size_ - header_size) return fail(FramerError::MessageTooLarge);
    message_size_ = header_size + *body_size;
  }

  if (pending.size() < *message_size_) return std::nullopt;
  Frame frame{.kind = FrameKind::Message, .bytes = std::string(pending.substr(0, *message_size_)),
              .error = {}};
  head_ += *message_size_;
  in_message_ = false;
  message_size_.reset();
  scanned_ = 0;
  if (head_ == buffer_.size()) compact();
  return frame;
}

}  // namespace resproxy::transport
