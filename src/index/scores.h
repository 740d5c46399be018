// Scoring kernels of the search index: one query against many stored rows (brute force).
//   f32:  out[r] = Σ_j rows[r·dim + j] · query[j]
//   int8: out[r] = scales[r] · query_scale · Σ_j rows[r·dim + j] · query[j]   (rows int8, query int16)
// The int8 path widens the rows to int16 and uses i32x4.dot_i16x8_s; partial sums are bounded per block of
// kI8Block elements so no int32 lane can overflow, and the integer total is exact, so the scalar and SIMD
// twins return bit-identical scores.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kfembed {
namespace index {

// Elements per exact int32 partial sum: 512 · 127 · 32767 < 2^31.
constexpr size_t kI8Block = 512;

void dot_rows_f32_scalar(const float* rows, size_t n, size_t dim, const float* query, float* out);
void dot_rows_f32_simd(const float* rows, size_t n, size_t dim, const float* query, float* out);
inline void dot_rows_f32(const float* rows, size_t n, size_t dim, const float* query, float* out) {
  dot_rows_f32_simd(rows, n, dim, query, out);
}

// One row with the SIMD kernel's exact summation order (bit-identical to its dot_rows_f32_simd score).
float dot_row_f32(const float* row, size_t dim, const float* query);

void dot_rows_i8_scalar(const int8_t* rows, const float* scales, size_t n, size_t dim, const int16_t* query,
                        float query_scale, float* out);
void dot_rows_i8_simd(const int8_t* rows, const float* scales, size_t n, size_t dim, const int16_t* query,
                      float query_scale, float* out);
inline void dot_rows_i8(const int8_t* rows, const float* scales, size_t n, size_t dim, const int16_t* query,
                        float query_scale, float* out) {
  dot_rows_i8_simd(rows, scales, n, dim, query, query_scale, out);
}

// Symmetric quantization with scale = max|x| / 127 (int8) or / 32767 (int16); returns the scale (0 for an
// all-zero vector, whose codes are all 0). Values round to nearest.
float quantize_i8(const float* x, size_t n, int8_t* out);
float quantize_i16(const float* x, size_t n, int16_t* out);

}  // namespace index
}  // namespace kfembed
