#pragma once
// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit
// pseudo-random function for short inputs. The core uses it where an outsider must not be able
// to predict or forge the output: MACs it hands out and verifies statelessly (the dialog tag in
// our Record-Route), and later hash-table keys built from wire data. Pure computation.
#include <cstdint>
#include <string>
#include <string_view>

namespace resproxy {

struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
  friend bool operator==(const SipKey&, const SipKey&) = default;
};

// SipHash-2-4 of `data` under `key`; the 16 key bytes are k0 then k1, each little-endian.
[[nodiscard]] std::uint64_t siphash24(const SipKey& key, std::string_view data);

// The hasher of hash tables keyed by wire data (branches, user names): with a secret key,
// nobody can choose keys that all land in one bucket. Not noexcept on purpose: libstdc++ then
// keeps each node's hash, instead of hashing keys again while walking a bucket.
struct KeyedStringHash {
  SipKey key;
  std::size_t operator()(const std::string& text) const { return siphash24(key, text); }
};

// Incremental form: absorb several fields (each followed by a separator the caller chooses) and
// finish once, without building one string.
class SipHasher {
 public:
  explicit SipHasher(const SipKey& key);
  SipHasher& update(std::string_view data);
  [[nodiscard]] std::uint64_t finish() const;

 private:
  void compress(std::uint64_t m);
  std::uint64_t v0_, v1_, v2_, v3_;
  std::uint64_t tail_ = 0;   // pending bytes, little-endian
  unsigned tail_size_ = 0;   // 0..7
  std::uint64_t length_ = 0;
};

}  // namespace resproxy
