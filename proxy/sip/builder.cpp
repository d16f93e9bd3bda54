#include "proxy/sip/builder.h"

#include <charconv>
#include <optional>

#include "proxy/base/check.h"
#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"

namespace resproxy::sip {

namespace {

constexpr std::string_view kCrlf = "\r\n";

void append_number(std::string& out, std::uint64_t n) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, r.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += kCrlf;
}

// Writes text with CR and LF replaced by SP: for values taken from bytes that did not parse
// (a lone CR or LF would otherwise end our header early) and for caller-supplied reasons.
void append_flattened(std::string& out, std::string_view text) {
  for (const char c : text) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

void append_status_line(std::string& out, int status_code, std::string_view reason) {
  // our own invariant: callers pass a status code of their choosing, 100..699
  RESPROXY_ASSERT(status_code >= 100 && status_code <= 699);
  out += "SIP/2.0 ";
  append_number(out, static_cast<std::uint64_t>(status_code));
  out += ' ';
  append_flattened(out, reason.empty() ? default_reason(status_code) : reason);
  out += kCrlf;
}

void append_content_length_and_body(std::string& out, std::string_view body) {
  out += "Content-Length: ";
  append_number(out, body.size());
  out += kCrlf;
  out += kCrlf;
  out += body;
}

// The first via-parm of the first Via field: the top Via (§17.1.1.3, §9.1).
std::string_view top_via_value(const Message& m) {
  const HeaderField* via = m.first(HeaderId::Via);
  if (via == nullptr) return {};
  std::string_view rest = via->value;
  return next_value(rest).value_or(std::string_view{});
}

std::string_view value_of(const Message& m, HeaderId id) {
  const HeaderField* h = m.first(id);
  return h == nullptr ? std::string_view{} : h->value;
}

void append_routes(std::string& out, const Message& m) {
  for (const HeaderField& h : m.headers()) {
    if (h.id == HeaderId::Route) append_header(out, "Route", h.value);
  }
}

// Whether a To value from unparsed bytes already carries a tag.
bool has_tag_param(std::string_view to_value) {
  if (const auto na = parse_name_addr(to_value)) return na->param("tag").has_value();
  for (std::size_t i = 0; i + 5 <= to_value.size(); ++i) {
    if (text::iequals(to_value.substr(i, 5), ";tag=")) return true;
  }
  return false;
}

}  // namespace

std::string_view default_reason(int status_code) {
  switch (status_code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 199: return "Early Dialog Terminated";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Notification";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 412: return "Conditional Request Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 417: return "Unknown Resource-Priority";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 428: return "Use Identity Header";
    case 429: return "Provide Referrer Identity";
    case 430: return "Flow Failed";
    case 433: return "Anonymity Disallowed";
    case 436: return "Bad Identity-Info";
    case 437: return "Unsupported Certificate";
    case 438: return "Invalid Identity Header";
    case 439: return "First Hop Lacks Outbound Support";
    case 440: return "Max-Breadth Exceeded";
    case 469: return "Bad Info Package";
    case 470: return "Consent Needed";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 494: return "Security Agreement Required";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 555: return "Push Notification Service Not Supported";
    case 580: return "Precondition Failure";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    case 607: return "Unwanted";
    case 608: return "Rejected";
    default: return "Unknown";
  }
}

std::string make_response(const Message& request, int status_code, std::string_view reason,
                          std::string_view to_tag, const std::vector<ExtraHeader>& extra,
                          std::string_view body) {
  std::string out;
  out.reserve(256 + request.bytes().size() / 2 + body.size());
  append_status_line(out, status_code, reason);
  // §8.2.6.2: Via fields in order, From, To, Call-ID and CSeq copied.
  for (const HeaderField& h : request.headers()) {
    if (h.id == HeaderId::Via) append_header(out, "Via", h.value);
  }
  append_header(out, "From", value_of(request, HeaderId::From));
  out += "To: ";
  out += value_of(request, HeaderId::To);
  if (request.to_tag().empty() && !to_tag.empty() && status_code > 100) {
    out += ";tag=";
    out += to_tag;
  }
  out += kCrlf;
  append_header(out, "Call-ID", value_of(request, HeaderId::CallId));
  append_header(out, "CSeq", value_of(request, HeaderId::CSeq));
  if (status_code == 100) {  // §8.2.6.1
    if (const HeaderField* ts = request.first(HeaderId::Timestamp)) {
      append_header(out, "Timestamp", ts->value);
    }
  }
  for (const ExtraHeader& h : extra) append_header(out, h.name, h.value);
  append_content_length_and_body(out, body);
  return out;
}

std::string make_request(std::string_view method, std::string_view request_uri,
                         const std::vector<ExtraHeader>& headers, std::string_view body) {
  std::string out;
  out.reserve(128 + method.size() + request_uri.size() + body.size() + headers.size() * 48);
  out += method;
  out += ' ';
  out += request_uri;
  out += " SIP/2.0";
  out += kCrlf;
  for (const ExtraHeader& h : headers) append_header(out, h.name, h.value);
  append_content_length_and_body(out, body);
  return out;
}

namespace {

// ACK for a non-2xx and CANCEL share their shape (§17.1.1.3, §9.1): the request's Request-URI,
// top Via, Route set, From and Call-ID, CSeq number with the new method, no body; only To
// differs (the response's for ACK, the request's for CANCEL). The fields before To, then those
// after it:
void append_same_hop_head(std::string& out, std::string_view method, const Message& request) {
  out += method;
  out += ' ';
  out += request.request_uri();
  out += " SIP/2.0";
  out += kCrlf;
  append_header(out, "Via", top_via_value(request));
  append_routes(out, request);
  append_header(out, "Max-Forwards", "70");
  append_header(out, "From", value_of(request, HeaderId::From));
}

void append_same_hop_tail(std::string& out, std::string_view method, const Message& request) {
  append_header(out, "Call-ID", request.call_id());
  out += "CSeq: ";
  append_number(out, request.cseq().number);
  out += ' ';
  out += method;
  out += kCrlf;
  append_content_length_and_body(out, {});
}

std::string make_same_hop_request(std::string_view method, const Message& request,
                                  std::string_view to) {
  std::string out;
  out.reserve(512);
  append_same_hop_head(out, method, request);
  append_header(out, "To", to);
  append_same_hop_tail(out, method, request);
  return out;
}

}  // namespace

std::string make_ack_for_non2xx(const Message& invite, const Message& response) {
  return make_same_hop_request("ACK", invite, value_of(response, HeaderId::To));
}

AckTemplate make_ack_template(const Message& invite) {
  AckTemplate ack;
  append_same_hop_head(ack.before_to, "ACK", invite);
  append_same_hop_tail(ack.after_to, "ACK", invite);
  return ack;
}

std::string make_ack_for_non2xx(const AckTemplate& ack, const Message& response) {
  std::string out;
  const std::string_view to = value_of(response, HeaderId::To);
  out.reserve(ack.before_to.size() + to.size() + 6 + ack.after_to.size());
  out += ack.before_to;
  append_header(out, "To", to);
  out += ack.after_to;
  return out;
}

std::string make_cancel(const Message& request) {
  return make_same_hop_request("CANCEL", request, value_of(request, HeaderId::To));
}

std::optional<std::string> make_stateless_error_response(std::string_view bytes, int status_code,
                                                         std::string_view reason,
                                                         std::string_view to_tag) {
  std::size_t pos = 0;
  while (pos < bytes.size() && (bytes[pos] == '\r' || bytes[pos] == '\n')) ++pos;
  // Reads one line (CRLF or a bare LF ends it) from `pos`; false at the end of the bytes.
  auto next_line = [&bytes, &pos](std::string_view& line) {
    if (pos >= bytes.size()) return false;
    std::size_t lf = bytes.find('\n', pos);
    if (lf == std::string_view::npos) lf = bytes.size();
    std::size_t e = lf;
    if (e > pos && bytes[e - 1] == '\r') --e;
    line = bytes.substr(pos, e - pos);
    pos = lf < bytes.size() ? lf + 1 : bytes.size();
    return true;
  };
  std::string_view line;
  if (!next_line(line)) return std::nullopt;
  // It must look like a request: Method SP …; a response is never answered (§18.4 drops it).
  if (line.size() >= 4 && text::iequals(line.substr(0, 4), "SIP/")) return std::nullopt;
  const std::size_t method_len = text::span_of(line, 0, text::kToken);
  if (method_len == 0 || method_len >= line.size() || line[method_len] != ' ') return std::nullopt;

  struct Field {
    HeaderId id;
    std::size_t begin;       // offset of the value in bytes
    std::size_t end;         // offset just past the field (all continuation lines)
  };
  std::vector<Field> fields;
  bool previous_kept = false;  // a continuation line belongs to the field before it, kept or not
  while (next_line(line)) {
    if (line.empty()) break;
    if (text::is_wsp(line.front())) {  // continuation of the previous field
      if (previous_kept) {
        fields.back().end = static_cast<std::size_t>(line.data() + line.size() - bytes.data());
      }
      continue;
    }
    previous_kept = false;
    const std::size_t name_len = text::span_of(line, 0, text::kToken);
    std::size_t colon = name_len;
    while (colon < line.size() && text::is_wsp(line[colon])) ++colon;
    if (name_len == 0 || colon >= line.size() || line[colon] != ':') continue;  // skip junk
    const HeaderId id = header_id_from_name(line.substr(0, name_len));
    if (id != HeaderId::Via && id != HeaderId::From && id != HeaderId::To &&
        id != HeaderId::CallId && id != HeaderId::CSeq) {
      continue;
    }
    const auto begin = static_cast<std::size_t>(line.data() + colon + 1 - bytes.data());
    const auto end = static_cast<std::size_t>(line.data() + line.size() - bytes.data());
    fields.push_back(Field{id, begin, end});
    previous_kept = true;
  }
  bool has_via = false;
  for (const Field& f : fields) has_via = has_via || f.id == HeaderId::Via;
  if (!has_via) return std::nullopt;

  std::string out;
  out.reserve(256 + bytes.size() / 4);
  append_status_line(out, status_code, reason);
  auto field_value = [&bytes](const Field& f) {
    return text::trim(bytes.substr(f.begin, f.end - f.begin));
  };
  auto append_first = [&](HeaderId id, std::string_view name, bool add_tag) {
    for (const Field& f : fields) {
      if (f.id != id) continue;
      const std::string_view value = field_value(f);
      out += name;
      out += ": ";
      append_flattened(out, value);
      if (add_tag && !to_tag.empty() && status_code > 100 && !has_tag_param(value)) {
        out += ";tag=";
        out += to_tag;
      }
      out += kCrlf;
      return;  // singletons: the first occurrence only
    }
  };
  for (const Field& f : fields) {
    if (f.id != HeaderId::Via) continue;
    out += "Via: ";
    append_flattened(out, field_value(f));
    out += kCrlf;
  }
  append_first(HeaderId::From, "From", false);
  append_first(HeaderId::To, "To", true);
  append_first(HeaderId::CallId, "Call-ID", false);
  append_first(HeaderId::CSeq, "CSeq", false);
  append_content_length_and_body(out, {});
  return out;
}

}  // namespace resproxy::sip
