#include "proxy/sip/message.h"

#include <cstring>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/parse_detail.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::sip {

using text::iequals;
constexpr auto npos = std::string_view::npos;

// --- Names ---------------------------------------------------------------------------------

Method method_from_token(std::string_view t) {
  // Case-sensitive (§7.1). Switch on length first: most tokens are rejected by one compare.
  switch (t.size()) {
    case 3:
      if (t == "ACK") return Method::Ack;
      if (t == "BYE") return Method::Bye;
      break;
    case 4:
      if (t == "INFO") return Method::Info;
      break;
    case 5:
      if (t == "PRACK") return Method::Prack;
      if (t == "REFER") return Method::Refer;
      break;
    case 6:
      if (t == "INVITE") return Method::Invite;
      if (t == "CANCEL") return Method::Cancel;
      if (t == "NOTIFY") return Method::Notify;
      if (t == "UPDATE") return Method::Update;
      break;
    case 7:
      if (t == "OPTIONS") return Method::Options;
      if (t == "PUBLISH") return Method::Publish;
      if (t == "MESSAGE") return Method::Message;
      break;
    case 8:
      if (t == "REGISTER") return Method::Register;
      break;
    case 9:
      if (t == "SUBSCRIBE") return Method::Subscribe;
      break;
    default:
      break;
  }
  return Method::Unknown;
}

std::string_view to_string(Method method) {
  switch (method) {
    case Method::Unknown: return "";
    case Method::Invite: return "INVITE";
    case Method::Ack: return "ACK";
    case Method::Bye: return "BYE";
    case Method::Cancel: return "CANCEL";
    case Method::Options: return "OPTIONS";
    case Method::Register: return "REGISTER";
    case Method::Prack: return "PRACK";
    case Method::Subscribe: return "SUBSCRIBE";
    case Method::Notify: return "NOTIFY";
    case Method::Publish: return "PUBLISH";
    case Method::Info: return "INFO";
    case Method::Refer: return "REFER";
    case Method::Message: return "MESSAGE";
    case Method::Update: return "UPDATE";
  }
  return "";
}

