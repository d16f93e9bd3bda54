#pragma once
// Where a message's SDP is in its body. A body is SDP when its Content-Type is application/sdp
// (RFC 3261 §20.15), or when it is multipart (RFC 2046 §5.1; RFC 5621 for SIP) and one of its
// parts is application/sdp — a PSTN gateway or carrier speaking SIP-I/SIP-T (ITU-T Q.1912.5,
// RFC 3204) sends the SDP beside an encapsulated ISUP message in multipart/mixed. The relay
// rewrites only the SDP part and leaves every other byte of the body, boundaries and the other
// parts, as it came.
//
// One level of multipart is read: the first part whose type is application/sdp, at the top level
// or one multipart part deep (multipart/alternative inside multipart/mixed). A body that is not
// well formed multipart — no boundary, no closing delimiter — has no SDP for us: it is forwarded
// untouched, as any body we do not understand. Input is untrusted: every search is bounded by the
// body and linear in its size.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace resproxy::sip {

struct SdpPlace {
  std::size_t offset = 0;  // of the SDP's first byte in the body
  std::size_t size = 0;
  bool in_multipart = false;  // a part of a multipart body (else: the whole body)
  friend bool operator==(const SdpPlace&, const SdpPlace&) = default;
};

// `content_type`: the Content-Type header's value (empty when there is none). nullopt: the body
// holds no SDP we can find.
[[nodiscard]] std::optional<SdpPlace> find_sdp(std::string_view content_type, std::string_view body);

// `body` with the SDP at `place` replaced by `sdp` (the whole body when it was all SDP).
[[nodiscard]] std::string replace_sdp(std::string_view body, const SdpPlace& place, std::string_view sdp);

// The media type of a Content-Type value, without parameters and surrounding blanks:
// "Application/SDP ; x=y" → "Application/SDP".
[[nodiscard]] std::string_view media_type_of(std::string_view content_type);

// A parameter of a Content-Type value, unquoted ("boundary" of `multipart/mixed;
// boundary="a b"` → `a b`); nullopt when absent or malformed.
[[nodiscard]] std::optional<std::string_view> content_type_parameter(std::string_view content_type,
                                                                     std::string_view name);

}  // namespace resproxy::sip
