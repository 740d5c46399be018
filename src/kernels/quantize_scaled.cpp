#include "kernels/quantize_scaled.h"

#include <algorithm>
#include <cmath>

#include "kernels/quantize.h"
#include "kernels/simd128.h"

namespace kfembed {
namespace {

// Same per-row constants as quantize_rows_i8 (quantize.cpp), shared by both twins.
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

inline float factor_at(const float* factors, size_t i) {
  return factors ? factors[i] : 1.0f;
}

}  // namespace

void quantize_rows_i8_scaled_scalar(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                                    float* scales) {
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    int8_t* qr = q + r * k;
    float amax = 0.0f;
    for (size_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(xr[i] * factor_at(factors, i)));
    float inv;
    row_params(amax, &scales[r], &inv);
    for (size_t i = 0; i < k; ++i) qr[i] = quantize_one(xr[i] * factor_at(factors, i), inv);
  }
}

void quantize_rows_i8_scaled(const float* x, size_t m, size_t k, const float* factors, int8_t* q,
                             float* scales) {
  if (!factors) {
    quantize_rows_i8(x, m, k, q, scales);  // identical arithmetic with factors of 1 (x * 1 == x exactly)
    return;
  }
  const size_t k16 = k & ~size_t{15};
  const size_t k4 = k & ~size_t{3};
  const v128_t abs_mask = wasm_i32x4_splat(0x7fffffff);
  const v128_t magic = wasm_f32x4_splat(12582912.0f);  // 1.5·2^23: round half to even, as in quantize.cpp
  const v128_t vmin = wasm_i8x16_splat(-127);
  for (size_t r = 0; r < m; ++r) {
    const float* xr = x + r * k;
    int8_t* qr = q + r * k;
    // max of |x·f| compared as integer bits (finite values order like their magnitudes; i32x4.max_s is one
    // instruction in V8, f32x4.max a NaN-aware sequence). Order-independent, so equal to the scalar fold.
    v128_t vmax = wasm_i32x4_splat(0);
    size_t i = 0;
    for (; i < k4; i += 4) {
      const v128_t y = wasm_f32x4_mul(wasm_v128_load(xr + i), wasm_v128_load(factors + i));
      vmax = wasm_i32x4_max(vmax, wasm_v128_and(y, abs_mask));
    }
    vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
    vmax = wasm_i32x4_max(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
    float amax = wasm_f32x4_extract_lane(vmax, 0);
    for (; i < k; ++i) amax = std::max(amax, std::fabs(xr[i] * factors[i]));
    float inv;
    row_params(amax, &scales[r], &inv);

    const v128_t vinv = wasm_f32x4_splat(inv);
    auto to_i32 = [&](size_t at) {
      const v128_t y = wasm_f32x4_mul(wasm_v128_load(xr + at), wasm_v128_load(factors + at));
      return wasm_i32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(y, vinv), magic), magic);
    };
    for (i = 0; i < k16; i += 16) {
      const v128_t q01 = wasm_i16x8_narrow_i32x4(to_i32(i), to_i32(i + 4));
      const v128_t q23 = wasm_i16x8_narrow_i32x4(to_i32(i + 8), to_i32(i + 12));
      // Saturating narrows clamp at -128; the scalar twin clamps at -127.
      wasm_v128_store(qr + i, wasm_i8x16_max(wasm_i8x16_narrow_i16x8(q01, q23), vmin));
    }
    for (; i < k; ++i) qr[i] = quantize_one(xr[i] * factors[i], inv);
  }
}

}  // namespace kfembed