namespace {

// `name` (any case) equals `lower` (a lower-case literal).
constexpr bool name_is(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (text::to_lower(name[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace

HeaderId header_id_from_name(std::string_view name) {
  while (!name.empty() && text::is_wsp(name.back())) name.remove_suffix(1);
  if (name.empty()) return HeaderId::Other;
  const char c = text::to_lower(name[0]);
  switch (name.size()) {
    case 1:
      // RFC 3261 §7.3.3 compact forms, plus o (RFC 6665), r (RFC 3515), b (RFC 3892), u (RFC 6665)
      switch (c) {
        case 'i': return HeaderId::CallId;
        case 'm': return HeaderId::Contact;
        case 'e': return HeaderId::ContentEncoding;
        case 'l': return HeaderId::ContentLength;
        case 'c': return HeaderId::ContentType;
        case 'f': return HeaderId::From;
        case 's': return HeaderId::Subject;
        case 'k': return HeaderId::Supported;
        case 't': return HeaderId::To;
        case 'v': return HeaderId::Via;
        case 'o': return HeaderId::Event;
        case 'r': return HeaderId::ReferTo;
        case 'b': return HeaderId::ReferredBy;
        case 'u': return HeaderId::AllowEvents;
        default: return HeaderId::Other;
      }
    case 2:
      if (name_is(name, "to")) return HeaderId::To;
      break;
    case 3:
      if (name_is(name, "via")) return HeaderId::Via;
      break;
    case 4:
      switch (c) {
        case 'f': if (name_is(name, "from")) return HeaderId::From; break;
        case 'c': if (name_is(name, "cseq")) return HeaderId::CSeq; break;
        case 'd': if (name_is(name, "date")) return HeaderId::Date; break;
        case 'p': if (name_is(name, "path")) return HeaderId::Path; break;
        default: break;
      }
      break;
    case 5:
      switch (c) {
        case 'r': if (name_is(name, "route")) return HeaderId::Route; break;
        case 'a': if (name_is(name, "allow")) return HeaderId::Allow; break;
        case 'e': if (name_is(name, "event")) return HeaderId::Event; break;
        default: break;
      }
      break;
    case 6:
      switch (c) {
        case 'a': if (name_is(name, "accept")) return HeaderId::Accept; break;
        case 's': if (name_is(name, "server")) return HeaderId::Server; break;
        default: break;
      }
      break;
    case 7:
      switch (c) {
        case 'c':
          if (name_is(name, "call-id")) return HeaderId::CallId;
          if (name_is(name, "contact")) return HeaderId::Contact;
          break;
        case 'e': if (name_is(name, "expires")) return HeaderId::Expires; break;
        case 'r': if (name_is(name, "require")) return HeaderId::Require; break;
        case 's': if (name_is(name, "subject")) return HeaderId::Subject; break;
        case 'w': if (name_is(name, "warning")) return HeaderId::Warning; break;
        default: break;
      }
      break;
    case 8:
      if (name_is(name, "refer-to")) return HeaderId::ReferTo;
      break;
    case 9:
      switch (c) {
        case 's': if (name_is(name, "supported")) return HeaderId::Supported; break;
        case 't': if (name_is(name, "timestamp")) return HeaderId::Timestamp; break;
        default: break;
      }
      break;
    case 10:
      if (name_is(name, "user-agent")) return HeaderId::UserAgent;
      break;
    case 11:
      switch (c) {
        case 'm': if (name_is(name, "min-expires")) return HeaderId::MinExpires; break;
        case 'r':
          if (name_is(name, "referred-by")) return HeaderId::ReferredBy;
          if (name_is(name, "retry-after")) return HeaderId::RetryAfter;
          break;
        case 'u': if (name_is(name, "unsupported")) return HeaderId::Unsupported; break;
        default: break;
      }
      break;
    case 12:
      switch (c) {
        case 'm': if (name_is(name, "max-forwards")) return HeaderId::MaxForwards; break;
        case 'c': if (name_is(name, "content-type")) return HeaderId::ContentType; break;
        case 'r': if (name_is(name, "record-route")) return HeaderId::RecordRoute; break;
        case 'a': if (name_is(name, "allow-events")) return HeaderId::AllowEvents; break;
        default: break;
      }
      break;
    case 13:
      switch (c) {
        case 'a': if (name_is(name, "authorization")) return HeaderId::Authorization; break;
        case 'p': if (name_is(name, "proxy-require")) return HeaderId::ProxyRequire; break;
        default: break;
      }
      break;
    case 14:
      if (name_is(name, "content-length")) return HeaderId::ContentLength;
      break;
    case 16:
      switch (c) {
        case 'c': if (name_is(name, "content-encoding")) return HeaderId::ContentEncoding; break;
        case 'w': if (name_is(name, "www-authenticate")) return HeaderId::WwwAuthenticate; break;
        default: break;
      }
      break;
    case 18:
      if (name_is(name, "proxy-authenticate")) return HeaderId::ProxyAuthenticate;
      break;
    case 19:
      if (name_is(name, "proxy-authorization")) return HeaderId::ProxyAuthorization;
      break;
    default:
      break;
  }
  return HeaderId::Other;
}

std::string_view canonical_name(HeaderId id) {
  switch (id) {
    case HeaderId::Other: return "";
    case HeaderId::Via: return "Via";
    case HeaderId::From: return "From";
    case HeaderId::To: return "To";
    case HeaderId::CallId: return "Call-ID";
    case HeaderId::CSeq: return "CSeq";
    case HeaderId::MaxForwards: return "Max-Forwards";
    case HeaderId::Contact: return "Contact";
    case HeaderId::ContentLength: return "Content-Length";
    case HeaderId::ContentType: return "Content-Type";
    case HeaderId::ContentEncoding: return "Content-Encoding";
    case HeaderId::Route: return "Route";
    case HeaderId::RecordRoute: return "Record-Route";
    case HeaderId::Expires: return "Expires";
    case HeaderId::MinExpires: return "Min-Expires";
    case HeaderId::Require: return "Require";
    case HeaderId::ProxyRequire: return "Proxy-Require";
    case HeaderId::Supported: return "Supported";
    case HeaderId::Unsupported: return "Unsupported";
    case HeaderId::Allow: return "Allow";
    case HeaderId::Authorization: return "Authorization";
    case HeaderId::ProxyAuthorization: return "Proxy-Authorization";
    case HeaderId::WwwAuthenticate: return "WWW-Authenticate";
    case HeaderId::ProxyAuthenticate: return "Proxy-Authenticate";
    case HeaderId::UserAgent: return "User-Agent";
    case HeaderId::Server: return "Server";
    case HeaderId::Date: return "Date";
    case HeaderId::Timestamp: return "Timestamp";
    case HeaderId::Path: return "Path";
    case HeaderId::Event: return "Event";
    case HeaderId::ReferTo: return "Refer-To";
    case HeaderId::ReferredBy: return "Referred-By";
    case HeaderId::Subject: return "Subject";
    case HeaderId::AllowEvents: return "Allow-Events";
    case HeaderId::Accept: return "Accept";
    case HeaderId::RetryAfter: return "Retry-After";
    case HeaderId::Warning: return "Warning";
  }
  return "";
}

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::Empty: return "empty";
    case ParseError::NoHeaderEnd: return "no_header_end";
    case ParseError::BadStartLine: return "bad_start_line";
    case ParseError::BadVersion: return "bad_version";
    case ParseError::BadStatusCode: return "bad_status_code";
    case ParseError::BadRequestUri: return "bad_request_uri";
    case ParseError::BadHeaderLine: return "bad_header_line";
    case ParseError::MissingMandatoryHeader: return "missing_mandatory_header";
    case ParseError::DuplicateSingletonHeader: return "duplicate_singleton_header";
    case ParseError::BadVia: return "bad_via";
    case ParseError::BadFromTo: return "bad_from_to";
    case ParseError::BadCallId: return "bad_call_id";
    case ParseError::BadCSeq: return "bad_cseq";
    case ParseError::BadMaxForwards: return "bad_max_forwards";
    case ParseError::BadContentLength: return "bad_content_length";
    case ParseError::BadContact: return "bad_contact";
    case ParseError::BadHeaderValue: return "bad_header_value";
    case ParseError::MessageTooLarge: return "message_too_large";
  }
  return "unknown";
}

int to_sip_status(ParseError error) {
  switch (error) {
    case ParseError::BadVersion: return 505;
    case ParseError::MessageTooLarge: return 513;
    default: return 400;
  }
}

// --- Message: value semantics ----------------------------------------------------------------

Message::Message(const Message& other)
    : buffer_(other.buffer_),
      headers_(other.headers_),
      bytes_(other.bytes_),
      method_token_(other.method_token_),
      request_uri_(other.request_uri_),
      reason_phrase_(other.reason_phrase_),
      call_id_(other.call_id_),
      from_tag_(other.from_tag_),
      to_tag_(other.to_tag_),
      body_(other.body_),
      top_via_(other.top_via_),
      cseq_(other.cseq_),
      max_forwards_(other.max_forwards_),
      via_count_(other.via_count_),
      status_code_(other.status_code_),
      method_(other.method_),
      is_request_(other.is_request_),
      first_(other.first_),
      count_(other.count_) {
  rebase(other.buffer_.data(), other.buffer_.size());
}

// Delegates so that the old buffer address is read before buffer_ is moved from.
Message::Message(Message&& other) noexcept
    : Message(std::move(other), other.buffer_.data(), other.buffer_.size()) {}

Message::Message(Message&& other, const char* old_base, std::size_t old_size) noexcept
    : buffer_(std::move(other.buffer_)),
      headers_(std::move(other.headers_)),
      bytes_(other.bytes_),
      method_token_(other.method_token_),
      request_uri_(other.request_uri_),
      reason_phrase_(other.reason_phrase_),
      call_id_(other.call_id_),
      from_tag_(other.from_tag_),
      to_tag_(other.to_tag_),
      body_(other.body_),
      top_via_(other.top_via_),
      cseq_(other.cseq_),
      max_forwards_(other.max_forwards_),
      via_count_(other.via_count_),
      status_code_(other.status_code_),
      method_(other.method_),
      is_request_(other.is_request_),
      first_(other.first_),
      count_(other.count_) {
  rebase(old_base, old_size);
  other.reset();
}

void Message::reset() noexcept {
  buffer_.clear();
  headers_.clear();
  bytes_ = method_token_ = request_uri_ = reason_phrase_ = {};
  call_id_ = from_tag_ = to_tag_ = body_ = {};
  top_via_ = ViaInfo{};
  cseq_ = CSeqInfo{};
  max_forwards_.reset();
  via_count_ = 0;
  first_.fill(kNoIndex);
  count_.fill(0);
}

Message& Message::operator=(const Message& other) {
  if (this != &other) {
    Message copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Message& Message::operator=(Message&& other) noexcept {
  if (this == &other) return *this;
  const char* old_base = other.buffer_.data();
  const std::size_t old_size = other.buffer_.size();
  buffer_ = std::move(other.buffer_);
  headers_ = std::move(other.headers_);
  bytes_ = other.bytes_;
  method_token_ = other.method_token_;
  request_uri_ = other.request_uri_;
  reason_phrase_ = other.reason_phrase_;
  call_id_ = other.call_id_;
  from_tag_ = other.from_tag_;
  to_tag_ = other.to_tag_;
  body_ = other.body_;
  top_via_ = other.top_via_;
  cseq_ = other.cseq_;
  max_forwards_ = other.max_forwards_;
  via_count_ = other.via_count_;
  status_code_ = other.status_code_;
  method_ = other.method_;
  is_request_ = other.is_request_;
  first_ = other.first_;
  count_ = other.count_;
  rebase(old_base, old_size);
  other.reset();  // empty rather than with views into a buffer it no longer owns
  return *this;
}

void Message::rebase(const char* old_base, std::size_t old_size) {
  const char* new_base = buffer_.data();
  if (old_base == new_base) return;  // heap buffer moved as it is: nothing to do
  const auto old_begin = reinterpret_cast<std::uintptr_t>(old_base);
  auto fix = [&](std::string_view& v) {
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    if (v.data() == nullptr || p < old_begin || p > old_begin + old_size) return;
    v = std::string_view(new_base + (p - old_begin), v.size());
  };
  for (auto& h : headers_) {
    fix(h.name);
    fix(h.value);
    fix(h.raw);
  }
  for (std::string_view* v : {&bytes_, &method_token_, &request_uri_, &reason_phrase_, &call_id_,
                              &from_tag_, &to_tag_, &body_, &top_via_.transport, &top_via_.host,
                              &top_via_.branch, &cseq_.method_token}) {
    fix(*v);
  }
  if (top_via_.received) fix(*top_via_.received);
}

// --- In-place edits ----------------------------------------------------------------------------

bool Message::replace_top_via(std::string_view via_parm) {
  if (via_parm.empty() || text::is_ws(via_parm.front()) || text::is_ws(via_parm.back())) {
    return false;
  }
  // Line breaks only as folds (CRLF SP / CRLF HT): anything else would end the field early.
  for (std::size_t i = via_parm.find_first_of("\r\n"); i != npos;
       i = via_parm.find_first_of("\r\n", i + 3)) {
    if (via_parm[i] != '\r' || i + 2 >= via_parm.size() || via_parm[i + 1] != '\n' ||
        !text::is_wsp(via_parm[i + 2])) {
      return false;
    }
  }
  {
    Via check;
    std::size_t pos = 0;
    if (!detail::parse_via_at(via_parm, pos, check) || pos != via_parm.size()) return false;
  }
  const std::uint16_t index = first_[static_cast<std::size_t>(HeaderId::Via)];
  if (index == kNoIndex) return false;  // a parsed message has one; a moved-from one has not
  // The top via-parm as the parser delimits it: from the first non-whitespace character to the
  // ',' or the end of the value, without the whitespace before that.
  const std::string_view value = headers_[index].value;
  std::size_t end = 0;
  {
    Via old;
    if (!detail::parse_via_at(value, end, old)) return false;  // validated by parse()
  }
  const std::size_t begin = text::skip_ws(value, 0);
  while (end > begin && text::is_ws(value[end - 1])) --end;
  const std::size_t old_size = end - begin;
  if (bytes_.size() - old_size + via_parm.size() > kMaxMessageSize) return false;

  // Splice, then move every view: before the old value it stays, after it it shifts by the
  // difference, around it (the field, the whole message) it grows or shrinks; the views inside
  // it (the top Via's parts) are parsed again from the new value.
  const char* const old_base = buffer_.data();
  const std::size_t old_buffer_size = buffer_.size();
  const auto region_begin = static_cast<std::size_t>(value.data() + begin - old_base);
  const std::size_t region_end = region_begin + old_size;
  buffer_.replace(region_begin, old_size, via_parm);
  const char* const new_base = buffer_.data();
  const auto old_begin = reinterpret_cast<std::uintptr_t>(old_base);
  auto fix = [&](std::string_view& v) {
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    if (v.data() == nullptr || p < old_begin || p > old_begin + old_buffer_size) return;
    const std::size_t b = p - old_begin;
    const std::size_t e = b + v.size();
    if (e <= region_begin) {
      v = std::string_view(new_base + b, v.size());
    } else if (b >= region_end) {
      v = std::string_view(new_base + b - old_size + via_parm.size(), v.size());
    } else if (b <= region_begin && e >= region_end) {
      v = std::string_view(new_base + b, v.size() - old_size + via_parm.size());
    } else {
      v = {};  // inside the old value: set again below
    }
  };
  for (auto& h : headers_) {
    fix(h.name);
    fix(h.value);
    fix(h.raw);
  }
  for (std::string_view* v : {&bytes_, &method_token_, &request_uri_, &reason_phrase_, &call_id_,
                              &from_tag_, &to_tag_, &body_, &cseq_.method_token}) {
    fix(*v);
  }
  Via top;
  std::size_t pos = 0;
  const bool parsed = detail::parse_via_at(headers_[index].value, pos, top);
  (void)parsed;  // the new value was checked on its own above, and its context is unchanged
  top_via_ = top.info;
  return true;
}

// --- Accessors -------------------------------------------------------------------------------

bool Message::is_request() const { return is_request_; }
Method Message::method() const { return is_request_ ? method_ : cseq_.method; }
std::string_view Message::method_token() const {
  return is_request_ ? method_token_ : cseq_.method_token;
}
std::string_view Message::request_uri() const { return request_uri_; }
int Message::status_code() const { return status_code_; }
std::string_view Message::reason_phrase() const { return reason_phrase_; }
std::span<const HeaderField> Message::headers() const { return headers_; }
const HeaderField* Message::first(HeaderId id) const {
  const std::uint16_t index = first_[static_cast<std::size_t>(id)];
  return index == kNoIndex ? nullptr : &headers_[index];
}
std::size_t Message::count(HeaderId id) const { return count_[static_cast<std::size_t>(id)]; }
const ViaInfo& Message::top_via() const { return top_via_; }
std::size_t Message::via_count() const { return via_count_; }
std::string_view Message::call_id() const { return call_id_; }
const CSeqInfo& Message::cseq() const { return cseq_; }
std::string_view Message::from_tag() const { return from_tag_; }
std::string_view Message::to_tag() const { return to_tag_; }
std::optional<std::uint32_t> Message::max_forwards() const { return max_forwards_; }
std::string_view Message::body() const { return body_; }
std::string_view Message::bytes() const { return bytes_; }

// --- The parser ------------------------------------------------------------------------------

struct Message::Index {
  static std::optional<ParseError> parse(Message& m, Framing framing);

 private:
  static std::optional<ParseError> parse_start_line(Message& m, std::string_view line);
  static std::optional<ParseError> validate_headers(Message& m);
};

namespace {

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive, §7.1).
// Returns nullopt for 2.0, BadVersion for another well-formed version, BadStartLine otherwise.
std::optional<ParseError> check_version(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return ParseError::BadStartLine;
  const std::string_view numbers = v.substr(4);
  const std::size_t dot = numbers.find('.');
  if (dot == npos || dot == 0 || dot + 1 == numbers.size()) return ParseError::BadStartLine;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (i != dot && !text::is_digit(numbers[i])) return ParseError::BadStartLine;
  }
  if (numbers != "2.0") return ParseError::BadVersion;
  return std::nullopt;
}

// The Request-URI (§25.1 Request-URI = SIP-URI / SIPS-URI / absoluteURI), strictly: no <>,
// no whitespace, and no headers in a SIP Request-URI (§19.1.5, RFC 4475 §3.1.2.11).
bool is_valid_request_uri(std::string_view uri) {
  const auto parsed = parse_uri(uri);
  if (!parsed) return false;
  return !(parsed->is_sip() && parsed->has_headers);
}

// The header fields from `p` (the line after the start line) to the empty line: lines that do
// not start with SP/HT. Only a capacity hint: the parser proper validates every line.
std::size_t count_field_lines(const char* p, const char* end) {
  std::size_t fields = 0;
  while (p < end && *p != '\r' && fields <= kMaxHeaderFields) {
    if (!text::is_wsp(*p)) ++fields;
    const void* lf = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (lf == nullptr) break;
    p = static_cast<const char*>(lf) + 1;
  }
  return fields;
}

bool parse_u32(std::string_view digits, std::uint64_t max, std::uint32_t& out) {
  std::uint64_t value = 0;
  if (!text::parse_decimal(digits, max, value)) return false;
  out = static_cast<std::uint32_t>(value);
  return true;
}

}  // namespace

std::optional<ParseError> Message::Index::parse_start_line(Message& m, std::string_view line) {
  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    m.is_request_ = false;
    const std::size_t sp = line.find(' ');
    if (sp == npos) return ParseError::BadStartLine;
    if (auto e = check_version(line.substr(0, sp))) return e;
    const std::string_view rest = line.substr(sp + 1);
    const std::size_t digits = text::span_of(rest, 0, text::kDigit);
    if (digits == 0) return ParseError::BadStartLine;
    std::uint32_t code = 0;
    // RFC 4475 §3.1.2.19: 4294967301 must neither wrap nor pass
    if (digits != 3 || !parse_u32(rest.substr(0, 3), 999, code) || code < 100 || code > 699) {
      return ParseError::BadStatusCode;
    }
    if (rest.size() > 3) {
      if (rest[3] != ' ') return ParseError::BadStatusCode;
      m.reason_phrase_ = rest.substr(4);
    } else {
      m.reason_phrase_ = rest.substr(3);  // lenient: "SIP/2.0 200" without the SP
    }
    m.status_code_ = static_cast<int>(code);
    return std::nullopt;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version, exactly one SP each (RFC 4475
  // §3.1.2.9 lwsstart, §3.1.2.10 trws are rejected).
  m.is_request_ = true;
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == npos || sp1 == sp2 || sp1 == 0) return ParseError::BadStartLine;
  const std::string_view method = line.substr(0, sp1);
  if (text::span_of(method, 0, text::kToken) != method.size()) return ParseError::BadStartLine;
  if (auto e = check_version(line.substr(sp2 + 1))) return e;
  const std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (uri.empty() || uri.front() == ' ' || uri.back() == ' ') return ParseError::BadStartLine;
  if (!is_valid_request_uri(uri)) return ParseError::BadRequestUri;
  m.method_token_ = method;
  m.method_ = method_from_token(method);
  m.request_uri_ = uri;
  return std::nullopt;
}

std::optional<ParseError> Message::Index::parse(Message& m, Framing framing) {
  m.first_.fill(kNoIndex);
  const std::string& buf = m.buffer_;
  if (buf.size() > kMaxMessageSize) return ParseError::MessageTooLarge;
  const char* const begin = buf.data();
  const char* const end = begin + buf.size();
  const char* p = begin;
  // §7.5: CRLFs before the start line are ignored (keep-alives, stream leftovers).
  while (p < end && (*p == '\r' || *p == '\n')) ++p;
  {
    const char* q = p;
    while (q < end && text::is_ws(*q)) ++q;
    if (q == end) return ParseError::Empty;
  }
  const char* const start = p;

  // Start line.
  const char* br = text::find_line_break(p, end);
  if (br == end || br + 1 == end) return ParseError::NoHeaderEnd;
  if (*br != '\r' || br[1] != '\n') return ParseError::BadStartLine;  // a lone CR or LF
  if (auto e = parse_start_line(m, std::string_view(p, static_cast<std::size_t>(br - p)))) return e;
  p = br + 2;

  // Header fields: one per line plus its continuation lines (§7.3.1). Lines end in CRLF; a lone
  // CR or LF is an error so that no downstream element can read a different header set.
  // Counted first so that the index is allocated once and exactly: a server transaction keeps
  // its request for up to 32 s, and a fixed guess wasted a kilobyte on a typical REGISTER.
  m.headers_.reserve(count_field_lines(p, end));
  for (;;) {
    if (p >= end) return ParseError::NoHeaderEnd;
    if (*p == '\r') {
      if (p + 1 >= end) return ParseError::NoHeaderEnd;
      if (p[1] != '\n') return ParseError::BadHeaderLine;
      p += 2;
      break;  // the empty line
    }
    const char* const name_begin = p;
    while (p < end && text::is_token(*p)) ++p;
    const char* const name_end = p;
    while (p < end && text::is_wsp(*p)) ++p;
    if (p >= end) return ParseError::NoHeaderEnd;
    if (name_end == name_begin || *p != ':') return ParseError::BadHeaderLine;
    const char* const colon = p;
    ++p;
    const char* field_end = nullptr;  // the CR of the CRLF ending the field
    for (;;) {
      br = text::find_line_break(p, end);
      if (br == end || br + 1 == end) return ParseError::NoHeaderEnd;
      if (*br != '\r' || br[1] != '\n') return ParseError::BadHeaderLine;  // a lone CR or LF
      p = br + 2;
      if (p < end && text::is_wsp(*p)) continue;  // folded: CRLF followed by SP / HT
      field_end = br;
      break;
    }
    const char* vb = colon + 1;
    const char* ve = field_end;
    while (vb < ve && text::is_ws(*vb)) ++vb;
    while (ve > vb && text::is_ws(ve[-1])) --ve;
    if (m.headers_.size() >= kMaxHeaderFields) return ParseError::MessageTooLarge;
    const std::string_view name(name_begin, static_cast<std::size_t>(name_end - name_begin));
    const HeaderId id = header_id_from_name(name);
    const auto slot = static_cast<std::size_t>(id);
    if (m.first_[slot] == kNoIndex) m.first_[slot] = static_cast<std::uint16_t>(m.headers_.size());
    ++m.count_[slot];
    // Filled in place: building a temporary and copying it costs a store-forwarding stall.
    HeaderField& field = m.headers_.emplace_back();
    field.id = id;
    field.name = std::string_view(name_begin, static_cast<std::size_t>(colon - name_begin));
    field.value = std::string_view(vb, static_cast<std::size_t>(ve - vb));
    field.raw = std::string_view(name_begin, static_cast<std::size_t>(field_end - name_begin));
  }

  // Body (§18.3, §20.14).
  const char* const body_begin = p;
  const auto available = static_cast<std::size_t>(end - body_begin);
  std::size_t body_size = available;
  if (m.count_[static_cast<std::size_t>(HeaderId::ContentLength)] > 1) {
    return ParseError::DuplicateSingletonHeader;  // RFC 4475 §3.3.9: framing is unknowable
  }
  if (const HeaderField* cl = m.first(HeaderId::ContentLength)) {
    std::uint64_t length = 0;
    // RFC 4475 §3.1.2.3: "-999" never reaches an index computation
    if (!text::parse_decimal(cl->value, kMaxMessageSize, length)) {
      return ParseError::BadContentLength;
    }
    if (length > available) return ParseError::BadContentLength;  // RFC 4475 §3.1.2.2
    if (framing == Framing::Stream && length != available) return ParseError::BadContentLength;
    body_size = static_cast<std::size_t>(length);
  }
  m.body_ = std::string_view(body_begin, body_size);
  m.bytes_ = std::string_view(start, static_cast<std::size_t>(body_begin + body_size - start));

  return validate_headers(m);
}

std::optional<ParseError> Message::Index::validate_headers(Message& m) {
  auto count = [&m](HeaderId id) { return m.count_[static_cast<std::size_t>(id)]; };
  for (const HeaderId id : {HeaderId::To, HeaderId::From, HeaderId::CallId, HeaderId::CSeq,
                            HeaderId::MaxForwards}) {
    if (count(id) > 1) return ParseError::DuplicateSingletonHeader;  // RFC 4475 §3.3.8
  }
  // §8.1.1: To, From, Call-ID, CSeq and Via; Max-Forwards may be missing (RFC 2543 peers).
  for (const HeaderId id : {HeaderId::To, HeaderId::From, HeaderId::CallId, HeaderId::CSeq,
                            HeaderId::Via}) {
    if (count(id) == 0) return ParseError::MissingMandatoryHeader;
  }

  // Via: every value of every field, so that via_count() is exact and no broken Via is
  // forwarded (RFC 4475 §3.1.2.1).
  std::uint32_t vias = 0;
  for (std::size_t i = m.first_[static_cast<std::size_t>(HeaderId::Via)]; i < m.headers_.size(); ++i) {
    const HeaderField& h = m.headers_[i];
    if (h.id != HeaderId::Via) continue;
    std::size_t pos = 0;
    do {
      Via via;
      if (!detail::parse_via_at(h.value, pos, via)) return ParseError::BadVia;
      if (vias == 0) m.top_via_ = via.info;
      ++vias;
    } while (detail::next_list_element(h.value, pos));
  }
  m.via_count_ = vias;

  // Call-ID = word [ "@" word ]; leniently any visible ASCII, no whitespace.
  {
    const std::string_view id = m.first(HeaderId::CallId)->value;
    if (id.empty()) return ParseError::BadCallId;
    for (const char c : id) {
      if (c <= ' ' || c >= 0x7f) return ParseError::BadCallId;
    }
    m.call_id_ = id;
  }

  // CSeq = 1*DIGIT LWS Method; the number fits 32 bits (RFC 4475 §3.1.2.4) and the method is
  // the request's (RFC 4475 §3.1.2.17, §3.1.2.18).
  {
    const std::string_view v = m.first(HeaderId::CSeq)->value;
    const std::size_t digits = text::span_of(v, 0, text::kDigit);
    if (!parse_u32(v.substr(0, digits), 0xFFFFFFFFu, m.cseq_.number)) return ParseError::BadCSeq;
    const std::size_t method_begin = text::skip_ws(v, digits);
    if (method_begin == digits) return ParseError::BadCSeq;
    const std::size_t method_len = text::span_of(v, method_begin, text::kToken);
    if (method_len == 0 || method_begin + method_len != v.size()) return ParseError::BadCSeq;
    m.cseq_.method_token = v.substr(method_begin, method_len);
    m.cseq_.method = method_from_token(m.cseq_.method_token);
    if (m.is_request_ && m.cseq_.method_token != m.method_token_) return ParseError::BadCSeq;
  }

  // From / To: name-addr or addr-spec with a single tag.
  for (const HeaderId id : {HeaderId::From, HeaderId::To}) {
    NameAddr na;
    std::size_t pos = 0;
    std::optional<std::string_view> tag;
    if (!detail::parse_name_addr_at(m.first(id)->value, pos, /*in_list=*/false, na, &tag)) {
      return ParseError::BadFromTo;
    }
    if (tag && (tag->empty() || text::span_of(*tag, 0, text::kToken) != tag->size())) {
      return ParseError::BadFromTo;
    }
    (id == HeaderId::From ? m.from_tag_ : m.to_tag_) = tag.value_or(std::string_view{});
  }

  // Max-Forwards = 1*DIGIT, 0..255 (leading zeros allowed: "0068").
  if (const HeaderField* mf = m.first(HeaderId::MaxForwards)) {
    std::uint32_t value = 0;
    if (!parse_u32(mf->value, 255, value)) return ParseError::BadMaxForwards;
    m.max_forwards_ = value;
  }

  // Contact: "*" or a list of name-addr / addr-spec (RFC 4475 §3.1.2.13: an addr-spec with
  // '?' headers is invalid; §3.1.2.1: empty parameters are invalid).
  if (count(HeaderId::Contact) > 0) {
    for (std::size_t i = m.first_[static_cast<std::size_t>(HeaderId::Contact)]; i < m.headers_.size(); ++i) {
      const HeaderField& h = m.headers_[i];
      if (h.id != HeaderId::Contact) continue;
      if (h.value == "*") continue;
      std::size_t pos = 0;
      do {
        NameAddr na;
        if (!detail::parse_name_addr_at(h.value, pos, /*in_list=*/true, na)) {
          return ParseError::BadContact;
        }
      } while (detail::next_list_element(h.value, pos));
    }
  }
  return std::nullopt;
}

Result<Message, ParseError> Message::parse(std::string bytes, Framing framing) {
  Message m;
  m.buffer_ = std::move(bytes);
  if (const auto error = Index::parse(m, framing)) return unexpected(*error);
  return m;
}

}  // namespace resproxy::sip
