#include "index/scores.h"

#include <algorithm>
#include <cmath>

#include "kernels/simd128.h"

namespace kfembed {
namespace index {
namespace {

// [Σ a, Σ b, Σ c, Σ d] of four f32x4 vectors in one vector.
inline v128_t horizontal_sums4(v128_t a, v128_t b, v128_t c, v128_t d) {
  const v128_t ab =
      wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128_t cd =
      wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

inline int32_t horizontal_sum_i32x4(v128_t v) {
  return wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1) + wasm_i32x4_extract_lane(v, 2) +
         wasm_i32x4_extract_lane(v, 3);
}

// Σ_j row[j] · query[j] over [start, end) into an int32x4, for 16-element steps; widening the int8 codes to
// int16 and i32x4.dot_i16x8_s keeps every lane exact (see kI8Block).
#define KF_I8_STEP(acc, row, q0, q1, j)                                                    \
  do {                                                                                     \
    const v128_t v_ = wasm_v128_load((row) + (j));                                         \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(v_), q0));  \
    acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(v_), q1)); \
  } while (0)

inline int32_t tail_i8(const int8_t* row, const int16_t* query, size_t from, size_t end) {
  int32_t sum = 0;
  for (size_t t = from; t < end; ++t) sum += int32_t(row[t]) * int32_t(query[t]);
  return sum;
}

// Four rows at once, sharing the query loads; named accumulators so they stay in registers. Exact integer
// dot products into totals[0..4).
void dot_i8_four_rows(const int8_t* rows, size_t dim, const int16_t* query, int64_t* totals) {
  const int8_t* r0 = rows;
  const int8_t* r1 = r0 + dim;
  const int8_t* r2 = r1 + dim;
  const int8_t* r3 = r2 + dim;
  int64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (size_t start = 0; start < dim; start += kI8Block) {
    const size_t end = std::min(dim, start + kI8Block);
    v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    size_t j = start;
    for (; j + 16 <= end; j += 16) {
      const v128_t q0 = wasm_v128_load(query + j);
      const v128_t q1 = wasm_v128_load(query + j + 8);
      KF_I8_STEP(a0, r0, q0, q1, j);
      KF_I8_STEP(a1, r1, q0, q1, j);
      KF_I8_STEP(a2, r2, q0, q1, j);
      KF_I8_STEP(a3, r3, q0, q1, j);
    }
    t0 += horizontal_sum_i32x4(a0) + tail_i8(r0, query, j, end);
    t1 += horizontal_sum_i32x4(a1) + tail_i8(r1, query, j, end);
    t2 += horizontal_sum_i32x4(a2) + tail_i8(r2, query, j, end);
    t3 += horizontal_sum_i32x4(a3) + tail_i8(r3, query, j, end);
  }
  totals[0] = t0;
  totals[1] = t1;
  totals[2] = t2;
  totals[3] = t3;
}

int64_t dot_i8_one_row(const int8_t* row, size_t dim, const int16_t* query) {
  int64_t total = 0;
  for (size_t start = 0; start < dim; start += kI8Block) {
    const size_t end = std::min(dim, start + kI8Block);
    v128_t a0 = wasm_i32x4_splat(0);
    size_t j = start;
    for (; j + 16 <= end; j += 16)
      KF_I8_STEP(a0, row, wasm_v128_load(query + j), wasm_v128_load(query + j + 8), j);
    total += horizontal_sum_i32x4(a0) + tail_i8(row, query, j, end);
  }
  return total;
}

#undef KF_I8_STEP

}  // namespace

void dot_rows_f32_scalar(const float* rows, size_t n, size_t dim, const float* query, float* out) {
  for (size_t r = 0; r < n; ++r) {
    const float* row = rows + r * dim;
    float acc = 0.0f;
    for (size_t j = 0; j < dim; ++j) acc += row[j] * query[j];
    out[r] = acc;
  }
}

