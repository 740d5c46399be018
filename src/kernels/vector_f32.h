// Small f32 vector primitives of the attention: dot products for the scores, axpy for probability-weighted sums.
#pragma once
#include <cstddef>

namespace kfembed {

float dot_f32_scalar(const float* a, const float* b, size_t n);
float dot_f32_simd(const float* a, const float* b, size_t n);
inline float dot_f32(const float* a, const float* b, size_t n) { return dot_f32_simd(a, b, n); }

// y += alpha · x
void axpy_f32_scalar(float alpha, const float* x, float* y, size_t n);
void axpy_f32_simd(float alpha, const float* x, float* y, size_t n);
inline void axpy_f32(float alpha, const float* x, float* y, size_t n) { axpy_f32_simd(alpha, x, y, n); }

}  // namespace kfembed
