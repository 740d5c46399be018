// Exact GELU, x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) — Hugging Face's "gelu" (not the tanh approximation).
#pragma once
#include <cstddef>

namespace kfembed {

// Scalar reference on std::erf. In place allowed (out == x).
void gelu_scalar(const float* x, size_t n, float* out);
// SIMD128: erfc through Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), evaluated on |x| so the negative branch
// never subtracts nearly equal numbers.
void gelu_simd(const float* x, size_t n, float* out);

inline void gelu(const float* x, size_t n, float* out) {
  gelu_simd(x, n, out);
}

}  // namespace kfembed
