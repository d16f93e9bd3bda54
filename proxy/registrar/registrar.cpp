#include "proxy/registrar/registrar.h"

#include <algorithm>
#include <charconv>

#include "proxy/sip/header_parsers.h"
#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::registrar {

namespace {

RegisterPlan error(int status, std::string_view reason) {
  RegisterPlan plan;
  plan.status = status;
  plan.reason = reason;
  return plan;
}

// A delta-seconds value (RFC 3261 §25.1); absurd values saturate at a day's worth of years.
std::optional<std::int64_t> delta_seconds(std::string_view text) {
  text = sip::text::trim(text);
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = sip::text::to_lower(c);
  return out;
}

}  // namespace

RegisterPlan Registrar::plan(const sip::Message& request, const Path& path, TimePoint now) {
  // §10.3 step 5: the AOR comes from To; it must be a SIP or SIPS URI.
  const sip::HeaderField* to = request.first(sip::HeaderId::To);
  if (to == nullptr) return error(400, "Missing To");
  auto to_addr = sip::parse_name_addr(to->value);
  if (!to_addr) return error(400, "Bad To");
  auto aor = sip::parse_uri(to_addr->uri);
  if (!aor || !aor->is_sip() || aor->user.empty()) return error(400, "Invalid AOR");
  RegisterPlan plan;
  plan.user = std::string(aor->user);

  std::optional<std::int64_t> header_expires;
  if (const auto* expires = request.first(sip::HeaderId::Expires)) {
    header_expires = delta_seconds(expires->value);
    if (!header_expires) return error(400, "Bad Expires");
  }

  // Collect every Contact value of every Contact field.
  std::vector<sip::NameAddr> contacts;
  bool star = false;
  for (const auto& field : request.headers()) {
    if (field.id != sip::HeaderId::Contact) continue;
    if (sip::is_star(field.value)) {
      star = true;
      continue;
    }
    auto list = sip::parse_name_addr_list(field.value);
    if (!list) return error(400, "Bad Contact");
    if (contacts.empty()) {
      contacts = std::move(*list);  // the usual single Contact field: no copy
    } else {
      contacts.insert(contacts.end(), list->begin(), list->end());
    }
  }

  if (star) {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if (!contacts.empty() || header_expires != 0) return error(400, "Invalid Contact *");
    for (const Binding* b : location_.bindings(plan.user, TimePoint::min())) {
      plan.removals.push_back(b->contact);
    }
    return plan;
  }
  if (contacts.empty()) return plan;  // a query: 200 with the current bindings

  const auto min = std::chrono::duration_cast<std::chrono::seconds>(limits_.min_expires).count();
  const auto max = std::chrono::duration_cast<std::chrono::seconds>(limits_.max_expires).count();
  const auto fallback =
      std::chrono::duration_cast<std::chrono::seconds>(limits_.default_expires).count();
  // Views into the request: each binding copies them once.
  const std::string_view call_id = request.call_id();
  const std::uint32_t cseq = request.cseq().number;
  std::string_view user_agent;
  if (const auto* ua = request.first(sip::HeaderId::UserAgent)) user_agent = ua->value;
  const std::string domain = lower(aor->host);
  plan.upserts.reserve(contacts.size());

  std::size_t added = 0;
  for (const auto& contact : contacts) {
    auto uri = sip::parse_uri(contact.uri);
    if (!uri) return error(400, "Bad Contact URI");
    std::int64_t expires = header_expires.value_or(fallback);
    if (auto param = contact.param("expires")) {
      const auto value = delta_seconds(*param);
      expires = value.value_or(fallback);  // §10.3 step 7: unparsable: the default
    }
    const Binding* existing = location_.find(plan.user, contact.uri);
    // §10.3 step 7: same Call-ID with a lower CSeq is out of order: nothing changes. The same
    // CSeq is this very request again — a retransmission that outlived our transaction, e.g.
    // across a restart after the binding was committed but before the 200 left (kill -9): it
    // changes nothing and is answered with the bindings, as the first copy would have been.
    if (existing != nullptr && existing->expires_at > now && existing->call_id == call_id &&
        existing->cseq >= cseq) {
      if (existing->cseq == cseq) continue;
      return error(500, "Out of Order");
    }
    if (expires == 0) {
      if (existing != nullptr) plan.removals.emplace_back(existing->contact);
      continue;
    }
    if (expires < min) {
      RegisterPlan too_brief = error(423, "Interval Too Brief");
      too_brief.headers.push_back({"Min-Expires", std::to_string(min)});
      return too_brief;
    }
    expires = std::min(expires, max);
    if (existing == nullptr) ++added;
    Binding b;
    b.user = plan.user;
    b.domain = domain;
    b.contact = contact.uri;
    b.call_id = call_id;
    b.cseq = cseq;
    b.registered_at = now;
    b.expires_at = now + std::chrono::seconds(expires);
    b.sequence = location_.next_sequence();
    b.source = path;
    b.user_agent = user_agent;
    b.revision = existing != nullptr ? existing->revision + 1 : 1;
    plan.upserts.push_back(std::move(b));
  }
  if (added > 0) {
    const std::size_t removed = plan.removals.size();
    if (location_.size(plan.user) + added > limits_.max_bindings_per_aor + removed ||
        location_.size() + added > limits_.max_bindings + removed) {
      return error(503, "Too Many Bindings");
    }
  }
  return plan;
}

void Registrar::apply(const RegisterPlan& plan) {
  for (const auto& contact : plan.removals) location_.remove(plan.user, contact);
  for (const auto& b : plan.upserts) location_.upsert(b);
}

std::vector<sip::ExtraHeader> Registrar::contact_headers(std::string_view user,
                                                         TimePoint now) const {
  std::vector<sip::ExtraHeader> out;
  const auto live = location_.bindings(user, now);
  out.reserve(live.size());
  for (const Binding* b : live) {
    const auto remaining = std::chrono::ceil<std::chrono::seconds>(b->expires_at - now).count();
    std::string value;
    value.reserve(b->contact.size() + 32);
    value += '<';
    value += b->contact;
    value += ">;expires=";
    value += std::to_string(remaining);
    out.push_back({"Contact", std::move(value)});
  }
  return out;
}

}  // namespace resproxy::registrar
