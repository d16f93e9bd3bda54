#pragma once
// DNS messages on the wire (RFC 1035 §4.1, AAAA: RFC 3596 §2, SRV: RFC 2782): the codec of the
// simulated DNS server (dns_server.h) and of the ns-3 runtime's stub resolver (dns_client.h).
// Pure: bytes in, a DnsMessage or an error out; a DnsMessage in, bytes out. No ns-3, no Asio.
//
// Decoding takes bytes from the wire: untrusted, any length, any content. Every read is bounds
// checked; a compressed name may only point backwards, at most kMaxPointers times, and may not
// grow past 255 octets (RFC 1035 §2.3.4), so a pointer loop or a bad length is an error, never
// a crash or a hang. A, AAAA and SRV rdata are decoded (their length checked against the type);
// other types are kept as raw rdata. Authority and additional records are read (so a malformed
// one is an error) but not kept.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/result.h"

namespace resproxy::model {

// RR types and the class we speak (RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 2782).
inline constexpr std::uint16_t kDnsTypeA = 1;
inline constexpr std::uint16_t kDnsTypeCname = 5;
inline constexpr std::uint16_t kDnsTypeAaaa = 28;
inline constexpr std::uint16_t kDnsTypeSrv = 33;
inline constexpr std::uint16_t kDnsClassIn = 1;

// RCODE (RFC 1035 §4.1.1).
enum class DnsRcode : std::uint8_t {
  NoError = 0,
  FormatError = 1,
  ServerFailure = 2,
  NameError = 3,  // NXDOMAIN
  NotImplemented = 4,
  Refused = 5,
};

struct DnsQuestion {
  std::string name;  // dotted, without the final dot; lower case as it came (compare iequal)
  std::uint16_t type = kDnsTypeA;
  std::uint16_t klass = kDnsClassIn;
  friend bool operator==(const DnsQuestion&, const DnsQuestion&) = default;
};

// SRV rdata (RFC 2782).
struct DnsSrvData {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // "." for the root ("no service")
  friend bool operator==(const DnsSrvData&, const DnsSrvData&) = default;
};

struct DnsRecord {
  std::string name;
  std::uint16_t type = kDnsTypeA;
  std::uint16_t klass = kDnsClassIn;
  std::uint32_t ttl = 0;  // seconds; RFC 2181 §8: values with the top bit set are read as 0
  std::string address;    // A, AAAA: the address as text ("192.0.2.1", "2001:db8::1")
  DnsSrvData srv;         // SRV
  std::string raw;        // any other type: its rdata as it came
  friend bool operator==(const DnsRecord&, const DnsRecord&) = default;
};

struct DnsMessage {
  std::uint16_t id = 0;
  bool response = false;             // QR
  std::uint8_t opcode = 0;           // 0: QUERY
  bool authoritative = false;        // AA
  bool truncated = false;            // TC
  bool recursion_desired = false;    // RD
  bool recursion_available = false;  // RA
  DnsRcode rcode = DnsRcode::NoError;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers;
  friend bool operator==(const DnsMessage&, const DnsMessage&) = default;
};

enum class DnsWireError : std::uint8_t {
  Truncated,     // the message ends inside a header, name, record or rdata
  BadLabel,      // a label type other than length or pointer (0x40, 0x80), or an empty label
  PointerLoop,   // a compression pointer forwards, to itself, or too many of them
  NameTooLong,   // over 255 octets, or a label over 63
  BadRdata,      // rdata length wrong for its type, or rdata that does not fill it exactly
  TooMany,       // more records than a UDP message can hold
  BadAddress,    // (encoding) an A/AAAA address that is not one
};
std::string_view to_string(DnsWireError error);

inline constexpr std::size_t kDnsMaxUdpSize = 512;  // RFC 1035 §2.3.4, without EDNS
inline constexpr int kMaxPointers = 64;

// Reads one message. Trailing bytes after the sections are ignored (RFC 1035 says nothing of
// them; resolvers ignore them).
[[nodiscard]] Result<DnsMessage, DnsWireError> decode_dns_message(std::string_view bytes);

// Writes one message; names are compressed against the names already written (RFC 1035
// §4.1.4). Errors: NameTooLong for a bad name, BadAddress for an A/AAAA address that is not
// one of that family, TooMany for more than 65535 entries in a section.
[[nodiscard]] Result<std::string, DnsWireError> encode_dns_message(const DnsMessage& message);

// --- The stub resolver's side. ---

// A standard query (RD set) for `name` of `type`, class IN.
[[nodiscard]] Result<std::string, DnsWireError> encode_dns_query(std::uint16_t id,
                                                                 std::string_view name,
                                                                 std::uint16_t type);

// --- The server's side. ---

// The question of a standard query (QR clear, opcode QUERY, exactly one question), or nullopt:
// a server answers FORMERR or NOTIMP (dns_error_response) or drops it.
[[nodiscard]] std::optional<DnsQuestion> query_question(const DnsMessage& message);

// The answer to `query`: its id, RD and question echoed, QR and AA set. With records: an answer
// (rcode NoError). Without: NODATA (NoError, no answers). dns_error_response: NXDOMAIN,
// SERVFAIL, FORMERR, REFUSED… with no answers.
[[nodiscard]] DnsMessage dns_answer(const DnsMessage& query, std::vector<DnsRecord> answers);
[[nodiscard]] DnsMessage dns_error_response(const DnsMessage& query, DnsRcode rcode);

// Case-insensitive equality of two dotted names (RFC 4343), ignoring one final dot.
[[nodiscard]] bool same_dns_name(std::string_view a, std::string_view b);

}  // namespace resproxy::model
