#pragma once
// The rtpengine "ng" control protocol's messages (rtpengine docs/ng_control_protocol.md), sans-I/O:
// a datagram is "<cookie> <bencoded dictionary>" — a cookie chosen by the client, one space, a
// dictionary (bencode.h). A request's dictionary has a "command" key ("ping", "offer", "answer",
// "delete", "query", "list", …); a reply's has "result" ("ok", "pong" or "error" with
// "error-reason", optionally "warning") and travels back under the request's cookie. Fed by the
// relay's control server (resproxy-media, next step) with each datagram, and by resproxy's relay
// client with each reply; emits typed requests, reply dictionaries and reply datagrams.
//
// Cookies: rtpengine takes everything before the first space as the cookie and refuses a
// datagram without one; it caches replies by cookie so a retransmitted request gets the same
// reply without running again (ng_auth.h: ReplyCache). Kamailio's rtpengine module writes
// "<server_id>_<random>_<sequence>" ("0_2174362119_41"), rtpengine's own pings 16 hex digits. We
// accept 1 to 64 bytes, each printable ASCII without space (0x21..0x7e): enough for both, and a
// cookie is safe to log and to key a cache with. A datagram whose cookie fails these rules gets
// no reply (there is nothing to answer under); one whose body fails gets an error reply.
//
// Bodies: bencode only. rtpengine also takes a JSON object; we refuse one with an error reply
// (NgError::JsonBody), as we refuse "rtpp-flags" strings (Kamailio's daemon-side flag parsing,
// kept raw in NgRequest::rtpp_flags for the server to refuse or parse later).
//
// Keys: rtpengine documents keys with spaces ("received from", "transport protocol") and accepts
// hyphens for them ("received-from", which Kamailio sends); read_request() accepts both and
// refuses a request carrying both spellings of one key. Flag strings likewise: "Spaces in each
// string may be replaced by hyphens" — compare them with flag_equals(). Everything else is
// case-sensitive, as in rtpengine. Unknown keys are ignored.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/result.h"
#include "proxy/base/rng.h"
#include "proxy/media/ng/bencode.h"

