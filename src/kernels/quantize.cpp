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
    // max is order-independent for finite inputs, so the SIMD reduction equals the scalar one exactly.
    v128_t vmax = wasm_f32x4_splat(0.0f);
    size_t i = 0;
    for (; i < k4; i += 4) vmax = wasm_f32x4_max(vmax, wasm_f32x4_abs(wasm_v128_load(xr + i)));
    vmax = wasm_f32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
    vmax = wasm_f32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
    float amax = wasm_f32x4_extract_lane(vmax, 0);
    for (; i < k; ++i) amax = std::max(amax, std::fabs(xr[i]));
    float inv;
    row_params(amax, &scales[r], &inv);

    const v128_t vinv = wasm_f32x4_splat(inv);
    const v128_t vmin = wasm_i8x16_splat(-127);  // saturating narrows clamp at -128; the scalar twin at -127
    for (i = 0; i < k16; i += 16) {
      v128_t q0 =
          wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(xr + i), vinv)));
      v128_t q1 =
          wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(xr + i + 4), vinv)));
      v128_t q2 =
          wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(xr + i + 8), vinv)));
      v128_t q3 =
          wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(wasm_v128_load(xr + i + 12), vinv)));
      v128_t q8 = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q0, q1), wasm_i16x8_narrow_i32x4(q2, q3));
      wasm_v128_store(qr + i, wasm_i8x16_max(q8, vmin));
    }
    for (; i < k; ++i) qr[i] = quantize_one(xr[i], inv);
  }
}

}  // namespace kfembed
