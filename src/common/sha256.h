// SHA-256 (FIPS 180-4), incremental: update() any number of times, then digest()/hexdigest(). The JS loader
// hashes model files chunk by chunk as they stream into WASM memory (WebCrypto has no incremental digest), so
// a file is verified without a second pass or a copy. Header-only so that every target (kf_common is an
// INTERFACE library) can use it; no global state.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kfembed {

class Sha256 {
 public:
  Sha256() { reset(); }

  void reset() {
    state_ = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au, 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
    buffered_ = 0;
    length_ = 0;
  }

  void update(const void* data, size_t size) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    length_ += size;
    if (buffered_ > 0) {
      const size_t take = size < 64 - buffered_ ? size : 64 - buffered_;
      for (size_t i = 0; i < take; ++i) buffer_[buffered_ + i] = p[i];
      buffered_ += take;
      p += take;
      size -= take;
      if (buffered_ < 64) return;
      compress(buffer_.data());
      buffered_ = 0;
    }
    for (; size >= 64; p += 64, size -= 64) compress(p);
    for (size_t i = 0; i < size; ++i) buffer_[i] = p[i];
    buffered_ = size;
  }

  // Total bytes hashed since the last reset().
  uint64_t length() const { return length_; }

  // The digest of everything passed to update(); the object is left unchanged (more update() calls may follow).
  std::array<uint8_t, 32> digest() const {
    Sha256 copy = *this;
    const uint64_t bits = length_ * 8;
    const uint8_t pad = 0x80;
    copy.update(&pad, 1);
    const uint8_t zero = 0;
    while (copy.buffered_ != 56) copy.update(&zero, 1);
    uint8_t length_be[8];
    for (int i = 0; i < 8; ++i) length_be[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    copy.update(length_be, 8);
    std::array<uint8_t, 32> out{};
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(copy.state_[i] >> (24 - 8 * j));
    }
    return out;
  }

  // Lowercase hex of digest(), 64 characters.
  std::string hexdigest() const {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(64);
    for (uint8_t b : digest()) {
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
    return out;
  }

  static std::string hex(const void* data, size_t size) {
    Sha256 h;
    h.update(data, size);
    return h.hexdigest();
  }

 private:
  static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  void compress(const uint8_t* block) {
    static constexpr uint32_t kK[64] = {
        0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
        0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
        0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
        0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
        0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
        0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
        0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
        0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};
    uint32_t w[64];
    for (int t = 0; t < 16; ++t) {
      w[t] = (uint32_t(block[4 * t]) << 24) | (uint32_t(block[4 * t + 1]) << 16) | (uint32_t(block[4 * t + 2]) << 8) |
             uint32_t(block[4 * t + 3]);
    }
    for (int t = 16; t < 64; ++t) {
      const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int t = 0; t < 64; ++t) {
      const uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kK[t] + w[t];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
  }

  std::array<uint32_t, 8> state_{};
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

}  // namespace kfembed
