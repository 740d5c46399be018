#include "kernels/gelu.h"

#include <cmath>

#include "kernels/simd128.h"
#include "kernels/simd_math_f32.h"

namespace kfembed {

namespace {
constexpr float kInvSqrt2 = 0.70710678118654752f;
}

void gelu_scalar(const float* x, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
}

void gelu_simd(const float* x, size_t n, float* out) {
  // erfc(z) ≈ t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5)))) · e^(−z²), t = 1 / (1 + p·z), z >= 0.
  const v128_t p = wasm_f32x4_splat(0.3275911f);
  const v128_t a1 = wasm_f32x4_splat(0.254829592f), a2 = wasm_f32x4_splat(-0.284496736f);
  const v128_t a3 = wasm_f32x4_splat(1.421413741f), a4 = wasm_f32x4_splat(-1.453152027f);
  const v128_t a5 = wasm_f32x4_splat(1.061405429f);
  const v128_t one = wasm_f32x4_splat(1.0f), two = wasm_f32x4_splat(2.0f), half = wasm_f32x4_splat(0.5f);
  const v128_t inv_sqrt2 = wasm_f32x4_splat(kInvSqrt2), zero = wasm_f32x4_splat(0.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t z = wasm_f32x4_abs(wasm_f32x4_mul(v, inv_sqrt2));
    const v128_t t = wasm_f32x4_div(one, wasm_f32x4_add(one, wasm_f32x4_mul(p, z)));
    v128_t poly = wasm_f32x4_add(a4, wasm_f32x4_mul(t, a5));
    poly = wasm_f32x4_add(a3, wasm_f32x4_mul(t, poly));
    poly = wasm_f32x4_add(a2, wasm_f32x4_mul(t, poly));
    poly = wasm_f32x4_add(a1, wasm_f32x4_mul(t, poly));
    poly = wasm_f32x4_mul(t, poly);
    const v128_t erfc_z = wasm_f32x4_mul(poly, simd_math::exp_f32x4(wasm_f32x4_neg(wasm_f32x4_mul(z, z))));
    // 1 + erf(x/√2) is 2 − erfc(z) for x >= 0 and erfc(z) for x < 0.
    const v128_t one_plus_erf =
        wasm_v128_bitselect(erfc_z, wasm_f32x4_sub(two, erfc_z), wasm_f32x4_lt(v, zero));
    wasm_v128_store(out + i, wasm_f32x4_mul(wasm_f32x4_mul(half, v), one_plus_erf));
  }
  gelu_scalar(x + i, n - i, out + i);
}

}  // namespace kfembed
