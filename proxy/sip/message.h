#pragma once
// SIP message model (RFC 3261 §7, §20, §25): one parsed request or response that owns its bytes.
// Parsing indexes the start line and every header field as views into the received buffer and
// eagerly decodes only what every proxy path needs (top Via, Call-ID, CSeq, From/To tags,
// Max-Forwards, Content-Length); everything else is parsed lazily, on demand, by the free
// functions in uri.h / header_parsers.h. Unknown headers are kept byte-exact.
// Fed by the transport layer (a datagram, or one frame cut by the StreamFramer); read by the
// transaction and routing layers. No policy lives here.
//
// Strictness (RFC 3261 §7, §25; RFC 4475): every line of the start line and header section
// ends in CRLF — a lone CR or LF there is BadStartLine / BadHeaderLine, so that no element
// downstream can read a different header set than we did. CRLFs before the start line are
// skipped (§7.5) and are not part of bytes(). The request line has exactly one SP between its
// three parts and no trailing whitespace (RFC 4475 §3.1.2.9, §3.1.2.10).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::sip {

enum class Method : std::uint8_t {
  Unknown,  // any other token: kept in method_token()
  Invite, Ack, Bye, Cancel, Options, Register, Prack, Subscribe, Notify, Publish, Info,
  Refer, Message, Update,
};
// Method tokens are case-sensitive (RFC 3261 §7.1): "invite" is an unknown method.
Method method_from_token(std::string_view token);
std::string_view to_string(Method method);

// Headers the core looks at; everything else is HeaderId::Other and stays byte-exact.
enum class HeaderId : std::uint8_t {
  Other,
  Via, From, To, CallId, CSeq, MaxForwards, Contact, ContentLength, ContentType, ContentEncoding,
  Route, RecordRoute, Expires, MinExpires, Require, ProxyRequire, Supported, Unsupported, Allow,
  Authorization, ProxyAuthorization, WwwAuthenticate, ProxyAuthenticate, UserAgent, Server,
  Date, Timestamp, Path, Event, ReferTo, ReferredBy, Subject, AllowEvents, Accept, RetryAfter,
  Warning,
};
inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::Warning) + 1;
// Long and compact names (RFC 3261 §7.3.3, plus o/r/b/u of later RFCs), case-insensitive.
HeaderId header_id_from_name(std::string_view name);
// The canonical long name, e.g. "Call-ID", "CSeq", "WWW-Authenticate"; "" for Other.
std::string_view canonical_name(HeaderId id);

// One header field as received. `value` is trimmed of surrounding whitespace; it may contain
// folded line breaks (CRLF followed by SP/HT) which every consumer treats as a single SP.
// Several values on one line stay one field ("Via: a, b"); one header on several lines gives
// several fields, in order.
struct HeaderField {
  HeaderId id = HeaderId::Other;
  std::string_view name;   // as received ("v", "VIA", "Via  ")
  std::string_view value;  // trimmed value
  std::string_view raw;    // the whole field, name through end of value, without the final CRLF
};

// The top Via's values the transaction layer needs (RFC 3261 §18.2, RFC 3581).
struct ViaInfo {
  std::string_view transport;  // "UDP", "TCP", … as written (compare case-insensitively)
  std::string_view host;       // brackets kept for IPv6 references: "[2001:db8::10]"
  std::optional<std::uint16_t> port;
  std::string_view branch;     // empty if absent
  std::optional<std::string_view> received;
  bool has_rport = false;      // rport present, with or without a value
  std::optional<std::uint16_t> rport;
};

struct CSeqInfo {
  std::uint32_t number = 0;
  Method method = Method::Unknown;
  std::string_view method_token;
};

enum class ParseError : std::uint8_t {
  Empty,                    // nothing but whitespace
  NoHeaderEnd,              // no empty line ending the header section
  BadStartLine,             // not "Method SP URI SP SIP/2.0" nor "SIP/2.0 SP code SP reason"
  BadVersion,               // well-formed but not SIP/2.0: requests get 505
  BadStatusCode,            // outside 100..699
  BadRequestUri,            // not a valid absolute URI, or one with <>, spaces, or ?headers
  BadHeaderLine,            // a line without a colon, or an illegal header name
  MissingMandatoryHeader,   // To, From, Call-ID, CSeq or Via absent (RFC 3261 §8.1.1)
  DuplicateSingletonHeader, // two To / From / Call-ID / CSeq / Max-Forwards / Content-Length
  BadVia,
  BadFromTo,                // unparsable, unbalanced quotes, unquoted comma in display name
  BadCallId,
  BadCSeq,                  // not 32-bit, or method token mismatch with the request method
  BadMaxForwards,           // not a number 0..255
  BadContentLength,         // negative, non-numeric, or more than the bytes available
  BadContact,
  BadHeaderValue,           // another header the core validates is unparsable
  MessageTooLarge,
};
std::string_view to_string(ParseError error);
// The status a request with this error is answered with: 505 for BadVersion, 513 for
// MessageTooLarge, 400 otherwise. Responses with any error are dropped, never answered.
int to_sip_status(ParseError error);

