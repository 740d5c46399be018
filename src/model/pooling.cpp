#include "model/pooling.h"

#include <algorithm>
#include <cmath>

namespace kfembed {

size_t pooled_dim(const PoolingConfig& pooling, size_t hidden) {
  return pooling.mode_count() * hidden;
}

void pool(const PoolingConfig& pooling, const float* h, size_t n, size_t hidden, float* out) {
  if (pooling.cls) {
    for (size_t d = 0; d < hidden; ++d) out[d] = h[d];
    out += hidden;
  }
  if (pooling.max) {
    for (size_t d = 0; d < hidden; ++d) out[d] = h[d];
    for (size_t t = 1; t < n; ++t)
      for (size_t d = 0; d < hidden; ++d) out[d] = h[t * hidden + d] > out[d] ? h[t * hidden + d] : out[d];
    out += hidden;
  }
  if (pooling.mean || pooling.mean_sqrt_len) {
    // Sum in double: the tokens of a 512-long sequence add up without drifting from the PyTorch sum.
    for (size_t d = 0; d < hidden; ++d) {
      double s = 0.0;
      for (size_t t = 0; t < n; ++t) s += h[t * hidden + d];
      if (pooling.mean) out[d] = static_cast<float>(s / static_cast<double>(n));
      if (pooling.mean_sqrt_len)
        out[(pooling.mean ? hidden : 0) + d] = static_cast<float>(s / std::sqrt(static_cast<double>(n)));
    }
  }
}

void l2_normalize(float* v, size_t n) {
  double sq = 0.0;
  for (size_t i = 0; i < n; ++i) sq += static_cast<double>(v[i]) * v[i];
  // sentence-transformers divides by max(norm, 1e-12).
  const double norm = std::max(std::sqrt(sq), 1e-12);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] / norm);
}

float cosine_similarity(const float* a, const float* b, size_t n) {
  double ab = 0.0, aa = 0.0, bb = 0.0;
  for (size_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa == 0.0 || bb == 0.0) return 0.0f;
  return static_cast<float>(ab / (std::sqrt(aa) * std::sqrt(bb)));
}

}  // namespace kfembed
