#pragma once
// LocationService: the bindings the registrar created, by user, plus the aliases (extra numbers
// that reach a registered user) and the static local directory (users that always resolve).
// It remembers; the Registrar decides. Deterministic iteration (ordered maps only).
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/base/siphash.h"
#include "proxy/registrar/binding.h"

namespace resproxy::registrar {

class LocationService {
 public:
  // `hash_key`: the user table's key (Rng::hash_key): user names come from the wire.
  explicit LocationService(SipKey hash_key = {}) : by_user_(0, KeyedStringHash{hash_key}) {}
  [[nodiscard]] SipKey hash_key() const { return by_user_.hash_function().key; }
  void add_alias(std::string alias, std::string user) { aliases_[std::move(alias)] = std::move(user); }
  void add_directory_entry(std::string user, std::string contact) {
    directory_[std::move(user)] = std::move(contact);
  }

  // The registered user an alias stands for, or the user itself.
  [[nodiscard]] std::string_view resolve_alias(std::string_view user) const;
  [[nodiscard]] const std::string* directory_contact(std::string_view user) const;

  // Live bindings of `user` (no alias resolution), oldest registration first.
  [[nodiscard]] std::vector<const Binding*> bindings(std::string_view user, TimePoint now) const;
  // The binding that registered last: calls go there (no forking, as the seed says).
  [[nodiscard]] const Binding* latest(std::string_view user, TimePoint now) const;
  // The live binding whose Contact URI equals `uri` (RFC 3261 §19.1.4), for in-dialog requests
  // whose Request-URI is a registered phone's contact.
  [[nodiscard]] const Binding* find_by_contact(std::string_view uri, TimePoint now) const;
  [[nodiscard]] const Binding* find(std::string_view user, std::string_view contact) const;

  void upsert(Binding binding);
  bool remove(std::string_view user, std::string_view contact);
  // Removes and returns every binding that expired at or before `now`.
  std::vector<Binding> take_expired(TimePoint now);
  [[nodiscard]] std::optional<TimePoint> next_expiry() const;

  [[nodiscard]] std::size_t size() const { return count_; }
  [[nodiscard]] std::size_t size(std::string_view user) const;
  // Every binding, by user then registration order.
  [[nodiscard]] std::vector<const Binding*> all() const;
  std::uint64_t next_sequence() { return ++sequence_; }
  void note_sequence(std::uint64_t seen) { sequence_ = std::max(sequence_, seen); }

 private:
  using ExpiryKey = std::pair<TimePoint, std::pair<std::string, std::string>>;
  // An index for find_by_contact: URIs that are equal (§19.1.4) have equal user, host (case-
  // insensitive) and port, so candidates are found by that key and then compared exactly.
  static std::string contact_key(std::string_view uri);
  void index_contact(const Binding& b);
  void unindex_contact(const Binding& b);
  std::multimap<std::string, std::pair<std::string, std::string>, std::less<>> by_contact_;
  // Hashed: every REGISTER and every call looks a user up, among tens of thousands. Keyed
  // (user names come from the wire); the table keeps each node's hash (KeyedStringHash is not
  // noexcept); look-ups build a std::string key, which for user parts up to 15 characters
  // allocates nothing. all() sorts, so no output depends on the hash order.
  std::unordered_map<std::string, std::vector<Binding>, KeyedStringHash> by_user_;
  std::set<ExpiryKey> expiries_;
  std::map<std::string, std::string, std::less<>> aliases_;
  std::map<std::string, std::string, std::less<>> directory_;
  std::size_t count_ = 0;
  std::uint64_t sequence_ = 0;
};

}  // namespace resproxy::registrar