// How the bytes were delimited. A datagram is one message: a body shorter than Content-Length
// is an error, bytes past it are discarded (RFC 3261 §18.3), and without Content-Length the
// body runs to the end. A stream frame was cut by the StreamFramer and is exact.
enum class Framing : std::uint8_t { Datagram, Stream };

// Hard limits of the parser (the security layer applies its own, smaller, configured limit
// first). Beyond them: MessageTooLarge (513).
inline constexpr std::size_t kMaxMessageSize = 256 * 1024;
inline constexpr std::size_t kMaxHeaderFields = 1024;

class Message {
 public:
  // Parses and validates one message. On success every eager accessor below is valid.
  [[nodiscard]] static Result<Message, ParseError> parse(std::string bytes,
                                                         Framing framing = Framing::Datagram);

  [[nodiscard]] bool is_request() const;
  [[nodiscard]] bool is_response() const { return !is_request(); }

  // Requests.
  [[nodiscard]] Method method() const;               // for responses: the CSeq method
  [[nodiscard]] std::string_view method_token() const;
  [[nodiscard]] std::string_view request_uri() const;  // raw, byte-exact
  // Responses.
  [[nodiscard]] int status_code() const;
  [[nodiscard]] std::string_view reason_phrase() const;

  // Header fields in received order.
  [[nodiscard]] std::span<const HeaderField> headers() const;
  [[nodiscard]] const HeaderField* first(HeaderId id) const;  // nullptr if absent
  // The first field of a header the core has no HeaderId for (Reason, Privacy,
  // P-Asserted-Identity…), by name, case-insensitive; nullptr if absent.
  [[nodiscard]] const HeaderField* first_named(std::string_view name) const;
  [[nodiscard]] std::size_t count(HeaderId id) const;          // fields, not values

  // Eagerly parsed.
  [[nodiscard]] const ViaInfo& top_via() const;
  [[nodiscard]] std::size_t via_count() const;  // values, across all Via fields
  [[nodiscard]] std::string_view call_id() const;
  [[nodiscard]] const CSeqInfo& cseq() const;
  [[nodiscard]] std::string_view from_tag() const;  // empty if absent
  [[nodiscard]] std::string_view to_tag() const;    // empty if absent
  [[nodiscard]] std::optional<std::uint32_t> max_forwards() const;  // absent: nullopt
  [[nodiscard]] std::string_view body() const;  // exactly Content-Length bytes

  // The whole message as received, from the start line (CRLFs before it skipped) through the
  // body (for a datagram: without discarded trailing bytes). Message::parse(bytes()) gives the
  // same message again.
  [[nodiscard]] std::string_view bytes() const;

  // Rewrites the top via-parm (the first value of the first Via field) to `via_parm`, in place
  // and without parsing the message again: afterwards bytes() are the old bytes with that one
  // value replaced, and every accessor answers exactly as Message::parse(bytes()) would. The
  // server transport stamps received/rport this way (RFC 3261 §18.2.1, RFC 3581 §4). Returns
  // false and changes nothing if `via_parm` is not exactly one valid via-parm without leading or
  // trailing whitespace and with line breaks only as folds (CRLF SP/HT), or if the message would
  // outgrow kMaxMessageSize.
  [[nodiscard]] bool replace_top_via(std::string_view via_parm);

  // Copies and moves keep every view valid: they are rebased onto the new buffer.
  Message(const Message& other);
  Message(Message&& other) noexcept;
  Message& operator=(const Message& other);
  Message& operator=(Message&& other) noexcept;
  ~Message() = default;

  // Internals are private to message*.cpp (message_index.h); declared here so Message is a complete value type.
  // (Message::Index is the parser: a nested type so that it may fill the private members.)
  struct Index;

 private:
  Message() = default;
  Message(Message&& other, const char* old_base, std::size_t old_size) noexcept;
  void reset() noexcept;  // the empty state of a moved-from Message
  // Moves every view that points into [old_base, old_base + size) onto buffer_.
  void rebase(const char* old_base, std::size_t old_size);

  std::string buffer_;
  // Every string_view below points into buffer_; copy and move rebase them.
  std::vector<HeaderField> headers_;
  std::string_view bytes_;
  std::string_view method_token_;
  std::string_view request_uri_;
  std::string_view reason_phrase_;
  std::string_view call_id_;
  std::string_view from_tag_;
  std::string_view to_tag_;
  std::string_view body_;
  ViaInfo top_via_;
  CSeqInfo cseq_;
  std::optional<std::uint32_t> max_forwards_;
  std::uint32_t via_count_ = 0;
  int status_code_ = 0;
  Method method_ = Method::Unknown;
  bool is_request_ = false;
  static constexpr std::uint16_t kNoIndex = 0xFFFF;
  std::array<std::uint16_t, kHeaderIdCount> first_{};  // index into headers_, or kNoIndex
  std::array<std::uint16_t, kHeaderIdCount> count_{};
};

}  // namespace resproxy::sip