namespace resproxy::media::ng {

inline constexpr std::size_t kMaxCookieSize = 64;

// --- datagrams ---------------------------------------------------------------------------------

enum class NgError : std::uint8_t {
  NoCookie,        // no space, or a space first: drop, there is no cookie to answer under
  BadCookie,       // over 64 bytes, or a byte outside 0x21..0x7e: drop
  JsonBody,        // a JSON body (rtpengine takes them, we do not): answer error
  BadBencode,      // the body does not decode (bencode.h's strict rules): answer error
  NotADictionary,  // the body is an integer, string or list: answer error
};
[[nodiscard]] std::string_view to_string(NgError error);
// True for the errors that have a cookie to answer under.
[[nodiscard]] constexpr bool has_cookie(NgError error) {
  return error != NgError::NoCookie && error != NgError::BadCookie;
}

struct NgParseError {
  NgError error = NgError::NoCookie;
  DecodeError bencode{};  // the decoder's error when error == BadBencode
  std::string cookie;     // where has_cookie(error): the reply's cookie
  friend bool operator==(const NgParseError&, const NgParseError&) = default;
};
// The error-reason of the error reply ("Could not decode bencode dictionary: …").
[[nodiscard]] std::string to_string(const NgParseError& error);

// True if `cookie` follows the rules above.
[[nodiscard]] bool is_valid_cookie(std::string_view cookie);

// A datagram split at its first space; views into the datagram.
struct DatagramParts {
  std::string_view cookie;
  std::string_view body;
};
// The split alone, for the server's reply-cache lookup before any decoding. Errors: NoCookie,
// BadCookie (drop).
[[nodiscard]] Result<DatagramParts, NgError> split_datagram(std::string_view datagram);

struct NgMessage {
  std::string cookie;
  Dict dict;
  friend bool operator==(const NgMessage&, const NgMessage&) = default;
};
// Splits and decodes a datagram (from the wire: untrusted). Errors: see NgError; where
// has_cookie(), answer error_reply(to_string(e)) under e.cookie.
[[nodiscard]] Result<NgMessage, NgParseError> parse_datagram(std::string_view datagram,
                                                             DecodeLimits limits = {});

// "<cookie> <canonical bencode of dict>". Precondition: is_valid_cookie(cookie).
[[nodiscard]] std::string build_datagram(std::string_view cookie, const Dict& dict);

// A fresh cookie for a client: 16 hex digits (64 bits) from the injected Rng, like rtpengine's
// own (unguessable, so a spoofed datagram cannot hit another source's cached reply by chance).
[[nodiscard]] std::string make_cookie(Rng& rng);

// --- requests ----------------------------------------------------------------------------------

enum class NgCommand : std::uint8_t { Ping, Offer, Answer, Delete, Query, List, Other };
[[nodiscard]] std::string_view to_string(NgCommand command);  // the wire name; "" for Other
[[nodiscard]] NgCommand command_from_string(std::string_view name);

// "received from": the SIP message's source, [family, address]; family "IP4" or "IP6".
struct ReceivedFrom {
  std::string family;
  std::string address;
  friend bool operator==(const ReceivedFrom&, const ReceivedFrom&) = default;
};

// A request's dictionary, read into typed fields (strings as sent: untrusted, bounded by the
// datagram). Absent keys leave a field empty.
struct NgRequest {
  NgCommand command = NgCommand::Other;
  std::string command_name;  // as sent, for an Other's error reply and the trace
  std::string call_id;       // "call-id"
  std::string from_tag;      // "from-tag"
  std::string to_tag;        // "to-tag"
  std::string via_branch;    // "via-branch"
  std::optional<std::string> sdp;                 // "sdp"
  std::vector<std::string> flags;                 // "flags": e.g. "trust-address", "fatal"
  std::vector<std::string> replace;               // "replace": "origin", "session-connection"
  std::vector<std::string> direction;             // "direction": two interface names
  std::vector<std::string> rtcp_mux;              // "rtcp-mux": "offer", "demux", "accept"…
  std::vector<std::string> ice;                   // "ICE": a string or a list ("remove", "force")
  std::optional<ReceivedFrom> received_from;      // "received from"
  std::string transport_protocol;                 // "transport protocol": "RTP/AVP"…
  std::string address_family;                     // "address family": "IP4" or "IP6"
  std::string rtpp_flags;                         // "rtpp-flags": Kamailio's unparsed flags
  std::optional<std::int64_t> limit;              // "limit" (list): > 0
  std::optional<std::int64_t> delete_delay;       // "delete delay" (delete): seconds, >= 0

