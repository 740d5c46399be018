// The per-row symmetric int8 quantization shared by quantize.cpp (plain rows) and quantize_scaled.cpp (rows
// multiplied by per-column factors): one definition of the row constants, the rounding and the SIMD row loop,
// so both kernels and their scalar twins give identical bytes by construction. Internal to src/kernels.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace kfembed::quantize_row {

inline void row_params(float amax, float* scale, float* inv) {
  if (amax < kQuantizeMinAbsMax) {
    *scale = 0.0f;
    *inv = 0.0f;
  } else {
    *scale = amax / 127.0f;
    *inv = 127.0f / amax;
  }
}

inline int8_t quantize_one(float v, float inv) {
  float r = std::nearbyint(v * inv);  // default FP env: round half to even, like the SIMD magic-number trick
  r = std::min(127.0f, std::max(-127.0f, r));
  return static_cast<int8_t>(static_cast<int>(r));
}

// Scalar twin of one row: `value(i)` is the float to quantize at column i.
template <class Value>
inline void quantize_row_scalar(size_t k, Value value, int8_t* qr, float* scale) {
  float amax = 0.0f;
  for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(value(i)));
  float inv;
  row_params(amax, scale, &inv);
  for (size_t i = 0; i < k; ++i) qr[i] = quantize_one(value(i), inv);
}

// SIMD128 row: `load4(i)` gives the four floats at columns i..i+3, `value(i)` one float (tails).
template <class Load4, class Value>
inline void quantize_row_simd(size_t k, Load4 load4, Value value, int8_t* qr, float* scale) {
  const size_t k16 = k & ~size_t{15};
  const size_t k4 = k & ~size_t{3};
  // |x| as integer bits orders like |x| as float (finite inputs), and i32x4.max_s is one instruction in V8
  // where f32x4.max is a NaN-aware sequence (timings: bench/kernels/README.md). max is order-independent, so
  // this equals the scalar fold exactly.
  const v128_t abs_mask = wasm_i32x4_splat(0x7fffffff);
  v128_t vmax = wasm_i32x4_splat(0);
  size_t i = 0;
  for (; i < k4; i += 4) vmax = wasm_i32x4_max(vmax, wasm_v128_and(load4(i), abs_mask));
  vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
  vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
  float amax = wasm_f32x4_extract_lane(vmax, 0);
  for (; i < k; ++i) amax = std::max(amax, std::fabs(value(i)));
  float inv;
  row_params(amax, scale, &inv);

  // Round half to even via the 1.5·2^23 trick: adding it leaves round_even(v) in the low mantissa bits for
  // |v| ≤ 2^22 (here |v| ≤ 127), and subtracting its bit pattern yields the integer. Same values as
  // nearbyint + trunc_sat, and faster in V8.
  const v128_t vinv = wasm_f32x4_splat(inv);
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  auto to_i32 = [&](size_t at) {
    return wasm_i32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(load4(at), vinv), magic), magic);
  };
  const v128_t vmin = wasm_i8x16_splat(-127);  // saturating narrows clamp at -128; the scalar twin at -127
  for (i = 0; i < k16; i += 16) {
    const v128_t q01 = wasm_i16x8_narrow_i32x4(to_i32(i), to_i32(i + 4));
    const v128_t q23 = wasm_i16x8_narrow_i32x4(to_i32(i + 8), to_i32(i + 12));
    wasm_v128_store(qr + i, wasm_i8x16_max(wasm_i8x16_narrow_i16x8(q01, q23), vmin));
  }
  for (; i < k; ++i) qr[i] = quantize_one(value(i), inv);
}

}  // namespace kfembed::quantize_row
