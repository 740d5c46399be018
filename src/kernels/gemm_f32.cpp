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

// Accumulators of ROWS rows × 8 columns over k in [k0, k1). On the first k-block they start from the bias,
// later from the partial sums already in y (`first` false). `cols` < 8 only on the last panel: then the
// partial results go through a small buffer so no column past `out` is ever written.
template <size_t ROWS>
inline void micro_kernel(const float* x, size_t ldx, const float* panel, size_t k0, size_t k1,
                         const float* bias8, bool first, float* y, size_t ldy, size_t cols) {
  v128_t acc[ROWS][2];
  float edge[ROWS][kPanel];
  for (size_t r = 0; r < ROWS; ++r) {
    if (first) {
      acc[r][0] = wasm_v128_load(bias8);
      acc[r][1] = wasm_v128_load(bias8 + 4);
    } else if (cols == kPanel) {
      acc[r][0] = wasm_v128_load(y + r * ldy);
      acc[r][1] = wasm_v128_load(y + r * ldy + 4);
    } else {
      for (size_t c = 0; c < kPanel; ++c) edge[r][c] = c < cols ? y[r * ldy + c] : 0.0f;
      acc[r][0] = wasm_v128_load(edge[r]);
      acc[r][1] = wasm_v128_load(edge[r] + 4);
    }
  }
  const float* b = panel + k0 * kPanel;
  for (size_t k = k0; k < k1; ++k, b += kPanel) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    for (size_t r = 0; r < ROWS; ++r) {
      const v128_t a = wasm_v128_load32_splat(x + r * ldx + k);
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(a, b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(a, b1));
    }
  }
  for (size_t r = 0; r < ROWS; ++r) {
    if (cols == kPanel) {
      wasm_v128_store(y + r * ldy, acc[r][0]);
      wasm_v128_store(y + r * ldy + 4, acc[r][1]);
    } else {
      wasm_v128_store(edge[r], acc[r][0]);
      wasm_v128_store(edge[r] + 4, acc[r][1]);
      for (size_t c = 0; c < cols; ++c) y[r * ldy + c] = edge[r][c];
    }
  }
}

}  // namespace

void gemm_f32_simd(const float* x, size_t rows, const PackedWeightsF32& w, const float* bias, float* y) {
  const size_t in = w.in(), out = w.out();
  if (in == 0) {  // degenerate: the product is empty, only the bias remains
    for (size_t r = 0; r < rows; ++r)
      for (size_t o = 0; o < out; ++o) y[r * out + o] = bias ? bias[o] : 0.0f;
    return;
  }
  for (size_t k0 = 0; k0 < in; k0 += kBlockK) {
    const size_t k1 = std::min(in, k0 + kBlockK);
    const bool first = k0 == 0;
    for (size_t p = 0; p < w.panels(); ++p) {
      const size_t col0 = p * kPanel;
      const size_t cols = std::min(kPanel, out - col0);
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
