#pragma once
// Binding: one Contact registered for an address-of-record (RFC 3261 §10), with what the
// location service needs to reach it again: where the REGISTER came from (received address and
// port, transport, TCP connection) — so calls find phones behind NAT and over their own TCP
// connection — and the Call-ID/CSeq that orders refreshes (§10.3 step 7).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/base/net.h"
#include "proxy/base/time.h"

namespace resproxy::registrar {

struct Binding {
  std::string user;          // AOR user part as registered (the location key)
  std::string domain;        // AOR host, lower-cased
  std::string contact;       // the Contact URI, byte-exact: the Request-URI of calls to it
  std::string call_id;
  std::uint32_t cseq = 0;
  TimePoint expires_at{};
  TimePoint registered_at{};
  std::uint64_t sequence = 0;  // registration order: the highest is the latest
  Path source;                 // transport, our local address, received ip:port, stream
  std::string user_agent;
  // Learned from a 2xx the ITSP gave (registration caching, forward_itsp/sip_trunk) or
  // registered here (standalone, or failure operation).
  bool from_itsp = false;
  // How many times this binding (user, contact) was written: 1 when it is created, one more at
  // each refresh or change. A store shared by two proxies keeps the record with the higher
  // revision (supersedes()); a writer whose revision is not above the stored one lost a race
  // and must read again before it writes.
  std::uint64_t revision = 0;

  friend bool operator==(const Binding&, const Binding&) = default;
};

// Store records: key "reg/<user>/<contact>", value a length-prefixed field list whose first
// field is the format. Format "b3": times are wall-clock nanoseconds since the Unix epoch (core
// time + `wall_offset`), so that a restart or a reboot, whose core epoch differs, still knows
// when each binding expires; the last field is the revision. "b2" is b3 without the revision
// (decoded as revision 0, written again as b3 at the binding's next change). Format "b1"
// (before 0.2) held the daemon's steady-clock time, which restarts at boot: such a record
// decodes with `legacy` set and its times as they were (core time of the run that wrote it);
// the caller decides whether to believe them.
std::string binding_key(std::string_view user, std::string_view contact);
inline constexpr std::string_view kBindingKeyPrefix = "reg/";
std::string encode_binding(const Binding& binding, Duration wall_offset);
// nullopt for a record that does not decode (it is skipped and counted, never fatal).
std::optional<Binding> decode_binding(std::string_view value, Duration wall_offset,
                                      bool* legacy = nullptr);

// Whether `a` is a later write of the same binding than `b`: the higher revision; on equal
// revisions (two proxies wrote the same revision) the later registration, then the later
// expiry, so every reader picks the same record.
bool supersedes(const Binding& a, const Binding& b);

}  // namespace resproxy::registrar
