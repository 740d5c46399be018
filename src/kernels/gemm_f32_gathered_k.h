// The f32 part of a mixed-precision int8 linear layer: the few input channels kept out of int8 (outlier
// channels of a LayerNorm output, int8_format.h) are multiplied in f32 and added to the int8 result:
//   y[r, n] += t,  t = x[r, cols[0]]·wt[0, n] + x[r, cols[1]]·wt[1, n] + …  (left to right, then one add;
//   per chunk of kGatheredKChunk channels when k is larger)
// x: [rows, x_stride]; cols: [k] input channels; wt: [k, n] with row stride wt_stride (the kept columns of
// W, transposed so n is contiguous; a column block of a wider layer passes its offset and the full width);
// y: [rows, n]. Each output lane does exactly the scalar sequence, so the SIMD128 kernel and its
// scalar twin give the same bytes.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {

constexpr size_t kGatheredKChunk = 16;

void gemm_f32_gathered_k_scalar(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                                const float* wt, size_t wt_stride, size_t n, float* y);
void gemm_f32_gathered_k_simd(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                              const float* wt, size_t wt_stride, size_t n, float* y);
inline void gemm_f32_gathered_k(const float* x, size_t rows, size_t x_stride, const int32_t* cols, size_t k,
                                const float* wt, size_t wt_stride, size_t n, float* y) {
  gemm_f32_gathered_k_simd(x, rows, x_stride, cols, k, wt, wt_stride, n, y);
}

}  // namespace kfembed
