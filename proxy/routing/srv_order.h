#pragma once
// SRV ordering: the order in which a client tries the targets of an SRV record set (RFC 2782
// "Usage rules", as RFC 3263 §4.4 asks of SIP). Pure: the records come from DNS (the native
// resolver at start-up, proxy/native/dns_resolver.h; NameResolved while running), the
// randomness from the injected Rng; the result is the order of the ITSP proxies for
// [sipproxy.itsp_proxy] mode = dnssrv.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/base/rng.h"

namespace resproxy::routing {

// One SRV resource record (RFC 2782): the runtime contract's (node.h), by its routing name.
using SrvRecord = resproxy::SrvRecord;

// True for a target of "." (or the empty name the root expands to): RFC 2782 "the service is
// decidedly not available at this domain".
[[nodiscard]] bool is_no_service_target(std::string_view target);

// True if `records` is not empty and every record's target is "." — the domain says it offers
// no such service: the caller must not fall back to A/AAAA records of the domain (RFC 2782).
// An empty set means "no SRV records" instead, where RFC 3263 §4.2 falls back to A/AAAA.
[[nodiscard]] bool says_service_unavailable(std::span<const SrvRecord> records);

// The records to try, in order: priority ascending; within one priority, RFC 2782's weighted
// random order — each pick takes a record with probability weight / (sum of the weights left),
// weight-0 records placed first in the running sum so that they are picked only when the draw
// is 0 (a small chance while weighted records remain, which is why they end up last-ish).
// Records with a "." target are left out. Within one priority, records of equal standing keep
// their input (DNS answer) order, so the result is a function of the input and the Rng's draws.
// Draws one Rng value per record in a priority group with more than one record.
[[nodiscard]] std::vector<SrvRecord> order_srv_records(std::span<const SrvRecord> records,
                                                       Rng& rng);

}  // namespace resproxy::routing
