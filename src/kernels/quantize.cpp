#include "kernels/quantize.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd128.h"

namespace kfembed {
namespace {

// Shared by both twins so the per-row constants are computed identically.
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
  float r = std::nearbyint(v * inv);  // default FP env: round half to even, like f32x4.nearest
  r = std::min(127.0f, std::max(-127.0f, r));
  return static_cast<int8_t>(static_cast<int>(r));
}

}  // namespace

void quantize_rows_i8_scalar(const float* x, size_t m, size_t k, int8_t* q, float* scales) {
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    int8_t* qr = q + r * k;
    float amax = 0.0f;
    for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(xr[i]));
    float inv;
    row_params(amax, &scales[r], &inv);
    for (size_t i = 0; i < k; ++i) qr[i] = quantize_one(xr[i], inv);
  }
}

void quantize_rows_i8(const float* x, size_t m, size_t k, int8_t* q, float* scales) {
  const size_t k16 = k & ~size_t{15};
  const size_t k4 = k & ~size_t{3};
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    int8_t* qr = q + r * k;
    // |x| as integer bits orders like |x| as float (finite inputs), and i32x4.max_s is one instruction in V8
    // where f32x4.max is a NaN-aware sequence ~10x slower. max is order-independent, so this equals the
    // scalar fold exactly.
    const v128_t abs_mask = wasm_i32x4_splat(0x7fffffff);
    v128_t vmax = wasm_i32x4_splat(0);
    size_t i = 0;
    for (; i < k4; i += 4) vmax = wasm_i32x4_max(vmax, wasm_v128_and(wasm_v128_load(xr + i), abs_mask));
    vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
    vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
    float amax = wasm_f32x4_extract_lane(vmax, 0);
    for (; i < k; ++i) amax = std::max(amax, std::fabs(xr[i]));
    float inv;
    row_params(amax, &scales[r], &inv);

    // Round half to even via the 1.5·2^23 trick: adding it leaves round_even(v) in the low mantissa bits for
    // |v| ≤ 2^22 (here |v| ≤ 127), and subtracting its bit pattern yields the integer. Same values as
    // nearbyint + trunc_sat, 2.5x faster in V8.
    const v128_t vinv = wasm_f32x4_splat(inv);
    const v128_t magic = wasm_f32x4_splat(12582912.0f);
    auto to_i32 = [&](const float* p) {
      return wasm_i32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(p), vinv), magic), magic);
    };
    const v128_t vmin = wasm_i8x16_splat(-127);  // saturating narrows clamp at -128; the scalar twin at -127
    for (i = 0; i < k16; i += 16) {
      const v128_t q01 = wasm_i16x8_narrow_i32x4(to_i32(xr + i), to_i32(xr + i + 4));
      const v128_t q23 = wasm_i16x8_narrow_i32x4(to_i32(xr + i + 8), to_i32(xr + i + 12));
      wasm_v128_store(qr + i, wasm_i8x16_max(wasm_i8x16_narrow_i16x8(q01, q23), vmin));
    }
    for (; i < k; ++i) qr[i] = quantize_one(xr[i], inv);
  }
}

}  // namespace kfembed
