#include "kernels/layer_norm.h"

#include <cmath>

#include "kernels/simd128.h"
#include "kernels/simd_math_f32.h"

namespace kfembed {

void layer_norm_scalar(const float* x, const float* residual, const float* gamma, const float* beta,
                       size_t rows, size_t dim, float eps, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* rr = residual ? residual + r * dim : nullptr;
    float* yr = out + r * dim;
    // Sum first into the output row, then two passes (mean, then centred variance): stable for the large
    // activations (|x| ~ 20) that the outlier dimensions of these models produce.
    float sum = 0.0f;
    for (size_t i = 0; i < dim; ++i) {
      const float v = rr ? xr[i] + rr[i] : xr[i];
      yr[i] = v;
      sum += v;
    }
    const float mean = sum / static_cast<float>(dim);
    float sq = 0.0f;
    for (size_t i = 0; i < dim; ++i) {
      const float d = yr[i] - mean;
      sq += d * d;
    }
    const float rstd = 1.0f / std::sqrt(sq / static_cast<float>(dim) + eps);
    for (size_t i = 0; i < dim; ++i) yr[i] = (yr[i] - mean) * rstd * gamma[i] + beta[i];
  }
}

void layer_norm_simd(const float* x, const float* residual, const float* gamma, const float* beta,
                     size_t rows, size_t dim, float eps, float* out) {
  using simd_math::horizontal_sum_f32x4;
  const size_t vec_end = dim & ~size_t{3};
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    const float* rr = residual ? residual + r * dim : nullptr;
    float* yr = out + r * dim;
    v128_t acc = wasm_f32x4_splat(0.0f);
    size_t i = 0;
    for (; i < vec_end; i += 4) {
      v128_t v = wasm_v128_load(xr + i);
      if (rr) v = wasm_f32x4_add(v, wasm_v128_load(rr + i));
      wasm_v128_store(yr + i, v);
      acc = wasm_f32x4_add(acc, v);
    }
    float sum = horizontal_sum_f32x4(acc);
    for (; i < dim; ++i) {
      const float v = rr ? xr[i] + rr[i] : xr[i];
      yr[i] = v;
      sum += v;
    }
    const float mean = sum / static_cast<float>(dim);
    const v128_t mean_v = wasm_f32x4_splat(mean);
    acc = wasm_f32x4_splat(0.0f);
    for (i = 0; i < vec_end; i += 4) {
      const v128_t d = wasm_f32x4_sub(wasm_v128_load(yr + i), mean_v);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
    }
    float sq = horizontal_sum_f32x4(acc);
    for (; i < dim; ++i) {
      const float d = yr[i] - mean;
      sq += d * d;
    }
    const float rstd = 1.0f / std::sqrt(sq / static_cast<float>(dim) + eps);
    const v128_t rstd_v = wasm_f32x4_splat(rstd);
    for (i = 0; i < vec_end; i += 4) {
      const v128_t n = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(yr + i), mean_v), rstd_v);
      wasm_v128_store(yr + i,
                      wasm_f32x4_add(wasm_f32x4_mul(n, wasm_v128_load(gamma + i)), wasm_v128_load(beta + i)));
    }
    for (; i < dim; ++i) yr[i] = (yr[i] - mean) * rstd * gamma[i] + beta[i];
  }
}

}  // namespace kfembed
