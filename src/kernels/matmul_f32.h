// Small dense f32 matrix products of the attention (scores Q·Kᵀ, relative-position terms, P·V): both
// operands row-major with explicit leading dimensions, so head slices of the fused QKV buffer are used in
// place. B is [k, n] (the caller transposes when it holds Bᵀ).
#pragma once
#include <cstddef>

namespace kfembed {

// c[i·ldc + j] = Σ_p a[i·lda + p] · b[p·ldb + j] for i < m, j < n. No allocation; c must not alias a or b.
void matmul_f32_scalar(const float* a, size_t lda, const float* b, size_t ldb, size_t m, size_t n, size_t k,
                       float* c, size_t ldc);
// SIMD128, register-blocked 4 rows × 8 columns (V8 keeps the 8 accumulators, 2 B vectors and a splat in its
// 16 xmm registers). Same summation order per element as the scalar twin (p ascending, no FMA), so the two
// agree bit for bit.
void matmul_f32_simd(const float* a, size_t lda, const float* b, size_t ldb, size_t m, size_t n, size_t k,
                     float* c, size_t ldc);
inline void matmul_f32(const float* a, size_t lda, const float* b, size_t ldb, size_t m, size_t n, size_t k,
                       float* c, size_t ldc) {
  matmul_f32_simd(a, lda, b, ldb, m, n, k, c, ldc);
}

// dst[j·ld_dst + i] = src[i·ld_src + j] for i < rows, j < cols.
void transpose_f32(const float* src, size_t ld_src, size_t rows, size_t cols, float* dst, size_t ld_dst);

}  // namespace kfembed
