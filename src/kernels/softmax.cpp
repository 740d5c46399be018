#include "kernels/softmax.h"

#include <cmath>
#include <limits>

#include "kernels/simd128.h"
#include "kernels/simd_math_f32.h"

namespace kfembed {

namespace {

// The masked path is rare (batch 1 has no padding), so it stays scalar: masked scores become -inf-like first.
void masked_softmax_row(float* x, const uint8_t* mask, size_t n) {
  float max_v = -std::numeric_limits<float>::infinity();
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (mask[i] && x[i] > max_v) max_v = x[i];
    any = any || mask[i];
  }
  if (!any) {
    for (size_t i = 0; i < n; ++i) x[i] = 0.0f;
    return;
  }
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    x[i] = mask[i] ? std::exp(x[i] - max_v) : 0.0f;
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace

void softmax_scalar(float* x, const uint8_t* mask, size_t n) {
  if (n == 0) return;
  if (mask) return masked_softmax_row(x, mask, n);
  float max_v = x[0];
  for (size_t i = 1; i < n; ++i) max_v = x[i] > max_v ? x[i] : max_v;
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max_v);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

void softmax_simd(float* x, const uint8_t* mask, size_t n) {
  if (n == 0) return;
  if (mask) return masked_softmax_row(x, mask, n);
  const size_t vec_end = n & ~size_t{3};
  float max_v = x[0];
  size_t i = 0;
  if (vec_end) {
    v128_t m = wasm_v128_load(x);
    for (i = 4; i < vec_end; i += 4) m = wasm_f32x4_pmax(m, wasm_v128_load(x + i));
    max_v = simd_math::horizontal_max_f32x4(m);
  }
  for (; i < n; ++i) max_v = x[i] > max_v ? x[i] : max_v;
  const v128_t max_vec = wasm_f32x4_splat(max_v);
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (i = 0; i < vec_end; i += 4) {
    const v128_t e = simd_math::exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + i), max_vec));
    wasm_v128_store(x + i, e);
    acc = wasm_f32x4_add(acc, e);
  }
  float sum = simd_math::horizontal_sum_f32x4(acc);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max_v);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  const v128_t inv_vec = wasm_f32x4_splat(inv);
  for (i = 0; i < vec_end; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), inv_vec));
  for (; i < n; ++i) x[i] *= inv;
}

}  // namespace kfembed
