#include "model/dns_zone.h"

#include <algorithm>

namespace resproxy::model {

void DnsZone::set(std::string_view name, std::uint16_t type, std::vector<DnsRecord> records) {
  // The new records take the place of the first old one, so that answers keep the zone's order.
  const auto first = std::find_if(records_.begin(), records_.end(), [&](const DnsRecord& r) {
    return r.type == type && same_dns_name(r.name, name);
  });
  const auto at = static_cast<std::size_t>(first - records_.begin());
  std::erase_if(records_, [&](const DnsRecord& r) { return r.type == type && same_dns_name(r.name, name); });
  for (auto& r : records) {
    r.name = std::string(name);
    r.type = type;
  }
  records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(std::min(at, records_.size())),
                  std::make_move_iterator(records.begin()), std::make_move_iterator(records.end()));
}

void DnsZone::add(DnsRecord record) { records_.push_back(std::move(record)); }

DnsMessage DnsZone::answer(const DnsMessage& query) const {
  const DnsQuestion& q = query.questions.front();
  if (q.klass != kDnsClassIn) return dns_error_response(query, DnsRcode::Refused);
  std::vector<DnsRecord> found;
  bool name_exists = false;
  for (const auto& r : records_) {
    if (!same_dns_name(r.name, q.name)) continue;
    name_exists = true;
    if (r.type == q.type) {
      found.push_back(r);
      found.back().name = q.name;  // the owner name as asked (case and all)
    }
  }
  if (!name_exists) return dns_error_response(query, DnsRcode::NameError);
  return dns_answer(query, std::move(found));  // empty: NODATA
}

std::optional<std::string> DnsZone::respond(std::string_view bytes) const {
  auto query = decode_dns_message(bytes);
  if (!query) {
    // RFC 1035 §4.1.1: FORMERR when the header at least could be read (its id to answer with).
    if (bytes.size() < 12 || (static_cast<std::uint8_t>(bytes[2]) & 0x80) != 0) return std::nullopt;
    DnsMessage header;
    header.id = static_cast<std::uint16_t>((static_cast<std::uint8_t>(bytes[0]) << 8) |
                                           static_cast<std::uint8_t>(bytes[1]));
    auto wire = encode_dns_message(dns_error_response(header, DnsRcode::FormatError));
    return wire ? std::optional<std::string>(std::move(*wire)) : std::nullopt;
  }
  if (query->response) return std::nullopt;  // never answer an answer
  DnsMessage reply;
  if (query->opcode != 0) {
    reply = dns_error_response(*query, DnsRcode::NotImplemented);
  } else if (!query_question(*query)) {
    reply = dns_error_response(*query, DnsRcode::FormatError);
  } else {
    reply = answer(*query);
  }
  auto wire = encode_dns_message(reply);
  if (!wire) {
    // A question we cannot write back (a label with a dot in it): SERVFAIL without it.
    reply.questions.clear();
    reply.answers.clear();
    reply.rcode = DnsRcode::ServerFailure;
    wire = encode_dns_message(reply);
  }
  if (wire && wire->size() > kDnsMaxUdpSize) {
    // RFC 1035 §4.2.1: over 512 octets, truncate and set TC (our stub does not retry over TCP).
    reply.answers.clear();
    reply.truncated = true;
    wire = encode_dns_message(reply);
  }
  return wire ? std::optional<std::string>(std::move(*wire)) : std::nullopt;
}

}  // namespace resproxy::model
