#pragma once
// Building SIP messages as bytes: responses to a parsed request (RFC 3261 §8.2.6), new requests
// (§8.1.1), the ACK for a non-2xx final response (§17.1.1.3) and CANCEL (§9.1), and a best-effort
// stateless error response for bytes that did not even parse (§16.3, §18.4: answer if possible).
// Pure functions of their inputs; header values are copied byte-exact from the source message.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/sip/message.h"

namespace resproxy::sip {

struct ExtraHeader {
  std::string_view name;
  std::string value;
};

// The standard reason phrase for a status code ("OK", "Request Timeout", …); "Unknown" if none.
std::string_view default_reason(int status_code);

// A response to `request`: all Via fields in order, From, To (with `to_tag` added when the
// request's To has none, `to_tag` is non-empty and status > 100), Call-ID, CSeq, then `extra`,
// then Content-Length (and the body). Timestamp is copied into 100 Trying (§8.2.6.1).
std::string make_response(const Message& request, int status_code, std::string_view reason,
                          std::string_view to_tag = {}, const std::vector<ExtraHeader>& extra = {},
                          std::string_view body = {});

// A new request. `headers` are written in the order given (Via first is the caller's job);
// Content-Length is appended from `body`.
std::string make_request(std::string_view method, std::string_view request_uri,
                         const std::vector<ExtraHeader>& headers, std::string_view body = {});

// ACK for a non-2xx final response to an INVITE, sent by the client transaction (§17.1.1.3):
// Request-URI, Call-ID, From, top Via and Route from the INVITE; To from the response;
// CSeq <same number> ACK; Max-Forwards 70; no body.
std::string make_ack_for_non2xx(const Message& invite, const Message& response);

// The same ACK for a client transaction that no longer keeps its INVITE (one given up after an
// unanswered CANCEL, RFC 3261 §9.1): what the ACK takes from the INVITE, kept as the ACK's bytes
// before and after its To header field, which comes from the response. A few hundred bytes
// where the INVITE with its body may be several kilobytes.
struct AckTemplate {
  std::string before_to;  // request line, top Via, Route, Max-Forwards, From
  std::string after_to;   // Call-ID, CSeq <number> ACK, Content-Length: 0
};
AckTemplate make_ack_template(const Message& invite);
// Byte for byte what make_ack_for_non2xx(invite, response) builds.
std::string make_ack_for_non2xx(const AckTemplate& ack, const Message& response);

// CANCEL for a pending request (§9.1): Request-URI, Call-ID, From, To, top Via and Route of the
// request, CSeq <same number> CANCEL, Max-Forwards 70.
std::string make_cancel(const Message& request);

// For bytes that failed to parse: if they look like a request and carry at least a Via, build
// `status` with whatever Via/From/To/Call-ID/CSeq fields can be found (values copied as they
// are) and a To tag; otherwise nullopt (drop). Never reads past `bytes`.
std::optional<std::string> make_stateless_error_response(std::string_view bytes, int status_code,
                                                         std::string_view reason,
                                                         std::string_view to_tag);

}  // namespace resproxy::sip
