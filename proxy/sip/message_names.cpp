// The names of the SIP message model (message.h): method tokens (RFC 3261 §7.1), header-field
// names in their long and compact forms (§7.3.3) and the parse errors' names and statuses. Pure
// tables; the parser is in message_parser.cpp, the Message value type in message.cpp.
#include "proxy/sip/message.h"

#include "proxy/sip/text.h"

namespace resproxy::sip {

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

}  // namespace resproxy::sip
