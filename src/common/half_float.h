// IEEE 754 half (F16) and bfloat16 (BF16) conversions: reading safetensors tensors and writing the f16 scales
// of int4 embedding tables. Exact in the float direction (every half is a float), round to nearest even in
// the other.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace kfembed {

inline float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Subnormals, infinities and NaN included.
inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  if (exp == 0x1f) return float_from_bits(sign | 0x7f800000u | (mant << 13));
  if (exp != 0) return float_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
  const float subnormal = static_cast<float>(mant) * 5.9604644775390625e-8f;  // mant · 2^-24, exact
  return sign ? -subnormal : subnormal;
}

inline float bfloat16_to_float(uint16_t b) {
  return float_from_bits(static_cast<uint32_t>(b) << 16);
}

// Round to nearest even; overflow to infinity, NaN stays NaN (quiet).
inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: infinity
  if (abs < 0x38800000u) {  // half subnormal or zero: whole units of 2^-24
    const float units = float_from_bits(abs) * 16777216.0f;
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(units)));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
  const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

}  // namespace kfembed
