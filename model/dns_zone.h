#pragma once
// DnsZone: the records an authoritative DNS server holds, and its answer to one query
// (RFC 1034 §4.3.2, without delegation or CNAME): the records of the asked name and type;
// NODATA when the name has records of other types only; NXDOMAIN when it has none. Pure, no
// ns-3: the simulated DNS server (dns_server.h) puts it on a UDP socket, and a scenario changes
// its records at given times (an ITSP moving its proxy).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/dns_message.h"

namespace resproxy::model {

class DnsZone {
 public:
  // Replaces every record of `name` and `type` with `records` (their name and type are set to
  // these); an empty list removes them.
  void set(std::string_view name, std::uint16_t type, std::vector<DnsRecord> records);
  void add(DnsRecord record);
  [[nodiscard]] const std::vector<DnsRecord>& records() const { return records_; }

  // What the zone says to a query (its bytes, from the wire: untrusted), or nullopt when nothing
  // is to be sent: a response, or bytes that are not a DNS message at all. A message that is one
  // but not a plain query gets FORMERR or NOTIMP; a question of another class REFUSED.
  [[nodiscard]] std::optional<std::string> respond(std::string_view query) const;
  // The answer to a decoded standard query.
  [[nodiscard]] DnsMessage answer(const DnsMessage& query) const;

 private:
  std::vector<DnsRecord> records_;  // in the order added: answers keep it
};

}  // namespace resproxy::model
