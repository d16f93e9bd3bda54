#pragma once
// SDP (RFC 4566) as far as a user agent needs it for RFC 3264 offer/answer of audio: a small
// model — origin, session name, connection, times, attributes, media descriptions (media, port,
// proto, formats, connection, attributes) and the other lines kept as text — that parses and
// serialises, plus a builder for a one-stream audio description and a reader of its address,
// port and codecs (rtpmap/fmtp, RFC 3551 static payload types).
//
// The parser follows RFC 4566 §5 strictly: lines "<letter>=<value>" ending in CRLF (a bare LF is
// accepted, §5; a missing final line end too), in the order of §5, v=0 first, then o=, s=, at
// least one t=, and a c= for every media description (at session level or its own). A line type
// it does not know makes it refuse the whole description (§5). Values are checked against the
// grammar of §9 for what it interprets (o=, c=, t=, m=, a= names, a=rtpmap); i= u= e= p= b= r=
// z= k= are kept byte-exact without further checks. At most one c= per level (RFC 4566 allows
// several in a media description for layered multicast; not for us). Serialising writes CRLF
// line ends and the §5 order, so parse(to_string(x)) == x and a description that parses comes
// back byte-exact (CRLF ends). Input from the wire is untrusted: anything else is an SdpError
// naming the line, never a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::sip {

enum class SdpErrorCode : std::uint8_t {
  Empty,           // no lines at all
  BadLine,         // not "<lowercase letter>=<value>", an empty line, a NUL or a bare CR
  UnknownType,     // a type letter RFC 4566 does not define
  OutOfOrder,      // a line where §5 does not allow it (e.g. a= before c=, o= in a media section)
  Missing,         // v=, o=, s= or t= missing (or v= not first)
  Duplicate,       // a line that may appear once per level appears again
  BadVersion,      // v= other than 0
  BadOrigin,       // o= not "username sess-id sess-version nettype addrtype address"
  BadSessionName,  // s= empty
  BadConnection,   // c= not "nettype addrtype address", or a malformed IPv4 address
  BadTiming,       // t= not two decimal numbers, r= not after a t=
  BadMedia,        // m= not "media port[/count] proto fmt…", or a port above 65535
  BadAttribute,    // a= with an empty or non-token name, an empty value, a malformed rtpmap
  NoConnection,    // a media description without c= and none at session level (§5.7)
};
struct SdpError {
  SdpErrorCode code = SdpErrorCode::Empty;
  std::size_t line = 0;  // 1-based line number; 0 when no single line is to blame
  friend bool operator==(const SdpError&, const SdpError&) = default;
};
std::string_view to_string(SdpErrorCode code);
std::string to_string(const SdpError& error);  // "bad m= line (line 6)"

struct SdpOrigin {  // o=
  std::string username = "-";
  std::string session_id;       // decimal digits
  std::string session_version;  // decimal digits
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address;
  friend bool operator==(const SdpOrigin&, const SdpOrigin&) = default;
};

struct SdpConnection {  // c=
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address;  // may carry a multicast /ttl[/count] suffix
  friend bool operator==(const SdpConnection&, const SdpConnection&) = default;
};

struct SdpAttribute {  // a=name or a=name:value
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const SdpAttribute&, const SdpAttribute&) = default;
};

// A line the model keeps without interpreting it: i= u= e= p= b= z= k= (and r= under a time).
struct SdpLine {
  char type = 'i';
  std::string value;
  friend bool operator==(const SdpLine&, const SdpLine&) = default;
};

struct SdpTime {  // t= start stop, and its r= lines
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string> repeats;
  friend bool operator==(const SdpTime&, const SdpTime&) = default;
};

// One codec of a media description: its format (payload type) and what rtpmap/fmtp say of it.
struct SdpCodec {
  std::string format;       // "0", "101"
  std::string encoding;     // "PCMU", "telephone-event"
  std::uint32_t clock_rate = 0;
  std::string parameters;   // encoding parameters after the second '/' (channels), or ""
  std::string fmtp;         // the a=fmtp value after the format, or ""
  friend bool operator==(const SdpCodec&, const SdpCodec&) = default;
};

struct SdpMedia {  // m= and its lines
  std::string media = "audio";
  std::uint16_t port = 0;  // 0: a rejected or disabled stream (RFC 3264 §6)
  std::optional<std::uint32_t> port_count;  // "49170/2"
  std::string proto = "RTP/AVP";
  std::vector<std::string> formats;  // at least one
  std::optional<SdpConnection> connection;
  std::vector<SdpAttribute> attributes;
  std::vector<SdpLine> other;  // i= before c=; b= and k= after it, in order

  // The first attribute called `name` (case-sensitive, as RFC 4566 names are); null if none.
  [[nodiscard]] const SdpAttribute* attribute(std::string_view name) const;
  // The formats in m= order with their rtpmap/fmtp, or the RFC 3551 static payload type when
  // there is no rtpmap (0 PCMU, 3 GSM, 4 G723, 8 PCMA, 9 G722, 18 G729 …); a format that
  // neither names is left out.
  [[nodiscard]] std::vector<SdpCodec> codecs() const;
  friend bool operator==(const SdpMedia&, const SdpMedia&) = default;
};

struct Sdp {
  SdpOrigin origin;
  std::string session_name = "-";
  std::optional<SdpConnection> connection;
  std::vector<SdpTime> times{SdpTime{}};  // "t=0 0": an unbounded session
  std::vector<SdpAttribute> attributes;
  std::vector<SdpMedia> media;
  std::vector<SdpLine> other;  // i= u= e= p= before c=; b= after it; z= k= after the times

  [[nodiscard]] static Result<Sdp, SdpError> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
  // The connection of `m`: its own c=, else the session's; null if neither.
  [[nodiscard]] const SdpConnection* connection_for(const SdpMedia& m) const;
  friend bool operator==(const Sdp&, const Sdp&) = default;
};

// The first audio stream of a description, as an RTP peer sees it.
struct SdpAudio {
  std::string address;  // connection address
  std::uint16_t port = 0;
  std::string proto;
  std::vector<SdpCodec> codecs;
  std::string direction;  // sendrecv (the default), sendonly, recvonly or inactive
  friend bool operator==(const SdpAudio&, const SdpAudio&) = default;
};
// nullopt when there is no m=audio line.
[[nodiscard]] std::optional<SdpAudio> first_audio(const Sdp& sdp);

// A description with one audio stream (RTP/AVP): o= `user` `session_id` `session_version`,
// s=-, c= and o= with `address` (IP6 if it holds a ':', else IP4), t=0 0, m=audio `port` with
// the codecs' formats, an a=rtpmap for each codec, an a=fmtp for each codec with one, then
// a=`direction` (none if empty).
struct AudioSdpParams {
  std::string user = "-";
  std::string session_id;
  std::string session_version;
  std::string address;
  std::uint16_t port = 0;
  std::vector<SdpCodec> codecs;
  std::string direction = "sendrecv";
};
[[nodiscard]] Sdp make_audio_sdp(const AudioSdpParams& params);

}  // namespace resproxy::sip
