#include "proxy/registrar/location_service.h"

#include <algorithm>

#include "proxy/sip/text.h"
#include "proxy/sip/uri.h"

namespace resproxy::registrar {

std::string_view LocationService::resolve_alias(std::string_view user) const {
  const auto it = aliases_.find(user);
  return it == aliases_.end() ? user : std::string_view(it->second);
}

const std::string* LocationService::directory_contact(std::string_view user) const {
  const auto it = directory_.find(user);
  return it == directory_.end() ? nullptr : &it->second;
}

std::vector<const Binding*> LocationService::bindings(std::string_view user, TimePoint now) const {
  std::vector<const Binding*> out;
  const auto it = by_user_.find(std::string(user));
  if (it == by_user_.end()) return out;
  for (const auto& b : it->second) {
    if (b.expires_at > now) out.push_back(&b);
  }
  std::sort(out.begin(), out.end(),
            [](const Binding* a, const Binding* b) { return a->sequence < b->sequence; });
  return out;
}

const Binding* LocationService::latest(std::string_view user, TimePoint now) const {
  const auto live = bindings(user, now);
  return live.empty() ? nullptr : live.back();
}

std::string LocationService::contact_key(std::string_view uri) {
  auto parsed = sip::parse_uri(uri);
  if (!parsed) return std::string(uri);
  std::string key(parsed->user);
  key += '@';
  key += sip::text::lowercase(parsed->host);
  key += ':';
  if (parsed->port) key += std::to_string(*parsed->port);
  return key;
}

void LocationService::index_contact(const Binding& b) {
  by_contact_.emplace(contact_key(b.contact), std::make_pair(b.user, b.contact));
}

void LocationService::unindex_contact(const Binding& b) {
  auto [first, last] = by_contact_.equal_range(contact_key(b.contact));
  for (auto it = first; it != last; ++it) {
    if (it->second.first == b.user && it->second.second == b.contact) {
      by_contact_.erase(it);
      return;
    }
  }
}

const Binding* LocationService::find_by_contact(std::string_view uri, TimePoint now) const {
  auto [first, last] = by_contact_.equal_range(contact_key(uri));
  for (auto it = first; it != last; ++it) {
    const Binding* b = find(it->second.first, it->second.second);
    if (b != nullptr && b->expires_at > now && sip::uri_equal(b->contact, uri)) return b;
  }
  return nullptr;
}

const Binding* LocationService::find(std::string_view user, std::string_view contact) const {
  const auto it = by_user_.find(std::string(user));
  if (it == by_user_.end()) return nullptr;
  for (const auto& b : it->second) {
    if (b.contact == contact || sip::uri_equal(b.contact, contact)) return &b;
  }
  return nullptr;
}

void LocationService::upsert(Binding binding) {
  note_sequence(binding.sequence);
  auto found = by_user_.find(binding.user);
  if (found == by_user_.end()) found = by_user_.try_emplace(binding.user).first;
  auto& list = found->second;
  for (auto& b : list) {
    if (b.contact == binding.contact || sip::uri_equal(b.contact, binding.contact)) {
      // A refresh. The contact index is keyed by user and contact, which a refresh usually
      // keeps byte for byte: then its entry stays. The expiry entry's node is reused, re-keyed.
      const bool same_contact = b.contact == binding.contact;
      if (!same_contact) unindex_contact(b);
      // b's strings are moved into the look-up key: b is replaced just below.
      ExpiryKey old_key{b.expires_at, {std::move(b.user), std::move(b.contact)}};
      auto node = expiries_.extract(old_key);
      b = std::move(binding);
      if (node) {
        node.value().first = b.expires_at;
        if (!same_contact) node.value().second.second = b.contact;
        expiries_.insert(std::move(node));
      } else {
        expiries_.insert({b.expires_at, {b.user, b.contact}});
      }
      if (!same_contact) index_contact(b);
      return;
    }
  }
  expiries_.insert({binding.expires_at, {binding.user, binding.contact}});
  index_contact(binding);
  list.push_back(std::move(binding));
  ++count_;
}

bool LocationService::remove(std::string_view user, std::string_view contact) {
  const auto it = by_user_.find(std::string(user));
  if (it == by_user_.end()) return false;
  auto& list = it->second;
  for (auto b = list.begin(); b != list.end(); ++b) {
    if (b->contact == contact || sip::uri_equal(b->contact, contact)) {
      expiries_.erase({b->expires_at, {b->user, b->contact}});
      unindex_contact(*b);
      list.erase(b);
      --count_;
      if (list.empty()) by_user_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<Binding> LocationService::take_expired(TimePoint now) {
  std::vector<Binding> out;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const auto [user, contact] = expiries_.begin()->second;
    if (const Binding* b = find(user, contact)) out.push_back(*b);
    if (!remove(user, contact)) expiries_.erase(expiries_.begin());
  }
  return out;
}

std::optional<TimePoint> LocationService::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

std::size_t LocationService::size(std::string_view user) const {
  const auto it = by_user_.find(std::string(user));
  return it == by_user_.end() ? 0 : it->second.size();
}

std::vector<const Binding*> LocationService::all() const {
  std::vector<const Binding*> out;
  out.reserve(count_);
  for (const auto& [user, list] : by_user_) {
    for (const auto& b : list) out.push_back(&b);
  }
  std::sort(out.begin(), out.end(), [](const Binding* a, const Binding* b) {
    return a->user != b->user ? a->user < b->user : a->sequence < b->sequence;
  });
  return out;
}

}  // namespace resproxy::registrar
