#include "kernels/gemm_f32_gathered_k.h"

#include "kernels/simd128.h"

namespace kfembed {

void gemm_f32_gathered_k_scalar(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                                const float* wt, size_t n, float* y) {
  if (k == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    float* yr = y + r * n;
    for (size_t j = 0; j < n; ++j) {
      float t = xr[cols[0]] * wt[j];
      for (size_t c = 1; c < k; ++c) t += xr[cols[c]] * wt[c * n + j];
      yr[j] += t;
    }
  }
}

void gemm_f32_gathered_k_simd(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                              const float* wt, size_t n, float* y) {
  if (k == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * x_stride;
    float* yr = y + r * n;
    size_t j = 0;
    const v128_t x0 = wasm_f32x4_splat(xr[cols[0]]);
    for (; j + 4 <= n; j += 4) {
      v128_t t = wasm_f32x4_mul(x0, wasm_v128_load(wt + j));
      for (size_t c = 1; c < k; ++c)
        t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_f32x4_splat(xr[cols[c]]), wasm_v128_load(wt + c * n + j)));
      wasm_v128_store(yr + j, wasm_f32x4_add(wasm_v128_load(yr + j), t));
    }
    for (; j < n; ++j) {
      float t = xr[cols[0]] * wt[j];
      for (size_t c = 1; c < k; ++c) t += xr[cols[c]] * wt[c * n + j];
      yr[j] += t;
    }
  }
}

}  // namespace kfembed
