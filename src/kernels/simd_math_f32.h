// Vector transcendental helpers shared by the f32 kernels (softmax, GELU). Written once against the wasm
// intrinsics of simd128.h; accuracy is a few float ulps, well inside the 1e-4 parity budget.
#pragma once
#include "kernels/simd128.h"

namespace kfembed {
namespace simd_math {

// e^x for each lane. Range reduction x = n·ln2 + r with |r| <= ln2/2, degree-7 Taylor polynomial of e^r
// (truncation error < 1e-8 relative), then 2^n built directly in the exponent bits. Inputs below -87 flush
// to ~1e-38 rather than 0: callers that need exact zeros (masked softmax) write them explicitly.
inline v128_t exp_f32x4(v128_t x) {
  const v128_t max_x = wasm_f32x4_splat(88.0f);
  const v128_t min_x = wasm_f32x4_splat(-87.0f);
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, min_x), max_x);
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  // ln2 split in a high part exactly representable with few mantissa bits and a low correction.
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  const v128_t two_n =
      wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, two_n);
}

inline float horizontal_sum_f32x4(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

inline float horizontal_max_f32x4(v128_t v) {
  const float a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  const float c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  const float ab = a > b ? a : b, cd = c > d ? c : d;
  return ab > cd ? ab : cd;
}

}  // namespace simd_math
}  // namespace kfembed