void dot_rows_f32_simd(const float* rows, size_t n, size_t dim, const float* query, float* out) {
  const size_t body = dim & ~size_t(3);
  size_t r = 0;
  // Four rows per pass: each query load feeds four independent accumulators.
  for (; r + 4 <= n; r += 4) {
    const float* a = rows + r * dim;
    const float* b = a + dim;
    const float* c = b + dim;
    const float* d = c + dim;
    v128_t sa = wasm_f32x4_splat(0.0f), sb = sa, sc = sa, sd = sa;
    for (size_t j = 0; j < body; j += 4) {
      const v128_t q = wasm_v128_load(query + j);
      sa = wasm_f32x4_add(sa, wasm_f32x4_mul(wasm_v128_load(a + j), q));
      sb = wasm_f32x4_add(sb, wasm_f32x4_mul(wasm_v128_load(b + j), q));
      sc = wasm_f32x4_add(sc, wasm_f32x4_mul(wasm_v128_load(c + j), q));
      sd = wasm_f32x4_add(sd, wasm_f32x4_mul(wasm_v128_load(d + j), q));
    }
    float sums[4];
    wasm_v128_store(sums, horizontal_sums4(sa, sb, sc, sd));
    for (size_t j = body; j < dim; ++j) {
      sums[0] += a[j] * query[j];
      sums[1] += b[j] * query[j];
      sums[2] += c[j] * query[j];
      sums[3] += d[j] * query[j];
    }
    std::copy(sums, sums + 4, out + r);
  }
  // Remaining rows: the same per-lane accumulation and the same horizontal order as the four-row path, so a
  // row's score does not depend on which path computed it.
  for (; r < n; ++r) out[r] = dot_row_f32(rows + r * dim, dim, query);
}

float dot_row_f32(const float* row, size_t dim, const float* query) {
  const size_t body = dim & ~size_t(3);
  v128_t s = wasm_f32x4_splat(0.0f);
  for (size_t j = 0; j < body; j += 4)
    s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(row + j), wasm_v128_load(query + j)));
  float acc = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 2)) +
              (wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 3));
  for (size_t j = body; j < dim; ++j) acc += row[j] * query[j];
  return acc;
}

void dot_rows_i8_scalar(const int8_t* rows, const float* scales, size_t n, size_t dim, const int16_t* query,
                        float query_scale, float* out) {
  for (size_t r = 0; r < n; ++r) {
    const int8_t* row = rows + r * dim;
    int64_t total = 0;
    for (size_t j = 0; j < dim; ++j) total += int32_t(row[j]) * int32_t(query[j]);
    out[r] = float(double(total) * double(scales[r]) * double(query_scale));
  }
}

void dot_rows_i8_simd(const int8_t* rows, const float* scales, size_t n, size_t dim, const int16_t* query,
                      float query_scale, float* out) {
  size_t r = 0;
  int64_t totals[4];
  for (; r + 4 <= n; r += 4) {
    dot_i8_four_rows(rows + r * dim, dim, query, totals);
    for (size_t t = 0; t < 4; ++t)
      out[r + t] = float(double(totals[t]) * double(scales[r + t]) * double(query_scale));
  }
  for (; r < n; ++r)
    out[r] =
        float(double(dot_i8_one_row(rows + r * dim, dim, query)) * double(scales[r]) * double(query_scale));
}

float quantize_i8(const float* x, size_t n, int8_t* out) {
  float max_abs = 0.0f;
  for (size_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  if (!(max_abs > 0.0f)) {
    std::fill(out, out + n, int8_t(0));
    return 0.0f;
  }
  const float inverse = 127.0f / max_abs;
  for (size_t i = 0; i < n; ++i)
    out[i] = int8_t(std::min(127.0f, std::max(-127.0f, std::nearbyint(x[i] * inverse))));
  return max_abs / 127.0f;
}

float quantize_i16(const float* x, size_t n, int16_t* out) {
  float max_abs = 0.0f;
  for (size_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  if (!(max_abs > 0.0f)) {
    std::fill(out, out + n, int16_t(0));
    return 0.0f;
  }
  const float inverse = 32767.0f / max_abs;
  for (size_t i = 0; i < n; ++i)
    out[i] = int16_t(std::min(32767.0f, std::max(-32767.0f, std::nearbyint(x[i] * inverse))));
  return max_abs / 32767.0f;
}

}  // namespace index
}  // namespace kfembed
