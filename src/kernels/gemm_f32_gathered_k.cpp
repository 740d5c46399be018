#include "kernels/gemm_f32_gathered_k.h"

#include "kernels/simd128.h"

namespace kfembed {

void gemm_f32_gathered_k_scalar(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                                const float* wt, size_t wt_stride, size_t n, float* y) {
  for (size_t c0 = 0; c0 < k; c0 += kGatheredKChunk) {
    const size_t kc = k - c0 < kGatheredKChunk ? k - c0 : kGatheredKChunk;
    for (size_t r = 0; r < rows; ++r) {
      const float* xr = x + r * x_stride;
      for (size_t j = 0; j < n; ++j) {
        float t = xr[cols[c0]] * wt[c0 * wt_stride + j];
        for (size_t c = 1; c < kc; ++c) t += xr[cols[c0 + c]] * wt[(c0 + c) * wt_stride + j];
        y[r * n + j] += t;
      }
    }
  }
}

void gemm_f32_gathered_k_simd(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                              const float* wt, size_t wt_stride, size_t n, float* y) {
  if (k == 0) return;
  // Rows in blocks whose gathered inputs fit a small stack tile, so each 4-wide slice of wt is loaded once
  // per block rather than once per row. Per output lane the sums run in the scalar twin's order.
  constexpr size_t kRows = 8, kMaxK = kGatheredKChunk;
  float xs[kRows * kMaxK];
  for (size_t r0 = 0; r0 < rows; r0 += kRows) {
    const size_t m = rows - r0 < kRows ? rows - r0 : kRows;
    for (size_t c0 = 0; c0 < k; c0 += kMaxK) {
      const size_t kc = k - c0 < kMaxK ? k - c0 : kMaxK;
      for (size_t rr = 0; rr < m; ++rr)
        for (size_t c = 0; c < kc; ++c) xs[rr * kMaxK + c] = x[(r0 + rr) * x_stride + cols[c0 + c]];
      const float* w = wt + c0 * wt_stride;
      size_t j = 0;
      for (; j + 4 <= n; j += 4)
        for (size_t rr = 0; rr < m; ++rr) {
          const float* xr = xs + rr * kMaxK;
          v128_t t = wasm_f32x4_mul(wasm_f32x4_splat(xr[0]), wasm_v128_load(w + j));
          for (size_t c = 1; c < kc; ++c)
            t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_f32x4_splat(xr[c]), wasm_v128_load(w + c * wt_stride + j)));
          float* yr = y + (r0 + rr) * n + j;
          wasm_v128_store(yr, wasm_f32x4_add(wasm_v128_load(yr), t));
        }
      for (; j < n; ++j)
        for (size_t rr = 0; rr < m; ++rr) {
          const float* xr = xs + rr * kMaxK;
          float t = xr[0] * w[j];
          for (size_t c = 1; c < kc; ++c) t += xr[c] * w[c * wt_stride + j];
          y[(r0 + rr) * n + j] += t;
        }
    }
  }
}

}  // namespace kfembed
