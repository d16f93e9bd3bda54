#pragma once
// The decisions of the ns-3 runtime's stub resolver (dns_client.h), without ns-3: which queries
// a ResolveName needs, what one answer means (RFC 1035 §4.3.1, RFC 2308 for NODATA), and the
// NameResolved completion the answers of one look-up add up to. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/dns_message.h"
#include "proxy/base/node.h"

namespace resproxy::model {

// What one query gave.
struct DnsAnswer {
  NameError error = NameError::None;
  std::vector<std::string> addresses{};  // A or AAAA, in answer order
  std::vector<SrvRecord> services{};     // SRV, in answer order
  Duration ttl{};                      // the smallest TTL of the records used
};

// The RR types to ask for: SRV for RecordKind::Srv; A, then AAAA when `ipv6` (a runtime whose
// node has no IPv6 asks for A only: it could not use an AAAA answer).
[[nodiscard]] std::vector<std::uint16_t> dns_query_types(RecordKind kind, bool ipv6);

// `reply` (decoded from the wire: untrusted) to a query for `asked`: NXDOMAIN → NotFound;
// NoError without records of the asked type → NoRecords (NODATA); SERVFAIL, REFUSED, any other
// rcode, a truncated answer → ServerFailure. Only records whose owner is the asked name (or the
// name a CNAME in the answer leads to) and whose type was asked count.
[[nodiscard]] DnsAnswer interpret_dns_answer(const DnsMessage& reply, const DnsQuestion& asked);

// Whether `reply` answers our query `id` for `asked` (id, QR and the echoed question match):
// anything else is dropped, as a forged or stale answer would be.
[[nodiscard]] bool answers_query(const DnsMessage& reply, std::uint16_t id, const DnsQuestion& asked);

// The completion for look-up `id` from the answers of its queries, in the order of
// dns_query_types: addresses IPv4 first; with none, the worst error (Timeout, ServerFailure,
// NotFound, NoRecords in that order); the TTL the smallest of the answers that gave records.
[[nodiscard]] NameResolved combine_dns_answers(std::uint64_t id, const std::vector<DnsAnswer>& answers);

}  // namespace resproxy::model
