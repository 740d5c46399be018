// Small f32 vector primitives of the attention: dot products for the scores, axpy for probability-weighted
// sums.
#pragma once
#include <cstddef>

namespace kfembed {

float dot_f32_scalar(const float* a, const float* b, size_t n);
float dot_f32_simd(const float* a, const float* b, size_t n);
inline float dot_f32(const float* a, const float* b, size_t n) {
  return dot_f32_simd(a, b, n);
}

// y += alpha · x
void axpy_f32_scalar(float alpha, const float* x, float* y, size_t n);
void axpy_f32_simd(float alpha, const float* x, float* y, size_t n);
inline void axpy_f32(float alpha, const float* x, float* y, size_t n) {
  axpy_f32_simd(alpha, x, y, n);
}

// One disentangled attention score before scaling: q·k + q·pk + k·pq (content→content, content→position,
// position→content) in a single pass; pk or pq may be null when that term is off.
float disentangled_score_f32_scalar(const float* q, const float* k, const float* pk, const float* pq,
                                    size_t n);
float disentangled_score_f32_simd(const float* q, const float* k, const float* pk, const float* pq, size_t n);
inline float disentangled_score_f32(const float* q, const float* k, const float* pk, const float* pq,
                                    size_t n) {
  return disentangled_score_f32_simd(q, k, pk, pq, n);
}

// out[0..n) = Σ_j weights[j] · rows[j·stride .. j·stride + n): the attention-weighted sum of value rows.
void weighted_row_sum_f32_scalar(const float* weights, const float* rows, size_t stride, size_t count,
                                 size_t n, float* out);
void weighted_row_sum_f32_simd(const float* weights, const float* rows, size_t stride, size_t count, size_t n,
                               float* out);
inline void weighted_row_sum_f32(const float* weights, const float* rows, size_t stride, size_t count,
                                 size_t n, float* out) {
  weighted_row_sum_f32_simd(weights, rows, stride, count, n, out);
}

}  // namespace kfembed
