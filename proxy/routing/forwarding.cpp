#include "proxy/routing/forwarding.h"

#include <algorithm>
#include <charconv>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"

namespace resproxy::routing {

namespace {

void line(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

namespace {

std::vector<std::string_view> values_of(const sip::Message& message, sip::HeaderId id) {
  std::vector<std::string_view> out;
  for (const auto& field : message.headers()) {
    if (field.id != id) continue;
    std::string_view rest = field.value;
    while (auto v = sip::next_value(rest)) {
      if (!v->empty()) out.push_back(*v);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string_view> route_values(const sip::Message& message) {
  return values_of(message, sip::HeaderId::Route);
}

std::vector<std::string_view> record_route_values(const sip::Message& message) {
  return values_of(message, sip::HeaderId::RecordRoute);
}

bool is_identity_header(std::string_view name) {
  name = sip::text::trim(name);
  return sip::text::iequals(name, "P-Asserted-Identity") ||
         sip::text::iequals(name, "Remote-Party-ID") || sip::text::iequals(name, "Diversion");
}

std::string rewrite_request(const sip::Message& request, const RequestEdits& edits) {
  const std::string_view bytes = request.bytes();
  std::string out;
  out.reserve(bytes.size() + edits.via.size() + 160);
  out += request.method_token();
  out += ' ';
  out += edits.request_uri ? std::string_view(*edits.request_uri) : request.request_uri();
  out += " SIP/2.0\r\n";
  line(out, "Via", edits.via);
  for (const auto& rr : edits.record_route) line(out, "Record-Route", rr);

  std::size_t routes_to_pop = edits.pop_routes;
  bool wrote_max_forwards = false;
  for (const auto& field : request.headers()) {
    switch (field.id) {
      case sip::HeaderId::MaxForwards:
        if (!wrote_max_forwards) line(out, "Max-Forwards", std::to_string(edits.max_forwards));
        wrote_max_forwards = true;
        continue;
      case sip::HeaderId::Route: {
        if (routes_to_pop == 0) break;
        std::string_view rest = field.value;
        std::vector<std::string_view> kept;
        while (auto v = sip::next_value(rest)) {
          if (v->empty()) continue;
          if (routes_to_pop > 0) {
            --routes_to_pop;
          } else {
            kept.push_back(*v);
          }
        }
        if (!kept.empty()) {
          std::string value;
          for (const auto& k : kept) {
            if (!value.empty()) value += ", ";
            value += k;
          }
          line(out, "Route", value);
        }
        continue;
      }
      case sip::HeaderId::Other:
        if (edits.strip_identity && is_identity_header(field.name)) continue;
        break;
      case sip::HeaderId::ContentLength:
        if (edits.body) continue;  // written with the new body below
        break;
      default:
        break;
    }
    out += field.raw;
    out += "\r\n";
  }
  if (!wrote_max_forwards) line(out, "Max-Forwards", std::to_string(edits.max_forwards));
  for (const auto& extra : edits.add) line(out, extra.name, extra.value);
  if (edits.body) {
    line(out, "Content-Length", std::to_string(edits.body->size()));
    out += "\r\n";
    out += *edits.body;
    return out;
  }
  out += "\r\n";
  out += request.body();
  return out;
}

std::string with_body(const sip::Message& message, std::string_view body) {
  const std::string_view bytes = message.bytes();
  std::string out;
  out.reserve(bytes.size() + body.size());
  out += bytes.substr(0, bytes.find("\r\n") + 2);  // the start line as received
  for (const auto& field : message.headers()) {
    if (field.id == sip::HeaderId::ContentLength) continue;
    out += field.raw;
    out += "\r\n";
  }
  line(out, "Content-Length", std::to_string(body.size()));
  out += "\r\n";
  out += body;
  return out;
}

std::string strip_top_via(const sip::Message& response) {
  return strip_top_via(response, RecordRouteRewrite{});
}

std::string strip_top_via(const sip::Message& response, const RecordRouteRewrite& rewrite) {
  const std::string_view bytes = response.bytes();
  std::string out;
  out.reserve(bytes.size());
  // The status line as received.
  const auto eol = bytes.find("\r\n");
  out += bytes.substr(0, eol + 2);
  bool stripped = false;
  for (const auto& field : response.headers()) {
    if (!stripped && field.id == sip::HeaderId::Via) {
      stripped = true;
      std::string_view rest = field.value;
      (void)sip::next_value(rest);  // drop the first value
      std::string remaining;
      while (auto v = sip::next_value(rest)) {
        if (v->empty()) continue;
        if (!remaining.empty()) remaining += ", ";
        remaining += *v;
      }
      if (!remaining.empty()) line(out, "Via", remaining);
      continue;
    }
    if (rewrite && field.id == sip::HeaderId::RecordRoute) {
      std::string_view rest = field.value;
      std::string value;
      bool changed = false;
      while (auto v = sip::next_value(rest)) {
        if (v->empty()) continue;
        if (!value.empty()) value += ", ";
        if (auto replaced = rewrite(*v)) {
          value += *replaced;
          changed = true;
        } else {
          value += *v;
        }
      }
      if (changed) {
        line(out, "Record-Route", value);
        continue;
      }
    }
    out += field.raw;
    out += "\r\n";
  }
  out += "\r\n";
  out += response.body();
  return out;
}

std::string cap_register_expiry(const sip::Message& response, std::int64_t max_seconds) {
  const auto capped = [max_seconds](std::string_view value) {
    std::int64_t v = 0;
    const auto t = sip::text::trim(value);
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || end != t.data() + t.size()) v = max_seconds;
    return std::to_string(std::min(v, max_seconds));
  };
  const std::string_view bytes = response.bytes();
  std::string out;
  out.reserve(bytes.size() + 32);
  out += bytes.substr(0, bytes.find("\r\n") + 2);
  for (const auto& field : response.headers()) {
    if (field.id == sip::HeaderId::Expires) {
      line(out, "Expires", capped(field.value));
      continue;
    }
    if (field.id == sip::HeaderId::Contact) {
      auto list = sip::parse_name_addr_list(field.value);
      if (list && !list->empty()) {
        std::string value;
        for (const auto& na : *list) {
          std::string params(na.params);
          if (auto e = na.param("expires")) {
            const std::size_t at = static_cast<std::size_t>(e->data() - na.params.data());
            params.replace(at, e->size(), capped(*e));
          } else {
            params += ";expires=" + std::to_string(max_seconds);
          }
          if (!value.empty()) value += ", ";
          if (!na.display_name.empty()) {
            value += na.display_name;
            value += ' ';
          }
          value += '<';
          value += na.uri;
          value += '>';
          value += params;
        }
        line(out, "Contact", value);
        continue;
      }
    }
    out += field.raw;
    out += "\r\n";
  }
  out += "\r\n";
  out += response.body();
  return out;
}

std::string loop_hash(const sip::Message& request, const OurVias& ours) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // field separator
    h *= 0x100000001b3ULL;
  };
  mix(request.request_uri());
  bool mixed_via = false;
  for (const auto& field : request.headers()) {
    if (field.id != sip::HeaderId::Via || mixed_via) continue;
    std::string_view rest = field.value;
    while (auto value = sip::next_value(rest)) {
      auto via = sip::parse_via(*value);
      if (via && ours.is_ours(via->info)) continue;
      mix(*value);
      mixed_via = true;
      break;
    }
  }
  mix(request.call_id());
  mix(std::to_string(request.cseq().number));
  mix(request.from_tag());
  mix(request.to_tag());
  for (const auto& field : request.headers()) {
    if (field.id == sip::HeaderId::ProxyRequire || field.id == sip::HeaderId::ProxyAuthorization) {
      mix(field.value);
    }
  }
  // 16 hex digits, zero-padded.
  std::string hex(16, '0');
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, h, 16).ptr;
  const auto n = static_cast<std::size_t>(end - digits);
  hex.replace(16 - n, n, digits, n);
  return hex;
}

}  // namespace resproxy::routing
