// The parser behind Message::parse (message.h), Message::Index (message_index.h): the start line,
// the header fields as views into the buffer, the body, and the eager validation of the headers
// every proxy path reads (RFC 3261 §7, §8.1.1, §18.3, §20; RFC 4475). The element grammars it
// shares with the lazy parsers are in parse_detail.h.
#include <cstring>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/message.h"
#include "proxy/sip/message_index.h"
#include "proxy/sip/parse_detail.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::sip {

using text::iequals;
constexpr auto npos = std::string_view::npos;

// --- The parser ------------------------------------------------------------------------------

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
  if (const HeaderField* cl = first(m, HeaderId::ContentLength)) {
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
    const std::string_view id = first(m, HeaderId::CallId)->value;
    if (id.empty()) return ParseError::BadCallId;
    for (const char c : id) {
      if (c <= ' ' || c >= 0x7f) return ParseError::BadCallId;
    }
    m.call_id_ = id;
  }

  // CSeq = 1*DIGIT LWS Method; the number fits 32 bits (RFC 4475 §3.1.2.4) and the method is
  // the request's (RFC 4475 §3.1.2.17, §3.1.2.18).
  {
    const std::string_view v = first(m, HeaderId::CSeq)->value;
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
    if (!detail::parse_name_addr_at(first(m, id)->value, pos, /*in_list=*/false, na, &tag)) {
      return ParseError::BadFromTo;
    }
    if (tag && (tag->empty() || text::span_of(*tag, 0, text::kToken) != tag->size())) {
      return ParseError::BadFromTo;
    }
    (id == HeaderId::From ? m.from_tag_ : m.to_tag_) = tag.value_or(std::string_view{});
  }

  // Max-Forwards = 1*DIGIT, 0..255 (leading zeros allowed: "0068").
  if (const HeaderField* mf = first(m, HeaderId::MaxForwards)) {
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

}  // namespace resproxy::sip
