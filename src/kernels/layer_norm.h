// LayerNorm over the last dimension, as torch.nn.LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta
// with the biased variance. The residual form normalises x + residual, the pattern after every DeBERTa
// sub-layer.
#pragma once
#include <cstddef>

namespace kfembed {

// Scalar reference. `residual` may be null. `out` may alias `x` (in place) but not `residual`.
void layer_norm_scalar(const float* x, const float* residual, const float* gamma, const float* beta,
                       size_t rows, size_t dim, float eps, float* out);
// SIMD128 version, same contract.
void layer_norm_simd(const float* x, const float* residual, const float* gamma, const float* beta,
                     size_t rows, size_t dim, float eps, float* out);

inline void layer_norm(const float* x, const float* residual, const float* gamma, const float* beta,
                       size_t rows, size_t dim, float eps, float* out) {
  layer_norm_simd(x, residual, gamma, beta, rows, dim, eps, out);
}

}  // namespace kfembed
