#pragma once
// The fuzzer's bytes as a stream of choices: single bytes, 64-bit values, and byte strings with
// a two-byte length (taken modulo a maximum, cut at the end of the input).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace resproxy::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  std::string_view bytes(std::size_t max) {
    const std::size_t want = (static_cast<std::size_t>(byte()) << 8 | byte()) % (max + 1);
    const std::size_t n = std::min(want, size_ - std::min(pos_, size_));
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace resproxy::fuzz
