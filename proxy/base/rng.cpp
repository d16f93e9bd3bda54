#include "proxy/base/rng.h"

namespace resproxy {

namespace {
constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::uint64_t Rng::uniform(std::uint64_t bound) {
  const auto x = static_cast<unsigned __int128>(next_u64() >> 32) * bound;
  return static_cast<std::uint64_t>(x >> 32);
}

std::string Rng::token(std::size_t length) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(length, '0');
  for (auto& c : out) c = kAlphabet[uniform(36)];
  return out;
}

SeededRng::SeededRng(std::uint64_t seed) : seed_(seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

SipKey SeededRng::hash_key() {
  std::uint64_t x = seed_ ^ 0x6b65796564686173ULL;  // "keyedhas": a stream apart from s_
  const std::uint64_t k0 = splitmix64(x);
  const std::uint64_t k1 = splitmix64(x);
  return SipKey{k0, k1};
}

std::uint64_t SeededRng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

}  // namespace resproxy
