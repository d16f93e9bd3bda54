#include "proxy/transport/via_stamp.h"

#include <algorithm>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"

namespace resproxy::transport {

namespace {

using sip::text::iequals;

bool equal_host(std::string_view via_host, std::string_view ip) {
  return iequals(sip::text::strip_brackets(via_host), ip);
}

}  // namespace

std::optional<std::string> stamped_top_via(const sip::Message& request, const Address& source) {
  const sip::ViaInfo& top = request.top_via();
  const bool wants_rport = top.has_rport;
  const bool needs_received = wants_rport || !equal_host(top.host, source.ip);
  if (!needs_received) return std::nullopt;
  const sip::HeaderField* field = request.first(sip::HeaderId::Via);
  if (field == nullptr) return std::nullopt;  // guaranteed present by the parser; defensive
  std::string_view rest = field->value;
  const auto element = sip::next_value(rest);
  if (!element) return std::nullopt;
  auto via = sip::parse_via(*element);
  if (!via) return std::nullopt;
  auto params = sip::parse_params(via->params);
  if (!params) return std::nullopt;

  // Rebuild the via-parm: the sent-protocol and sent-by as they were, then every parameter but
  // received (replaced) and rport (given its value), then received.
  const std::string_view head = element->substr(0, element->size() - via->params.size());
  std::string stamped;
  stamped.reserve(element->size() + 40);
  stamped = head;
  // Whitespace before the first ';' is dropped, a folded line break included: left at the end of
  // the head, a CRLF would end the field before the parameters written after it.
  while (!stamped.empty() && sip::text::is_ws(stamped.back())) stamped.pop_back();
  for (const auto& p : *params) {
    if (iequals(p.name, "received")) continue;
    stamped += ';';
    if (iequals(p.name, "rport")) {
      stamped += "rport=";
      stamped += std::to_string(source.port);
      continue;
    }
    stamped += p.name;
    if (p.has_value) {
      stamped += '=';
      stamped += p.value;
    }
  }
  stamped += ";received=";
  stamped += source.ip;
  return stamped;
}

bool stamp_top_via(sip::Message& request, const Address& source) {
  const auto stamped = stamped_top_via(request, source);
  return stamped && request.replace_top_via(*stamped);
}

}  // namespace resproxy::transport
