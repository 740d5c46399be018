// The SIMD128 micro-kernel of the int8 GEMM over the i8_packed_nr4kr8 layout, shared by
// gemm_i8_f32_nr4kr8.cpp, gemm_i8_f32_nr4kr8_strassen.cpp and the kernel bench's pre-widened variant.
// Internal: include only from those.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/i8_packed_nr4kr8.h"
#include "kernels/simd128.h"

namespace kfembed::gemm_i8_f32_nr4kr8_tile_simd {

using i8_packed_nr4kr8::kKR;
using i8_packed_nr4kr8::kStep;
static_assert(i8_packed_nr4kr8::kNR == 4, "a tile's four accumulators per row are one block's four channels");

// One 8-wide column slice of weights as i16x8: a plain load when pre-widened, a sign-extending load
// otherwise. extend_low(load64_zero) is what clang folds into i16x8.load8x8_s for WASM, and what SIMDe turns
// into one pmovsxbw natively (its load8x8 emulation is much slower under GCC).
inline v128_t load_i8x8(const int8_t* p) {
  return wasm_i16x8_extend_low_i8x16(wasm_v128_load64_zero(p));
}
// One 8-wide slice of weights or activations as i16x8: int8 operands are sign-extended, int16 ones (widened
// once, or the sums of blocks of the Strassen kernel) are loaded as they are.
inline v128_t load_w(const int16_t* p) {
  return wasm_v128_load(p);
}
inline v128_t load_w(const int8_t* p) {
  return load_i8x8(p);
}

inline v128_t dot_add(v128_t acc, v128_t x, v128_t w) {
  return wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(x, w));
}

// Sums each of the four accumulators' lanes: result lane j = Σ lanes of a[j].
inline v128_t reduce4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  v128_t t01 = wasm_i32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  v128_t t23 = wasm_i32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(t01, t23, 0, 1, 4, 5), wasm_i32x4_shuffle(t01, t23, 2, 3, 6, 7));
}

// Ragged K: the last k % 8 activations of a row, zero-extended to 8 lanes without reading past the row
// (the packed weights are 0 there).
template <typename XT>
inline v128_t load_x_tail(const XT* p, size_t count) {
  XT tail[kKR] = {};
  std::memcpy(tail, p, count * sizeof(XT));
  return load_w(tail);
}

// 2 rows × 4 output channels over the whole K; the 8 accumulators are named variables (GCC keeps arrays of
// vectors in memory) and stay in registers. i16 products are summed pairwise into i32 by the dot itself and
// only ever added in i32.
template <typename WT, typename XT = int8_t>
inline void kernel_2x4(const XT* x0, const XT* x1, size_t k, const WT* wb, v128_t* y0, v128_t* y1) {
  v128_t a00 = wasm_i32x4_splat(0), a01 = a00, a02 = a00, a03 = a00;
  v128_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  auto step = [&](v128_t xa, v128_t xb, const WT* w) {
    v128_t wv = load_w(w);
    a00 = dot_add(a00, xa, wv);
    a10 = dot_add(a10, xb, wv);
    wv = load_w(w + kKR);
    a01 = dot_add(a01, xa, wv);
    a11 = dot_add(a11, xb, wv);
    wv = load_w(w + 2 * kKR);
    a02 = dot_add(a02, xa, wv);
    a12 = dot_add(a12, xb, wv);
    wv = load_w(w + 3 * kKR);
    a03 = dot_add(a03, xa, wv);
    a13 = dot_add(a13, xb, wv);
  };
  const size_t k8 = k & ~(kKR - 1);
  for (size_t kk = 0; kk < k8; kk += kKR, wb += kStep) step(load_w(x0 + kk), load_w(x1 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), load_x_tail(x1 + k8, k - k8), wb);
  *y0 = reduce4(a00, a01, a02, a03);
  *y1 = reduce4(a10, a11, a12, a13);
}

template <typename WT, typename XT = int8_t>
inline void kernel_1x4(const XT* x0, size_t k, const WT* wb, v128_t* y0) {
  v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
  auto step = [&](v128_t xa, const WT* w) {
    a0 = dot_add(a0, xa, load_w(w));
    a1 = dot_add(a1, xa, load_w(w + kKR));
    a2 = dot_add(a2, xa, load_w(w + 2 * kKR));
    a3 = dot_add(a3, xa, load_w(w + 3 * kKR));
  };
  const size_t k8 = k & ~(kKR - 1);
  for (size_t kk = 0; kk < k8; kk += kKR, wb += kStep) step(load_w(x0 + kk), wb);
  if (k8 != k) step(load_x_tail(x0 + k8, k - k8), wb);
  *y0 = reduce4(a0, a1, a2, a3);
}

// y = ((float)acc * sx) * sw + b for up to 4 columns; same operation order as the scalar twin.
inline void store_row(v128_t acc, float sx, const float* sw, const float* b, float* y, size_t cols) {
  v128_t v = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc), wasm_f32x4_splat(sx));
  v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(sw)), wasm_v128_load(b));
  if (cols == 4) {
    wasm_v128_store(y, v);
  } else {
    float tmp[4];
    wasm_v128_store(tmp, v);
    std::memcpy(y, tmp, cols * sizeof(float));
  }
}

// One column block (4 output channels, k_pad · 4 weights starting at wb) times all m rows of x.
template <typename WT>
inline void column_block(const int8_t* xq, const float* xscales, size_t m, size_t n, size_t k, const WT* wb,
                         const float* sw, const float* bb, size_t nb, size_t cols, float* y) {
  size_t r = 0;
  v128_t acc0, acc1;
  for (; r + 2 <= m; r += 2) {
    kernel_2x4(xq + r * k, xq + (r + 1) * k, k, wb, &acc0, &acc1);
    store_row(acc0, xscales[r], sw, bb, y + r * n + nb, cols);
    store_row(acc1, xscales[r + 1], sw, bb, y + (r + 1) * n + nb, cols);
  }
  if (r < m) {
    kernel_1x4(xq + r * k, k, wb, &acc0);
    store_row(acc0, xscales[r], sw, bb, y + r * n + nb, cols);
  }
}

}  // namespace kfembed::gemm_i8_f32_nr4kr8_tile_simd
