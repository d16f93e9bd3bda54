#include "proxy/base/siphash.h"

namespace resproxy {

namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
  v0 += v1;
  v1 = rotl(v1, 13);
  v1 ^= v0;
  v0 = rotl(v0, 32);
  v2 += v3;
  v3 = rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = rotl(v1, 17);
  v1 ^= v2;
  v2 = rotl(v2, 32);
}

}  // namespace

SipHasher::SipHasher(const SipKey& key)
    : v0_(key.k0 ^ 0x736f6d6570736575ULL),
      v1_(key.k1 ^ 0x646f72616e646f6dULL),
      v2_(key.k0 ^ 0x6c7967656e657261ULL),
      v3_(key.k1 ^ 0x7465646279746573ULL) {}

void SipHasher::compress(std::uint64_t m) {
  v3_ ^= m;
  sip_round(v0_, v1_, v2_, v3_);
  sip_round(v0_, v1_, v2_, v3_);
  v0_ ^= m;
}

SipHasher& SipHasher::update(std::string_view data) {
  length_ += data.size();
  for (const char c : data) {
    tail_ |= std::uint64_t{static_cast<unsigned char>(c)} << (8 * tail_size_);
    if (++tail_size_ == 8) {
      compress(tail_);
      tail_ = 0;
      tail_size_ = 0;
    }
  }
  return *this;
}

std::uint64_t SipHasher::finish() const {
  SipHasher h = *this;
  h.compress(h.tail_ | (h.length_ & 0xff) << 56);
  h.v2_ ^= 0xff;
  for (int i = 0; i < 4; ++i) sip_round(h.v0_, h.v1_, h.v2_, h.v3_);
  return h.v0_ ^ h.v1_ ^ h.v2_ ^ h.v3_;
}

std::uint64_t siphash24(const SipKey& key, std::string_view data) {
  return SipHasher(key).update(data).finish();
}

}  // namespace resproxy
