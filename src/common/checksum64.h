// A fast 64-bit checksum, incremental like sha256.h: what a cached copy of a model file is checked against
// when it is read back (js/cache.js). SHA-256 identifies a file's version (manifests, downloads); reading a
// 188 MB cached package back only has to prove that the bytes are those that were written, which this does
// at memory speed while they stream in. Not for adversaries: anyone who can write the cache can write its
// headers too.
//
// Four lanes of 64-bit multiply-rotate rounds over 32-byte blocks (the structure of xxHash64), then the
// lanes, the length and the tail folded in and the result avalanched. Header-only (kf_common is an INTERFACE
// library); no global state.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace kfembed {

class Checksum64 {
 public:
  Checksum64() { reset(); }

  void reset() {
    lanes_ = {kP1 + kP2, kP2, 0, 0 - kP1};
    buffered_ = 0;
    length_ = 0;
  }

  void update(const void* data, size_t size) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    length_ += size;
    if (buffered_ > 0) {
      const size_t take = size < kBlock - buffered_ ? size : kBlock - buffered_;
      std::memcpy(buffer_.data() + buffered_, p, take);
      buffered_ += take;
      p += take;
      size -= take;
      if (buffered_ < kBlock) return;
      block(buffer_.data());
      buffered_ = 0;
    }
    for (; size >= kBlock; p += kBlock, size -= kBlock) block(p);
    if (size > 0) std::memcpy(buffer_.data(), p, size);  // p may be null when nothing was given
    buffered_ = size;
  }

  uint64_t digest() const {
    uint64_t h = rotl(lanes_[0], 1) + rotl(lanes_[1], 7) + rotl(lanes_[2], 12) + rotl(lanes_[3], 18);
    for (uint64_t lane : lanes_) h = (h ^ round(0, lane)) * kP1 + kP4;
    h += length_;
    const uint8_t* p = buffer_.data();
    size_t n = buffered_;
    for (; n >= 8; p += 8, n -= 8) h = rotl(h ^ round(0, load64(p)), 27) * kP1 + kP4;
    for (; n > 0; ++p, --n) h = rotl(h ^ (*p * kP5), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
  }

  // 16 lowercase hex digits.
  std::string hexdigest() const {
    static const char* kHex = "0123456789abcdef";
    const uint64_t h = digest();
    std::string out(16, '0');
    for (int i = 0; i < 16; ++i) out[i] = kHex[(h >> (60 - 4 * i)) & 0xf];
    return out;
  }

  uint64_t length() const { return length_; }

 private:
  static constexpr size_t kBlock = 32;
  static constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full,
                            kP3 = 0x165667B19E3779F9ull, kP4 = 0x85EBCA77C2B2AE63ull,
                            kP5 = 0x27D4EB2F165667C5ull;

  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t round(uint64_t acc, uint64_t word) { return rotl(acc + word * kP2, 31) * kP1; }
  static uint64_t load64(const uint8_t* p) {  // little-endian hosts only (x86, ARM, WASM)
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  void block(const uint8_t* p) {
    for (int i = 0; i < 4; ++i) lanes_[i] = round(lanes_[i], load64(p + 8 * i));
  }

  std::array<uint64_t, 4> lanes_{};
  std::array<uint8_t, kBlock> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

}  // namespace kfembed
