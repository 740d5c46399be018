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

float disentangled_score_f32_scalar(const float* q, const float* k, const float* pk, const float* pq,
                                    size_t n) {
  float acc = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    float s = q[i] * k[i];
    if (pk) s += q[i] * pk[i];
    if (pq) s += k[i] * pq[i];
    acc += s;
  }
  return acc;
}

float disentangled_score_f32_simd(const float* q, const float* k, const float* pk, const float* pq,
                                  size_t n) {
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = wasm_f32x4_splat(0.0f);
  size_t i = 0;
  if (pk && pq) {  // the DeBERTa-v2 case: q·(k + pk) + k·pq
    for (; i + 4 <= n; i += 4) {
      const v128_t qv = wasm_v128_load(q + i), kv = wasm_v128_load(k + i);
      acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(qv, wasm_f32x4_add(kv, wasm_v128_load(pk + i))));
      acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(kv, wasm_v128_load(pq + i)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const v128_t qv = wasm_v128_load(q + i), kv = wasm_v128_load(k + i);
      acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(qv, kv));
      if (pk) acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(qv, wasm_v128_load(pk + i)));
      if (pq) acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(kv, wasm_v128_load(pq + i)));
    }
  }
  float acc = simd_math::horizontal_sum_f32x4(wasm_f32x4_add(acc0, acc1));
  return acc +
         disentangled_score_f32_scalar(q + i, k + i, pk ? pk + i : nullptr, pq ? pq + i : nullptr, n - i);
}

void weighted_row_sum_f32_scalar(const float* weights, const float* rows, size_t stride, size_t count,
                                 size_t n, float* out) {
  for (size_t c = 0; c < n; ++c) out[c] = 0.0f;
  for (size_t j = 0; j < count; ++j)
    for (size_t c = 0; c < n; ++c) out[c] += weights[j] * rows[j * stride + c];
}

void weighted_row_sum_f32_simd(const float* weights, const float* rows, size_t stride, size_t count, size_t n,
                               float* out) {
  // 16 output columns at a time stay in four registers across all rows.
  size_t c = 0;
  for (; c + 16 <= n; c += 16) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    const float* r = rows + c;
    for (size_t j = 0; j < count; ++j, r += stride) {
      const v128_t w = wasm_v128_load32_splat(weights + j);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(w, wasm_v128_load(r)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(w, wasm_v128_load(r + 4)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(w, wasm_v128_load(r + 8)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(w, wasm_v128_load(r + 12)));
    }
    wasm_v128_store(out + c, a0);
    wasm_v128_store(out + c + 4, a1);
    wasm_v128_store(out + c + 8, a2);
    wasm_v128_store(out + c + 12, a3);
  }
  for (; c + 4 <= n; c += 4) {
    v128_t a = wasm_f32x4_splat(0.0f);
    const float* r = rows + c;
    for (size_t j = 0; j < count; ++j, r += stride)
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load32_splat(weights + j), wasm_v128_load(r)));
    wasm_v128_store(out + c, a);
  }
  if (c < n) weighted_row_sum_f32_scalar(weights, rows + c, stride, count, n - c, out + c);
}

}  // namespace kfembed
