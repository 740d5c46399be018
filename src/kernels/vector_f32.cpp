#include "kernels/vector_f32.h"

#include "kernels/simd128.h"
#include "kernels/simd_math_f32.h"

namespace kfembed {

float dot_f32_scalar(const float* a, const float* b, size_t n) {
  float acc = 0.0f;
  for (size_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

float dot_f32_simd(const float* a, const float* b, size_t n) {
  // Two independent accumulators hide the add latency on head-sized (64) vectors.
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
  }
  if (i + 4 <= n) {
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    i += 4;
  }
  float acc = simd_math::horizontal_sum_f32x4(wasm_f32x4_add(acc0, acc1));
  for (; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

void axpy_f32_scalar(float alpha, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void axpy_f32_simd(float alpha, const float* x, float* y, size_t n) {
  const v128_t a = wasm_f32x4_splat(alpha);
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(a, wasm_v128_load(x + i))));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace kfembed
