#include "kernels/matmul_f32.h"

#include "kernels/simd128.h"

namespace kfembed {
namespace {

// MR rows × 8 columns over the whole k. Accumulators are fixed-size arrays with constant trip counts:
// clang scalarises them into registers.
template <size_t MR>
inline void kernel_rx8(const float* a, size_t lda, const float* b, size_t ldb, size_t k, float* c,
                       size_t ldc) {
  v128_t acc[MR][2];
  for (size_t r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
  for (size_t p = 0; p < k; ++p, b += ldb) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    for (size_t r = 0; r < MR; ++r) {
      const v128_t av = wasm_v128_load32_splat(a + r * lda + p);
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(av, b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(av, b1));
    }
  }
  for (size_t r = 0; r < MR; ++r) {
    wasm_v128_store(c + r * ldc, acc[r][0]);
    wasm_v128_store(c + r * ldc + 4, acc[r][1]);
  }
}

template <size_t MR>
inline void kernel_rx4(const float* a, size_t lda, const float* b, size_t ldb, size_t k, float* c,
                       size_t ldc) {
  v128_t acc[MR];
  for (size_t r = 0; r < MR; ++r) acc[r] = wasm_f32x4_splat(0.0f);
  for (size_t p = 0; p < k; ++p, b += ldb) {
    const v128_t b0 = wasm_v128_load(b);
    for (size_t r = 0; r < MR; ++r)
      acc[r] = wasm_f32x4_add(acc[r], wasm_f32x4_mul(wasm_v128_load32_splat(a + r * lda + p), b0));
  }
  for (size_t r = 0; r < MR; ++r) wasm_v128_store(c + r * ldc, acc[r]);
}

template <size_t MR>
void rows_block(const float* a, size_t lda, const float* b, size_t ldb, size_t n, size_t k, float* c,
                size_t ldc) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) kernel_rx8<MR>(a, lda, b + j, ldb, k, c + j, ldc);
  for (; j + 4 <= n; j += 4) kernel_rx4<MR>(a, lda, b + j, ldb, k, c + j, ldc);
  if (j < n) matmul_f32_scalar(a, lda, b + j, ldb, MR, n - j, k, c + j, ldc);
}

}  // namespace

void matmul_f32_scalar(const float* a, size_t lda, const float* b, size_t ldb, size_t m, size_t n, size_t k,
                       float* c, size_t ldc) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (size_t p = 0; p < k; ++p) {
        const float prod = a[i * lda + p] * b[p * ldb + j];  // separate statement: no FMA contraction
        acc += prod;
      }
      c[i * ldc + j] = acc;
    }
}

void matmul_f32_simd(const float* a, size_t lda, const float* b, size_t ldb, size_t m, size_t n, size_t k,
                     float* c, size_t ldc) {
  size_t i = 0;
  for (; i + 4 <= m; i += 4) rows_block<4>(a + i * lda, lda, b, ldb, n, k, c + i * ldc, ldc);
  const size_t rest = m - i;
  if (rest == 3) rows_block<3>(a + i * lda, lda, b, ldb, n, k, c + i * ldc, ldc);
  if (rest == 2) rows_block<2>(a + i * lda, lda, b, ldb, n, k, c + i * ldc, ldc);
  if (rest == 1) rows_block<1>(a + i * lda, lda, b, ldb, n, k, c + i * ldc, ldc);
}

void transpose_f32(const float* src, size_t ld_src, size_t rows, size_t cols, float* dst, size_t ld_dst) {
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
}

}  // namespace kfembed
