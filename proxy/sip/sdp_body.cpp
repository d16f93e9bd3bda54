// Where a message's SDP is in its body (sdp_body.h).
#include "proxy/sip/sdp_body.h"

#include <algorithm>

#include "proxy/sip/text.h"

namespace resproxy::sip {

namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1: 1 to 70 characters
constexpr int kMaxDepth = 2;              // the top level and one multipart part inside it

bool is_multipart(std::string_view type) {
  return type.size() > 10 && text::iequals(type.substr(0, 10), "multipart/");
}

// The header block of a part (up to its empty line) and where its content starts; nullopt when
// the block never ends. A part with no headers starts with the empty line (RFC 2046 §5.1.1).
struct PartHeaders {
  std::string_view headers;
  std::size_t content = 0;  // offset of the content in the part
};

std::optional<PartHeaders> part_headers(std::string_view part) {
  if (part.starts_with("\r\n")) return PartHeaders{{}, 2};
  const std::size_t end = part.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  return PartHeaders{part.substr(0, end + 2), end + 4};
}

// The Content-Type value among a part's headers ("" when absent: RFC 2046 §5.1 makes such a
// part text/plain). Header names are case-insensitive; continuation lines are not unfolded,
// which only costs a type we then do not recognise.
std::string_view part_content_type(std::string_view headers) {
  while (!headers.empty()) {
    const std::size_t eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (text::iequals(text::trim(line.substr(0, colon)), "content-type")) return text::trim(line.substr(colon + 1));
  }
  return {};
}

std::optional<SdpPlace> find_in(std::string_view content_type, std::string_view body, std::size_t base,
                                int depth);

// The parts of a multipart body between its delimiters, searched for SDP in order.
std::optional<SdpPlace> find_in_parts(std::string_view content_type, std::string_view body,
                                      std::size_t base, int depth) {
  const auto boundary = content_type_parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) return std::nullopt;
  const std::string delimiter = "--" + std::string(*boundary);
  // The first delimiter starts the body or a line (after an optional preamble).
  std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) return std::nullopt;
  if (at != 0) at += 2;
  while (true) {
    std::size_t line_end = at + delimiter.size();
    if (body.substr(line_end).starts_with("--")) return std::nullopt;  // the close: no SDP part
    line_end = body.find("\r\n", line_end);  // transport padding may follow the delimiter
    if (line_end == std::string_view::npos) return std::nullopt;
    const std::size_t start = line_end + 2;
    const std::size_t next = body.find("\r\n" + delimiter, start > 0 ? start - 2 : 0);
    if (next == std::string_view::npos || next < start - 2) return std::nullopt;  // never closed
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const std::size_t end = std::max(next, start);
    const std::string_view part = body.substr(start, end - start);
    if (const auto headers = part_headers(part)) {
      const std::string_view content = part.substr(std::min(headers->content, part.size()));
      if (auto found = find_in(part_content_type(headers->headers), content,
                               base + start + std::min(headers->content, part.size()), depth + 1)) {
        found->in_multipart = true;
        return found;
      }
    }
    at = next + 2;
  }
}

std::optional<SdpPlace> find_in(std::string_view content_type, std::string_view body, std::size_t base,
                                int depth) {
  const std::string_view type = media_type_of(content_type);
  if (text::iequals(type, "application/sdp")) {
    if (body.empty()) return std::nullopt;
    return SdpPlace{.offset = base, .size = body.size(), .in_multipart = false};
  }
  if (is_multipart(type) && depth < kMaxDepth) return find_in_parts(content_type, body, base, depth);
  return std::nullopt;
}

}  // namespace

std::string_view media_type_of(std::string_view content_type) {
  return text::trim(content_type.substr(0, content_type.find(';')));
}

std::optional<std::string_view> content_type_parameter(std::string_view content_type,
                                                       std::string_view name) {
  std::size_t at = content_type.find(';');
  while (at != std::string_view::npos && at < content_type.size()) {
    std::string_view rest = content_type.substr(at + 1);
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = text::trim(rest.substr(0, eq));
    rest = rest.substr(eq + 1);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));  // still a suffix
    std::string_view value;
    std::size_t consumed = 0;  // of `rest`, up to and not including the next ';'
    if (rest.starts_with('"')) {
      const std::size_t close = rest.find('"', 1);  // boundaries hold no quote or backslash
      if (close == std::string_view::npos) return std::nullopt;
      value = rest.substr(1, close - 1);
      consumed = close + 1;
    } else {
      consumed = std::min(rest.find(';'), rest.size());
      value = text::trim(rest.substr(0, consumed));
    }
    if (text::iequals(key, name)) return value;
    const std::size_t next = rest.find(';', consumed);
    if (next == std::string_view::npos) return std::nullopt;
    at = content_type.size() - rest.size() + next;
  }
  return std::nullopt;
}

std::optional<SdpPlace> find_sdp(std::string_view content_type, std::string_view body) {
  return find_in(content_type, body, 0, 0);
}

std::string replace_sdp(std::string_view body, const SdpPlace& place, std::string_view sdp) {
  if (place.offset > body.size() || place.size > body.size() - place.offset) return std::string(sdp);
  std::string out;
  out.reserve(body.size() - place.size + sdp.size());
  out.append(body.substr(0, place.offset));
  out.append(sdp);
  out.append(body.substr(place.offset + place.size));
  return out;
}

}  // namespace resproxy::sip