  [[nodiscard]] bool has_flag(std::string_view flag) const;     // flag_equals over flags
  [[nodiscard]] bool has_replace(std::string_view what) const;  // flag_equals over replace
  [[nodiscard]] bool has_ice(std::string_view what) const;      // flag_equals over ice
  friend bool operator==(const NgRequest&, const NgRequest&) = default;
};

// Flag strings compare byte for byte, except that ' ' and '-' are the same ("trust address" ==
// "trust-address"), as rtpengine documents.
[[nodiscard]] bool flag_equals(std::string_view a, std::string_view b);

enum class RequestErrorCode : std::uint8_t {
  NoCommand,        // no "command" key, or not a string: answer error
  WrongType,        // a known key with a value of the wrong type (key names it): answer error
  BothSpellings,    // "received from" and "received-from" both present (key names one)
  NoCallId,         // offer, answer, delete, query without "call-id"
  NoFromTag,        // offer, answer, delete without "from-tag"
  NoToTag,          // answer without "to-tag"
  NoSdp,            // offer, answer without "sdp"
  BadReceivedFrom,  // not [IP4|IP6, address]
  BadLimit,         // "limit" <= 0, "delete delay" < 0
};
struct RequestError {
  RequestErrorCode code = RequestErrorCode::NoCommand;
  std::string key;  // the key at fault, where there is one
  friend bool operator==(const RequestError&, const RequestError&) = default;
};
// The error-reason of the error reply (rtpengine's wording where it has one: "No call-id in
// message").
[[nodiscard]] std::string to_string(const RequestError& error);

// Reads a request dictionary (after ng_auth.h's verification removed "auth", if any). Checks the
// keys its command requires (offer: call-id, from-tag, sdp; answer: + to-tag; delete: call-id,
// from-tag; query: call-id). An Other command reads without error: the server answers it
// error_reply("Unrecognized command").
[[nodiscard]] Result<NgRequest, RequestError> read_request(const Dict& dict);

// --- replies -----------------------------------------------------------------------------------

[[nodiscard]] Dict pong();                                  // {"result":"pong"}
[[nodiscard]] Dict ok();                                    // {"result":"ok"}
[[nodiscard]] Dict ok_with_warning(std::string_view warning);
[[nodiscard]] Dict error_reply(std::string_view reason);    // {"result":"error","error-reason":…}
[[nodiscard]] Dict ok_with_sdp(std::string_view sdp);       // offer and answer
[[nodiscard]] Dict list_reply(const std::vector<std::string>& call_ids);  // {"calls":[…]}

// Statistics of a call as the query reply and the delete reply carry them (rtpengine's "query"
// reply, trimmed to what the relay keeps: relay/session.h and relay/stream_stats.h). Times are
// Unix seconds (the caller converts core time with its wall-clock offset); 0 means "never" and
// leaves the key out.
struct NgStreamStats {       // one packet stream: a media's RTP or its RTCP
  bool rtcp = false;         // flags: ["RTCP"] or ["RTP"]
  std::uint16_t local_port = 0;         // "local port"; 0: omitted
  std::optional<Address> endpoint;      // "endpoint": where we send (the latched address)
  std::int64_t packets = 0;             // "stats": {"packets","bytes","errors"}
  std::int64_t bytes = 0;
  std::int64_t errors = 0;              // packets refused (foreign source, malformed)
  std::int64_t last_packet = 0;         // "last packet"
};
struct NgMediaStats {
  std::int64_t index = 1;               // "index", from 1
  std::string type = "audio";           // "type"
  std::string protocol = "RTP/AVP";     // "protocol"
  std::vector<NgStreamStats> streams;   // "streams"
};
struct NgTagStats {
  std::string tag;                      // the key in "tags" and its "tag"
  std::int64_t created = 0;             // "created"
  std::string in_dialogue_with;         // "in dialogue with"; empty: omitted
  std::vector<NgMediaStats> medias;     // "medias"
};
struct NgCallStats {
  std::int64_t created = 0;             // "created"
  std::int64_t last_signal = 0;         // "last signal"
  std::vector<NgTagStats> tags;         // "tags"; "totals" are summed from the streams
};
// {"result":"ok","created":…,"last signal":…,"tags":{…},"totals":{"RTP":{…},"RTCP":{…}}}
[[nodiscard]] Dict query_reply(const NgCallStats& stats);
// The delete reply: ok plus the same statistics (rtpengine), or plain ok (the "fast" flag).
[[nodiscard]] Dict delete_reply(const NgCallStats* stats);

// A reply read by the client (resproxy's relay client, next step).
enum class NgResult : std::uint8_t { Ok, Pong, Error, Other };
struct NgReply {
  NgResult result = NgResult::Other;
  std::string error_reason;          // "error-reason" (Error)
  std::string warning;               // "warning" (Ok)
  std::optional<std::string> sdp;    // "sdp"
  std::vector<std::string> calls;    // "calls" (list)
  friend bool operator==(const NgReply&, const NgReply&) = default;
};
// Never fails: missing or ill-typed keys read as absent, an unknown "result" as Other (the
// client treats Other like Error).
[[nodiscard]] NgReply read_reply(const Dict& dict);

}  // namespace resproxy::media::ng
