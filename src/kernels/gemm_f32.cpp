#include "kernels/gemm_f32.h"

#include <algorithm>

#include "kernels/simd128.h"

namespace kfembed {

PackedWeightsF32::PackedWeightsF32(const float* w, size_t out, size_t in)
    : out_(out), in_(in), data_(((out + kPanel - 1) / kPanel) * kPanel * in, 0.0f) {
  for (size_t p = 0; p < panels(); ++p) {
    float* dst = data_.data() + p * kPanel * in;
    const size_t cols = std::min(kPanel, out - p * kPanel);
    for (size_t c = 0; c < cols; ++c) {
      const float* src = w + (p * kPanel + c) * in;
      for (size_t k = 0; k < in; ++k) dst[k * kPanel + c] = src[k];
    }
  }
}

void gemm_f32_scalar(const float* x, size_t rows, const float* w, const float* bias, size_t out, size_t in,
                     float* y) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t o = 0; o < out; ++o) {
      float acc = bias ? bias[o] : 0.0f;
      const float* xr = x + r * in;
      const float* wo = w + o * in;
      for (size_t k = 0; k < in; ++k) acc += xr[k] * wo[k];
      y[r * out + o] = acc;
    }
  }
}

namespace {

constexpr size_t kPanel = PackedWeightsF32::kPanel;
// k-block: 256 × 8 floats = 8 KiB of one panel stays in L1 while every row block passes over it.
constexpr size_t kBlockK = 256;

// The inner loops over k for 4 rows and for 1 row × 8 columns. Accumulators are named locals, not arrays, so
// every compiler keeps them in registers (GCC at -O2 would otherwise interchange an array loop and spill).
inline void accumulate_4x8(const float* x, size_t ldx, const float* b, size_t kcount, v128_t c[8]) {
  v128_t c00 = c[0], c01 = c[1], c10 = c[2], c11 = c[3], c20 = c[4], c21 = c[5], c30 = c[6], c31 = c[7];
  const float* x0 = x;
  const float* x1 = x + ldx;
  const float* x2 = x + 2 * ldx;
  const float* x3 = x + 3 * ldx;
  for (size_t k = 0; k < kcount; ++k, b += kPanel) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    v128_t a = wasm_v128_load32_splat(x0 + k);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(x1 + k);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(x2 + k);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a, b1));
    a = wasm_v128_load32_splat(x3 + k);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a, b1));
  }
  c[0] = c00, c[1] = c01, c[2] = c10, c[3] = c11, c[4] = c20, c[5] = c21, c[6] = c30, c[7] = c31;
}

inline void accumulate_1x8(const float* x, size_t, const float* b, size_t kcount, v128_t c[2]) {
  v128_t c0 = c[0], c1 = c[1];
  for (size_t k = 0; k < kcount; ++k, b += kPanel) {
    const v128_t a = wasm_v128_load32_splat(x + k);
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(a, wasm_v128_load(b)));
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(a, wasm_v128_load(b + 4)));
  }
  c[0] = c0, c[1] = c1;
}

// ROWS rows × 8 columns over k in [k0, k1). On the first k-block the accumulators start from the bias, later
// from the partial sums already in y (`first` false). `cols` < 8 only on the last panel: partial results then
// go through a small buffer so no column past `out` is ever read or written.
template <size_t ROWS>
inline void micro_kernel(const float* x, size_t ldx, const float* panel, size_t k0, size_t k1,
                         const float* bias8, bool first, float* y, size_t ldy, size_t cols) {
  v128_t acc[2 * ROWS];
  float edge[kPanel];
  for (size_t r = 0; r < ROWS; ++r) {
    const float* src = y + r * ldy;
    if (first) {
      src = bias8;
    } else if (cols < kPanel) {
      for (size_t c = 0; c < kPanel; ++c) edge[c] = c < cols ? y[r * ldy + c] : 0.0f;
      src = edge;
    }
    acc[2 * r] = wasm_v128_load(src);
    acc[2 * r + 1] = wasm_v128_load(src + 4);
  }
  if (ROWS == 4) {
    accumulate_4x8(x + k0, ldx, panel + k0 * kPanel, k1 - k0, acc);
  } else {
    accumulate_1x8(x + k0, ldx, panel + k0 * kPanel, k1 - k0, acc);
  }
  for (size_t r = 0; r < ROWS; ++r) {
    if (cols == kPanel) {
      wasm_v128_store(y + r * ldy, acc[2 * r]);
      wasm_v128_store(y + r * ldy + 4, acc[2 * r + 1]);
    } else {
      wasm_v128_store(edge, acc[2 * r]);
      wasm_v128_store(edge + 4, acc[2 * r + 1]);
      for (size_t c = 0; c < cols; ++c) y[r * ldy + c] = edge[c];
    }
  }
}

}  // namespace

void gemm_f32_simd(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y) {
  gemm_f32_simd_columns(x, rows, w, bias, y, 0, w.out());
}

void gemm_f32_simd_columns(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y,
                           size_t col_begin, size_t col_end) {
  const size_t in = w.in(), out = w.out();
  col_end = std::min(col_end, out);
  if (col_begin >= col_end) return;
  if (in == 0) {  // degenerate: the product is empty, only the bias remains
    for (size_t r = 0; r < rows; ++r)
      for (size_t o = col_begin; o < col_end; ++o) y[r * out + o] = bias ? bias[o] : 0.0f;
    return;
  }
  const size_t p0 = col_begin / kPanel, p1 = (col_end + kPanel - 1) / kPanel;
  for (size_t k0 = 0; k0 < in; k0 += kBlockK) {
    const size_t k1 = std::min(in, k0 + kBlockK);
    const bool first = k0 == 0;
    for (size_t p = p0; p < p1; ++p) {
      const size_t col0 = p * kPanel;
      const size_t cols = std::min(kPanel, col_end - col0);
      float bias8[kPanel] = {};
      if (first && bias) std::copy(bias + col0, bias + col0 + cols, bias8);
      const float* panel = w.panel(p);
      size_t r = 0;
      for (; r + 4 <= rows; r += 4)
        micro_kernel<4>(x + r * in, in, panel, k0, k1, bias8, first, y + r * out + col0, out, cols);
      for (; r < rows; ++r)
        micro_kernel<1>(x + r * in, in, panel, k0, k1, bias8, first, y + r * out + col0, out, cols);
    }
  }
}

}  // namespace kfembed
