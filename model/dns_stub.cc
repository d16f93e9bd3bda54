#include "model/dns_stub.h"

#include <algorithm>

namespace resproxy::model {

std::vector<std::uint16_t> dns_query_types(RecordKind kind, bool ipv6) {
  if (kind == RecordKind::Srv) return {kDnsTypeSrv};
  if (ipv6) return {kDnsTypeA, kDnsTypeAaaa};
  return {kDnsTypeA};
}

bool answers_query(const DnsMessage& reply, std::uint16_t id, const DnsQuestion& asked) {
  return reply.response && reply.id == id && reply.questions.size() == 1 &&
         reply.questions.front().type == asked.type && reply.questions.front().klass == asked.klass &&
         same_dns_name(reply.questions.front().name, asked.name);
}

DnsAnswer interpret_dns_answer(const DnsMessage& reply, const DnsQuestion& asked) {
  DnsAnswer out;
  if (reply.truncated) {
    out.error = NameError::ServerFailure;  // no TCP fallback here: the answer is not whole
    return out;
  }
  switch (reply.rcode) {
    case DnsRcode::NoError: break;
    case DnsRcode::NameError: out.error = NameError::NotFound; return out;
    default: out.error = NameError::ServerFailure; return out;
  }
  // The owner names that count: the asked one, and where CNAMEs in the answer lead (bounded by
  // the number of records, so a CNAME loop ends).
  std::vector<std::string> owners{asked.name};
  for (std::size_t round = 0; round < reply.answers.size(); ++round) {
    bool grew = false;
    for (const auto& r : reply.answers) {
      if (r.type != kDnsTypeCname) continue;
      const bool from_owner = std::any_of(owners.begin(), owners.end(),
                                          [&](const std::string& o) { return same_dns_name(o, r.name); });
      if (!from_owner) continue;
      // CNAME rdata is a name; the codec keeps other types raw, so only an uncompressed one is
      // followed (our server never sends CNAMEs; this is for completeness).
      std::string target;
      for (std::size_t i = 0; i < r.raw.size();) {
        const auto length = static_cast<std::uint8_t>(r.raw[i]);
        if (length == 0 || length > 63 || i + 1 + length > r.raw.size()) break;
        if (!target.empty()) target.push_back('.');
        target.append(r.raw, i + 1, length);
        i += 1 + length;
      }
      if (target.empty()) continue;
      const bool known = std::any_of(owners.begin(), owners.end(),
                                     [&](const std::string& o) { return same_dns_name(o, target); });
      if (!known) {
        owners.push_back(std::move(target));
        grew = true;
      }
    }
    if (!grew) break;
  }
  std::optional<std::uint32_t> ttl;
  for (const auto& r : reply.answers) {
    if (r.type != asked.type || r.klass != kDnsClassIn) continue;
    const bool ours = std::any_of(owners.begin(), owners.end(),
                                  [&](const std::string& o) { return same_dns_name(o, r.name); });
    if (!ours) continue;
    if (r.type == kDnsTypeSrv) {
      out.services.push_back(SrvRecord{r.srv.priority, r.srv.weight, r.srv.port, r.srv.target});
    } else {
      out.addresses.push_back(r.address);
    }
    ttl = std::min(ttl.value_or(r.ttl), r.ttl);
  }
  if (out.addresses.empty() && out.services.empty()) {
    out.error = NameError::NoRecords;
    return out;
  }
  out.ttl = std::chrono::seconds(ttl.value_or(0));
  return out;
}

NameResolved combine_dns_answers(std::uint64_t id, const std::vector<DnsAnswer>& answers) {
  NameResolved out;
  out.id = id;
  const auto severity = [](NameError e) {
    switch (e) {
      case NameError::Timeout: return 4;
      case NameError::ServerFailure: return 3;
      case NameError::NotFound: return 2;
      case NameError::NoRecords: return 1;
      default: return 0;
    }
  };
  NameError worst = NameError::NoRecords;
  std::optional<Duration> ttl;
  // IPv4 first (dns_query_types asks A before AAAA), each in DNS order.
  for (const auto& a : answers) {
    if (a.error != NameError::None) {
      if (severity(a.error) > severity(worst)) worst = a.error;
      continue;
    }
    out.addresses.insert(out.addresses.end(), a.addresses.begin(), a.addresses.end());
    out.services.insert(out.services.end(), a.services.begin(), a.services.end());
    ttl = std::min(ttl.value_or(a.ttl), a.ttl);
  }
  if (out.addresses.empty() && out.services.empty()) {
    out.error = worst;
    return out;
  }
  out.ttl = ttl.value_or(Duration{});
  return out;
}

}  // namespace resproxy::model
